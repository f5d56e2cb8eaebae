/**
 * QUIC variable-length integers (RFC 9000 §16).
 *
 * Representation choice: plain `number`, not bigint. Every value tquic produces itself (stream
 * offsets, packet numbers, limits, sequence numbers) stays far below 2^53, and number arithmetic
 * is what the hot path needs. The wire allows up to 2^62-1:
 *  - encoding accepts any integer 0 ≤ v ≤ 2^62-1 (MAX_VARINT) and rejects anything else;
 *  - decoding is exact up to 2^53-1 (Number.MAX_SAFE_INTEGER); a larger value a peer sends
 *    (e.g. "unlimited" flow-control credit of 2^62-1) decodes to the nearest double, which keeps
 *    its meaning as a very large number. Code that must keep such values bit-exact (greased
 *    application error codes, say) uses readVarintBig / writeVarintBig.
 */
import { TransportError, ErrorCode } from './transport-error.js';

/**
 * The largest varint a `number` can carry: 2^62 - 512, the largest double below 2^62
 * (2^62 - 1 itself is not representable and would round up to 2^62, which does not fit).
 * Decoding 2^62-511 … 2^62-1 yields this value.
 */
export const MAX_VARINT = 2 ** 62 - 512;
/** The largest varint, 2^62-1, exactly, as a bigint (RFC 9000 §16). */
export const MAX_VARINT_BIG = (1n << 62n) - 1n;

/** Number of bytes needed to encode v (1, 2, 4 or 8). */
export function varintLength(v: number): 1 | 2 | 4 | 8 {
  if (v < 0x40) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x40000000) return 4;
  return 8;
}

/** Throws a RangeError (a local programming error, never a peer's) if v cannot be encoded. */
export function checkVarint(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_VARINT) {
    throw new RangeError(`varint out of range: ${v}`);
  }
}

/** Length of the varint encoded at buf[offset] from its first two bits. */
export function varintLengthFromFirstByte(b: number): 1 | 2 | 4 | 8 {
  return (1 << (b >> 6)) as 1 | 2 | 4 | 8;
}

/**
 * Writes v at buf[offset] in exactly `len` bytes (len ≥ varintLength(v)); returns the new offset.
 * A fixed length is used e.g. for Length fields reserved before the payload is known.
 */
export function writeVarintAt(buf: Uint8Array, offset: number, v: number, len: 1 | 2 | 4 | 8 = varintLength(v)): number {
  switch (len) {
    case 1:
      if (v >= 0x40) throw new RangeError(`varint ${v} does not fit in 1 byte`);
      buf[offset] = v;
      return offset + 1;
    case 2:
      if (v >= 0x4000) throw new RangeError(`varint ${v} does not fit in 2 bytes`);
      buf[offset] = 0x40 | (v >>> 8);
      buf[offset + 1] = v & 0xff;
      return offset + 2;
    case 4:
      if (v >= 0x40000000) throw new RangeError(`varint ${v} does not fit in 4 bytes`);
      buf[offset] = 0x80 | (v >>> 24);
      buf[offset + 1] = (v >>> 16) & 0xff;
      buf[offset + 2] = (v >>> 8) & 0xff;
      buf[offset + 3] = v & 0xff;
      return offset + 4;
    case 8: {
      const hi = Math.floor(v / 0x100000000);
      const lo = v >>> 0;
      buf[offset] = 0xc0 | (hi >>> 24);
      buf[offset + 1] = (hi >>> 16) & 0xff;
      buf[offset + 2] = (hi >>> 8) & 0xff;
      buf[offset + 3] = hi & 0xff;
      buf[offset + 4] = lo >>> 24;
      buf[offset + 5] = (lo >>> 16) & 0xff;
      buf[offset + 6] = (lo >>> 8) & 0xff;
      buf[offset + 7] = lo & 0xff;
      return offset + 8;
    }
  }
}

/**
 * Reads a varint at buf[offset], bounded by `end`. Returns the value; the caller advances by
 * varintLengthFromFirstByte(buf[offset]). Throws TransportError(FRAME_ENCODING_ERROR) when the
 * encoding runs past `end`.
 */
export function readVarintAt(buf: Uint8Array, offset: number, end: number = buf.length): number {
  if (offset >= end) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, 'truncated varint');
  const b0 = buf[offset]!;
  const len = 1 << (b0 >> 6);
  if (offset + len > end) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, 'truncated varint');
  switch (len) {
    case 1:
      return b0;
    case 2:
      return ((b0 & 0x3f) << 8) | buf[offset + 1]!;
    case 4:
      return (((b0 & 0x3f) << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
    default: {
      const hi = (((b0 & 0x3f) << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
      const lo = ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0;
      const v = hi * 0x100000000 + lo;
      return v > MAX_VARINT ? MAX_VARINT : v;
    }
  }
}

/** Exact bigint decoding of the varint at buf[offset]. */
export function readVarintBigAt(buf: Uint8Array, offset: number, end: number = buf.length): bigint {
  if (offset >= end) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, 'truncated varint');
  const len = 1 << (buf[offset]! >> 6);
  if (offset + len > end) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, 'truncated varint');
  let v = BigInt(buf[offset]! & 0x3f);
  for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(buf[offset + i]!);
  return v;
}

/** Minimal-length bigint encoding; returns the new offset. */
export function writeVarintBigAt(buf: Uint8Array, offset: number, v: bigint): number {
  if (v < 0n || v > MAX_VARINT_BIG) throw new RangeError(`varint out of range: ${v}`);
  const len = v < 0x40n ? 1 : v < 0x4000n ? 2 : v < 0x40000000n ? 4 : 8;
  const prefix = [0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0][len - 1]!;
  for (let i = len - 1; i >= 0; i--) {
    buf[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  buf[offset] = buf[offset]! | prefix;
  return offset + len;
}

/** Number of bytes the minimal encoding of a bigint varint takes (1, 2, 4 or 8). */
export function varintBigLength(v: bigint): 1 | 2 | 4 | 8 {
  return v < 0x40n ? 1 : v < 0x4000n ? 2 : v < 0x40000000n ? 4 : 8;
}
