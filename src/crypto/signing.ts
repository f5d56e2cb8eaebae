/**
 * Signing and verification keys for TLS 1.3 CertificateVerify (RFC 9846 §4.4.3) and the
 * SignatureScheme table they are used with (RFC 9846 §4.2.3).
 *
 * A key is loaded once (PEM → node:crypto KeyObject) and carries a handle for each provider:
 * - `keyObject`: the node:crypto KeyObject (the `node` provider, and RSA in both providers:
 *   noble has no RSA, see crypto/noble.ts);
 * - `rawPrivate` / `rawPublic`: the raw key bytes @noble/curves works on, exported once through
 *   JWK (RFC 7518 §6.2 for EC, RFC 8037 §2 for OKP): the private scalar (P-256/P-384) or the
 *   32-byte seed (Ed25519); the uncompressed point 0x04‖X‖Y (SEC 1 §2.3.3) or the 32-byte
 *   Ed25519 public key. `rawPrivate` is a non-enumerable property, so logging a key or
 *   serialising it to JSON does not print the secret.
 *
 * Errors: a local key that cannot be used (bad PEM, encrypted, unsupported type or curve, RSA
 * below 2048 bits) is a RangeError with a readable message, since it is configuration. A peer's
 * certificate key that cannot be used is a TLS alert (RFC 9001 §4.8): unsupported_certificate
 * for a key type or curve this stack does not implement, bad_certificate for a malformed or too
 * weak key.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { certificateCache, type ParsedCertificate } from './certificate-cache.js';
import { AlertDescription, tlsAlert } from './tls/alert.js';
import { SignatureScheme } from './tls/constants.js';

/** The key types tquic signs and verifies with. */
export type KeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa';

/** Hash of a signature scheme (RFC 9846 §4.2.3: the hash named in the scheme). */
export type SignatureHash = 'sha256' | 'sha384' | 'sha512';

/** Static parameters of one TLS 1.3 SignatureScheme usable in CertificateVerify. */
export interface SchemeInfo {
  readonly scheme: number;
  readonly name: string;
  /** The only key type the scheme works with (RFC 9846 §4.4.3: "compatible with the key"). */
  readonly keyType: KeyType;
  /** null for Ed25519 (PureEdDSA hashes internally, RFC 8032 §5.1). */
  readonly hash: SignatureHash | null;
}

/** Minimum RSA modulus for signing and verifying (bits); smaller keys are refused. */
export const MIN_RSA_BITS = 2048;

const SCHEMES: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>(
  (
    [
      // RFC 9846 §4.2.3: ECDSA with the curve and hash named in the scheme, DER ECDSA-Sig-Value.
      [SignatureScheme.ECDSA_SECP256R1_SHA256, 'ecdsa_secp256r1_sha256', 'ecdsa-p256', 'sha256'],
      [SignatureScheme.ECDSA_SECP384R1_SHA384, 'ecdsa_secp384r1_sha384', 'ecdsa-p384', 'sha384'],
      // RFC 9846 §4.2.3: RSASSA-PSS with an rsaEncryption key, MGF1 with the same hash, salt
      // length = hash length. (PKCS#1 v1.5 is for certificates only, never CertificateVerify.)
      [SignatureScheme.RSA_PSS_RSAE_SHA256, 'rsa_pss_rsae_sha256', 'rsa', 'sha256'],
      [SignatureScheme.RSA_PSS_RSAE_SHA384, 'rsa_pss_rsae_sha384', 'rsa', 'sha384'],
      [SignatureScheme.RSA_PSS_RSAE_SHA512, 'rsa_pss_rsae_sha512', 'rsa', 'sha512'],
      // RFC 9846 §4.2.3 / RFC 8032: PureEdDSA.
      [SignatureScheme.ED25519, 'ed25519', 'ed25519', null],
    ] as const
  ).map(([scheme, name, keyType, hash]) => [scheme, { scheme, name, keyType, hash }]),
);

/** The parameters of a scheme tquic can sign or verify with, or undefined for any other. */
export function schemeInfo(scheme: number): SchemeInfo | undefined {
  return SCHEMES.get(scheme);
}

/** Every scheme tquic verifies, in the default preference order of signature_algorithms. */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ECDSA_SECP256R1_SHA256,
  SignatureScheme.ED25519,
  SignatureScheme.RSA_PSS_RSAE_SHA256,
  SignatureScheme.ECDSA_SECP384R1_SHA384,
  SignatureScheme.RSA_PSS_RSAE_SHA384,
  SignatureScheme.RSA_PSS_RSAE_SHA512,
];

/** The schemes a key of each type can sign/verify with in CertificateVerify, preferred first. */
const SCHEMES_BY_TYPE: Readonly<Record<KeyType, readonly number[]>> = {
  'ecdsa-p256': [SignatureScheme.ECDSA_SECP256R1_SHA256],
  'ecdsa-p384': [SignatureScheme.ECDSA_SECP384R1_SHA384],
  ed25519: [SignatureScheme.ED25519],
  rsa: [SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384, SignatureScheme.RSA_PSS_RSAE_SHA512],
};

/** A public key from a certificate, to verify a peer's CertificateVerify. */
export interface VerifyKey {
  readonly type: KeyType;
  /** The schemes this key can verify, in preference order. */
  readonly schemes: readonly number[];
  /** Key size in bits (curve order size, or RSA modulus length). */
  readonly bits: number;
  /** node:crypto handle (the node provider; RSA in both providers). */
  readonly keyObject: KeyObject;
  /** noble handle: 0x04‖X‖Y for ECDSA, the 32-byte key for Ed25519, undefined for RSA. */
  readonly rawPublic: Uint8Array | undefined;
}

/** A private key for CertificateVerify. */
export interface SigningKey {
  readonly type: KeyType;
  /** The schemes this key can sign with in TLS 1.3 CertificateVerify, in preference order. */
  readonly schemes: readonly number[];
  readonly bits: number;
  /** node:crypto handle (the node provider; RSA in both providers). */
  readonly keyObject: KeyObject;
  /**
   * noble handle: the private scalar (32 or 48 bytes, big-endian) for ECDSA, the 32-byte seed
   * for Ed25519, undefined for RSA. Non-enumerable: not printed by console.log or JSON.
   */
  readonly rawPrivate: Uint8Array | undefined;
  /** The matching public key. */
  readonly publicKey: VerifyKey;
}

/** Whether `key` (of either kind) can be used with `scheme`. */
export function keySupportsScheme(key: { readonly type: KeyType }, scheme: number): boolean {
  return SCHEMES.get(scheme)?.keyType === key.type;
}

const CURVE_OF: Readonly<Record<string, { type: KeyType; bits: number }>> = {
  // node:crypto's names for the NIST curves (OpenSSL short names).
  prime256v1: { type: 'ecdsa-p256', bits: 256 },
  'P-256': { type: 'ecdsa-p256', bits: 256 },
  secp384r1: { type: 'ecdsa-p384', bits: 384 },
  'P-384': { type: 'ecdsa-p384', bits: 384 },
};

/** Classifies a KeyObject, or returns a readable reason why it is unsupported. */
function classify(key: KeyObject): { type: KeyType; bits: number } | string {
  const kind = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (kind) {
    case 'ec': {
      const c = CURVE_OF[details.namedCurve ?? ''];
      return c ?? `unsupported elliptic curve ${details.namedCurve ?? '(unknown)'} (expected P-256 or P-384)`;
    }
    case 'ed25519':
      return { type: 'ed25519', bits: 256 };
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      return bits >= MIN_RSA_BITS ? { type: 'rsa', bits } : `RSA key of ${bits} bits is too small (minimum ${MIN_RSA_BITS})`;
    }
    default:
      // rsa-pss (id-RSASSA-PSS keys, the rsa_pss_pss_* schemes), ed448, dsa, dh, x25519 …
      return `unsupported key type ${kind ?? '(unknown)'} (expected EC P-256/P-384, Ed25519 or RSA)`;
  }
}

function b64u(s: unknown, what: string, length?: number): Uint8Array {
  if (typeof s !== 'string') throw new RangeError(`key export: missing JWK field ${what}`);
  const b = Buffer.from(s, 'base64url');
  const u = new Uint8Array(length ?? b.length);
  if (length !== undefined && b.length > length) throw new RangeError(`key export: JWK field ${what} too long`);
  // RFC 7518 §6.2.1.2: coordinates are full length; left-pad defensively anyway.
  u.set(b, u.length - b.length);
  return u;
}

/** The raw public key noble works on, from the KeyObject's JWK (RFC 7518 §6.2.1, RFC 8037 §2). */
function rawPublicOf(key: KeyObject, type: KeyType): Uint8Array | undefined {
  if (type === 'rsa') return undefined;
  const jwk = key.export({ format: 'jwk' });
  if (type === 'ed25519') return b64u(jwk.x, 'x', 32);
  const len = type === 'ecdsa-p256' ? 32 : 48;
  const point = new Uint8Array(1 + 2 * len);
  point[0] = 0x04; // RFC 9846 §4.2.8.2 / SEC 1 §2.3.3: uncompressed form
  point.set(b64u(jwk.x, 'x', len), 1);
  point.set(b64u(jwk.y, 'y', len), 1 + len);
  return point;
}

function makeVerifyKey(keyObject: KeyObject, type: KeyType, bits: number): VerifyKey {
  return Object.freeze({ type, schemes: SCHEMES_BY_TYPE[type], bits, keyObject, rawPublic: rawPublicOf(keyObject, type) });
}

/**
 * A signing key from PEM: PKCS#8 ("PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS#1
 * ("RSA PRIVATE KEY"). Encrypted keys, other key types and curves, and RSA below 2048 bits are
 * refused with a RangeError.
 */
export function loadSigningKey(pem: string): SigningKey {
  if (typeof pem !== 'string' || !/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new RangeError('private key: expected a PEM "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" block');
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new RangeError('private key: encrypted keys are not supported; decrypt it first (openssl pkey -in key.pem -out plain.pem)');
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new RangeError(`private key: cannot parse PEM (${(e as Error).message})`);
  }
  return signingKeyFromKeyObject(keyObject);
}

/** A signing key from a node:crypto private KeyObject (same checks as `loadSigningKey`). */
export function signingKeyFromKeyObject(keyObject: KeyObject): SigningKey {
  if (keyObject.type !== 'private') throw new RangeError('private key: expected a private key');
  const c = classify(keyObject);
  if (typeof c === 'string') throw new RangeError(`private key: ${c}`);
  let rawPrivate: Uint8Array | undefined;
  if (c.type !== 'rsa') {
    // Exported once; RFC 7518 §6.2.2.1 (EC "d", full length) and RFC 8037 §2 (OKP "d", the seed).
    const len = c.type === 'ecdsa-p384' ? 48 : 32;
    rawPrivate = b64u(keyObject.export({ format: 'jwk' }).d, 'd', len);
  }
  const publicKey = makeVerifyKey(createPublicKey(keyObject), c.type, c.bits);
  const key = { type: c.type, schemes: SCHEMES_BY_TYPE[c.type], bits: c.bits, keyObject, publicKey } as SigningKey;
  Object.defineProperty(key, 'rawPrivate', { value: rawPrivate, enumerable: false, writable: false });
  return Object.freeze(key);
}

/**
 * A verify key from a public KeyObject (a certificate's subjectPublicKeyInfo). Throws
 * unsupported_certificate for a key type or curve tquic does not implement and bad_certificate
 * for an RSA key below 2048 bits (RFC 9846 §4.4.2.4 leaves the alert to the implementation).
 */
export function verifyKeyFromPublicKey(keyObject: KeyObject): VerifyKey {
  const c = classify(keyObject);
  if (typeof c === 'string') {
    const weak = keyObject.asymmetricKeyType === 'rsa';
    throw tlsAlert(weak ? AlertDescription.BAD_CERTIFICATE : AlertDescription.UNSUPPORTED_CERTIFICATE, `certificate key: ${c}`);
  }
  try {
    return makeVerifyKey(keyObject, c.type, c.bits);
  } catch (e) {
    throw tlsAlert(AlertDescription.BAD_CERTIFICATE, `certificate key cannot be exported: ${(e as Error).message}`);
  }
}

/**
 * The verify key of a DER certificate (RFC 9846 §4.4.2: the end-entity certificate's key).
 * Unparseable DER → decode_error; otherwise as `verifyKeyFromPublicKey`. No chain or name check:
 * see tls/certificates.ts for that. The parse and the key are cached by the exact DER
 * (certificate-cache.ts).
 */
export function verifyKeyFromCertificate(der: Uint8Array): VerifyKey {
  let cert: ParsedCertificate;
  try {
    cert = certificateCache.get(der);
  } catch (e) {
    throw tlsAlert(AlertDescription.DECODE_ERROR, `certificate does not parse: ${(e as Error).message}`);
  }
  return verifyKeyOfCertificate(cert);
}

/**
 * The verify key of a parsed certificate, computed once per parse (the key depends on the
 * certificate's bytes alone). Alerts as `verifyKeyFromCertificate`; failures are not remembered.
 * @internal
 */
export function verifyKeyOfCertificate(cert: ParsedCertificate): VerifyKey {
  if (cert.verifyKey !== undefined) return cert.verifyKey;
  let pub: KeyObject;
  try {
    pub = cert.x509.publicKey;
  } catch (e) {
    throw tlsAlert(AlertDescription.UNSUPPORTED_CERTIFICATE, `certificate key cannot be read: ${(e as Error).message}`);
  }
  return (cert.verifyKey = verifyKeyFromPublicKey(pub));
}

/** Shared argument check of `sign`: the scheme must be one the key can produce. */
export function checkSignScheme(scheme: number, key: SigningKey): SchemeInfo {
  const info = SCHEMES.get(scheme);
  if (info === undefined || info.keyType !== key.type) {
    const name = info?.name ?? `0x${scheme.toString(16).padStart(4, '0')}`;
    throw new RangeError(`sign: a ${key.type} key cannot sign with ${name} (it can sign with ${key.schemes.map((s) => SCHEMES.get(s)!.name).join(', ')})`);
  }
  return info;
}

/** Shared argument check of `verify`: the scheme info, or undefined when it does not fit the key. */
export function verifySchemeFor(scheme: number, key: VerifyKey): SchemeInfo | undefined {
  const info = SCHEMES.get(scheme);
  return info !== undefined && info.keyType === key.type ? info : undefined;
}
