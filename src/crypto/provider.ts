/**
 * The crypto provider interface (DESIGN §5) and the table of TLS 1.3 cipher suites QUIC uses.
 *
 * Two providers implement it: `noble` (pure JavaScript, the portable reference) and `node`
 * (OpenSSL through node:crypto). Everything above this file speaks only to the interface, so
 * the choice is one option (`--crypto noble|node`).
 *
 * The TLS 1.3 engine also takes its (EC)DHE key exchange (RFC 9846 §4.2.8.2) and its
 * CertificateVerify signatures (RFC 9846 §4.4.3) from the provider; the key objects those work
 * on live in crypto/signing.ts.
 */
import type { SigningKey, VerifyKey } from './signing.js';
import { AlertDescription, tlsAlert } from './tls/alert.js';
import type { TransportError } from '../wire/errors.js';

/** Hash functions used by the TLS 1.3 cipher suites (RFC 8446 §B.4). */
export type HashName = 'sha256' | 'sha384';

/** Output length in bytes of each hash. */
export const HASH_LENGTH: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48 };

/** TLS 1.3 cipher suite code points (RFC 8446 §B.4) that QUIC can use (RFC 9001 §5.3). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];

/** The AEAD of a cipher suite (RFC 9001 §5.3). */
export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** Static parameters of a cipher suite. */
export interface SuiteInfo {
  readonly suite: CipherSuite;
  readonly name: string;
  readonly aead: AeadAlgorithm;
  /** AEAD key length (RFC 9001 §5.1: "quic key" length). */
  readonly keyLength: number;
  /** IV length: 12 for all three suites (RFC 9001 §5.3, the AEAD nonce length). */
  readonly ivLength: number;
  /** Header protection key length (RFC 9001 §5.4.3: AES key length; §5.4.4: 32 for ChaCha20). */
  readonly hpKeyLength: number;
  readonly hash: HashName;
  /** Authentication tag length: 16 for all three (RFC 9001 §5.3). */
  readonly tagLength: number;
  /**
   * RFC 9001 §6.6: the number of packets that may be protected with one key (confidentiality
   * limit). AES-GCM: 2^23. ChaCha20-Poly1305: greater than the number of possible packets
   * (2^62), i.e. effectively unlimited.
   */
  readonly confidentialityLimit: number;
  /**
   * RFC 9001 §6.6: the number of packets that may fail authentication with one key before the
   * connection must be closed with AEAD_LIMIT_REACHED. AES-GCM: 2^52. ChaCha20-Poly1305: 2^36.
   */
  readonly integrityLimit: number;
}

const SUITES: ReadonlyMap<number, SuiteInfo> = new Map<number, SuiteInfo>([
  [
    CipherSuite.TLS_AES_128_GCM_SHA256,
    {
      suite: CipherSuite.TLS_AES_128_GCM_SHA256,
      name: 'TLS_AES_128_GCM_SHA256',
      aead: 'aes-128-gcm',
      keyLength: 16,
      ivLength: 12,
      hpKeyLength: 16,
      hash: 'sha256',
      tagLength: 16,
      confidentialityLimit: 2 ** 23,
      integrityLimit: 2 ** 52,
    },
  ],
  [
    CipherSuite.TLS_AES_256_GCM_SHA384,
    {
      suite: CipherSuite.TLS_AES_256_GCM_SHA384,
      name: 'TLS_AES_256_GCM_SHA384',
      aead: 'aes-256-gcm',
      keyLength: 32,
      ivLength: 12,
      hpKeyLength: 32,
      hash: 'sha384',
      tagLength: 16,
      confidentialityLimit: 2 ** 23,
      integrityLimit: 2 ** 52,
    },
  ],
  [
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    {
      suite: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      name: 'TLS_CHACHA20_POLY1305_SHA256',
      aead: 'chacha20-poly1305',
      keyLength: 32,
      ivLength: 12,
      hpKeyLength: 32,
      hash: 'sha256',
      tagLength: 16,
      confidentialityLimit: 2 ** 62,
      integrityLimit: 2 ** 36,
    },
  ],
]);

/** The parameters of a suite; throws RangeError for a suite QUIC cannot use. */
export function suiteInfo(suite: number): SuiteInfo {
  const s = SUITES.get(suite);
  if (s === undefined) throw new RangeError(`unsupported cipher suite 0x${suite.toString(16)}`);
  return s;
}

/** Whether a cipher suite code point is one QUIC can use (RFC 9001 §5.3). */
export function isSupportedSuite(suite: number): suite is CipherSuite {
  return SUITES.has(suite);
}

/** All suites, in the default preference order. */
export const ALL_SUITES: readonly CipherSuite[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
];

/** The AEAD tag length shared by all QUIC suites (RFC 9001 §5.3). */
export const AEAD_TAG_LENGTH = 16;

/**
 * An AEAD bound to one key (RFC 9001 §5.3). The nonce is passed per call (12 bytes); the
 * object may keep a prepared key (KeyObject, expanded schedule) but no per-packet state.
 *
 * The in-place methods are the hot path (DESIGN §4 rule 1: one copy on transmit): the payload
 * is encrypted where it lies in the datagram buffer and the tag written right after it.
 * Backends that cannot write into a caller buffer (node:crypto, noble's AES-GCM) produce the
 * ciphertext in a temporary and copy it back; noble's ChaCha20-Poly1305 works truly in place.
 */
export interface Aead {
  readonly suite: CipherSuite;
  readonly tagLength: number;
  /**
   * Encrypts buf[offset, offset+length) in place and writes the 16-byte tag at
   * buf[offset+length, offset+length+16). Returns the sealed length (length + 16).
   * `aad` must not overlap the encrypted region (it may precede it in the same buffer).
   * Throws RangeError when the buffer has no room for the tag.
   */
  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number;
  /**
   * Decrypts buf[offset, offset+length) (ciphertext ‖ tag) in place. Returns the plaintext
   * length (length - 16), or -1 when authentication fails or the input is shorter than a tag.
   * On failure the buffer is left unchanged, so the caller may retry with another key.
   */
  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number;
  /**
   * `sealInPlace` with the associated data buf[aadOffset, offset): the layout of a QUIC packet,
   * whose header right before the payload is the AAD (RFC 9001 §5.3). Taking offsets instead of
   * an AAD view lets the packet path run without creating views (DESIGN §4 rule 2).
   */
  sealPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number;
  /** `openInPlace` with the associated data buf[aadOffset, offset) (see `sealPacket`). */
  openPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number;
  /** Convenience: returns a fresh ciphertext ‖ tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Convenience: returns a fresh plaintext, or null when authentication fails (never throws). */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
}

/** Length of the header protection mask actually used (RFC 9001 §5.4.1). */
export const HP_MASK_LENGTH = 5;
/** Length of the ciphertext sample (RFC 9001 §5.4.2). */
export const HP_SAMPLE_LENGTH = 16;

/** Header protection bound to one hp key (RFC 9001 §5.4). */
export interface HeaderProtection {
  /**
   * The 5-byte mask for a 16-byte sample (only the first 16 bytes of `sample` are read).
   * AES suites: AES-ECB(hp_key, sample)[0..5] (RFC 9001 §5.4.3). ChaCha20: counter = sample[0..4]
   * little-endian, nonce = sample[4..16], mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0})
   * (RFC 9001 §5.4.4). Writes into `out` (≥ 5 bytes) when given and returns it. The sample is
   * read at `sample[offset, offset + 16)` (default 0), so a packet can be passed whole instead of
   * a view of its sample (DESIGN §4 rule 2).
   */
  mask(sample: Uint8Array, out?: Uint8Array, offset?: number): Uint8Array;
}

/**
 * The name of a built-in crypto provider; 'null' is `nullPacketProtection` (sim/null-protection.ts), which
 * protects nothing and is for the simulator only (`getProvider` does not return it).
 */
export type ProviderName = 'noble' | 'node' | 'null';

/**
 * One ephemeral (EC)DHE key pair for one group (RFC 9846 §4.2.8). The private key never leaves
 * the object.
 */
export interface KeyExchange {
  readonly group: number;
  /**
   * The key_exchange field of our KeyShareEntry (RFC 9846 §4.2.8.2): 0x04‖X‖Y for
   * secp256r1/secp384r1 (65/97 bytes), the 32-byte u-coordinate for X25519 (RFC 7748 §6.1).
   */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with the peer's key_exchange bytes: the X coordinate of the ECDH point for
   * the NIST curves (RFC 9846 §7.4.2), the X25519 output for X25519 (RFC 7748 §6.1). An invalid
   * peer share (wrong length, not uncompressed form, not on the curve, or an all-zero X25519
   * result) throws a TLS illegal_parameter alert (TransportError), never anything else.
   */
  computeSharedSecret(peerPublic: Uint8Array): Uint8Array;
}

/** RFC 9846 §4.2.7 NamedGroup values both providers implement, in default preference order. */
export const KEY_EXCHANGE_GROUPS: readonly number[] = [0x001d /* x25519 */, 0x0017 /* secp256r1 */, 0x0018 /* secp384r1 */];

/** Length of a valid key_exchange value per group (RFC 9846 §4.2.8.2). */
export const KEY_SHARE_LENGTH: ReadonlyMap<number, number> = new Map([
  [0x001d, 32],
  [0x0017, 65],
  [0x0018, 97],
]);

/**
 * The cryptography tquic needs (DESIGN §5): AEADs and header protection (RFC 9001 §5), HKDF, hashes
 * and HMAC, secure randomness, (EC)DHE key exchange and CertificateVerify signatures. Implemented
 * by `nobleProvider` and `nodeProvider`.
 */
export interface CryptoProvider {
  readonly name: ProviderName;
  /** An AEAD for `suite` bound to `key` (length checked against the suite). */
  aead(suite: CipherSuite, key: Uint8Array): Aead;
  /** Header protection for `suite` bound to `hpKey`. */
  headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection;
  /** RFC 5869 §2.2 HKDF-Extract(salt, IKM). */
  hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** RFC 5869 §2.3 HKDF-Expand(PRK, info, L). */
  hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** The `hash` digest of `data` (transcript hashes, RFC 8446 §4.4.1). */
  hash(hash: HashName, data: Uint8Array): Uint8Array;
  /** HMAC (RFC 2104) of `data` under `key` (the Finished MAC, RFC 8446 §4.4.4). */
  hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Cryptographically secure random bytes, for keys, tokens and the TLS random. The protocol
   * core draws from a seeded PRNG for everything else (DESIGN §1). Every secret the provider
   * makes itself (the ephemeral key pairs of `keyExchange`) is drawn from this method through
   * `this`, so a copy with `randomBytes` replaced (`{ ...provider, randomBytes }`, as the
   * simulator does with a seeded generator) makes key generation reproducible too.
   */
  randomBytes(n: number): Uint8Array;
  /** The NamedGroups `keyExchange` accepts (RFC 9846 §4.2.7), preferred first. */
  readonly supportedGroups: readonly number[];
  /**
   * A fresh ephemeral key pair for `group`, its private key drawn from `this.randomBytes`
   * (see `ephemeralPrivateKey`); call it as a method of the provider. Throws RangeError for a
   * group not in `supportedGroups` (the engine negotiates before calling).
   */
  keyExchange(this: CryptoProvider, group: number): KeyExchange;
  /**
   * A CertificateVerify signature (RFC 9846 §4.4.3) of `message` (the full signed content:
   * 64 spaces ‖ context ‖ 0 ‖ transcript hash) with `scheme`. ECDSA signatures are DER
   * ECDSA-Sig-Value; RSA is RSASSA-PSS with salt length = hash length. Throws RangeError when
   * the scheme does not fit the key (see `SigningKey.schemes`).
   */
  sign(scheme: number, key: SigningKey, message: Uint8Array): Uint8Array;
  /**
   * Verifies a CertificateVerify signature. Returns false (never throws) for a bad or garbled
   * signature, an unknown scheme, or a scheme that does not fit the key's type.
   */
  verify(scheme: number, key: VerifyKey, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The illegal_parameter alert for a bad peer key share (RFC 9846 §4.2.8.2). */
export function invalidKeyShare(group: number, why: string): TransportError {
  return tlsAlert(AlertDescription.ILLEGAL_PARAMETER, `invalid key share for group 0x${group.toString(16).padStart(4, '0')}: ${why}`);
}

/**
 * Shared check of a peer's key_exchange bytes before they reach a backend (RFC 9846 §4.2.8.2):
 * exact length, and for the NIST curves the uncompressed form (legacy_form = 4; TLS 1.3 has no
 * point format negotiation). The on-curve check is the backend's.
 */
export function checkKeyShareFormat(group: number, peer: Uint8Array): void {
  const expected = KEY_SHARE_LENGTH.get(group);
  if (expected === undefined) throw invalidKeyShare(group, 'unsupported group');
  if (!(peer instanceof Uint8Array) || peer.length !== expected) {
    throw invalidKeyShare(group, `expected ${expected} bytes, got ${peer instanceof Uint8Array ? peer.length : typeof peer}`);
  }
  if (expected !== 32 && peer[0] !== 0x04) throw invalidKeyShare(group, 'not an uncompressed point (legacy_form must be 4)');
}

/** RFC 9846 §7.4.2 / RFC 7748 §6.1: an all-zero X25519 shared secret must be rejected. */
export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

/** Group orders n of P-256 and P-384, big-endian (SEC 2 v2 §2.4.2, §2.5.1; FIPS 186-4 D.1.2). */
const EC_ORDER: ReadonlyMap<number, Uint8Array> = new Map([
  [0x0017, hexBytes('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')],
  [0x0018, hexBytes('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973')],
]);

function hexBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** Draws beyond which a generator is taken to be broken (each draw fails with p < 2^-32). */
const MAX_SCALAR_DRAWS = 64;

/**
 * The private key of an ephemeral key pair for `group`, drawn from `randomBytes`; both providers
 * use it, so the same random bytes give the same key pair in either.
 * - x25519: 32 random bytes as they come; X25519 clamps them itself (RFC 7748 §5).
 * - secp256r1/secp384r1: a scalar d in [1, n−1] (SEC 1 v2 §3.2.1) by rejection sampling, as
 *   in FIPS 186-5 §A.2.2 (which draws c and takes d = c + 1; here d is drawn directly): draw
 *   as many bytes as n has, read them big-endian, and draw again unless 1 ≤ d < n. n is within
 *   2^-32·2^bits of 2^bits for both curves, so a draw is rejected with probability below 2^-32
 *   and the scalar is uniform.
 * Throws RangeError for an unsupported group, or when `randomBytes` returns the wrong length or
 * nothing acceptable in 64 draws (a broken generator).
 */
export function ephemeralPrivateKey(group: number, randomBytes: (n: number) => Uint8Array): Uint8Array {
  if (group === 0x001d) return drawBytes(randomBytes, 32).slice();
  const order = EC_ORDER.get(group);
  if (order === undefined) throw unsupportedGroup(group);
  for (let i = 0; i < MAX_SCALAR_DRAWS; i++) {
    const d = drawBytes(randomBytes, order.length);
    if (!isAllZero(d) && lessThan(d, order)) return d.slice();
  }
  throw new RangeError(`key exchange: randomBytes gave no scalar in [1, n-1] for group 0x${group.toString(16).padStart(4, '0')}`);
}

function drawBytes(randomBytes: (n: number) => Uint8Array, n: number): Uint8Array {
  const b = randomBytes(n);
  if (!(b instanceof Uint8Array) || b.length !== n) throw new RangeError(`key exchange: randomBytes(${n}) returned the wrong length`);
  return b;
}

/** a < b for big-endian byte strings of equal length. */
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** RangeError for a group a provider does not implement. */
export function unsupportedGroup(group: number): RangeError {
  return new RangeError(`key exchange: unsupported group 0x${group.toString(16).padStart(4, '0')} (supported: x25519, secp256r1, secp384r1)`);
}

/** Checks a key length for a suite; shared by both providers. */
export function checkKeyLength(what: string, key: Uint8Array, expected: number): void {
  if (key.length !== expected) throw new RangeError(`${what}: expected ${expected}-byte key, got ${key.length}`);
}

/**
 * Associated data copied out of a packet into a reused array of exactly its length, for backends
 * that need the AAD as a separate array (node:crypto's setAAD, noble's AES-GCM): copying a header
 * of a few dozen bytes is cheaper than creating a view per packet. One array per length, made on
 * first use; QUIC headers are at most 1 + 4 + 1 + 20 + 1 + 20 + token + varints long.
 */
export class AadScratch {
  private readonly byLength: Uint8Array[] = [];

  constructor(private readonly make: (n: number) => Uint8Array = (n) => new Uint8Array(n)) {}

  /** buf[start, end) in the scratch array of that length (valid until the next call). */
  copy(buf: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > 256) return buf.subarray(start, end); // long Initial tokens: not worth keeping
    let a = this.byLength[n];
    if (a === undefined) {
      a = this.make(n);
      this.byLength[n] = a;
    }
    for (let i = 0; i < n; i++) a[i] = buf[start + i]!;
    return a;
  }
}

/** `Aead.seal` from `sealInPlace`: the plaintext copied into a new array with room for the tag. */
export function sealToNew(aead: Pick<Aead, 'sealInPlace'>, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
  out.set(plaintext);
  aead.sealInPlace(nonce, aad, out, 0, plaintext.length);
  return out;
}

/** Shared argument check of sealInPlace. */
export function checkSealBounds(buf: Uint8Array, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length + AEAD_TAG_LENGTH > buf.length) {
    throw new RangeError(`sealInPlace: no room for ${length} bytes + tag at ${offset} in ${buf.length}`);
  }
}

/** Shared argument check of openInPlace: false when the region is too short to hold a tag. */
export function checkOpenBounds(buf: Uint8Array, offset: number, length: number): boolean {
  if (offset < 0 || offset + length > buf.length) throw new RangeError('openInPlace: region outside buffer');
  return length >= AEAD_TAG_LENGTH;
}
