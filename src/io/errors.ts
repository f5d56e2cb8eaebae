/** Errors of the public API, with readable messages built from the core's close reasons. */
import type { CloseInfo } from '../connection/types.js';
import { errorName } from '../wire/errors.js';

/** The `code` of a QuicError or QuicStreamError, Node style. */
export type QuicErrorCode =
  /** The connection closed before its handshake completed (TLS alert, refused, reset …). */
  | 'ERR_QUIC_HANDSHAKE_FAILED'
  /** No handshake within the time allowed (`connect`'s timeout, or the core's handshake timeout). */
  | 'ERR_QUIC_HANDSHAKE_TIMEOUT'
  /** The connection closed under the operation or stream (with an error code other than 0 for a stream). */
  | 'ERR_QUIC_CONNECTION_CLOSED'
  /** The peer reset the stream (RESET_STREAM, RFC 9000 §19.4), or it was destroyed or its sending part closed. */
  | 'ERR_QUIC_STREAM_RESET'
  /** The peer sent STOP_SENDING (RFC 9000 §19.5) and no 'stopSending' listener answered with `reset`. */
  | 'ERR_QUIC_STOP_SENDING'
  /** Reserved: not raised by this implementation (openStream waits for stream credit instead). */
  | 'ERR_QUIC_STREAM_LIMIT'
  /** `migrate` refused: see QuicConnection.migrate. */
  | 'ERR_QUIC_MIGRATION'
  /** `openPath` refused (multipath not negotiated, no path ID or connection ID available). */
  | 'ERR_QUIC_PATH';

/** A connection or handshake error; `closeInfo` says how the connection ended, when it did. */
export class QuicError extends Error {
  override name = 'QuicError';
  constructor(
    message: string,
    readonly code: QuicErrorCode,
    readonly closeInfo?: CloseInfo,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A stream was reset by the peer (RESET_STREAM, RFC 9000 §19.4), the peer asked us to stop
 * sending (STOP_SENDING, §19.5), or the connection closed under it. `errorCode` is the
 * application error code of the frame (or of the connection close).
 */
export class QuicStreamError extends Error {
  override name = 'QuicStreamError';
  constructor(
    message: string,
    readonly code: QuicErrorCode,
    readonly errorCode: number,
    readonly streamId: number,
  ) {
    super(message);
  }
}

/** The rejection of an aborted operation, shaped like Node's own AbortError. */
export class AbortError extends Error {
  override name = 'AbortError';
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** "CRYPTO_ERROR(0x2a) from the peer: TLS alert bad_certificate: …" and the like. */
export function describeClose(info: CloseInfo): string {
  const who = info.initiator === 'remote' ? ' by the peer' : info.initiator === 'local' ? ' locally' : '';
  const reason = info.reason ? `: ${info.reason}` : '';
  switch (info.kind) {
    case 'transport': {
      const frame = info.frameType !== undefined ? ` (frame type 0x${info.frameType.toString(16)})` : '';
      return `closed${who} with transport error ${errorName(info.code)}${frame}${reason}`;
    }
    case 'application':
      return `closed${who} with application error code ${info.code}${reason}`;
    case 'idle_timeout':
      return 'idle timeout: no packets from the peer';
    case 'handshake_timeout':
      return `handshake timeout${reason}`;
    case 'stateless_reset':
      return 'stateless reset by the peer';
  }
}

/** A clean end: an application close with code 0 (RFC 9000 §10.2 NO_ERROR semantics). */
export function isCleanClose(info: CloseInfo): boolean {
  return (info.kind === 'application' || info.kind === 'transport') && info.code === 0;
}
