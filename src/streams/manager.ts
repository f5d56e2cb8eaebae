/**
 * The stream manager (layer 3): all streams of a connection, stream-count limits (RFC 9000
 * §4.6), connection-level flow control (§4.1), incoming stream frames (§19.4–19.5,
 * §19.8–19.14), control frames to send, the send scheduler and recovery tokens (DESIGN §3,
 * RFC 9000 §13.3). The connection encodes frames itself; this module never touches packets.
 *
 * Decisions:
 * - Frames for a locally initiated stream we have not opened yet are STREAM_STATE_ERROR
 *   (§19.5, §19.8, §19.10 say so for STOP_SENDING, STREAM and MAX_STREAM_DATA; RESET_STREAM and
 *   STREAM_DATA_BLOCKED are treated alike, since the peer cannot have created the stream).
 * - Frames for a stream that was closed and forgotten are ignored (§3.2 "delayed delivery").
 * - STOP_SENDING from the peer resets the sending part at once with the same code, also in
 *   "Data Sent" (§3.5 allows deferring, not requiring it), and emits 'stop_sending'; the
 *   application may still pick the frame's code with `amendReset` until it is sent.
 * - A RESET_STREAM in "Data Recvd" is suppressed: the data is delivered (§3.2 allows it).
 * - After our own stopSending the app is not told about a later RESET_STREAM.
 * - MAX_STREAMS is re-advertised when half the stream-count window was used by closed streams;
 *   MAX_DATA / MAX_STREAM_DATA when half the byte window was consumed (flow/credit.ts).
 * - Scratch objects: `pendingControl` returns the same array each call and `nextStreamData` the
 *   same result object; both are valid until the next call (DESIGN §4, no per-packet garbage).
 */
import type { RecvWindow, SendCredit } from '../flow/credit.js';
import { assertNever } from '../util/assert.js';
import type { Duration, Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { FrameType, frameTypeOf } from '../wire/frame.js';
import { StreamFrameRef } from '../wire/frame-decoder.js';
import type {
  DataBlockedFrame, MaxDataFrame, MaxStreamDataFrame, MaxStreamsFrame, ResetStreamFrame,
  StopSendingFrame, StreamDataBlockedFrame, StreamFrame, StreamsBlockedFrame,
} from '../wire/frame.js';
import { canReceive, canSend, isBidi, streamIdOf, streamIndex, type StreamId } from './id.js';
import { RecvStream, type RecvState } from './recv-stream.js';
import { Scheduler, URGENCY_LEVELS } from './scheduler.js';
import { ACK_FINISHED, ACK_WRITABLE, SendStream, type SendSlice, type SendState } from './send-stream.js';
import { StreamCounts } from './stream-counts.js';
import { ChunkBudget } from './reassembly.js';
import { ConnectionFlow } from './conn-flow.js';
import type { ControlFrame, PeerStreamParams, StreamEvent, StreamLimits, StreamSlice, StreamToken } from './types.js';

class Stream {
  readableQueued = false;
  constructor(
    readonly id: StreamId,
    readonly remote: boolean,
    readonly send: SendStream | undefined,
    readonly recv: RecvStream | undefined,
  ) {}
}

export class StreamManager {
  private readonly isClient: boolean;
  private readonly limits: StreamLimits;
  private readonly streams = new Map<StreamId, Stream>();
  private peer: PeerStreamParams | undefined;

  /** Connection-level flow control (§4.1). */
  private readonly conn: ConnectionFlow;

  /** Stream-count limits in both directions (§4.6). */
  private readonly counts: StreamCounts;

  private readonly scheduler = new Scheduler<SendStream>();
  /** Streams that may have a control frame due (RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED). */
  private readonly ctrlStreams = new Set<StreamId>();
  /** Streams whose receive window asked for an update (computed when `now` is known). */
  private readonly windowCheck = new Set<StreamId>();

  private readonly events: StreamEvent[] = [];
  private eventHead = 0;
  private readonly ctrlOut: ControlFrame[] = [];
  private readonly sliceOut: StreamSlice & SendSlice = { id: 0, offset: 0, buf: new Uint8Array(0), start: 0, length: 0, fin: false };
  private readonly readyFn = (s: SendStream): boolean => s.canSendNow(this.conn.send.available);
  private readonly droppedFn = (s: SendStream): void => this.onDequeued(s);
  private readonly scheduleFn = (s: SendStream): void => this.schedule(s);

  constructor(o: { isClient: boolean; limits: StreamLimits }) {
    this.isClient = o.isClient;
    this.limits = o.limits;
    this.conn = new ConnectionFlow(o.limits.initialMaxData, o.limits.maxConnectionWindow);
    this.counts = new StreamCounts(o.isClient, o.limits.maxStreamsBidi, o.limits.maxStreamsUni);
    this.chunkLimits = {
      ...(o.limits.maxStreamChunks !== undefined ? { maxChunks: o.limits.maxStreamChunks } : {}),
      ...(o.limits.maxConnectionChunks !== undefined ? { budget: new ChunkBudget(o.limits.maxConnectionChunks) } : {}),
    };
  }

  /** Reassembly chunk bounds of every receiving stream (RFC 9000 §21.7): per stream, and one budget for all. */
  private readonly chunkLimits: { maxChunks?: number; budget?: ChunkBudget };

  /** Streams held (open, or closed but not yet forgotten): bounded by the stream limits (§4.6). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Out-of-order reassembly chunks held across the receiving streams (with a connection-wide bound; else 0). */
  get chunksHeld(): number {
    return this.chunkLimits.budget?.used ?? 0;
  }

  /** Once the peer's transport parameters are known. Credits only grow (0-RTT remembered values first). */
  setPeerParams(p: PeerStreamParams): void {
    this.peer = p;
    this.conn.raise(p.initialMaxData, this.scheduleFn);
    this.raiseStreamCount(true, p.initialMaxStreamsBidi);
    this.raiseStreamCount(false, p.initialMaxStreamsUni);
    for (const s of this.streams.values()) {
      if (s.send !== undefined && s.send.credit.raise(this.peerStreamCredit(s.id, s.remote))) this.schedule(s.send);
    }
  }

  /**
   * RFC 9001 §4.6.2: 0-RTT was rejected, so the remembered limits no longer hold: the peer's real
   * ones replace them, lower ones too (never below what was already used; data sent in 0-RTT is
   * sent again at the same offsets).
   */
  replacePeerParams(p: PeerStreamParams): void {
    this.peer = p;
    this.conn.send.limit = Math.max(this.conn.send.used, p.initialMaxData);
    this.counts.resetLocal(true, p.initialMaxStreamsBidi);
    this.counts.resetLocal(false, p.initialMaxStreamsUni);
    for (const s of this.streams.values()) {
      if (s.send !== undefined) s.send.credit.limit = Math.max(s.send.credit.used, this.peerStreamCredit(s.id, s.remote));
    }
    this.setPeerParams(p);
  }

  /** Opens a stream, or returns undefined (and queues STREAMS_BLOCKED) at the peer's limit (§4.6). */
  open(bidi: boolean): StreamId | undefined {
    const index = this.counts.tryOpen(bidi);
    if (index === undefined) return undefined;
    const id = streamIdOf(index, bidi, this.isClient);
    this.create(id, false);
    return id;
  }

  /** Queues data by reference (the caller must not mutate it); returns the bytes accepted. */
  write(id: StreamId, data: Uint8Array, fin = false): number {
    const snd = this.sendSide(id);
    const n = snd.write(data, fin);
    if (n > 0 || snd.finRequested) this.schedule(snd);
    return n;
  }

  finish(id: StreamId): void {
    const snd = this.sendSide(id);
    snd.finish();
    this.schedule(snd);
  }

  /**
   * Reads up to `max` bytes. `data` is a view or a copy that is never modified afterwards (see
   * Reassembler.read). undefined when nothing is ready, the stream was reset (see the 'reset'
   * event) or it is already closed.
   */
  read(id: StreamId, max?: number): { data: Uint8Array; fin: boolean } | undefined {
    const s = this.streams.get(id);
    if (s === undefined) {
      if (canReceive(id, this.isClient) && this.counts.wasOpened(id)) return undefined;
      throw new RangeError(`read: unknown stream ${id}`);
    }
    const r = s.recv;
    if (r === undefined) throw new RangeError(`read: stream ${id} is send-only`);
    const res = r.read(max);
    this.conn.recv.onConsume(r.creditTo(r.buf.readOffset));
    if (r.wantsWindowUpdates && r.window.shouldUpdate()) this.windowCheck.add(id);
    if (r.isTerminal) this.maybeRemove(s);
    return res;
  }

  /** RFC 9000 §3.1: abandon sending; a RESET_STREAM is queued (no-op when already terminal). */
  reset(id: StreamId, code: number): void {
    const s = this.streams.get(id);
    if (s === undefined && this.counts.wasOpened(id) && canSend(id, this.isClient)) return;
    this.resetSend(this.sendSide(id), code);
  }

  /**
   * RFC 9000 §3.5: answers the peer's STOP_SENDING with a code of the application's choice:
   * changes the code of the RESET_STREAM queued on stream `id` (with the peer's code) as long as
   * it was not sent (§13.3). False when there is no such frame.
   */
  amendReset(id: StreamId, code: number): boolean {
    const snd = this.streams.get(id)?.send;
    return snd !== undefined && snd.amendResetCode(code);
  }

  /** RFC 9000 §3.5: ask the peer to stop; buffered and later data are discarded. */
  stopSending(id: StreamId, code: number): void {
    const s = this.streams.get(id);
    if (s === undefined && this.counts.wasOpened(id) && canReceive(id, this.isClient)) return;
    if (s?.recv === undefined) throw new RangeError(`stopSending: stream ${id} has no receiving part`);
    const r = s.recv;
    if (r.stopSending(code)) this.ctrlStreams.add(id);
    this.conn.recv.onConsume(r.creditTo(r.window.received));
    this.maybeRemove(s);
  }

  setUrgency(id: StreamId, urgency: number): void {
    if (!Number.isInteger(urgency) || urgency < 0 || urgency >= URGENCY_LEVELS) throw new RangeError(`urgency ${urgency} not in 0..7`);
    this.scheduler.updateUrgency(this.sendSide(id), urgency);
  }

  pollEvent(): StreamEvent | undefined {
    if (this.eventHead >= this.events.length) {
      if (this.events.length > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as StreamEvent;
    if (e.type === 'readable' || e.type === 'reset') {
      const s = this.streams.get(e.id);
      if (s !== undefined && e.type === 'readable') s.readableQueued = false;
      // RFC 9000 §3.2: "Once the application receives the signal indicating that the stream was
      // reset, the receiving part of the stream transitions to the 'Reset Read' state".
      if (s?.recv !== undefined && e.type === 'reset' && s.recv.state === 'reset_recvd') {
        s.recv.state = 'reset_read';
        this.maybeRemove(s);
      }
    }
    return e;
  }

  // --- incoming frames ------------------------------------------------------------------------

  /** RFC 9000 §19.8 */
  onStreamFrame(f: StreamFrame): void {
    // The receive path's decoder hands out frames that point into the packet (no data view).
    if (f instanceof StreamFrameRef) this.onStreamData(f.streamId, f.offset, f.buf, f.dataOffset, f.dataLength, f.fin, frameTypeOf(f));
    else this.onStreamData(f.streamId, f.offset, f.data, 0, f.data.length, f.fin, frameTypeOf(f));
  }

  /** A STREAM frame whose data are src[start, start + length); the bytes are copied (reassembly). */
  onStreamData(streamId: StreamId, offset: number, src: Uint8Array, start: number, length: number, fin: boolean, ft: number): void {
    if (!canReceive(streamId, this.isClient)) throw stateError(ft, `STREAM frame for send-only stream ${streamId}`);
    const s = this.lookup(streamId, ft);
    if (s === undefined) return;
    const r = s.recv!;
    const beforeEnd = r.buf.contiguousEnd;
    const beforeState = r.state;
    const fresh = r.onDataFrom(offset, src, start, length, fin, ft);
    // §4.1: connection flow control counts the highest offset of each stream once.
    this.conn.onReceive(fresh, ft);
    if (r.stopped) this.conn.recv.onConsume(r.creditTo(r.window.received));
    if (r.hasReadable && (r.buf.contiguousEnd > beforeEnd || r.state !== beforeState)) this.emitReadable(s);
    if (r.isTerminal) this.maybeRemove(s);
  }

  /** RFC 9000 §19.4 */
  onResetStream(f: ResetStreamFrame): void {
    const ft = FrameType.RESET_STREAM;
    if (!canReceive(f.streamId, this.isClient)) throw stateError(ft, `RESET_STREAM for send-only stream ${f.streamId}`);
    const s = this.lookup(f.streamId, ft);
    if (s === undefined) return;
    const r = s.recv!;
    const before = r.state;
    const fresh = r.onReset(f.errorCode, f.finalSize, ft);
    this.conn.onReceive(fresh, ft);
    if (before !== r.state) {
      // §4.5: the final size accounts for every byte; unread ones return to the connection window.
      this.conn.recv.onConsume(r.creditTo(r.finalSize));
      if (r.stopped) {
        r.state = 'reset_read';
        this.maybeRemove(s);
      } else {
        this.events.push({ type: 'reset', id: s.id, code: f.errorCode });
      }
    }
  }

  /** RFC 9000 §19.5, §3.5 */
  onStopSending(f: StopSendingFrame): void {
    const ft = FrameType.STOP_SENDING;
    if (!canSend(f.streamId, this.isClient)) throw stateError(ft, `STOP_SENDING for receive-only stream ${f.streamId}`);
    const s = this.lookup(f.streamId, ft);
    if (s === undefined) return;
    if (this.resetSend(s.send!, f.errorCode)) this.events.push({ type: 'stop_sending', id: s.id, code: f.errorCode });
  }

  /** RFC 9000 §19.9 */
  onMaxData(f: MaxDataFrame): void {
    this.conn.raise(f.maximum, this.scheduleFn);
  }

  /** RFC 9000 §19.10 */
  onMaxStreamData(f: MaxStreamDataFrame): void {
    const ft = FrameType.MAX_STREAM_DATA;
    if (!canSend(f.streamId, this.isClient)) throw stateError(ft, `MAX_STREAM_DATA for receive-only stream ${f.streamId}`);
    const s = this.lookup(f.streamId, ft);
    if (s?.send !== undefined && s.send.credit.raise(f.maximum)) this.schedule(s.send);
  }

  /** RFC 9000 §19.11 (values above 2^60 were rejected by the decoder). */
  onMaxStreams(f: MaxStreamsFrame): void {
    this.raiseStreamCount(f.bidi, f.maximum);
  }

  /** RFC 9000 §19.12: informational; our MAX_DATA never waits for it (§4.2). */
  onDataBlocked(_f: DataBlockedFrame): void {}

  /** RFC 9000 §19.13 */
  onStreamDataBlocked(f: StreamDataBlockedFrame): void {
    const ft = FrameType.STREAM_DATA_BLOCKED;
    if (!canReceive(f.streamId, this.isClient)) throw stateError(ft, `STREAM_DATA_BLOCKED for send-only stream ${f.streamId}`);
    this.lookup(f.streamId, ft); // §3.2: creates the receiving part of a peer's stream
  }

  /** RFC 9000 §19.14: informational (§4.6 "MUST NOT wait to receive this signal"). */
  onStreamsBlocked(_f: StreamsBlockedFrame): void {}

  // --- building packets -------------------------------------------------------------------------

  /**
   * Control frames due now, each with its token. The array is reused by the next call. Nothing
   * is marked sent until onControlSent, so frames that did not fit are offered again.
   */
  pendingControl(now: Instant, smoothedRtt: Duration): ControlFrame[] {
    const out = this.ctrlOut;
    out.length = 0;
    this.conn.pushMaxData(now, smoothedRtt, out);
    this.counts.pushMaxStreams(now, out);
    if (this.windowCheck.size > 0) {
      for (const id of this.windowCheck) {
        const r = this.streams.get(id)?.recv;
        if (r === undefined || !r.wantsWindowUpdates || !r.window.shouldUpdate()) continue;
        r.window.nextLimit(now, smoothedRtt);
        // Keep the connection window ahead of any stream window (as quic-go: 1.5×).
        this.conn.recv.ensureWindow(Math.ceil(r.window.window * 1.5));
        r.maxDataPending = true;
        this.ctrlStreams.add(id);
      }
      this.windowCheck.clear();
    }
    if (this.ctrlStreams.size > 0) {
      for (const id of this.ctrlStreams) {
        const s = this.streams.get(id);
        if (s === undefined || !this.controlDue(s)) {
          this.ctrlStreams.delete(id);
          continue;
        }
        s.send?.pushControl(out);
        s.recv?.pushControl(s.id, out);
      }
    }
    this.conn.pushDataBlocked(out);
    this.counts.pushStreamsBlocked(out);
    return out;
  }

  /** The connection sent the control frame carrying `token`. */
  onControlSent(token: StreamToken): void {
    switch (token.kind) {
      case 'max_data':
      case 'data_blocked':
        this.conn.onControlSent(token);
        break;
      case 'max_streams':
      case 'streams_blocked':
        this.counts.onControlSent(token);
        break;
      case 'reset_stream': {
        const snd = this.streams.get(token.id)?.send;
        if (snd !== undefined) {
          snd.resetPending = false;
          snd.resetTransmitted = true;
        }
        break;
      }
      case 'stop_sending': {
        const r = this.streams.get(token.id)?.recv;
        if (r !== undefined) r.stopPending = false;
        break;
      }
      case 'max_stream_data': {
        const r = this.streams.get(token.id)?.recv;
        if (r !== undefined) r.maxDataPending = false;
        break;
      }
      case 'stream_data_blocked':
        this.streams.get(token.id)?.send?.onBlockedSent();
        break;
      case 'stream':
        break;
      default:
        assertNever(token, 'stream token');
    }
  }

  /**
   * The next STREAM data to send (see SendStream.next): a view into the send buffer in a reused
   * result object. `maxData` must be ≥ 1 (an empty FIN frame needs no room for data, but the
   * caller always has at least that). undefined when nothing is sendable.
   */
  nextStreamData(maxData: number): StreamSlice | undefined {
    if (!(maxData > 0)) return undefined;
    const snd = this.scheduler.first(this.readyFn, this.droppedFn);
    if (snd === undefined) return undefined;
    if (snd.next(maxData, this.conn.send.available, this.sliceOut) === undefined) return undefined;
    this.sliceOut.id = snd.id;
    return this.sliceOut;
  }

  /** The connection sent [offset, offset+length) of stream `id` (+FIN): charge credit and rotate. */
  onStreamDataSent(id: StreamId, offset: number, length: number, fin: boolean): void {
    const snd = this.streams.get(id)?.send;
    if (snd === undefined) return;
    const fresh = snd.onSent(offset, length, fin);
    if (fresh > 0) this.conn.send.consume(fresh);
    this.scheduler.rotate(snd);
  }

  onAcked(t: StreamToken): void {
    if (t.kind === 'stream') {
      const s = this.streams.get(t.id);
      if (s?.send === undefined) return;
      const bits = s.send.onAcked(t.offset, t.length, t.fin);
      if (bits & ACK_WRITABLE) this.events.push({ type: 'writable', id: t.id });
      if (bits & ACK_FINISHED) {
        this.events.push({ type: 'finished', id: t.id });
        this.maybeRemove(s);
      }
    } else if (t.kind === 'reset_stream') {
      const s = this.streams.get(t.id);
      if (s?.send === undefined) return;
      s.send.onResetAcked();
      this.maybeRemove(s);
    }
  }

  /** RFC 9000 §13.3: re-queue what is still needed. */
  onLost(t: StreamToken): void {
    switch (t.kind) {
      case 'stream': {
        const snd = this.streams.get(t.id)?.send;
        if (snd !== undefined && snd.onLost(t.offset, t.length, t.fin)) this.schedule(snd);
        break;
      }
      case 'reset_stream': {
        const snd = this.streams.get(t.id)?.send;
        if (snd?.state === 'reset_sent') {
          snd.resetPending = true;
          this.ctrlStreams.add(t.id);
        }
        break;
      }
      case 'stop_sending': {
        const r = this.streams.get(t.id)?.recv;
        if (r !== undefined && r.stopped && (r.state === 'recv' || r.state === 'size_known')) {
          r.stopPending = true;
          this.ctrlStreams.add(t.id);
        }
        break;
      }
      case 'max_data':
      case 'data_blocked':
        this.conn.onLost(t);
        break;
      case 'max_stream_data': {
        const r = this.streams.get(t.id)?.recv;
        if (r !== undefined && r.wantsWindowUpdates && (t.maximum === undefined || t.maximum >= r.window.limit)) {
          r.maxDataPending = true;
          this.ctrlStreams.add(t.id);
        }
        break;
      }
      case 'max_streams':
      case 'streams_blocked':
        this.counts.onLost(t);
        break;
      case 'stream_data_blocked': {
        const snd = this.streams.get(t.id)?.send;
        if (snd !== undefined) {
          snd.credit.onBlockedLost(t.limit);
          snd.blockedWanted = true;
          this.ctrlStreams.add(t.id);
        }
        break;
      }
      default:
        assertNever(t, 'stream token');
    }
  }

  /** Anything to send: a control frame or stream data under the current credit. */
  hasPendingData(): boolean {
    if (this.conn.hasPendingControl) return true;
    if (this.counts.hasPendingControl()) return true;
    if (this.windowCheck.size > 0) {
      for (const id of this.windowCheck) {
        const r = this.streams.get(id)?.recv;
        if (r !== undefined && r.wantsWindowUpdates && r.window.shouldUpdate()) return true;
      }
    }
    if (this.ctrlStreams.size > 0) {
      for (const id of this.ctrlStreams) {
        const s = this.streams.get(id);
        if (s !== undefined && this.controlDue(s)) return true;
      }
    }
    return this.scheduler.first(this.readyFn, this.droppedFn) !== undefined;
  }

  /** Streams not yet closed and forgotten. */
  get openStreamCount(): number {
    return this.streams.size;
  }

  // --- introspection (stats, tests) -----------------------------------------------------------

  /** Connection-level credit granted by the peer. */
  get connectionSendCredit(): Readonly<SendCredit> {
    return this.conn.send;
  }

  /** Connection-level window granted to the peer. */
  get connectionRecvWindow(): Readonly<RecvWindow> {
    return this.conn.recv;
  }

  /** Our MAX_STREAMS limit for the peer's streams of a direction. */
  remoteStreamLimit(bidi: boolean): number {
    return this.counts.remoteLimit(bidi);
  }

  /** The states of a stream's parts, or undefined once it is closed and forgotten. */
  streamState(id: StreamId): { send?: SendState; recv?: RecvState } | undefined {
    const s = this.streams.get(id);
    if (s === undefined) return undefined;
    return { ...(s.send && { send: s.send.state }), ...(s.recv && { recv: s.recv.state }) };
  }

  /** The IDs of the streams still held (open, or closed and not yet forgotten), for diagnostics. */
  streamIds(): IterableIterator<StreamId> {
    return this.streams.keys();
  }

  /** The sending part (send buffer, credit), for stats and tests. */
  sendStream(id: StreamId): SendStream | undefined {
    return this.streams.get(id)?.send;
  }

  /** The receiving part (reassembly, window), for stats and tests. */
  recvStream(id: StreamId): RecvStream | undefined {
    return this.streams.get(id)?.recv;
  }

  // --- internals --------------------------------------------------------------------------------

  private create(id: StreamId, remote: boolean): Stream {
    const bidi = isBidi(id);
    const L = this.limits;
    const send = bidi || !remote ? new SendStream(id, this.peerStreamCredit(id, remote), L.sendBufferSize) : undefined;
    let recv: RecvStream | undefined;
    if (bidi || remote) {
      const initial = remote ? (bidi ? L.initialMaxStreamDataBidiRemote : L.initialMaxStreamDataUni) : L.initialMaxStreamDataBidiLocal;
      recv = new RecvStream(initial, Math.max(initial, L.maxStreamWindow), this.chunkLimits);
    }
    const s = new Stream(id, remote, send, recv);
    this.streams.set(id, s);
    return s;
  }

  /** The peer's initial_max_stream_data_* that governs our sending on stream `id` (§18.2). */
  private peerStreamCredit(id: StreamId, remote: boolean): number {
    const p = this.peer;
    if (p === undefined) return 0;
    if (!isBidi(id)) return p.initialMaxStreamDataUni;
    // Our stream is "remote" for the peer, and the other way round.
    return remote ? p.initialMaxStreamDataBidiLocal : p.initialMaxStreamDataBidiRemote;
  }

  /**
   * The stream a frame refers to, opening peer streams as needed (§3.2: with all lower-numbered
   * streams of the type). undefined for a stream already closed. Throws STREAM_STATE_ERROR for
   * a local stream not yet opened and STREAM_LIMIT_ERROR beyond our MAX_STREAMS (§4.6).
   */
  private lookup(id: StreamId, frameType: number): Stream | undefined {
    const s = this.streams.get(id);
    if (s !== undefined) return s;
    const first = this.counts.admit(id, frameType);
    if (first < 0) return undefined;
    const bidi = isBidi(id);
    const clientInitiated = !this.isClient;
    for (let i = first, last = streamIndex(id); i <= last; i++) {
      const sid = streamIdOf(i, bidi, clientInitiated);
      this.create(sid, true);
      this.events.push({ type: 'opened', id: sid });
    }
    return this.streams.get(id);
  }

  private sendSide(id: StreamId): SendStream {
    const s = this.streams.get(id);
    if (s === undefined) throw new RangeError(`unknown or closed stream ${id}`);
    if (s.send === undefined) throw new RangeError(`stream ${id} is receive-only`);
    return s.send;
  }

  private resetSend(snd: SendStream, code: number): boolean {
    if (!snd.reset(code)) return false;
    this.ctrlStreams.add(snd.id);
    return true;
  }

  private raiseStreamCount(bidi: boolean, maximum: number): void {
    if (this.counts.raiseLocal(bidi, maximum)) this.events.push({ type: 'available', bidi });
  }

  private schedule(snd: SendStream): void {
    if (snd.hasWork) this.scheduler.add(snd);
  }

  /** A stream left the scheduler with nothing sendable: record what blocks it (§4.1). */
  private onDequeued(snd: SendStream): void {
    if (!snd.hasWork) return;
    if (snd.blockedByStreamCredit) {
      snd.blockedWanted = true;
      this.ctrlStreams.add(snd.id);
    } else if (snd.sentOffset < snd.writeOffset && this.conn.send.available === 0) {
      this.conn.noteBlocked(snd);
    }
  }

  private controlDue(s: Stream): boolean {
    return (s.send?.controlDue ?? false) || (s.recv?.controlDue ?? false);
  }

  private emitReadable(s: Stream): void {
    if (s.readableQueued) return;
    s.readableQueued = true;
    this.events.push({ type: 'readable', id: s.id });
  }

  /**
   * Forgets a stream once both parts are terminal and the app has read everything (§3.4
   * "closed"); a peer's stream returns one unit of stream-count credit (§4.6).
   */
  private maybeRemove(s: Stream): void {
    if ((s.send !== undefined && !s.send.isTerminal) || (s.recv !== undefined && !s.recv.isTerminal)) return;
    if (!this.streams.delete(s.id)) return;
    s.recv?.buf.clear(); // anything still held leaves the connection's chunk budget
    this.ctrlStreams.delete(s.id);
    this.windowCheck.delete(s.id);
    if (s.remote) this.counts.onRemoteClosed(isBidi(s.id));
  }
}

function stateError(frameType: number, reason: string): TransportError {
  return new TransportError(ErrorCode.STREAM_STATE_ERROR, frameType, reason);
}
