/**
 * The `node` crypto provider (DESIGN §5): node:crypto (OpenSSL).
 *
 * - AEAD: one `createCipheriv`/`createDecipheriv` per packet (an AEAD context cannot be re-keyed
 *   with a new nonce through the Node API), with the key imported as a KeyObject
 *   (`createSecretKey`) once the AEAD has protected a few packets (KEY_OBJECT_AFTER), so
 *   OpenSSL does not re-import raw key bytes per packet of a long-lived key.
 *   The ciphertext comes back as a new Buffer and is copied into place; on open the plaintext is
 *   copied only after `final()` has verified the tag, so a failed open changes nothing.
 * - AES header protection: one long-lived AES-ECB context per hp key; ECB without padding is
 *   stateless across blocks, so each `update(sample)` returns the encryption of that block.
 * - ChaCha20 header protection: OpenSSL's "chacha20" takes a 16-byte IV = 32-bit little-endian
 *   counter ‖ 96-bit nonce, which is exactly the sample layout of RFC 9001 §5.4.4.
 * - HKDF: Extract is one HMAC (RFC 5869 §2.2); Expand is the RFC 5869 §2.3 HMAC chain, because
 *   node's hkdfSync always runs Extract first and cannot start from a PRK (and costs about four
 *   createHmac calls on node 20). Every QUIC/TLS label needs at most HashLen bytes, i.e. one HMAC.
 * - Hash: the one-shot `crypto.hash` (no Hash object per call).
 * - Key exchange (RFC 9846 §4.2.8.2, §7.4.2): the private key is drawn from the provider's own
 *   `randomBytes` by `ephemeralPrivateKey` (provider.ts), so a copy with a seeded `randomBytes`
 *   makes reproducible key pairs, identical to the noble provider's for the same bytes; node
 *   only imports it. `createECDH` + `setPrivateKey` for secp256r1/secp384r1 (OpenSSL derives
 *   the public point and checks that the peer point is on the curve); X25519 as a KeyObject
 *   imported from an OKP JWK (RFC 8037 §2), the peer's raw 32 bytes imported the same way, and
 *   `diffieHellman`.
 * - Signatures (RFC 9846 §4.4.3): `crypto.sign`/`crypto.verify` on the keys' KeyObjects; ECDSA
 *   with dsaEncoding 'der', RSA-PSS with RSA_PKCS1_PSS_PADDING and salt length = digest length,
 *   Ed25519 with no digest (PureEdDSA).
 */
import {
  constants as cryptoConstants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  hash as oneShotHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  randomBytes as nodeRandomBytes,
  randomFillSync,
  sign as nodeCryptoSign,
  verify as nodeCryptoVerify,
  type Cipher,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import {
  AEAD_TAG_LENGTH,
  HASH_LENGTH,
  HP_MASK_LENGTH,
  HP_SAMPLE_LENGTH,
  KEY_EXCHANGE_GROUPS,
  AadScratch,
  checkKeyLength,
  checkKeyShareFormat,
  checkOpenBounds,
  checkSealBounds,
  sealToNew,
  ephemeralPrivateKey,
  invalidKeyShare,
  isAllZero,
  suiteInfo,
  unsupportedGroup,
  type Aead,
  type AeadAlgorithm,
  type CipherSuite,
  type CryptoProvider,
  type HashName,
  type HeaderProtection,
  type KeyExchange,
} from './provider.js';
import { checkSignScheme, verifySchemeFor, type SchemeInfo, type SigningKey, type VerifyKey } from './signing.js';

/** A plain Uint8Array view of a Buffer (no copy), so results compare equal to noble's. */
function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const EMPTY = new Uint8Array(0);
/** The HKDF-Expand block counter of T(1) (RFC 5869 §2.3); never written. */
const COUNTER_ONE = new Uint8Array([1]);
/** Shared by every cipher: node reads it once per call, so one object serves (no literal per packet). */
const AEAD_OPTIONS = { authTagLength: AEAD_TAG_LENGTH } as const;

/**
 * Packets an AEAD protects with its raw key before it imports the key as a KeyObject: the import
 * (createSecretKey, about 1.7 µs) saves about 0.1 µs per packet, so the Initial and Handshake
 * keys, which protect a few packets each, never pay for it.
 */
const KEY_OBJECT_AFTER = 16;

class NodeAead implements Aead {
  readonly tagLength = AEAD_TAG_LENGTH;
  private key: KeyObject | Uint8Array;
  private uses = 0;

  constructor(
    readonly suite: CipherSuite,
    private readonly alg: AeadAlgorithm,
    key: Uint8Array,
  ) {
    this.key = key.slice();
  }

  private currentKey(): KeyObject | Uint8Array {
    if (++this.uses === KEY_OBJECT_AFTER) this.key = createSecretKey(this.key as Uint8Array);
    return this.key;
  }

  private cipher(nonce: Uint8Array, aad: Uint8Array, plaintextLength: number) {
    const key = this.currentKey();
    // The overloads differ only in the algorithm literal type; both return an AEAD cipher.
    const c =
      this.alg === 'chacha20-poly1305'
        ? createCipheriv(this.alg, key, nonce, AEAD_OPTIONS)
        : createCipheriv(this.alg, key, nonce, AEAD_OPTIONS);
    // One options object per AEAD, refilled: node reads it during the call.
    this.aadOptions.plaintextLength = plaintextLength;
    c.setAAD(aad, this.aadOptions);
    return c;
  }

  private decipher(nonce: Uint8Array, aad: Uint8Array, tag: Uint8Array, plaintextLength: number) {
    const key = this.currentKey();
    const d =
      this.alg === 'chacha20-poly1305'
        ? createDecipheriv(this.alg, key, nonce, AEAD_OPTIONS)
        : createDecipheriv(this.alg, key, nonce, AEAD_OPTIONS);
    d.setAuthTag(tag);
    this.aadOptions.plaintextLength = plaintextLength;
    d.setAAD(aad, this.aadOptions);
    return d;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return sealToNew(this, nonce, aad, plaintext);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    const n = ciphertextAndTag.length - AEAD_TAG_LENGTH;
    if (n < 0) return null;
    const pt = this.decrypt(nonce, aad, ciphertextAndTag, 0, ciphertextAndTag.length);
    return pt === null ? null : u8(pt);
  }

  /** setAAD takes its own array: the header is copied into a reused one rather than viewed. */
  private readonly aad = new AadScratch();
  private readonly aadOptions = { plaintextLength: 0 };

  sealPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number {
    return this.sealInPlace(nonce, this.aad.copy(buf, aadOffset, offset), buf, offset, length);
  }

  openPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number {
    return this.openInPlace(nonce, this.aad.copy(buf, aadOffset, offset), buf, offset, length);
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    checkSealBounds(buf, offset, length);
    const c = this.cipher(nonce, aad, length);
    const ct = c.update(buf.subarray(offset, offset + length));
    buf.set(ct, offset);
    // GCM and ChaCha20-Poly1305 are stream modes: update() returns everything, final() nothing.
    const rest = c.final();
    if (rest.length > 0) buf.set(rest, offset + ct.length);
    buf.set(c.getAuthTag(), offset + length);
    return length + AEAD_TAG_LENGTH;
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    if (!checkOpenBounds(buf, offset, length)) return -1;
    const pt = this.decrypt(nonce, aad, buf, offset, length);
    if (pt === null) return -1;
    buf.set(pt, offset);
    return pt.length;
  }

  /** Decrypts buf[offset, offset+length) (ciphertext ‖ tag) into a new Buffer, or null. */
  private decrypt(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): Buffer | null {
    const ctEnd = offset + length - AEAD_TAG_LENGTH;
    try {
      const d = this.decipher(nonce, aad, buf.subarray(ctEnd, offset + length), ctEnd - offset);
      const pt = d.update(buf.subarray(offset, ctEnd));
      const rest = d.final(); // throws when the tag does not verify
      return rest.length === 0 ? pt : Buffer.concat([pt, rest]);
    } catch {
      return null;
    }
  }
}

/** The 16-byte sample at `offset`, copied into `scratch` (no view per packet), or `sample` itself. */
function copySample(sample: Uint8Array, offset: number, scratch: Uint8Array): Uint8Array {
  if (offset === 0 && sample.length === HP_SAMPLE_LENGTH) return sample;
  for (let i = 0; i < HP_SAMPLE_LENGTH; i++) scratch[i] = sample[offset + i]!;
  return scratch;
}

/** RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample), one reused ECB context. */
class NodeAesHp implements HeaderProtection {
  private readonly ecb: Cipher;
  private readonly sample = new Uint8Array(HP_SAMPLE_LENGTH);

  constructor(keyLength: number, key: Uint8Array) {
    // One context for the key's life: the raw key is imported once, no KeyObject needed.
    this.ecb = createCipheriv(keyLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH), offset = 0): Uint8Array {
    if (sample.length < offset + HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    const block = this.ecb.update(copySample(sample, offset, this.sample));
    for (let i = 0; i < HP_MASK_LENGTH; i++) out[i] = block[i]!;
    return out;
  }
}

const ZERO5 = new Uint8Array(HP_MASK_LENGTH);

/** RFC 9001 §5.4.4: IV = sample (counter LE ‖ nonce), mask = ChaCha20 of five zero bytes. */
class NodeChaChaHp implements HeaderProtection {
  private readonly key: KeyObject;
  private readonly sample = new Uint8Array(HP_SAMPLE_LENGTH);

  constructor(key: Uint8Array) {
    this.key = createSecretKey(key);
  }

  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH), offset = 0): Uint8Array {
    if (sample.length < offset + HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    const ks = createCipheriv('chacha20', this.key, copySample(sample, offset, this.sample)).update(ZERO5);
    for (let i = 0; i < HP_MASK_LENGTH; i++) out[i] = ks[i]!;
    return out;
  }
}

function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(createHmac(hash, key).update(data).digest());
}

/** RFC 9846 §4.2.8.2 / §7.4.2: ECDH on secp256r1 or secp384r1 through OpenSSL. */
class NodeEcdhExchange implements KeyExchange {
  readonly publicKey: Uint8Array;
  private readonly ecdh: ECDH;

  constructor(
    readonly group: number,
    curve: 'prime256v1' | 'secp384r1',
    private readonly coordLength: number,
    secret: Uint8Array,
  ) {
    this.ecdh = createECDH(curve);
    this.ecdh.setPrivateKey(secret); // node checks 1 ≤ d < n; OpenSSL computes the public point
    this.publicKey = u8(this.ecdh.getPublicKey()); // uncompressed 0x04‖X‖Y
  }

  computeSharedSecret(peerPublic: Uint8Array): Uint8Array {
    checkKeyShareFormat(this.group, peerPublic);
    let z: Buffer;
    try {
      // OpenSSL (EC_POINT_oct2point) rejects coordinates ≥ p and points not on the curve.
      z = this.ecdh.computeSecret(peerPublic);
    } catch {
      throw invalidKeyShare(this.group, 'not a point on the curve');
    }
    // §7.4.2: Z is the x-coordinate at full field length; leading zeros are not truncated.
    if (z.length === this.coordLength) return u8(z);
    const out = new Uint8Array(this.coordLength);
    out.set(z, this.coordLength - z.length);
    return out;
  }
}

/** RFC 8410 §7: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.110 }, OCTET STRING { OCTET STRING (32) } }. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * A 32-byte X25519 private key as a KeyObject (OpenSSL clamps it when it uses it, RFC 7748 §5).
 * First as an OKP JWK (RFC 8037 §2): node takes the private key from `d` alone and derives the
 * public key itself, reading `x` only as a string, so it is left empty (the public key is read
 * back from the KeyObject). On node 20 (OpenSSL 3) this costs about as much as generating a
 * key pair, several times less than a PKCS#8 DER import. Should node ever insist on a matching
 * `x`, the PKCS#8 OneAsymmetricKey (RFC 8410 §7: a fixed 16-byte header, then the key) is used
 * instead.
 */
function importX25519Private(secret: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(secret).toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    const der = Buffer.allocUnsafe(X25519_PKCS8_PREFIX.length + 32);
    X25519_PKCS8_PREFIX.copy(der, 0);
    der.set(secret, X25519_PKCS8_PREFIX.length);
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    return key;
  }
}

/** RFC 7748 §6.1 X25519 through OpenSSL KeyObjects. */
class NodeX25519Exchange implements KeyExchange {
  readonly group = 0x001d;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;

  constructor(secret: Uint8Array) {
    if (secret.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
    this.privateKey = importX25519Private(secret);
    this.publicKey = u8(Buffer.from(createPublicKey(this.privateKey).export({ format: 'jwk' }).x!, 'base64url'));
  }

  computeSharedSecret(peerPublic: Uint8Array): Uint8Array {
    checkKeyShareFormat(this.group, peerPublic);
    let z: Buffer;
    try {
      const peer = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublic).toString('base64url') },
        format: 'jwk',
      });
      z = diffieHellman({ privateKey: this.privateKey, publicKey: peer });
    } catch {
      // OpenSSL fails the derivation itself when the result is all zero (a low-order point).
      throw invalidKeyShare(this.group, 'X25519 derivation failed (low-order point)');
    }
    // RFC 9846 §7.4.2 / RFC 7748 §6.1: abort on an all-zero shared secret.
    if (isAllZero(z)) throw invalidKeyShare(this.group, 'all-zero X25519 shared secret');
    return u8(z);
  }
}

/**
 * Small draws (the TLS randoms, ephemeral keys, nonces, connection seeds: about nine per
 * handshake) come from a pool that one `randomFillSync` call fills from OpenSSL's CSPRNG: a
 * call per draw costs about 2.5 µs of binding overhead, a pooled draw about 0.3 µs. Each pooled
 * byte is handed out once and wiped from the pool as it is; larger draws go to OpenSSL directly.
 */
const RANDOM_POOL_SIZE = 512;
const RANDOM_POOL_MAX_DRAW = 64;
const randomPool = Buffer.alloc(RANDOM_POOL_SIZE);
let randomPoolUsed = RANDOM_POOL_SIZE;

function secureRandomBytes(n: number): Uint8Array {
  if (!(n >= 0 && n <= RANDOM_POOL_MAX_DRAW) || !Number.isInteger(n)) return u8(nodeRandomBytes(n));
  if (randomPoolUsed + n > RANDOM_POOL_SIZE) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  const out = new Uint8Array(n);
  out.set(randomPool.subarray(randomPoolUsed, randomPoolUsed + n));
  randomPool.fill(0, randomPoolUsed, randomPoolUsed + n);
  randomPoolUsed += n;
  return out;
}

/** Digest lengths of the signature hashes: the RSA-PSS salt length (RFC 9846 §4.2.3). */
const SIG_HASH_LENGTH = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** node:crypto sign/verify options for a scheme (RFC 9846 §4.2.3). */
function nodeSigParams(info: SchemeInfo, key: KeyObject) {
  switch (info.keyType) {
    case 'rsa':
      // RSASSA-PSS, MGF1 with the same hash, salt length = digest length.
      return { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: SIG_HASH_LENGTH[info.hash!] };
    case 'ecdsa-p256':
    case 'ecdsa-p384':
      return { key, dsaEncoding: 'der' as const };
    case 'ed25519':
      return { key };
  }
}

/**
 * CertificateVerify signature through node:crypto (RFC 9846 §4.4.3). Also used by the noble
 * provider for RSA-PSS, which @noble/curves does not implement.
 */
export function nodeSign(scheme: number, key: SigningKey, message: Uint8Array): Uint8Array {
  const info = checkSignScheme(scheme, key);
  return u8(nodeCryptoSign(info.hash, message, nodeSigParams(info, key.keyObject)));
}

/** Verification through node:crypto; false for anything that is not a valid signature. */
export function nodeVerify(scheme: number, key: VerifyKey, message: Uint8Array, signature: Uint8Array): boolean {
  const info = verifySchemeFor(scheme, key);
  if (info === undefined) return false;
  try {
    return nodeCryptoVerify(info.hash, message, nodeSigParams(info, key.keyObject), signature);
  } catch {
    return false;
  }
}

/**
 * `keyExchange` of the node provider: the private key is drawn from `randomBytes` (default:
 * OpenSSL's CSPRNG) by `ephemeralPrivateKey`. `secret` is a test hook for known-answer vectors
 * (a fixed private key: the P-256/P-384 scalar or the X25519 key); production code never
 * passes it.
 */
export function nodeKeyExchange(group: number, secret?: Uint8Array, randomBytes: (n: number) => Uint8Array = secureRandomBytes): KeyExchange {
  switch (group) {
    case 0x001d:
      return new NodeX25519Exchange(secret ?? ephemeralPrivateKey(group, randomBytes));
    case 0x0017:
      return new NodeEcdhExchange(group, 'prime256v1', 32, secret ?? ephemeralPrivateKey(group, randomBytes));
    case 0x0018:
      return new NodeEcdhExchange(group, 'secp384r1', 48, secret ?? ephemeralPrivateKey(group, randomBytes));
    default:
      throw unsupportedGroup(group);
  }
}

/** The provider on node:crypto (OpenSSL); the default (see `defaultProvider`). */
export const nodeProvider: CryptoProvider = {
  name: 'node',

  aead(suite: CipherSuite, key: Uint8Array): Aead {
    const info = suiteInfo(suite);
    checkKeyLength(info.name, key, info.keyLength);
    return new NodeAead(info.suite, info.aead, key);
  },

  headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection {
    const info = suiteInfo(suite);
    checkKeyLength(`${info.name} hp`, hpKey, info.hpKeyLength);
    return info.aead === 'chacha20-poly1305' ? new NodeChaChaHp(hpKey) : new NodeAesHp(info.hpKeyLength, hpKey);
  },

  // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt acts as HashLen zeros (HMAC pads).
  hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return hmac(hash, salt, ikm);
  },

  // RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L octets of T(1)|T(2)|...
  hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const hashLen = HASH_LENGTH[hash];
    if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) throw new RangeError('HKDF-Expand: invalid length');
    if (length > 0 && length <= hashLen) {
      // Every QUIC and TLS 1.3 label: one block, T(1) = HMAC(PRK, info | 0x01), one HMAC object.
      const t = u8(createHmac(hash, prk).update(info).update(COUNTER_ONE).digest());
      return length === hashLen ? t : t.slice(0, length);
    }
    const okm = new Uint8Array(length);
    const counter = new Uint8Array(1);
    let t: Uint8Array = EMPTY;
    for (let i = 1, o = 0; o < length; i++) {
      counter[0] = i;
      t = createHmac(hash, prk).update(t).update(info).update(counter).digest();
      const take = Math.min(hashLen, length - o);
      okm.set(t.subarray(0, take), o);
      o += take;
    }
    return okm;
  },

  hash(hash: HashName, data: Uint8Array): Uint8Array {
    // One-shot crypto.hash (node ≥ 20.12): no Hash object per call.
    return u8(oneShotHash(hash, data, 'buffer'));
  },

  hmac,

  randomBytes: secureRandomBytes,

  supportedGroups: KEY_EXCHANGE_GROUPS,

  keyExchange(group: number): KeyExchange {
    // Through `this`, so a copy with its own randomBytes generates its own keys (provider.ts).
    return nodeKeyExchange(group, undefined, (n) => this.randomBytes(n));
  },

  sign: nodeSign,
  verify: nodeVerify,
};
