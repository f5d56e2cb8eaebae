/**
 * Frame bodies shared by more than one frame type, so that each is coded once:
 * - the ACK body (ACK 0x02/0x03 and PATH_ACK 0x3e/0x3f, multipath-21 §4.1 extends RFC 9000
 *   §19.3 by a leading Path Identifier only);
 * - the NEW_CONNECTION_ID body (NEW_CONNECTION_ID 0x18 and PATH_NEW_CONNECTION_ID 0x3e78,
 *   multipath-21 §4.4 extends RFC 9000 §19.15 the same way);
 * - the STREAM header (RFC 9000 §19.8), also usable by a packet builder that writes stream
 *   bytes straight into the datagram (DESIGN §4 rule 1);
 * - bounds shared by several decoders (path IDs, stream/CRYPTO end offsets).
 *
 * Decoders throw only TransportError; encoders throw RangeError for frames that tquic itself
 * built wrongly (a local bug, never a peer's fault).
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { MAX_VARINT_BIG, readVarintBigAt, varintLength } from '../util/varint.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import {
  MAX_CID_LENGTH,
  MAX_PATH_ID_VALUE,
  RESET_TOKEN_LENGTH,
  streamFrameType,
  StreamBits,
  type AckBody,
  type AckRange,
  type NewConnectionIdBody,
} from './frame.js';

function encodingError(frameType: number, reason: string): TransportError {
  return new TransportError(ErrorCode.FRAME_ENCODING_ERROR, frameType, reason);
}

// ---------------------------------------------------------------------------------------------
// ACK body: Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, ACK Range...,
// [ECN Counts]  (RFC 9000 §19.3)

function checkAckRanges(b: AckBody): void {
  const n = b.ranges.length;
  if (n === 0) throw new RangeError('ACK frame needs at least one range');
  // Descending order (gap ≥ 0, length ≥ 0) is enforced by the varint range check on encode;
  // only the lowest packet number needs its own check.
  if (b.ranges[n - 1]!.smallest < 0) throw new RangeError('ACK range below 0');
}

/** Writes the ACK body (everything after the frame type, and after Path Identifier for PATH_ACK). */
export function encodeAckBody(w: ByteWriter, b: AckBody): void {
  checkAckRanges(b);
  const ranges = b.ranges;
  const first = ranges[0]!;
  w.varint(first.largest).varint(b.ackDelay).varint(ranges.length - 1).varint(first.largest - first.smallest);
  let prevSmallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const rg = ranges[i]!;
    // RFC 9000 §19.3.1: largest = previous_smallest - gap - 2
    w.varint(prevSmallest - rg.largest - 2).varint(rg.largest - rg.smallest);
    prevSmallest = rg.smallest;
  }
  const ecn = b.ecn;
  if (ecn !== undefined) w.varint(ecn.ect0).varint(ecn.ect1).varint(ecn.ce); // §19.3.2
}

export function ackBodyLength(b: AckBody): number {
  const ranges = b.ranges;
  const first = ranges[0];
  if (first === undefined) throw new RangeError('ACK frame needs at least one range');
  let n =
    varintLength(first.largest) +
    varintLength(b.ackDelay) +
    varintLength(ranges.length - 1) +
    varintLength(first.largest - first.smallest);
  let prevSmallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const rg = ranges[i]!;
    n += varintLength(prevSmallest - rg.largest - 2) + varintLength(rg.largest - rg.smallest);
    prevSmallest = rg.smallest;
  }
  const ecn = b.ecn;
  if (ecn !== undefined) n += varintLength(ecn.ect0) + varintLength(ecn.ect1) + varintLength(ecn.ce);
  return n;
}

/**
 * Reads the ACK body into `out`. RFC 9000 §19.3.1: a computed packet number below 0 is a
 * FRAME_ENCODING_ERROR. The range count is checked against the bytes left (each Gap + ACK
 * Range Length pair takes at least 2 bytes) before any range is stored, so a peer cannot make
 * us allocate more than the packet size justifies.
 *
 * With `pool`, `out` is a scratch frame reused per packet (DESIGN §4 rule 2): its ranges array
 * and ECN object are refilled in place and the range objects come from `pool` (grown on demand).
 */
export function decodeAckBody(r: ByteReader, frameType: number, hasEcn: boolean, out: AckBody, pool?: AckRange[]): void {
  const largest = r.varint();
  out.ackDelay = r.varint();
  const count = r.varint();
  const firstRange = r.varint();
  if (count > r.remaining / 2) throw encodingError(frameType, 'ACK range count exceeds frame size');
  let smallest = largest - firstRange;
  if (smallest < 0) throw encodingError(frameType, 'ACK range below packet number 0');
  const ranges: AckRange[] = pool === undefined ? [] : out.ranges;
  ranges.length = 0;
  ranges.push(ackRange(pool, 0, smallest, largest));
  for (let i = 0; i < count; i++) {
    const gap = r.varint();
    const len = r.varint();
    const top = smallest - gap - 2;
    smallest = top - len;
    if (smallest < 0) throw encodingError(frameType, 'ACK range below packet number 0');
    ranges.push(ackRange(pool, i + 1, smallest, top));
  }
  out.ranges = ranges;
  if (!hasEcn) {
    out.ecn = undefined;
  } else if (pool !== undefined && out.ecn !== undefined) {
    out.ecn.ect0 = r.varint();
    out.ecn.ect1 = r.varint();
    out.ecn.ce = r.varint();
  } else {
    out.ecn = { ect0: r.varint(), ect1: r.varint(), ce: r.varint() };
  }
}

function ackRange(pool: AckRange[] | undefined, k: number, smallest: number, largest: number): AckRange {
  if (pool === undefined) return { smallest, largest };
  let g = pool[k];
  if (g === undefined) {
    g = { smallest, largest };
    pool.push(g);
  } else {
    g.smallest = smallest;
    g.largest = largest;
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
// NEW_CONNECTION_ID body: Sequence Number, Retire Prior To, Length (8), Connection ID,
// Stateless Reset Token (128)  (RFC 9000 §19.15)

export function encodeNewConnectionIdBody(w: ByteWriter, b: NewConnectionIdBody): void {
  const len = b.cid.length;
  if (len < 1 || len > MAX_CID_LENGTH) throw new RangeError(`connection ID length ${len} not in 1..20`);
  if (b.resetToken.length !== RESET_TOKEN_LENGTH) throw new RangeError('stateless reset token must be 16 bytes');
  if (b.retirePriorTo > b.sequence) throw new RangeError('Retire Prior To exceeds Sequence Number');
  w.varint(b.sequence).varint(b.retirePriorTo).u8(len).bytes(b.cid).bytes(b.resetToken);
}

export function newConnectionIdBodyLength(b: NewConnectionIdBody): number {
  return varintLength(b.sequence) + varintLength(b.retirePriorTo) + 1 + b.cid.length + RESET_TOKEN_LENGTH;
}

/** Reads the body into `out`; the CID and token are copies (they outlive the packet). */
export function decodeNewConnectionIdBody(r: ByteReader, frameType: number, out: NewConnectionIdBody): void {
  out.sequence = r.varint();
  out.retirePriorTo = r.varint();
  const len = r.u8();
  // RFC 9000 §19.15: Length < 1 or > 20 MUST be a FRAME_ENCODING_ERROR.
  if (len < 1 || len > MAX_CID_LENGTH) throw encodingError(frameType, `connection ID length ${len} not in 1..20`);
  out.cid = r.copy(len);
  out.resetToken = r.copy(RESET_TOKEN_LENGTH);
  // RFC 9000 §19.15: Retire Prior To greater than Sequence Number is a FRAME_ENCODING_ERROR.
  if (out.retirePriorTo > out.sequence) throw encodingError(frameType, 'Retire Prior To exceeds Sequence Number');
}

// ---------------------------------------------------------------------------------------------
// STREAM header: Type, Stream ID, [Offset], [Length]  (RFC 9000 §19.8)

/**
 * Writes a STREAM frame up to (not including) its data; the caller writes `dataLength` bytes
 * next. Lets a packet builder copy stream bytes straight into the datagram.
 */
export function encodeStreamHeader(
  w: ByteWriter,
  streamId: number,
  offset: number,
  dataLength: number,
  fin: boolean,
  hasLength: boolean,
): void {
  w.u8(streamFrameType(offset, fin, hasLength)).varint(streamId);
  if (offset > 0) w.varint(offset);
  if (hasLength) w.varint(dataLength);
}

/** Bytes of the STREAM header that encodeStreamHeader writes. */
export function streamHeaderLength(streamId: number, offset: number, dataLength: number, hasLength: boolean): number {
  return 1 + varintLength(streamId) + (offset > 0 ? varintLength(offset) : 0) + (hasLength ? varintLength(dataLength) : 0);
}

// ---------------------------------------------------------------------------------------------
// Bounds shared by decoders

/**
 * RFC 9000 §19.6 / §19.8: offset + length must not exceed 2^62-1 (FRAME_ENCODING_ERROR).
 * `offsetPos` is where the Offset varint starts (or -1 when absent), so that an offset beyond
 * 2^53, which the number decoding rounds, is re-read exactly as a bigint. The fast path is one
 * comparison.
 */
export function checkEndOffset(r: ByteReader, offsetPos: number, offset: number, length: number, frameType: number): void {
  if (offset + length <= Number.MAX_SAFE_INTEGER) return;
  const exact = offsetPos < 0 ? 0n : readVarintBigAt(r.buf, offsetPos, r.end);
  if (exact + BigInt(length) > MAX_VARINT_BIG) throw encodingError(frameType, 'data beyond offset 2^62-1');
}

/**
 * multipath-21 §4: a path ID above the announced maximum is a PROTOCOL_VIOLATION. Any value
 * above 2^32-1 exceeds every maximum that may be announced (§2.1, §4.6), so the codec rejects it
 * without connection state; the finer check against the current limit is the connection's.
 */
export function readPathId(r: ByteReader, frameType: number): number {
  const v = r.varint();
  if (v > MAX_PATH_ID_VALUE) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameType, `path ID ${v} above 2^32-1`);
  return v;
}

export function checkPathIdForEncode(v: number): void {
  if (v > MAX_PATH_ID_VALUE) throw new RangeError(`path ID ${v} above 2^32-1`);
}

/** The fields of a STREAM frame with its data left in place: bytes [dataOffset, dataOffset + dataLength) of the reader's buffer. */
export interface StreamFields {
  streamId: number;
  offset: number;
  dataOffset: number;
  dataLength: number;
  fin: boolean;
  hasLength: boolean;
}

/**
 * RFC 9000 §19.8: Stream ID, [Offset], [Length], Stream Data — reads the fields into `out` and
 * steps the reader over the data without making a view of it. Truncation and an end offset
 * above 2^62-1 (§19.8) are FRAME_ENCODING_ERRORs.
 */
export function readStreamFields(r: ByteReader, type: number, out: StreamFields): void {
  out.streamId = r.varint();
  let offsetPos = -1;
  let offset = 0;
  if ((type & StreamBits.OFF) !== 0) {
    offsetPos = r.offset;
    offset = r.varint();
  }
  const hasLength = (type & StreamBits.LEN) !== 0;
  let length: number;
  if (hasLength) {
    length = r.varint();
    if (!Number.isInteger(length) || r.offset + length > r.end) {
      throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, 'truncated bytes');
    }
  } else {
    length = r.end - r.offset;
  }
  out.dataOffset = r.offset;
  out.dataLength = length;
  r.offset += length;
  checkEndOffset(r, offsetPos, offset, length, type);
  out.offset = offset;
  out.fin = (type & StreamBits.FIN) !== 0;
  out.hasLength = hasLength;
}
