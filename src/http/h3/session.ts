/**
 * One HTTP/3 connection (RFC 9114) over a QuicConnection, for either role: the critical
 * unidirectional streams both ways (control, QPACK encoder and decoder, RFC 9114 §6.2), the
 * SETTINGS exchange (§7.2.4), GOAWAY (§5.2), the QPACK encoder and decoder (RFC 9204), and the
 * dispatch of the peer's streams. Request streams are handed to the message layer (message.ts)
 * through the 'request' event (server) or opened by the client.
 *
 * Every protocol violation found here ends as an H3 connection error: the QUIC connection is
 * closed with the code (RFC 9114 §8). Nothing the peer sends throws out of the session.
 */
import { concatBytes } from '../../util/bytes.js';
import { EventEmitter } from 'node:events';
import type { QuicConnection } from '../../io/connection.js';
import type { QuicStream } from '../../io/stream.js';
import type { QuicStreamError } from '../../io/errors.js';
import type { QlogEvent, QlogEventName } from '../../qlog/events.js';
import type { HTTP3ParametersSet } from '../../qlog/h3.js';
import { checkVarint, varintLength, writeVarintAt } from '../../util/varint.js';
import { QpackDecoder, QpackEncoder, QpackError } from '../qpack/index.js';
import { H3Error, H3ErrorCode, h3ErrorName } from './errors.js';
import { fieldSectionSize, type FieldLine } from './fields.js';
import {
  DEFAULT_MAX_SETTINGS_PAYLOAD,
  encodeDataHeader,
  encodeFrame,
  encodeRawFrame,
  frameHeaderLength,
  FrameReader,
  greaseValue,
  SettingId,
  StreamType,
  type H3Frame,
  type ReaderEvent,
  type Setting,
} from './frames.js';
import { frameToQlog, settingsToQlog, streamTypeToQlog } from './qlog.js';

/** The ALPN of HTTP/3 (RFC 9114 §3.1). */
export const H3_ALPN = 'h3';

/** Defaults of our SETTINGS. */
export const DEFAULT_H3_MAX_FIELD_SECTION_SIZE = 64 * 1024;
export const DEFAULT_QPACK_MAX_TABLE_CAPACITY = 4096;
export const DEFAULT_QPACK_BLOCKED_STREAMS = 16;

export interface H3SessionOptions {
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce on received sections (default 64 KiB). */
  maxFieldSectionSize?: number;
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise: the peer's encoder may use a dynamic table this large (default 4096). */
  qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS we advertise (default 16). */
  qpackBlockedStreams?: number;
  /** Largest HEADERS frame payload accepted (default: twice maxFieldSectionSize, at least 16 KiB). */
  maxFieldSectionPayload?: number;
  /** Send a reserved setting and a reserved frame type on the control stream (RFC 9114 §7.2.4.1, §7.2.8; default true). */
  grease?: boolean;
  /** Connection-level events (errors, GOAWAY), one line each. */
  log?: (line: string) => void;
}

/** What the peer's SETTINGS said (defaults until they arrive, RFC 9114 §7.2.4.2). */
export interface H3PeerSettings {
  /** SETTINGS_MAX_FIELD_SECTION_SIZE: Infinity when not sent (RFC 9114 §7.2.4.1). */
  maxFieldSectionSize: number;
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204 §5). Our encoder never uses the dynamic table. */
  qpackMaxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5). */
  qpackBlockedStreams: number;
  /** Every setting as received, unknown and reserved ones included. */
  all: Setting[];
}

export interface H3SessionEvents {
  /** Server: the client opened a request stream (RFC 9114 §6.1). */
  request: [stream: QuicStream];
  /** The peer's SETTINGS arrived. */
  settings: [settings: H3PeerSettings];
  /** The peer sent GOAWAY (from a server a stream ID, from a client a push ID; RFC 9114 §5.2). */
  goaway: [id: number];
  /** The connection is gone; `error` is the H3 connection error this side detected, if any. */
  close: [error: H3Error | undefined];
}

const sessions = new WeakMap<QuicConnection, H3Session>();

function varintBytes(v: number): Uint8Array {
  checkVarint(v);
  const b = new Uint8Array(varintLength(v));
  writeVarintAt(b, 0, v);
  return b;
}

/** Whether a stream error means only that the connection went away (not the peer closing the stream). */
function isConnectionGone(e: unknown): boolean {
  return (e as Partial<QuicStreamError>).code === 'ERR_QUIC_CONNECTION_CLOSED';
}

export class H3Session extends EventEmitter<H3SessionEvents> {
  readonly connection: QuicConnection;
  readonly role: 'client' | 'server';
  /** The peer's settings: defaults until its SETTINGS frame arrives (`settingsReceived`). */
  readonly peerSettings: H3PeerSettings = { maxFieldSectionSize: Infinity, qpackMaxTableCapacity: 0, qpackBlockedStreams: 0, all: [] };
  settingsReceived = false;
  /** The smallest GOAWAY identifier received (RFC 9114 §5.2). */
  goawayReceived: number | undefined;
  /** The smallest GOAWAY identifier sent. */
  goawaySent: number | undefined;
  /** The connection error this side detected (the connection is closing with its code). */
  error: H3Error | undefined;
  /** Our limits, as advertised. */
  readonly maxFieldSectionSize: number;
  readonly maxFieldSectionPayload: number;

  private readonly decoder: QpackDecoder;
  private readonly encoder: QpackEncoder;
  private readonly qpackCapacity: number;
  private readonly qpackBlocked: number;
  private readonly grease: boolean;
  private readonly log: ((line: string) => void) | undefined;
  private control: QuicStream | undefined;
  private decoderStream: QuicStream | undefined;
  /** Control frames and decoder instructions produced before their stream was open. */
  private controlPending: Uint8Array[] = [];
  private decoderPending: Uint8Array[] = [];
  private peerControl = false;
  private peerEncoder = false;
  private peerDecoder = false;
  /** Server: the largest MAX_PUSH_ID received. */
  private maxPushId: number | undefined;
  /** Server: the largest request stream ID accepted so far (-4: none). */
  private lastRequestId = -4;
  /** Message readers waiting for QPACK (RFC 9204 §2.1.2), by stream ID. */
  private readonly blocked = new Map<number, () => void>();
  private closed = false;

  /**
   * The HTTP/3 session of `qc`, created on first use (one per connection: the control and QPACK
   * streams exist once). Options apply only when it is created.
   */
  static for(qc: QuicConnection, o: H3SessionOptions = {}): H3Session {
    let s = sessions.get(qc);
    if (s === undefined) {
      s = new H3Session(qc, o);
      sessions.set(qc, s);
    }
    return s;
  }

  private constructor(qc: QuicConnection, o: H3SessionOptions) {
    super();
    // Every request in flight listens for GOAWAY.
    this.setMaxListeners(0);
    this.connection = qc;
    this.role = qc.role;
    this.maxFieldSectionSize = o.maxFieldSectionSize ?? DEFAULT_H3_MAX_FIELD_SECTION_SIZE;
    this.maxFieldSectionPayload = o.maxFieldSectionPayload ?? Math.max(2 * this.maxFieldSectionSize, 16 * 1024);
    this.qpackCapacity = o.qpackMaxTableCapacity ?? DEFAULT_QPACK_MAX_TABLE_CAPACITY;
    this.qpackBlocked = o.qpackBlockedStreams ?? DEFAULT_QPACK_BLOCKED_STREAMS;
    this.grease = o.grease ?? true;
    this.log = o.log;
    this.decoder = new QpackDecoder({ maxTableCapacity: this.qpackCapacity, maxBlockedStreams: this.qpackBlocked, maxFieldSectionSize: this.maxFieldSectionSize });
    this.encoder = new QpackEncoder({ huffman: true });
    void qc.closed.then(() => this.onClosed());
    if (qc.closeInfo !== undefined) return;
    void this.acceptStreams();
    void this.openCriticalStreams();
  }

  /** Who this is, for log lines. */
  get who(): string {
    const r = this.connection.remoteAddress;
    return `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
  }

  /** Whether new requests may still be sent (client) or accepted (server). */
  get acceptingRequests(): boolean {
    return !this.closed && this.error === undefined && this.connection.closeInfo === undefined && (this.role === 'client' ? this.goawayReceived === undefined : this.goawaySent === undefined);
  }

  // --- errors ------------------------------------------------------------------------------------

  /** An H3 connection error (RFC 9114 §8): the QUIC connection closes with `code`. */
  connectionError(code: number, reason: string): void {
    if (this.error !== undefined || this.connection.closeInfo !== undefined) return;
    this.error = new H3Error(code, reason);
    this.log?.(`h3 ${this.who}: connection error ${h3ErrorName(code)}: ${reason}`);
    void this.connection.close(code, reason.length > 200 ? reason.slice(0, 200) : reason);
  }

  /** Turns anything thrown while handling the peer's bytes into the right error. */
  fail(e: unknown, onStreamError?: (code: number, reason: string) => void): void {
    if (e instanceof H3Error) {
      if (e.scope === 'stream' && onStreamError !== undefined) onStreamError(e.code, e.message);
      else this.connectionError(e.code, e.message);
    } else if (e instanceof QpackError) {
      // RFC 9204 §6: QPACK errors are connection errors.
      this.connectionError(e.code, e.message);
    } else {
      this.connectionError(H3ErrorCode.H3_INTERNAL_ERROR, `internal error: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  // --- qlog ----------------------------------------------------------------------------------

  /** Whether the connection's qlog wants events of `name`. */
  qlogWants(name: QlogEventName): boolean {
    return this.connection.qlogWants(name);
  }

  /** Writes an http3 event to the connection's qlog. */
  qlog(e: QlogEvent): void {
    this.connection.qlogEvent(e);
  }

  /** http3:frame_created / frame_parsed for one frame. */
  qlogFrame(dir: 'created' | 'parsed', streamId: number, f: H3Frame, headerLength: number, payloadLength: number, fields?: readonly FieldLine[]): void {
    const name = dir === 'created' ? 'http3:frame_created' : 'http3:frame_parsed';
    if (!this.connection.qlogWants(name)) return;
    this.connection.qlogEvent({ name, data: { stream_id: streamId, frame: frameToQlog(f, headerLength, payloadLength, fields) } });
  }

  private qlogStreamType(initiator: 'local' | 'remote', streamId: number, type: number | 'request'): void {
    if (!this.connection.qlogWants('http3:stream_type_set')) return;
    if (type === 'request') {
      this.qlog({ name: 'http3:stream_type_set', data: { initiator, stream_id: streamId, stream_type: 'request' } });
      return;
    }
    const t = streamTypeToQlog(type);
    this.qlog({
      name: 'http3:stream_type_set',
      data: { initiator, stream_id: streamId, stream_type: t, ...(t === 'unknown' || t === 'reserved' ? { stream_type_bytes: type } : {}) },
    });
  }

  // --- our streams ---------------------------------------------------------------------------

  /** RFC 9114 §6.2: our control stream (SETTINGS first) and QPACK streams, opened at once. */
  private async openCriticalStreams(): Promise<void> {
    const qc = this.connection;
    const settings: Setting[] = [
      { id: SettingId.QPACK_MAX_TABLE_CAPACITY, value: this.qpackCapacity },
      { id: SettingId.QPACK_BLOCKED_STREAMS, value: this.qpackBlocked },
      { id: SettingId.MAX_FIELD_SECTION_SIZE, value: this.maxFieldSectionSize },
    ];
    // RFC 9114 §7.2.4.1: at least one reserved setting.
    if (this.grease) settings.push({ id: greaseValue(), value: Math.floor(Math.random() * 0x3fffffff) });
    const settingsFrame = encodeFrame({ type: 'settings', settings });
    try {
      const control = await qc.openStream({ bidirectional: false });
      this.watchOwn(control, 'control');
      this.qlogStreamType('local', control.id, StreamType.CONTROL);
      const parts = [varintBytes(StreamType.CONTROL), settingsFrame];
      if (this.qlogWants('http3:parameters_set')) {
        this.qlog({
          name: 'http3:parameters_set',
          data: {
            initiator: 'local',
            max_field_section_size: this.maxFieldSectionSize,
            max_table_capacity: this.qpackCapacity,
            blocked_streams_count: this.qpackBlocked,
            waits_for_settings: false,
          },
        });
      }
      const sh = frameHeaderLength(settingsFrame);
      this.qlogFrame('created', control.id, { type: 'settings', settings }, sh, settingsFrame.length - sh);
      if (this.grease) {
        // RFC 9114 §7.2.8: a reserved frame type, with a few bytes of payload, after SETTINGS.
        const type = greaseValue();
        const payload = new Uint8Array(Math.floor(Math.random() * 8));
        const g = encodeRawFrame(type, payload);
        parts.push(g);
        this.qlogFrame('created', control.id, { type: 'reserved', frameType: type, length: payload.length }, g.length - payload.length, payload.length);
      }
      control.write(concatBytes(...parts, ...this.controlPending));
      this.controlPending = [];
      this.control = control;

      const enc = await qc.openStream({ bidirectional: false });
      this.watchOwn(enc, 'QPACK encoder');
      this.qlogStreamType('local', enc.id, StreamType.QPACK_ENCODER);
      // Our encoder never inserts into the dynamic table: the stream carries only its type.
      enc.write(varintBytes(StreamType.QPACK_ENCODER));

      const dec = await qc.openStream({ bidirectional: false });
      this.watchOwn(dec, 'QPACK decoder');
      this.qlogStreamType('local', dec.id, StreamType.QPACK_DECODER);
      dec.write(concatBytes(varintBytes(StreamType.QPACK_DECODER), ...this.decoderPending));
      this.decoderPending = [];
      this.decoderStream = dec;
    } catch {
      // The connection closed before the streams could be opened: nothing left to do.
    }
  }

  /** Our critical streams must stay open: a STOP_SENDING from the peer is H3_CLOSED_CRITICAL_STREAM (RFC 9114 §6.2.1). */
  private watchOwn(st: QuicStream, what: string): void {
    st.on('error', (e) => {
      if (isConnectionGone(e) || this.connection.closeInfo !== undefined) return;
      this.connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `peer stopped our ${what} stream: ${(e as Error).message}`);
    });
  }

  /** Queues a frame on our control stream. */
  private writeControl(frame: Uint8Array): void {
    if (this.control !== undefined) {
      if (!this.control.destroyed) this.control.write(frame);
    } else this.controlPending.push(frame);
  }

  /** Sends what the QPACK decoder has to tell the peer's encoder (RFC 9204 §4.4). */
  private flushDecoderInstructions(): void {
    const ins = this.decoder.takeDecoderInstructions();
    if (ins === undefined || ins.length === 0) return;
    if (this.decoderStream !== undefined) {
      if (!this.decoderStream.destroyed) this.decoderStream.write(ins);
    } else this.decoderPending.push(ins);
  }

  // --- GOAWAY --------------------------------------------------------------------------------

  /**
   * Server: starts a graceful shutdown (RFC 9114 §5.2) with GOAWAY carrying the first request
   * stream ID not accepted; later requests are rejected with H3_REQUEST_REJECTED. Returns the ID.
   */
  goaway(): number {
    if (this.role !== 'server') throw new Error('goaway(): only a server sends request stream IDs');
    const id = this.lastRequestId + 4;
    if (this.goawaySent !== undefined && this.goawaySent <= id) return this.goawaySent;
    this.goawaySent = id;
    const f = encodeFrame({ type: 'goaway', id });
    this.writeControl(f);
    // Our control stream is the first unidirectional stream a server opens: 3.
    const h = frameHeaderLength(f);
    this.qlogFrame('created', this.control?.id ?? 3, { type: 'goaway', id }, h, f.length - h);
    this.log?.(`h3 ${this.who}: GOAWAY ${id}`);
    return id;
  }

  /** RFC 9114 §5.2: GOAWAY from the peer. */
  private onGoaway(id: number): void {
    if (this.role === 'client' && id % 4 !== 0) throw new H3Error(H3ErrorCode.H3_ID_ERROR, `GOAWAY ${id} is not a client-initiated bidirectional stream ID`);
    if (this.goawayReceived !== undefined && id > this.goawayReceived) throw new H3Error(H3ErrorCode.H3_ID_ERROR, `GOAWAY ${id} after GOAWAY ${this.goawayReceived}`);
    this.goawayReceived = id;
    this.log?.(`h3 ${this.who}: GOAWAY ${id} received`);
    this.emit('goaway', id);
  }

  /** Closes the connection with H3_NO_ERROR (RFC 9114 §5.2: the end of a graceful shutdown). */
  close(reason = ''): Promise<void> {
    return this.connection.close(H3ErrorCode.H3_NO_ERROR, reason).then(() => {});
  }

  // --- field sections --------------------------------------------------------------------------

  /** Client: records a request stream it opened (qlog http3:stream_type_set). */
  requestOpened(streamId: number): void {
    this.qlogStreamType('local', streamId, 'request');
  }

  /**
   * A HEADERS frame for `fields` on `streamId`. Throws a RangeError when the section exceeds the
   * peer's SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2).
   */
  headersFrame(streamId: number, fields: readonly FieldLine[]): Uint8Array {
    const size = fieldSectionSize(fields);
    if (size > this.peerSettings.maxFieldSectionSize) throw new RangeError(`field section of ${size} bytes exceeds the peer's limit of ${this.peerSettings.maxFieldSectionSize}`);
    const section = this.encoder.encode(fields);
    const frame = encodeFrame({ type: 'headers', fieldSection: section });
    this.qlogFrame('created', streamId, { type: 'headers', fieldSection: section }, frame.length - section.length, section.length, fields);
    return frame;
  }

  /** The header of a DATA frame of `length` bytes on `streamId`. */
  dataHeader(streamId: number, length: number): Uint8Array {
    const h = encodeDataHeader(length);
    this.qlogFrame('created', streamId, { type: 'data', length }, h.length, length);
    return h;
  }

  /**
   * Decodes a received field section (RFC 9204 §4.5). Null when it waits for dynamic table
   * entries: `onUnblocked` runs once they arrived (then decode again). Throws QpackError.
   */
  decodeFields(streamId: number, section: Uint8Array, onUnblocked: () => void): FieldLine[] | null {
    const r = this.decoder.decode(streamId, section);
    this.flushDecoderInstructions();
    if (r === null) this.blocked.set(streamId, onUnblocked);
    else this.blocked.delete(streamId);
    return r;
  }

  /**
   * A request stream ended before all its field sections were processed (RFC 9204 §4.4.2: the
   * decoder tells the peer's encoder with a Stream Cancellation).
   */
  cancelStream(streamId: number): void {
    this.blocked.delete(streamId);
    if (this.connection.closeInfo !== undefined) return;
    try {
      this.decoder.cancelStream(streamId);
      this.flushDecoderInstructions();
    } catch (e) {
      this.fail(e);
    }
  }

  private unblock(ids: readonly number[]): void {
    for (const id of ids) {
      const cb = this.blocked.get(id);
      this.blocked.delete(id);
      cb?.();
    }
  }

  // --- the peer's streams ----------------------------------------------------------------------

  private async acceptStreams(): Promise<void> {
    for await (const st of this.connection.incomingStreams()) {
      try {
        if (st.bidirectional) this.onBidi(st);
        else this.onUni(st);
      } catch (e) {
        this.fail(e);
      }
    }
  }

  private onBidi(st: QuicStream): void {
    if (this.role === 'client') {
      // RFC 9114 §6.1: no server-initiated bidirectional streams without an extension.
      st.on('error', () => {});
      throw new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, `server-initiated bidirectional stream ${st.id}`);
    }
    this.lastRequestId = Math.max(this.lastRequestId, st.id);
    this.qlogStreamType('remote', st.id, 'request');
    if (this.goawaySent !== undefined && st.id >= this.goawaySent) {
      // RFC 9114 §5.2: beyond our GOAWAY; not processed, so the client may retry it elsewhere.
      st.on('error', () => {});
      st.reset(H3ErrorCode.H3_REQUEST_REJECTED);
      if (!st.destroyed) st.stopSending(H3ErrorCode.H3_REQUEST_REJECTED);
      return;
    }
    this.emit('request', st);
  }

  /** RFC 9114 §6.2: a unidirectional stream of the peer, by its type. */
  private onUni(st: QuicStream): void {
    const reader = new FrameReader({ maxFieldSectionPayload: this.maxFieldSectionPayload, maxSettingsPayload: DEFAULT_MAX_SETTINGS_PAYLOAD });
    let kind: 'type' | 'control' | 'encoder' | 'decoder' | 'push' | 'ignored' = 'type';
    const critical = (): boolean => kind === 'control' || kind === 'encoder' || kind === 'decoder';
    const name = (): string => (kind === 'encoder' ? 'QPACK encoder' : kind === 'decoder' ? 'QPACK decoder' : 'control');

    const step = (): void => {
      if (kind === 'type') {
        const type = reader.readVarint();
        if (type === undefined) return;
        this.qlogStreamType('remote', st.id, type);
        switch (type) {
          case StreamType.CONTROL:
            if (this.peerControl) throw new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'a second control stream');
            this.peerControl = true;
            kind = 'control';
            break;
          case StreamType.QPACK_ENCODER:
            // RFC 9204 §4.2: one of each; a second is H3_STREAM_CREATION_ERROR.
            if (this.peerEncoder) throw new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'a second QPACK encoder stream');
            this.peerEncoder = true;
            kind = 'encoder';
            break;
          case StreamType.QPACK_DECODER:
            if (this.peerDecoder) throw new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'a second QPACK decoder stream');
            this.peerDecoder = true;
            kind = 'decoder';
            break;
          case StreamType.PUSH:
            // RFC 9114 §6.2.2: only servers push.
            if (this.role === 'server') throw new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'push stream from a client');
            kind = 'push';
            break;
          default:
            // RFC 9114 §6.2, §9: unknown and reserved types are not read; never a connection error.
            kind = 'ignored';
            st.stopSending(H3ErrorCode.H3_STREAM_CREATION_ERROR);
            reader.drain();
            return;
        }
      }
      switch (kind) {
        case 'push': {
          // RFC 9114 §4.6: we never sent MAX_PUSH_ID, so every push ID exceeds the limit.
          const pushId = reader.readVarint();
          if (pushId !== undefined) throw new H3Error(H3ErrorCode.H3_ID_ERROR, `push stream for push ID ${pushId} without MAX_PUSH_ID`);
          return;
        }
        case 'control':
          for (let ev = reader.next(); ev !== undefined; ev = reader.next()) {
            this.onControlEvent(st.id, ev);
            if (this.error !== undefined) return;
          }
          return;
        case 'encoder':
          for (const chunk of reader.drain()) {
            const ids = this.decoder.onEncoderStream(chunk);
            this.flushDecoderInstructions();
            this.unblock(ids);
          }
          return;
        case 'decoder':
          for (const chunk of reader.drain()) this.encoder.onDecoderStream(chunk);
          return;
        default:
          reader.drain();
      }
    };

    st.on('data', (chunk: Buffer) => {
      if (kind === 'ignored' || this.error !== undefined) return;
      reader.push(chunk);
      try {
        step();
      } catch (e) {
        this.fail(e);
      }
    });
    st.on('end', () => {
      // RFC 9114 §6.2.1, RFC 9204 §4.2: the critical streams must never close.
      if (critical() && this.connection.closeInfo === undefined) this.connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `the peer closed its ${name()} stream`);
    });
    st.on('error', (e) => {
      if (isConnectionGone(e) || this.connection.closeInfo !== undefined) return;
      if (critical()) this.connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `the peer reset its ${name()} stream`);
      // Other streams may be reset at any point, even before their type (RFC 9114 §6.2).
    });
  }

  /** One event on the peer's control stream (RFC 9114 §6.2.1, §7.2). */
  private onControlEvent(streamId: number, ev: ReaderEvent): void {
    if (ev.kind !== 'frame') throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, 'DATA on the control stream');
    const f = ev.frame;
    if (f.type !== 'data') this.qlogFrame('parsed', streamId, f, ev.headerLength, ev.payloadLength);
    if (!this.settingsReceived) {
      // RFC 9114 §6.2.1: SETTINGS first; an unknown frame type does not count (§9).
      if (f.type !== 'settings') throw new H3Error(H3ErrorCode.H3_MISSING_SETTINGS, `first frame on the control stream is ${f.type}, not SETTINGS`);
      this.applySettings(f.settings);
      return;
    }
    switch (f.type) {
      case 'settings':
        throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, 'a second SETTINGS frame');
      case 'data':
      case 'headers':
      case 'push_promise':
        throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, `${f.type.toUpperCase()} on the control stream`);
      case 'goaway':
        this.onGoaway(f.id);
        return;
      case 'max_push_id':
        // RFC 9114 §7.2.7
        if (this.role === 'client') throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, 'MAX_PUSH_ID from a server');
        if (this.maxPushId !== undefined && f.pushId < this.maxPushId) throw new H3Error(H3ErrorCode.H3_ID_ERROR, `MAX_PUSH_ID ${f.pushId} below ${this.maxPushId}`);
        this.maxPushId = f.pushId;
        return;
      case 'cancel_push':
        // RFC 9114 §7.2.3: a client never allowed a push ID (no MAX_PUSH_ID); a server never promised one.
        throw new H3Error(H3ErrorCode.H3_ID_ERROR, `CANCEL_PUSH ${f.pushId} for a push that cannot exist`);
      case 'reserved':
      case 'unknown':
        return;
    }
  }

  /** RFC 9114 §7.2.4, RFC 9204 §5 */
  private applySettings(settings: readonly Setting[]): void {
    const p = this.peerSettings;
    for (const { id, value } of settings) {
      if (id === SettingId.MAX_FIELD_SECTION_SIZE) p.maxFieldSectionSize = value;
      else if (id === SettingId.QPACK_MAX_TABLE_CAPACITY) p.qpackMaxTableCapacity = value;
      else if (id === SettingId.QPACK_BLOCKED_STREAMS) p.qpackBlockedStreams = value;
    }
    p.all = [...settings];
    this.settingsReceived = true;
    if (this.qlogWants('http3:parameters_set')) {
      const data: HTTP3ParametersSet = { initiator: 'remote' };
      for (const s of settingsToQlog(settings)) {
        if (s.name === 'settings_max_field_section_size') data.max_field_section_size = s.value;
        else if (s.name === 'settings_qpack_max_table_capacity') data.max_table_capacity = s.value;
        else if (s.name === 'settings_qpack_blocked_streams') data.blocked_streams_count = s.value;
        else if (s.name === 'settings_enable_connect_protocol') data.extended_connect = s.value;
        else if (s.name === 'settings_h3_datagram') data.h3_datagram = s.value;
        else data[`setting_0x${(s.name_bytes ?? 0).toString(16)}`] = s.value;
      }
      this.qlog({ name: 'http3:parameters_set', data });
    }
    this.emit('settings', p);
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocked.clear();
    this.emit('close', this.error);
  }
}
