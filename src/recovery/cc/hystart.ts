/**
 * HyStart++ (RFC 9406): a delay-based exit from the initial slow start of the Reno-family
 * controllers (NewReno, CUBIC), shared by both. The controller asks it, for each acknowledged
 * packet while in the initial slow start, by how much to grow the window; HyStart++ watches the
 * per-round minimum RTT and, when it rises, switches to Conservative Slow Start (CSS), which
 * either turns out spurious (back to slow start) or ends in congestion avoidance.
 *
 * - §4.2 rounds: "windowEnd ... initialized to SND.NXT. When windowEnd is ACKed, the current
 *   round ends and windowEnd is set to SND.NXT". The controllers see packets by send time, not
 *   sequence number, so windowEnd is the send time of the first in-flight packet sent after the
 *   round began (`onPacketSent`), and the round ends when a packet sent at or after it is
 *   acknowledged. At the end of a round lastRoundMinRTT = currentRoundMinRTT,
 *   currentRoundMinRTT = ∞, rttSampleCount = 0.
 * - §4.2 RTT samples: one per ACK that yields one (RFC 9002 §5.1 latest_rtt, `rtt.latest`). The
 *   controller is called once per acknowledged packet, so a sample is taken when the packet is
 *   the one the estimator just measured (now − timeSent = latest_rtt), at most once per `now`.
 *   A sample belongs to the round in which its packet was sent (the round-end check runs first).
 * - §4.2 slow start → CSS: with rttSampleCount ≥ N_RTT_SAMPLE and both round minima known,
 *   RttThresh = clamp(lastRoundMinRTT / MIN_RTT_DIVISOR, MIN_RTT_THRESH, MAX_RTT_THRESH); if
 *   currentRoundMinRTT ≥ lastRoundMinRTT + RttThresh, cssBaselineMinRtt = currentRoundMinRTT and
 *   CSS begins.
 * - §4.2 CSS: growth divided by CSS_GROWTH_DIVISOR; with ≥ N_RTT_SAMPLE samples in the round and
 *   currentRoundMinRTT < cssBaselineMinRtt the exit was spurious: slow start (with HyStart++)
 *   resumes. After CSS_ROUNDS rounds ("If the transition into CSS happens in the middle of a
 *   round, that partial round counts towards the limit") the controller enters congestion
 *   avoidance with ssthresh = cwnd (`done` becomes true and the increase of that ACK is 0).
 * - §4.2: loss or ECN-CE in slow start or CSS ends both as the controller's congestion event
 *   does; the controller calls `stop()`.
 * - Application-limited acknowledgements (RFC 9002 §7.8) are not given to HyStart++: they grow
 *   nothing, and a round they would have ended ends at the next acknowledgement that is not.
 * - §4.2 L: "A paced TCP implementation SHOULD use L = infinity". tquic paces every path
 *   (recovery/pacer.ts), and the growth is asked per acknowledged packet anyway, so the
 *   min(N, L·SMSS) limit never applies.
 * - §4.3: "An implementation SHOULD use HyStart++ only for the initial slow start (when the
 *   ssthresh is at its initial value of arbitrarily high ...)": once stopped (or done) it stays
 *   off, and the controllers call it only while ssthresh is ∞.
 *
 * Times are µs (util/time.ts), windows bytes. The CSS growth keeps the remainder of the
 * division, so the increases are whole bytes and their sum is exactly bytes/4.
 */
import type { Duration, Instant } from '../../util/time.js';
import type { RttEstimator } from '../rtt.js';

/** RFC 9406 §4.3 MIN_RTT_THRESH: 4 ms. */
export const MIN_RTT_THRESH: Duration = 4_000;
/** RFC 9406 §4.3 MAX_RTT_THRESH: 16 ms. */
export const MAX_RTT_THRESH: Duration = 16_000;
/** RFC 9406 §4.3 MIN_RTT_DIVISOR. */
export const MIN_RTT_DIVISOR = 8;
/** RFC 9406 §4.3 N_RTT_SAMPLE: RTT samples a round needs before its minimum is judged. */
export const N_RTT_SAMPLE = 8;
/** RFC 9406 §4.3 CSS_GROWTH_DIVISOR. */
export const CSS_GROWTH_DIVISOR = 4;
/** RFC 9406 §4.3 CSS_ROUNDS: the most rounds CSS lasts. */
export const CSS_ROUNDS = 5;

/** RFC 9406 §4.2 RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)). */
export function rttThresh(lastRoundMinRtt: Duration): Duration {
  const t = lastRoundMinRtt / MIN_RTT_DIVISOR;
  return t < MIN_RTT_THRESH ? MIN_RTT_THRESH : t > MAX_RTT_THRESH ? MAX_RTT_THRESH : t;
}

/** 'slow-start': standard slow start with HyStart++ watching; 'css'; 'done': HyStart++ is over. */
export type HyStartPhase = 'slow-start' | 'css' | 'done';

export class HyStart {
  phase: HyStartPhase = 'slow-start';
  /** §4.2 lastRoundMinRTT, currentRoundMinRTT (∞: none yet), rttSampleCount. */
  lastRoundMinRtt: Duration = Infinity;
  currentRoundMinRtt: Duration = Infinity;
  rttSampleCount = 0;
  /** §4.2 windowEnd, as a send time; undefined until a packet is sent in the new round. */
  windowEnd: Instant | undefined = undefined;
  /** §4.2 cssBaselineMinRtt (∞ outside CSS). */
  cssBaselineMinRtt: Duration = Infinity;
  /** Rounds ended since CSS began (the partial first round included). */
  cssRounds = 0;
  /** Rounds ended so far (for tests and diagnostics). */
  rounds = 0;
  /** CSS: acknowledged bytes not yet turned into window (the remainder of the division). */
  private cssAcked = 0;
  private lastSampleAt: Instant = -Infinity;

  get inCss(): boolean {
    return this.phase === 'css';
  }

  /** HyStart++ is over: CSS ended in congestion avoidance, or a congestion event stopped it. */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** An in-flight packet was sent: the first one after a round ended marks the new round's end (§4.2 windowEnd = SND.NXT). */
  onPacketSent(now: Instant): void {
    if (this.windowEnd === undefined && this.phase !== 'done') this.windowEnd = now;
  }

  /**
   * One acknowledged in-flight packet of `bytes`, sent at `timeSent`, during the initial slow
   * start (the controller's window not app-limited). Returns by how much the window grows: all
   * of `bytes` in slow start, a quarter in CSS, and 0 when this acknowledgement completes CSS —
   * `done` is then true and the caller enters congestion avoidance with ssthresh = cwnd.
   */
  onPacketAcked(now: Instant, bytes: number, timeSent: Instant, rtt: RttEstimator): number {
    if (this.phase === 'done') return bytes;
    // §4.2: the round ends when windowEnd is acknowledged.
    if (this.windowEnd !== undefined && timeSent >= this.windowEnd) {
      this.rounds++;
      this.windowEnd = undefined;
      if (this.phase === 'css' && ++this.cssRounds >= CSS_ROUNDS) {
        // §4.2: "If CSS_ROUNDS rounds are complete, enter congestion avoidance".
        this.phase = 'done';
        return 0;
      }
      this.lastRoundMinRtt = this.currentRoundMinRtt;
      this.currentRoundMinRtt = Infinity;
      this.rttSampleCount = 0;
    }
    // §4.2: keep track of the minimum observed RTT, one sample per ACK that took one.
    if (rtt.hasSample && now !== this.lastSampleAt && now - timeSent === rtt.latest) {
      this.lastSampleAt = now;
      if (rtt.latest < this.currentRoundMinRtt) this.currentRoundMinRtt = rtt.latest;
      this.rttSampleCount++;
      if (this.rttSampleCount >= N_RTT_SAMPLE) {
        if (this.phase === 'slow-start') {
          // §4.2: a delay increase of at least RttThresh over the last round exits to CSS.
          if (this.lastRoundMinRtt !== Infinity && this.currentRoundMinRtt >= this.lastRoundMinRtt + rttThresh(this.lastRoundMinRtt)) {
            this.phase = 'css';
            this.cssBaselineMinRtt = this.currentRoundMinRtt;
            this.cssRounds = 0;
            this.cssAcked = 0;
          }
        } else if (this.currentRoundMinRtt < this.cssBaselineMinRtt) {
          // §4.2: the RTT fell below the baseline: the exit was spurious, slow start resumes.
          this.phase = 'slow-start';
          this.cssBaselineMinRtt = Infinity;
        }
      }
    }
    if (this.phase === 'slow-start') return bytes;
    // §4.2 CSS: cwnd += min(N, L·SMSS) / CSS_GROWTH_DIVISOR, the remainder kept for later.
    this.cssAcked += bytes;
    const inc = Math.floor(this.cssAcked / CSS_GROWTH_DIVISOR);
    this.cssAcked -= inc * CSS_GROWTH_DIVISOR;
    return inc;
  }

  /** A congestion event (loss, ECN-CE) or persistent congestion: slow start and CSS end for good (§4.2, §4.3). */
  stop(): void {
    this.phase = 'done';
    this.windowEnd = undefined;
    this.cssBaselineMinRtt = Infinity;
  }
}
