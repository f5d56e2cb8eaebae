/**
 * NewReno as specified by RFC 9002 §7 and Appendix B (B.5 OnPacketAcked, B.6 OnCongestionEvent,
 * B.8 persistent congestion). The window is in bytes.
 *
 * Congestion avoidance uses the byte-counting form RFC 9002 B.5 points to (RFC 3465 §2.1):
 * acknowledged bytes accumulate, and each time a full window has been acknowledged the window
 * grows by one max_datagram_size — the same "at most one max_datagram_size per congestion
 * window acknowledged" (§7.3.3), with no division per ACK (DESIGN §4.7).
 *
 * With `hystart`, the initial slow start (ssthresh still ∞) is HyStart++'s (RFC 9406,
 * hystart.ts): a rise of the per-round minimum RTT moves to Conservative Slow Start, which
 * either resumes slow start or, after CSS_ROUNDS rounds, enters congestion avoidance with
 * ssthresh = cwnd (§4.2); a congestion event ends it as usual (B.6).
 */
import type { Instant } from '../../util/time.js';
import type { RttEstimator } from '../rtt.js';
import { HyStart } from './hystart.js';
import { checkOptions, initialWindow, minimumWindow, type CongestionController, type CongestionControllerOptions } from './types.js';

/** RFC 9002 B.1 kLossReductionFactor. */
export const LOSS_REDUCTION_FACTOR = 0.5;

export class NewReno implements CongestionController {
  readonly name: string = 'newreno';
  cwnd: number;
  ssthresh = Infinity;
  /** B.2 congestion_recovery_start_time; -Infinity means "never" (no packet is sent before it). */
  recoveryStartTime: Instant = -Infinity;
  inRecovery = false;
  maxDatagramSize: number;
  minimumWindow: number;
  private readonly minimumPackets: number | undefined;
  /** RFC 3465 bytes_acked, for congestion avoidance. */
  private bytesAcked = 0;
  /** RFC 9406 HyStart++ of the initial slow start; undefined when off. */
  readonly hystart: HyStart | undefined;

  constructor(o: CongestionControllerOptions) {
    checkOptions(o);
    this.maxDatagramSize = o.maxDatagramSize;
    this.cwnd = initialWindow(o.maxDatagramSize, o.initialWindowPackets);
    this.minimumWindow = minimumWindow(o.maxDatagramSize, o.minimumWindowPackets);
    this.minimumPackets = o.minimumWindowPackets;
    this.hystart = o.hystart === true ? new HyStart() : undefined;
  }

  setMaxDatagramSize(mds: number): void {
    this.maxDatagramSize = mds;
    this.minimumWindow = minimumWindow(mds, this.minimumPackets);
    if (this.cwnd < this.minimumWindow) this.cwnd = this.minimumWindow;
  }

  get inSlowStart(): boolean {
    return this.cwnd < this.ssthresh;
  }

  onPacketSent(now: Instant, _bytes: number, _bytesInFlight: number): void {
    this.hystart?.onPacketSent(now);
  }

  /** B.5 OnPacketAcked (bytes_in_flight is the loss recovery's). */
  onPacketAcked(now: Instant, bytes: number, timeSent: Instant, rtt: RttEstimator, appLimited: boolean): void {
    // B.5 InCongestionRecovery: no increase for packets sent before the recovery period began.
    if (timeSent <= this.recoveryStartTime) return;
    // §7.3.2: "A recovery period ends ... when a packet sent during the recovery period is acknowledged".
    this.inRecovery = false;
    // §7.8 / B.5: "Do not increase congestion_window if application limited".
    if (appLimited) return;
    if (this.cwnd < this.ssthresh) {
      const hs = this.hystart;
      if (hs !== undefined && !hs.done && this.ssthresh === Infinity) {
        // RFC 9406 §4.2: slow start grows by the bytes acknowledged, CSS by a quarter of them.
        this.cwnd += hs.onPacketAcked(now, bytes, timeSent, rtt);
        // §4.2: after CSS_ROUNDS rounds, congestion avoidance with ssthresh = cwnd.
        if (hs.done) this.ssthresh = this.cwnd;
        return;
      }
      // §7.3.1 slow start: grow by the bytes acknowledged.
      this.cwnd += bytes;
      return;
    }
    // §7.3.3 congestion avoidance, RFC 3465 byte counting (see the file comment).
    this.bytesAcked += bytes;
    if (this.bytesAcked >= this.cwnd) {
      this.bytesAcked -= this.cwnd;
      this.cwnd += this.maxDatagramSize;
    }
  }

  /** B.6 OnCongestionEvent. */
  onCongestionEvent(now: Instant, timeSent: Instant, _rtt: RttEstimator): void {
    // RFC 9406 §4.2: a loss or ECN-CE in slow start or CSS ends both (§4.3: for good).
    this.hystart?.stop();
    // §7.3.2: no reaction while already in a recovery period.
    if (timeSent <= this.recoveryStartTime) return;
    this.recoveryStartTime = now;
    this.inRecovery = true;
    this.ssthresh = Math.floor(this.cwnd * LOSS_REDUCTION_FACTOR);
    this.cwnd = Math.max(this.ssthresh, this.minimumWindow);
    this.bytesAcked = 0;
  }

  /** B.8: congestion_window = kMinimumWindow, congestion_recovery_start_time = 0; back to slow start (§7.3.1). */
  onPersistentCongestion(_now: Instant): void {
    this.hystart?.stop();
    this.cwnd = this.minimumWindow;
    this.recoveryStartTime = -Infinity;
    this.inRecovery = false;
    this.bytesAcked = 0;
  }
}
