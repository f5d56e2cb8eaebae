/**
 * tquic frames as qlog `$QuicFrame` values (draft-ietf-quic-qlog-quic-events §8.13).
 *
 * Decisions:
 * - **No payload bytes.** STREAM, CRYPTO and DATAGRAM data, NEW_TOKEN tokens and REPAIR
 *   symbols are logged by length only. Small protocol values the draft defines as hexstrings
 *   (connection IDs, stateless reset tokens, PATH_CHALLENGE/RESPONSE data) are logged.
 * - **Lengths.** events §8.13.7/§8.13.9/§8.13.23 put the frame's on-the-wire Length field in
 *   `raw.length` (main §10: "re-use the raw.length field"; the frames_parsed example in events
 *   §5.14 chains offsets with it). tquic logs the data length there for STREAM, CRYPTO and
 *   DATAGRAM (with or without a Length field), and the same value as `raw.payload_length`.
 *   PADDING: one frame per run, `raw.payload_length` = bytes of padding (events §8.13.1).
 * - **STREAM** always carries `offset` and `fin`, although the draft defaults them (0, false),
 *   so consumers (the simulator's invariant checker) need not know the defaults.
 * - **ACK ranges** are ascending `[smallest, largest]`, or `[n]` for a single packet (events
 *   §8.13.3 SHOULD). `ack_delay` is in ms: the raw field scaled by 2^ack_delay_exponent
 *   (RFC 9000 §19.3), with the exponent supplied by the caller (default 3, RFC 9000 §18.2).
 * - **Frames the draft does not define** (multipath PATH_* frames, FEC SID and REPAIR): no qlog
 *   draft defines them, so they are `{frame_type: "unknown", frame_type_bytes}` (events
 *   §8.13.22) — what every qlog tool understands — extended through the `$QuicFrame` type
 *   socket (events §8.13: any key-value map) with `frame_name` (tquic's kind) and the frame's
 *   fields in snake_case after the wire drafts' field names (multipath-21 §4, specs/fec.md B7).
 */
import { assertNever } from '../util/assert.js';
import { FrameType, frameTypeOf, type AckBody, type Frame } from '../wire/frame.js';
import { DEFAULT_ACK_DELAY_EXPONENT } from '../wire/transport-params.js';
import {
  qlogHex,
  transportErrorToQlog,
  type ApplicationErrorName,
  type ConnectionID,
  type CryptoErrorName,
  type Hexstring,
  type RawInfo,
  type StatelessResetToken,
  type StreamType,
  type Token,
  type TransportErrorName,
} from './common.js';

/** events §8.13.3: [n] or [from, to] (inclusive). */
export type QlogAckRange = [number] | [number, number];

/** A PADDING frame in qlog (events §8.13.1). */
export interface QlogPaddingFrame { frame_type: 'padding'; raw?: RawInfo }
/** A PING frame in qlog (events §8.13.2). */
export interface QlogPingFrame { frame_type: 'ping'; raw?: RawInfo }
/** events §8.13.3 */
export interface QlogAckFrame {
  frame_type: 'ack';
  /** ms */
  ack_delay?: number;
  acked_ranges?: QlogAckRange[];
  ect1?: number;
  ect0?: number;
  ce?: number;
  raw?: RawInfo;
}
/** events §8.13.4 */
export interface QlogResetStreamFrame {
  frame_type: 'reset_stream';
  stream_id: number;
  error: ApplicationErrorName;
  error_code?: number;
  final_size: number;
  raw?: RawInfo;
}
/** events §8.13.5 (tquic does not implement RESET_STREAM_AT; typed for completeness). */
export interface QlogResetStreamAtFrame {
  frame_type: 'reset_stream_at';
  stream_id: number;
  error: ApplicationErrorName;
  error_code?: number;
  final_size: number;
  reliable_size: number;
  raw?: RawInfo;
}
/** events §8.13.6 */
export interface QlogStopSendingFrame {
  frame_type: 'stop_sending';
  stream_id: number;
  error: ApplicationErrorName;
  error_code?: number;
  raw?: RawInfo;
}
/** events §8.13.7: `raw.length` is required (the data length). */
export interface QlogCryptoFrame { frame_type: 'crypto'; offset: number; raw: RawInfo }
/** events §8.13.8 */
export interface QlogNewTokenFrame { frame_type: 'new_token'; token: Token; raw?: RawInfo }
/** events §8.13.9 */
export interface QlogStreamFrame {
  frame_type: 'stream';
  stream_id: number;
  offset?: number;
  fin?: boolean;
  raw?: RawInfo;
}
/** events §8.13.10 */
export interface QlogMaxDataFrame { frame_type: 'max_data'; maximum: number; raw?: RawInfo }
/** events §8.13.11 */
export interface QlogMaxStreamDataFrame { frame_type: 'max_stream_data'; stream_id: number; maximum: number; raw?: RawInfo }
/** events §8.13.12 */
export interface QlogMaxStreamsFrame { frame_type: 'max_streams'; stream_type: StreamType; maximum: number; raw?: RawInfo }
/** events §8.13.13 */
export interface QlogDataBlockedFrame { frame_type: 'data_blocked'; limit: number; raw?: RawInfo }
/** events §8.13.14 */
export interface QlogStreamDataBlockedFrame { frame_type: 'stream_data_blocked'; stream_id: number; limit: number; raw?: RawInfo }
/** events §8.13.15 */
export interface QlogStreamsBlockedFrame { frame_type: 'streams_blocked'; stream_type: StreamType; limit: number; raw?: RawInfo }
/** events §8.13.16 */
export interface QlogNewConnectionIdFrame {
  frame_type: 'new_connection_id';
  sequence_number: number;
  retire_prior_to: number;
  connection_id_length?: number;
  connection_id: ConnectionID;
  stateless_reset_token?: StatelessResetToken;
  raw?: RawInfo;
}
/** events §8.13.17 */
export interface QlogRetireConnectionIdFrame { frame_type: 'retire_connection_id'; sequence_number: number; raw?: RawInfo }
/** events §8.13.18 */
export interface QlogPathChallengeFrame { frame_type: 'path_challenge'; data?: Hexstring; raw?: RawInfo }
/** events §8.13.19 */
export interface QlogPathResponseFrame { frame_type: 'path_response'; data?: Hexstring; raw?: RawInfo }
/** events §8.13.20 */
export interface QlogConnectionCloseFrame {
  frame_type: 'connection_close';
  error_space?: 'transport' | 'application';
  error?: TransportErrorName | CryptoErrorName | ApplicationErrorName;
  error_code?: number;
  reason?: string;
  reason_bytes?: Hexstring;
  /** A qlog frame_type name for known types, else the numeric type. */
  trigger_frame_type?: number | string;
  raw?: RawInfo;
}
/** events §8.13.21 */
export interface QlogHandshakeDoneFrame { frame_type: 'handshake_done'; raw?: RawInfo }
/** events §8.13.22: a frame type tquic could not decode or the draft does not define. */
export interface QlogUnknownFrame { frame_type: 'unknown'; frame_type_bytes: number; frame_name?: undefined; raw?: RawInfo }
/** events §8.13.23 */
export interface QlogDatagramFrame { frame_type: 'datagram'; raw?: RawInfo }

// ---- extension frames: UnknownFrame + `$QuicFrame` socket fields (see the header comment) ----

interface ExtensionFrame {
  frame_type: 'unknown';
  frame_type_bytes: number;
  raw?: RawInfo;
}
/** multipath-21 §4.1 */
export interface QlogPathAckFrame extends ExtensionFrame {
  frame_name: 'path_ack';
  path_id: number;
  ack_delay?: number;
  acked_ranges?: QlogAckRange[];
  ect1?: number;
  ect0?: number;
  ce?: number;
}
/** multipath-21 §4.2. `error_code` is the raw code (multipath-21 §4.2.1 / §7.3). */
export interface QlogPathAbandonFrame extends ExtensionFrame { frame_name: 'path_abandon'; path_id: number; error_code: number }
/** multipath-21 §4.3 */
export interface QlogPathStatusFrame extends ExtensionFrame {
  frame_name: 'path_status_backup' | 'path_status_available';
  path_id: number;
  path_status_sequence_number: number;
}
/** multipath-21 §4.4 */
export interface QlogPathNewConnectionIdFrame extends ExtensionFrame {
  frame_name: 'path_new_connection_id';
  path_id: number;
  sequence_number: number;
  retire_prior_to: number;
  connection_id_length: number;
  connection_id: ConnectionID;
  stateless_reset_token: StatelessResetToken;
}
/** multipath-21 §4.5 */
export interface QlogPathRetireConnectionIdFrame extends ExtensionFrame {
  frame_name: 'path_retire_connection_id';
  path_id: number;
  sequence_number: number;
}
/** multipath-21 §4.6 / §4.7 */
export interface QlogMaxPathIdFrame extends ExtensionFrame { frame_name: 'max_path_id' | 'paths_blocked'; maximum_path_id: number }
/** multipath-21 §4.7 */
export interface QlogPathCidsBlockedFrame extends ExtensionFrame { frame_name: 'path_cids_blocked'; path_id: number; next_sequence_number: number }
/** specs/fec.md B7 item 3 */
export interface QlogSidFrame extends ExtensionFrame { frame_name: 'sid'; flow_id: number; source_payload_id: number }
/** specs/fec.md B7 item 4. Key and symbol are logged by length only. */
export interface QlogRepairFrame extends ExtensionFrame {
  frame_name: 'repair';
  flow_id: number;
  fss_esi: number;
  repair_payload_id: number;
  repair_key_length: number;
  repair_symbol_length: number;
}

/** specs/fec.md B7 item 6: Source Payload IDs the receiver recovered. */
export interface QlogSymbolAckFrame extends ExtensionFrame {
  frame_name: 'symbol_ack';
  acked_ranges: QlogAckRange[];
}

/**
 * Frames no qlog draft defines (multipath PATH_* frames, FEC SID, REPAIR and SYMBOL_ACK): unknown
 * frames (`frame_type: "unknown"`, `frame_type_bytes`, events §8.13.22) extended with
 * `frame_name` and the frame's fields through the `$QuicFrame` socket (events §8.13).
 */
export type QlogExtensionFrame =
  | QlogPathAckFrame
  | QlogPathAbandonFrame
  | QlogPathStatusFrame
  | QlogPathNewConnectionIdFrame
  | QlogPathRetireConnectionIdFrame
  | QlogMaxPathIdFrame
  | QlogPathCidsBlockedFrame
  | QlogSidFrame
  | QlogRepairFrame
  | QlogSymbolAckFrame;

/** events §8.13 QuicBaseFrames, plus tquic's extension frames. */
export type QlogFrame =
  | QlogPaddingFrame
  | QlogPingFrame
  | QlogAckFrame
  | QlogResetStreamFrame
  | QlogResetStreamAtFrame
  | QlogStopSendingFrame
  | QlogCryptoFrame
  | QlogNewTokenFrame
  | QlogStreamFrame
  | QlogMaxDataFrame
  | QlogMaxStreamDataFrame
  | QlogMaxStreamsFrame
  | QlogDataBlockedFrame
  | QlogStreamDataBlockedFrame
  | QlogStreamsBlockedFrame
  | QlogNewConnectionIdFrame
  | QlogRetireConnectionIdFrame
  | QlogPathChallengeFrame
  | QlogPathResponseFrame
  | QlogConnectionCloseFrame
  | QlogHandshakeDoneFrame
  | QlogUnknownFrame
  | QlogDatagramFrame
  | QlogExtensionFrame;

/** Options of `frameToQlog`. */
export interface FrameToQlogOptions {
  /**
   * The ack_delay_exponent that scales ACK / PATH_ACK delays (RFC 9000 §18.2): the local one for
   * frames we send, the peer's for frames we receive. Default 3.
   */
  ackDelayExponent?: number;
}

/** The qlog frame_type name of a numeric frame type (for `trigger_frame_type`), if the draft has one. */
export function qlogFrameTypeName(type: number): string | undefined {
  if (type >= FrameType.STREAM && type <= FrameType.STREAM_MAX) return 'stream';
  return FRAME_TYPE_NAMES.get(type);
}
const FRAME_TYPE_NAMES = new Map<number, string>([
  [FrameType.PADDING, 'padding'],
  [FrameType.PING, 'ping'],
  [FrameType.ACK, 'ack'],
  [FrameType.ACK_ECN, 'ack'],
  [FrameType.RESET_STREAM, 'reset_stream'],
  [FrameType.STOP_SENDING, 'stop_sending'],
  [FrameType.CRYPTO, 'crypto'],
  [FrameType.NEW_TOKEN, 'new_token'],
  [FrameType.MAX_DATA, 'max_data'],
  [FrameType.MAX_STREAM_DATA, 'max_stream_data'],
  [FrameType.MAX_STREAMS_BIDI, 'max_streams'],
  [FrameType.MAX_STREAMS_UNI, 'max_streams'],
  [FrameType.DATA_BLOCKED, 'data_blocked'],
  [FrameType.STREAM_DATA_BLOCKED, 'stream_data_blocked'],
  [FrameType.STREAMS_BLOCKED_BIDI, 'streams_blocked'],
  [FrameType.STREAMS_BLOCKED_UNI, 'streams_blocked'],
  [FrameType.NEW_CONNECTION_ID, 'new_connection_id'],
  [FrameType.RETIRE_CONNECTION_ID, 'retire_connection_id'],
  [FrameType.PATH_CHALLENGE, 'path_challenge'],
  [FrameType.PATH_RESPONSE, 'path_response'],
  [FrameType.CONNECTION_CLOSE, 'connection_close'],
  [FrameType.APPLICATION_CLOSE, 'connection_close'],
  [FrameType.HANDSHAKE_DONE, 'handshake_done'],
  [0x24, 'reset_stream_at'], // draft-ietf-quic-reliable-stream-reset
  [FrameType.DATAGRAM, 'datagram'],
  [FrameType.DATAGRAM_LEN, 'datagram'],
]);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** events §8.13.20: the reason phrase as text when it is valid UTF-8, else as `reason_bytes`. */
function reasonFields(reason: Uint8Array): { reason?: string; reason_bytes?: Hexstring } {
  if (reason.length === 0) return {};
  try {
    return { reason: UTF8.decode(reason) };
  } catch {
    return { reason_bytes: qlogHex(reason) };
  }
}

/** ACK / PATH_ACK body fields (events §8.13.3). */
function ackFields(b: AckBody, exponent: number): Pick<QlogAckFrame, 'ack_delay' | 'acked_ranges' | 'ect1' | 'ect0' | 'ce'> {
  const acked_ranges: QlogAckRange[] = [];
  // tquic keeps ranges descending; qlog tools read ascending more naturally (order is free).
  for (let i = b.ranges.length - 1; i >= 0; i--) {
    const r = b.ranges[i]!;
    acked_ranges.push(r.smallest === r.largest ? [r.smallest] : [r.smallest, r.largest]);
  }
  const out: Pick<QlogAckFrame, 'ack_delay' | 'acked_ranges' | 'ect1' | 'ect0' | 'ce'> = {
    // RFC 9000 §19.3: ACK Delay is in µs scaled down by 2^ack_delay_exponent.
    ack_delay: (b.ackDelay * 2 ** exponent) / 1000,
    acked_ranges,
  };
  if (b.ecn !== undefined) {
    out.ect1 = b.ecn.ect1;
    out.ect0 = b.ecn.ect0;
    out.ce = b.ecn.ce;
  }
  return out;
}

/** A data-carrying frame's lengths (see the header comment). */
function dataRaw(n: number): RawInfo {
  return { length: n, payload_length: n };
}

/** One tquic frame as its qlog representation. Allocates; call only when a sink is attached. */
export function frameToQlog(f: Frame, opts: FrameToQlogOptions = {}): QlogFrame {
  const exponent = opts.ackDelayExponent ?? DEFAULT_ACK_DELAY_EXPONENT;
  switch (f.kind) {
    case 'padding':
      return { frame_type: 'padding', raw: { length: f.length, payload_length: f.length } };
    case 'ping':
      return { frame_type: 'ping' };
    case 'ack':
      return { frame_type: 'ack', ...ackFields(f, exponent) };
    case 'reset_stream':
      return { frame_type: 'reset_stream', stream_id: f.streamId, error: 'unknown', error_code: f.errorCode, final_size: f.finalSize };
    case 'stop_sending':
      return { frame_type: 'stop_sending', stream_id: f.streamId, error: 'unknown', error_code: f.errorCode };
    case 'crypto':
      return { frame_type: 'crypto', offset: f.offset, raw: dataRaw(f.data.length) };
    case 'new_token':
      return { frame_type: 'new_token', token: { raw: { length: f.token.length } } };
    case 'stream':
      return { frame_type: 'stream', stream_id: f.streamId, offset: f.offset, fin: f.fin, raw: dataRaw(f.data.length) };
    case 'max_data':
      return { frame_type: 'max_data', maximum: f.maximum };
    case 'max_stream_data':
      return { frame_type: 'max_stream_data', stream_id: f.streamId, maximum: f.maximum };
    case 'max_streams':
      return { frame_type: 'max_streams', stream_type: f.bidi ? 'bidirectional' : 'unidirectional', maximum: f.maximum };
    case 'data_blocked':
      return { frame_type: 'data_blocked', limit: f.limit };
    case 'stream_data_blocked':
      return { frame_type: 'stream_data_blocked', stream_id: f.streamId, limit: f.limit };
    case 'streams_blocked':
      return { frame_type: 'streams_blocked', stream_type: f.bidi ? 'bidirectional' : 'unidirectional', limit: f.limit };
    case 'new_connection_id':
      return {
        frame_type: 'new_connection_id',
        sequence_number: f.sequence,
        retire_prior_to: f.retirePriorTo,
        connection_id_length: f.cid.length,
        connection_id: qlogHex(f.cid),
        stateless_reset_token: qlogHex(f.resetToken),
      };
    case 'retire_connection_id':
      return { frame_type: 'retire_connection_id', sequence_number: f.sequence };
    case 'path_challenge':
      return { frame_type: 'path_challenge', data: qlogHex(f.data) };
    case 'path_response':
      return { frame_type: 'path_response', data: qlogHex(f.data) };
    case 'connection_close': {
      const out: QlogConnectionCloseFrame = { frame_type: 'connection_close', error_space: 'transport', ...transportErrorToQlog(f.errorCode) };
      Object.assign(out, reasonFields(f.reason));
      // RFC 9000 §19.19: frame type 0 means "unknown", so it is not logged.
      if (f.frameType !== 0) out.trigger_frame_type = qlogFrameTypeName(f.frameType) ?? f.frameType;
      return out;
    }
    case 'application_close':
      return { frame_type: 'connection_close', error_space: 'application', error: 'unknown', error_code: f.errorCode, ...reasonFields(f.reason) };
    case 'handshake_done':
      return { frame_type: 'handshake_done' };
    case 'datagram':
      return { frame_type: 'datagram', raw: dataRaw(f.data.length) };
    case 'path_ack':
      return { frame_type: 'unknown', frame_type_bytes: frameTypeOf(f), frame_name: 'path_ack', path_id: f.pathId, ...ackFields(f, exponent) };
    case 'path_abandon':
      return { frame_type: 'unknown', frame_type_bytes: FrameType.PATH_ABANDON, frame_name: 'path_abandon', path_id: f.pathId, error_code: f.errorCode };
    case 'path_status_backup':
    case 'path_status_available':
      return {
        frame_type: 'unknown',
        frame_type_bytes: frameTypeOf(f),
        frame_name: f.kind,
        path_id: f.pathId,
        path_status_sequence_number: f.sequence,
      };
    case 'path_new_connection_id':
      return {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.PATH_NEW_CONNECTION_ID,
        frame_name: 'path_new_connection_id',
        path_id: f.pathId,
        sequence_number: f.sequence,
        retire_prior_to: f.retirePriorTo,
        connection_id_length: f.cid.length,
        connection_id: qlogHex(f.cid),
        stateless_reset_token: qlogHex(f.resetToken),
      };
    case 'path_retire_connection_id':
      return {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.PATH_RETIRE_CONNECTION_ID,
        frame_name: 'path_retire_connection_id',
        path_id: f.pathId,
        sequence_number: f.sequence,
      };
    case 'max_path_id':
    case 'paths_blocked':
      return { frame_type: 'unknown', frame_type_bytes: frameTypeOf(f), frame_name: f.kind, maximum_path_id: f.maxPathId };
    case 'path_cids_blocked':
      return {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.PATH_CIDS_BLOCKED,
        frame_name: 'path_cids_blocked',
        path_id: f.pathId,
        next_sequence_number: f.nextSequence,
      };
    case 'sid':
      return { frame_type: 'unknown', frame_type_bytes: FrameType.SID, frame_name: 'sid', flow_id: f.flowId, source_payload_id: f.sourcePayloadId };
    case 'repair':
      return {
        frame_type: 'unknown',
        frame_type_bytes: FrameType.REPAIR,
        frame_name: 'repair',
        flow_id: f.flowId,
        fss_esi: f.fssEsi,
        repair_payload_id: f.repairPayloadId,
        repair_key_length: f.repairKey.length,
        repair_symbol_length: f.repairSymbol.length,
        raw: { payload_length: f.repairSymbol.length },
      };
    case 'symbol_ack':
      return { frame_type: 'unknown', frame_type_bytes: FrameType.SYMBOL_ACK, frame_name: 'symbol_ack', acked_ranges: ackFields(f, 0).acked_ranges ?? [] };
    default:
      return assertNever(f, 'frame');
  }
}

/** A packet's frames as qlog frames (packet_sent / packet_received / packet_lost `frames`). */
export function framesToQlog(frames: readonly Frame[], opts: FrameToQlogOptions = {}): QlogFrame[] {
  const out: QlogFrame[] = new Array<QlogFrame>(frames.length);
  for (let i = 0; i < frames.length; i++) out[i] = frameToQlog(frames[i]!, opts);
  return out;
}
