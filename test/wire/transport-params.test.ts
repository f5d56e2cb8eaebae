import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { ByteReader, ByteWriter, concatBytes } from '../../src/util/bytes.js';
import { Prng } from '../../src/util/prng.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { MAX_VARINT } from '../../src/util/varint.js';
import {
  TransportParameterId as ID,
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
  isReservedTransportParameterId,
  type TransportParameters,
} from '../../src/wire/transport-params.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';

const TPE = ErrorCode.TRANSPORT_PARAMETER_ERROR;

/** Raw transport parameter bytes from (id, value) pairs. */
function raw(...params: [number, Uint8Array][]): Uint8Array {
  const w = ByteWriter.alloc(4096);
  for (const [id, v] of params) w.varint(id).varint(v.length).bytes(v);
  return w.written().slice();
}

function vi(v: number, len?: 1 | 2 | 4 | 8): Uint8Array {
  const w = ByteWriter.alloc(8);
  w.varint(v, len);
  return w.written().slice();
}

function expectTpError(bytes: Uint8Array, sender: 'client' | 'server' = 'server'): void {
  try {
    decodeTransportParameters(bytes, { sender });
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code).toBe(TPE);
    return;
  }
  throw new Error('expected TRANSPORT_PARAMETER_ERROR');
}

const varintArb = fc.oneof(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constant(MAX_VARINT));
const cidArb = fc.uint8Array({ maxLength: 20 });
const versionArb = fc.integer({ min: 1, max: 0xffffffff });

const preferredAddressArb = fc.record({
  ipv4Address: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  ipv4Port: fc.integer({ min: 0, max: 0xffff }),
  ipv6Address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  ipv6Port: fc.integer({ min: 0, max: 0xffff }),
  connectionId: fc.uint8Array({ minLength: 1, maxLength: 20 }),
  statelessResetToken: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});

function tpArb(sender: 'client' | 'server'): fc.Arbitrary<TransportParameters> {
  const server = sender === 'server';
  return fc
    .record(
      {
        originalDestinationConnectionId: cidArb,
        maxIdleTimeoutMs: varintArb,
        statelessResetToken: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        maxUdpPayloadSize: fc.integer({ min: 1200, max: 2 ** 40 }),
        initialMaxData: varintArb,
        initialMaxStreamDataBidiLocal: varintArb,
        initialMaxStreamDataBidiRemote: varintArb,
        initialMaxStreamDataUni: varintArb,
        initialMaxStreamsBidi: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(2 ** 60)),
        initialMaxStreamsUni: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(2 ** 60)),
        ackDelayExponent: fc.integer({ min: 0, max: 20 }),
        maxAckDelayMs: fc.integer({ min: 0, max: 2 ** 14 - 1 }),
        disableActiveMigration: fc.boolean(),
        preferredAddress: preferredAddressArb,
        activeConnectionIdLimit: fc.integer({ min: 2, max: 2 ** 40 }),
        initialSourceConnectionId: cidArb,
        retrySourceConnectionId: cidArb,
        versionInformation: fc
          .tuple(versionArb, fc.array(versionArb, { maxLength: 6 }))
          .map(([chosenVersion, others]) => ({ chosenVersion, availableVersions: server ? others : [...others, chosenVersion] })),
        maxDatagramFrameSize: varintArb,
        greaseQuicBit: fc.boolean(),
        initialMaxPathId: fc.integer({ min: 0, max: 0xffffffff }),
        fecVersion: fc.boolean(),
        fecEncoderSchemes: fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { maxLength: 5 }),
        fecDecoderSchemes: fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { maxLength: 5 }),
        fecMaxSymbolNum: varintArb,
        fecSymbolAck: fc.boolean(),
      },
      {
        requiredKeys: [
          'maxIdleTimeoutMs',
          'maxUdpPayloadSize',
          'initialMaxData',
          'initialMaxStreamDataBidiLocal',
          'initialMaxStreamDataBidiRemote',
          'initialMaxStreamDataUni',
          'initialMaxStreamsBidi',
          'initialMaxStreamsUni',
          'ackDelayExponent',
          'maxAckDelayMs',
          'disableActiveMigration',
          'activeConnectionIdLimit',
          'maxDatagramFrameSize',
          'greaseQuicBit',
          'fecVersion',
          'fecSymbolAck',
        ],
      },
    )
    .map((tp) => {
      if (!server) {
        delete tp.originalDestinationConnectionId;
        delete tp.statelessResetToken;
        delete tp.preferredAddress;
        delete tp.retrySourceConnectionId;
      }
      return tp as TransportParameters;
    });
}

describe('defaults (RFC 9000 §18.2)', () => {
  it('has the RFC defaults', () => {
    const d = defaultTransportParameters();
    expect(d.maxUdpPayloadSize).toBe(65527);
    expect(d.ackDelayExponent).toBe(3);
    expect(d.maxAckDelayMs).toBe(25);
    expect(d.activeConnectionIdLimit).toBe(2);
    expect(d.maxIdleTimeoutMs).toBe(0);
    expect(d.initialMaxData).toBe(0);
    expect(d.maxDatagramFrameSize).toBe(0);
    expect(d.disableActiveMigration).toBe(false);
    expect(d.greaseQuicBit).toBe(false);
    expect(d.fecVersion).toBe(false);
    expect(d.initialMaxPathId).toBeUndefined();
    expect(defaultTransportParameters({ initialMaxData: 5 }).initialMaxData).toBe(5);
  });

  it('an empty encoding decodes to the defaults, and defaults encode to nothing', () => {
    expect(decodeTransportParameters(new Uint8Array(0), { sender: 'client' })).toEqual(defaultTransportParameters());
    expect(encodeTransportParameters(defaultTransportParameters()).length).toBe(0);
  });
});

describe('round-trip', () => {
  it('server parameters', () => {
    fc.assert(
      fc.property(tpArb('server'), (tp) => {
        expect(decodeTransportParameters(encodeTransportParameters(tp), { sender: 'server' })).toEqual(tp);
      }),
    );
  });

  it('client parameters', () => {
    fc.assert(
      fc.property(tpArb('client'), (tp) => {
        expect(decodeTransportParameters(encodeTransportParameters(tp), { sender: 'client' })).toEqual(tp);
      }),
    );
  });

  it('with GREASE parameters, which decoding ignores (RFC 9000 §18.1)', () => {
    fc.assert(
      fc.property(tpArb('server'), fc.integer({ min: 1, max: 8 }), fc.nat(), (tp, n, seed) => {
        const bytes = encodeTransportParameters(tp, { grease: n, prng: new Prng(seed) });
        expect(decodeTransportParameters(bytes, { sender: 'server' })).toEqual(tp);
        const ids = listIds(bytes);
        expect(ids.filter(isReservedTransportParameterId).length).toBe(n);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('a typical interop set (specs/interop.md)', () => {
    const tp = defaultTransportParameters({
      maxIdleTimeoutMs: 30_000,
      maxUdpPayloadSize: 65527,
      initialMaxData: 1 << 20,
      initialMaxStreamDataBidiLocal: 1 << 18,
      initialMaxStreamsBidi: 100,
      activeConnectionIdLimit: 7,
      initialSourceConnectionId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      originalDestinationConnectionId: new Uint8Array([8, 7, 6, 5]),
      greaseQuicBit: true,
      versionInformation: { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] },
      initialMaxPathId: 3,
      fecVersion: true,
      fecEncoderSchemes: [11, 8, 10],
      fecDecoderSchemes: [10],
      fecMaxSymbolNum: 48,
      fecSymbolAck: true,
    });
    const bytes = encodeTransportParameters(tp, { grease: 2, prng: new Prng(1) });
    expect(decodeTransportParameters(bytes, { sender: 'server' })).toEqual(tp);
  });

  it('GREASE encoding is deterministic for a seed and requires a prng', () => {
    const tp = defaultTransportParameters({ initialMaxData: 1000 });
    expect(encodeTransportParameters(tp, { grease: 3, prng: new Prng(9) })).toEqual(encodeTransportParameters(tp, { grease: 3, prng: new Prng(9) }));
    expect(() => encodeTransportParameters(tp, { grease: 1 })).toThrow(RangeError);
  });
});

function listIds(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes);
  const ids: number[] = [];
  while (!r.isEmpty) {
    ids.push(r.varint());
    r.skip(r.varint());
  }
  return ids;
}

describe('decoding rules', () => {
  it('ignores unknown and reserved IDs, skipping by length (RFC 9000 §7.4.2)', () => {
    const bytes = raw([0x1234, new Uint8Array([1, 2, 3])], [27, new Uint8Array(0)], [ID.INITIAL_MAX_DATA, vi(77)], [31 * 1000 + 27, new Uint8Array(200)]);
    expect(decodeTransportParameters(bytes, { sender: 'client' }).initialMaxData).toBe(77);
  });

  it('accepts non-minimal varint encodings that fill the length', () => {
    expect(decodeTransportParameters(raw([ID.INITIAL_MAX_DATA, vi(5, 8)]), { sender: 'client' }).initialMaxData).toBe(5);
  });

  it('rejects duplicates, including unknown ones (RFC 9000 §7.4)', () => {
    expectTpError(raw([ID.INITIAL_MAX_DATA, vi(1)], [ID.INITIAL_MAX_DATA, vi(1)]));
    expectTpError(raw([0x1234, new Uint8Array(0)], [0x1234, new Uint8Array(0)]));
    expectTpError(raw([ID.GREASE_QUIC_BIT, new Uint8Array(0)], [ID.INITIAL_MAX_DATA, vi(1)], [ID.GREASE_QUIC_BIT, new Uint8Array(0)]));
    // Distinct IDs above 2^53 are not mistaken for duplicates.
    const w = ByteWriter.alloc(40);
    w.varintBig((1n << 60n) + 1n).varint(0).varintBig((1n << 60n) + 2n).varint(0);
    expect(decodeTransportParameters(w.written(), { sender: 'client' })).toEqual(defaultTransportParameters());
  });

  it('rejects server-only parameters from a client (RFC 9000 §18.2)', () => {
    const cases: [number, Uint8Array][] = [
      [ID.ORIGINAL_DESTINATION_CONNECTION_ID, new Uint8Array(8)],
      [ID.STATELESS_RESET_TOKEN, new Uint8Array(16)],
      [ID.PREFERRED_ADDRESS, encodePreferred(4)],
      [ID.RETRY_SOURCE_CONNECTION_ID, new Uint8Array(8)],
    ];
    for (const c of cases) {
      expectTpError(raw(c), 'client');
      expect(() => decodeTransportParameters(raw(c), { sender: 'server' })).not.toThrow();
    }
  });

  it('rejects out-of-range values', () => {
    expectTpError(raw([ID.MAX_UDP_PAYLOAD_SIZE, vi(1199)]));
    expect(decodeTransportParameters(raw([ID.MAX_UDP_PAYLOAD_SIZE, vi(1200)]), { sender: 'client' }).maxUdpPayloadSize).toBe(1200);
    expectTpError(raw([ID.ACK_DELAY_EXPONENT, vi(21)]));
    expect(decodeTransportParameters(raw([ID.ACK_DELAY_EXPONENT, vi(20)]), { sender: 'client' }).ackDelayExponent).toBe(20);
    expectTpError(raw([ID.MAX_ACK_DELAY, vi(2 ** 14)]));
    expect(decodeTransportParameters(raw([ID.MAX_ACK_DELAY, vi(2 ** 14 - 1)]), { sender: 'client' }).maxAckDelayMs).toBe(2 ** 14 - 1);
    expectTpError(raw([ID.ACTIVE_CONNECTION_ID_LIMIT, vi(1)]));
    expectTpError(raw([ID.ACTIVE_CONNECTION_ID_LIMIT, vi(0)]));
    expectTpError(raw([ID.INITIAL_MAX_PATH_ID, vi(2 ** 32)]));
    expect(decodeTransportParameters(raw([ID.INITIAL_MAX_PATH_ID, vi(2 ** 32 - 1)]), { sender: 'client' }).initialMaxPathId).toBe(2 ** 32 - 1);
  });

  it('rejects stream limits above 2^60 exactly (RFC 9000 §18.2, §4.6)', () => {
    const big = (v: bigint): Uint8Array => {
      const w = ByteWriter.alloc(8);
      w.varintBig(v);
      return w.written().slice();
    };
    // 2^60 + 1 would round to 2^60 as a double: the check must be exact.
    expectTpError(raw([ID.INITIAL_MAX_STREAMS_BIDI, big((1n << 60n) + 1n)]));
    expectTpError(raw([ID.INITIAL_MAX_STREAMS_UNI, big((1n << 60n) + 1n)]));
    expect(decodeTransportParameters(raw([ID.INITIAL_MAX_STREAMS_UNI, big(1n << 60n)]), { sender: 'client' }).initialMaxStreamsUni).toBe(2 ** 60);
  });

  it('rejects values that do not fill their declared length', () => {
    expectTpError(raw([ID.INITIAL_MAX_DATA, new Uint8Array([0x05, 0x00])]));
    expectTpError(raw([ID.INITIAL_MAX_DATA, new Uint8Array(0)]));
    expectTpError(raw([ID.INITIAL_MAX_DATA, new Uint8Array([0x40])]));
    expectTpError(raw([ID.MAX_IDLE_TIMEOUT, new Uint8Array([0x41, 0x00, 0x00])]));
    expectTpError(raw([ID.DISABLE_ACTIVE_MIGRATION, new Uint8Array([0])]));
    expectTpError(raw([ID.GREASE_QUIC_BIT, new Uint8Array([1])]));
    expectTpError(raw([ID.FEC_VERSION, new Uint8Array([1])]));
    expectTpError(raw([ID.STATELESS_RESET_TOKEN, new Uint8Array(15)]));
    expectTpError(raw([ID.STATELESS_RESET_TOKEN, new Uint8Array(17)]));
    expectTpError(raw([ID.FEC_ENCODER_SCHEMES, new Uint8Array([2, 11])]));
    expectTpError(raw([ID.FEC_DECODER_SCHEMES, new Uint8Array([1, 11, 8])]));
    expectTpError(raw([ID.FEC_MAX_SYMBOL_NUM, new Uint8Array([48, 0])]));
    expectTpError(raw([ID.INITIAL_MAX_PATH_ID, new Uint8Array([1, 1])]));
  });

  it('checks connection ID lengths', () => {
    expectTpError(raw([ID.INITIAL_SOURCE_CONNECTION_ID, new Uint8Array(21)]));
    expectTpError(raw([ID.ORIGINAL_DESTINATION_CONNECTION_ID, new Uint8Array(21)]));
    expectTpError(raw([ID.RETRY_SOURCE_CONNECTION_ID, new Uint8Array(21)]));
    expect(decodeTransportParameters(raw([ID.INITIAL_SOURCE_CONNECTION_ID, new Uint8Array(0)]), { sender: 'client' }).initialSourceConnectionId).toEqual(new Uint8Array(0));
  });

  it('validates preferred_address (RFC 9000 §18.2)', () => {
    const ok = decodeTransportParameters(raw([ID.PREFERRED_ADDRESS, encodePreferred(8)]), { sender: 'server' });
    expect(ok.preferredAddress?.connectionId.length).toBe(8);
    expect(ok.preferredAddress?.ipv4Port).toBe(443);
    expectTpError(raw([ID.PREFERRED_ADDRESS, encodePreferred(0)])); // zero-length CID
    expectTpError(raw([ID.PREFERRED_ADDRESS, encodePreferred(21)]));
    expectTpError(raw([ID.PREFERRED_ADDRESS, encodePreferred(8).subarray(0, 40)]));
    expectTpError(raw([ID.PREFERRED_ADDRESS, concatBytes(encodePreferred(8), new Uint8Array(1))]));
  });

  it('validates version_information (RFC 9368 §4)', () => {
    const u32s = (...vs: number[]): Uint8Array => {
      const w = ByteWriter.alloc(4 * vs.length);
      for (const v of vs) w.u32(v);
      return w.written();
    };
    const ok = decodeTransportParameters(raw([ID.VERSION_INFORMATION, u32s(QUIC_V1, QUIC_V2, QUIC_V1)]), { sender: 'client' });
    expect(ok.versionInformation).toEqual({ chosenVersion: QUIC_V1, availableVersions: [QUIC_V2, QUIC_V1] });
    // A server's list may be empty and need not contain its chosen version.
    expect(decodeTransportParameters(raw([ID.VERSION_INFORMATION, u32s(QUIC_V2)]), { sender: 'server' }).versionInformation).toEqual({ chosenVersion: QUIC_V2, availableVersions: [] });
    expectTpError(raw([ID.VERSION_INFORMATION, u32s(QUIC_V2)]), 'client');
    expectTpError(raw([ID.VERSION_INFORMATION, new Uint8Array(0)]));
    expectTpError(raw([ID.VERSION_INFORMATION, new Uint8Array(3)]));
    expectTpError(raw([ID.VERSION_INFORMATION, concatBytes(u32s(QUIC_V1, QUIC_V1), new Uint8Array(1))]));
    expectTpError(raw([ID.VERSION_INFORMATION, u32s(0, QUIC_V1)]));
    expectTpError(raw([ID.VERSION_INFORMATION, u32s(QUIC_V1, 0)]));
  });

  it('maps truncation to TRANSPORT_PARAMETER_ERROR', () => {
    const good = encodeTransportParameters(defaultTransportParameters({ initialMaxData: 100000, initialSourceConnectionId: new Uint8Array(8) }));
    // initial_max_data (id, len, 4-byte value) ends at byte 6: the only cut that stays valid.
    for (let n = 1; n < good.length; n++) {
      if (n === 6) expect(decodeTransportParameters(good.subarray(0, n), { sender: 'client' }).initialMaxData).toBe(100000);
      else expectTpError(good.subarray(0, n));
    }
    expectTpError(new Uint8Array([0x40]));
    expectTpError(new Uint8Array([0x04, 0x05, 0x01]));
  });

  it('arbitrary bytes throw nothing but TRANSPORT_PARAMETER_ERROR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.constantFrom('client' as const, 'server' as const), (bytes, sender) => {
        try {
          decodeTransportParameters(bytes, { sender });
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
          expect((e as TransportError).code).toBe(TPE);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary parameter sequences with known IDs throw nothing but TRANSPORT_PARAMETER_ERROR', () => {
    const ids = Object.values(ID) as number[];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 60 })), { maxLength: 6 }), fc.constantFrom('client' as const, 'server' as const), (params, sender) => {
        try {
          decodeTransportParameters(raw(...params), { sender });
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
          expect((e as TransportError).code).toBe(TPE);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IDs', () => {
  it('recognises reserved IDs 31 * N + 27 (RFC 9000 §18.1) and no known ID is reserved', () => {
    expect(isReservedTransportParameterId(27)).toBe(true);
    expect(isReservedTransportParameterId(58)).toBe(true);
    expect(isReservedTransportParameterId(31 * 123456 + 27)).toBe(true);
    expect(isReservedTransportParameterId(26)).toBe(false);
    for (const id of Object.values(ID)) expect(isReservedTransportParameterId(id)).toBe(false);
  });
});

function encodePreferred(cidLen: number): Uint8Array {
  const w = ByteWriter.alloc(100);
  w.bytes(new Uint8Array([192, 0, 2, 1])).u16(443);
  w.bytes(new Uint8Array(16).fill(0x20)).u16(4433);
  w.u8(cidLen).zeros(cidLen).bytes(new Uint8Array(16).fill(0xee));
  return w.written().slice();
}
