/**
 * The one error type of tquic's protocol core (DESIGN §3).
 *
 * It is defined here, at layer 0, so that the bounds-checked ByteReader can throw it directly:
 * decoding untrusted bytes then throws nothing but a TransportError, without a try/catch and
 * conversion at every decoder. `wire/errors.ts` re-exports it together with the full table of
 * code names (RFC 9000 §20.1, CRYPTO_ERROR range, multipath and FEC codes).
 */

/** RFC 9000 §20.1 transport error codes used by the lower layers. */
export const ErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  /** RFC 9000 §20.1: 0x0100-0x01ff carry a TLS alert in the low byte. */
  CRYPTO_ERROR_BASE: 0x0100,
  /** RFC 9368 §10.2 */
  VERSION_NEGOTIATION_ERROR: 0x11,
} as const;

/**
 * A QUIC transport error: the wire code, the frame type that caused it and a reason. Decoders and
 * the connection throw it; the connection closes with CONNECTION_CLOSE carrying the three (RFC 9000
 * §10.2, §19.19).
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /**
   * @param code       the wire error code (RFC 9000 §20.1 and extensions)
   * @param frameType  the frame type that triggered the error, when known (RFC 9000 §19.19);
   *                   undefined when the error is not caused by a frame
   * @param reason     a human-readable reason, sent as the CONNECTION_CLOSE reason phrase
   */
  constructor(
    readonly code: number,
    readonly frameType: number | undefined = undefined,
    readonly reason: string = '',
  ) {
    super(reason === '' ? `transport error 0x${code.toString(16)}` : reason);
  }
}

/** Shorthand for the most common decoding failure. */
export function frameEncodingError(reason: string, frameType?: number): TransportError {
  return new TransportError(ErrorCode.FRAME_ENCODING_ERROR, frameType, reason);
}
