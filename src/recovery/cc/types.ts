/**
 * The congestion-controller interface (DESIGN §3: controllers come from a registry by name,
 * behind a small interface that takes `now`). The loss recovery (loss.ts) drives it with the
 * RFC 9002 §7 / Appendix B signals: packets sent, packets acknowledged, congestion events (loss
 * or ECN-CE) and persistent congestion. Windows are in bytes.
 */
import type { Instant } from '../../util/time.js';
import type { RttEstimator } from '../rtt.js';

export interface CongestionControllerOptions {
  /** RFC 9002 B.2 max_datagram_size: the sender's current maximum UDP payload (≥ 1200). */
  maxDatagramSize: number;
  /** RFC 9002 §7.2: default 10 → min(10·mds, max(14720, 2·mds)). See `initialWindow`. */
  initialWindowPackets?: number;
  /** RFC 9002 §7.2: kMinimumWindow in packets, default 2. */
  minimumWindowPackets?: number;
  /**
   * HyStart++ (RFC 9406, cc/hystart.ts) in the initial slow start of the Reno-family controllers
   * (newreno, cubic); others ignore it. Absent: off (the connection passes its transport setting
   * `hystart`).
   */
  hystart?: boolean;
  /**
   * Seed of the controller's own randomness (BBRv3's probe timing, for one), so runs replay.
   * The connection derives one per path from its seed, so two flows do not draw in lockstep.
   */
  seed?: number;
}

/**
 * A delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation §3.3, as BBR uses it): what
 * one ACK says about the path. Built by `DeliveryRateEstimator` (recovery/rate-sample.ts) from
 * the newest packet the ACK newly acknowledged.
 */
export interface RateSample {
  /** Bytes per second delivered over `interval`; 0 when no valid sample (interval 0). */
  deliveryRate: number;
  /** The sample's interval (µs): the longer of the send and the ACK intervals. */
  interval: number;
  /** Bytes delivered over `interval`. */
  delivered: number;
  /** C.delivered when the newest acknowledged packet was sent (P.delivered). */
  priorDelivered: number;
  /** The connection's total delivered bytes after this ACK (C.delivered). */
  totalDelivered: number;
  /** The sample was taken while the sender was application-limited (so it may underestimate). */
  isAppLimited: boolean;
  /** RTT of the newest acknowledged packet, µs (now − its send time). */
  rtt: number;
  /** Bytes in flight when the newest acknowledged packet was sent (P.tx_in_flight, BBR). */
  txInFlight: number;
  /** Bytes lost between that packet's sending and now (C.lost − P.lost, BBR's loss rate). */
  lost: number;
}

/**
 * Everything one ACK frame brought, after its packets were processed one by one
 * (`onPacketAcked`) and its losses reported (`onCongestionEvent`): for model-based controllers
 * (BBR) and for scalable ECN controllers (Prague), which react to the fraction of CE marks.
 */
export interface AckEvent {
  /** Bytes newly acknowledged (in-flight packets only). */
  ackedBytes: number;
  /** Bytes declared lost while processing this ACK. */
  lostBytes: number;
  /** Bytes in flight after the ACK. */
  bytesInFlight: number;
  /** The delivery-rate sample, when the ACK newly acknowledged an in-flight packet. */
  sample: RateSample | undefined;
  /**
   * ECN (RFC 9000 §13.4.1): how much the peer's CE counter grew with this ACK, and how many
   * newly acknowledged packets were sent ECN-capable (ECT(0) or ECT(1)); both 0 without ECN.
   */
  ceDelta: number;
  ectAcked: number;
  /** The sender is application-limited (RFC 9002 §7.8). */
  appLimited: boolean;
}

export interface CongestionController {
  readonly name: string;
  /** congestion_window, bytes (may be fractional for controllers that grow by fractions). */
  readonly cwnd: number;
  /** Slow start threshold, bytes (Infinity initially). */
  readonly ssthresh: number;
  readonly inSlowStart: boolean;
  /** A congestion recovery period is ongoing (RFC 9002 §7.3.2). */
  readonly inRecovery: boolean;
  /** A packet counted in flight was sent; `bytesInFlight` already includes it. */
  onPacketSent(now: Instant, bytes: number, bytesInFlight: number): void;
  /** One acknowledged in-flight packet (§7.3.3, B.5). appLimited: the sender was not using the window (§7.8). */
  onPacketAcked(now: Instant, bytes: number, timeSent: Instant, rtt: RttEstimator, appLimited: boolean): void;
  /** A loss or ECN-CE congestion event for a packet sent at timeSent (§7.3.2, B.6): at most one reduction per recovery period. */
  onCongestionEvent(now: Instant, timeSent: Instant, rtt: RttEstimator): void;
  /** §7.6.2: collapse to the minimum window. */
  onPersistentCongestion(now: Instant): void;
  /**
   * The path's max_datagram_size changed (PMTU discovery, RFC 9002 §7.2): later growth and the
   * minimum window use the new size.
   */
  setMaxDatagramSize?(maxDatagramSize: number): void;
  /** Bytes per second to pace at, or undefined (use the default: 1.25·cwnd/smoothed_rtt, §7.7). */
  pacingRate?(rtt: RttEstimator): number | undefined;
  /** Optional: called once per ACK frame after the per-packet calls (BBR's model, Prague's α). */
  onAckEvent?(now: Instant, e: AckEvent, rtt: RttEstimator): void;
  /** Optional: each packet declared lost, with its size and send time (BBR's loss model). */
  onPacketLost?(now: Instant, bytes: number, timeSent: Instant): void;
  /**
   * Scalable ECN (L4S, RFC 9330–9332): 'ect1' makes the sender mark its packets ECT(1) instead
   * of ECT(0) once ECN is validated, and a CE increase is then reported only through
   * `onAckEvent` (`ceDelta`), not as a classic congestion event. Absent: ECT(0), classic.
   */
  readonly ecnCodepoint?: 'ect0' | 'ect1';
}

export type CongestionControllerFactory = (o: CongestionControllerOptions) => CongestionController;

/**
 * RFC 9002 §7.2 kInitialWindow: "ten times the maximum datagram size, while limiting the window
 * to the larger of 14,720 bytes or twice the maximum datagram size". For n packets the byte cap
 * scales the same way (14,720 = 10 · 1,472), so n = 10 is exactly the RFC value.
 */
export function initialWindow(maxDatagramSize: number, packets = 10): number {
  const cap = Math.max(packets * 1472, 2 * maxDatagramSize);
  return Math.min(packets * maxDatagramSize, cap);
}

/** RFC 9002 §7.2 kMinimumWindow: 2 · max_datagram_size by default. */
export function minimumWindow(maxDatagramSize: number, packets = 2): number {
  return packets * maxDatagramSize;
}

/** Checks the options (programming errors → RangeError). */
export function checkOptions(o: CongestionControllerOptions): void {
  if (!Number.isInteger(o.maxDatagramSize) || o.maxDatagramSize <= 0) throw new RangeError(`maxDatagramSize must be a positive integer, got ${o.maxDatagramSize}`);
  if (o.initialWindowPackets !== undefined && !(o.initialWindowPackets >= 1)) throw new RangeError(`initialWindowPackets must be ≥ 1, got ${o.initialWindowPackets}`);
  if (o.minimumWindowPackets !== undefined && !(o.minimumWindowPackets >= 1)) throw new RangeError(`minimumWindowPackets must be ≥ 1, got ${o.minimumWindowPackets}`);
}
