/**
 * The RTT estimator of one path (RFC 9002 §5). Times are microseconds (util/time.ts); the
 * estimator is updated by the loss recovery when an ACK yields an RTT sample (§5.1) and read by
 * loss detection (§6.1.2), the PTO (§6.2.1), persistent congestion (§7.6.1) and pacing (§7.7).
 */
import type { Duration, Instant } from '../util/time.js';

/** RFC 9002 §6.1.2 / A.2: kGranularity, the timer granularity (1 ms). */
export const GRANULARITY: Duration = 1000;
/** RFC 9002 §6.2.2 / A.2: kInitialRtt (333 ms). */
export const INITIAL_RTT: Duration = 333_000;

/**
 * One path's RTT estimate (RFC 9002 §5): latest, smoothed, variance and minimum, in µs. A
 * congestion controller reads it in its hooks (`smoothed`, `min`, `latest`); only the loss
 * recovery updates it.
 */
export class RttEstimator {
  /** §5.1: latest_rtt, the most recent sample (0 before any). */
  latest: Duration = 0;
  /** §5.3: smoothed_rtt. */
  smoothed: Duration;
  /** §5.3: rttvar. */
  rttvar: Duration;
  /** §5.2: min_rtt (0 before any sample). */
  min: Duration = 0;
  /** Whether a sample was taken since construction or the last `reset`. */
  hasSample = false;
  /** A.3 first_rtt_sample: the time of the first sample; persistent congestion only considers packets sent after it (§7.6.2). */
  firstSampleTime: Instant | undefined = undefined;

  constructor(readonly initialRtt: Duration = INITIAL_RTT) {
    this.smoothed = initialRtt;
    this.rttvar = initialRtt / 2;
  }

  /**
   * §5.3 (A.7 UpdateRtt). `ackDelay` is already decoded to µs (and 0 for Initial packets, §5.3:
   * "MAY ignore the acknowledgment delay for Initial packets"); `maxAckDelay` is the peer's
   * max_ack_delay in µs, applied only once the handshake is confirmed.
   */
  update(now: Instant, latestRtt: Duration, ackDelay: Duration, maxAckDelay: Duration, handshakeConfirmed: boolean): void {
    this.latest = latestRtt;
    if (!this.hasSample) {
      // §5.2: min_rtt is the first sample; §5.3: the estimator is reset using the first sample.
      this.hasSample = true;
      this.firstSampleTime = now;
      this.min = latestRtt;
      this.smoothed = latestRtt;
      this.rttvar = latestRtt * 0.5;
      return;
    }
    // §5.2: min_rtt ignores acknowledgment delay.
    if (latestRtt < this.min) this.min = latestRtt;
    // §5.3: "SHOULD ignore the peer's max_ack_delay until the handshake is confirmed" and
    // "MUST use the lesser of the acknowledgment delay and the peer's max_ack_delay after".
    if (handshakeConfirmed && ackDelay > maxAckDelay) ackDelay = maxAckDelay;
    // §5.3: "MUST NOT subtract the acknowledgment delay from the RTT sample if the resulting
    // value is smaller than the min_rtt".
    const adjusted = latestRtt >= this.min + ackDelay ? latestRtt - ackDelay : latestRtt;
    const dev = this.smoothed > adjusted ? this.smoothed - adjusted : adjusted - this.smoothed;
    this.rttvar = 0.75 * this.rttvar + 0.25 * dev;
    this.smoothed = 0.875 * this.smoothed + 0.125 * adjusted;
  }

  /**
   * §6.2.1: smoothed_rtt + max(4·rttvar, kGranularity), plus max_ack_delay when
   * `includeAckDelay` (Application Data, and always for the persistent congestion duration §7.6.1).
   * No backoff applied.
   */
  pto(maxAckDelay: Duration, includeAckDelay: boolean): Duration {
    const v = 4 * this.rttvar;
    return this.smoothed + (v > GRANULARITY ? v : GRANULARITY) + (includeAckDelay ? maxAckDelay : 0);
  }

  /** §7.6.2 / §5.2: "SHOULD set the min_rtt to the newest RTT sample after persistent congestion is established". */
  onPersistentCongestion(): void {
    if (this.hasSample) this.min = this.latest;
  }

  /**
   * §5.3 / RFC 9000 §9.4: back to the initial state (a new path, or a migration to a new
   * address). `initialRtt` may come from a PATH_CHALLENGE round trip (§6.2.2).
   */
  reset(initialRtt: Duration = this.initialRtt): void {
    this.latest = 0;
    this.min = 0;
    this.smoothed = initialRtt;
    this.rttvar = initialRtt / 2;
    this.hasSample = false;
    this.firstSampleTime = undefined;
  }
}
