/**
 * The fuzzer's mutators: byte-level edits in the style of AFL's havoc stage, plus edits that
 * know QUIC variable-length integers (RFC 9000 §16), since nearly every length, type and count
 * in QUIC, HTTP/3 and the FEC frames is one. Everything draws from a seeded `Prng`, so a seed
 * replays the same sequence of inputs.
 *
 * Every mutator returns a new array (the parent stays intact in the corpus) no longer than
 * `maxLength`.
 */
import type { Prng } from '../util/prng.js';

/** Interesting byte values: boundaries of signed/unsigned bytes and of varint prefixes. */
export const INTERESTING_BYTES: readonly number[] = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xbf, 0xc0, 0xfe, 0xff, 0x10, 0x20];

/** Interesting varint values: encoding boundaries (RFC 9000 §16 Table 4) and the maximum. */
export const INTERESTING_VARINTS: readonly number[] = [0, 1, 2, 63, 64, 255, 256, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 32 - 1, 2 ** 53 - 1, 2 ** 62 - 512];

export type MutatorName =
  | 'bitflip'
  | 'byteflip'
  | 'interesting'
  | 'arith'
  | 'varint'
  | 'varint-length'
  | 'insert'
  | 'delete'
  | 'duplicate'
  | 'truncate'
  | 'splice'
  | 'repeat';

export const MUTATORS: readonly MutatorName[] = [
  'bitflip',
  'byteflip',
  'interesting',
  'arith',
  'varint',
  'varint-length',
  'insert',
  'delete',
  'duplicate',
  'truncate',
  'splice',
  'repeat',
];

/** Writes `v` as a varint of exactly `len` bytes (the smallest length that holds it if `len` is too small). */
export function encodeVarint(v: number, len: 1 | 2 | 4 | 8): Uint8Array {
  const need = v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8;
  const n = Math.max(len, need);
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 1; i--) {
    out[i] = x % 256;
    x = Math.floor(x / 256);
  }
  out[0] = (x & 0x3f) | ([0, 0x40, 0, 0x80, 0, 0, 0, 0xc0][n - 1]!);
  return out;
}

/** The length of a varint from its first byte. */
function varintLen(b: number): number {
  return 1 << (b >> 6);
}

function replace(data: Uint8Array, at: number, del: number, ins: Uint8Array, maxLength: number): Uint8Array {
  const len = Math.min(maxLength, data.length - del + ins.length);
  const out = new Uint8Array(len);
  out.set(data.subarray(0, Math.min(at, len)));
  if (at < len) out.set(ins.subarray(0, len - at), at);
  const tail = at + ins.length;
  if (tail < len) out.set(data.subarray(at + del, at + del + (len - tail)), tail);
  return out;
}

/** A position in [0, n) (n ≥ 1), biased towards the start where headers and type bytes live. */
function position(prng: Prng, n: number): number {
  return prng.chance(0.5) ? prng.nextInt(Math.min(n, 16)) : prng.nextInt(n);
}

/** A length in [1, max] biased towards short runs. */
function runLength(prng: Prng, max: number): number {
  const cap = prng.chance(0.75) ? Math.min(max, 8) : max;
  return 1 + prng.nextInt(Math.max(1, cap));
}

/** An interesting varint value, or a length close to the input's size. */
function interestingValue(prng: Prng, size: number): number {
  if (prng.chance(0.3)) return Math.max(0, size + prng.nextRange(-4, 4));
  return INTERESTING_VARINTS[prng.nextInt(INTERESTING_VARINTS.length)]!;
}

/**
 * Applies one mutator. `other` supplies a second corpus entry for `splice` (the input itself
 * when there is none).
 */
export function mutateOnce(prng: Prng, name: MutatorName, data: Uint8Array, other: Uint8Array, maxLength: number): Uint8Array {
  const n = data.length;
  if (n === 0 && name !== 'insert' && name !== 'splice' && name !== 'varint') {
    return replace(data, 0, 0, prng.bytes(1 + prng.nextInt(4)), maxLength);
  }
  switch (name) {
    case 'bitflip': {
      const out = data.slice();
      const i = position(prng, n);
      out[i] = out[i]! ^ (1 << prng.nextInt(8));
      return out;
    }
    case 'byteflip': {
      const out = data.slice();
      const i = position(prng, n);
      out[i] = prng.chance(0.5) ? out[i]! ^ 0xff : prng.nextInt(256);
      return out;
    }
    case 'interesting': {
      const out = data.slice();
      out[position(prng, n)] = INTERESTING_BYTES[prng.nextInt(INTERESTING_BYTES.length)]!;
      return out;
    }
    case 'arith': {
      const out = data.slice();
      const i = position(prng, n);
      out[i] = (out[i]! + prng.nextRange(-16, 16)) & 0xff;
      return out;
    }
    case 'varint': {
      // Replace the varint at a position (its length read from the first byte) with an
      // interesting value of a random encoded length, non-minimal encodings included.
      const at = n === 0 ? 0 : position(prng, n);
      const del = n === 0 ? 0 : Math.min(varintLen(data[at]!), n - at);
      const lens = [1, 2, 4, 8] as const;
      const v = encodeVarint(interestingValue(prng, n), lens[prng.nextInt(4)]!);
      return replace(data, at, del, v, maxLength);
    }
    case 'varint-length': {
      // Rewrite a varint in place as a length: the bytes left after it, give or take a few.
      const at = position(prng, n);
      const len = varintLen(data[at]!);
      if (at + len > n) return mutateOnce(prng, 'varint', data, other, maxLength);
      const left = n - at - len;
      const v = Math.max(0, left + prng.nextRange(-2, 2));
      return replace(data, at, len, encodeVarint(v, len as 1 | 2 | 4 | 8), maxLength);
    }
    case 'insert': {
      const at = n === 0 ? 0 : prng.nextInt(n + 1);
      const k = runLength(prng, 32);
      const ins = prng.chance(0.5) ? prng.bytes(k) : new Uint8Array(k).fill(INTERESTING_BYTES[prng.nextInt(INTERESTING_BYTES.length)]!);
      return replace(data, at, 0, ins, maxLength);
    }
    case 'delete': {
      const at = position(prng, n);
      return replace(data, at, Math.min(runLength(prng, n), n - at), new Uint8Array(0), maxLength);
    }
    case 'duplicate': {
      const from = prng.nextInt(n);
      const k = Math.min(runLength(prng, n), n - from);
      return replace(data, prng.nextInt(n + 1), 0, data.slice(from, from + k), maxLength);
    }
    case 'truncate':
      return data.slice(0, prng.nextInt(n));
    case 'splice': {
      // A prefix of this input followed by a suffix of the other.
      if (other.length === 0) return data.slice();
      const cut = prng.nextInt(n + 1);
      const from = prng.nextInt(other.length);
      return replace(data, cut, n - cut, other.subarray(from), maxLength);
    }
    case 'repeat': {
      const from = prng.nextInt(n);
      const k = Math.min(runLength(prng, 16), n - from);
      const times = 2 + prng.nextInt(prng.chance(0.8) ? 8 : 200);
      const chunk = data.subarray(from, from + k);
      const ins = new Uint8Array(Math.min(k * times, maxLength));
      for (let o = 0; o < ins.length; o += k) ins.set(chunk.subarray(0, Math.min(k, ins.length - o)), o);
      return replace(data, from + k, 0, ins, maxLength);
    }
  }
}

/** AFL-style havoc: 1, 2, 4, … 16 stacked mutations drawn at random. */
export function mutate(prng: Prng, data: Uint8Array, other: Uint8Array, maxLength: number): Uint8Array {
  const stack = 1 << prng.nextInt(5);
  let out = data;
  for (let i = 0; i < stack; i++) out = mutateOnce(prng, MUTATORS[prng.nextInt(MUTATORS.length)]!, out, other, maxLength);
  return out === data ? data.slice() : out;
}
