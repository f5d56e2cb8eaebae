/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), the
 * field of RFC 5510 §8.1 (m = 8), RFC 6865 (FEC Encoding ID 8) and RFC 8681 §3.7 (ID 10), and
 * of XQUIC's Reed-Solomon (`xqc_galois_calculation.h`: exp table 1, 2, 4, …, 128, 29, …).
 *
 * Addition and subtraction are XOR. Multiplication and division go through log/exp tables; the
 * bulk helpers (`mulAddRegion`, `mulRegion`, `xorRegion`) are the hot path of every FEC code
 * and use one row of a 256×256 precomputed product table per coefficient: one table load per
 * byte, a 32-bit word of source and destination at a time when the two regions are co-aligned
 * (bytes otherwise), no allocation per call (DESIGN §4 rule 2; the 32-bit view of a buffer is
 * created once per ArrayBuffer and cached).
 */

/** The primitive polynomial, RFC 5510 §8.1: 1 + x^2 + x^3 + x^4 + x^8. */
export const GF256_POLY = 0x11d;

/**
 * EXP[i] = α^i for i in 0..509 (the table is doubled so that EXP[log a + log b] needs no
 * reduction modulo 255). α = 2 is a generator of the multiplicative group for 0x11D.
 */
export const GF_EXP: Uint8Array = new Uint8Array(512);
/** LOG[a] = i with α^i = a, for a ≠ 0 (LOG[0] is unused and left at 0). */
export const GF_LOG: Uint8Array = new Uint8Array(256);
/** MUL[(a << 8) | b] = a·b: the full 64 KiB product table, row a holds a·x for every x. */
export const GF_MUL: Uint8Array = new Uint8Array(65536);
/** INV[a] = a⁻¹ for a ≠ 0 (INV[0] = 0). */
const INV: Uint8Array = new Uint8Array(256);

(function buildTables(): void {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x;
    GF_LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF256_POLY;
  }
  for (let i = 255; i < 512; i++) GF_EXP[i] = GF_EXP[i - 255]!;
  for (let a = 1; a < 256; a++) {
    const la = GF_LOG[a]!;
    const row = a << 8;
    for (let b = 1; b < 256; b++) GF_MUL[row | b] = GF_EXP[la + GF_LOG[b]!]!;
    INV[a] = GF_EXP[255 - la]!;
  }
})();

/** a·b in GF(2^8). */
export function gfMul(a: number, b: number): number {
  return GF_MUL[((a & 0xff) << 8) | (b & 0xff)]!;
}

/** a⁻¹ in GF(2^8); a must be non-zero (a RangeError otherwise: dividing by zero is a local bug). */
export function gfInv(a: number): number {
  if ((a & 0xff) === 0) throw new RangeError('GF(2^8): inverse of 0');
  return INV[a & 0xff]!;
}

/** a / b in GF(2^8); b must be non-zero. */
export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}

/** a^n in GF(2^8) for an integer n ≥ 0, with 0^0 = 1 (as XQUIC's `xqc_galois_exp`). */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if ((a & 0xff) === 0) return 0;
  return GF_EXP[(GF_LOG[a & 0xff]! * n) % 255]!;
}

/**
 * 32-bit views of the buffers behind the byte arrays, cached per ArrayBuffer so that the region
 * helpers can work a word at a time without allocating per call. Byte lanes are transformed
 * independently, so lane order (endianness) does not matter when both sides are words.
 */
const wordViews = new WeakMap<ArrayBufferLike, Int32Array>();
function words(a: Uint8Array): Int32Array {
  const b = a.buffer;
  let v = wordViews.get(b);
  if (v === undefined) {
    v = new Int32Array(b, 0, b.byteLength >>> 2);
    wordViews.set(b, v);
  }
  return v;
}

/**
 * Below this many bytes the word paths do not pay for their set-up. (A view cached before a
 * resizable buffer grew is too short: the bounds check sends such calls down the byte path.)
 */
const WORD_MIN = 32;

/**
 * The word paths write through a view of the whole ArrayBuffer, so a region running past the end
 * of its Uint8Array would touch a neighbouring slice: regions are checked (a RangeError is a local
 * bug; decoders validate lengths from the wire first).
 */
function checkRegion(a: Uint8Array, off: number, len: number): void {
  if (!(off >= 0 && len >= 0 && off + len <= a.length)) throw new RangeError('GF(2^8) region out of bounds');
}

/** dst[dstOff + i] ^= src[srcOff + i] for i in 0..len-1 (addition in GF(2^8)). */
export function xorRegion(dst: Uint8Array, src: Uint8Array, dstOff: number, srcOff: number, len: number): void {
  checkRegion(dst, dstOff, len);
  checkRegion(src, srcOff, len);
  let i = 0;
  const da = dst.byteOffset + dstOff;
  if (len >= WORD_MIN && ((da - src.byteOffset - srcOff) & 3) === 0) {
    // Co-aligned: bytes up to a word boundary, then whole words.
    const head = (4 - (da & 3)) & 3;
    for (; i < head; i++) dst[dstOff + i] = dst[dstOff + i]! ^ src[srcOff + i]!;
    const d32 = words(dst);
    const s32 = words(src);
    const dw = (da + head) >>> 2;
    const sw = (src.byteOffset + srcOff + head) >>> 2;
    const nw = (len - head) >>> 2;
    if (dw + nw <= d32.length && sw + nw <= s32.length) {
      // Walking indices (rather than base + w) keep the loop body to one add per access.
      for (let d = dw, s = sw, end = dw + nw; d < end; d++, s++) d32[d] = d32[d]! ^ s32[s]!;
      i = head + nw * 4;
    }
  }
  for (; i < len; i++) dst[dstOff + i] = dst[dstOff + i]! ^ src[srcOff + i]!;
}

/**
 * dst[dstOff + i] ^= coef · src[srcOff + i] for i in 0..len-1: the multiply-accumulate of
 * every linear code here (RFC 5510 §8.2 encoding, RFC 8681 §3.4 repair symbols).
 */
export function mulAddRegion(dst: Uint8Array, src: Uint8Array, coef: number, dstOff: number, srcOff: number, len: number): void {
  coef &= 0xff;
  if (coef === 1) {
    xorRegion(dst, src, dstOff, srcOff, len);
    return;
  }
  checkRegion(dst, dstOff, len);
  checkRegion(src, srcOff, len);
  if (coef === 0) return;
  const row = coef << 8;
  const mul = GF_MUL;
  let i = 0;
  const da = dst.byteOffset + dstOff;
  if (len >= WORD_MIN && ((da - src.byteOffset - srcOff) & 3) === 0) {
    const head = (4 - (da & 3)) & 3;
    for (; i < head; i++) dst[dstOff + i] = dst[dstOff + i]! ^ mul[row | src[srcOff + i]!]!;
    const d32 = words(dst);
    const s32 = words(src);
    const dw = (da + head) >>> 2;
    const sw = (src.byteOffset + srcOff + head) >>> 2;
    const nw = (len - head) >>> 2;
    if (dw + nw <= d32.length && sw + nw <= s32.length) {
      for (let d = dw, s = sw, end = dw + nw; d < end; d++, s++) {
        const x = s32[s]!;
        d32[d] = d32[d]! ^ (mul[row | (x & 0xff)]! | (mul[row | ((x >>> 8) & 0xff)]! << 8) | (mul[row | ((x >>> 16) & 0xff)]! << 16) | (mul[row | (x >>> 24)]! << 24));
      }
      i = head + nw * 4;
    }
  }
  for (; i < len; i++) dst[dstOff + i] = dst[dstOff + i]! ^ mul[row | src[srcOff + i]!]!;
}

/**
 * Two multiply-accumulates over the same source in one pass (the encoder's r repair rows, the
 * decoder's erasures, taken two at a time): dstA[dstOff + i] ^= coefA · src[srcOff + i] and
 * dstB[dstOff + i] ^= coefB · src[srcOff + i]. Reading each source word once for both is
 * markedly faster than two `mulAddRegion` calls.
 */
export function mulAdd2Region(
  dstA: Uint8Array,
  dstB: Uint8Array,
  src: Uint8Array,
  coefA: number,
  coefB: number,
  dstOff: number,
  srcOff: number,
  len: number,
): void {
  coefA &= 0xff;
  coefB &= 0xff;
  checkRegion(dstA, dstOff, len);
  checkRegion(dstB, dstOff, len);
  checkRegion(src, srcOff, len);
  const sa = src.byteOffset + srcOff;
  const aa = dstA.byteOffset + dstOff;
  if (coefA === 0 || coefB === 0 || len < WORD_MIN || (sa & 3) !== 0 || (aa & 3) !== 0 || ((dstB.byteOffset + dstOff) & 3) !== 0) {
    mulAddRegion(dstA, src, coefA, dstOff, srcOff, len);
    mulAddRegion(dstB, src, coefB, dstOff, srcOff, len);
    return;
  }
  const a32 = words(dstA);
  const b32 = words(dstB);
  const s32 = words(src);
  const aw = aa >>> 2;
  const bw = (dstB.byteOffset + dstOff) >>> 2;
  const sw = sa >>> 2;
  const nw = len >>> 2;
  if (aw + nw > a32.length || bw + nw > b32.length || sw + nw > s32.length) {
    mulAddRegion(dstA, src, coefA, dstOff, srcOff, len);
    mulAddRegion(dstB, src, coefB, dstOff, srcOff, len);
    return;
  }
  const mul = GF_MUL;
  const ra = coefA << 8;
  const rb = coefB << 8;
  for (let s = sw, a = aw, b = bw, end = sw + nw; s < end; s++, a++, b++) {
    const x = s32[s]!;
    const x0 = x & 0xff;
    const x1 = (x >>> 8) & 0xff;
    const x2 = (x >>> 16) & 0xff;
    const x3 = x >>> 24;
    a32[a] = a32[a]! ^ (mul[ra | x0]! | (mul[ra | x1]! << 8) | (mul[ra | x2]! << 16) | (mul[ra | x3]! << 24));
    b32[b] = b32[b]! ^ (mul[rb | x0]! | (mul[rb | x1]! << 8) | (mul[rb | x2]! << 16) | (mul[rb | x3]! << 24));
  }
  for (let i = nw * 4; i < len; i++) {
    const x = src[srcOff + i]!;
    dstA[dstOff + i] = dstA[dstOff + i]! ^ mul[ra | x]!;
    dstB[dstOff + i] = dstB[dstOff + i]! ^ mul[rb | x]!;
  }
}

/** dst[dstOff + i] = coef · src[srcOff + i] for i in 0..len-1 (src and dst may be the same region). */
export function mulRegion(dst: Uint8Array, src: Uint8Array, coef: number, dstOff: number, srcOff: number, len: number): void {
  checkRegion(dst, dstOff, len);
  checkRegion(src, srcOff, len);
  coef &= 0xff;
  if (coef === 0) {
    dst.fill(0, dstOff, dstOff + len);
    return;
  }
  if (coef === 1) {
    if (dst === src && dstOff === srcOff) return;
    if (dst === src) dst.copyWithin(dstOff, srcOff, srcOff + len);
    else for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
    return;
  }
  const row = coef << 8;
  const mul = GF_MUL;
  for (let i = 0; i < len; i++) dst[dstOff + i] = mul[row | src[srcOff + i]!]!;
}
