/**
 * HTTP/3 frames (RFC 9114 §7): `Type (i), Length (i), Frame Payload (..)`, each a QUIC
 * variable-length integer (RFC 9000 §16), and the incremental reader that takes a stream's bytes
 * in chunks of any size.
 *
 * The reader never holds more than one bounded frame payload: HEADERS and PUSH_PROMISE up to
 * `maxFieldSectionPayload`, SETTINGS up to `maxSettingsPayload`, the one-integer frames up to 8
 * bytes. DATA payloads are handed out piece by piece as they arrive, and the payloads of
 * reserved and unknown frame types are skipped as they arrive (RFC 9114 §9), so neither is ever
 * buffered whole. Everything a peer can get wrong is reported as an `H3Error`.
 */
import { checkVarint, readVarintAt, readVarintBigAt, varintLength, varintLengthFromFirstByte, writeVarintAt } from '../../util/varint.js';
import { H3Error, H3ErrorCode, isReservedId } from './errors.js';

/** RFC 9114 §7.2, §11.2.1 */
export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** RFC 9114 §7.2.8, §11.2.1: HTTP/2 frame types with no HTTP/3 meaning (PRIORITY, PING, WINDOW_UPDATE, CONTINUATION). */
export const HTTP2_FRAME_TYPES: ReadonlySet<number> = new Set([0x02, 0x06, 0x08, 0x09]);

/** RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220 §3, RFC 9297 §2.1.1 */
export const SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
  ENABLE_CONNECT_PROTOCOL: 0x08,
  H3_DATAGRAM: 0x33,
} as const;

/** RFC 9114 §7.2.4.1, §11.2.2: HTTP/2 settings with no HTTP/3 counterpart; receiving one is H3_SETTINGS_ERROR. */
export const HTTP2_SETTINGS: ReadonlySet<number> = new Set([0x02, 0x03, 0x04, 0x05]);

/** RFC 9114 §6.2, RFC 9204 §4.2 */
export const StreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

export interface Setting {
  id: number;
  value: number;
}

/** One HTTP/3 frame. DATA carries only its length: its payload is streamed separately. */
export type H3Frame =
  | { type: 'data'; length: number }
  | { type: 'headers'; fieldSection: Uint8Array }
  | { type: 'cancel_push'; pushId: number }
  | { type: 'settings'; settings: Setting[] }
  | { type: 'push_promise'; pushId: number; fieldSection: Uint8Array }
  | { type: 'goaway'; id: number }
  | { type: 'max_push_id'; pushId: number }
  /** RFC 9114 §7.2.8: 0x1f·N + 0x21; the payload is skipped. */
  | { type: 'reserved'; frameType: number; length: number }
  /** RFC 9114 §9: any other type this implementation does not know; the payload is skipped. */
  | { type: 'unknown'; frameType: number; length: number };

/** Default bound on a HEADERS / PUSH_PROMISE payload (the encoded field section). */
export const DEFAULT_MAX_FIELD_SECTION_PAYLOAD = 64 * 1024;
/** Default bound on a SETTINGS payload. */
export const DEFAULT_MAX_SETTINGS_PAYLOAD = 16 * 1024;

// --- encoding ------------------------------------------------------------------------------------

function header(type: number, length: number): Uint8Array {
  checkVarint(type);
  checkVarint(length);
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarintAt(out, writeVarintAt(out, 0, type), length);
  return out;
}

/** A frame of `type` around `payload` (RFC 9114 §7.1). */
export function encodeRawFrame(type: number, payload: Uint8Array): Uint8Array {
  checkVarint(type);
  checkVarint(payload.length);
  const tl = varintLength(type);
  const out = new Uint8Array(tl + varintLength(payload.length) + payload.length);
  const o = writeVarintAt(out, writeVarintAt(out, 0, type), payload.length);
  out.set(payload, o);
  return out;
}

/** The bytes of Type and Length at the start of an encoded frame. */
export function frameHeaderLength(encoded: Uint8Array): number {
  const t = varintLengthFromFirstByte(encoded[0]!);
  return t + varintLengthFromFirstByte(encoded[t]!);
}

/** The Type and Length of a DATA frame whose `length` payload bytes follow (RFC 9114 §7.2.1). */
export function encodeDataHeader(length: number): Uint8Array {
  return header(FrameType.DATA, length);
}

function varints(values: readonly number[]): Uint8Array {
  let n = 0;
  for (const v of values) {
    checkVarint(v);
    n += varintLength(v);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const v of values) o = writeVarintAt(out, o, v);
  return out;
}

/** Encodes a complete frame (for DATA use `encodeDataHeader` followed by the payload). */
export function encodeFrame(f: Exclude<H3Frame, { type: 'data' } | { type: 'reserved' } | { type: 'unknown' }>): Uint8Array {
  switch (f.type) {
    case 'headers':
      return encodeRawFrame(FrameType.HEADERS, f.fieldSection);
    case 'cancel_push':
      return encodeRawFrame(FrameType.CANCEL_PUSH, varints([f.pushId]));
    case 'settings':
      // RFC 9114 §7.2.4: Identifier (i), Value (i) pairs.
      return encodeRawFrame(FrameType.SETTINGS, varints(f.settings.flatMap((s) => [s.id, s.value])));
    case 'push_promise': {
      const id = varints([f.pushId]);
      const p = new Uint8Array(id.length + f.fieldSection.length);
      p.set(id);
      p.set(f.fieldSection, id.length);
      return encodeRawFrame(FrameType.PUSH_PROMISE, p);
    }
    case 'goaway':
      return encodeRawFrame(FrameType.GOAWAY, varints([f.id]));
    case 'max_push_id':
      return encodeRawFrame(FrameType.MAX_PUSH_ID, varints([f.pushId]));
  }
}

/**
 * A reserved value 0x1f·N + 0x21 (RFC 9114 §6.2.3, §7.2.4.1, §7.2.8) for a random N that keeps
 * it within 4-byte varints: grease for frame types, setting identifiers and stream types.
 */
export function greaseValue(random: () => number = Math.random): number {
  return 0x1f * Math.floor(random() * 0x1000000) + 0x21;
}

// --- decoding ------------------------------------------------------------------------------------

/** One thing the reader found in the stream. */
export type ReaderEvent =
  /** A frame: complete for every type but DATA, whose payload follows as 'data' events. `headerLength` is the bytes of Type and Length. */
  | { kind: 'frame'; frame: H3Frame; headerLength: number; payloadLength: number }
  /** A piece of the current DATA frame's payload (a view into a pushed chunk). */
  | { kind: 'data'; bytes: Uint8Array };

/** Bounds a FrameReader applies to frames whose payload it buffers whole. */
export interface FrameReaderOptions {
  /** Largest HEADERS / PUSH_PROMISE payload accepted (default 64 KiB); larger is a stream error H3_EXCESSIVE_LOAD. */
  maxFieldSectionPayload?: number;
  /** Largest SETTINGS payload accepted (default 16 KiB); larger is a connection error H3_EXCESSIVE_LOAD. */
  maxSettingsPayload?: number;
}

type State = 'type' | 'length' | 'payload' | 'data' | 'skip';

/**
 * Turns a stream's bytes, pushed in chunks split anywhere, into frames. `next()` returns the
 * next event or undefined when more bytes are needed; it throws `H3Error` for anything
 * malformed (RFC 9114 §7.1: H3_FRAME_ERROR; §7.2.8: H3_FRAME_UNEXPECTED for HTTP/2 types;
 * §7.2.4: H3_SETTINGS_ERROR). After an error the reader must not be used again.
 */
export class FrameReader {
  private readonly chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  /** Bytes buffered and not yet consumed. */
  private size = 0;
  private state: State = 'type';
  private type = 0;
  private typeLength = 0;
  /** Type and Length bytes of the current frame. */
  private headerLength = 0;
  /** Payload bytes left in the current frame ('payload', 'data', 'skip'). */
  private remaining = 0;
  private readonly maxFieldSection: number;
  private readonly maxSettings: number;
  private readonly scratch = new Uint8Array(8);

  constructor(o: FrameReaderOptions = {}) {
    this.maxFieldSection = o.maxFieldSectionPayload ?? DEFAULT_MAX_FIELD_SECTION_PAYLOAD;
    this.maxSettings = o.maxSettingsPayload ?? DEFAULT_MAX_SETTINGS_PAYLOAD;
  }

  /** Adds bytes; the reader keeps a reference to `chunk` until it is consumed (do not modify it). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Bytes pushed and not yet returned or skipped. */
  get buffered(): number {
    return this.size;
  }

  /**
   * True between frames: a stream may end here (RFC 9114 §7.1: a stream that ends inside a
   * frame is H3_FRAME_ERROR). Only meaningful once `next()` returned undefined.
   */
  get atFrameBoundary(): boolean {
    return this.state === 'type' && this.size === 0;
  }

  /**
   * Reads one varint before any frame (a unidirectional stream's type, a push ID, RFC 9114
   * §6.2): the value, or undefined when it is not complete yet.
   */
  readVarint(): number | undefined {
    if (this.state !== 'type') throw new Error('readVarint inside a frame');
    return this.varint();
  }

  /**
   * Hands out the remaining buffered bytes unparsed, and every later push (for streams that
   * carry no frames after their header: the QPACK encoder and decoder streams).
   */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.chunks.length > 0) {
      const c = this.chunks.shift()!;
      out.push(this.head > 0 ? c.subarray(this.head) : c);
      this.head = 0;
    }
    this.size = 0;
    return out;
  }

  /**
   * The next frame or piece of DATA payload, or undefined until more bytes are pushed; throws
   * H3Error for a malformed frame.
   */
  next(): ReaderEvent | undefined {
    for (;;) {
      switch (this.state) {
        case 'type': {
          const start = this.size;
          const t = this.varint();
          if (t === undefined) return undefined;
          this.type = t;
          this.typeLength = start - this.size;
          this.state = 'length';
          continue;
        }
        case 'length': {
          const start = this.size;
          const length = this.varint();
          if (length === undefined) return undefined;
          const headerLength = this.typeLength + (start - this.size);
          this.headerLength = headerLength;
          return this.onHeader(length, headerLength);
        }
        case 'payload': {
          if (this.size < this.remaining) return undefined;
          const payload = this.take(this.remaining);
          this.state = 'type';
          this.remaining = 0;
          return { kind: 'frame', frame: decodePayload(this.type, payload), headerLength: this.headerLength, payloadLength: payload.length };
        }
        case 'data': {
          if (this.remaining === 0) {
            this.state = 'type';
            continue;
          }
          if (this.size === 0) return undefined;
          const bytes = this.takeSome(this.remaining);
          this.remaining -= bytes.length;
          if (this.remaining === 0) this.state = 'type';
          return { kind: 'data', bytes };
        }
        case 'skip': {
          const n = Math.min(this.remaining, this.size);
          this.skip(n);
          this.remaining -= n;
          if (this.remaining > 0) return undefined;
          this.state = 'type';
          continue;
        }
      }
    }
  }

  /** The frame header is complete: decide how its payload is read. */
  private onHeader(length: number, headerLength: number): ReaderEvent | undefined {
    const type = this.type;
    this.remaining = length;
    if (type === FrameType.DATA) {
      this.state = 'data';
      return { kind: 'frame', frame: { type: 'data', length }, headerLength, payloadLength: length };
    }
    if (HTTP2_FRAME_TYPES.has(type)) {
      throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)} (RFC 9114 §7.2.8)`);
    }
    let max: number;
    switch (type) {
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        max = this.maxFieldSection;
        if (length > max) throw new H3Error(H3ErrorCode.H3_EXCESSIVE_LOAD, `${type === FrameType.HEADERS ? 'HEADERS' : 'PUSH_PROMISE'} frame of ${length} bytes exceeds ${max}`, 'stream');
        break;
      case FrameType.SETTINGS:
        max = this.maxSettings;
        if (length > max) throw new H3Error(H3ErrorCode.H3_EXCESSIVE_LOAD, `SETTINGS frame of ${length} bytes exceeds ${max}`);
        break;
      case FrameType.CANCEL_PUSH:
      case FrameType.GOAWAY:
      case FrameType.MAX_PUSH_ID:
        // RFC 9114 §7.1: exactly one varint.
        if (length === 0 || length > 8) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, `frame type 0x${type.toString(16)} with a ${length}-byte payload`);
        break;
      default: {
        // RFC 9114 §9: unknown and reserved types are ignored; their payload is skipped unread.
        this.state = 'skip';
        const frame: H3Frame = isReservedId(type) ? { type: 'reserved', frameType: type, length } : { type: 'unknown', frameType: type, length };
        return { kind: 'frame', frame, headerLength, payloadLength: length };
      }
    }
    // Reported once the whole payload is buffered (the 'payload' state).
    this.state = 'payload';
    return this.next();
  }

  /** A varint at the read position, consumed; undefined (nothing consumed) if incomplete. */
  private varint(): number | undefined {
    if (this.size === 0) return undefined;
    const first = this.chunks[0]!;
    const len = varintLengthFromFirstByte(first[this.head]!);
    if (this.size < len) return undefined;
    let v: number;
    if (this.head + len <= first.length) {
      v = readVarintAt(first, this.head, this.head + len);
      this.skip(len);
    } else {
      const b = this.take(len);
      this.scratch.set(b);
      v = readVarintAt(this.scratch, 0, len);
    }
    return v;
  }

  /** Exactly n buffered bytes (n ≤ size): a view when they lie in one chunk, else a copy. */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    if (this.head + n <= first.length) {
      const out = first.subarray(this.head, this.head + n);
      this.skip(n);
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.takeSome(n - o);
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Up to n bytes from the first chunk (a view), at least one when anything is buffered. */
  private takeSome(n: number): Uint8Array {
    const first = this.chunks[0]!;
    const k = Math.min(n, first.length - this.head);
    const out = first.subarray(this.head, this.head + k);
    this.skip(k);
    return out;
  }

  private skip(n: number): void {
    this.size -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const left = first.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.chunks.length > 0 && this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

/** Decodes a complete payload of a known non-DATA frame type (RFC 9114 §7.2). */
export function decodePayload(type: number, p: Uint8Array): H3Frame {
  switch (type) {
    case FrameType.HEADERS:
      return { type: 'headers', fieldSection: p };
    case FrameType.SETTINGS:
      return { type: 'settings', settings: decodeSettings(p) };
    case FrameType.PUSH_PROMISE: {
      const [pushId, o] = oneVarint(p, 0, 'PUSH_PROMISE');
      return { type: 'push_promise', pushId, fieldSection: p.subarray(o) };
    }
    case FrameType.CANCEL_PUSH:
      return { type: 'cancel_push', pushId: onlyVarint(p, 'CANCEL_PUSH') };
    case FrameType.GOAWAY:
      return { type: 'goaway', id: onlyVarint(p, 'GOAWAY') };
    case FrameType.MAX_PUSH_ID:
      return { type: 'max_push_id', pushId: onlyVarint(p, 'MAX_PUSH_ID') };
    default:
      throw new Error(`decodePayload: frame type 0x${type.toString(16)} has no buffered payload`);
  }
}

function oneVarint(p: Uint8Array, o: number, what: string): [number, number] {
  if (o >= p.length || o + varintLengthFromFirstByte(p[o]!) > p.length) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, `${what}: truncated varint`);
  return [readVarintAt(p, o), o + varintLengthFromFirstByte(p[o]!)];
}

/** RFC 9114 §7.1: the payload is exactly one varint. */
function onlyVarint(p: Uint8Array, what: string): number {
  const [v, o] = oneVarint(p, 0, what);
  if (o !== p.length) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, `${what}: ${p.length - o} bytes after its field`);
  return v;
}

/** RFC 9114 §7.2.4 */
function decodeSettings(p: Uint8Array): Setting[] {
  const out: Setting[] = [];
  // Identifiers compared exactly: two large reserved identifiers may round to one number.
  const seen = new Set<bigint>();
  let o = 0;
  while (o < p.length) {
    if (o + varintLengthFromFirstByte(p[o]!) > p.length) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, 'SETTINGS: truncated identifier');
    const big = readVarintBigAt(p, o);
    const [id, o2] = oneVarint(p, o, 'SETTINGS');
    if (o2 >= p.length) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, 'SETTINGS: identifier without a value');
    const [value, o3] = oneVarint(p, o2, 'SETTINGS');
    o = o3;
    if (HTTP2_SETTINGS.has(id)) throw new H3Error(H3ErrorCode.H3_SETTINGS_ERROR, `HTTP/2 setting 0x${id.toString(16)} (RFC 9114 §7.2.4.1)`);
    if (seen.has(big)) throw new H3Error(H3ErrorCode.H3_SETTINGS_ERROR, `setting 0x${id.toString(16)} appears twice (RFC 9114 §7.2.4)`);
    seen.add(big);
    out.push({ id, value });
  }
  return out;
}
