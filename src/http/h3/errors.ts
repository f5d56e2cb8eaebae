/**
 * HTTP/3 error codes (RFC 9114 §8.1) and the error that carries one through the session.
 *
 * An `H3Error` is thrown only inside the HTTP/3 layer (frame parsing, stream-type and frame
 * legality checks, message validation) and caught at the stream's boundary, where it becomes
 * either a connection error (CONNECTION_CLOSE with the code, RFC 9114 §8) or a stream error
 * (RESET_STREAM and STOP_SENDING with the code, RFC 9114 §8 and RFC 9000 §2.4).
 */

/** RFC 9114 §8.1 */
export const H3ErrorCode = {
  H3_NO_ERROR: 0x100,
  H3_GENERAL_PROTOCOL_ERROR: 0x101,
  H3_INTERNAL_ERROR: 0x102,
  H3_STREAM_CREATION_ERROR: 0x103,
  H3_CLOSED_CRITICAL_STREAM: 0x104,
  H3_FRAME_UNEXPECTED: 0x105,
  H3_FRAME_ERROR: 0x106,
  H3_EXCESSIVE_LOAD: 0x107,
  H3_ID_ERROR: 0x108,
  H3_SETTINGS_ERROR: 0x109,
  H3_MISSING_SETTINGS: 0x10a,
  H3_REQUEST_REJECTED: 0x10b,
  H3_REQUEST_CANCELLED: 0x10c,
  H3_REQUEST_INCOMPLETE: 0x10d,
  H3_MESSAGE_ERROR: 0x10e,
  H3_CONNECT_ERROR: 0x10f,
  H3_VERSION_FALLBACK: 0x110,
} as const;
export type H3ErrorCode = (typeof H3ErrorCode)[keyof typeof H3ErrorCode];

const NAMES = new Map<number, string>(Object.entries(H3ErrorCode).map(([k, v]) => [v, k]));

/**
 * The name of an HTTP/3 (or QPACK, RFC 9204 §6) application error code, e.g. "H3_FRAME_ERROR";
 * a reserved code (0x1f·N + 0x21, RFC 9114 §8.1) or anything else as hex.
 */
export function h3ErrorName(code: number): string {
  const n = NAMES.get(code);
  if (n !== undefined) return n;
  if (code === 0x200) return 'QPACK_DECOMPRESSION_FAILED';
  if (code === 0x201) return 'QPACK_ENCODER_STREAM_ERROR';
  if (code === 0x202) return 'QPACK_DECODER_STREAM_ERROR';
  return `0x${code.toString(16)}`;
}

/** Whether `v` is of the reserved form 0x1f·N + 0x21 (RFC 9114 §6.2.3, §7.2.4.1, §7.2.8, §8.1). */
export function isReservedId(v: number): boolean {
  // Exact for every value a number holds exactly (< 2^53); larger ones are "unknown" either way.
  return v >= 0x21 && Number.isSafeInteger(v) && (v - 0x21) % 0x1f === 0;
}

/**
 * A protocol error found in the peer's HTTP/3 data. `scope` says how it ends: the whole
 * connection (RFC 9114 §8: "connection error") or only the stream it occurred on.
 */
export class H3Error extends Error {
  override name = 'H3Error';
  constructor(
    readonly code: number,
    message: string,
    readonly scope: 'connection' | 'stream' = 'connection',
  ) {
    super(message);
  }
}
