import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { ByteReader, ByteWriter, concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { readVarintAt } from '../../src/util/varint.js';
import {
  FrameType,
  frameTypeName,
  type AckRange,
  type EcnCounts,
  type Frame,
  type FrameKind,
  type FrameOf,
} from '../../src/wire/frame.js';
import {
  decodeFrame,
  decodeFrames,
  encodeFrame,
  encodeStreamHeader,
  frameLength,
  frameTypeOf,
  isAckEliciting,
  streamHeaderLength,
} from '../../src/wire/frame-codec.js';

// ---------------------------------------------------------------------------------------------
// helpers

function encode(f: Frame): Uint8Array {
  const w = ByteWriter.alloc(frameLength(f) + 16);
  encodeFrame(w, f);
  return w.written();
}

function decodeOne(bytes: Uint8Array): Frame {
  const r = new ByteReader(bytes);
  const f = decodeFrame(r);
  expect(r.offset, 'decoder consumed the whole encoding').toBe(bytes.length);
  return f;
}

function decodeError(bytes: Uint8Array): TransportError {
  try {
    decodeFrames(bytes);
  } catch (e) {
    if (e instanceof TransportError) return e;
    throw e;
  }
  throw new Error(`no error decoding ${toHex(bytes)}`);
}

// ---------------------------------------------------------------------------------------------
// arbitraries

/** Varints of every encoded length (1, 2, 4, 8 bytes), up to Number.MAX_SAFE_INTEGER. */
const varint = fc.oneof(
  fc.integer({ min: 0, max: 0x3f }),
  fc.integer({ min: 0x40, max: 0x3fff }),
  fc.integer({ min: 0x4000, max: 0x3fffffff }),
  fc.integer({ min: 0x40000000, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 0x3f, 0x40, 0x3fff, 0x4000, 0x3fffffff, 0x40000000, Number.MAX_SAFE_INTEGER),
);
const bytes = fc.uint8Array({ maxLength: 48 });
const nonEmptyBytes = fc.uint8Array({ minLength: 1, maxLength: 48 });
const fixed = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const pathId = fc.oneof(fc.integer({ min: 0, max: 0x3fff }), fc.constantFrom(0, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const streamCount = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(2 ** 60, 2 ** 60 - 256), varint.filter((v) => v <= 2 ** 60));
const cid = fc.uint8Array({ minLength: 1, maxLength: 20 });

const ecn: fc.Arbitrary<EcnCounts> = fc.record({ ect0: varint, ect1: varint, ce: varint });

/** (gap below a range, range length) */
const ackSpan = fc.tuple(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 ** 20 })), fc.integer({ min: 0, max: 2 ** 20 }));

/** Descending, disjoint, non-adjacent ACK ranges; sometimes many, sometimes near 2^53. */
const ackRanges: fc.Arbitrary<AckRange[]> = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 40 })),
    fc.oneof(fc.array(ackSpan, { minLength: 1, maxLength: 8 }), fc.array(ackSpan, { minLength: 50, maxLength: 300 })),
  )
  .map(([base, spans]) => {
    // build ascending from `base`: each span is (gap below this range, range length)
    const asc: AckRange[] = [];
    let next = base;
    for (const [gap, len] of spans) {
      const smallest = asc.length === 0 ? next : next + gap + 1; // ≥ 1 missing packet between ranges
      asc.push({ smallest, largest: smallest + len });
      next = smallest + len + 1;
    }
    return asc.reverse();
  });

const ackBody = fc.record({ ackDelay: varint, ranges: ackRanges, ecn: fc.option(ecn, { nil: undefined }) });

const arbs: { [K in FrameKind]: fc.Arbitrary<FrameOf<K>> } = {
  padding: fc.record({ kind: fc.constant('padding'), length: fc.integer({ min: 1, max: 1500 }) }),
  ping: fc.constant({ kind: 'ping' }),
  ack: ackBody.map((b) => ({ kind: 'ack' as const, ...b })),
  reset_stream: fc.record({ kind: fc.constant('reset_stream'), streamId: varint, errorCode: varint, finalSize: varint }),
  stop_sending: fc.record({ kind: fc.constant('stop_sending'), streamId: varint, errorCode: varint }),
  crypto: fc.record({ kind: fc.constant('crypto'), offset: varint, data: bytes }),
  new_token: fc.record({ kind: fc.constant('new_token'), token: nonEmptyBytes }),
  // all 8 STREAM variants: offset 0 or not (OFF), hasLength (LEN), fin (FIN)
  stream: fc.record({
    kind: fc.constant('stream'),
    streamId: varint,
    offset: fc.oneof(fc.constant(0), varint),
    data: bytes,
    fin: fc.boolean(),
    hasLength: fc.boolean(),
  }),
  max_data: fc.record({ kind: fc.constant('max_data'), maximum: varint }),
  max_stream_data: fc.record({ kind: fc.constant('max_stream_data'), streamId: varint, maximum: varint }),
  max_streams: fc.record({ kind: fc.constant('max_streams'), bidi: fc.boolean(), maximum: streamCount }),
  data_blocked: fc.record({ kind: fc.constant('data_blocked'), limit: varint }),
  stream_data_blocked: fc.record({ kind: fc.constant('stream_data_blocked'), streamId: varint, limit: varint }),
  streams_blocked: fc.record({ kind: fc.constant('streams_blocked'), bidi: fc.boolean(), limit: streamCount }),
  new_connection_id: fc
    .record({ sequence: varint, retire: varint, cid, resetToken: fixed(16) })
    .map(({ sequence, retire, cid, resetToken }) => ({
      kind: 'new_connection_id' as const,
      sequence,
      retirePriorTo: Math.min(retire, sequence),
      cid,
      resetToken,
    })),
  retire_connection_id: fc.record({ kind: fc.constant('retire_connection_id'), sequence: varint }),
  path_challenge: fc.record({ kind: fc.constant('path_challenge'), data: fixed(8) }),
  path_response: fc.record({ kind: fc.constant('path_response'), data: fixed(8) }),
  connection_close: fc.record({ kind: fc.constant('connection_close'), errorCode: varint, frameType: varint, reason: bytes }),
  application_close: fc.record({ kind: fc.constant('application_close'), errorCode: varint, reason: bytes }),
  handshake_done: fc.constant({ kind: 'handshake_done' }),
  datagram: fc.record({ kind: fc.constant('datagram'), data: bytes, hasLength: fc.boolean() }),
  path_ack: fc.tuple(pathId, ackBody).map(([pathId, b]) => ({ kind: 'path_ack' as const, pathId, ...b })),
  path_abandon: fc.record({ kind: fc.constant('path_abandon'), pathId, errorCode: varint }),
  path_status_backup: fc.record({ kind: fc.constant('path_status_backup'), pathId, sequence: varint }),
  path_status_available: fc.record({ kind: fc.constant('path_status_available'), pathId, sequence: varint }),
  path_new_connection_id: fc
    .record({ pathId, sequence: varint, retire: varint, cid, resetToken: fixed(16) })
    .map(({ pathId, sequence, retire, cid, resetToken }) => ({
      kind: 'path_new_connection_id' as const,
      pathId,
      sequence,
      retirePriorTo: Math.min(retire, sequence),
      cid,
      resetToken,
    })),
  path_retire_connection_id: fc.record({ kind: fc.constant('path_retire_connection_id'), pathId, sequence: varint }),
  max_path_id: fc.record({ kind: fc.constant('max_path_id'), maxPathId: pathId }),
  paths_blocked: fc.record({ kind: fc.constant('paths_blocked'), maxPathId: pathId }),
  path_cids_blocked: fc.record({ kind: fc.constant('path_cids_blocked'), pathId, nextSequence: varint }),
  sid: fc.record({ kind: fc.constant('sid'), flowId: varint, sourcePayloadId: varint }),
  repair: fc.record({
    kind: fc.constant('repair'),
    flowId: varint,
    fssEsi: varint,
    repairPayloadId: varint,
    repairKey: fc.uint8Array({ maxLength: 32 }),
    repairSymbol: fc.uint8Array({ maxLength: 200 }),
  }),
  symbol_ack: ackBody.map((b) => ({ kind: 'symbol_ack' as const, ...b, ackDelay: 0, ecn: undefined })),
};

const KINDS = Object.keys(arbs) as FrameKind[];
const anyFrame: fc.Arbitrary<Frame> = fc.oneof(...KINDS.map((k) => arbs[k] as fc.Arbitrary<Frame>));

/** A frame whose every truncation is invalid (no to-end-of-packet data, no PADDING run). */
function hasFixedEnd(f: Frame): boolean {
  if (f.kind === 'padding') return false;
  if (f.kind === 'stream' || f.kind === 'datagram') return f.hasLength;
  return true;
}

// ---------------------------------------------------------------------------------------------

describe('frame codec round trip (DESIGN §3)', () => {
  it.each(KINDS)('%s: decode(encode(f)) equals f and encode(f).length === frameLength(f)', (kind) => {
    fc.assert(
      fc.property(arbs[kind] as fc.Arbitrary<Frame>, (f) => {
        const enc = encode(f);
        expect(enc.length).toBe(frameLength(f));
        expect(decodeOne(enc)).toEqual(f);
        // the encoding starts with the frame type that frameTypeOf reports
        expect(f.kind === 'padding' ? enc[0] : readVarintAt(enc, 0)).toBe(frameTypeOf(f));
      }),
    );
  });

  it('covers all 8 STREAM types', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(arbs.stream, (f) => {
        seen.add(encode(f)[0]!);
      }),
    );
    expect([...seen].sort((a, b) => a - b)).toEqual([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]);
  });

  it('decodes a sequence of frames; a run of PADDING becomes one frame', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { minLength: 1, maxLength: 12 }), (frames) => {
        // only the last frame may run to the end of the packet
        const fs = frames.map((f, i) =>
          (f.kind === 'stream' || f.kind === 'datagram') && i < frames.length - 1 ? { ...f, hasLength: true } : f,
        );
        const expected: Frame[] = [];
        for (const f of fs) {
          const prev = expected[expected.length - 1];
          if (f.kind === 'padding' && prev?.kind === 'padding') expected[expected.length - 1] = { kind: 'padding', length: prev.length + f.length };
          else expected.push(f);
        }
        expect(decodeFrames(concatBytes(...fs.map(encode)))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('STREAM, DATAGRAM and REPAIR data are views into the payload; CIDs and tokens are copies', () => {
    const payload = fromHex('0e 04 05 03 616263  31 02 aabb');
    const [s, d] = decodeFrames(payload) as [FrameOf<'stream'>, FrameOf<'datagram'>];
    expect(s.data.buffer).toBe(payload.buffer);
    expect(s.data.byteOffset).toBe(4);
    expect(d.data.buffer).toBe(payload.buffer);
    const ncid = decodeOne(encode({ kind: 'new_connection_id', sequence: 1, retirePriorTo: 0, cid: fromHex('01020304'), resetToken: new Uint8Array(16) }));
    expect((ncid as FrameOf<'new_connection_id'>).cid.buffer.byteLength).toBe(4);
  });

  it('encodeStreamHeader + data equals encodeFrame of the STREAM frame', () => {
    fc.assert(
      fc.property(arbs.stream, (f) => {
        const w = ByteWriter.alloc(frameLength(f));
        encodeStreamHeader(w, f.streamId, f.offset, f.data.length, f.fin, f.hasLength);
        expect(w.offset).toBe(streamHeaderLength(f.streamId, f.offset, f.data.length, f.hasLength));
        w.bytes(f.data);
        expect(toHex(w.written())).toBe(toHex(encode(f)));
      }),
    );
  });
});

describe('known encodings (hand-written from the RFC layouts)', () => {
  const cid4 = fromHex('c0ffee01');
  const token = fromHex('00112233445566778899aabbccddeeff');
  const vectors: Array<[string, Frame, string]> = [
    ['PING', { kind: 'ping' }, '01'],
    ['PADDING x3', { kind: 'padding', length: 3 }, '000000'],
    // largest 10, delay 2, 1 extra range; first range 10-8=2; gap 8-5-2=1; length 5-2=3
    ['ACK', { kind: 'ack', ackDelay: 2, ranges: [{ smallest: 8, largest: 10 }, { smallest: 2, largest: 5 }] }, '02 0a 02 01 02 01 03'],
    ['ACK_ECN', { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 5, largest: 5 }], ecn: { ect0: 1, ect1: 2, ce: 3 } }, '03 05 00 00 00 01 02 03'],
    ['RESET_STREAM', { kind: 'reset_stream', streamId: 4, errorCode: 0x100, finalSize: 0x4000 }, '04 04 4100 80004000'],
    ['STOP_SENDING', { kind: 'stop_sending', streamId: 8, errorCode: 1 }, '05 08 01'],
    ['CRYPTO', { kind: 'crypto', offset: 0, data: fromHex('0a0b') }, '06 00 02 0a0b'],
    ['NEW_TOKEN', { kind: 'new_token', token: fromHex('aa') }, '07 01 aa'],
    ['STREAM 0x08', { kind: 'stream', streamId: 0, offset: 0, data: fromHex('6869'), fin: false, hasLength: false }, '08 00 6869'],
    ['STREAM 0x0f', { kind: 'stream', streamId: 4, offset: 0x40, data: fromHex('616263'), fin: true, hasLength: true }, '0f 04 4040 03 616263'],
    ['STREAM 0x09 (FIN only, empty)', { kind: 'stream', streamId: 1, offset: 0, data: new Uint8Array(0), fin: true, hasLength: false }, '09 01'],
    ['MAX_DATA', { kind: 'max_data', maximum: 1_000_000 }, '10 800f4240'],
    ['MAX_STREAM_DATA', { kind: 'max_stream_data', streamId: 2, maximum: 63 }, '11 02 3f'],
    ['MAX_STREAMS uni', { kind: 'max_streams', bidi: false, maximum: 100 }, '13 4064'],
    ['MAX_STREAMS 2^60', { kind: 'max_streams', bidi: true, maximum: 2 ** 60 }, '12 d000000000000000'],
    ['DATA_BLOCKED', { kind: 'data_blocked', limit: 7 }, '14 07'],
    ['STREAM_DATA_BLOCKED', { kind: 'stream_data_blocked', streamId: 3, limit: 9 }, '15 03 09'],
    ['STREAMS_BLOCKED bidi', { kind: 'streams_blocked', bidi: true, limit: 5 }, '16 05'],
    ['NEW_CONNECTION_ID', { kind: 'new_connection_id', sequence: 1, retirePriorTo: 0, cid: cid4, resetToken: token }, `18 01 00 04 c0ffee01 ${toHex(token)}`],
    ['RETIRE_CONNECTION_ID', { kind: 'retire_connection_id', sequence: 2 }, '19 02'],
    ['PATH_CHALLENGE', { kind: 'path_challenge', data: fromHex('0102030405060708') }, '1a 0102030405060708'],
    ['PATH_RESPONSE', { kind: 'path_response', data: fromHex('0102030405060708') }, '1b 0102030405060708'],
    ['CONNECTION_CLOSE', { kind: 'connection_close', errorCode: 0x0a, frameType: 0x08, reason: fromHex('6869') }, '1c 0a 08 02 6869'],
    ['APPLICATION_CLOSE', { kind: 'application_close', errorCode: 0x100, reason: new Uint8Array(0) }, '1d 4100 00'],
    ['HANDSHAKE_DONE', { kind: 'handshake_done' }, '1e'],
    ['DATAGRAM 0x30', { kind: 'datagram', data: fromHex('aabb'), hasLength: false }, '30 aabb'],
    ['DATAGRAM 0x31', { kind: 'datagram', data: fromHex('aabb'), hasLength: true }, '31 02 aabb'],
    ['PATH_ACK', { kind: 'path_ack', pathId: 2, ackDelay: 1, ranges: [{ smallest: 0, largest: 3 }] }, '3e 02 03 01 00 03'],
    ['PATH_ACK_ECN', { kind: 'path_ack', pathId: 1, ackDelay: 0, ranges: [{ smallest: 1, largest: 1 }], ecn: { ect0: 0, ect1: 0, ce: 1 } }, '3f 01 01 00 00 00 00 00 01'],
    ['PATH_ABANDON', { kind: 'path_abandon', pathId: 1, errorCode: 0x3e }, '7e75 01 3e'],
    ['PATH_STATUS_BACKUP', { kind: 'path_status_backup', pathId: 1, sequence: 4 }, '7e76 01 04'],
    ['PATH_STATUS_AVAILABLE', { kind: 'path_status_available', pathId: 1, sequence: 5 }, '7e77 01 05'],
    ['PATH_NEW_CONNECTION_ID', { kind: 'path_new_connection_id', pathId: 3, sequence: 1, retirePriorTo: 1, cid: cid4, resetToken: token }, `7e78 03 01 01 04 c0ffee01 ${toHex(token)}`],
    ['PATH_RETIRE_CONNECTION_ID', { kind: 'path_retire_connection_id', pathId: 3, sequence: 0 }, '7e79 03 00'],
    ['MAX_PATH_ID', { kind: 'max_path_id', maxPathId: 0xffffffff }, '7e7a c0000000ffffffff'],
    ['PATHS_BLOCKED', { kind: 'paths_blocked', maxPathId: 2 }, '7e7b 02'],
    ['PATH_CIDS_BLOCKED', { kind: 'path_cids_blocked', pathId: 2, nextSequence: 3 }, '7e7c 02 03'],
    ['SID', { kind: 'sid', flowId: 0, sourcePayloadId: 0x0102 }, '8000fec5 00 4102'],
    ['REPAIR', { kind: 'repair', flowId: 0, fssEsi: 7, repairPayloadId: 1, repairKey: new Uint8Array(0), repairSymbol: fromHex('deadbeef') }, '8000fec6 00 07 01 00 04 deadbeef'],
  ];

  it.each(vectors)('%s', (_name, frame, hex) => {
    const expected = hex.replace(/\s+/g, '');
    expect(toHex(encode(frame))).toBe(expected);
    expect(decodeOne(fromHex(expected))).toEqual(frame);
  });

  it('coalesces PADDING up to the next frame', () => {
    expect(decodeFrames(fromHex('00000001000000'))).toEqual([
      { kind: 'padding', length: 3 },
      { kind: 'ping' },
      { kind: 'padding', length: 3 },
    ]);
  });

  it('decodes STREAM 0x0c with an explicit zero offset as the same frame as 0x08', () => {
    expect(decodeOne(fromHex('0c 04 00 6869'))).toEqual({ kind: 'stream', streamId: 4, offset: 0, data: fromHex('6869'), fin: false, hasLength: false });
  });

  it('names frame types', () => {
    expect(frameTypeName(0x3e75)).toBe('PATH_ABANDON');
    expect(frameTypeName(0x0e)).toBe('STREAM(0x0e)');
    expect(frameTypeName(0x1c)).toBe('CONNECTION_CLOSE');
    expect(frameTypeName(0x1234)).toBe('0x1234');
  });
});

describe('decoding errors', () => {
  const cases: Array<[string, string, number, number | undefined]> = [
    // [name, bytes, code, frameType]
    ['unknown type 0x1f', '1f', ErrorCode.FRAME_ENCODING_ERROR, 0x1f],
    ['unknown type 0x20', '20 00', ErrorCode.FRAME_ENCODING_ERROR, 0x20],
    ['unknown two-byte type 0x3e74', '7e74 00', ErrorCode.FRAME_ENCODING_ERROR, 0x3e74],
    ['unknown 8-byte type', 'c000000100000000', ErrorCode.FRAME_ENCODING_ERROR, 2 ** 32],
    ['non-minimal PING', '4001', ErrorCode.PROTOCOL_VIOLATION, 0x01],
    ['non-minimal PADDING', '4000', ErrorCode.PROTOCOL_VIOLATION, 0x00],
    ['non-minimal HANDSHAKE_DONE', '8000001e', ErrorCode.PROTOCOL_VIOLATION, 0x1e],
    ['non-minimal PATH_ABANDON', '80003e75 01 00', ErrorCode.PROTOCOL_VIOLATION, 0x3e75],
    ['NEW_CONNECTION_ID length 0', `18 01 00 00 ${'00'.repeat(16)}`, ErrorCode.FRAME_ENCODING_ERROR, 0x18],
    ['NEW_CONNECTION_ID length 21', `18 01 00 15 ${'00'.repeat(21 + 16)}`, ErrorCode.FRAME_ENCODING_ERROR, 0x18],
    ['NEW_CONNECTION_ID retire_prior_to > sequence', `18 01 02 01 aa ${'00'.repeat(16)}`, ErrorCode.FRAME_ENCODING_ERROR, 0x18],
    ['PATH_NEW_CONNECTION_ID length 0', `7e78 01 01 00 00 ${'00'.repeat(16)}`, ErrorCode.FRAME_ENCODING_ERROR, 0x3e78],
    ['NEW_CONNECTION_ID short token', `18 01 00 01 aa ${'00'.repeat(15)}`, ErrorCode.FRAME_ENCODING_ERROR, 0x18],
    ['MAX_STREAMS 2^60+1', '12 d000000000000001', ErrorCode.FRAME_ENCODING_ERROR, 0x12],
    ['MAX_STREAMS 2^62-1', '13 ffffffffffffffff', ErrorCode.FRAME_ENCODING_ERROR, 0x13],
    ['STREAMS_BLOCKED 2^60+1', '16 d000000000000001', ErrorCode.FRAME_ENCODING_ERROR, 0x16],
    ['STREAMS_BLOCKED 2^61', '17 e000000000000000', ErrorCode.FRAME_ENCODING_ERROR, 0x17],
    ['ACK first range below 0', '02 05 00 00 06', ErrorCode.FRAME_ENCODING_ERROR, 0x02],
    ['ACK gap below 0', '02 0a 00 01 02 07 00', ErrorCode.FRAME_ENCODING_ERROR, 0x02],
    ['ACK range length below 0', '02 0a 00 01 02 01 06', ErrorCode.FRAME_ENCODING_ERROR, 0x02],
    ['ACK range count beyond frame', '02 0a 00 bfffffffffffffff 00 0000', ErrorCode.FRAME_ENCODING_ERROR, 0x02],
    ['ACK_ECN missing counts', '03 0a 00 00 00 01 02', ErrorCode.FRAME_ENCODING_ERROR, 0x03],
    ['PATH_ACK range below 0', '3e 00 05 00 00 06', ErrorCode.FRAME_ENCODING_ERROR, 0x3e],
    ['NEW_TOKEN empty', '07 00', ErrorCode.FRAME_ENCODING_ERROR, 0x07],
    ['STREAM beyond 2^62-1', '0e 00 ffffffffffffffff 01 00', ErrorCode.FRAME_ENCODING_ERROR, 0x0e],
    ['CRYPTO beyond 2^62-1', '06 ffffffffffffffff 01 00', ErrorCode.FRAME_ENCODING_ERROR, 0x06],
    ['STREAM length beyond packet', '0a 00 05 0102', ErrorCode.FRAME_ENCODING_ERROR, 0x0a],
    ['DATAGRAM length beyond packet', '31 05 0102', ErrorCode.FRAME_ENCODING_ERROR, 0x31],
    ['truncated RESET_STREAM', '04 01 02', ErrorCode.FRAME_ENCODING_ERROR, 0x04],
    ['truncated PATH_CHALLENGE', '1a 01020304', ErrorCode.FRAME_ENCODING_ERROR, 0x1a],
    ['CONNECTION_CLOSE reason beyond packet', '1c 00 00 05 61', ErrorCode.FRAME_ENCODING_ERROR, 0x1c],
    ['REPAIR symbol beyond packet', '8000fec6 00 00 00 00 09 01', ErrorCode.FRAME_ENCODING_ERROR, 0xfec6],
    ['truncated two-byte type', '7e', ErrorCode.FRAME_ENCODING_ERROR, undefined],
    // draft-ietf-quic-multipath-21 §4: a path ID above any announceable maximum (2^32-1)
    ['PATH_ABANDON path ID 2^32', '7e75 c000000100000000 00', ErrorCode.PROTOCOL_VIOLATION, 0x3e75],
    ['PATH_ACK path ID 2^32', '3e c000000100000000 00 00 00 00', ErrorCode.PROTOCOL_VIOLATION, 0x3e],
    ['MAX_PATH_ID 2^32', '7e7a c000000100000000', ErrorCode.PROTOCOL_VIOLATION, 0x3e7a],
    ['PATHS_BLOCKED 2^32', '7e7b c000000100000000', ErrorCode.PROTOCOL_VIOLATION, 0x3e7b],
    ['PATH_CIDS_BLOCKED path ID 2^40', '7e7c c000010000000000 00', ErrorCode.PROTOCOL_VIOLATION, 0x3e7c],
  ];

  it.each(cases)('%s', (_name, hex, code, frameType) => {
    const e = decodeError(fromHex(hex));
    expect(e.code).toBe(code);
    expect(e.frameType).toBe(frameType);
  });

  it('accepts the boundary values', () => {
    expect(decodeOne(fromHex('13 d000000000000000'))).toEqual({ kind: 'max_streams', bidi: false, maximum: 2 ** 60 });
    expect(decodeOne(fromHex('17 d000000000000000'))).toEqual({ kind: 'streams_blocked', bidi: false, limit: 2 ** 60 });
    // offset 2^62-1 with no data ends exactly at 2^62-1
    expect((decodeOne(fromHex('0e 00 ffffffffffffffff 00')) as FrameOf<'stream'>).data.length).toBe(0);
    expect(decodeOne(fromHex('7e7a c0000000ffffffff'))).toEqual({ kind: 'max_path_id', maxPathId: 0xffffffff });
    // ACK down to packet number 0 exactly
    expect(decodeOne(fromHex('02 0a 00 01 02 01 05'))).toEqual({
      kind: 'ack',
      ackDelay: 0,
      ranges: [
        { smallest: 8, largest: 10 },
        { smallest: 0, largest: 5 },
      ],
    });
  });

  it('decoding arbitrary bytes throws nothing but TransportError', () => {
    const typePrefix = fc.constantFrom(
      ...Object.values(FrameType).map((t) => {
        const w = ByteWriter.alloc(8);
        w.varint(t);
        return w.written().slice();
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(typePrefix, fc.uint8Array({ maxLength: 64 })).map(([p, b]) => concatBytes(p, b))), (buf) => {
        try {
          decodeFrames(buf);
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every truncation of a valid encoding throws FRAME_ENCODING_ERROR', () => {
    fc.assert(
      fc.property(anyFrame.filter(hasFixedEnd), (f) => {
        const enc = encode(f);
        for (let k = 0; k < enc.length; k++) {
          const e = decodeErrorOne(enc.subarray(0, k));
          expect(e.code).toBe(ErrorCode.FRAME_ENCODING_ERROR);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function decodeErrorOne(bytes: Uint8Array): TransportError {
  try {
    decodeFrame(new ByteReader(bytes));
  } catch (e) {
    if (e instanceof TransportError) return e;
    throw e;
  }
  throw new Error(`no error decoding ${toHex(bytes)}`);
}

describe('encoding rejects frames tquic built wrongly (RangeError)', () => {
  const bad: Array<[string, Frame]> = [
    ['empty ACK', { kind: 'ack', ackDelay: 0, ranges: [] }],
    ['ascending ACK ranges', { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 1, largest: 2 }, { smallest: 5, largest: 6 }] }],
    ['adjacent ACK ranges', { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 5, largest: 6 }, { smallest: 3, largest: 4 }] }],
    ['ACK below 0', { kind: 'ack', ackDelay: 0, ranges: [{ smallest: -1, largest: 2 }] }],
    ['CID of 21 bytes', { kind: 'new_connection_id', sequence: 0, retirePriorTo: 0, cid: new Uint8Array(21), resetToken: new Uint8Array(16) }],
    ['short reset token', { kind: 'new_connection_id', sequence: 0, retirePriorTo: 0, cid: new Uint8Array(4), resetToken: new Uint8Array(15) }],
    ['retire prior to > sequence', { kind: 'new_connection_id', sequence: 0, retirePriorTo: 1, cid: new Uint8Array(4), resetToken: new Uint8Array(16) }],
    ['PATH_CHALLENGE of 7 bytes', { kind: 'path_challenge', data: new Uint8Array(7) }],
    ['MAX_STREAMS above 2^60', { kind: 'max_streams', bidi: true, maximum: 2 ** 60 + 256 }],
    ['path ID 2^32', { kind: 'path_abandon', pathId: 2 ** 32, errorCode: 0 }],
    ['empty NEW_TOKEN', { kind: 'new_token', token: new Uint8Array(0) }],
    ['zero PADDING', { kind: 'padding', length: 0 }],
    ['negative varint', { kind: 'max_data', maximum: -1 }],
  ];
  it.each(bad)('%s', (_name, f) => {
    expect(() => encodeFrame(ByteWriter.alloc(64), f)).toThrow(RangeError);
  });
});

describe('isAckEliciting (RFC 9002 §2) and frameTypeOf', () => {
  it('is false exactly for ACK, PATH_ACK, SYMBOL_ACK, PADDING and CONNECTION_CLOSE', () => {
    const nonEliciting = new Set<FrameKind>(['ack', 'path_ack', 'symbol_ack', 'padding', 'connection_close', 'application_close']);
    fc.assert(
      fc.property(anyFrame, (f) => {
        expect(isAckEliciting(f)).toBe(!nonEliciting.has(f.kind));
      }),
    );
  });

  it('maps kinds with variants to their numeric types', () => {
    const r = [{ smallest: 0, largest: 0 }];
    expect(frameTypeOf({ kind: 'ack', ackDelay: 0, ranges: r })).toBe(0x02);
    expect(frameTypeOf({ kind: 'ack', ackDelay: 0, ranges: r, ecn: { ect0: 0, ect1: 0, ce: 0 } })).toBe(0x03);
    expect(frameTypeOf({ kind: 'max_streams', bidi: true, maximum: 1 })).toBe(0x12);
    expect(frameTypeOf({ kind: 'streams_blocked', bidi: false, limit: 1 })).toBe(0x17);
    expect(frameTypeOf({ kind: 'application_close', errorCode: 0, reason: new Uint8Array(0) })).toBe(0x1d);
    expect(frameTypeOf({ kind: 'stream', streamId: 0, offset: 1, data: new Uint8Array(0), fin: true, hasLength: true })).toBe(0x0f);
    expect(frameTypeOf({ kind: 'path_ack', pathId: 0, ackDelay: 0, ranges: r })).toBe(0x3e);
  });
});
