/**
 * Types shared by the stream layer and the connection: limits, the peer's transport parameters,
 * recovery tokens (DESIGN §3) and application events.
 */
import type { Frame } from '../wire/frame.js';
import type { StreamId } from './id.js';

/** Our side's limits: what we grant the peer and how much we buffer. */
export interface StreamLimits {
  /** initial_max_streams_bidi / _uni: how many streams of each type the peer may have open. */
  maxStreamsBidi: number;
  maxStreamsUni: number;
  /** RFC 9000 §18.2 initial_max_stream_data_* (receive windows, the start of auto-tuning). */
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  /** Auto-tuning cap per stream (and the reassembly memory bound per stream). */
  maxStreamWindow: number;
  /** initial_max_data and the connection window's auto-tuning cap. */
  initialMaxData: number;
  maxConnectionWindow: number;
  /** Per-stream bytes the app may queue (unacknowledged) before write() accepts less. */
  sendBufferSize: number;
  /**
   * Out-of-order chunks reassembly holds per stream, and across the connection's streams
   * (RFC 9000 §21.7; TransportSettings maxStreamChunks / maxConnectionChunks). Absent: the
   * reassembler's default per stream, no connection-wide bound.
   */
  maxStreamChunks?: number;
  maxConnectionChunks?: number;
}

/** The peer's transport parameters that govern what we may send and open (RFC 9000 §18.2). */
export interface PeerStreamParams {
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
}

/** The stream-layer fields of a set of transport parameters (the peer's, or remembered ones). */
export function peerStreamParams(tp: PeerStreamParams): PeerStreamParams {
  return {
    initialMaxData: tp.initialMaxData,
    initialMaxStreamDataBidiLocal: tp.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: tp.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: tp.initialMaxStreamDataUni,
    initialMaxStreamsBidi: tp.initialMaxStreamsBidi,
    initialMaxStreamsUni: tp.initialMaxStreamsUni,
  };
}

/**
 * Recovery tokens owned by the stream layer (DESIGN §3). The connection records them per sent
 * packet and hands each back through onAcked / onLost. The optional `maximum` / `limit` fields
 * carry the value the frame advertised; when present, a lost frame is only re-sent if it was the
 * most recent for its scope (RFC 9000 §13.3).
 */
export type StreamToken =
  | { kind: 'stream'; id: StreamId; offset: number; length: number; fin: boolean }
  | { kind: 'reset_stream'; id: StreamId }
  | { kind: 'stop_sending'; id: StreamId }
  | { kind: 'max_data'; maximum?: number }
  | { kind: 'max_stream_data'; id: StreamId; maximum?: number }
  | { kind: 'max_streams'; bidi: boolean; maximum?: number }
  | { kind: 'data_blocked'; limit?: number }
  | { kind: 'stream_data_blocked'; id: StreamId; limit?: number }
  | { kind: 'streams_blocked'; bidi: boolean; limit?: number };

export type StreamEvent =
  /** The peer opened a stream (RFC 9000 §3.2: lower-numbered streams are opened first). */
  | { type: 'opened'; id: StreamId }
  /** New in-order data or the FIN is ready to read (at most one queued per stream). */
  | { type: 'readable'; id: StreamId }
  /** Send-buffer space was freed after write() accepted less than offered. */
  | { type: 'writable'; id: StreamId }
  /** The peer reset its sending part (RESET_STREAM); unread data was discarded. */
  | { type: 'reset'; id: StreamId; code: number }
  /** The peer asked us to stop sending; we reset the stream with the same code (§3.5). */
  | { type: 'stop_sending'; id: StreamId; code: number }
  /** All our data including the FIN was acknowledged ("Data Recvd", §3.1). */
  | { type: 'finished'; id: StreamId }
  /** MAX_STREAMS raised the limit after open() had been refused. */
  | { type: 'available'; bidi: boolean };

/** Thrown by write() on a stream whose sending part was reset (locally or at the peer's request). */
export class StreamStoppedError extends RangeError {
  override readonly name = 'StreamStoppedError';
  constructor(
    readonly id: StreamId,
    readonly code: number,
  ) {
    super(`stream ${id} was reset (code ${code})`);
  }
}

/** A control frame to send and the token to record for it (StreamManager.pendingControl). */
export interface ControlFrame {
  frame: Frame;
  token: StreamToken;
}

/** The next STREAM data to send (StreamManager.nextStreamData). */
export interface StreamSlice {
  id: StreamId;
  offset: number;
  /** The bytes are buf[start, start + length) (positions, no view; see SendSlice). */
  buf: Uint8Array;
  start: number;
  length: number;
  fin: boolean;
}
