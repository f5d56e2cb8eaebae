/**
 * QUIC frames as one closed tagged union (DESIGN §3), discriminated by `kind`.
 *
 * Covers RFC 9000 §19, DATAGRAM (RFC 9221 §4), the multipath frames of
 * draft-ietf-quic-multipath-21 §4 (final 0x3e codepoints) and the project's FEC frames SID
 * (0xfec5) and REPAIR (0xfec6). The codec lives in frame-codec.ts; legality per packet type in
 * legality.ts.
 *
 * Conventions:
 * - `kind` strings follow the qlog frame_type names (snake_case) where qlog has one.
 * - Integers are `number` varints (see util/varint.ts for the precision rule above 2^53).
 * - Byte fields: bulk payloads (STREAM, CRYPTO and DATAGRAM data, REPAIR key and symbol) are
 *   decoded as **views** into the packet payload, so the receive path copies them once into
 *   its own buffers. Small values that are always stored (connection IDs, stateless reset
 *   tokens, NEW_TOKEN tokens, PATH_CHALLENGE/RESPONSE data, reason phrases) are **copies**, so
 *   a pooled datagram buffer can be reused safely after parsing.
 * - Reason phrases stay raw bytes (`reason: Uint8Array`): RFC 9000 §19.19 only says they SHOULD
 *   be UTF-8, so decoding is left to whoever displays them (e.g. a non-fatal TextDecoder).
 */
import { assertNever } from '../util/assert.js';

/** Numeric frame types (RFC 9000 §19 / §22.4, RFC 9221 §4, multipath-21 §4 and §6, specs/fec.md B7). */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** STREAM base type; the low three bits are OFF (0x04), LEN (0x02) and FIN (0x01). */
  STREAM: 0x08,
  STREAM_MAX: 0x0f,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  /** CONNECTION_CLOSE carrying a transport error code (and the offending frame type). */
  CONNECTION_CLOSE: 0x1c,
  /** CONNECTION_CLOSE carrying an application error code. */
  APPLICATION_CLOSE: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  /** RFC 9221 §4: DATAGRAM without Length (data extends to the end of the packet). */
  DATAGRAM: 0x30,
  /** RFC 9221 §4: DATAGRAM with Length. */
  DATAGRAM_LEN: 0x31,
  PATH_ACK: 0x3e,
  PATH_ACK_ECN: 0x3f,
  PATH_ABANDON: 0x3e75,
  PATH_STATUS_BACKUP: 0x3e76,
  PATH_STATUS_AVAILABLE: 0x3e77,
  PATH_NEW_CONNECTION_ID: 0x3e78,
  PATH_RETIRE_CONNECTION_ID: 0x3e79,
  MAX_PATH_ID: 0x3e7a,
  PATHS_BLOCKED: 0x3e7b,
  PATH_CIDS_BLOCKED: 0x3e7c,
  /** FEC Source ID (specs/fec.md B7 item 3). */
  SID: 0xfec5,
  /** FEC repair symbol (specs/fec.md B7 item 4). */
  REPAIR: 0xfec6,
  /** FEC feedback: Source Payload IDs the receiver recovered (draft-michel-quic-fec's codepoint; specs/fec.md B7 item 6). */
  SYMBOL_ACK: 0x32a80fecac,
} as const;

/** RFC 9000 §19.8: flag bits in the STREAM frame type. */
export const StreamBits = { OFF: 0x04, LEN: 0x02, FIN: 0x01 } as const;

/** RFC 9000 §19.11: a stream count cannot exceed 2^60. */
export const MAX_STREAM_COUNT = 2 ** 60;
/** draft-ietf-quic-multipath-21 §2.1, §2.4: path IDs are at most 2^32-1 (nonce construction). */
export const MAX_PATH_ID_VALUE = 0xffffffff;
/** RFC 9000 §19.15: connection IDs in NEW_CONNECTION_ID are 1..20 bytes. */
export const MAX_CID_LENGTH = 20;
/** RFC 9000 §10.3: stateless reset tokens are 16 bytes. */
export const RESET_TOKEN_LENGTH = 16;
/** RFC 9000 §19.17: PATH_CHALLENGE / PATH_RESPONSE carry 8 bytes. */
export const PATH_CHALLENGE_LENGTH = 8;

// ---------------------------------------------------------------------------------------------
// RFC 9000 §19

/** RFC 9000 §19.1: a run of `length` (≥ 1) PADDING bytes, coalesced into one frame. */
export interface PaddingFrame {
  kind: 'padding';
  length: number;
}

/** RFC 9000 §19.2 */
export interface PingFrame {
  kind: 'ping';
}

/** One acknowledged range, inclusive at both ends. */
export interface AckRange {
  smallest: number;
  largest: number;
}

/** RFC 9000 §19.3.2 */
export interface EcnCounts {
  ect0: number;
  ect1: number;
  ce: number;
}

/**
 * The part shared by ACK and PATH_ACK (RFC 9000 §19.3, multipath-21 §4.1).
 * `ranges` is non-empty and descending: ranges[0].largest is Largest Acknowledged, and each
 * range lies strictly below the previous one with at least one missing packet between them.
 */
export interface AckBody {
  /** The raw ACK Delay field; scaling by 2^ack_delay_exponent is the receiver's job. */
  ackDelay: number;
  ranges: AckRange[];
  /** Present for types 0x03 / 0x3f. */
  ecn?: EcnCounts | undefined;
}

/** RFC 9000 §19.3: ACK (0x02) or, with `ecn`, ACK_ECN (0x03). */
export interface AckFrame extends AckBody {
  kind: 'ack';
}

/** RFC 9000 §19.4 */
export interface ResetStreamFrame {
  kind: 'reset_stream';
  streamId: number;
  errorCode: number;
  finalSize: number;
}

/** RFC 9000 §19.5 */
export interface StopSendingFrame {
  kind: 'stop_sending';
  streamId: number;
  errorCode: number;
}

/** RFC 9000 §19.6. `data` is a view into the packet when decoded. */
export interface CryptoFrame {
  kind: 'crypto';
  offset: number;
  data: Uint8Array;
}

/** RFC 9000 §19.7. The token is non-empty. */
export interface NewTokenFrame {
  kind: 'new_token';
  token: Uint8Array;
}

/**
 * RFC 9000 §19.8: all eight STREAM types. The OFF bit is set exactly when `offset > 0`
 * (an explicit zero offset decodes to the same frame). With `hasLength` false the data runs to
 * the end of the packet, so the frame must be the packet's last. `data` is a view when decoded.
 */
export interface StreamFrame {
  kind: 'stream';
  streamId: number;
  offset: number;
  data: Uint8Array;
  fin: boolean;
  hasLength: boolean;
}

/** RFC 9000 §19.9 */
export interface MaxDataFrame {
  kind: 'max_data';
  maximum: number;
}

/** RFC 9000 §19.10 */
export interface MaxStreamDataFrame {
  kind: 'max_stream_data';
  streamId: number;
  maximum: number;
}

/** RFC 9000 §19.11: 0x12 (bidi) / 0x13 (uni); `maximum` ≤ 2^60. */
export interface MaxStreamsFrame {
  kind: 'max_streams';
  bidi: boolean;
  maximum: number;
}

/** RFC 9000 §19.12 */
export interface DataBlockedFrame {
  kind: 'data_blocked';
  limit: number;
}

/** RFC 9000 §19.13 */
export interface StreamDataBlockedFrame {
  kind: 'stream_data_blocked';
  streamId: number;
  limit: number;
}

/** RFC 9000 §19.14: 0x16 (bidi) / 0x17 (uni); `limit` ≤ 2^60. */
export interface StreamsBlockedFrame {
  kind: 'streams_blocked';
  bidi: boolean;
  limit: number;
}

/** The part shared by NEW_CONNECTION_ID and PATH_NEW_CONNECTION_ID (RFC 9000 §19.15). */
export interface NewConnectionIdBody {
  sequence: number;
  /** ≤ sequence. */
  retirePriorTo: number;
  /** 1..20 bytes. */
  cid: Uint8Array;
  /** 16 bytes. */
  resetToken: Uint8Array;
}

/** RFC 9000 §19.15 */
export interface NewConnectionIdFrame extends NewConnectionIdBody {
  kind: 'new_connection_id';
}

/** RFC 9000 §19.16 */
export interface RetireConnectionIdFrame {
  kind: 'retire_connection_id';
  sequence: number;
}

/** RFC 9000 §19.17: 8 bytes of data. */
export interface PathChallengeFrame {
  kind: 'path_challenge';
  data: Uint8Array;
}

/** RFC 9000 §19.18: 8 bytes of data. */
export interface PathResponseFrame {
  kind: 'path_response';
  data: Uint8Array;
}

/** RFC 9000 §19.19, type 0x1c: a transport error. `frameType` 0 means unknown. */
export interface ConnectionCloseFrame {
  kind: 'connection_close';
  errorCode: number;
  frameType: number;
  /** Raw reason phrase bytes (SHOULD be UTF-8; not validated). */
  reason: Uint8Array;
}

/** RFC 9000 §19.19, type 0x1d: an application error (no frame type field). */
export interface ApplicationCloseFrame {
  kind: 'application_close';
  errorCode: number;
  reason: Uint8Array;
}

/** RFC 9000 §19.20 */
export interface HandshakeDoneFrame {
  kind: 'handshake_done';
}

// ---------------------------------------------------------------------------------------------
// RFC 9221

/** RFC 9221 §4: 0x30 (to end of packet) / 0x31 (with Length). `data` is a view when decoded. */
export interface DatagramFrame {
  kind: 'datagram';
  data: Uint8Array;
  hasLength: boolean;
}

// ---------------------------------------------------------------------------------------------
// draft-ietf-quic-multipath-21 §4. Every path ID is ≤ 2^32-1.

/** §4.1: PATH_ACK (0x3e) or, with `ecn`, PATH_ACK_ECN (0x3f). */
export interface PathAckFrame extends AckBody {
  kind: 'path_ack';
  pathId: number;
}

/** §4.2 */
export interface PathAbandonFrame {
  kind: 'path_abandon';
  pathId: number;
  errorCode: number;
}

/** §4.3: PATH_STATUS_BACKUP (0x3e76). */
export interface PathStatusBackupFrame {
  kind: 'path_status_backup';
  pathId: number;
  sequence: number;
}

/** §4.3: PATH_STATUS_AVAILABLE (0x3e77). */
export interface PathStatusAvailableFrame {
  kind: 'path_status_available';
  pathId: number;
  sequence: number;
}

/** §4.4 */
export interface PathNewConnectionIdFrame extends NewConnectionIdBody {
  kind: 'path_new_connection_id';
  pathId: number;
}

/** §4.5 */
export interface PathRetireConnectionIdFrame {
  kind: 'path_retire_connection_id';
  pathId: number;
  sequence: number;
}

/** §4.6 */
export interface MaxPathIdFrame {
  kind: 'max_path_id';
  maxPathId: number;
}

/** §4.7 */
export interface PathsBlockedFrame {
  kind: 'paths_blocked';
  maxPathId: number;
}

/** §4.7 */
export interface PathCidsBlockedFrame {
  kind: 'path_cids_blocked';
  pathId: number;
  nextSequence: number;
}

// ---------------------------------------------------------------------------------------------
// FEC (specs/fec.md B7)

/** B7 item 3: Source ID, the last frame of a protected packet. */
export interface SidFrame {
  kind: 'sid';
  flowId: number;
  sourcePayloadId: number;
}

/** B7 item 4: one repair symbol. `repairKey` and `repairSymbol` are views when decoded. */
export interface RepairFrame {
  kind: 'repair';
  flowId: number;
  fssEsi: number;
  repairPayloadId: number;
  repairKey: Uint8Array;
  repairSymbol: Uint8Array;
}

/**
 * B7 item 6: the Source Payload IDs of packets the receiver rebuilt, in the ACK frame's layout
 * (ACK Delay always 0, no ECN counts), so that the sender need not retransmit their data. Sent
 * only when both ends advertised fec_symbol_ack (0xfec003); not ack-eliciting.
 */
export interface SymbolAckFrame extends AckBody {
  kind: 'symbol_ack';
}

/**
 * Every frame tquic knows (RFC 9000 §19, RFC 9221 §4, multipath-21 §4, the FEC frames SID and
 * REPAIR), discriminated by `kind`.
 */
export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | ApplicationCloseFrame
  | HandshakeDoneFrame
  | DatagramFrame
  | PathAckFrame
  | PathAbandonFrame
  | PathStatusBackupFrame
  | PathStatusAvailableFrame
  | PathNewConnectionIdFrame
  | PathRetireConnectionIdFrame
  | MaxPathIdFrame
  | PathsBlockedFrame
  | PathCidsBlockedFrame
  | SidFrame
  | RepairFrame
  | SymbolAckFrame;

/** The `kind` strings of Frame: the qlog frame_type names where qlog has one. */
export type FrameKind = Frame['kind'];

/** The frame of a given kind. */
export type FrameOf<K extends FrameKind> = Extract<Frame, { kind: K }>;

const TYPE_NAMES = new Map<number, string>();
for (const [name, v] of Object.entries(FrameType)) if (name !== 'STREAM_MAX') TYPE_NAMES.set(v, name);

/** A printable name for a numeric frame type: "PATH_ABANDON", "STREAM(0x0e)", "0x1234". */
export function frameTypeName(type: number): string {
  if (type >= FrameType.STREAM && type <= FrameType.STREAM_MAX) return `STREAM(0x${type.toString(16).padStart(2, '0')})`;
  return TYPE_NAMES.get(type) ?? `0x${type.toString(16)}`;
}

/** The numeric frame type `f` is encoded with (for STREAM: the OFF/LEN/FIN bits it needs). */
export function frameTypeOf(f: Frame): number {
  switch (f.kind) {
    case 'padding':
      return FrameType.PADDING;
    case 'ping':
      return FrameType.PING;
    case 'ack':
      return f.ecn !== undefined ? FrameType.ACK_ECN : FrameType.ACK;
    case 'reset_stream':
      return FrameType.RESET_STREAM;
    case 'stop_sending':
      return FrameType.STOP_SENDING;
    case 'crypto':
      return FrameType.CRYPTO;
    case 'new_token':
      return FrameType.NEW_TOKEN;
    case 'stream':
      return streamFrameType(f.offset, f.fin, f.hasLength);
    case 'max_data':
      return FrameType.MAX_DATA;
    case 'max_stream_data':
      return FrameType.MAX_STREAM_DATA;
    case 'max_streams':
      return f.bidi ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
    case 'data_blocked':
      return FrameType.DATA_BLOCKED;
    case 'stream_data_blocked':
      return FrameType.STREAM_DATA_BLOCKED;
    case 'streams_blocked':
      return f.bidi ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
    case 'new_connection_id':
      return FrameType.NEW_CONNECTION_ID;
    case 'retire_connection_id':
      return FrameType.RETIRE_CONNECTION_ID;
    case 'path_challenge':
      return FrameType.PATH_CHALLENGE;
    case 'path_response':
      return FrameType.PATH_RESPONSE;
    case 'connection_close':
      return FrameType.CONNECTION_CLOSE;
    case 'application_close':
      return FrameType.APPLICATION_CLOSE;
    case 'handshake_done':
      return FrameType.HANDSHAKE_DONE;
    case 'datagram':
      return f.hasLength ? FrameType.DATAGRAM_LEN : FrameType.DATAGRAM;
    case 'path_ack':
      return f.ecn !== undefined ? FrameType.PATH_ACK_ECN : FrameType.PATH_ACK;
    case 'path_abandon':
      return FrameType.PATH_ABANDON;
    case 'path_status_backup':
      return FrameType.PATH_STATUS_BACKUP;
    case 'path_status_available':
      return FrameType.PATH_STATUS_AVAILABLE;
    case 'path_new_connection_id':
      return FrameType.PATH_NEW_CONNECTION_ID;
    case 'path_retire_connection_id':
      return FrameType.PATH_RETIRE_CONNECTION_ID;
    case 'max_path_id':
      return FrameType.MAX_PATH_ID;
    case 'paths_blocked':
      return FrameType.PATHS_BLOCKED;
    case 'path_cids_blocked':
      return FrameType.PATH_CIDS_BLOCKED;
    case 'sid':
      return FrameType.SID;
    case 'repair':
      return FrameType.REPAIR;
    case 'symbol_ack':
      return FrameType.SYMBOL_ACK;
    default:
      return assertNever(f, 'frame');
  }
}

/** RFC 9000 §19.8: the STREAM type byte; OFF is set only for a non-zero offset. */
export function streamFrameType(offset: number, fin: boolean, hasLength: boolean): number {
  return FrameType.STREAM | (offset > 0 ? StreamBits.OFF : 0) | (hasLength ? StreamBits.LEN : 0) | (fin ? StreamBits.FIN : 0);
}

/**
 * RFC 9002 §2: every frame but ACK, PADDING and CONNECTION_CLOSE is ack-eliciting.
 * PATH_ACK supplements ACK and is not (multipath-21 §4.1; RFC 9000 §19.21 allows an extension
 * that replaces ACK to be non-eliciting); DATAGRAM is (RFC 9221 §5.2); SID and REPAIR are, as
 * every other extension frame (RFC 9000 §19.21).
 */
export function isAckEliciting(f: Frame): boolean {
  switch (f.kind) {
    case 'ack':
    case 'path_ack':
    case 'symbol_ack':
    case 'padding':
    case 'connection_close':
    case 'application_close':
      return false;
    default:
      return true;
  }
}
