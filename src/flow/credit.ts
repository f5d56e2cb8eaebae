/**
 * Flow-control credit (DESIGN §2, layer 2): one pair of types serves connection data limits
 * (MAX_DATA), stream data limits (MAX_STREAM_DATA) and stream-count limits (MAX_STREAMS).
 *
 * - `SendCredit` is what the peer allows us: a limit that only grows (RFC 9000 §4.1: "A sender
 *   MUST ignore any MAX_STREAM_DATA or MAX_DATA frames that do not increase flow control
 *   limits"; §4.6 the same for MAX_STREAMS) and the amount used so far, plus the bookkeeping for
 *   the *_BLOCKED signal (§4.1, §13.3: one per limit, re-sent only if lost while still blocked).
 * - `RecvWindow` is what we allow the peer: the advertised limit, the highest offset received
 *   (or stream count opened), what the application consumed, and a window that auto-tunes.
 *
 * All values are plain numbers (absolute byte offsets or stream counts); no allocation.
 */
import type { Duration, Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';

/** What the peer allows us to send (or open). */
export class SendCredit {
  limit: number;
  used = 0;
  /** The limit at which a *_BLOCKED frame was last sent, or -1. */
  private blockedAt = -1;

  constructor(limit: number) {
    this.limit = limit;
  }

  get available(): number {
    return this.limit > this.used ? this.limit - this.used : 0;
  }

  /** Uses `n` units of credit. Exceeding the limit is a bug in the caller, never the peer's fault. */
  consume(n: number): void {
    if (n < 0 || this.used + n > this.limit) {
      throw new RangeError(`flow credit exceeded: used ${this.used} + ${n} > limit ${this.limit}`);
    }
    this.used += n;
  }

  /**
   * MAX_DATA / MAX_STREAM_DATA / MAX_STREAMS: raises the limit. Returns true if it grew; smaller
   * or equal values are ignored (RFC 9000 §4.1, §19.11).
   */
  raise(newLimit: number): boolean {
    if (!(newLimit > this.limit)) return false;
    this.limit = newLimit;
    return true;
  }

  /**
   * Whether a *_BLOCKED frame should be sent now: blocked at the current limit and not yet
   * reported for it (RFC 9000 §4.1 "SHOULD send"; §13.3 one frame per limit).
   */
  get shouldSendBlocked(): boolean {
    return this.used >= this.limit && this.blockedAt !== this.limit;
  }

  /** Records that a *_BLOCKED frame carrying the current limit was sent. */
  markBlockedSent(): void {
    this.blockedAt = this.limit;
  }

  /**
   * A packet carrying a *_BLOCKED frame was lost. RFC 9000 §13.3: "A new frame is sent if a
   * packet containing the most recent frame for a scope is lost, but only while the endpoint is
   * blocked on the corresponding limit." `limit` is the value the lost frame carried, if known.
   */
  onBlockedLost(limit?: number): void {
    if (limit !== undefined && limit !== this.limit) return;
    if (this.blockedAt === this.limit) this.blockedAt = -1;
  }
}

/** What we allow the peer to send (or open), with window auto-tuning. */
export class RecvWindow {
  /** The advertised limit (absolute offset or count). */
  limit: number;
  /** Highest end offset (or count) received so far. */
  received = 0;
  /** Delivered to the application (or, for stream counts, streams closed). */
  consumed = 0;
  /** The current window: the credit granted beyond `consumed` at each update. */
  window: number;
  /** The auto-tuning cap. */
  readonly max: number;
  /** When the last update was computed, or -1 before the first. */
  private lastUpdate: Instant = -1;

  constructor(o: { initial: number; max: number }) {
    this.limit = o.initial;
    this.window = o.initial;
    this.max = Math.max(o.max, o.initial);
  }

  /**
   * Data up to `endOffset` (or a stream count) arrived. Throws FLOW_CONTROL_ERROR carrying
   * `frameType` if it exceeds the advertised limit (RFC 9000 §4.1). Returns how many units are
   * new (0 for a retransmission or a lower offset), so callers account each byte once.
   */
  onReceive(endOffset: number, frameType: number): number {
    if (endOffset > this.limit) {
      throw new TransportError(
        ErrorCode.FLOW_CONTROL_ERROR,
        frameType,
        `flow control: offset ${endOffset} exceeds limit ${this.limit}`,
      );
    }
    if (endOffset <= this.received) return 0;
    const n = endOffset - this.received;
    this.received = endOffset;
    return n;
  }

  onConsume(n: number): void {
    this.consumed += n;
  }

  /**
   * RFC 9000 §4.2: send an update when the remaining credit (limit − consumed) has fallen to
   * half the window or below, so the peer is never blocked for want of a MAX_* frame and updates
   * are not sent for every small read.
   */
  shouldUpdate(): boolean {
    const next = this.consumed + this.window;
    return next > this.limit && this.limit - this.consumed <= this.window / 2;
  }

  /**
   * Computes the new limit to advertise and records it. Auto-tuning (like quic-go and quinn):
   * if the previous update was less than two round trips ago the peer is limited by our window
   * rather than the network, so the window doubles, up to `max`. The limit never shrinks.
   */
  nextLimit(now: Instant, smoothedRtt: Duration): number {
    if (this.lastUpdate >= 0 && smoothedRtt > 0 && now - this.lastUpdate < 2 * smoothedRtt && this.window < this.max) {
      this.window = Math.min(this.window * 2, this.max);
    }
    this.lastUpdate = now;
    const next = this.consumed + this.window;
    if (next > this.limit) this.limit = next;
    return this.limit;
  }

  /**
   * Raises the window to at least `minWindow` (capped at `max`), e.g. keeping the connection
   * window ≥ 1.5 × a stream window that auto-tuning grew (quic-go does the same).
   */
  ensureWindow(minWindow: number): void {
    if (this.window < minWindow) this.window = Math.min(minWindow, this.max);
  }
}
