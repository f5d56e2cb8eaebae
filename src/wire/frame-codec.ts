/**
 * Encoder, decoder and length of every frame in the Frame union (frame.ts): one switch each,
 * ending in assertNever (DESIGN §3). Bodies shared by several frame types (ACK, NEW_CONNECTION_ID,
 * STREAM header) are in frame-codec-body.ts.
 *
 * Decoding untrusted bytes throws only TransportError:
 * - a truncated or over-long field → FRAME_ENCODING_ERROR (from ByteReader), tagged with the
 *   frame type being decoded (RFC 9000 §19.19 "the type of frame that triggered the error");
 * - an unknown frame type → FRAME_ENCODING_ERROR (RFC 9000 §12.4);
 * - a frame type not in its shortest encoding → PROTOCOL_VIOLATION (RFC 9000 §12.4 MAY);
 * - frame-specific rules, cited where checked.
 * Checks that need connection state (flow-control limits, path ID vs. the negotiated maximum,
 * which packet type carried the frame — see legality.ts) are the caller's.
 *
 * Encoding writes into a caller-supplied ByteWriter and throws RangeError for a frame tquic
 * built wrongly (or when the buffer is too small).
 */
import { ByteReader, type ByteWriter } from '../util/bytes.js';
import { readVarintBigAt, varintLength } from '../util/varint.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { assertNever } from '../util/assert.js';
import {
  FrameType,
  MAX_STREAM_COUNT,
  PATH_CHALLENGE_LENGTH,
  StreamBits,
  type AckFrame,
  type Frame,
  type NewConnectionIdFrame,
  type PathAckFrame,
  type PathNewConnectionIdFrame,
  type SymbolAckFrame,
} from './frame.js';
import {
  ackBodyLength,
  checkEndOffset,
  checkPathIdForEncode,
  decodeAckBody,
  decodeNewConnectionIdBody,
  encodeAckBody,
  encodeNewConnectionIdBody,
  encodeStreamHeader,
  newConnectionIdBodyLength,
  readPathId,
  readStreamFields,
  streamHeaderLength,
  type StreamFields,
} from './frame-codec-body.js';

export { frameTypeOf, isAckEliciting } from './frame.js';
export { encodeStreamHeader, streamHeaderLength } from './frame-codec-body.js';

const vl = varintLength;
const EMPTY = new Uint8Array(0);
const MAX_STREAM_COUNT_BIG = 1n << 60n;

// ---------------------------------------------------------------------------------------------
// Encoding

function checkFixed(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${b.length}`);
}

function checkStreamCount(v: number): void {
  if (v > MAX_STREAM_COUNT) throw new RangeError(`stream count ${v} above 2^60`);
}

/** Writes `f`, frame type included. Exactly frameLength(f) bytes. */
export function encodeFrame(w: ByteWriter, f: Frame): void {
  switch (f.kind) {
    case 'padding': // RFC 9000 §19.1: each PADDING frame is one 0x00 byte
      if (!(f.length >= 1)) throw new RangeError(`padding length ${f.length}`);
      w.zeros(f.length);
      return;
    case 'ping':
      w.u8(FrameType.PING);
      return;
    case 'ack': // RFC 9000 §19.3
      w.u8(f.ecn !== undefined ? FrameType.ACK_ECN : FrameType.ACK);
      encodeAckBody(w, f);
      return;
    case 'reset_stream': // §19.4
      w.u8(FrameType.RESET_STREAM).varint(f.streamId).varint(f.errorCode).varint(f.finalSize);
      return;
    case 'stop_sending': // §19.5
      w.u8(FrameType.STOP_SENDING).varint(f.streamId).varint(f.errorCode);
      return;
    case 'crypto': // §19.6
      w.u8(FrameType.CRYPTO).varint(f.offset).varint(f.data.length).bytes(f.data);
      return;
    case 'new_token': // §19.7: the token MUST NOT be empty
      if (f.token.length === 0) throw new RangeError('NEW_TOKEN token must not be empty');
      w.u8(FrameType.NEW_TOKEN).varint(f.token.length).bytes(f.token);
      return;
    case 'stream': // §19.8
      encodeStreamHeader(w, f.streamId, f.offset, f.data.length, f.fin, f.hasLength);
      w.bytes(f.data);
      return;
    case 'max_data': // §19.9
      w.u8(FrameType.MAX_DATA).varint(f.maximum);
      return;
    case 'max_stream_data': // §19.10
      w.u8(FrameType.MAX_STREAM_DATA).varint(f.streamId).varint(f.maximum);
      return;
    case 'max_streams': // §19.11
      checkStreamCount(f.maximum);
      w.u8(f.bidi ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI).varint(f.maximum);
      return;
    case 'data_blocked': // §19.12
      w.u8(FrameType.DATA_BLOCKED).varint(f.limit);
      return;
    case 'stream_data_blocked': // §19.13
      w.u8(FrameType.STREAM_DATA_BLOCKED).varint(f.streamId).varint(f.limit);
      return;
    case 'streams_blocked': // §19.14
      checkStreamCount(f.limit);
      w.u8(f.bidi ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI).varint(f.limit);
      return;
    case 'new_connection_id': // §19.15
      w.u8(FrameType.NEW_CONNECTION_ID);
      encodeNewConnectionIdBody(w, f);
      return;
    case 'retire_connection_id': // §19.16
      w.u8(FrameType.RETIRE_CONNECTION_ID).varint(f.sequence);
      return;
    case 'path_challenge': // §19.17
      checkFixed(f.data, PATH_CHALLENGE_LENGTH, 'PATH_CHALLENGE data');
      w.u8(FrameType.PATH_CHALLENGE).bytes(f.data);
      return;
    case 'path_response': // §19.18
      checkFixed(f.data, PATH_CHALLENGE_LENGTH, 'PATH_RESPONSE data');
      w.u8(FrameType.PATH_RESPONSE).bytes(f.data);
      return;
    case 'connection_close': // §19.19, type 0x1c
      w.u8(FrameType.CONNECTION_CLOSE).varint(f.errorCode).varint(f.frameType).varint(f.reason.length).bytes(f.reason);
      return;
    case 'application_close': // §19.19, type 0x1d
      w.u8(FrameType.APPLICATION_CLOSE).varint(f.errorCode).varint(f.reason.length).bytes(f.reason);
      return;
    case 'handshake_done': // §19.20
      w.u8(FrameType.HANDSHAKE_DONE);
      return;
    case 'datagram': // RFC 9221 §4
      if (f.hasLength) w.u8(FrameType.DATAGRAM_LEN).varint(f.data.length);
      else w.u8(FrameType.DATAGRAM);
      w.bytes(f.data);
      return;
    case 'path_ack': // multipath-21 §4.1
      checkPathIdForEncode(f.pathId);
      w.u8(f.ecn !== undefined ? FrameType.PATH_ACK_ECN : FrameType.PATH_ACK).varint(f.pathId);
      encodeAckBody(w, f);
      return;
    case 'path_abandon': // §4.2
      checkPathIdForEncode(f.pathId);
      w.varint(FrameType.PATH_ABANDON).varint(f.pathId).varint(f.errorCode);
      return;
    case 'path_status_backup': // §4.3
      checkPathIdForEncode(f.pathId);
      w.varint(FrameType.PATH_STATUS_BACKUP).varint(f.pathId).varint(f.sequence);
      return;
    case 'path_status_available': // §4.3
      checkPathIdForEncode(f.pathId);
      w.varint(FrameType.PATH_STATUS_AVAILABLE).varint(f.pathId).varint(f.sequence);
      return;
    case 'path_new_connection_id': // §4.4
      checkPathIdForEncode(f.pathId);
      w.varint(FrameType.PATH_NEW_CONNECTION_ID).varint(f.pathId);
      encodeNewConnectionIdBody(w, f);
      return;
    case 'path_retire_connection_id': // §4.5
      checkPathIdForEncode(f.pathId);
      w.varint(FrameType.PATH_RETIRE_CONNECTION_ID).varint(f.pathId).varint(f.sequence);
      return;
    case 'max_path_id': // §4.6
      checkPathIdForEncode(f.maxPathId);
      w.varint(FrameType.MAX_PATH_ID).varint(f.maxPathId);
      return;
    case 'paths_blocked': // §4.7
      checkPathIdForEncode(f.maxPathId);
      w.varint(FrameType.PATHS_BLOCKED).varint(f.maxPathId);
      return;
    case 'path_cids_blocked': // §4.7
      checkPathIdForEncode(f.pathId);
      w.varint(FrameType.PATH_CIDS_BLOCKED).varint(f.pathId).varint(f.nextSequence);
      return;
    case 'sid': // specs/fec.md B7 item 3
      w.varint(FrameType.SID).varint(f.flowId).varint(f.sourcePayloadId);
      return;
    case 'repair': // specs/fec.md B7 item 4
      w.varint(FrameType.REPAIR).varint(f.flowId).varint(f.fssEsi).varint(f.repairPayloadId);
      w.varint(f.repairKey.length).bytes(f.repairKey).varint(f.repairSymbol.length).bytes(f.repairSymbol);
      return;
    case 'symbol_ack': // specs/fec.md B7 item 6: ACK layout over Source Payload IDs
      w.varint(FrameType.SYMBOL_ACK);
      encodeAckBody(w, { ackDelay: 0, ranges: f.ranges, ecn: undefined });
      return;
    default:
      assertNever(f, 'frame');
  }
}

// ---------------------------------------------------------------------------------------------
// Length

/** The number of bytes encodeFrame(w, f) writes. */
export function frameLength(f: Frame): number {
  switch (f.kind) {
    case 'padding':
      return f.length;
    case 'ping':
    case 'handshake_done':
      return 1;
    case 'ack':
      return 1 + ackBodyLength(f);
    case 'reset_stream':
      return 1 + vl(f.streamId) + vl(f.errorCode) + vl(f.finalSize);
    case 'stop_sending':
      return 1 + vl(f.streamId) + vl(f.errorCode);
    case 'crypto':
      return 1 + vl(f.offset) + vl(f.data.length) + f.data.length;
    case 'new_token':
      return 1 + vl(f.token.length) + f.token.length;
    case 'stream':
      return streamHeaderLength(f.streamId, f.offset, f.data.length, f.hasLength) + f.data.length;
    case 'max_data':
      return 1 + vl(f.maximum);
    case 'max_stream_data':
      return 1 + vl(f.streamId) + vl(f.maximum);
    case 'max_streams':
      return 1 + vl(f.maximum);
    case 'data_blocked':
      return 1 + vl(f.limit);
    case 'stream_data_blocked':
      return 1 + vl(f.streamId) + vl(f.limit);
    case 'streams_blocked':
      return 1 + vl(f.limit);
    case 'new_connection_id':
      return 1 + newConnectionIdBodyLength(f);
    case 'retire_connection_id':
      return 1 + vl(f.sequence);
    case 'path_challenge':
    case 'path_response':
      return 1 + PATH_CHALLENGE_LENGTH;
    case 'connection_close':
      return 1 + vl(f.errorCode) + vl(f.frameType) + vl(f.reason.length) + f.reason.length;
    case 'application_close':
      return 1 + vl(f.errorCode) + vl(f.reason.length) + f.reason.length;
    case 'datagram':
      return 1 + (f.hasLength ? vl(f.data.length) : 0) + f.data.length;
    case 'path_ack':
      return 1 + vl(f.pathId) + ackBodyLength(f);
    case 'path_abandon':
      return 2 + vl(f.pathId) + vl(f.errorCode);
    case 'path_status_backup':
    case 'path_status_available':
      return 2 + vl(f.pathId) + vl(f.sequence);
    case 'path_new_connection_id':
      return 2 + vl(f.pathId) + newConnectionIdBodyLength(f);
    case 'path_retire_connection_id':
      return 2 + vl(f.pathId) + vl(f.sequence);
    case 'max_path_id':
    case 'paths_blocked':
      return 2 + vl(f.maxPathId);
    case 'path_cids_blocked':
      return 2 + vl(f.pathId) + vl(f.nextSequence);
    case 'sid': // 0xfec5 takes a 4-byte varint
      return 4 + vl(f.flowId) + vl(f.sourcePayloadId);
    case 'repair':
      return (
        4 +
        vl(f.flowId) +
        vl(f.fssEsi) +
        vl(f.repairPayloadId) +
        vl(f.repairKey.length) +
        f.repairKey.length +
        vl(f.repairSymbol.length) +
        f.repairSymbol.length
      );
    case 'symbol_ack':
      return 8 + ackBodyLength({ ackDelay: 0, ranges: f.ranges, ecn: undefined });
    default:
      return assertNever(f, 'frame');
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Decodes one frame at r.offset and advances past it. A run of PADDING bytes becomes one
 * `{ kind: 'padding', length }` frame. STREAM (without LEN) and DATAGRAM 0x30 consume the rest
 * of the reader, which must therefore end where the packet payload ends.
 */
export function decodeFrame(r: ByteReader): Frame {
  const start = r.offset;
  if (r.peekU8() === FrameType.PADDING) {
    // RFC 9000 §19.1: coalesce the run of PADDING bytes
    const buf = r.buf;
    const end = r.end;
    let i = start + 1;
    while (i < end && buf[i] === 0) i++;
    r.offset = i;
    return { kind: 'padding', length: i - start };
  }
  const type = r.varint();
  // RFC 9000 §12.4: a frame type MUST use the shortest encoding; MAY be a PROTOCOL_VIOLATION.
  if (r.offset - start !== vl(type)) {
    throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, type, `frame type 0x${type.toString(16)} not minimally encoded`);
  }
  try {
    return decodeBody(r, type);
  } catch (e) {
    // Tag reader errors (truncation) with the frame type that was being decoded.
    if (e instanceof TransportError && e.frameType === undefined) throw new TransportError(e.code, type, e.reason);
    throw e;
  }
}

/**
 * Decodes a whole packet payload into frames. An empty payload gives []: whether that is a
 * PROTOCOL_VIOLATION (RFC 9000 §12.4) is for the packet parser to decide. `frames`, when given,
 * is emptied and reused as the result array (the receive path keeps one per connection).
 */
export function decodeFrames(payload: Uint8Array, frames: Frame[] = []): Frame[] {
  const r = new ByteReader(payload);
  frames.length = 0;
  while (r.offset < r.end) frames.push(decodeFrame(r));
  return frames;
}

function decodeBody(r: ByteReader, type: number): Frame {
  switch (type) {
    case FrameType.PING:
      return { kind: 'ping' };
    case FrameType.ACK:
    case FrameType.ACK_ECN: {
      const f: AckFrame = { kind: 'ack', ackDelay: 0, ranges: [], ecn: undefined };
      decodeAckBody(r, type, type === FrameType.ACK_ECN, f);
      return f;
    }
    case FrameType.RESET_STREAM:
      return { kind: 'reset_stream', streamId: r.varint(), errorCode: r.varint(), finalSize: r.varint() };
    case FrameType.STOP_SENDING:
      return { kind: 'stop_sending', streamId: r.varint(), errorCode: r.varint() };
    case FrameType.CRYPTO: {
      const offsetPos = r.offset;
      const offset = r.varint();
      const data = r.bytes(r.varint());
      checkEndOffset(r, offsetPos, offset, data.length, type); // §19.6
      return { kind: 'crypto', offset, data };
    }
    case FrameType.NEW_TOKEN: {
      const token = r.copy(r.varint());
      // §19.7: an empty token is a FRAME_ENCODING_ERROR
      if (token.length === 0) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, type, 'empty NEW_TOKEN');
      return { kind: 'new_token', token };
    }
    case 0x08:
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x0e:
    case 0x0f:
      return decodeStream(r, type);
    case FrameType.MAX_DATA:
      return { kind: 'max_data', maximum: r.varint() };
    case FrameType.MAX_STREAM_DATA:
      return { kind: 'max_stream_data', streamId: r.varint(), maximum: r.varint() };
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI:
      return { kind: 'max_streams', bidi: type === FrameType.MAX_STREAMS_BIDI, maximum: readStreamCount(r, type) };
    case FrameType.DATA_BLOCKED:
      return { kind: 'data_blocked', limit: r.varint() };
    case FrameType.STREAM_DATA_BLOCKED:
      return { kind: 'stream_data_blocked', streamId: r.varint(), limit: r.varint() };
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI:
      return { kind: 'streams_blocked', bidi: type === FrameType.STREAMS_BLOCKED_BIDI, limit: readStreamCount(r, type) };
    case FrameType.NEW_CONNECTION_ID: {
      const f: NewConnectionIdFrame = { kind: 'new_connection_id', sequence: 0, retirePriorTo: 0, cid: EMPTY, resetToken: EMPTY };
      decodeNewConnectionIdBody(r, type, f);
      return f;
    }
    case FrameType.RETIRE_CONNECTION_ID:
      return { kind: 'retire_connection_id', sequence: r.varint() };
    case FrameType.PATH_CHALLENGE:
      return { kind: 'path_challenge', data: r.copy(PATH_CHALLENGE_LENGTH) };
    case FrameType.PATH_RESPONSE:
      return { kind: 'path_response', data: r.copy(PATH_CHALLENGE_LENGTH) };
    case FrameType.CONNECTION_CLOSE:
      return { kind: 'connection_close', errorCode: r.varint(), frameType: r.varint(), reason: r.copy(r.varint()) };
    case FrameType.APPLICATION_CLOSE:
      return { kind: 'application_close', errorCode: r.varint(), reason: r.copy(r.varint()) };
    case FrameType.HANDSHAKE_DONE:
      return { kind: 'handshake_done' };
    case FrameType.DATAGRAM: // RFC 9221 §4: no Length, data to the end of the packet
      return { kind: 'datagram', data: r.rest(), hasLength: false };
    case FrameType.DATAGRAM_LEN:
      return { kind: 'datagram', data: r.bytes(r.varint()), hasLength: true };
    case FrameType.PATH_ACK:
    case FrameType.PATH_ACK_ECN: {
      // multipath-21 §4.1
      const f: PathAckFrame = { kind: 'path_ack', pathId: readPathId(r, type), ackDelay: 0, ranges: [], ecn: undefined };
      decodeAckBody(r, type, type === FrameType.PATH_ACK_ECN, f);
      return f;
    }
    case FrameType.PATH_ABANDON:
      return { kind: 'path_abandon', pathId: readPathId(r, type), errorCode: r.varint() };
    case FrameType.PATH_STATUS_BACKUP:
      return { kind: 'path_status_backup', pathId: readPathId(r, type), sequence: r.varint() };
    case FrameType.PATH_STATUS_AVAILABLE:
      return { kind: 'path_status_available', pathId: readPathId(r, type), sequence: r.varint() };
    case FrameType.PATH_NEW_CONNECTION_ID: {
      const f: PathNewConnectionIdFrame = {
        kind: 'path_new_connection_id',
        pathId: readPathId(r, type),
        sequence: 0,
        retirePriorTo: 0,
        cid: EMPTY,
        resetToken: EMPTY,
      };
      decodeNewConnectionIdBody(r, type, f);
      return f;
    }
    case FrameType.PATH_RETIRE_CONNECTION_ID:
      return { kind: 'path_retire_connection_id', pathId: readPathId(r, type), sequence: r.varint() };
    case FrameType.MAX_PATH_ID: // §4.6: above 2^32-1 is a PROTOCOL_VIOLATION
      return { kind: 'max_path_id', maxPathId: readPathId(r, type) };
    case FrameType.PATHS_BLOCKED: // §4.7
      return { kind: 'paths_blocked', maxPathId: readPathId(r, type) };
    case FrameType.PATH_CIDS_BLOCKED:
      return { kind: 'path_cids_blocked', pathId: readPathId(r, type), nextSequence: r.varint() };
    case FrameType.SID:
      return { kind: 'sid', flowId: r.varint(), sourcePayloadId: r.varint() };
    case FrameType.SYMBOL_ACK: {
      const f: SymbolAckFrame = { kind: 'symbol_ack', ackDelay: 0, ranges: [], ecn: undefined };
      decodeAckBody(r, type, false, f);
      if (f.ackDelay !== 0) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, type, 'SYMBOL_ACK with an ACK Delay');
      return f;
    }
    case FrameType.REPAIR:
      return {
        kind: 'repair',
        flowId: r.varint(),
        fssEsi: r.varint(),
        repairPayloadId: r.varint(),
        repairKey: r.bytes(r.varint()),
        repairSymbol: r.bytes(r.varint()),
      };
    default:
      // RFC 9000 §12.4: an unknown frame type is a FRAME_ENCODING_ERROR
      throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, type, `unknown frame type 0x${type.toString(16)}`);
  }
}

/** Scratch for `decodeStream`: the fields are copied out before it is used again. */
const streamScratch: StreamFields = { streamId: 0, offset: 0, dataOffset: 0, dataLength: 0, fin: false, hasLength: false };

/** RFC 9000 §19.8: Stream ID, [Offset], [Length], Stream Data. `data` is a view. */
function decodeStream(r: ByteReader, type: number): Frame {
  const f = streamScratch;
  readStreamFields(r, type, f);
  const data = r.buf.subarray(f.dataOffset, f.dataOffset + f.dataLength);
  return { kind: 'stream', streamId: f.streamId, offset: f.offset, data, fin: f.fin, hasLength: f.hasLength };
}

/** RFC 9000 §19.11 / §19.14: a stream count above 2^60 is a FRAME_ENCODING_ERROR. */
function readStreamCount(r: ByteReader, type: number): number {
  const pos = r.offset;
  const v = r.varint();
  // Values just above 2^60 round to 2^60 as numbers; decide those on the exact value.
  if (v >= MAX_STREAM_COUNT && readVarintBigAt(r.buf, pos, r.end) > MAX_STREAM_COUNT_BIG) throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, type, `stream count ${v} above 2^60`);
  return v;
}
