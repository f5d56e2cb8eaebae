import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import {
  MAX_VARINT,
  readVarintAt,
  readVarintBigAt,
  varintLength,
  writeVarintAt,
  writeVarintBigAt,
} from '../../src/util/varint.js';
import { ByteReader, ByteWriter, fromHex, toHex } from '../../src/util/bytes.js';
import { TransportError } from '../../src/util/transport-error.js';

describe('varint (RFC 9000 §16)', () => {
  // RFC 9000 Appendix A.1 sample decodings
  const samples: Array<[string, bigint, number]> = [
    ['c2197c5eff14e88c', 151288809941952652n, 8],
    ['9d7f3e7d', 494878333n, 4],
    ['7bbd', 15293n, 2],
    ['25', 37n, 1],
    ['4025', 37n, 2],
  ];

  it.each(samples)('decodes %s as %s', (hex, value, len) => {
    const buf = fromHex(hex);
    expect(readVarintBigAt(buf, 0)).toBe(value);
    // number decoding is exact below 2^53 and the nearest double above
    expect(readVarintAt(buf, 0)).toBe(Number(value));
    const r = new ByteReader(buf);
    r.varint();
    expect(r.offset).toBe(len);
  });

  it('encodes the samples minimally (bigint path is exact for 62-bit values)', () => {
    for (const [hex, value] of samples) {
      if (hex === '4025') continue; // two-byte encoding of 37 is not minimal
      const out = new Uint8Array(8);
      const end = writeVarintBigAt(out, 0, value);
      expect(toHex(out.subarray(0, end))).toBe(hex);
    }
    // 37 in a fixed 2-byte field, as a reserved Length field would be written
    const out = new Uint8Array(2);
    writeVarintAt(out, 0, 37, 2);
    expect(toHex(out)).toBe('4025');
  });

  it('has the boundary lengths', () => {
    expect(varintLength(63)).toBe(1);
    expect(varintLength(64)).toBe(2);
    expect(varintLength(16383)).toBe(2);
    expect(varintLength(16384)).toBe(4);
    expect(varintLength(2 ** 30 - 1)).toBe(4);
    expect(varintLength(2 ** 30)).toBe(8);
  });

  it('round-trips every safe integer and the largest encodable number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0x3fffffff }), fc.maxSafeNat()), (v) => {
        const w = ByteWriter.alloc(8);
        w.varint(v);
        expect(w.offset).toBe(varintLength(v));
        expect(new ByteReader(w.written()).varint()).toBe(v);
      }),
    );
    const w = ByteWriter.alloc(8);
    w.varint(MAX_VARINT);
    expect(new ByteReader(w.written()).varint()).toBe(MAX_VARINT);
  });

  it('decodes 2^62-1 to MAX_VARINT (the largest encodable number)', () => {
    expect(readVarintAt(fromHex('ffffffffffffffff'), 0)).toBe(MAX_VARINT);
    expect(readVarintBigAt(fromHex('ffffffffffffffff'), 0)).toBe((1n << 62n) - 1n);
  });

  it('rejects values that cannot be encoded', () => {
    const w = ByteWriter.alloc(8);
    for (const bad of [-1, 1.5, 2 ** 62, Number.NaN, Infinity]) expect(() => w.varint(bad)).toThrow(RangeError);
    expect(() => writeVarintAt(new Uint8Array(1), 0, 64, 1)).toThrow(RangeError);
  });

  it('throws TransportError on truncation', () => {
    for (const hex of ['', '40', '80ffff', 'c0ffffffffffff']) {
      expect(() => readVarintAt(fromHex(hex), 0)).toThrow(TransportError);
      expect(() => new ByteReader(fromHex(hex)).varint()).toThrow(TransportError);
    }
  });
});
