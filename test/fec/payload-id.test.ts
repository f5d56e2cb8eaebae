import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import {
  payloadIdBlock,
  payloadIdIndex,
  prefixLength,
  readRlcRepairKey,
  sourcePayloadId,
  splitSourcePayloadId,
  stripLengthPrefix,
  writeRlcRepairKey,
} from '../../src/fec/payload-id.js';
import { TransportError } from '../../src/util/transport-error.js';

describe('Source Payload ID (RFC 5510 §5.1, XQUIC: block << 8 | index)', () => {
  it('packs a 24-bit block and an 8-bit index', () => {
    expect(sourcePayloadId(0, 0)).toBe(0);
    expect(sourcePayloadId(1, 2)).toBe(0x102);
    expect(sourcePayloadId(0xffffff, 0xff)).toBe(0xffffffff);
    expect(splitSourcePayloadId(0xabcdef12)).toEqual({ block: 0xabcdef, index: 0x12 });
    expect(() => sourcePayloadId(0x1000000, 0)).toThrow(RangeError);
    expect(() => sourcePayloadId(0, 256)).toThrow(RangeError);
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 255 }), (block, index) => {
        const id = sourcePayloadId(block, index);
        expect(id).toBe(((block << 8) | index) >>> 0);
        expect(payloadIdBlock(id)).toBe(block);
        expect(payloadIdIndex(id)).toBe(index);
      }),
      { seed: 0xfec1, numRuns: 500 },
    );
  });

  it('rejects IDs from the wire beyond 32 bits with a TransportError', () => {
    expect(() => payloadIdBlock(2 ** 32)).toThrow(TransportError);
    expect(() => splitSourcePayloadId(-1)).toThrow(TransportError);
  });
});

describe('RLC Repair Key field (RFC 8681 §4.1.3: Repair_Key 16 ‖ DT 4 ‖ NSS 12)', () => {
  it('round-trips and rejects NSS = 0 or a wrong length', () => {
    const b = new Uint8Array(4);
    writeRlcRepairKey(b, 0, { repairKey: 0xbeef, dt: 15, nss: 0xabc });
    expect(Array.from(b)).toEqual([0xbe, 0xef, 0xfa, 0xbc]);
    expect(readRlcRepairKey(b)).toEqual({ repairKey: 0xbeef, dt: 15, nss: 0xabc });
    expect(() => readRlcRepairKey(Uint8Array.of(0, 1, 0xf0, 0))).toThrow(TransportError);
    expect(() => readRlcRepairKey(Uint8Array.of(0, 1, 0))).toThrow(TransportError);
    expect(() => writeRlcRepairKey(b, 0, { repairKey: 1, dt: 16, nss: 1 })).toThrow(RangeError);
  });
});

describe('length prefix helper', () => {
  it('survives tail zero padding', () => {
    const p = prefixLength(Uint8Array.of(1, 2, 3));
    const padded = new Uint8Array(20);
    padded.set(p);
    expect(Array.from(stripLengthPrefix(padded))).toEqual([1, 2, 3]);
    expect(() => stripLengthPrefix(Uint8Array.of(0, 9, 1))).toThrow(TransportError);
    expect(() => stripLengthPrefix(Uint8Array.of(0))).toThrow(TransportError);
  });
});
