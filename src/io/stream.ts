/**
 * A QUIC stream as a Node `stream.Duplex` with backpressure both ways (RFC 9000 §2–§4).
 *
 * - Writing: `_write` hands the chunk to the core by reference (`streamWrite`; do not modify a
 *   Buffer after writing it) and completes only when every byte was accepted; the rest waits
 *   for `stream_writable` (send-buffer space freed by acknowledgements). Until then the
 *   Writable buffers further writes and `write()` returns false past its highWaterMark.
 * - `end()`: `_final` queues the FIN and completes when the peer acknowledged all data and the
 *   FIN (`stream_finished`, "Data Recvd" §3.1), so 'finish' means delivered to the peer's stack.
 * - Reading: `_read` pulls at most readableHighWaterMark bytes at a time from the core and
 *   pushes until `push()` returns false; the rest stays in the core, which withholds flow
 *   credit (§4.1), so a slow reader slows the sender. `stream_readable` resumes a waiting read.
 * - A peer's RESET_STREAM or STOP_SENDING destroys the stream with a QuicStreamError carrying
 *   the application error code; `destroy(err)` resets our sending part and sends STOP_SENDING
 *   for the receiving part with `err.errorCode` (default 0); `reset(code)` / `stopSending(code)`
 *   act on one direction. `destroy()` without an error after `end()` keeps the queued data and
 *   FIN (the core still delivers them), so ending a `for await` loop over the stream (which
 *   destroys it) after `end()` loses nothing.
 * - Answering the peer (RFC 9000 §3.5): before the stream fails, it emits
 *   - 'stopSending' (code): the peer sent STOP_SENDING. A listener may call `reset(myCode)`
 *     synchronously: our RESET_STREAM then carries `myCode` (HTTP/3: e.g. H3_REQUEST_CANCELLED),
 *     only the sending part ends and reading goes on, without an error. When no listener
 *     resets, the RESET_STREAM carries the peer's code and the stream is destroyed with
 *     ERR_QUIC_STOP_SENDING.
 *   - 'reset' (code): the peer sent RESET_STREAM. A listener may call `reset(myCode)`
 *     synchronously to pick the code of the RESET_STREAM that ends our sending part (default:
 *     the peer's code); the stream is then destroyed with ERR_QUIC_STREAM_RESET either way,
 *     since the data it was reading was cut short.
 * - Errors and who sees them: an 'error' event nobody listens to throws (Node semantics). A
 *   stream the peer opened is guarded until the application takes it (a 'stream' listener, or
 *   `incomingStreams()` handing it out): its errors are kept in `errored` and never thrown, so
 *   streams nobody took cannot crash the process when the peer resets them or the connection
 *   closes; one taken after it failed comes out destroyed, its error in `errored`. Once taken,
 *   and for every stream we open, listening for 'error' is the application's job, as with any
 *   Node stream: a stream taken and then dropped without an 'error' listener throws when it
 *   fails.
 * - Unidirectional streams (§2.1) are a write-only (ours) or read-only (the peer's) Duplex.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type { Connection } from '../connection/connection.js';
import type { CloseInfo } from '../connection/types.js';
import { isBidi } from '../streams/id.js';
import { describeClose, isCleanClose, QuicStreamError } from './errors.js';

/** What a stream needs from its connection. */
export interface StreamOwner {
  readonly core: Connection;
  /** Ask for a service round (packets out). */
  schedule(): void;
  /** The stream is gone (destroyed); stop routing events to it. */
  forgetStream(id: number): void;
}

/** Buffer sizes of a QuicStream (the Duplex high-water marks). */
export interface QuicStreamOptions {
  /** Readable buffer in bytes, also the most read from the core at once (default 64 KiB). */
  readableHighWaterMark?: number;
  /** Writable buffer in bytes before write() returns false (default 64 KiB). */
  writableHighWaterMark?: number;
}

const DEFAULT_HWM = 64 * 1024;

/** The 'error' listener of a stream the application has not taken yet. */
const swallowError = (): void => {};

/**
 * A QUIC stream (RFC 9000 §2–§4) as a Node `stream.Duplex`, with backpressure both ways: the
 * writable side ends with a FIN and 'finish' fires once the peer acknowledged everything; the
 * readable side applies flow control, so a slow reader slows the sender. A unidirectional
 * stream is write-only (ours) or read-only (the peer's). A peer's RESET_STREAM or STOP_SENDING
 * emits 'reset' or 'stopSending' (code), then destroys the stream with a QuicStreamError
 * (unless a 'stopSending' listener answers with `reset(code)`); `reset` and `stopSending` end
 * one direction, `destroy(err)` both. Made by QuicConnection
 * (`openStream`, 'stream' events, `incomingStreams`).
 */
export class QuicStream extends Duplex {
  /** The stream ID (RFC 9000 §2.1). */
  readonly id: number;
  readonly bidirectional: boolean;
  /** Opened by this endpoint (true) or by the peer. */
  readonly local: boolean;
  private pendingWrite: { data: Uint8Array; cb: (err?: Error | null) => void } | undefined;
  private finalCb: ((err?: Error | null) => void) | undefined;
  /** `_read` is waiting for data. */
  private wantRead = false;
  /** No more data will be read: FIN delivered, reset, or stopped. */
  private readDone: boolean;
  /** Our sending part is over: FIN acknowledged, or reset. */
  private sendDone: boolean;
  /** All data and the FIN are queued in the core (end() reached `_final`). */
  private finQueued = false;
  /** reset() was called: later writes are discarded, not errors. */
  private resetLocally = false;
  /** A 'stopSending' or 'reset' listener runs: reset() answers the peer instead of acting alone. */
  private answering: 'stop_sending' | 'reset' | undefined;
  /** Guarded until the application takes it (see the module comment). */
  private guarded = false;
  private readonly maxRead: number;

  /** @internal Created by QuicConnection. */
  constructor(
    private readonly owner: StreamOwner,
    id: number,
    local: boolean,
    o: QuicStreamOptions = {},
  ) {
    const bidi = isBidi(id);
    const canWrite = bidi || local;
    const canRead = bidi || !local;
    // `readable: false` / `writable: false` end that side at once (Node's Duplex options; not
    // in @types/node 20's DuplexOptions).
    const options: DuplexOptions & { readable: boolean; writable: boolean } = {
      allowHalfOpen: true,
      readable: canRead,
      writable: canWrite,
      readableHighWaterMark: o.readableHighWaterMark ?? DEFAULT_HWM,
      writableHighWaterMark: o.writableHighWaterMark ?? DEFAULT_HWM,
    };
    super(options);
    this.id = id;
    this.bidirectional = bidi;
    this.local = local;
    this.readDone = !canRead;
    this.sendDone = !canWrite;
    this.maxRead = o.readableHighWaterMark ?? DEFAULT_HWM;
    if (!local) {
      this.guarded = true;
      this.on('error', swallowError);
    }
  }

  /**
   * @internal The application took this stream (a 'stream' listener got it, or
   * `incomingStreams()` handed it out): from now on its errors are the application's. A stream
   * already destroyed stays guarded (its error, if any, may still be on its way; see `errored`).
   */
  adopt(): void {
    if (!this.guarded || this.destroyed) return;
    this.guarded = false;
    this.off('error', swallowError);
  }

  /**
   * Abandons sending with RESET_STREAM and `code` (RFC 9000 §19.4); reading continues. Data
   * not yet acknowledged, and anything written afterwards, is discarded.
   */
  reset(code = 0): void {
    if (this.sendDone) return;
    this.sendDone = true;
    this.resetLocally = true;
    // The write in progress is abandoned with the rest of the stream's data.
    const w = this.pendingWrite;
    this.pendingWrite = undefined;
    w?.cb();
    if (this.answering === 'stop_sending') {
      // RFC 9000 §3.5: the core reset our sending part with the peer's code when STOP_SENDING
      // arrived; the RESET_STREAM has not left yet (events are handled before the next
      // transmit), so its code is still ours to choose (§13.3 fixes it once sent).
      this.coreCall(() => {
        this.owner.core.streams.amendReset(this.id, code);
        this.owner.core.wake();
      });
    } else {
      this.coreCall(() => this.owner.core.streamReset(this.id, code));
    }
    // While answering, onStopSending / onReset finish the teardown.
    if (this.readDone && this.answering === undefined) this.destroy();
  }

  /** Asks the peer to stop sending with STOP_SENDING and `code` (RFC 9000 §19.5); writing continues. */
  stopSending(code = 0): void {
    if (this.readDone) return;
    this.readDone = true;
    this.coreCall(() => this.owner.core.streamStopSending(this.id, code));
    this.push(null);
    if (this.sendDone) this.destroy();
  }

  // --- Writable --------------------------------------------------------------------------------

  /**
   * @internal Node stream hook: hands the chunk to the core and calls `cb` once all of it was
   * accepted (the rest waits for `stream_writable`). Once the sending part is over the chunk is
   * dropped after a local `reset`, and fails with ERR_QUIC_STREAM_RESET otherwise.
   */
  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.sendDone) {
      // After our own reset() the writes still buffered are abandoned with the stream's data.
      if (this.resetLocally) cb();
      else cb(new QuicStreamError(`stream ${this.id}: sending part is closed`, 'ERR_QUIC_STREAM_RESET', 0, this.id));
      return;
    }
    this.pendingWrite = { data: chunk, cb };
    this.flushWrite();
  }

  /**
   * @internal Node stream hook: queues the FIN and calls `cb` when the peer has acknowledged
   * all data and the FIN (`stream_finished`).
   */
  override _final(cb: (err?: Error | null) => void): void {
    if (this.sendDone) {
      cb();
      return;
    }
    try {
      this.owner.core.streamFinish(this.id);
    } catch (e) {
      cb(e as Error);
      return;
    }
    this.owner.schedule();
    this.finQueued = true;
    this.finalCb = cb;
  }

  // --- Readable --------------------------------------------------------------------------------

  /**
   * @internal Node stream hook: pulls data from the core and pushes it until `push()` returns
   * false or nothing is ready (then `stream_readable` resumes).
   */
  override _read(_size: number): void {
    this.wantRead = true;
    this.pull();
  }

  // --- teardown --------------------------------------------------------------------------------

  /**
   * @internal Node stream hook: resets the sending part (unless ended cleanly with no error)
   * and sends STOP_SENDING for the receiving part, with `err.errorCode` (default 0), fails a
   * pending write and detaches the stream from its connection.
   */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const code = err !== null && typeof (err as Partial<QuicStreamError>).errorCode === 'number' ? (err as QuicStreamError).errorCode : 0;
    // A destroy without error after end() lets the core deliver what is queued and the FIN (as
    // a TCP close after shutdown would); otherwise the sending part is abandoned with a reset.
    if (!this.sendDone && !(err === null && this.finQueued)) {
      this.sendDone = true;
      this.coreCall(() => this.owner.core.streamReset(this.id, code));
    }
    if (!this.readDone) {
      this.readDone = true;
      this.coreCall(() => this.owner.core.streamStopSending(this.id, code));
    }
    this.failPendingWrites(err ?? new QuicStreamError(`stream ${this.id} was destroyed`, 'ERR_QUIC_STREAM_RESET', code, this.id));
    this.finalCb = undefined;
    this.owner.forgetStream(this.id);
    cb(err);
  }

  // --- core events (QuicConnection routes them here) ------------------------------------------

  /** @internal stream_readable */
  onReadable(): void {
    if (this.wantRead) this.pull();
  }

  /** @internal stream_writable */
  onWritable(): void {
    this.flushWrite();
  }

  /** @internal stream_finished: all our data and the FIN were acknowledged. */
  onFinished(): void {
    this.sendDone = true;
    const cb = this.finalCb;
    this.finalCb = undefined;
    cb?.();
  }

  /**
   * @internal stream_reset: the peer abandoned its sending part. A 'reset' listener may pick the
   * code of our own RESET_STREAM with reset(code); otherwise teardown mirrors the peer's code.
   */
  onReset(code: number): void {
    this.readDone = true;
    this.answering = 'reset';
    try {
      this.emit('reset', code);
    } finally {
      this.answering = undefined;
      if (!this.destroyed) this.destroy(new QuicStreamError(`stream ${this.id} was reset by the peer (code ${code})`, 'ERR_QUIC_STREAM_RESET', code, this.id));
    }
  }

  /**
   * @internal stream_stop_sending: the peer asked us to stop; the core already reset our sending
   * part with the peer's code. A 'stopSending' listener that calls reset(code) answers with its
   * own code and keeps the receiving part; otherwise the stream fails.
   */
  onStopSending(code: number): void {
    this.answering = 'stop_sending';
    try {
      this.emit('stopSending', code);
    } finally {
      this.answering = undefined;
      if (!this.destroyed) {
        if (this.resetLocally) {
          if (this.readDone) this.destroy();
        } else {
          this.sendDone = true;
          this.destroy(new QuicStreamError(`stream ${this.id}: the peer sent STOP_SENDING (code ${code})`, 'ERR_QUIC_STOP_SENDING', code, this.id));
        }
      }
    }
  }

  /** @internal The connection is closing: the stream cannot continue. */
  onConnectionClosed(info: CloseInfo): void {
    this.sendDone = true;
    this.readDone = true;
    if (this.destroyed) return;
    // A clean close (code 0) ends what is left of the stream quietly; any other close is an error.
    if (isCleanClose(info)) this.destroy();
    else this.destroy(new QuicStreamError(`stream ${this.id}: connection ${describeClose(info)}`, 'ERR_QUIC_CONNECTION_CLOSED', info.code, this.id));
  }

  // --- internals -------------------------------------------------------------------------------

  private flushWrite(): void {
    const w = this.pendingWrite;
    if (w === undefined) return;
    let n: number;
    try {
      n = w.data.length === 0 ? 0 : this.owner.core.streamWrite(this.id, w.data);
    } catch (e) {
      this.pendingWrite = undefined;
      w.cb(e as Error);
      return;
    }
    if (n > 0) this.owner.schedule();
    if (n === w.data.length) {
      this.pendingWrite = undefined;
      w.cb();
    } else {
      w.data = w.data.subarray(n);
    }
  }

  private pull(): void {
    if (this.readDone) return;
    const core = this.owner.core;
    let progressed = false;
    while (this.wantRead && !this.readDone) {
      let r: { data: Uint8Array; fin: boolean } | undefined;
      try {
        r = core.streamRead(this.id, this.maxRead);
      } catch (e) {
        this.readDone = true;
        this.destroy(e as Error);
        return;
      }
      if (r === undefined) break;
      progressed = true;
      if (r.fin) {
        this.readDone = true;
        this.wantRead = false;
        if (r.data.length > 0) this.push(r.data);
        this.push(null);
        break;
      }
      if (r.data.length > 0 && !this.push(r.data)) this.wantRead = false;
    }
    // Reading frees flow-control credit: a MAX_STREAM_DATA / MAX_DATA may be due (RFC 9000 §4.2).
    if (progressed) this.owner.schedule();
  }

  private failPendingWrites(err: Error): void {
    const w = this.pendingWrite;
    this.pendingWrite = undefined;
    w?.cb(err);
  }

  /** A core call on teardown paths: the stream or connection may already be gone. */
  private coreCall(f: () => void): void {
    try {
      f();
      this.owner.schedule();
    } catch {
      // Closed stream or connection: nothing left to tell the peer.
    }
  }
}
