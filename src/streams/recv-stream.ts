/**
 * The receiving part of a stream (RFC 9000 §3.2): reassembly, the stream-level receive window
 * and the final-size rules of §4.5.
 *
 *    Recv --STREAM+FIN--> Size Known --all data--> Data Recvd --app read all--> Data Read
 *     |                      |                        (a RESET_STREAM here is suppressed:
 *     |                      |                         the data is delivered, §3.2)
 *     +----RESET_STREAM------+-----> Reset Recvd --app read reset--> Reset Read
 *
 * Connection-level accounting: `creditedOffset` is the offset up to which this stream's bytes
 * were returned to the connection window as consumed (read by the app, or discarded after a
 * RESET_STREAM or our STOP_SENDING, §3.5: such bytes still count toward flow control).
 */
import { RecvWindow } from '../flow/credit.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { StreamId } from './id.js';
import { Reassembler, type ChunkBudget } from './reassembly.js';
import type { ControlFrame } from './types.js';

export type RecvState = 'recv' | 'size_known' | 'data_recvd' | 'data_read' | 'reset_recvd' | 'reset_read';

const EMPTY = new Uint8Array(0);

export class RecvStream {
  state: RecvState = 'recv';
  readonly window: RecvWindow;
  readonly buf: Reassembler;
  /** The final size once known (FIN or RESET_STREAM), else -1. */
  finalSize = -1;
  /** The FIN was handed to the application. */
  finDelivered = false;
  /** Set by the peer's RESET_STREAM. */
  resetCode = -1;
  /** The application called stopSending: incoming data is discarded (§3.5). */
  stopped = false;
  stopCode = -1;
  /** A STOP_SENDING frame waits to be sent (first time or after loss). */
  stopPending = false;
  /** A MAX_STREAM_DATA frame waits to be sent. */
  maxDataPending = false;
  /** Offset up to which bytes were credited to the connection window as consumed. */
  creditedOffset = 0;

  constructor(initialWindow: number, maxWindow: number, chunks?: { maxChunks?: number; budget?: ChunkBudget }) {
    this.window = new RecvWindow({ initial: initialWindow, max: maxWindow });
    // Flow control bounds what the peer may make us hold; reassembly enforces the same bound.
    // The number of fragments is bounded per stream and, with a budget, per connection (§21.7);
    // going beyond is reported as FLOW_CONTROL_ERROR too: the peer made us commit more receive
    // resources than we granted (§4; §21.7 leaves the error open).
    this.buf = new Reassembler({
      maxBuffered: Math.max(initialWindow, maxWindow),
      errorCode: ErrorCode.FLOW_CONTROL_ERROR,
      ...(chunks?.maxChunks !== undefined ? { maxChunks: chunks.maxChunks } : {}),
      ...(chunks?.budget !== undefined ? { budget: chunks.budget } : {}),
    });
  }

  get isTerminal(): boolean {
    return this.state === 'data_read' || this.state === 'reset_read';
  }

  /** MAX_STREAM_DATA is only sent in "Recv" (§3.2, §13.3), and not after STOP_SENDING. */
  get wantsWindowUpdates(): boolean {
    return this.state === 'recv' && !this.stopped;
  }

  /** Data or the FIN is waiting for the application. */
  get hasReadable(): boolean {
    if (this.stopped) return false;
    if (this.state === 'reset_recvd' || this.state === 'reset_read') return false;
    return this.buf.readable > 0 || (this.finalSize >= 0 && this.buf.readOffset === this.finalSize && !this.finDelivered);
  }

  /**
   * A STREAM frame. Enforces the final size (§4.5) and the stream window (§4.1), stores the data
   * (unless reset, complete or stopped) and returns the bytes new to flow control.
   */
  onData(offset: number, data: Uint8Array, fin: boolean, frameType: number): number {
    return this.onDataFrom(offset, data, 0, data.length, fin, frameType);
  }

  /** `onData` with the bytes at src[start, start + length): the packet buffer itself, no view. */
  onDataFrom(offset: number, src: Uint8Array, start: number, length: number, fin: boolean, frameType: number): number {
    const end = offset + length;
    if (this.finalSize >= 0) {
      // §4.5: data at or beyond the final size, or a FIN changing it, is a FINAL_SIZE_ERROR,
      // even once the stream is reset or complete.
      if (end > this.finalSize || (fin && end !== this.finalSize)) {
        throw new TransportError(ErrorCode.FINAL_SIZE_ERROR, frameType, `stream data ends at ${end}, final size is ${this.finalSize}`);
      }
    } else if (fin && end < this.window.received) {
      throw new TransportError(ErrorCode.FINAL_SIZE_ERROR, frameType, `FIN at ${end} below data already received up to ${this.window.received}`);
    }
    const fresh = this.window.onReceive(end, frameType);
    if (fin && this.finalSize < 0) {
      this.finalSize = end;
      if (this.state === 'recv') this.state = 'size_known';
    }
    if (this.state !== 'recv' && this.state !== 'size_known') return fresh; // duplicates (§3.2)
    if (length > 0) this.buf.insertFrom(offset, src, start, length, frameType);
    if (this.stopped) this.discardReadable();
    this.checkAllReceived();
    return fresh;
  }

  /**
   * RESET_STREAM (§19.4). Checks the final size (§4.5) and flow control. Returns the bytes new
   * to connection flow control; `this.state` tells whether the stream moved to "Reset Recvd".
   */
  onReset(code: number, finalSize: number, frameType: number): number {
    if (this.finalSize >= 0 && finalSize !== this.finalSize) {
      throw new TransportError(ErrorCode.FINAL_SIZE_ERROR, frameType, `RESET_STREAM final size ${finalSize} differs from ${this.finalSize}`);
    }
    if (finalSize < this.window.received) {
      throw new TransportError(ErrorCode.FINAL_SIZE_ERROR, frameType, `RESET_STREAM final size ${finalSize} below data received up to ${this.window.received}`);
    }
    const fresh = this.window.onReceive(finalSize, frameType);
    this.finalSize = finalSize;
    if (this.state === 'recv' || this.state === 'size_known') {
      this.state = 'reset_recvd';
      this.resetCode = code;
      this.stopPending = false;
      this.maxDataPending = false;
      this.buf.clear(); // §3.2: "discard any data that was not consumed"
    }
    return fresh;
  }

  /**
   * Up to `max` bytes for the application. `fin` is true once the returned bytes reach the
   * final size. Returns undefined when nothing is ready (or the stream was reset or stopped).
   */
  read(max?: number): { data: Uint8Array; fin: boolean } | undefined {
    if (this.state === 'reset_recvd') {
      this.state = 'reset_read'; // §3.2 "App Read Reset"
      return undefined;
    }
    if (this.stopped || this.state === 'reset_read' || this.finDelivered) return undefined;
    const data = this.buf.read(max);
    if (data !== undefined) this.window.onConsume(data.length);
    const fin = this.finalSize >= 0 && this.buf.readOffset === this.finalSize;
    if (fin) {
      this.finDelivered = true;
      if (this.state === 'data_recvd') this.state = 'data_read';
    }
    if (data === undefined && !fin) return undefined;
    return { data: data ?? EMPTY, fin };
  }

  /**
   * The application no longer wants the data (§3.5). Returns true if a STOP_SENDING frame should
   * be sent (only in "Recv" / "Size Known"). Buffered data is discarded either way.
   */
  stopSending(code: number): boolean {
    if (this.stopped) return false;
    if (this.state === 'reset_recvd') {
      this.state = 'reset_read';
      return false;
    }
    if (this.state === 'data_read' || this.state === 'reset_read') return false;
    this.stopped = true;
    this.stopCode = code;
    this.maxDataPending = false;
    this.discardReadable();
    if (this.state === 'data_recvd') {
      this.state = 'data_read';
      return false;
    }
    this.stopPending = true;
    return true;
  }

  /** A STOP_SENDING or MAX_STREAM_DATA frame is due. */
  get controlDue(): boolean {
    return this.stopDue || (this.maxDataPending && this.wantsWindowUpdates);
  }

  /** Appends the due STOP_SENDING / MAX_STREAM_DATA frames with their tokens. */
  pushControl(id: StreamId, out: ControlFrame[]): void {
    if (this.stopDue) {
      out.push({ frame: { kind: 'stop_sending', streamId: id, errorCode: this.stopCode }, token: { kind: 'stop_sending', id } });
    }
    if (this.maxDataPending && this.wantsWindowUpdates) {
      const maximum = this.window.limit;
      out.push({ frame: { kind: 'max_stream_data', streamId: id, maximum }, token: { kind: 'max_stream_data', id, maximum } });
    }
  }

  /** §3.5, §13.3: STOP_SENDING is (re)sent only in "Recv" / "Size Known". */
  private get stopDue(): boolean {
    return this.stopPending && (this.state === 'recv' || this.state === 'size_known');
  }

  /** Moves creditedOffset to `offset` and returns the bytes newly credited. */
  creditTo(offset: number): number {
    if (offset <= this.creditedOffset) return 0;
    const n = offset - this.creditedOffset;
    this.creditedOffset = offset;
    return n;
  }

  private discardReadable(): void {
    while (this.buf.read() !== undefined) {
      // dropped: §3.5 data received after STOP_SENDING "can be discarded upon receipt"
    }
  }

  private checkAllReceived(): void {
    if (this.state === 'size_known' && this.buf.contiguousEnd === this.finalSize) {
      this.state = 'data_recvd';
      if (this.stopped) {
        this.finDelivered = true;
        this.state = 'data_read';
      }
    }
  }
}
