/**
 * CUBIC (RFC 9438) over the RFC 9002 signals, with the window in bytes (RFC 9438 §4.1: "use
 * bytes ... factoring in the maximum segment size wherever necessary").
 *
 * - §4.2 window increase W_cubic(t) = C·(t − K)³ + W_max, time-based: t is `now` minus the epoch
 *   start, in seconds; per ACK the window moves towards target = W_cubic(t + RTT), clamped to
 *   [cwnd, 1.5·cwnd] (§4.2), by (target − cwnd)/cwnd per segment acknowledged (§4.4, §4.5).
 * - §4.3 Reno-friendly region: W_est grows by α_cubic·segments_acked/cwnd, α_cubic = 3(1−β)/(1+β),
 *   and by α = 1 once W_est ≥ cwnd_prior; when W_cubic(t) < W_est the window follows W_est.
 * - §4.6 multiplicative decrease β = 0.7, immediately on entering recovery; recovery itself is
 *   the RFC 9002 §7.3.2 period (one reduction per period, keyed on timeSent > recovery start).
 * - §4.7 fast convergence (on by default; `fastConvergence: false` disables it).
 * - §4.8 after persistent congestion (QUIC's equivalent of a timeout) the next congestion
 *   avoidance epoch starts with K = 0 and W_max = cwnd at its start.
 * - §4.10 slow start is Reno's (RFC 5681), which RFC 9438 allows; with `hystart` the initial
 *   slow start is HyStart++'s (RFC 9406, hystart.ts; §4.10: CUBIC SHOULD use it). Leaving
 *   Conservative Slow Start after CSS_ROUNDS rounds is an exit without loss: cwnd_prior = cwnd,
 *   ssthresh = cwnd, and the first congestion avoidance stage starts from that window with
 *   K = 0 and W_max = cwnd (`startEpoch`).
 * - §5.8 application-limited periods are excluded from t: while acknowledgments arrive with
 *   `appLimited`, and across idle periods (the first packet sent with nothing in flight), the
 *   epoch start moves forward by the elapsed time, so W_cubic does not race ahead (the Linux
 *   tcp_cubic CA_EVENT_TX_START approach). RFC 9002 §7.8 also forbids growth when app-limited,
 *   which is what RFC 9438 §4.6 requires of a QUIC sender that uses cwnd for the reduction.
 * - The optional §4.9 spurious-loss undo is not implemented.
 */
import type { Instant } from '../../util/time.js';
import type { RttEstimator } from '../rtt.js';
import { HyStart } from './hystart.js';
import { checkOptions, initialWindow, minimumWindow, type CongestionController, type CongestionControllerOptions } from './types.js';

/** RFC 9438 §4.1 / §5: C, in segments/second³. */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: β_cubic. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: α_cubic = 3·(1 − β)/(1 + β). */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

const MICROS_TO_SECONDS = 1e-6;

/** RFC 9438 §4.2 eq. 2: K = ∛((W_max − cwnd_epoch)/C), in seconds; windows in bytes. */
export function cubicK(wMax: number, cwndEpoch: number, maxDatagramSize: number): number {
  return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / (CUBIC_C * maxDatagramSize)) : 0;
}

/** RFC 9438 §4.2 eq. 1: W_cubic(t) = C·(t − K)³ + W_max, t and K in seconds, windows in bytes. */
export function cubicWindow(t: number, k: number, wMax: number, maxDatagramSize: number): number {
  const d = t - k;
  return CUBIC_C * maxDatagramSize * d * d * d + wMax;
}

export interface CubicOptions extends CongestionControllerOptions {
  /** RFC 9438 §4.7, default true. */
  fastConvergence?: boolean;
}

export class Cubic implements CongestionController {
  readonly name: string = 'cubic';
  maxDatagramSize: number;
  minimumWindow: number;
  private readonly minimumPackets: number | undefined;
  readonly fastConvergence: boolean;
  ssthresh = Infinity;
  inRecovery = false;
  /** RFC 9002 B.2 congestion_recovery_start_time (-Infinity: never). */
  recoveryStartTime: Instant = -Infinity;
  /** §4.1 W_max, bytes (0 until the first congestion event). */
  wMax = 0;
  /** §4.1 cwnd_prior, bytes. */
  cwndPrior = 0;
  /** §4.1 K, seconds. */
  k = 0;
  /** §4.1 t_epoch (µs), undefined outside a congestion avoidance epoch. */
  epochStart: Instant | undefined = undefined;
  /** §4.1 cwnd_epoch, bytes. */
  cwndEpoch = 0;
  /** §4.3 W_est, bytes. */
  wEst = 0;
  /** The window in bytes, with the fractional growth kept. */
  private w: number;
  /** Time of the last ACK or epoch shift, for excluding app-limited time (§5.8). */
  private lastEvent: Instant = 0;
  /** RFC 9406 HyStart++ of the initial slow start; undefined when off. */
  readonly hystart: HyStart | undefined;

  constructor(o: CubicOptions) {
    checkOptions(o);
    this.maxDatagramSize = o.maxDatagramSize;
    this.w = initialWindow(o.maxDatagramSize, o.initialWindowPackets);
    this.minimumWindow = minimumWindow(o.maxDatagramSize, o.minimumWindowPackets);
    this.minimumPackets = o.minimumWindowPackets;
    this.fastConvergence = o.fastConvergence ?? true;
    this.hystart = o.hystart === true ? new HyStart() : undefined;
  }

  /** Later growth uses the new size; K of the running epoch stays (RFC 9438 §4.2 per epoch). */
  setMaxDatagramSize(mds: number): void {
    this.maxDatagramSize = mds;
    this.minimumWindow = minimumWindow(mds, this.minimumPackets);
    if (this.w < this.minimumWindow) this.w = this.minimumWindow;
  }

  get cwnd(): number {
    return Math.floor(this.w);
  }

  get inSlowStart(): boolean {
    return this.w < this.ssthresh;
  }

  onPacketSent(now: Instant, bytes: number, bytesInFlight: number): void {
    this.hystart?.onPacketSent(now);
    // §5.8: restarting after an idle period (nothing was in flight) — the idle time is not part of t.
    if (bytesInFlight <= bytes && this.epochStart !== undefined && now > this.lastEvent) {
      this.epochStart += now - this.lastEvent;
      this.lastEvent = now;
    }
  }

  onPacketAcked(now: Instant, bytes: number, timeSent: Instant, rtt: RttEstimator, appLimited: boolean): void {
    // RFC 9002 B.5: no increase for packets sent before the recovery period began.
    if (timeSent <= this.recoveryStartTime) return;
    this.inRecovery = false; // RFC 9002 §7.3.2
    if (appLimited) {
      // RFC 9002 §7.8: no growth; RFC 9438 §4.2/§5.8: t excludes this period (freeze the epoch).
      if (this.epochStart !== undefined && now > this.lastEvent) this.epochStart += now - this.lastEvent;
      this.lastEvent = now;
      return;
    }
    this.lastEvent = now;
    if (this.w < this.ssthresh) {
      const hs = this.hystart;
      if (hs !== undefined && !hs.done && this.ssthresh === Infinity) {
        // §4.10 / RFC 9406 §4.2: slow start grows by the bytes acknowledged, CSS by a quarter.
        this.w += hs.onPacketAcked(now, bytes, timeSent, rtt);
        // RFC 9406 §4.2: after CSS_ROUNDS rounds, congestion avoidance with ssthresh = cwnd.
        if (hs.done) {
          this.ssthresh = this.cwnd;
          this.cwndPrior = this.w; // §4.10: W_max undefined after an exit without loss
        }
        return;
      }
      // §4.10: Reno slow start (RFC 5681 / RFC 9002 §7.3.1).
      this.w += bytes;
      return;
    }
    if (this.epochStart === undefined) this.startEpoch(now);
    const mds = this.maxDatagramSize;
    const t = (now - this.epochStart!) * MICROS_TO_SECONDS;
    const wCubic = cubicWindow(t, this.k, this.wMax, mds);
    // §4.3 eq. 4 in bytes: W_est += α · bytes_acked · mds / cwnd; α = 1 once W_est ≥ cwnd_prior.
    const alpha = this.wEst >= this.cwndPrior ? 1 : CUBIC_ALPHA;
    this.wEst += (alpha * bytes * mds) / this.w;
    if (wCubic < this.wEst) {
      // §4.3: Reno-friendly region, cwnd = W_est.
      if (this.wEst > this.w) this.w = this.wEst;
      return;
    }
    // §4.2 target = W_cubic(t + RTT) bounded to [cwnd, 1.5·cwnd]; §4.4/§4.5 per-ACK increment.
    let target = cubicWindow(t + rtt.smoothed * MICROS_TO_SECONDS, this.k, this.wMax, mds);
    if (target < this.w) target = this.w;
    else if (target > 1.5 * this.w) target = 1.5 * this.w;
    this.w += ((target - this.w) * bytes) / this.w;
  }

  onCongestionEvent(now: Instant, timeSent: Instant, _rtt: RttEstimator): void {
    // RFC 9406 §4.2: a loss or ECN-CE in slow start or CSS ends both (§4.3: for good).
    this.hystart?.stop();
    // RFC 9002 §7.3.2: one reduction per recovery period.
    if (timeSent <= this.recoveryStartTime) return;
    this.recoveryStartTime = now;
    this.inRecovery = true;
    // §4.7 fast convergence, before the reduction.
    this.wMax = this.fastConvergence && this.w < this.wMax ? (this.w * (1 + CUBIC_BETA)) / 2 : this.w;
    // §4.6: cwnd_prior = cwnd; ssthresh = cwnd·β (at least 2 MSS, here kMinimumWindow); cwnd = ssthresh.
    // RFC 9002 §7.8 keeps cwnd from growing while app-limited, so cwnd stands in for flight_size.
    this.cwndPrior = this.w;
    // (+1e-6: 0.7 is not exact in binary; keep 0.7 · 84000 at 58800, not 58799.)
    this.ssthresh = Math.max(Math.floor(this.w * CUBIC_BETA + 1e-6), this.minimumWindow);
    this.w = this.ssthresh;
    // §4.2: the new congestion avoidance stage starts now, from the reduced window.
    this.startEpoch(now);
  }

  /** RFC 9002 §7.6.2 (and RFC 9438 §4.8 for the next epoch: K = 0, W_max = cwnd at its start). */
  onPersistentCongestion(_now: Instant): void {
    this.hystart?.stop();
    this.w = this.minimumWindow;
    this.recoveryStartTime = -Infinity;
    this.inRecovery = false;
    this.epochStart = undefined;
    this.wMax = 0;
  }

  private startEpoch(now: Instant): void {
    this.epochStart = now;
    this.lastEvent = now;
    this.cwndEpoch = this.w;
    this.wEst = this.w; // §4.3: W_est = cwnd_epoch at the start of the stage
    if (this.wMax < this.w) this.wMax = this.w; // §4.8 / §4.10: K = 0 and W_max = cwnd_epoch
    this.k = cubicK(this.wMax, this.w, this.maxDatagramSize);
  }
}
