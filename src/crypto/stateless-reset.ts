/**
 * Stateless reset tokens (RFC 9000 §10.3). §10.3.2 suggests deriving the token from the
 * connection ID with a keyed function and a static key, so a restarted endpoint can still
 * produce the token for a connection it has forgotten:
 *   token = HMAC-SHA256(static_key, connection_id)[0..16]
 * The static key must be secret and random (§10.3.2); distinct endpoints sharing a key would
 * enable the stateless reset oracle of §21.11.
 */
import type { CryptoProvider } from './provider.js';

/** RFC 9000 §10.3: the token is 16 bytes. */
export const STATELESS_RESET_TOKEN_LENGTH = 16;

/** The stateless reset token for a connection ID we issued. */
export function statelessResetToken(provider: CryptoProvider, staticKey: Uint8Array, connectionId: Uint8Array): Uint8Array {
  if (staticKey.length < 16) throw new RangeError('stateless reset key must be at least 16 bytes');
  return provider.hmac('sha256', staticKey, connectionId).subarray(0, STATELESS_RESET_TOKEN_LENGTH);
}

/**
 * Constant-time equality of two byte strings (RFC 9000 §10.3.1: endpoints "MUST perform the
 * comparison without leaking information about the value of the token"). The running time
 * depends only on the lengths, which are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * RFC 9000 §10.3.1: does a datagram end with this token? A stateless reset is detected by
 * comparing the last 16 bytes of a datagram that could not be processed.
 */
export function endsWithResetToken(datagram: Uint8Array, token: Uint8Array): boolean {
  if (datagram.length < STATELESS_RESET_TOKEN_LENGTH || token.length !== STATELESS_RESET_TOKEN_LENGTH) return false;
  return constantTimeEqual(datagram.subarray(datagram.length - STATELESS_RESET_TOKEN_LENGTH), token);
}
