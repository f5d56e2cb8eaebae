/**
 * The sending part of a stream (RFC 9000 §3.1) with its send buffer.
 *
 *        o
 *        | Create Stream (Sending) / Peer Creates Bidirectional Stream
 *        v
 *    +-------+
 *    | Ready | Send RESET_STREAM
 *    +-------+-----------------------.
 *        | Send STREAM / STREAM_DATA_BLOCKED
 *        v                           |
 *    +-------+                       |
 *    | Send  | Send RESET_STREAM     |
 *    +-------+---------------------->|
 *        | Send STREAM + FIN         |
 *        v                           v
 *    +-------+                   +-------+
 *    | Data  | Send RESET_STREAM | Reset |
 *    | Sent  |------------------>| Sent  |
 *    +-------+                   +-------+
 *        | Recv All ACKs             | Recv ACK
 *        v                           v
 *    +-------+                   +-------+
 *    | Data  |                   | Reset |
 *    | Recvd |                   | Recvd |
 *    +-------+                   +-------+
 *
 * The send buffer keeps **references** to the application's buffers (no copy; DESIGN §4 "one
 * copy on transmit" — the connection copies once, into the datagram). Writes smaller than
 * COALESCE_BELOW bytes are the exception: they are copied into a shared block so that many tiny
 * writes do not become many tiny STREAM frames. Bytes are released once acknowledged
 * contiguously from the start; `acked` remembers acknowledged ranges above that point so that
 * spuriously "lost" data is not retransmitted (§13.3), and `lost` holds ranges to retransmit.
 */
import { SendCredit } from '../flow/credit.js';
import { RangeSet } from '../util/rangeset.js';
import type { StreamId } from './id.js';
import { DEFAULT_URGENCY, type Schedulable } from './scheduler.js';
import { StreamStoppedError, type ControlFrame } from './types.js';

export type SendState = 'ready' | 'send' | 'data_sent' | 'data_recvd' | 'reset_sent' | 'reset_recvd';

/** Writes below this size are coalesced by copying into a shared block. */
export const COALESCE_BELOW = 256;
const BLOCK_SIZE = 4096;

interface Chunk {
  offset: number;
  data: Uint8Array;
}

/**
 * The scratch result of `next` (reused; valid until the next call): stream bytes
 * [offset, offset + length) are buf[start, start + length). Positions rather than a view, so
 * the builder makes the one view it copies from with the final length (DESIGN §4 rule 2).
 */
export interface SendSlice {
  offset: number;
  buf: Uint8Array;
  start: number;
  length: number;
  fin: boolean;
}

const EMPTY = new Uint8Array(0);

/** Bits returned by onAcked. */
export const ACK_WRITABLE = 1;
export const ACK_FINISHED = 2;

export class SendStream implements Schedulable {
  state: SendState = 'ready';
  /** Stream-level credit from the peer (initial_max_stream_data_*, MAX_STREAM_DATA). */
  readonly credit: SendCredit;
  /** Urgency 0..7, lower first (RFC 9218 style; default 3). Change it via the Scheduler. */
  urgency = DEFAULT_URGENCY;
  /** Scheduler bookkeeping: the urgency FIFO holding this stream, or -1. */
  queuedAt = -1;

  /** Bytes accepted from the application (the next write's offset). */
  writeOffset = 0;
  /** The next offset never sent before; everything below was sent at least once. */
  sentOffset = 0;
  /** Every byte below this was acknowledged (and released). */
  ackedEnd = 0;
  /** The application called finish (or write with fin). The final size is then writeOffset. */
  finRequested = false;
  finSent = false;
  finAcked = false;
  /** A packet carrying the FIN was lost and the FIN is not yet acknowledged. */
  finLost = false;
  /** write() accepted less than offered; emit 'writable' when space frees. */
  writeBlocked = false;

  /** Set once reset: the code and final size of our RESET_STREAM. */
  resetCode = -1;
  finalSize = -1;
  /** A RESET_STREAM frame waits to be sent (first time or after loss). */
  resetPending = false;
  /** Our RESET_STREAM went into a packet: its content is fixed from now on (RFC 9000 §13.3). */
  resetTransmitted = false;
  /** A STREAM_DATA_BLOCKED frame may be due (checked against `credit` when building). */
  blockedWanted = false;
  /** Listed by the manager as waiting for connection credit (MAX_DATA). */
  connBlocked = false;

  private readonly chunks: Chunk[] = [];
  private head = 0;
  private readonly acked = new RangeSet();
  private readonly lost = new RangeSet();
  private tail: Uint8Array | undefined;
  private tailFill = 0;

  constructor(
    readonly id: StreamId,
    creditLimit: number,
    private readonly bufferSize: number,
  ) {
    this.credit = new SendCredit(creditLimit);
  }

  /** Bytes held in the send buffer (written, not yet acknowledged contiguously). */
  get buffered(): number {
    return this.writeOffset - this.ackedEnd;
  }

  get isReset(): boolean {
    return this.state === 'reset_sent' || this.state === 'reset_recvd';
  }

  /** A terminal state (§3.1): "Data Recvd" or "Reset Recvd". */
  get isTerminal(): boolean {
    return this.state === 'data_recvd' || this.state === 'reset_recvd';
  }

  /**
   * Queues `data` (by reference) and returns how many bytes were accepted: at most the free
   * space of the send buffer (backpressure). With `fin`, the stream is finished once all of
   * `data` was accepted.
   */
  write(data: Uint8Array, fin = false): number {
    if (this.isReset) throw new StreamStoppedError(this.id, this.resetCode);
    if (this.finRequested) throw new RangeError(`stream ${this.id}: write after finish`);
    const space = this.bufferSize - this.buffered;
    const n = data.length <= space ? data.length : space > 0 ? space : 0;
    if (n > 0) this.append(n === data.length ? data : data.subarray(0, n));
    if (n < data.length) this.writeBlocked = true;
    else if (fin) this.finRequested = true;
    return n;
  }

  /** Marks the end of the stream (idempotent). */
  finish(): void {
    if (this.isReset) throw new StreamStoppedError(this.id, this.resetCode);
    this.finRequested = true;
  }

  /** Something remains to be (re)transmitted, credit permitting. */
  get hasWork(): boolean {
    if (this.state !== 'ready' && this.state !== 'send' && this.state !== 'data_sent') return false;
    return (
      !this.lost.isEmpty || this.finLost || this.sentOffset < this.writeOffset || (this.finRequested && !this.finSent)
    );
  }

  /** Unsent new data exists but the stream-level credit is exhausted. */
  get blockedByStreamCredit(): boolean {
    return this.sentOffset < this.writeOffset && this.credit.limit <= this.sentOffset;
  }

  /** Whether `next` would return something given `connAvailable` connection credit. */
  canSendNow(connAvailable: number): boolean {
    if (this.state !== 'ready' && this.state !== 'send' && this.state !== 'data_sent') return false;
    if (!this.lost.isEmpty || this.finLost) return true;
    if (this.sentOffset < this.writeOffset) return this.credit.limit > this.sentOffset && connAvailable > 0;
    return this.finRequested && !this.finSent;
  }

  /**
   * The next slice to send: lost ranges first (RFC 9000 §13.3: "Endpoints SHOULD prioritize
   * retransmission of data over sending new data"), then new data bounded by stream and
   * connection credit. The bytes lie in one buffered chunk (`buf`, no copy), never longer than
   * `maxData`. Fills and returns `out`, or undefined.
   */
  next(maxData: number, connAvailable: number, out: SendSlice): SendSlice | undefined {
    if (this.state !== 'ready' && this.state !== 'send' && this.state !== 'data_sent') return undefined;
    if (!this.lost.isEmpty && maxData > 0) {
      const s = this.lost.start(0);
      const e = Math.min(this.lost.end(0), s + maxData);
      return this.slice(s, e, out);
    }
    if (this.finLost && this.lost.isEmpty) {
      // Only the FIN was lost: an empty STREAM frame with FIN at the final size.
      out.offset = this.writeOffset;
      out.buf = EMPTY;
      out.start = 0;
      out.length = 0;
      out.fin = true;
      return out;
    }
    if (this.sentOffset < this.writeOffset) {
      const streamAvail = this.credit.limit - this.sentOffset;
      let n = this.writeOffset - this.sentOffset;
      if (streamAvail < n) n = streamAvail;
      if (connAvailable < n) n = connAvailable;
      if (maxData < n) n = maxData;
      if (n <= 0) return undefined;
      return this.slice(this.sentOffset, this.sentOffset + n, out);
    }
    if (this.finRequested && !this.finSent) {
      out.offset = this.writeOffset;
      out.buf = EMPTY;
      out.start = 0;
      out.length = 0;
      out.fin = true;
      return out;
    }
    return undefined;
  }

  /**
   * The connection sent [offset, offset+length) (+FIN). Returns the number of bytes sent for
   * the first time, which the caller charges to connection credit (retransmissions are free,
   * RFC 9000 §4.1 counts offsets, not transmissions).
   */
  onSent(offset: number, length: number, fin: boolean): number {
    if (this.isReset || this.state === 'data_recvd') return 0;
    const end = offset + length;
    if (!this.lost.isEmpty && length > 0) this.lost.removeRange(offset, end);
    let fresh = 0;
    if (end > this.sentOffset) {
      fresh = end - this.sentOffset;
      this.credit.consume(fresh);
      this.sentOffset = end;
    }
    if (this.state === 'ready') this.state = 'send';
    if (fin && this.finRequested && end === this.writeOffset) {
      this.finSent = true;
      this.finLost = false;
      if (this.state === 'send') this.state = 'data_sent';
    }
    return fresh;
  }

  /** RFC 9000 §3.1: sending STREAM_DATA_BLOCKED moves "Ready" to "Send". */
  onBlockedSent(): void {
    this.credit.markBlockedSent();
    this.blockedWanted = false;
    if (this.state === 'ready') this.state = 'send';
  }

  /** A STREAM frame was acknowledged. Returns ACK_WRITABLE | ACK_FINISHED bits. */
  onAcked(offset: number, length: number, fin: boolean): number {
    if (this.state === 'data_recvd' || this.state === 'reset_recvd') return 0;
    const end = offset + length;
    let result = 0;
    if (end > this.ackedEnd) {
      this.acked.addRange(offset > this.ackedEnd ? offset : this.ackedEnd, end);
      const ce = this.acked.contiguousEnd(this.ackedEnd);
      if (ce > this.ackedEnd) {
        this.ackedEnd = ce;
        this.release();
        if (this.writeBlocked && !this.isReset && this.buffered < this.bufferSize) {
          this.writeBlocked = false;
          result |= ACK_WRITABLE;
        }
      }
      if (!this.lost.isEmpty) this.lost.removeRange(offset, end);
    }
    if (fin) {
      this.finAcked = true;
      this.finLost = false;
    }
    if (this.state === 'data_sent' && this.finAcked && this.ackedEnd >= this.writeOffset) {
      this.state = 'data_recvd';
      result |= ACK_FINISHED;
    }
    return result;
  }

  /**
   * A STREAM frame was declared lost: queue the bytes not acknowledged since (RFC 9000 §13.3),
   * unless the stream was reset. Returns true if anything was queued.
   */
  onLost(offset: number, length: number, fin: boolean): boolean {
    if (this.state !== 'send' && this.state !== 'data_sent') return false;
    let queued = false;
    const end = offset + length;
    if (end > this.ackedEnd) {
      const start = offset > this.ackedEnd ? offset : this.ackedEnd;
      if (this.lost.addRange(start, end) > 0) queued = true;
      const acked = this.acked;
      for (let i = 0; i < acked.rangeCount; i++) {
        const s = acked.start(i);
        const e = acked.end(i);
        if (s >= end) break;
        if (e > start) this.lost.removeRange(s, e);
      }
    }
    if (fin && !this.finAcked && this.finSent) {
      this.finLost = true;
      queued = true;
    }
    return queued || !this.lost.isEmpty;
  }

  /** RFC 9000 §3.1: abandon transmission. Returns false if already terminal or reset. */
  reset(code: number): boolean {
    if (this.state === 'data_recvd' || this.isReset) return false;
    this.state = 'reset_sent';
    this.resetCode = code;
    // §4.5: the final size is the highest offset sent, the flow credit the stream consumed.
    this.finalSize = this.sentOffset;
    this.resetPending = true;
    this.blockedWanted = false;
    this.writeBlocked = false;
    this.chunks.length = 0;
    this.head = 0;
    this.tail = undefined;
    this.lost.clear();
    this.finLost = false;
    return true;
  }

  /**
   * Changes the code of our RESET_STREAM while it was never sent: RFC 9000 §3.5 leaves the code
   * answering a STOP_SENDING to the application, and §13.3 forbids changing the frame once sent.
   * False when not reset or already sent.
   */
  amendResetCode(code: number): boolean {
    if (this.state !== 'reset_sent' || this.resetTransmitted) return false;
    this.resetCode = code;
    return true;
  }

  /** The RESET_STREAM was acknowledged: "Reset Recvd", a terminal state. */
  onResetAcked(): void {
    if (this.state === 'reset_sent') {
      this.state = 'reset_recvd';
      this.resetPending = false;
    }
  }

  /** A RESET_STREAM or STREAM_DATA_BLOCKED frame is due. */
  get controlDue(): boolean {
    return (this.resetPending && this.state === 'reset_sent') || this.blockedDue;
  }

  /** Appends the due RESET_STREAM / STREAM_DATA_BLOCKED frames with their tokens. */
  pushControl(out: ControlFrame[]): void {
    const id = this.id;
    if (this.resetPending && this.state === 'reset_sent') {
      // §13.3: "The content of a RESET_STREAM frame MUST NOT change when it is sent again."
      out.push({
        frame: { kind: 'reset_stream', streamId: id, errorCode: this.resetCode, finalSize: this.finalSize },
        token: { kind: 'reset_stream', id },
      });
    }
    if (this.blockedDue) {
      const limit = this.credit.limit;
      out.push({ frame: { kind: 'stream_data_blocked', streamId: id, limit }, token: { kind: 'stream_data_blocked', id, limit } });
    }
  }

  /** §4.1: blocked by stream credit with data to send, not yet reported at this limit. */
  private get blockedDue(): boolean {
    return this.blockedWanted && !this.isReset && this.blockedByStreamCredit && this.credit.shouldSendBlocked;
  }

  /** Lost ranges queued for retransmission (for tests and stats). */
  lostRanges(): Array<[number, number]> {
    return this.lost.toArray();
  }

  // -------------------------------------------------------------------------------------------

  private append(data: Uint8Array): void {
    const n = data.length;
    if (n < COALESCE_BELOW) {
      const last = this.chunks.length > this.head ? this.chunks[this.chunks.length - 1]! : undefined;
      if (last !== undefined && this.tail !== undefined && last.data.buffer === this.tail.buffer &&
          last.data.byteOffset + last.data.length === this.tail.byteOffset + this.tailFill &&
          this.tailFill + n <= this.tail.length) {
        this.tail.set(data, this.tailFill);
        const start = last.data.byteOffset - this.tail.byteOffset;
        this.tailFill += n;
        last.data = this.tail.subarray(start, this.tailFill);
      } else {
        this.tail = new Uint8Array(BLOCK_SIZE);
        this.tail.set(data, 0);
        this.tailFill = n;
        this.chunks.push({ offset: this.writeOffset, data: this.tail.subarray(0, n) });
      }
    } else {
      this.chunks.push({ offset: this.writeOffset, data });
    }
    this.writeOffset += n;
  }

  /** The place of [s, e) clipped to the chunk holding s. */
  private slice(s: number, e: number, out: SendSlice): SendSlice {
    const chunks = this.chunks;
    let lo = this.head;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (chunks[mid]!.offset <= s) lo = mid;
      else hi = mid - 1;
    }
    const c = chunks[lo]!;
    const from = s - c.offset;
    const cEnd = c.offset + c.data.length;
    const to = (e < cEnd ? e : cEnd) - c.offset;
    out.offset = s;
    out.buf = c.data;
    out.start = from;
    out.length = to - from;
    out.fin = this.finRequested && c.offset + to === this.writeOffset && !this.finAcked;
    return out;
  }

  /** Drops chunks wholly below ackedEnd. */
  private release(): void {
    const chunks = this.chunks;
    while (this.head < chunks.length) {
      const c = chunks[this.head]!;
      if (c.offset + c.data.length > this.ackedEnd) break;
      chunks[this.head] = undefined as unknown as Chunk;
      this.head++;
    }
    if (this.head === chunks.length) {
      chunks.length = 0;
      this.head = 0;
    } else if (this.head > 32 && this.head * 2 > chunks.length) {
      chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}
