/**
 * Prague (draft-briscoe-iccrg-prague-congestion-control-04), the scalable congestion control of
 * L4S (RFC 9330; the ECT(1) identifier, RFC 9331), over the QUIC signals of RFC 9002. It is
 * DCTCP's response (RFC 8257) adapted to the Internet; this follows the draft and the defaults
 * of its reference Linux implementation (tcp_prague.c), with the window in bytes.
 *
 * - ECN: `ecnCodepoint = 'ect1'`: the connection marks ECT(1) once ECN is validated and reports
 *   CE only through `onAckEvent` (`ceDelta`: growth of the peer's CE counter; `ectAcked`: newly
 *   acknowledged ECN-capable packets), never as a congestion event.
 * - α, the EWMA of the fraction of CE-marked packets: once per round trip (a round ends when a
 *   packet sent after the round began is acknowledged, as Linux's snd_una ≥ next_seq; "after"
 *   as in RFC 9002 B.6: a packet sent at the same instant belongs to the earlier period),
 *   α ← (1 − g)·α + g·F with g = 1/16 and F = CE marks / ECN-capable packets acknowledged in the
 *   round. α starts at 1 and is not updated before the first CE mark (Linux: no evidence of an
 *   AQM on the path yet), so the first reduction halves the window.
 * - The scalable reduction: on CE, cwnd ← cwnd·(1 − α/2), at most once per round trip (a
 *   reduction period, like Linux's CWR state and RFC 9002 §7.3.2: further CE for packets sent
 *   before the reduction is ignored). It also ends slow start (ssthresh = the reduced window);
 *   there is no slow-start re-entry except after persistent congestion.
 * - Growth, per ACK frame in `onAckEvent`, counts only the bytes acknowledged without a CE mark
 *   (Linux: acked − ece_delta, the "unsaturated" increase, so the growth per round is ∝ 1 − p):
 *   slow start adds them; congestion avoidance adds scale·mds per window of them, i.e. `scale`
 *   segments per round trip. Growth continues during a CE reduction period (Linux: Prague
 *   spends most of its time in CWR under a DualQ) but not during loss recovery, nor while the
 *   sender is application-limited (RFC 9002 §7.8).
 * - Reduced RTT dependence: with `rttIndependence` (default) and a smoothed RTT R below the
 *   reference R0 = 25 ms, scale = (R/R0)² (Linux's prague_rate_scaled_ai_ack_increase: grow by
 *   one segment per R0, and by the rate that one segment per R0 adds at RTT R0), so flows with
 *   shorter RTTs gain rate as slowly as a 25 ms flow and do not starve longer ones. The draft
 *   and Linux only apply it after a transition of many rounds (500 by default); here it applies
 *   from the first congestion-avoidance round.
 * - Classic fallback: a loss (`onCongestionEvent`, which the connection calls only for losses
 *   when the controller is 'ect1') is a Reno-like reduction, cwnd ← cwnd·0.5 (RFC 9002
 *   kLossReductionFactor; Linux Prague also halves on loss), once per RFC 9002 §7.3.2 recovery
 *   period; CE reductions are suspended during that period.
 * - Persistent congestion (§7.6.2): the minimum window, and slow start up to ssthresh.
 * - Pacing: cwnd/srtt (gain 1 in congestion avoidance, as Linux Prague paces), twice that while
 *   cwnd < ssthresh/2 (slow start); the pacer's default before the first RTT sample.
 * Not implemented: the RTT-independence transition delay, Linux's rate-based
 * ("pacing rate first") mode, the pacing-rate offset of ±3% per half round, and loss undo.
 */
import type { Duration, Instant } from '../../util/time.js';
import type { RttEstimator } from '../rtt.js';
import { checkOptions, initialWindow, minimumWindow, type AckEvent, type CongestionController, type CongestionControllerOptions } from './types.js';

/** The EWMA gain g = 1/16 (Prague and DCTCP, RFC 8257 §4.2). */
export const PRAGUE_G = 1 / 16;
/** Reference RTT R0 of the reduced RTT dependence: 25 ms (Linux prague_rtt_target). */
export const PRAGUE_REFERENCE_RTT: Duration = 25_000;
/** The classic-fallback reduction on loss (×0.5, RFC 9002 kLossReductionFactor). */
export const PRAGUE_LOSS_REDUCTION = 0.5;
/** Pacing gain in congestion avoidance (Linux Prague: max(cwnd, inflight)/srtt). */
export const PRAGUE_PACING_GAIN = 1;
/** Pacing gain while cwnd < ssthresh/2 (Linux: the rate doubled in slow start). */
export const PRAGUE_SLOW_START_PACING_GAIN = 2;

export interface PragueOptions extends CongestionControllerOptions {
  /** Scale the additive increase by (R/R0)² below the reference RTT (default true). */
  rttIndependence?: boolean;
  /** The reference RTT R0, µs (default 25 ms). */
  referenceRtt?: Duration;
}

export class Prague implements CongestionController {
  readonly name: string = 'prague';
  readonly ecnCodepoint = 'ect1' as const;
  maxDatagramSize: number;
  minimumWindow: number;
  private readonly minimumPackets: number | undefined;
  readonly rttIndependence: boolean;
  readonly referenceRtt: Duration;
  ssthresh = Infinity;
  /** A loss recovery period (the classic fallback) is ongoing (RFC 9002 §7.3.2). */
  inRecovery = false;
  /** Start of the last loss recovery period (-Infinity: never). */
  recoveryStartTime: Instant = -Infinity;
  /** Start of the last CE reduction (-Infinity: never): one reduction per round trip. */
  cwrStartTime: Instant = -Infinity;
  /** α, the EWMA of the CE-marked fraction (starts at 1). */
  alpha = 1;
  /** A CE mark was seen: α is updated from then on. */
  sawCe = false;
  /** Rounds (round trips) completed. */
  rounds = 0;
  /** When the current round began (-Infinity before the first ACK). */
  roundStart: Instant = -Infinity;
  /** CE marks and ECN-capable packets acknowledged in the current round. */
  roundCe = 0;
  roundEct = 0;
  /** The window in bytes, with the fractional growth kept. */
  private w: number;
  /** The latest send time among the packets the current ACK acknowledged (reset per ACK event). */
  private newestAcked: Instant = -Infinity;

  constructor(o: PragueOptions) {
    checkOptions(o);
    if (o.referenceRtt !== undefined && !(o.referenceRtt > 0)) throw new RangeError(`referenceRtt must be > 0, got ${o.referenceRtt}`);
    this.maxDatagramSize = o.maxDatagramSize;
    this.w = initialWindow(o.maxDatagramSize, o.initialWindowPackets);
    this.minimumWindow = minimumWindow(o.maxDatagramSize, o.minimumWindowPackets);
    this.minimumPackets = o.minimumWindowPackets;
    this.rttIndependence = o.rttIndependence ?? true;
    this.referenceRtt = o.referenceRtt ?? PRAGUE_REFERENCE_RTT;
  }

  setMaxDatagramSize(mds: number): void {
    this.maxDatagramSize = mds;
    this.minimumWindow = minimumWindow(mds, this.minimumPackets);
    if (this.w < this.minimumWindow) this.w = this.minimumWindow;
  }

  get cwnd(): number {
    return Math.floor(this.w);
  }

  /** The window in bytes with its fractional part (cwnd is its floor). */
  get windowBytes(): number {
    return this.w;
  }

  get inSlowStart(): boolean {
    return this.w < this.ssthresh;
  }

  /** Segments added per round trip in congestion avoidance: 1, or (R/R0)² below R0. */
  increaseScale(rtt: RttEstimator): number {
    if (!this.rttIndependence || !rtt.hasSample) return 1;
    const r = rtt.smoothed / this.referenceRtt;
    return r >= 1 ? 1 : r * r;
  }

  onPacketSent(_now: Instant, _bytes: number, _bytesInFlight: number): void {}

  /** Per packet only bookkeeping: the growth waits for the ACK's CE count (onAckEvent). */
  onPacketAcked(_now: Instant, _bytes: number, timeSent: Instant, _rtt: RttEstimator, _appLimited: boolean): void {
    if (timeSent > this.newestAcked) this.newestAcked = timeSent;
    // RFC 9002 §7.3.2: a packet sent during the recovery period is acknowledged.
    if (timeSent > this.recoveryStartTime) this.inRecovery = false;
  }

  onAckEvent(now: Instant, e: AckEvent, rtt: RttEstimator): void {
    const newest = this.newestAcked;
    this.newestAcked = -Infinity;
    this.roundCe += e.ceDelta;
    this.roundEct += e.ectAcked;

    // The scalable response: cwnd·(1 − α/2), once per round trip, not during loss recovery.
    if (e.ceDelta > 0) {
      this.sawCe = true;
      if (newest > this.cwrStartTime && newest > this.recoveryStartTime) {
        this.cwrStartTime = now;
        this.w = Math.max(this.w * (1 - this.alpha / 2), this.minimumWindow);
        this.ssthresh = this.w;
      }
    }

    // Growth by the bytes acknowledged without a CE mark.
    if (!e.appLimited && e.ackedBytes > 0 && newest > this.recoveryStartTime) {
      let bytes: number;
      if (e.ceDelta === 0) bytes = e.ackedBytes;
      else if (e.ectAcked > e.ceDelta) bytes = (e.ackedBytes * (e.ectAcked - e.ceDelta)) / e.ectAcked;
      else bytes = 0;
      if (bytes > 0 && this.w < this.ssthresh) {
        // Slow start, up to ssthresh; the rest counts towards congestion avoidance.
        const room = this.ssthresh - this.w;
        if (bytes <= room) {
          this.w += bytes;
          bytes = 0;
        } else {
          this.w = this.ssthresh;
          bytes -= room;
        }
      }
      if (bytes > 0) this.w += (this.increaseScale(rtt) * this.maxDatagramSize * bytes) / this.w;
    }

    // End of a round: a packet sent after the round began was acknowledged.
    if (newest > this.roundStart) {
      if (this.sawCe) {
        const f = this.roundEct > 0 ? Math.min(this.roundCe / this.roundEct, 1) : this.roundCe > 0 ? 1 : 0;
        this.alpha = (1 - PRAGUE_G) * this.alpha + PRAGUE_G * f;
      }
      this.rounds++;
      this.roundStart = now;
      this.roundCe = 0;
      this.roundEct = 0;
    }
  }

  /** A loss (only losses reach here for an 'ect1' controller): the classic fallback, ×0.5. */
  onCongestionEvent(now: Instant, timeSent: Instant, _rtt: RttEstimator): void {
    if (timeSent <= this.recoveryStartTime) return;
    this.recoveryStartTime = now;
    this.inRecovery = true;
    this.w = Math.max(this.w * PRAGUE_LOSS_REDUCTION, this.minimumWindow);
    this.ssthresh = this.w;
  }

  /** RFC 9002 §7.6.2: the minimum window; slow start up to ssthresh again. */
  onPersistentCongestion(_now: Instant): void {
    this.w = this.minimumWindow;
    this.recoveryStartTime = -Infinity;
    this.cwrStartTime = -Infinity;
    this.inRecovery = false;
  }

  pacingRate(rtt: RttEstimator): number | undefined {
    if (!rtt.hasSample || !(rtt.smoothed > 0)) return undefined;
    const gain = this.w < this.ssthresh / 2 ? PRAGUE_SLOW_START_PACING_GAIN : PRAGUE_PACING_GAIN;
    return (gain * this.w * 1e6) / rtt.smoothed;
  }
}
