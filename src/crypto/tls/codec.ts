/**
 * Shared plumbing of the TLS handshake codec: a growable writer for the TLS presentation
 * language (RFC 8446 §3) built on util's ByteWriter, and the reading helpers that turn every
 * decoding failure into the TLS alert decode_error.
 *
 * Error rule: decoders throw only TransportError with a CRYPTO_ERROR code (0x0100 + alert).
 * The ByteReader's truncation error (FRAME_ENCODING_ERROR) is rewrapped as decode_error by
 * `asTlsDecode`. Encoders throw RangeError for values the wire format cannot carry (a length
 * over its vector's maximum, an integer out of range): that is a local bug, not a peer's fault.
 */
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { ErrorCode, TransportError } from '../../util/transport-error.js';
import { AlertDescription, tlsAlert } from './alert.js';

/** Length-prefix widths of TLS vectors (RFC 8446 §3.4). */
export type LenBytes = 1 | 2 | 3;
const MAX_FOR: Record<LenBytes, number> = { 1: 0xff, 2: 0xffff, 3: 0xffffff };

/** A writer over a buffer that grows on demand; produces one Uint8Array at the end. */
export class TlsWriter {
  private w: ByteWriter;

  constructor(initialSize = 256) {
    this.w = ByteWriter.alloc(initialSize);
  }

  get length(): number {
    return this.w.offset;
  }

  private ensure(n: number): void {
    if (this.w.remaining >= n) return;
    let size = this.w.buf.length * 2;
    while (size - this.w.offset < n) size *= 2;
    const next = ByteWriter.alloc(size);
    next.bytes(this.w.written());
    this.w = next;
  }

  private checkInt(v: number, max: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`TLS encode: ${what} ${v} out of range 0..${max}`);
  }

  u8(v: number): this {
    this.checkInt(v, 0xff, 'u8');
    this.ensure(1);
    this.w.u8(v);
    return this;
  }

  u16(v: number): this {
    this.checkInt(v, 0xffff, 'u16');
    this.ensure(2);
    this.w.u16(v);
    return this;
  }

  u24(v: number): this {
    this.checkInt(v, 0xffffff, 'u24');
    this.ensure(3);
    this.w.u24(v);
    return this;
  }

  u32(v: number): this {
    this.checkInt(v, 0xffffffff, 'u32');
    this.ensure(4);
    this.w.u32(v);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.w.bytes(b);
    return this;
  }

  /**
   * A vector (RFC 8446 §3.4): reserves the `lenBytes` length prefix, runs `body`, then writes
   * the length. `max` is the vector's ceiling (defaults to what the prefix can hold).
   */
  vec(lenBytes: LenBytes, body: () => void, what: string, max: number = MAX_FOR[lenBytes]): this {
    this.ensure(lenBytes);
    const at = this.w.offset;
    this.w.offset += lenBytes;
    body();
    const len = this.w.offset - at - lenBytes;
    if (len > max) throw new RangeError(`TLS encode: ${what} is ${len} bytes, over its maximum ${max}`);
    const b = this.w.buf;
    if (lenBytes === 3) b[at] = (len >>> 16) & 0xff;
    if (lenBytes >= 2) b[at + lenBytes - 2] = (len >>> 8) & 0xff;
    b[at + lenBytes - 1] = len & 0xff;
    return this;
  }

  /** An opaque vector: length prefix then the bytes. */
  opaque(lenBytes: LenBytes, data: Uint8Array, what: string, max: number = MAX_FOR[lenBytes]): this {
    return this.vec(lenBytes, () => this.bytes(data), what, max);
  }

  /** The bytes written, as an exact-size copy. */
  finish(): Uint8Array {
    return this.w.written().slice();
  }
}

/** RFC 8446 §6.2 decode_error as a CRYPTO_ERROR TransportError. */
export function decodeError(reason: string): TransportError {
  return tlsAlert(AlertDescription.DECODE_ERROR, reason);
}

/** RFC 8446 §6.2 illegal_parameter as a CRYPTO_ERROR TransportError. */
export function illegalParameter(reason: string): TransportError {
  return tlsAlert(AlertDescription.ILLEGAL_PARAMETER, reason);
}

/**
 * Runs a decoder and rewrites the ByteReader's truncation error (FRAME_ENCODING_ERROR) as
 * decode_error (RFC 8446 §6.2: "some field was out of the specified range or the length of the
 * message was incorrect"). Other TransportErrors (already alerts) pass through.
 */
export function asTlsDecode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TransportError && e.code === ErrorCode.FRAME_ENCODING_ERROR) {
      throw decodeError(`${what}: ${e.reason}`);
    }
    throw e;
  }
}

/** Reads a vector's length prefix and returns a reader over its body, checking min..max. */
export function readVec(r: ByteReader, lenBytes: LenBytes, min: number, max: number, what: string): ByteReader {
  const len = lenBytes === 1 ? r.u8() : lenBytes === 2 ? r.u16() : r.u24();
  if (len < min || len > max) throw decodeError(`${what}: length ${len} outside ${min}..${max}`);
  return r.sub(len);
}

/** Reads an opaque vector as a copy (decoded messages outlive the packet buffer). */
export function readOpaque(r: ByteReader, lenBytes: LenBytes, min: number, max: number, what: string): Uint8Array {
  return readVec(r, lenBytes, min, max, what).rest().slice();
}

/** Reads a vector of u16 values; its byte length must be even (RFC 8446 §3.4). */
export function readU16List(r: ByteReader, lenBytes: LenBytes, min: number, max: number, what: string): number[] {
  const v = readVec(r, lenBytes, min, max, what);
  if (v.remaining % 2 !== 0) throw decodeError(`${what}: odd length ${v.remaining}`);
  const out: number[] = [];
  while (!v.isEmpty) out.push(v.u16());
  return out;
}

/** RFC 8446 §4.2: trailing data inside a structure is a decode_error. */
export function expectEnd(r: ByteReader, what: string): void {
  if (!r.isEmpty) throw decodeError(`${what}: ${r.remaining} trailing bytes`);
}

/**
 * Byte strings that are ASCII by specification (host names, RFC 6066 §3) are exposed as JS
 * strings. The mapping is one char per byte (latin1), so any byte sequence round-trips exactly.
 */
export function latin1Decode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export function latin1Encode(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`TLS encode: ${what} has a character outside latin1`);
    out[i] = c;
  }
  return out;
}
