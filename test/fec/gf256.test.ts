import { describe, expect, it } from 'vitest';
import { GF_EXP, GF_LOG, GF_MUL, gfDiv, gfInv, gfMul, gfPow, mulAddRegion, mulRegion, xorRegion } from '../../src/fec/gf256.js';
import { invertMatrix, vandermonde } from '../../src/fec/gf-matrix.js';

/** Carry-less multiplication reduced by 0x11D: the definition, independent of the tables. */
function slowMul(a: number, b: number): number {
  let r = 0;
  while (b) {
    if (b & 1) r ^= a;
    b >>= 1;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
  }
  return r;
}

describe('GF(2^8) with 0x11D (RFC 5510 §8.1)', () => {
  it('exp table starts 1, 2, 4, …, 128, 29 and log inverts it', () => {
    expect(Array.from(GF_EXP.subarray(0, 10))).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 29, 58]);
    for (let i = 0; i < 255; i++) expect(GF_LOG[GF_EXP[i]!]).toBe(i);
    expect(new Set(GF_EXP.subarray(0, 255)).size).toBe(255); // α = 2 generates GF(256)*
    for (let i = 255; i < 510; i++) expect(GF_EXP[i]).toBe(GF_EXP[i - 255]);
  });

  it('all 256×256 products match the definition and commute; 0 and 1 behave', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const p = gfMul(a, b);
        if (p !== slowMul(a, b) || p !== gfMul(b, a) || p !== GF_MUL[(a << 8) | b]) throw new Error(`product ${a}·${b}`);
      }
      expect(gfMul(a, 0)).toBe(0);
      expect(gfMul(a, 1)).toBe(a);
    }
  });

  it('every non-zero element has an inverse; division undoes multiplication', () => {
    for (let a = 1; a < 256; a++) {
      expect(gfMul(a, gfInv(a))).toBe(1);
      for (let b = 1; b < 256; b++) if (gfDiv(gfMul(a, b), b) !== a) throw new Error(`div ${a}, ${b}`);
    }
    expect(() => gfInv(0)).toThrow(RangeError);
    expect(() => gfDiv(3, 0)).toThrow(RangeError);
  });

  it('associativity and distributivity (spot checks over a stride)', () => {
    for (let a = 0; a < 256; a += 7)
      for (let b = 0; b < 256; b += 5)
        for (let c = 0; c < 256; c += 11) {
          if (gfMul(a, b ^ c) !== (gfMul(a, b) ^ gfMul(a, c))) throw new Error('distributivity');
          if (gfMul(gfMul(a, b), c) !== gfMul(a, gfMul(b, c))) throw new Error('associativity');
        }
  });

  it('powers: 0^0 = 1, a^255 = 1, 2^8 = 29', () => {
    expect(gfPow(0, 0)).toBe(1);
    expect(gfPow(0, 3)).toBe(0);
    expect(gfPow(2, 8)).toBe(29);
    for (let a = 1; a < 256; a++) expect(gfPow(a, 255)).toBe(1);
  });

  it('region helpers equal the byte-wise definition, at offsets and odd lengths', () => {
    const src = Uint8Array.from({ length: 103 }, (_, i) => (i * 37 + 11) & 0xff);
    for (const coef of [0, 1, 2, 0x53, 0xff]) {
      const dst = Uint8Array.from({ length: 110 }, (_, i) => (i * 13) & 0xff);
      const want = dst.slice();
      for (let i = 0; i < 97; i++) want[5 + i] = want[5 + i]! ^ slowMul(coef, src[3 + i]!);
      mulAddRegion(dst, src, coef, 5, 3, 97);
      expect(dst).toEqual(want);
      const m = new Uint8Array(110).fill(9);
      const wantM = m.slice();
      for (let i = 0; i < 97; i++) wantM[2 + i] = slowMul(coef, src[3 + i]!);
      mulRegion(m, src, coef, 2, 3, 97);
      expect(m).toEqual(wantM);
    }
    // Word paths: co-aligned offsets (also through subarrays with their own byteOffset) and not.
    const big = Uint8Array.from({ length: 1203 }, (_, i) => (i * 89 + 3) & 0xff);
    for (const [dOff, sOff, len] of [[5, 1, 1100], [0, 0, 1200], [3, 3, 37], [2, 1, 500], [1, 0, 31], [7, 3, 1196]] as const) {
      for (const coef of [1, 0x8e]) {
        const base = new Uint8Array(1300).map((_, i) => i & 0xff);
        const dst = base.subarray(2);
        const want = dst.slice();
        for (let i = 0; i < len; i++) want[dOff + i] = want[dOff + i]! ^ slowMul(coef, big[sOff + i]!);
        mulAddRegion(dst, big.subarray(0), coef, dOff, sOff, len);
        expect(dst).toEqual(want);
      }
    }
    const inPlace = src.slice();
    mulRegion(inPlace, inPlace, 0x1d, 0, 0, inPlace.length);
    expect(inPlace).toEqual(src.map((b) => slowMul(0x1d, b)));
    const x = new Uint8Array(7).fill(0xf0);
    xorRegion(x, Uint8Array.of(0xff, 0x0f, 1, 2, 3, 4, 5), 1, 0, 6);
    expect(Array.from(x)).toEqual([0xf0, 0x0f, 0xff, 0xf1, 0xf2, 0xf3, 0xf4]);
  });

  it('Vandermonde top blocks invert; a singular matrix reports undefined', () => {
    for (const k of [1, 2, 10, 48]) {
      const v = vandermonde(k, k);
      const inv = invertMatrix(v, k)!;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let t = 0; t < k; t++) s ^= gfMul(v[i * k + t]!, inv[t * k + j]!);
          expect(s).toBe(i === j ? 1 : 0);
        }
    }
    expect(invertMatrix(Uint8Array.of(1, 2, 2, 4), 2)).toBeUndefined();
  });
});

describe('GF(2^8) region bounds', () => {
  it('a region past the end of its array is a RangeError, never a write into the neighbouring bytes', () => {
    const backing = new Uint8Array(256);
    const dst = backing.subarray(0, 64);
    const src = new Uint8Array(128).fill(0xff);
    expect(() => mulAddRegion(dst, src, 7, 0, 0, 100)).toThrow(RangeError);
    expect(() => xorRegion(dst, src, 32, 0, 40)).toThrow(RangeError);
    expect(() => mulRegion(dst, src, 3, 0, 100, 40)).toThrow(RangeError);
    expect(() => mulAddRegion(dst, src, 0, -1, 0, 4)).toThrow(RangeError);
    expect(backing.every((b) => b === 0)).toBe(true);
  });
});
