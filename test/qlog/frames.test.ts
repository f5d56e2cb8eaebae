/**
 * frameToQlog: every tquic Frame kind maps to the field names of
 * draft-ietf-quic-qlog-quic-events §8.13 (extension frames: UnknownFrame + socket fields), and
 * never carries payload bytes.
 */
import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { FrameType, type AckRange, type Frame, type FrameKind, type FrameOf } from '../../src/wire/frame.js';
import { frameTypeOf } from '../../src/wire/frame-codec.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { frameToQlog, framesToQlog, qlogFrameTypeName, type QlogFrame } from '../../src/qlog/frames.js';
import { transportErrorToQlog } from '../../src/qlog/common.js';

const b = (...xs: number[]) => new Uint8Array(xs);
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const ranges: AckRange[] = [
  { smallest: 10, largest: 12 },
  { smallest: 7, largest: 7 },
  { smallest: 0, largest: 4 },
];
const cid = b(0xde, 0xad, 0xbe, 0xef);
const token16 = fill(16, 0xab);

/** One or more samples of every frame kind, with the expected qlog form (compile-checked to be exhaustive). */
const SAMPLES: { [K in FrameKind]: Array<[FrameOf<K>, QlogFrame]> } = {
  padding: [[{ kind: 'padding', length: 37 }, { frame_type: 'padding', raw: { length: 37, payload_length: 37 } }]],
  ping: [[{ kind: 'ping' }, { frame_type: 'ping' }]],
  ack: [
    [{ kind: 'ack', ackDelay: 125, ranges }, { frame_type: 'ack', ack_delay: 1, acked_ranges: [[0, 4], [7], [10, 12]] }],
    [
      { kind: 'ack', ackDelay: 3, ranges: [{ smallest: 5, largest: 5 }], ecn: { ect0: 4, ect1: 1, ce: 2 } },
      { frame_type: 'ack', ack_delay: 0.024, acked_ranges: [[5]], ect1: 1, ect0: 4, ce: 2 },
    ],
  ],
  reset_stream: [
    [
      { kind: 'reset_stream', streamId: 4, errorCode: 0x10c, finalSize: 1000 },
      { frame_type: 'reset_stream', stream_id: 4, error: 'unknown', error_code: 0x10c, final_size: 1000 },
    ],
  ],
  stop_sending: [[{ kind: 'stop_sending', streamId: 8, errorCode: 7 }, { frame_type: 'stop_sending', stream_id: 8, error: 'unknown', error_code: 7 }]],
  crypto: [[{ kind: 'crypto', offset: 100, data: fill(50, 0x42) }, { frame_type: 'crypto', offset: 100, raw: { length: 50, payload_length: 50 } }]],
  new_token: [[{ kind: 'new_token', token: fill(30, 0x77) }, { frame_type: 'new_token', token: { raw: { length: 30 } } }]],
  stream: [
    [
      { kind: 'stream', streamId: 0, offset: 0, data: fill(5, 0x61), fin: false, hasLength: true },
      { frame_type: 'stream', stream_id: 0, offset: 0, fin: false, raw: { length: 5, payload_length: 5 } },
    ],
    [
      { kind: 'stream', streamId: 3, offset: 1 << 20, data: new Uint8Array(0), fin: true, hasLength: false },
      { frame_type: 'stream', stream_id: 3, offset: 1 << 20, fin: true, raw: { length: 0, payload_length: 0 } },
    ],
  ],
  max_data: [[{ kind: 'max_data', maximum: 2 ** 40 }, { frame_type: 'max_data', maximum: 2 ** 40 }]],
  max_stream_data: [[{ kind: 'max_stream_data', streamId: 1, maximum: 9 }, { frame_type: 'max_stream_data', stream_id: 1, maximum: 9 }]],
  max_streams: [
    [{ kind: 'max_streams', bidi: true, maximum: 100 }, { frame_type: 'max_streams', stream_type: 'bidirectional', maximum: 100 }],
    [{ kind: 'max_streams', bidi: false, maximum: 3 }, { frame_type: 'max_streams', stream_type: 'unidirectional', maximum: 3 }],
  ],
  data_blocked: [[{ kind: 'data_blocked', limit: 64 }, { frame_type: 'data_blocked', limit: 64 }]],
  stream_data_blocked: [[{ kind: 'stream_data_blocked', streamId: 4, limit: 65 }, { frame_type: 'stream_data_blocked', stream_id: 4, limit: 65 }]],
  streams_blocked: [
    [{ kind: 'streams_blocked', bidi: true, limit: 10 }, { frame_type: 'streams_blocked', stream_type: 'bidirectional', limit: 10 }],
    [{ kind: 'streams_blocked', bidi: false, limit: 11 }, { frame_type: 'streams_blocked', stream_type: 'unidirectional', limit: 11 }],
  ],
  new_connection_id: [
    [
      { kind: 'new_connection_id', sequence: 3, retirePriorTo: 1, cid, resetToken: token16 },
      {
        frame_type: 'new_connection_id',
        sequence_number: 3,
        retire_prior_to: 1,
        connection_id_length: 4,
        connection_id: 'deadbeef',
        stateless_reset_token: 'ab'.repeat(16),
      },
    ],
  ],
  retire_connection_id: [[{ kind: 'retire_connection_id', sequence: 2 }, { frame_type: 'retire_connection_id', sequence_number: 2 }]],
  path_challenge: [[{ kind: 'path_challenge', data: b(1, 2, 3, 4, 5, 6, 7, 8) }, { frame_type: 'path_challenge', data: '0102030405060708' }]],
  path_response: [[{ kind: 'path_response', data: b(8, 7, 6, 5, 4, 3, 2, 1) }, { frame_type: 'path_response', data: '0807060504030201' }]],
  connection_close: [
    [
      { kind: 'connection_close', errorCode: ErrorCode.PROTOCOL_VIOLATION, frameType: 0x21, reason: new TextEncoder().encode('bad frame') },
      { frame_type: 'connection_close', error_space: 'transport', error: 'protocol_violation', reason: 'bad frame', trigger_frame_type: 0x21 },
    ],
    [
      { kind: 'connection_close', errorCode: 0x128, frameType: FrameType.CRYPTO, reason: b(0xff, 0xfe) },
      { frame_type: 'connection_close', error_space: 'transport', error: 'crypto_error_0x128', reason_bytes: 'fffe', trigger_frame_type: 'crypto' },
    ],
    [
      { kind: 'connection_close', errorCode: 0x3e75, frameType: 0, reason: new Uint8Array(0) },
      { frame_type: 'connection_close', error_space: 'transport', error: 'unknown', error_code: 0x3e75 },
    ],
    [
      { kind: 'connection_close', errorCode: 0, frameType: 0x0b, reason: new Uint8Array(0) },
      { frame_type: 'connection_close', error_space: 'transport', error: 'no_error', trigger_frame_type: 'stream' },
    ],
  ],
  application_close: [
    [
      { kind: 'application_close', errorCode: 0x100, reason: new TextEncoder().encode('bye') },
      { frame_type: 'connection_close', error_space: 'application', error: 'unknown', error_code: 0x100, reason: 'bye' },
    ],
  ],
  handshake_done: [[{ kind: 'handshake_done' }, { frame_type: 'handshake_done' }]],
  datagram: [
    [{ kind: 'datagram', data: fill(9, 1), hasLength: true }, { frame_type: 'datagram', raw: { length: 9, payload_length: 9 } }],
    [{ kind: 'datagram', data: fill(2, 1), hasLength: false }, { frame_type: 'datagram', raw: { length: 2, payload_length: 2 } }],
  ],
  path_ack: [
    [
      { kind: 'path_ack', pathId: 2, ackDelay: 8, ranges, ecn: { ect0: 1, ect1: 0, ce: 0 } },
      {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.PATH_ACK_ECN,
        frame_name: 'path_ack',
        path_id: 2,
        ack_delay: 0.064,
        acked_ranges: [[0, 4], [7], [10, 12]],
        ect1: 0,
        ect0: 1,
        ce: 0,
      },
    ],
  ],
  path_abandon: [
    [
      { kind: 'path_abandon', pathId: 1, errorCode: 0x3e76 },
      { frame_type: 'unknown', frame_type_bytes: FrameType.PATH_ABANDON, frame_name: 'path_abandon', path_id: 1, error_code: 0x3e76 },
    ],
  ],
  path_status_backup: [
    [
      { kind: 'path_status_backup', pathId: 1, sequence: 4 },
      { frame_type: 'unknown', frame_type_bytes: FrameType.PATH_STATUS_BACKUP, frame_name: 'path_status_backup', path_id: 1, path_status_sequence_number: 4 },
    ],
  ],
  path_status_available: [
    [
      { kind: 'path_status_available', pathId: 1, sequence: 5 },
      {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.PATH_STATUS_AVAILABLE,
        frame_name: 'path_status_available',
        path_id: 1,
        path_status_sequence_number: 5,
      },
    ],
  ],
  path_new_connection_id: [
    [
      { kind: 'path_new_connection_id', pathId: 3, sequence: 1, retirePriorTo: 0, cid, resetToken: token16 },
      {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.PATH_NEW_CONNECTION_ID,
        frame_name: 'path_new_connection_id',
        path_id: 3,
        sequence_number: 1,
        retire_prior_to: 0,
        connection_id_length: 4,
        connection_id: 'deadbeef',
        stateless_reset_token: 'ab'.repeat(16),
      },
    ],
  ],
  path_retire_connection_id: [
    [
      { kind: 'path_retire_connection_id', pathId: 3, sequence: 0 },
      { frame_type: 'unknown', frame_type_bytes: FrameType.PATH_RETIRE_CONNECTION_ID, frame_name: 'path_retire_connection_id', path_id: 3, sequence_number: 0 },
    ],
  ],
  max_path_id: [
    [{ kind: 'max_path_id', maxPathId: 7 }, { frame_type: 'unknown', frame_type_bytes: FrameType.MAX_PATH_ID, frame_name: 'max_path_id', maximum_path_id: 7 }],
  ],
  paths_blocked: [
    [{ kind: 'paths_blocked', maxPathId: 7 }, { frame_type: 'unknown', frame_type_bytes: FrameType.PATHS_BLOCKED, frame_name: 'paths_blocked', maximum_path_id: 7 }],
  ],
  path_cids_blocked: [
    [
      { kind: 'path_cids_blocked', pathId: 2, nextSequence: 6 },
      { frame_type: 'unknown', frame_type_bytes: FrameType.PATH_CIDS_BLOCKED, frame_name: 'path_cids_blocked', path_id: 2, next_sequence_number: 6 },
    ],
  ],
  sid: [
    [
      { kind: 'sid', flowId: 0, sourcePayloadId: 0x0105 },
      { frame_type: 'unknown', frame_type_bytes: FrameType.SID, frame_name: 'sid', flow_id: 0, source_payload_id: 0x0105 },
    ],
  ],
  repair: [
    [
      { kind: 'repair', flowId: 0, fssEsi: 9, repairPayloadId: 2, repairKey: fill(4, 0x33), repairSymbol: fill(1200, 0x55) },
      {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.REPAIR,
        frame_name: 'repair',
        flow_id: 0,
        fss_esi: 9,
        repair_payload_id: 2,
        repair_key_length: 4,
        repair_symbol_length: 1200,
        raw: { payload_length: 1200 },
      },
    ],
  ],
  symbol_ack: [
    [
      { kind: 'symbol_ack', ackDelay: 0, ranges: [{ smallest: 9, largest: 12 }, { smallest: 3, largest: 3 }], ecn: undefined },
      { frame_type: 'unknown', frame_type_bytes: FrameType.SYMBOL_ACK, frame_name: 'symbol_ack', acked_ranges: [[3], [9, 12]] },
    ],
  ],
};

const ALL: Array<[Frame, QlogFrame]> = Object.values(SAMPLES).flat() as Array<[Frame, QlogFrame]>;

/** Every key of a JSON value, recursively. */
function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(k), keysOf(x, out);
  return out;
}

describe('frameToQlog', () => {
  for (const [kind, samples] of Object.entries(SAMPLES)) {
    it(`${kind}: draft field names`, () => {
      for (const [f, want] of samples as Array<[Frame, QlogFrame]>) expect(frameToQlog(f)).toEqual(want);
    });
  }

  it('covers every frame kind with a JSON-clean value (no bytes, lowercase keys, round-trips)', () => {
    for (const [f] of ALL) {
      const q = frameToQlog(f);
      const json = JSON.stringify(q);
      expect(JSON.parse(json)).toEqual(q);
      for (const k of keysOf(q)) expect(k).toBe(k.toLowerCase()); // main §11.2
      expect(json).not.toMatch(/Uint8Array|\{"0":/);
    }
  });

  it('extension frames are UnknownFrame with their wire type (events §8.13.22)', () => {
    for (const [f] of ALL) {
      const q = frameToQlog(f);
      if (q.frame_type === 'unknown') {
        expect(q.frame_type_bytes).toBe(frameTypeOf(f));
        expect(q.frame_name).toBe(f.kind);
      } else {
        expect(qlogFrameTypeName(frameTypeOf(f))).toBe(q.frame_type);
      }
    }
  });

  it('never logs payload bytes: data, tokens and repair symbols appear only as lengths', () => {
    const secret = b(0xc0, 0xff, 0xee, 0x15, 0xc0, 0x01);
    const frames: Frame[] = [
      { kind: 'stream', streamId: 0, offset: 0, data: secret, fin: false, hasLength: true },
      { kind: 'crypto', offset: 0, data: secret },
      { kind: 'datagram', data: secret, hasLength: true },
      { kind: 'new_token', token: secret },
      { kind: 'repair', flowId: 0, fssEsi: 0, repairPayloadId: 0, repairKey: secret, repairSymbol: secret },
    ];
    for (const f of frames) expect(JSON.stringify(frameToQlog(f))).not.toContain('c0ffee');
  });

  it('scales ack_delay by the given exponent (RFC 9000 §19.3)', () => {
    const f: Frame = { kind: 'ack', ackDelay: 10, ranges: [{ smallest: 0, largest: 0 }] };
    expect((frameToQlog(f) as { ack_delay: number }).ack_delay).toBe(0.08);
    expect((frameToQlog(f, { ackDelayExponent: 0 }) as { ack_delay: number }).ack_delay).toBe(0.01);
    expect((frameToQlog(f, { ackDelayExponent: 10 }) as { ack_delay: number }).ack_delay).toBe(10.24);
  });

  it('framesToQlog maps in order', () => {
    expect(framesToQlog(ALL.map(([f]) => f))).toEqual(ALL.map(([f]) => frameToQlog(f)));
  });

  it('property: STREAM raw.length is the data length and ACK ranges cover the same packets', () => {
    const varint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(varint, varint, fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.boolean(), (id, off, data, fin, hasLength) => {
        const q = frameToQlog({ kind: 'stream', streamId: id, offset: off, data, fin, hasLength });
        expect(q).toEqual({ frame_type: 'stream', stream_id: id, offset: off, fin, raw: { length: data.length, payload_length: data.length } });
      }),
    );
    const spans = fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), spans, (base, sp) => {
        const asc: AckRange[] = [];
        let next = base;
        for (const [gap, len] of sp) {
          const smallest = asc.length === 0 ? next : next + gap + 1;
          asc.push({ smallest, largest: smallest + len });
          next = smallest + len + 1;
        }
        const q = frameToQlog({ kind: 'ack', ackDelay: 0, ranges: [...asc].reverse() }) as { acked_ranges: Array<[number] | [number, number]> };
        expect(q.acked_ranges).toEqual(asc.map((r) => (r.smallest === r.largest ? [r.smallest] : [r.smallest, r.largest])));
      }),
    );
  });
});

describe('transportErrorToQlog (events §8.13.24, §8.13.26)', () => {
  it('names RFC 9000 codes, crypto errors, and falls back to unknown + error_code', () => {
    expect(transportErrorToQlog(0)).toEqual({ error: 'no_error' });
    expect(transportErrorToQlog(ErrorCode.NO_VIABLE_PATH)).toEqual({ error: 'no_viable_path' });
    expect(transportErrorToQlog(0x100)).toEqual({ error: 'crypto_error_0x100' });
    expect(transportErrorToQlog(0x1ff)).toEqual({ error: 'crypto_error_0x1ff' });
    expect(transportErrorToQlog(ErrorCode.VERSION_NEGOTIATION_ERROR)).toEqual({ error: 'unknown', error_code: 0x11 });
  });
});
