/**
 * Stream concurrency (RFC 9000 §4.6): how many streams of each direction we may open (the
 * peer's initial_max_streams_* and MAX_STREAMS) and how many the peer may open (ours), with the
 * MAX_STREAMS / STREAMS_BLOCKED frames that go with them (§19.11, §19.14, §13.3).
 *
 * Both use the flow/ credit types, counting streams instead of bytes: a SendCredit whose `used`
 * is the number of streams we opened, and a RecvWindow whose `received` is the number of
 * streams the peer opened and `consumed` the number that closed, so MAX_STREAMS is re-advertised
 * when half the window was used by closed streams (RecvWindow.shouldUpdate).
 */
import { RecvWindow, SendCredit } from '../flow/credit.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { isBidi, isLocal, streamIndex, type StreamId } from './id.js';
import type { ControlFrame, StreamToken } from './types.js';

/** Index of the per-direction arrays. */
export const dir = (bidi: boolean): 0 | 1 => (bidi ? 0 : 1);

export class StreamCounts {
  /** Streams we may open (`used` = opened so far). */
  private readonly local: [SendCredit, SendCredit] = [new SendCredit(0), new SendCredit(0)];
  private readonly openRefused: [boolean, boolean] = [false, false];
  /** Streams the peer may open: limit = our MAX_STREAMS, received = opened, consumed = closed. */
  private readonly remote: [RecvWindow, RecvWindow];
  private readonly maxStreamsPending: [boolean, boolean] = [false, false];

  constructor(
    private readonly isClient: boolean,
    maxStreamsBidi: number,
    maxStreamsUni: number,
  ) {
    this.remote = [
      new RecvWindow({ initial: maxStreamsBidi, max: maxStreamsBidi }),
      new RecvWindow({ initial: maxStreamsUni, max: maxStreamsUni }),
    ];
  }

  /** Allocates the index of a new local stream, or records the refusal (→ STREAMS_BLOCKED). */
  tryOpen(bidi: boolean): number | undefined {
    const d = dir(bidi);
    const c = this.local[d];
    if (c.available <= 0) {
      this.openRefused[d] = true;
      return undefined;
    }
    const index = c.used;
    c.consume(1);
    return index;
  }

  /**
   * The peer's limit grew (transport parameter or MAX_STREAMS; smaller values are ignored,
   * §19.11). Returns true when an earlier open() was refused, i.e. 'available' is due.
   */
  /**
   * RFC 9001 §4.6.2: 0-RTT was rejected and the peer's real limit replaces a remembered one,
   * possibly lower (never below the streams already opened).
   */
  resetLocal(bidi: boolean, maximum: number): void {
    const c = this.local[dir(bidi)];
    c.limit = Math.max(c.used, maximum);
  }

  raiseLocal(bidi: boolean, maximum: number): boolean {
    const d = dir(bidi);
    if (this.local[d].raise(maximum) && this.openRefused[d]) {
      this.openRefused[d] = false;
      return true;
    }
    return false;
  }

  /**
   * A frame names stream `id`, which we do not hold. Returns the index of the first peer stream
   * to create (all of [result, index(id)] are new, §3.2), or -1 for a stream already closed.
   * Throws STREAM_STATE_ERROR for a local stream never opened (§19.5, §19.8, §19.10) and
   * STREAM_LIMIT_ERROR for a peer stream beyond our limit (§4.6).
   */
  admit(id: StreamId, frameType: number): number {
    const d = dir(isBidi(id));
    const index = streamIndex(id);
    if (isLocal(id, this.isClient)) {
      if (index >= this.local[d].used) {
        throw new TransportError(ErrorCode.STREAM_STATE_ERROR, frameType, `stream ${id} was not opened locally`);
      }
      return -1;
    }
    const w = this.remote[d];
    if (index < w.received) return -1;
    if (index >= w.limit) {
      throw new TransportError(ErrorCode.STREAM_LIMIT_ERROR, frameType, `stream ${id} exceeds the limit of ${w.limit} streams`);
    }
    const first = w.received;
    w.onReceive(index + 1, frameType);
    return first;
  }

  /** Whether stream `id` was opened at some point (by either side). */
  wasOpened(id: StreamId): boolean {
    const d = dir(isBidi(id));
    const index = streamIndex(id);
    return isLocal(id, this.isClient) ? index < this.local[d].used : index < this.remote[d].received;
  }

  /** A peer stream closed: one unit of credit goes back to the peer (§4.6). */
  onRemoteClosed(bidi: boolean): void {
    this.remote[dir(bidi)].onConsume(1);
  }

  /** Our current MAX_STREAMS for the peer's streams. */
  remoteLimit(bidi: boolean): number {
    return this.remote[dir(bidi)].limit;
  }

  /** Appends due MAX_STREAMS frames. */
  pushMaxStreams(now: Instant, out: ControlFrame[]): void {
    for (let d = 0; d < 2; d++) {
      const w = this.remote[d]!;
      if (w.shouldUpdate()) {
        w.nextLimit(now, 0);
        this.maxStreamsPending[d] = true;
      }
      if (this.maxStreamsPending[d]) {
        const bidi = d === 0;
        const maximum = w.limit;
        out.push({ frame: { kind: 'max_streams', bidi, maximum }, token: { kind: 'max_streams', bidi, maximum } });
      }
    }
  }

  /** Appends due STREAMS_BLOCKED frames (§4.6 "SHOULD send"; once per limit). */
  pushStreamsBlocked(out: ControlFrame[]): void {
    for (let d = 0; d < 2; d++) {
      if (!this.blockedDue(d)) continue;
      const bidi = d === 0;
      const limit = this.local[d]!.limit;
      out.push({ frame: { kind: 'streams_blocked', bidi, limit }, token: { kind: 'streams_blocked', bidi, limit } });
    }
  }

  hasPendingControl(): boolean {
    for (let d = 0; d < 2; d++) {
      if (this.maxStreamsPending[d] || this.remote[d]!.shouldUpdate() || this.blockedDue(d)) return true;
    }
    return false;
  }

  onControlSent(token: Extract<StreamToken, { kind: 'max_streams' | 'streams_blocked' }>): void {
    if (token.kind === 'max_streams') this.maxStreamsPending[dir(token.bidi)] = false;
    else this.local[dir(token.bidi)].markBlockedSent();
  }

  /** §13.3: resend MAX_STREAMS if the lost one was the latest; STREAMS_BLOCKED while still blocked. */
  onLost(token: Extract<StreamToken, { kind: 'max_streams' | 'streams_blocked' }>): void {
    const d = dir(token.bidi);
    if (token.kind === 'max_streams') {
      if (token.maximum === undefined || token.maximum >= this.remote[d].limit) this.maxStreamsPending[d] = true;
    } else {
      this.local[d].onBlockedLost(token.limit);
    }
  }

  private blockedDue(d: number): boolean {
    return this.openRefused[d]! && this.local[d]!.shouldSendBlocked;
  }
}
