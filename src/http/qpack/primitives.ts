/**
 * QPACK wire primitives (RFC 9204 §4.1): prefixed integers (§4.1.1, RFC 7541 §5.1) and N-bit
 * prefix string literals (§4.1.2, RFC 7541 §5.2), plus the two byte buffers the encoder, the
 * decoder and the instruction streams share.
 *
 * Decoders return `undefined` when the input ends before the primitive does (the instruction
 * streams then wait for more bytes; a field section treats it as truncation) and throw
 * QpackError with the caller's error code for values they refuse.
 */
import { QpackError } from './errors.js';
import { huffmanDecodeOrThrow, huffmanEncode, huffmanEncodedLength } from './huffman.js';

/**
 * Largest integer accepted. RFC 9204 §4.1.1 asks for 62-bit integers; every value QPACK carries
 * that could exceed 2^53-1 (a stream id, an index, a length, a capacity) is refused anyway by a
 * limit far below this one, so the exact-number range of a JS number is enough.
 */
export const MAX_INTEGER = Number.MAX_SAFE_INTEGER;
/** Continuation bytes needed for MAX_INTEGER (7 bits each); more is an overlong encoding. */
const MAX_CONTINUATION_BYTES = 8;

/** An append-only byte buffer that grows by doubling. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Forgets what was written (keeps the storage). */
  clear(): void {
    this.len = 0;
  }

  /** The bytes written so far (a copy: the writer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/**
 * Bytes received on an instruction stream and not yet consumed: whole instructions are taken
 * from the front, a partial one stays until the rest arrives. The owner bounds its size.
 */
export class ByteQueue {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    if (this.end + b.length > this.buf.length) this.makeRoom(b.length);
    this.buf.set(b, this.end);
    this.end += b.length;
  }

  /** The unconsumed bytes (a view, valid until the next push). */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  private makeRoom(n: number): void {
    const live = this.end - this.start;
    let size = Math.max(64, this.buf.length);
    while (size < live + n) size *= 2;
    if (size === this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
    }
    this.start = 0;
    this.end = live;
  }
}

/**
 * Writes `value` as a prefixed integer (RFC 7541 §5.1) whose first byte carries `flags` in the
 * bits above the `prefixBits` low bits.
 */
export function writeInteger(w: ByteWriter, flags: number, prefixBits: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode integer ${value}`);
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    w.byte(flags | value);
    return;
  }
  w.byte(flags | max);
  let rest = value - max;
  while (rest >= 128) {
    w.byte((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  w.byte(rest);
}

/** Size in bytes of a prefixed integer. */
export function integerLength(prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let n = 2;
  for (let rest = value - max; rest >= 128; rest = Math.floor(rest / 128)) n++;
  return n;
}

/**
 * Reads a prefixed integer (RFC 7541 §5.1) whose prefix is the low `prefixBits` bits of
 * buf[offset]. Returns [value, offset after it], or undefined if `buf` ends first. Values above
 * MAX_INTEGER and encodings with redundant trailing zero groups throw QpackError(errorCode).
 */
export function readInteger(
  buf: Uint8Array,
  offset: number,
  prefixBits: number,
  errorCode: number,
): [value: number, next: number] | undefined {
  if (offset >= buf.length) return undefined;
  const max = (1 << prefixBits) - 1;
  let value = buf[offset]! & max;
  if (value < max) return [value, offset + 1];
  for (let i = 0; i < MAX_CONTINUATION_BYTES; i++) {
    const at = offset + 1 + i;
    if (at >= buf.length) return undefined;
    const b = buf[at]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (value > MAX_INTEGER) throw new QpackError(errorCode, 'integer exceeds 2^53-1');
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new QpackError(errorCode, 'overlong integer encoding');
      return [value, at + 1];
    }
  }
  throw new QpackError(errorCode, 'integer encoding too long');
}

/** The header of a string literal: Huffman flag, encoded length, and where the octets start. */
export interface StringHeader {
  huffman: boolean;
  length: number;
  start: number;
}

/**
 * Reads the header of an N-bit prefix string literal (RFC 9204 §4.1.2): the H flag is bit
 * `prefixBits - 1` of buf[offset], the length a (prefixBits-1)-bit prefix integer.
 */
export function readStringHeader(
  buf: Uint8Array,
  offset: number,
  prefixBits: number,
  errorCode: number,
): StringHeader | undefined {
  if (offset >= buf.length) return undefined;
  const huffman = (buf[offset]! & (1 << (prefixBits - 1))) !== 0;
  const r = readInteger(buf, offset, prefixBits - 1, errorCode);
  if (r === undefined) return undefined;
  return { huffman, length: r[0], start: r[1] };
}

/**
 * Most encoded bytes a string literal can take whose decoded form is at most `maxDecoded`
 * bytes: raw octets map one to one, a Huffman code is at most 30 bits per octet plus padding.
 */
export function maxEncodedLength(maxDecoded: number, huffman: boolean): number {
  return huffman ? Math.ceil((maxDecoded * 30) / 8) : maxDecoded;
}

/**
 * Reads an N-bit prefix string literal of at most `maxLength` decoded bytes. Returns
 * [octets, offset after it], or undefined if `buf` ends first. A longer string, or a bad Huffman
 * encoding, throws QpackError(errorCode) before anything of that size is allocated.
 */
export function readString(
  buf: Uint8Array,
  offset: number,
  prefixBits: number,
  maxLength: number,
  errorCode: number,
): [value: Uint8Array, next: number] | undefined {
  const h = readStringHeader(buf, offset, prefixBits, errorCode);
  if (h === undefined) return undefined;
  if (h.length > maxEncodedLength(maxLength, h.huffman)) {
    throw new QpackError(errorCode, `string literal longer than ${maxLength} bytes`);
  }
  const end = h.start + h.length;
  if (end > buf.length) return undefined;
  const raw = buf.subarray(h.start, end);
  const value = h.huffman ? huffmanDecodeOrThrow(raw, maxLength, errorCode) : raw.slice();
  return [value, end];
}

/**
 * Writes `value` as an N-bit prefix string literal whose first byte carries `flags` above the
 * prefix; Huffman-encoded when `huffman` is set and that is strictly shorter.
 */
export function writeString(w: ByteWriter, flags: number, prefixBits: number, value: Uint8Array, huffman: boolean): void {
  const hBit = 1 << (prefixBits - 1);
  if (huffman && value.length > 0) {
    const encodedLength = huffmanEncodedLength(value);
    if (encodedLength < value.length) {
      writeInteger(w, flags | hBit, prefixBits - 1, encodedLength);
      w.bytes(huffmanEncode(value));
      return;
    }
  }
  writeInteger(w, flags, prefixBits - 1, value.length);
  w.bytes(value);
}
