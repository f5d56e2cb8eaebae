import { describe, expect, it } from 'vitest';
import * as fec from '../../src/fec/index.js';

describe('fec public API and scheme registry (specs/fec.md B7 §2)', () => {
  it('maps scheme IDs to codes', () => {
    expect(fec.FEC_SCHEMES).toEqual({ 8: 'rs', 9: 'rlc2', 10: 'rlc', 11: 'xor' });
    expect(fec.FecScheme).toEqual({ REED_SOLOMON: 8, RLC_GF2: 9, RLC_GF256: 10, XOR: 11 });
    expect(fec.fecSchemeName(10)).toBe('rlc');
    expect(fec.fecSchemeName(12)).toBeUndefined(); // XQUIC Packet-Mask: skipped
    expect([0, 7, 8, 9, 10, 11, 12].filter(fec.isKnownFecScheme)).toEqual([8, 9, 10, 11]);
    expect(fec.isBlockScheme(8) && fec.isBlockScheme(11)).toBe(true);
    expect(fec.isBlockScheme(10) || fec.isBlockScheme(9)).toBe(false);
  });

  it('exports every code', () => {
    for (const name of ['RsEncoder', 'rsDecode', 'rsEncode', 'rsRepairCoefficients', 'XorEncoder', 'xorDecode', 'xorEncode', 'RlcEncoder', 'RlcDecoder', 'generateCodingCoefs', 'TinyMT32', 'mulAddRegion', 'mulAdd2Region', 'mulRegion', 'gfMul', 'gfDiv', 'gfInv', 'sourcePayloadId', 'splitSourcePayloadId'])
      expect(typeof (fec as Record<string, unknown>)[name]).toBe('function');
    expect(fec.DEFAULT_FEC_LIMITS).toMatchObject({ maxSourceSymbols: 48, maxRepairSymbols: 10, maxSymbolLength: 65535, maxWindow: 256 });
    expect(() => fec.resolveLimits({ maxWindow: 0 })).toThrow(RangeError);
    expect(() => fec.resolveLimits({ maxSourceSymbols: 250, maxRepairSymbols: 10 })).toThrow(RangeError);
  });

  it('mulAdd2Region equals two mulAddRegion calls, aligned or not', () => {
    const src = Uint8Array.from({ length: 1301 }, (_, i) => (i * 53 + 1) & 0xff);
    for (const [off, sOff, len, a, b] of [[0, 0, 1200, 7, 9], [4, 8, 999, 0x80, 1], [1, 3, 500, 2, 3], [0, 0, 20, 5, 6], [0, 4, 1000, 0, 9]] as const) {
      const x1 = new Uint8Array(1300).fill(0x11);
      const y1 = new Uint8Array(1300).fill(0x22);
      const x2 = x1.slice();
      const y2 = y1.slice();
      fec.mulAdd2Region(x1, y1, src, a, b, off, sOff, len);
      fec.mulAddRegion(x2, src, a, off, sOff, len);
      fec.mulAddRegion(y2, src, b, off, sOff, len);
      expect(x1).toEqual(x2);
      expect(y1).toEqual(y2);
    }
  });
});
