import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { rsDecode, rsEncode, RsEncoder, rsRepairCoefficients } from '../../src/fec/reed-solomon.js';
import { xorDecode, xorEncode, XorEncoder } from '../../src/fec/xor.js';
import { gfMul } from '../../src/fec/gf256.js';
import { TransportError } from '../../src/util/transport-error.js';
import type { BlockRepairSymbol } from '../../src/fec/limits.js';

const padded = (s: Uint8Array, n: number): Uint8Array => {
  const out = new Uint8Array(n);
  out.set(s);
  return out;
};

/** A block of k symbols of 1..maxLen bytes, with a distinct-enough content. */
const block = (maxK: number, maxLen: number) => fc.array(fc.uint8Array({ minLength: 1, maxLength: maxLen }), { minLength: 1, maxLength: maxK });

describe('XOR (scheme 11)', () => {
  it('recovers any single erasure; reports two', () => {
    fc.assert(
      fc.property(block(20, 64), fc.nat(), fc.nat(), (src, a, b) => {
        const repair = xorEncode(src);
        const size = Math.max(...src.map((s) => s.length));
        expect(repair.length).toBe(size);
        const i = a % src.length;
        const rx: (Uint8Array | undefined)[] = src.slice();
        rx[i] = undefined;
        const r = xorDecode(rx, repair);
        expect(r.recovered).toEqual([i]);
        expect(r.missing).toEqual([]);
        expect(r.symbols[i]).toEqual(padded(src[i]!, size));
        const j = b % src.length;
        if (j !== i) {
          rx[j] = undefined;
          const r2 = xorDecode(rx, repair);
          expect(r2.recovered).toEqual([]);
          expect(r2.missing).toEqual([Math.min(i, j), Math.max(i, j)]);
          expect(r2.symbols[i]).toBeUndefined();
        }
      }),
      { seed: 0xfec2, numRuns: 200 },
    );
  });

  it('the incremental encoder equals the whole-block one and resets', () => {
    const enc = new XorEncoder(3);
    const src = [Uint8Array.of(1, 2, 3), Uint8Array.of(4), Uint8Array.of(5, 6, 7, 8, 9)];
    for (let round = 0; round < 2; round++) {
      src.forEach((s, i) => expect(enc.add(s)).toBe(i));
      expect(enc.complete).toBe(true);
      expect(enc.repair()).toEqual(xorEncode(src));
      expect(() => enc.add(src[0]!)).toThrow(RangeError);
      enc.reset();
    }
  });

  it('without the repair symbol, or with nothing lost, nothing changes', () => {
    const src = [Uint8Array.of(1), Uint8Array.of(2)];
    expect(xorDecode([src[0], undefined], undefined)).toEqual({ symbols: [src[0], undefined], recovered: [], missing: [1] });
    expect(xorDecode(src, xorEncode(src)).missing).toEqual([]);
  });

  it('malformed input throws TransportError only', () => {
    expect(() => xorDecode([Uint8Array.of(1, 2, 3), undefined], Uint8Array.of(1))).toThrow(TransportError);
    expect(() => xorDecode(new Array(49).fill(undefined), Uint8Array.of(1))).toThrow(TransportError);
    expect(() => xorDecode([], Uint8Array.of(1))).toThrow(TransportError);
    expect(() => xorDecode([undefined, new Uint8Array(10)], new Uint8Array(10), { maxSymbolLength: 8 })).toThrow(TransportError);
  });
});

describe('Reed-Solomon (scheme 8)', () => {
  it('the generator is systematic Vandermonde: k = 1 repeats, row j solves V·V_top⁻¹', () => {
    // k = 1: V_top = [1], so every repair row is [1^0] = [1].
    expect(Array.from(rsRepairCoefficients(1, 0))).toEqual([1]);
    expect(Array.from(rsRepairCoefficients(1, 5))).toEqual([1]);
    // k = 2: V_top = [[1,0],[1,1]], V_top⁻¹ = [[1,0],[1,1]]; row 2 of V = [1, 2] → [1^2, 2] = [3, 2].
    expect(Array.from(rsRepairCoefficients(2, 0))).toEqual([3, 2]);
    // row 3 = [1, 3] → [1^3, 3] = [2, 3].
    expect(Array.from(rsRepairCoefficients(2, 1))).toEqual([2, 3]);
    // A returned row is a copy.
    rsRepairCoefficients(2, 0)[0] = 99;
    expect(rsRepairCoefficients(2, 0)[0]).toBe(3);
    expect(() => rsRepairCoefficients(250, 5)).toThrow(RangeError);
  });

  it('repair j = Σ coef_j[i] · source_i', () => {
    const src = [Uint8Array.of(1, 2), Uint8Array.of(3, 4), Uint8Array.of(5, 6)];
    const [r0] = rsEncode(src, 1);
    const c = rsRepairCoefficients(3, 0);
    for (let b = 0; b < 2; b++) expect(r0![b]).toBe(gfMul(c[0]!, src[0]![b]!) ^ gfMul(c[1]!, src[1]![b]!) ^ gfMul(c[2]!, src[2]![b]!));
  });

  it('recovers any ≤ r erasures exactly; more are reported, never mis-decoded', () => {
    fc.assert(
      fc.property(
        block(24, 48),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (src, r, lossPicks, repairDrops, byIndex) => {
          const k = src.length;
          const repairs = rsEncode(src, r);
          const size = Math.max(...src.map((s) => s.length));
          const lost = new Set(lossPicks.map((x) => x % k));
          const rx: (Uint8Array | undefined)[] = src.map((s, i) => (lost.has(i) ? undefined : s));
          const dropped = new Set(repairDrops.map((x) => x % r));
          const reps: BlockRepairSymbol[] = [];
          repairs.forEach((data, j) => {
            if (!dropped.has(j)) reps.push(byIndex ? { index: j, data } : { index: j, data, coefficients: rsRepairCoefficients(k, j) });
          });
          const res = rsDecode(rx, reps);
          const lostSorted = [...lost].sort((a, b) => a - b);
          if (lost.size <= reps.length) {
            expect(res.missing).toEqual([]);
            expect(res.recovered).toEqual(lostSorted);
            for (const i of lost) expect(res.symbols[i]).toEqual(padded(src[i]!, size));
          } else {
            expect(res.recovered).toEqual([]);
            expect(res.missing).toEqual(lostSorted);
          }
          for (let i = 0; i < k; i++) if (res.symbols[i] !== undefined) expect(res.symbols[i]!.subarray(0, src[i]!.length)).toEqual(src[i]);
        },
      ),
      { seed: 0xfec3, numRuns: 300 },
    );
  });

  it('k = 48, r = 10: all ten lost, any ten repairs suffice', () => {
    const src = Array.from({ length: 48 }, (_, i) => Uint8Array.from({ length: 100 + i }, (_, b) => (b * 31 + i * 7) & 0xff));
    const repairs = rsEncode(src, 10);
    const rx: (Uint8Array | undefined)[] = src.slice();
    for (const i of [0, 5, 6, 17, 23, 30, 31, 40, 46, 47]) rx[i] = undefined;
    const res = rsDecode(
      rx,
      repairs.map((data, index) => ({ index, data, coefficients: rsRepairCoefficients(48, index) })),
    );
    expect(res.missing).toEqual([]);
    for (const i of res.recovered) expect(res.symbols[i]!.subarray(0, src[i]!.length)).toEqual(src[i]);
  });

  it('duplicate repair rows do not count twice', () => {
    const src = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
    const [r0] = rsEncode(src, 1);
    const c = rsRepairCoefficients(3, 0);
    const res = rsDecode([undefined, undefined, src[2]], [
      { index: 0, data: r0!, coefficients: c },
      { index: 0, data: r0!, coefficients: c },
    ]);
    expect(res.recovered).toEqual([]);
    expect(res.missing).toEqual([0, 1]);
  });

  it('partial rank: a row that isolates one erasure recovers it alone', () => {
    // Hand-made rows (the decoder trusts only what the rows say): row [0,1,0,c] over erasures {1,3}
    // when sources 0 and 2 are known, plus nothing else.
    const src = [Uint8Array.of(9), Uint8Array.of(8), Uint8Array.of(7), Uint8Array.of(6)];
    const coefficients = Uint8Array.of(5, 1, 4, 0);
    const data = Uint8Array.of(gfMul(5, 9) ^ 8 ^ gfMul(4, 7));
    const res = rsDecode([src[0], undefined, src[2], undefined], [{ data, coefficients }]);
    expect(res.recovered).toEqual([1]);
    expect(res.missing).toEqual([3]);
    expect(res.symbols[1]).toEqual(src[1]);
  });

  it('the incremental encoder matches rsEncode across blocks', () => {
    const enc = new RsEncoder(4, 2);
    for (let blk = 0; blk < 3; blk++) {
      const src = Array.from({ length: 4 }, (_, i) => Uint8Array.from({ length: 10 + i * blk }, (_, b) => b + i + blk));
      src.forEach((s) => enc.add(s));
      const want = rsEncode(src, 2);
      expect(enc.repair(0)).toEqual(want[0]);
      expect(enc.repair(1)).toEqual(want[1]);
      expect(enc.coefficients(1)).toEqual(rsRepairCoefficients(4, 1));
      enc.reset();
    }
  });

  it('malformed input throws TransportError only', () => {
    const src = [Uint8Array.of(1, 2), Uint8Array.of(3, 4)];
    const [r0] = rsEncode(src, 1);
    expect(() => rsDecode([src[0], undefined], [{ data: r0!, coefficients: Uint8Array.of(1) }])).toThrow(TransportError);
    expect(() => rsDecode([src[0], undefined], [{ data: r0! }])).toThrow(TransportError);
    expect(() => rsDecode([src[0], undefined], [{ index: 253, data: r0! }])).toThrow(TransportError);
    expect(() => rsDecode([Uint8Array.of(1, 2, 3), undefined], [{ index: 0, data: r0! }])).toThrow(TransportError);
    expect(() => rsDecode(new Array(49).fill(undefined), [])).toThrow(TransportError);
    expect(() => rsDecode([undefined], new Array(11).fill({ index: 0, data: r0! }))).toThrow(TransportError);
    expect(() => rsDecode([undefined, undefined], [{ index: 0, data: new Uint8Array(100) }], { maxSymbolLength: 50 })).toThrow(TransportError);
  });

  it('random rows and bytes from the network: TransportError or a result, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }), { minLength: 0, maxLength: 12 }),
        fc.array(fc.record({ index: fc.option(fc.integer({ min: -2, max: 300 }), { nil: undefined }), data: fc.uint8Array({ maxLength: 20 }), coefficients: fc.option(fc.uint8Array({ maxLength: 14 }), { nil: undefined }) }), { maxLength: 12 }),
        (sources, repairs) => {
          const clean = repairs.map((r) => ({ data: r.data, ...(r.index !== undefined ? { index: r.index } : {}), ...(r.coefficients !== undefined ? { coefficients: r.coefficients } : {}) }));
          try {
            const res = rsDecode(sources, clean);
            expect(res.symbols.length).toBe(sources.length);
            expect(res.recovered.length + res.missing.length).toBe(sources.filter((s) => s === undefined).length);
          } catch (e) {
            expect(e).toBeInstanceOf(TransportError);
          }
        },
      ),
      { seed: 0xfec4, numRuns: 300 },
    );
  });
});
