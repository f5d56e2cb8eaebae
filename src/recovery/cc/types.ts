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
