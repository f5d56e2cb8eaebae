import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { ByteWriter, concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import {
  createPacketHeader,
  decodeVersionNegotiation,
  encodeVersionNegotiation,
  keyPhaseFromFirstByte,
  parsePacketHeader,
  parsePacketHeaderInto,
  patchLongHeaderLength,
  pnLengthFromFirstByte,
  reservedBitsFromFirstByte,
  splitCoalescedPackets,
  writeLongHeader,
  writeRetry,
  writeShortHeader,
  writeVersionNegotiation,
  type LongHeaderParams,
} from '../../src/wire/header.js';
import { readPacketNumber, truncatePacketNumber } from '../../src/wire/packet-number.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';

const opts8 = { shortDcidLength: 8 };

function expectTransportError(f: () => unknown, code?: number): TransportError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    if (code !== undefined) expect((e as TransportError).code).toBe(code);
    return e as TransportError;
  }
  throw new Error('expected a TransportError');
}

/** Builds a long-header packet with `payloadLen` bytes after the packet number. */
function buildLong(h: LongHeaderParams, payloadLen: number): { bytes: Uint8Array; pnOffset: number } {
  const w = ByteWriter.alloc(200 + payloadLen + (h.token?.length ?? 0));
  const pnOffset = writeLongHeader(w, h);
  w.zeros(payloadLen);
  patchLongHeaderLength(w.buf, 0, pnOffset, w.offset, h.lengthFieldSize ?? 2);
  return { bytes: w.written().slice(), pnOffset };
}

describe('RFC 9001 Appendix A vectors', () => {
  it('A.2 client Initial: unprotected header', () => {
    const hdr = fromHex('c300000001088394c8f03e5157080000449e00000002');
    // Length 0x049e = 1182 bytes after the Length field: the 4-byte packet number + 1178 more.
    const datagram = concatBytes(hdr, new Uint8Array(1182 - 4));
    expect(datagram.length).toBe(1200);
    const h = parsePacketHeader(datagram, opts8);
    expect(h.form).toBe('long');
    expect(h.type).toBe('initial');
    expect(h.version).toBe(QUIC_V1);
    expect(toHex(h.dcid)).toBe('8394c8f03e515708');
    expect(h.scid.length).toBe(0);
    expect(h.token.length).toBe(0);
    expect(h.length).toBe(0x049e);
    expect(h.pnOffset).toBe(18);
    expect(h.start).toBe(0);
    expect(h.packetLength).toBe(1200);
    // After header protection removal (already unprotected here):
    expect(pnLengthFromFirstByte(h.firstByte)).toBe(4);
    expect(reservedBitsFromFirstByte(h.firstByte, 'long')).toBe(0);
    expect(readPacketNumber(datagram, h.pnOffset, 4)).toBe(2);
  });

  it('A.2 client Initial: the protected header parses to the same layout', () => {
    const hdr = fromHex('c000000001088394c8f03e5157080000449e7b9aec34');
    const h = parsePacketHeader(concatBytes(hdr, new Uint8Array(1178)), opts8);
    expect(h.type).toBe('initial');
    expect(h.pnOffset).toBe(18);
    expect(h.packetLength).toBe(1200);
  });

  it('A.2 header is reproduced by writeLongHeader', () => {
    const w = ByteWriter.alloc(1200);
    const pnOffset = writeLongHeader(w, {
      type: 'initial',
      version: QUIC_V1,
      dcid: fromHex('8394c8f03e515708'),
      scid: new Uint8Array(0),
      packetNumber: 2,
      pnLength: 4,
    });
    expect(pnOffset).toBe(18);
    w.zeros(1178);
    patchLongHeaderLength(w.buf, 0, pnOffset, w.offset);
    expect(toHex(w.buf.subarray(0, 22))).toBe('c300000001088394c8f03e5157080000449e00000002');
  });

  it('A.4 Retry (v1)', () => {
    const bytes = fromHex('ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba');
    const h = parsePacketHeader(bytes, opts8);
    expect(h.type).toBe('retry');
    expect(h.version).toBe(QUIC_V1);
    expect(h.dcid.length).toBe(0);
    expect(toHex(h.scid)).toBe('f067a5502a4262b5');
    expect(new TextDecoder().decode(h.token)).toBe('token');
    expect(toHex(h.retryTag)).toBe('04a265ba2eff4d829058fb3f0f2496ba');
    expect(h.pnOffset).toBe(-1);
    expect(h.packetLength).toBe(bytes.length);
    const w = ByteWriter.alloc(100);
    writeRetry(w, { version: QUIC_V1, dcid: h.dcid, scid: h.scid, token: h.token, integrityTag: h.retryTag, unusedBits: 0xf });
    expect(toHex(w.written())).toBe(toHex(bytes));
  });

  it('RFC 9369 Appendix A Retry (v2 type bits 0b00)', () => {
    const bytes = fromHex('cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6');
    const h = parsePacketHeader(bytes, opts8);
    expect(h.type).toBe('retry');
    expect(h.version).toBe(QUIC_V2);
    expect(toHex(h.scid)).toBe('f067a5502a4262b5');
    expect(new TextDecoder().decode(h.token)).toBe('token');
    expect(toHex(h.retryTag)).toBe('c8646ce8bfe33952d955543665dcc7b6');
    const w = ByteWriter.alloc(100);
    writeRetry(w, { version: QUIC_V2, dcid: h.dcid, scid: h.scid, token: h.token, integrityTag: h.retryTag, unusedBits: 0xf });
    expect(toHex(w.written())).toBe(toHex(bytes));
  });
});

const cidArb = fc.uint8Array({ minLength: 0, maxLength: 20 });
const pnLenArb = fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const);

describe('long header round-trip', () => {
  it('Initial / 0-RTT / Handshake, v1 and v2', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('initial' as const, '0rtt' as const, 'handshake' as const),
        fc.constantFrom(QUIC_V1, QUIC_V2),
        cidArb,
        cidArb,
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        pnLenArb,
        fc.constantFrom(2 as const, 4 as const),
        fc.integer({ min: 0, max: 1500 }),
        (type, version, dcid, scid, tok, pn, pnLength, lengthFieldSize, payloadLen) => {
          const token = type === 'initial' ? tok : undefined;
          const { bytes, pnOffset } = buildLong({ type, version, dcid, scid, token, packetNumber: pn, pnLength, lengthFieldSize }, payloadLen);
          const h = parsePacketHeader(bytes, opts8);
          expect(h.form).toBe('long');
          expect(h.type).toBe(type);
          expect(h.version).toBe(version);
          expect(h.dcid).toEqual(dcid);
          expect(h.scid).toEqual(scid);
          expect(h.token).toEqual(token ?? new Uint8Array(0));
          expect(h.pnOffset).toBe(pnOffset);
          expect(h.length).toBe(pnLength + payloadLen);
          expect(h.packetLength).toBe(bytes.length);
          expect(pnLengthFromFirstByte(h.firstByte)).toBe(pnLength);
          expect(reservedBitsFromFirstByte(h.firstByte, 'long')).toBe(0);
          expect(readPacketNumber(bytes, h.pnOffset, pnLength)).toBe(truncatePacketNumber(pn, pnLength));
        },
      ),
    );
  });

  it('parses into a reused object without leaking fields', () => {
    const out = createPacketHeader();
    const a = buildLong({ type: 'initial', version: QUIC_V1, dcid: new Uint8Array(8).fill(1), scid: new Uint8Array(3), token: new Uint8Array([9, 9]), packetNumber: 0, pnLength: 1 }, 30);
    parsePacketHeaderInto(a.bytes, 0, opts8, out);
    expect(out.token).toEqual(new Uint8Array([9, 9]));
    const b = buildLong({ type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(8).fill(1), scid: new Uint8Array(3), packetNumber: 0, pnLength: 1 }, 30);
    parsePacketHeaderInto(b.bytes, 0, opts8, out);
    expect(out.type).toBe('handshake');
    expect(out.token.length).toBe(0);
  });

  it('rejects CIDs over 20 bytes in v1/v2 but not in unknown versions (RFC 9000 §17.2, RFC 8999)', () => {
    const mk = (version: number, dcidLen: number): Uint8Array => {
      const w = ByteWriter.alloc(400);
      w.u8(0xc0).u32(version).u8(dcidLen).zeros(dcidLen).u8(0).varint(0).varint(5).zeros(5);
      return w.written();
    };
    expectTransportError(() => parsePacketHeader(mk(QUIC_V1, 21), opts8), ErrorCode.PROTOCOL_VIOLATION);
    expectTransportError(() => parsePacketHeader(mk(QUIC_V2, 21), opts8), ErrorCode.PROTOCOL_VIOLATION);
    expect(parsePacketHeader(mk(QUIC_V1, 20), opts8).dcid.length).toBe(20);
    const u = parsePacketHeader(mk(0x1a2a3a4a, 200), opts8);
    expect(u.type).toBe('unsupported_version');
    expect(u.dcid.length).toBe(200);
    expect(u.pnOffset).toBe(-1);
    expect(u.packetLength).toBe(u.dcid.length + 7 + 2 + 5);
  });

  it('requires the Fixed Bit unless grease_quic_bit was negotiated (RFC 9000 §17.2, RFC 9287)', () => {
    const { bytes } = buildLong({ type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(8), scid: new Uint8Array(8), packetNumber: 1, pnLength: 2, fixedBit: false }, 20);
    expect(bytes[0]! & 0x40).toBe(0);
    expectTransportError(() => parsePacketHeader(bytes, opts8), ErrorCode.PROTOCOL_VIOLATION);
    expect(parsePacketHeader(bytes, { shortDcidLength: 8, allowZeroFixedBit: true }).type).toBe('handshake');
  });

  it('rejects a Length beyond the datagram and truncated headers', () => {
    const { bytes } = buildLong({ type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(8), scid: new Uint8Array(8), packetNumber: 1, pnLength: 2 }, 20);
    expectTransportError(() => parsePacketHeader(bytes.subarray(0, bytes.length - 1), opts8), ErrorCode.FRAME_ENCODING_ERROR);
    for (let n = 0; n < 26; n++) expectTransportError(() => parsePacketHeader(bytes.subarray(0, n), opts8));
  });

  it('a Length too big for the reserved field is a local RangeError', () => {
    const w = ByteWriter.alloc(20000);
    const pnOffset = writeLongHeader(w, { type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(0), scid: new Uint8Array(0), packetNumber: 0, pnLength: 1 });
    w.zeros(16384);
    expect(() => patchLongHeaderLength(w.buf, 0, pnOffset, w.offset)).toThrow(RangeError);
  });

  it('writers reject bad inputs with RangeError', () => {
    const w = ByteWriter.alloc(100);
    expect(() => writeLongHeader(w, { type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(21), scid: new Uint8Array(0), packetNumber: 0, pnLength: 1 })).toThrow(RangeError);
    expect(() => writeLongHeader(w, { type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(0), scid: new Uint8Array(0), token: new Uint8Array(1), packetNumber: 0, pnLength: 1 })).toThrow(RangeError);
    expect(() => writeLongHeader(w, { type: 'initial', version: 0x1a2a3a4a, dcid: new Uint8Array(0), scid: new Uint8Array(0), packetNumber: 0, pnLength: 1 })).toThrow(RangeError);
    expect(() => writeShortHeader(w, { dcid: new Uint8Array(21), packetNumber: 0, pnLength: 1 })).toThrow(RangeError);
    expect(() => writeRetry(w, { version: QUIC_V1, dcid: new Uint8Array(0), scid: new Uint8Array(0), token: new Uint8Array(0), integrityTag: new Uint8Array(15) })).toThrow(RangeError);
  });
});

describe('short header', () => {
  it('round-trips (RFC 9000 §17.3.1)', () => {
    fc.assert(
      fc.property(cidArb, fc.boolean(), fc.constantFrom(0 as const, 1 as const), fc.integer({ min: 0, max: 2 ** 40 }), pnLenArb, fc.integer({ min: 0, max: 200 }), (dcid, spinBit, keyPhase, pn, pnLength, payloadLen) => {
        const w = ByteWriter.alloc(300);
        w.zeros(5); // the packet need not start at offset 0
        const pnOffset = writeShortHeader(w, { dcid, packetNumber: pn, pnLength, spinBit, keyPhase });
        w.zeros(payloadLen);
        const bytes = w.written();
        const h = parsePacketHeader(bytes, { shortDcidLength: dcid.length }, 5);
        expect(h.form).toBe('short');
        expect(h.type).toBe('1rtt');
        expect(h.dcid).toEqual(dcid);
        expect(h.spinBit).toBe(spinBit);
        expect(h.start).toBe(5);
        expect(h.pnOffset).toBe(pnOffset);
        expect(h.pnOffset).toBe(1 + dcid.length);
        expect(h.packetLength).toBe(bytes.length - 5);
        expect(h.length).toBe(-1);
        expect(keyPhaseFromFirstByte(h.firstByte)).toBe(keyPhase);
        expect(pnLengthFromFirstByte(h.firstByte)).toBe(pnLength);
        expect(reservedBitsFromFirstByte(h.firstByte, 'short')).toBe(0);
        expect(readPacketNumber(bytes, 5 + h.pnOffset, pnLength)).toBe(truncatePacketNumber(pn, pnLength));
      }),
    );
  });

  it('checks the Fixed Bit and the DCID length the caller supplies', () => {
    expectTransportError(() => parsePacketHeader(new Uint8Array([0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]), opts8), ErrorCode.PROTOCOL_VIOLATION);
    expect(parsePacketHeader(new Uint8Array([0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]), { shortDcidLength: 8, allowZeroFixedBit: true }).dcid.length).toBe(8);
    expectTransportError(() => parsePacketHeader(new Uint8Array([0x41, 1, 2]), opts8), ErrorCode.FRAME_ENCODING_ERROR);
    expect(() => parsePacketHeader(new Uint8Array([0x41]), { shortDcidLength: 21 })).toThrow(RangeError);
  });
});

describe('Version Negotiation (RFC 9000 §17.2.1)', () => {
  it('round-trips, with long CIDs of other versions', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 255 }),
        fc.uint8Array({ maxLength: 255 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 10 }),
        fc.integer({ min: 0, max: 0x7f }),
        (dcid, scid, versions, unusedBits) => {
          const bytes = encodeVersionNegotiation({ dcid, scid, versions, unusedBits });
          expect(bytes[0]! & 0xc0).toBe(0xc0);
          const vn = decodeVersionNegotiation(bytes);
          expect(vn.dcid).toEqual(dcid);
          expect(vn.scid).toEqual(scid);
          expect(vn.versions).toEqual(versions);
          const h = parsePacketHeader(bytes, opts8);
          expect(h.type).toBe('version_negotiation');
          expect(h.version).toBe(0);
          expect(h.packetLength).toBe(bytes.length);
        },
      ),
    );
  });

  it('ignores the Unused bits, including a zero 0x40 bit', () => {
    const w = ByteWriter.alloc(64);
    writeVersionNegotiation(w, { dcid: new Uint8Array([1]), scid: new Uint8Array([2, 3]), versions: [QUIC_V1, QUIC_V2] });
    const bytes = w.written().slice();
    bytes[0] = 0x80 | 0x15;
    expect(decodeVersionNegotiation(bytes).versions).toEqual([QUIC_V1, QUIC_V2]);
  });

  it('rejects a list that is not a multiple of 4 bytes and non-VN packets', () => {
    const bytes = encodeVersionNegotiation({ dcid: new Uint8Array(4), scid: new Uint8Array(4), versions: [QUIC_V1] });
    expectTransportError(() => decodeVersionNegotiation(bytes.subarray(0, bytes.length - 1)));
    expectTransportError(() => decodeVersionNegotiation(fromHex('ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba')));
    expectTransportError(() => decodeVersionNegotiation(new Uint8Array([0x40, 1, 2])));
    expectTransportError(() => decodeVersionNegotiation(new Uint8Array(0)));
  });
});

describe('Retry round-trip', () => {
  it('v1 and v2', () => {
    fc.assert(
      fc.property(fc.constantFrom(QUIC_V1, QUIC_V2), cidArb, cidArb, fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (version, dcid, scid, token, tag) => {
        const w = ByteWriter.alloc(300);
        writeRetry(w, { version, dcid, scid, token, integrityTag: tag });
        const h = parsePacketHeader(w.written(), opts8);
        expect(h.type).toBe('retry');
        expect(h.version).toBe(version);
        expect(h.dcid).toEqual(dcid);
        expect(h.scid).toEqual(scid);
        expect(h.token).toEqual(token);
        expect(h.retryTag).toEqual(tag);
      }),
    );
  });

  it('rejects a Retry too short for its tag', () => {
    const w = ByteWriter.alloc(100);
    writeRetry(w, { version: QUIC_V1, dcid: new Uint8Array(0), scid: new Uint8Array(0), token: new Uint8Array(15) });
    expectTransportError(() => parsePacketHeader(w.written(), opts8), ErrorCode.FRAME_ENCODING_ERROR);
  });
});

describe('coalesced packets (RFC 9000 §12.2)', () => {
  const dcid = fromHex('0102030405060708');
  const scid = fromHex('a1a2a3a4');
  const initial = buildLong({ type: 'initial', version: QUIC_V1, dcid, scid, token: new Uint8Array([7]), packetNumber: 0, pnLength: 1 }, 40).bytes;
  const handshake = buildLong({ type: 'handshake', version: QUIC_V1, dcid, scid, packetNumber: 3, pnLength: 2, lengthFieldSize: 4 }, 60).bytes;
  const w = ByteWriter.alloc(100);
  writeShortHeader(w, { dcid, packetNumber: 9, pnLength: 2 });
  w.zeros(30);
  const short = w.written().slice();

  it('splits two packets', () => {
    const r = splitCoalescedPackets(concatBytes(initial, handshake), opts8);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => [p.type, p.start, p.packetLength])).toEqual([
      ['initial', 0, initial.length],
      ['handshake', initial.length, handshake.length],
    ]);
    expect(r.droppedFrom).toBe(initial.length + handshake.length);
  });

  it('splits three packets, the short header extending to the end', () => {
    const d = concatBytes(initial, handshake, short);
    const r = splitCoalescedPackets(d, opts8);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => p.type)).toEqual(['initial', 'handshake', '1rtt']);
    expect(r.packets[2]!.start).toBe(initial.length + handshake.length);
    expect(r.packets[2]!.packetLength).toBe(short.length);
    expect(r.packets[1]!.pnOffset).toBe(1 + 4 + 1 + 8 + 1 + 4 + 4);
  });

  it('drops the rest of the datagram after a corrupted Length', () => {
    const bad = handshake.slice();
    // The 4-byte Length field sits right before the packet number: make it exceed the datagram.
    const pnOffset = parsePacketHeader(handshake, opts8).pnOffset;
    bad[pnOffset - 4] = 0xbf;
    const d = concatBytes(initial, bad, short);
    const r = splitCoalescedPackets(d, opts8);
    expect(r.packets.map((p) => p.type)).toEqual(['initial']);
    expect(r.error).toBeInstanceOf(TransportError);
    expect(r.droppedFrom).toBe(initial.length);
  });

  it('drops trailing garbage with a zero Fixed Bit but keeps earlier packets', () => {
    const r = splitCoalescedPackets(concatBytes(initial, new Uint8Array(10)), opts8);
    expect(r.packets.length).toBe(1);
    expect(r.error?.code).toBe(ErrorCode.PROTOCOL_VIOLATION);
    expect(r.droppedFrom).toBe(initial.length);
  });

  it('ignores later packets with a different DCID', () => {
    const other = buildLong({ type: 'handshake', version: QUIC_V1, dcid: fromHex('ffffffffffffffff'), scid, packetNumber: 3, pnLength: 2 }, 20).bytes;
    const r = splitCoalescedPackets(concatBytes(initial, other, handshake), opts8);
    expect(r.packets.map((p) => p.type)).toEqual(['initial', 'handshake']);
    expect(r.ignored).toBe(1);
    expect(r.error).toBeUndefined();
  });
});

describe('untrusted input', () => {
  const optsArb = fc.record({ shortDcidLength: fc.integer({ min: 0, max: 20 }), allowZeroFixedBit: fc.boolean() });

  it('parsing arbitrary bytes throws nothing but TransportError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), optsArb, (bytes, opts) => {
        try {
          const h = parsePacketHeader(bytes, opts);
          expect(h.start + h.packetLength).toBeLessThanOrEqual(bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary long-header-looking bytes throw nothing but TransportError', () => {
    const prefix = fc.tuple(fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(QUIC_V1, QUIC_V2, 0, 0x1a2a3a4a));
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 80 }), optsArb, ([b0, version], rest, opts) => {
        const w = ByteWriter.alloc(85);
        w.u8(b0).u32(version).bytes(rest);
        try {
          parsePacketHeader(w.written(), opts);
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('splitting arbitrary datagrams never throws and covers only the datagram', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 4 }), optsArb, (parts, opts) => {
        const d = concatBytes(initialish(), ...parts);
        const r = splitCoalescedPackets(d, opts);
        let end = 0;
        for (const p of r.packets) {
          expect(p.start).toBeGreaterThanOrEqual(end);
          end = p.start + p.packetLength;
        }
        expect(end).toBeLessThanOrEqual(d.length);
        expect(r.droppedFrom).toBeLessThanOrEqual(d.length);
      }),
    );
  });
});

function initialish(): Uint8Array {
  return buildLong({ type: 'initial', version: QUIC_V1, dcid: new Uint8Array(8), scid: new Uint8Array(0), packetNumber: 0, pnLength: 1 }, 10).bytes;
}
