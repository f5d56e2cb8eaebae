/**
 * QPACK error codes (RFC 9204 §6) and the one error type the QPACK code throws. Whoever drives
 * QPACK maps a QpackError to a connection error (or, for DECOMPRESSION_FAILED on a request
 * stream, possibly a stream error) carrying `code`.
 */

/** RFC 9204 §6 (registered in the HTTP/3 error code space, RFC 9204 §8.3). */
export const QpackErrorCode = {
  /** The decoder could not interpret an encoded field section. */
  DECOMPRESSION_FAILED: 0x200,
  /** The decoder could not interpret an instruction on the encoder stream. */
  ENCODER_STREAM_ERROR: 0x201,
  /** The encoder could not interpret an instruction on the decoder stream. */
  DECODER_STREAM_ERROR: 0x202,
} as const;
export type QpackErrorCode = (typeof QpackErrorCode)[keyof typeof QpackErrorCode];

/** A QPACK failure; `code` is one of QpackErrorCode. */
export class QpackError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'QpackError';
    this.code = code;
  }
}
