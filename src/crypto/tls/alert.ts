/**
 * TLS alerts (RFC 8446 §6) as QUIC errors.
 *
 * QUIC has no TLS record layer, so an alert is never sent as a TLS record: RFC 9001 §4.8 maps
 * it to a CONNECTION_CLOSE with the transport error code CRYPTO_ERROR = 0x0100 + alert
 * (RFC 9000 §20.1). `tlsAlert` builds that TransportError; the connection layer sends it.
 */
import { TransportError, cryptoError, isCryptoError } from '../../wire/errors.js';

/** RFC 8446 §6 / Appendix B.2: AlertDescription values (the reserved ones are left out). */
export const AlertDescription = {
  CLOSE_NOTIFY: 0,
  UNEXPECTED_MESSAGE: 10,
  BAD_RECORD_MAC: 20,
  RECORD_OVERFLOW: 22,
  HANDSHAKE_FAILURE: 40,
  BAD_CERTIFICATE: 42,
  UNSUPPORTED_CERTIFICATE: 43,
  CERTIFICATE_REVOKED: 44,
  CERTIFICATE_EXPIRED: 45,
  CERTIFICATE_UNKNOWN: 46,
  ILLEGAL_PARAMETER: 47,
  UNKNOWN_CA: 48,
  ACCESS_DENIED: 49,
  DECODE_ERROR: 50,
  DECRYPT_ERROR: 51,
  PROTOCOL_VERSION: 70,
  INSUFFICIENT_SECURITY: 71,
  INTERNAL_ERROR: 80,
  INAPPROPRIATE_FALLBACK: 86,
  USER_CANCELED: 90,
  MISSING_EXTENSION: 109,
  UNSUPPORTED_EXTENSION: 110,
  UNRECOGNIZED_NAME: 112,
  BAD_CERTIFICATE_STATUS_RESPONSE: 113,
  UNKNOWN_PSK_IDENTITY: 115,
  CERTIFICATE_REQUIRED: 116,
  /** RFC 9846 §6.2 (new in the revision of RFC 8446). */
  GENERAL_ERROR: 117,
  NO_APPLICATION_PROTOCOL: 120,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

const NAMES = new Map<number, string>(Object.entries(AlertDescription).map(([k, v]) => [v, k.toLowerCase()]));

/** The RFC 8446 §6 name of an alert ("decode_error"), or "alert(0x..)" for an unnamed one. */
export function alertName(alert: number): string {
  return NAMES.get(alert) ?? `alert(0x${(alert & 0xff).toString(16).padStart(2, '0')})`;
}

/**
 * RFC 9001 §4.8: a TLS alert becomes the QUIC error CRYPTO_ERROR (0x0100 + alert). The reason
 * reads "TLS alert decode_error: <reason>". `frameType` is left for the connection layer, which
 * knows which CRYPTO frame carried the offending bytes.
 */
export function tlsAlert(alert: number, reason: string, frameType?: number): TransportError {
  return new TransportError(cryptoError(alert), frameType, `TLS alert ${alertName(alert)}: ${reason}`);
}

/** The TLS alert carried by a CRYPTO_ERROR code, or undefined for any other code. */
export function alertOf(code: number): number | undefined {
  return isCryptoError(code) ? code & 0xff : undefined;
}
