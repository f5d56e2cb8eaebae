import { describe, expect, it } from 'vitest';
import { TinyMT32 } from '../../src/fec/tinymt32.js';
import { generateCodingCoefs } from '../../src/fec/rlc.js';

/** RFC 8682 §2.2 (Figure 2): the first 50 outputs of tinymt32_generate_uint32 for seed 1. */
const SEED1 = [
  2545341989, 981918433, 3715302833, 2387538352, 3591001365, 3820442102, 2114400566, 2196103051, 2783359912, 764534509, 643179475, 1822416315, 881558334,
  4207026366, 3690273640, 3240535687, 2921447122, 3984931427, 4092394160, 44209675, 2188315343, 2908663843, 1834519336, 3774670961, 3019990707, 4065554902,
  1239765502, 4035716197, 3412127188, 552822483, 161364450, 353727785, 140085994, 149132008, 2547770827, 4064042525, 4078297538, 2057335507, 622384752,
  2041665899, 2193913817, 1080849512, 33160901, 662956935, 642999063, 3384709977, 1723175122, 3866752252, 521822317, 2292524454,
];

describe('TinyMT32 (RFC 8682)', () => {
  it('seed 1 gives the 50 outputs of RFC 8682 Figure 2', () => {
    const g = new TinyMT32(1);
    expect(Array.from({ length: 50 }, () => g.nextUint32())).toEqual(SEED1);
  });

  it('rand256 and rand16 are the low bits of the same outputs (RFC 8681 §3.5, Appendix A)', () => {
    const a = new TinyMT32(1);
    expect(Array.from({ length: 50 }, () => a.rand256())).toEqual(SEED1.map((x) => x & 0xff));
    const b = new TinyMT32(1);
    expect(Array.from({ length: 50 }, () => b.rand16())).toEqual(SEED1.map((x) => x & 0xf));
  });

  it('init reseeds in place; other seeds differ; outputs are uint32', () => {
    const g = new TinyMT32(7);
    const first = g.nextUint32();
    g.nextUint32();
    expect(g.init(7).nextUint32()).toBe(first);
    expect(new TinyMT32(2).nextUint32()).not.toBe(SEED1[0]);
    const h = new TinyMT32(0xffff);
    for (let i = 0; i < 1000; i++) {
      const x = h.nextUint32();
      expect(Number.isInteger(x) && x >= 0 && x <= 0xffffffff).toBe(true);
    }
  });
});

describe('RFC 8681 §3.6 generate_coding_coefs', () => {
  // Expected values derived by hand from the seed-1 outputs above and the §3.6 algorithm.
  it('m = 8, DT = 15, key 1: the non-zero rand256 draws in order', () => {
    const cc = new Uint8Array(10);
    generateCodingCoefs(1, cc, 10, 15, 8);
    expect(Array.from(cc)).toEqual([37, 225, 177, 176, 21, 246, 54, 139, 168, 237]);
  });

  it('m = 8, DT = 7, key 1: a rand16 test, then a rand256 draw when it passes', () => {
    const cc = new Uint8Array(10);
    generateCodingCoefs(1, cc, 10, 7, 8);
    expect(Array.from(cc)).toEqual([225, 176, 246, 139, 0, 0, 187, 0, 0, 0]);
  });

  it('m = 8, DT = 0, key 1: mostly zero, non-zero only where rand16 = 0', () => {
    const cc = new Uint8Array(20);
    generateCodingCoefs(1, cc, 20, 0, 8);
    expect(Array.from(cc)).toEqual([0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0]);
  });

  it('m = 1: DT = 15 is all ones, DT = 7 with key 1 follows rand16 ≤ 7', () => {
    const cc = new Uint8Array(20);
    generateCodingCoefs(1234, cc, 20, 15, 1);
    expect(cc.every((c) => c === 1)).toBe(true);
    generateCodingCoefs(1, cc, 20, 7, 1);
    expect(Array.from(cc)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0]);
  });

  it('DT = 15 never gives a zero; density follows (DT + 1)/16 over many keys', () => {
    const cc = new Uint8Array(256);
    for (let key = 0; key < 2000; key += 7) {
      generateCodingCoefs(key, cc, 256, 15, 8);
      expect(cc.every((c) => c !== 0)).toBe(true);
    }
    for (const dt of [0, 3, 7, 11]) {
      let nz = 0;
      for (let key = 0; key < 200; key++) {
        generateCodingCoefs(key, cc, 256, dt, 8);
        for (const c of cc) if (c !== 0) nz++;
      }
      expect(nz / (200 * 256)).toBeCloseTo((dt + 1) / 16, 1);
    }
  });

  it('only cc_nb entries are written; bad parameters are a RangeError', () => {
    const cc = new Uint8Array(8).fill(0xaa);
    generateCodingCoefs(5, cc, 4, 15, 8);
    expect(Array.from(cc.subarray(4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
    expect(() => generateCodingCoefs(5, cc, 4, 16, 8)).toThrow(RangeError);
    expect(() => generateCodingCoefs(0x10000, cc, 4, 1, 8)).toThrow(RangeError);
    expect(() => generateCodingCoefs(5, cc, 9, 1, 8)).toThrow(RangeError);
    expect(() => generateCodingCoefs(5, cc, 4, 1, 2 as 8)).toThrow(RangeError);
  });
});
