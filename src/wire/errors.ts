/**
 * The one table of error codes (DESIGN §3): RFC 9000 §20.1 transport errors, the CRYPTO_ERROR
 * range (0x0100 + TLS alert), RFC 9368 §10.2, draft-ietf-quic-multipath-21 §7.3 path error codes
 * and the project's FEC code. TransportError itself is defined in util/ (see there why) and
 * re-exported here.
 */
export { TransportError, ErrorCode, frameEncodingError } from '../util/transport-error.js';
import { ErrorCode } from '../util/transport-error.js';

/**
 * draft-ietf-quic-multipath-21 §7.3: codes carried by PATH_ABANDON (and registered in the
 * QUIC Transport Error Codes registry). NO_ERROR (0) means an orderly abandon.
 */
export const PathErrorCode = {
  /** §7.3 (0x3e75 … 0x3e77 suggested; APPLICATION_ABANDON_PATH per specs/multipath.md A3). */
  APPLICATION_ABANDON_PATH: 0x3e,
  PATH_RESOURCE_LIMIT_REACHED: 0x3e75,
  PATH_UNSTABLE_OR_POOR: 0x3e76,
  NO_CID_AVAILABLE_FOR_PATH: 0x3e77,
} as const;

/** All named codes, for `errorName`. */
const NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(ErrorCode)) if (k !== 'CRYPTO_ERROR_BASE') NAMES.set(v, k);
for (const [k, v] of Object.entries(PathErrorCode)) NAMES.set(v, k);

/** RFC 9000 §20.1: CRYPTO_ERROR for a TLS alert (RFC 8446 §6). */
export function cryptoError(alert: number): number {
  return ErrorCode.CRYPTO_ERROR_BASE + (alert & 0xff);
}

/**
 * Whether a code is in the CRYPTO_ERROR range 0x0100–0x01ff, a TLS alert in the low byte (RFC 9000
 * §20.1).
 */
export function isCryptoError(code: number): boolean {
  return code >= 0x0100 && code <= 0x01ff;
}

/** A printable name: "PROTOCOL_VIOLATION", "CRYPTO_ERROR(0x28)", or "0x1234". */
export function errorName(code: number): string {
  const n = NAMES.get(code);
  if (n !== undefined) return n;
  if (isCryptoError(code)) return `CRYPTO_ERROR(0x${(code & 0xff).toString(16).padStart(2, '0')})`;
  return `0x${code.toString(16)}`;
}
