/**
 * Pacing (RFC 9002 §7.7) as a token bucket ("a leaky bucket algorithm, where the capacity of the
 * bucket is limited to the maximum burst size and the rate the bucket fills is determined by"
 * rate = N · congestion_window / smoothed_rtt, N = 1.25).
 *
 * - The burst (bucket capacity) is the initial congestion window (§7.7: "Senders SHOULD limit
 *   bursts to the initial congestion window"), never less than the packet asked about.
 * - The bucket starts full, refills at the current rate and is capped at the burst, so an idle
 *   sender may burst again after roughly one burst's worth of pacing time.
 * - Packets containing only ACK frames SHOULD NOT be paced (§7.7): the connection simply does not
 *   ask. Packets sent without asking (ACK-only, PTO probes) still draw the bucket, never below 0.
 * - No allocation per call; the rate division is redone only when cwnd or smoothed_rtt change
 *   (DESIGN §4.7).
 */
import type { Duration, Instant } from '../util/time.js';
import { initialWindow } from './cc/types.js';
import type { RttEstimator } from './rtt.js';

/** RFC 9002 §7.7: N, "small, but at least 1 (for example, 1.25)". */
export const PACING_GAIN = 1.25;

/** Float tolerance when comparing tokens (bytes). */
const EPSILON = 1e-6;

export class Pacer {
  /** Bucket capacity in bytes. */
  readonly burst: number;
  /** Tokens (bytes) available at `updated`. */
  private tokens: number;
  private updated: Instant | undefined = undefined;
  /** Current rate in bytes per microsecond. */
  private rate = 0;
  private rateCwnd = -1;
  private rateSrtt = -1;

  constructor(readonly maxDatagramSize: number) {
    this.burst = initialWindow(maxDatagramSize);
    this.tokens = this.burst;
  }

  /**
   * Earliest time a packet of `bytes` may be sent: `now` if allowed now. The rate (bytes/s) is
   * `rateOverride` (from cc.pacingRate) or 1.25·cwnd/smoothed_rtt. Times are rounded up to whole
   * microseconds, so asking again at the returned time answers that time.
   */
  nextSendTime(now: Instant, bytes: number, cwnd: number, rtt: RttEstimator, rateOverride?: number): Instant {
    let rate: number;
    if (rateOverride !== undefined) {
      rate = rateOverride * 1e-6;
    } else {
      const srtt = rtt.smoothed;
      if (cwnd !== this.rateCwnd || srtt !== this.rateSrtt) {
        this.rateCwnd = cwnd;
        this.rateSrtt = srtt;
        this.rate = srtt > 0 ? (PACING_GAIN * cwnd) / srtt : Infinity;
      }
      rate = this.rate;
    }
    this.refill(now, rate);
    // No meaningful rate (zero RTT, zero window or an infinite override): do not pace.
    if (!(rate > 0) || rate === Infinity) return now;
    const need = bytes < this.burst ? bytes : this.burst;
    if (this.tokens + EPSILON >= need) return now;
    return now + Math.ceil((need - this.tokens) / rate);
  }

  /** A packet of `bytes` was sent at `now` (paced or not). */
  onPacketSent(now: Instant, bytes: number): void {
    this.refill(now, this.rate);
    this.tokens -= bytes;
    if (this.tokens < 0) this.tokens = 0;
  }

  /** Time needed to refill the whole burst at the last rate, or 0 when not pacing. */
  get burstInterval(): Duration {
    return this.rate > 0 && this.rate !== Infinity ? this.burst / this.rate : 0;
  }

  private refill(now: Instant, rate: number): void {
    const last = this.updated;
    if (last !== undefined && now <= last) return;
    this.updated = now;
    if (last === undefined) return;
    if (rate === Infinity || !(rate >= 0)) {
      this.tokens = this.burst;
      return;
    }
    const t = this.tokens + (now - last) * rate;
    this.tokens = t < this.burst ? t : this.burst;
  }
}
