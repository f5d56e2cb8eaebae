/**
 * TLS 1.3 HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1, unchanged in RFC 9846 §7.1),
 * which QUIC uses for every key it derives (RFC 9001 §5.1).
 */
import { HASH_LENGTH, type CryptoProvider, type HashName } from './provider.js';

const LABEL_PREFIX = 'tls13 ';
const EMPTY = new Uint8Array(0);

/**
 * The serialized HkdfLabel (RFC 8446 §7.1):
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
 */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const full = LABEL_PREFIX + label;
  if (full.length > 255) throw new RangeError('HKDF label too long');
  if (context.length > 255) throw new RangeError('HKDF context too long');
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) throw new RangeError('HKDF length out of range');
  const out = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = full.length;
  for (let i = 0; i < full.length; i++) {
    const c = full.charCodeAt(i);
    if (c > 0x7f) throw new RangeError('HKDF label must be ASCII');
    out[3 + i] = c;
  }
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length). */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return provider.hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

/**
 * Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
 * Transcript-Hash(Messages), Hash.length). The caller passes the transcript hash itself; for
 * the "derived" steps of the key schedule that is Hash("") (see `emptyHash`).
 */
export function deriveSecret(
  provider: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, HASH_LENGTH[hash]);
}

/** Transcript-Hash of no messages, i.e. Hash("") (RFC 8446 §7.1 "derived" steps). */
export function emptyHash(provider: CryptoProvider, hash: HashName): Uint8Array {
  return provider.hash(hash, EMPTY);
}
