/**
 * Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation, the sampler BBR is
 * built on; draft-ietf-ccwg-bbr §4.5.2 names its fields): every in-flight packet is stamped when
 * sent with the connection's delivery state, and an ACK turns the newest packet it acknowledges
 * into a rate sample — bytes delivered between that packet's send and its acknowledgement over
 * the longer of the send and ACK intervals. Application-limited periods mark their samples so
 * that a controller does not take them as the path's rate.
 *
 * One estimator per path (its LossRecovery). No allocation: the sample is a reused object.
 */
import type { Instant } from '../util/time.js';
import type { RateSample } from './cc/types.js';
import type { SentPacket } from './history.js';

export class DeliveryRateEstimator {
  /** C.delivered: bytes delivered so far. */
  delivered = 0;
  /** C.delivered_time: when `delivered` last grew. */
  deliveredTime: Instant = 0;
  /** C.first_sent_time: send time of the packet that started the current sampling interval. */
  firstSentTime: Instant = 0;
  /** C.app_limited: nonzero while the pipe is not full because the application had no data (the `delivered` mark it ends at). */
  appLimitedUntil = 0;
  /** C.lost: bytes declared lost so far (BBR's loss-rate model). */
  lost = 0;
  /** The sample of the last ACK. */
  readonly sample: RateSample = { deliveryRate: 0, interval: 0, delivered: 0, priorDelivered: 0, totalDelivered: 0, isAppLimited: false, rtt: 0, txInFlight: 0, lost: 0 };
  // The newest packet acknowledged by the ACK being processed (the rs.prior_* fields).
  private hasPrior = false;
  private sendElapsed = 0;
  private ackElapsed = 0;
  private priorDelivered = 0;
  private priorSent: Instant = 0;
  private priorAppLimited = false;
  private priorTxInFlight = 0;
  private priorLost = 0;

  /** §3.2 upon sending a packet: stamp it (`bytesInFlight` before it was added). */
  onPacketSent(p: SentPacket<unknown>, bytesInFlightBefore: number): void {
    if (bytesInFlightBefore === 0) {
      this.firstSentTime = p.timeSent;
      this.deliveredTime = p.timeSent;
    }
    p.firstSentTime = this.firstSentTime;
    p.deliveredTime = this.deliveredTime;
    p.delivered = this.delivered;
    p.isAppLimited = this.appLimitedUntil !== 0;
    p.txInFlight = bytesInFlightBefore + p.size;
    p.lostAtSend = this.lost;
  }

  /**
   * §3.3 the sender has no data to send while the window has room: samples until what is in
   * flight now is delivered are application-limited.
   */
  onAppLimited(bytesInFlight: number): void {
    this.appLimitedUntil = Math.max(this.delivered + bytesInFlight, 1);
  }

  /** Starts the processing of one ACK. */
  beginAck(): void {
    this.hasPrior = false;
  }

  /** §3.3 UpdateRateSample, for each newly acknowledged in-flight packet. */
  onPacketAcked(now: Instant, p: SentPacket<unknown>): void {
    this.delivered += p.size;
    this.deliveredTime = now;
    // The newest packet (the most data delivered when it was sent) gives the sample.
    const d = p.delivered ?? 0;
    if (!this.hasPrior || d > this.priorDelivered || (d === this.priorDelivered && p.timeSent > this.priorSent)) {
      this.hasPrior = true;
      this.priorDelivered = p.delivered ?? 0;
      this.priorSent = p.timeSent;
      this.priorAppLimited = p.isAppLimited === true;
      this.priorTxInFlight = p.txInFlight ?? 0;
      this.priorLost = p.lostAtSend ?? 0;
      this.sendElapsed = p.timeSent - (p.firstSentTime ?? p.timeSent);
      this.ackElapsed = now - (p.deliveredTime ?? p.timeSent);
      this.firstSentTime = p.timeSent;
    }
  }

  /** Bytes declared lost (for the next samples' `lost`). */
  onPacketLost(bytes: number): void {
    this.lost += bytes;
  }

  /** §3.3 GenerateRateSample, after the ACK's packets: the sample, or undefined when none. */
  endAck(now: Instant): RateSample | undefined {
    // Clear the app-limited mark once the bubble is delivered.
    if (this.appLimitedUntil !== 0 && this.delivered > this.appLimitedUntil) this.appLimitedUntil = 0;
    if (!this.hasPrior) return undefined;
    const s = this.sample;
    // §3.3: the longer of the send and ACK intervals, so that ACK compression cannot inflate the rate.
    const interval = Math.max(this.sendElapsed, this.ackElapsed);
    s.delivered = this.delivered - this.priorDelivered;
    s.interval = interval;
    s.priorDelivered = this.priorDelivered;
    s.totalDelivered = this.delivered;
    s.isAppLimited = this.priorAppLimited;
    s.rtt = now - this.priorSent;
    s.txInFlight = this.priorTxInFlight;
    s.lost = this.lost - this.priorLost;
    // An interval shorter than the minimum RTT would not be a meaningful rate; the caller's
    // controller decides (BBR ignores samples with interval 0).
    s.deliveryRate = interval > 0 ? (s.delivered * 1e6) / interval : 0;
    return s;
  }
}
