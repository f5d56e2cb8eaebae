/**
 * Bounds-checked reading and writing over Uint8Array.
 *
 * ByteReader is for untrusted input: every read past the end throws
 * TransportError(FRAME_ENCODING_ERROR) and nothing else. ByteWriter is for our own output: it
 * writes into a caller-supplied buffer (DESIGN §4: one copy on transmit) and throws a RangeError
 * when the buffer is too small, which is a local bug, not a peer's fault.
 */
import { ErrorCode, TransportError } from './transport-error.js';
import { readVarintAt, readVarintBigAt, varintLength, writeVarintAt, writeVarintBigAt, checkVarint, varintBigLength } from './varint.js';

/**
 * A bounds-checked reader over a region of a Uint8Array, for untrusted input: a read past `end`
 * throws TransportError(FRAME_ENCODING_ERROR) and nothing else. Multi-byte integers are big-endian
 * (network byte order).
 */
export class ByteReader {
  /** Current read position, an absolute index into `buf`. */
  offset: number;
  /** Exclusive end of the readable region. */
  end: number;

  constructor(
    public buf: Uint8Array,
    offset = 0,
    end: number = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) throw new RangeError('ByteReader bounds');
    this.offset = offset;
    this.end = end;
  }

  /** Points the reader at another region, so one reader serves many packets (DESIGN §4 rule 2). */
  reset(buf: Uint8Array, offset: number, end: number): this {
    if (offset < 0 || end > buf.length || offset > end) throw new RangeError('ByteReader bounds');
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    return this;
  }

  /** Bytes left to read: `end - offset`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** True when every byte up to `end` has been read. */
  get isEmpty(): boolean {
    return this.offset >= this.end;
  }

  private fail(what: string): never {
    throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, `truncated ${what}`);
  }

  /** Reads one byte. */
  u8(): number {
    if (this.offset >= this.end) this.fail('u8');
    return this.buf[this.offset++]!;
  }

  /** The next byte, without consuming it. */
  peekU8(): number {
    if (this.offset >= this.end) this.fail('u8');
    return this.buf[this.offset]!;
  }

  /** Reads a big-endian 16-bit unsigned integer. */
  u16(): number {
    if (this.offset + 2 > this.end) this.fail('u16');
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  /** Reads a big-endian 24-bit unsigned integer (TLS handshake message lengths). */
  u24(): number {
    if (this.offset + 3 > this.end) this.fail('u24');
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 3;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }

  /** Reads a big-endian 32-bit unsigned integer (QUIC versions, for example). */
  u32(): number {
    if (this.offset + 4 > this.end) this.fail('u32');
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** Reads a varint (RFC 9000 §16); see util/varint.ts for the precision rule. */
  varint(): number {
    const v = readVarintAt(this.buf, this.offset, this.end);
    this.offset += 1 << (this.buf[this.offset]! >> 6);
    return v;
  }

  /**
   * Reads a varint (RFC 9000 §16) exactly as a bigint, for values that must stay bit-exact up to
   * 2^62-1.
   */
  varintBig(): bigint {
    const v = readVarintBigAt(this.buf, this.offset, this.end);
    this.offset += 1 << (this.buf[this.offset]! >> 6);
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || this.offset + n > this.end) this.fail('bytes');
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A copy of the next n bytes, for values kept beyond the datagram's life. */
  copy(n: number): Uint8Array {
    return this.bytes(n).slice();
  }

  /** Moves past the next n bytes without returning them. */
  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0 || this.offset + n > this.end) this.fail('skip');
    this.offset += n;
  }

  /** A reader over the next n bytes; this reader skips past them. */
  sub(n: number): ByteReader {
    if (!Number.isInteger(n) || n < 0 || this.offset + n > this.end) this.fail('sub-reader');
    const r = new ByteReader(this.buf, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }

  /** The unread rest, as a view. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }
}

/**
 * A writer into a caller-supplied buffer window [offset, end), for our own output (DESIGN §4: one
 * copy on transmit). Writing past `end` throws a RangeError, a local bug rather than a peer's
 * fault. Multi-byte integers are big-endian; every write returns the writer for chaining.
 */
export class ByteWriter {
  buf: Uint8Array;
  offset: number;
  end: number;

  constructor(buf: Uint8Array, offset = 0, end: number = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  /** Points the writer at another buffer window, so one writer serves many packets (DESIGN §4 rule 2). */
  reset(buf: Uint8Array, offset: number, end: number): this {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    return this;
  }

  /** Allocates a writer over a fresh buffer. */
  static alloc(size: number): ByteWriter {
    return new ByteWriter(new Uint8Array(size));
  }

  /** Room left: `end - offset` bytes. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** The bytes written so far (a view from 0). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.offset);
  }

  private need(n: number): void {
    if (this.offset + n > this.end) throw new RangeError(`ByteWriter overflow: need ${n}, have ${this.end - this.offset}`);
  }

  /** Writes one byte. */
  u8(v: number): this {
    this.need(1);
    this.buf[this.offset++] = v;
    return this;
  }

  /** Writes a big-endian 16-bit unsigned integer. */
  u16(v: number): this {
    this.need(2);
    this.buf[this.offset++] = v >>> 8;
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 24-bit unsigned integer. */
  u24(v: number): this {
    this.need(3);
    this.buf[this.offset++] = (v >>> 16) & 0xff;
    this.buf[this.offset++] = (v >>> 8) & 0xff;
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 32-bit unsigned integer. */
  u32(v: number): this {
    this.need(4);
    this.buf[this.offset++] = v >>> 24;
    this.buf[this.offset++] = (v >>> 16) & 0xff;
    this.buf[this.offset++] = (v >>> 8) & 0xff;
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  /** Minimal-length varint, or exactly `len` bytes when given. */
  varint(v: number, len?: 1 | 2 | 4 | 8): this {
    checkVarint(v);
    const n = len ?? varintLength(v);
    this.need(n);
    this.offset = writeVarintAt(this.buf, this.offset, v, n);
    return this;
  }

  /** Writes a bigint as a minimal-length varint (RFC 9000 §16); a RangeError above 2^62-1. */
  varintBig(v: bigint): this {
    this.need(varintBigLength(v));
    this.offset = writeVarintBigAt(this.buf, this.offset, v);
    return this;
  }

  /** Copies `b` into the buffer. */
  bytes(b: Uint8Array): this {
    this.need(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  /** n zero bytes (PADDING frames are zero bytes, RFC 9000 §19.1). */
  zeros(n: number): this {
    this.need(n);
    this.buf.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return this;
  }
}

/** Lower-case hex of a byte array. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]!;
  return s;
}
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Parses hex (whitespace ignored); throws RangeError on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new RangeError('invalid hex');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
}

/**
 * Whether two byte arrays are equal. Equal-length inputs are compared in constant time (no early
 * exit), so it may compare tags and tokens.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** A new array holding `parts` one after another. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
