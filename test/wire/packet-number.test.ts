import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import {
  decodePacketNumber,
  packetNumberLength,
  readPacketNumber,
  truncatePacketNumber,
  writePacketNumber,
} from '../../src/wire/packet-number.js';

const lens = [1, 2, 3, 4] as const;

describe('packet number length (RFC 9000 §17.1, Appendix A.2)', () => {
  it('Appendix A.2: largest acked 0xabe8b3, pn 0xac5c02 → 16 bits', () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
  });

  it('Appendix A.2: largest acked 0xabe8b3, pn 0xace8fe → 24 bits', () => {
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
  });

  it('without an acknowledgment the full number must be representable', () => {
    expect(packetNumberLength(0, undefined)).toBe(1);
    expect(packetNumberLength(126, undefined)).toBe(1);
    // 128 packets unacknowledged: 1 byte would represent exactly twice the range, not more.
    expect(packetNumberLength(127, undefined)).toBe(2);
    expect(packetNumberLength(0x7ffe, undefined)).toBe(2);
    expect(packetNumberLength(0x7fffff, undefined)).toBe(4);
  });

  it('grows with the unacknowledged range', () => {
    expect(packetNumberLength(1000, 999)).toBe(1);
    expect(packetNumberLength(1000 + 127, 1000)).toBe(1);
    expect(packetNumberLength(1000 + 128, 1000)).toBe(2);
    expect(packetNumberLength(2 ** 40 + 0x7fffffff, 2 ** 40)).toBe(4);
    expect(() => packetNumberLength(2 ** 40 + 2 ** 31, 2 ** 40)).toThrow(RangeError);
    expect(() => packetNumberLength(5, 5)).toThrow(RangeError);
  });

  it('always gives a range more than twice the unacknowledged span', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 2 ** 50 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (acked, d) => {
        const pn = acked + d;
        const len = packetNumberLength(pn, acked < 0 ? undefined : acked);
        const span = acked < 0 ? pn + 1 : d;
        expect(2 ** (8 * len)).toBeGreaterThan(2 * span);
        if (len > 1) expect(2 ** (8 * (len - 1))).toBeLessThanOrEqual(2 * span);
      }),
    );
  });
});

describe('packet number decoding (RFC 9000 Appendix A.3)', () => {
  it('Appendix A.3 example: largest 0xa82f30ea, 16-bit 0x9b32 → 0xa82f9b32', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
  });

  it('first packet of a space (largest = -1)', () => {
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
    expect(decodePacketNumber(-1, 2, 32)).toBe(2);
    expect(decodePacketNumber(-1, 200, 8)).toBe(200);
  });

  it('wraps forward and backward', () => {
    expect(decodePacketNumber(0xff, 0x01, 8)).toBe(0x101);
    expect(decodePacketNumber(0x101, 0xff, 8)).toBe(0xff);
    expect(decodePacketNumber(2 ** 40 + 0xfffe, 0x0002, 16)).toBe(2 ** 40 + 0x10002);
  });

  it('does not go past 2^62 - 1', () => {
    // expected = 2^62 - 2^31, candidate = 2^62 - 2^32 lies at the bottom of the window, but
    // candidate + pn_win would be 2^62: the overflow check keeps the candidate.
    expect(decodePacketNumber(2 ** 62 - 2 ** 31 - 1, 0, 32)).toBe(2 ** 62 - 2 ** 32);
  });

  it('recovers what the sender encoded (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1, max: 2 ** 48 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (acked, d, frac) => {
          const pn = acked + d;
          const len = packetNumberLength(pn, acked < 0 ? undefined : acked);
          // The receiver has processed anything between the largest acked and pn - 1.
          const largest = acked + Math.floor(frac * (d - 1));
          const buf = new Uint8Array(4);
          writePacketNumber(buf, 0, pn, len);
          const truncated = readPacketNumber(buf, 0, len);
          expect(truncated).toBe(truncatePacketNumber(pn, len));
          expect(decodePacketNumber(largest, truncated, (8 * len) as 8 | 16 | 24 | 32)).toBe(pn);
        },
      ),
    );
  });

  it('result is congruent to the truncated value and inside the window (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 2 ** 50 }), fc.constantFrom(...lens), fc.nat(), (largest, len, t) => {
        const nbits = (8 * len) as 8 | 16 | 24 | 32;
        const win = 2 ** nbits;
        const truncated = t % win;
        const expected = largest + 1;
        const r = decodePacketNumber(largest, truncated, nbits);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r % win).toBe(truncated);
        expect(r > expected - win / 2 || r + win > 2 ** 62).toBe(true);
        expect(r <= expected + win / 2 || r < win).toBe(true);
      }),
    );
  });
});

describe('packet number field bytes', () => {
  it('writes big-endian low bytes', () => {
    const buf = new Uint8Array(6);
    expect(writePacketNumber(buf, 1, 0xac5c02, 2)).toBe(3);
    expect([...buf.subarray(1, 3)]).toEqual([0x5c, 0x02]);
    writePacketNumber(buf, 0, 2 ** 40 + 0x01020304, 4);
    expect([...buf.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    writePacketNumber(buf, 0, 0xfedcba, 3);
    expect([...buf.subarray(0, 3)]).toEqual([0xfe, 0xdc, 0xba]);
  });

  it('write/read round-trip equals truncation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(...lens), (pn, len) => {
        const buf = new Uint8Array(4);
        writePacketNumber(buf, 0, pn, len);
        expect(readPacketNumber(buf, 0, len)).toBe(pn % 2 ** (8 * len));
        expect(truncatePacketNumber(pn, len)).toBe(pn % 2 ** (8 * len));
      }),
    );
  });
});
