import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { Prng } from '../../src/util/prng.js';
import {
  QUIC_V1,
  QUIC_V2,
  SUPPORTED_VERSIONS,
  VERSION_NEGOTIATION,
  greaseVersion,
  isReservedVersion,
  isSupportedVersion,
  longPacketTypeBits,
  longPacketTypeFromBits,
  versionName,
  type LongPacketType,
} from '../../src/wire/version.js';

describe('version constants', () => {
  it('has the RFC values', () => {
    expect(QUIC_V1).toBe(1);
    expect(QUIC_V2).toBe(0x6b3343cf);
    expect(VERSION_NEGOTIATION).toBe(0);
    expect(SUPPORTED_VERSIONS).toEqual([QUIC_V1, QUIC_V2]);
  });

  it('knows which versions are supported', () => {
    expect(isSupportedVersion(QUIC_V1)).toBe(true);
    expect(isSupportedVersion(QUIC_V2)).toBe(true);
    expect(isSupportedVersion(0)).toBe(false);
    expect(isSupportedVersion(0x1a2a3a4a)).toBe(false);
    expect(isSupportedVersion(QUIC_V2, [QUIC_V1])).toBe(false);
  });
});

describe('reserved versions (RFC 9000 §15)', () => {
  it('matches 0x?a?a?a?a', () => {
    expect(isReservedVersion(0x0a0a0a0a)).toBe(true);
    expect(isReservedVersion(0x1a2a3a4a)).toBe(true);
    expect(isReservedVersion(0xfafafafa)).toBe(true);
    expect(isReservedVersion(QUIC_V1)).toBe(false);
    expect(isReservedVersion(QUIC_V2)).toBe(false);
    expect(isReservedVersion(0x0a0a0a0b)).toBe(false);
    expect(isReservedVersion(0xbabababa - 0x10000000)).toBe(true);
  });

  it('greaseVersion always yields a reserved, unsupported, 32-bit version', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const v = greaseVersion(new Prng(seed));
        expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
        expect(isReservedVersion(v)).toBe(true);
        expect(isSupportedVersion(v)).toBe(false);
      }),
    );
  });

  it('greaseVersion is deterministic for a seed and varies', () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const xs = Array.from({ length: 16 }, () => greaseVersion(a));
    expect(Array.from({ length: 16 }, () => greaseVersion(b))).toEqual(xs);
    expect(new Set(xs).size).toBeGreaterThan(8);
  });
});

describe('long packet type bits', () => {
  it('v1 (RFC 9000 §17.2 Table 5)', () => {
    expect([0, 1, 2, 3].map((b) => longPacketTypeFromBits(QUIC_V1, b))).toEqual(['initial', '0rtt', 'handshake', 'retry']);
  });

  it('v2 (RFC 9369 §3.2): Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00', () => {
    expect(longPacketTypeBits(QUIC_V2, 'initial')).toBe(0b01);
    expect(longPacketTypeBits(QUIC_V2, '0rtt')).toBe(0b10);
    expect(longPacketTypeBits(QUIC_V2, 'handshake')).toBe(0b11);
    expect(longPacketTypeBits(QUIC_V2, 'retry')).toBe(0b00);
    expect([0, 1, 2, 3].map((b) => longPacketTypeFromBits(QUIC_V2, b))).toEqual(['retry', 'initial', '0rtt', 'handshake']);
  });

  it('bits ↔ type round-trip for both versions', () => {
    const types: LongPacketType[] = ['initial', '0rtt', 'handshake', 'retry'];
    for (const v of [QUIC_V1, QUIC_V2]) {
      for (const t of types) expect(longPacketTypeFromBits(v, longPacketTypeBits(v, t))).toBe(t);
    }
  });

  it('unknown versions have no packet types', () => {
    expect(longPacketTypeFromBits(0x1a2a3a4a, 0)).toBeUndefined();
    expect(longPacketTypeFromBits(VERSION_NEGOTIATION, 0)).toBeUndefined();
    expect(() => longPacketTypeBits(0x1a2a3a4a, 'initial')).toThrow(RangeError);
  });
});

describe('versionName', () => {
  it('names versions', () => {
    expect(versionName(QUIC_V1)).toBe('v1');
    expect(versionName(QUIC_V2)).toBe('v2');
    expect(versionName(0)).toBe('VN');
    expect(versionName(0x1a2a3a4a)).toBe('grease(0x1a2a3a4a)');
    expect(versionName(0xff00001d)).toBe('0xff00001d');
  });
});
