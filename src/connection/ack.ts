/**
 * Received packet numbers of one packet-number space and when to acknowledge them
 * (RFC 9000 §13.2). Ranges come from a RangeSet capped in length (§13.2.3: old ranges may be
 * forgotten); ranges already acknowledged by an acknowledged ACK are pruned (§13.2.4).
 */
import { RangeSet } from '../util/rangeset.js';
import type { Duration, Instant } from '../util/time.js';
import type { AckFrame, AckRange, PathAckFrame } from '../wire/frame.js';

/**
 * Upper bound on ACK ranges we keep and send (bounded memory and ACK frame size; RFC 9000
 * §13.2.3 lets a receiver forget the oldest; a peer leaving a gap after every packet cannot grow
 * them). Packets below the forgotten ranges are dropped as possible duplicates (§12.3).
 */
export const MAX_ACK_RANGES = 64;

export class AckManager {
  readonly received = new RangeSet(MAX_ACK_RANGES);
  /** Arrival time of the largest packet number, for the ACK Delay field (§19.3). */
  private largestTime: Instant = 0;
  /** Ack-eliciting packets received since the last ACK we sent. */
  private elicitingSinceAck = 0;
  /** When an ACK must be sent at the latest, or undefined. */
  deadline: Instant | undefined;
  /** An ACK should go out with the next packet of this space. */
  ackNow = false;
  /** Packets arrived since the last ACK we sent (worth piggybacking an ACK on outgoing data). */
  newSinceAck = false;
  /** ECN counts of packets received in this space (§13.4.1). */
  ect0 = 0;
  ect1 = 0;
  ce = 0;

  constructor(
    /** §13.2.1: Initial and Handshake packets are acknowledged immediately. */
    private readonly immediate: boolean,
    /** Our max_ack_delay, µs. */
    private readonly maxAckDelay: Duration,
    /** §13.2.2: acknowledge at least every this many ack-eliciting packets. */
    private readonly ackElicitingThreshold = 2,
  ) {}

  /** Packet numbers below this are no longer tracked and are treated as duplicates (§13.2.4). */
  private ignoreBelow = 0;

  /**
   * True if `pn` was already received, or may have been (a duplicate to drop, §12.3: "MUST
   * discard ... unless it is certain that it has not processed another packet with the same
   * packet number"): below the ranges forgotten at MAX_ACK_RANGES nothing is certain.
   */
  isDuplicate(pn: number): boolean {
    return pn < this.ignoreBelow || pn < this.received.forgottenBelow || this.received.has(pn);
  }

  get largest(): number | undefined {
    return this.received.max;
  }

  /** Records a processed packet (§13.2.1). */
  onPacketReceived(now: Instant, pn: number, ackEliciting: boolean, ecn?: 'not-ect' | 'ect0' | 'ect1' | 'ce'): void {
    const prevLargest = this.received.max;
    // §13.2.1: a packet below the largest, or one that leaves a gap, is acknowledged at once.
    const outOfOrder = prevLargest !== undefined && (pn < prevLargest || pn > prevLargest + 1);
    this.received.add(pn);
    if (prevLargest === undefined || pn > prevLargest) this.largestTime = now;
    this.newSinceAck = true;
    if (ecn === 'ect0') this.ect0++;
    else if (ecn === 'ect1') this.ect1++;
    else if (ecn === 'ce') this.ce++;
    if (!ackEliciting) return;
    this.elicitingSinceAck++;
    if (this.immediate || outOfOrder || ecn === 'ce' || this.elicitingSinceAck >= this.ackElicitingThreshold) {
      this.ackNow = true;
    } else if (this.deadline === undefined) {
      this.deadline = now + this.maxAckDelay;
    }
  }

  /** The ACK timer fired. */
  onTimeout(now: Instant): void {
    if (this.deadline !== undefined && now >= this.deadline) {
      this.ackNow = true;
      this.deadline = undefined;
    }
  }

  /** Whether an ACK frame has anything to say. */
  get hasRanges(): boolean {
    return !this.received.isEmpty;
  }

  /**
   * An ACK frame for what we have received, ack delay encoded with `exponent` (§19.3). Ranges
   * are listed from the largest down.
   */
  /**
   * The ACK frame for what was received. The frame object and its ranges are reused by the next
   * call (DESIGN §4 rule 2): encode it (or copy what you need) before building another.
   */
  buildFrame(now: Instant, exponent: number): AckFrame | PathAckFrame {
    const frame = this.frame;
    const ranges = frame.ranges as AckRange[];
    const pool = this.rangePool;
    const n = this.received.rangeCount;
    ranges.length = 0;
    for (let i = n - 1, k = 0; i >= 0; i--, k++) {
      let r = pool[k];
      if (r === undefined) {
        r = { smallest: 0, largest: 0 };
        pool.push(r);
      }
      r.smallest = this.received.start(i);
      r.largest = this.received.end(i) - 1;
      ranges.push(r);
    }
    const delay = Math.max(0, now - this.largestTime);
    frame.ackDelay = Math.floor(delay / 2 ** exponent);
    if (this.ect0 + this.ect1 + this.ce > 0) {
      const e = (frame.ecn ??= { ect0: 0, ect1: 0, ce: 0 });
      e.ect0 = this.ect0;
      e.ect1 = this.ect1;
      e.ce = this.ce;
    } else {
      frame.ecn = undefined;
    }
    return frame;
  }

  private readonly frame: AckFrame | PathAckFrame = { kind: 'ack', ranges: [], ackDelay: 0, ecn: undefined };

  /**
   * multipath-21 §4.1: from now on `buildFrame` gives PATH_ACK frames for path `pathId` (the
   * space of a path once multipath is negotiated).
   */
  usePathAck(pathId: number): void {
    const f = this.frame as unknown as { kind: string; pathId?: number };
    f.kind = 'path_ack';
    f.pathId = pathId;
  }
  private readonly rangePool: AckRange[] = [];

  /** An ACK frame was sent: the timer and counters restart. */
  onAckSent(): void {
    this.ackNow = false;
    this.newSinceAck = false;
    this.deadline = undefined;
    this.elicitingSinceAck = 0;
  }

  /** §13.2.4: our ACK up to `largest` was acknowledged; older ranges need not be repeated. */
  onAckAcked(largest: number): void {
    // Keep the largest acknowledged range so duplicates are still detected.
    const keepFrom = Math.min(largest, this.received.max ?? largest);
    let startOfTop = keepFrom;
    const rs = this.received;
    for (let i = rs.rangeCount - 1; i >= 0; i--) {
      const s = rs.start(i);
      if (s <= keepFrom && keepFrom < rs.end(i)) {
        startOfTop = s;
        break;
      }
    }
    if (startOfTop > this.ignoreBelow) {
      this.received.removeBelow(startOfTop);
      this.ignoreBelow = startOfTop;
    }
  }
}
