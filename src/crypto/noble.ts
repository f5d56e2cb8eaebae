/**
 * The `noble` crypto provider (DESIGN §5): @noble/ciphers and @noble/hashes, pure JavaScript,
 * portable, the reference the `node` provider is cross-checked against.
 *
 * noble's AES-GCM always allocates its output, so `sealInPlace`/`openInPlace` copy the result
 * back; its ChaCha20-Poly1305 accepts an output buffer and works truly in place (it verifies the
 * tag before writing any plaintext, so a failed open leaves the buffer unchanged).
 *
 * Key exchange and signatures use @noble/curves: X25519 (RFC 7748), ECDH and ECDSA on P-256 and
 * P-384, Ed25519 (RFC 8032). Ephemeral private keys are drawn from the provider's own
 * `randomBytes` (noble's CSPRNG, crypto.getRandomValues, unless a caller replaced it) through
 * `ephemeralPrivateKey`, the same derivation the node provider uses.
 *
 * Documented limitation: @noble/curves has no RSA, so this provider delegates RSA-PSS signing
 * and verification (rsa_pss_rsae_*) to node:crypto (`nodeSign`/`nodeVerify` in ./node.js).
 * Everything else here is pure JavaScript.
 */
import { ecb, gcm } from '@noble/ciphers/aes.js';
import { chacha20, chacha20poly1305, hchacha } from '@noble/ciphers/chacha.js';
import { randomBytes as nobleRandomBytes, type Cipher } from '@noble/ciphers/utils.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { nodeSign, nodeVerify } from './node.js';
import { checkSignScheme, verifySchemeFor, type SigningKey, type VerifyKey } from './signing.js';
import {
  AEAD_TAG_LENGTH,
  HP_MASK_LENGTH,
  HP_SAMPLE_LENGTH,
  AadScratch,
  checkKeyLength,
  checkOpenBounds,
  checkSealBounds,
  checkKeyShareFormat,
  ephemeralPrivateKey,
  invalidKeyShare,
  isAllZero,
  KEY_EXCHANGE_GROUPS,
  suiteInfo,
  unsupportedGroup,
  type Aead,
  type CipherSuite,
  type CryptoProvider,
  type HashName,
  type HeaderProtection,
  type KeyExchange,
} from './provider.js';

const HASHES = { sha256, sha384 } as const;

type NobleCipherFactory = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => Cipher;

/**
 * An AEAD over one of noble's cipher factories. noble's AES-GCM cannot write into a caller's
 * buffer, so the in-place methods go through a temporary; the ChaCha20-Poly1305 subclass
 * below works truly in place.
 */
class NobleAead implements Aead {
  readonly tagLength = AEAD_TAG_LENGTH;
  protected readonly key: Uint8Array;

  constructor(
    readonly suite: CipherSuite,
    key: Uint8Array,
    protected readonly make: NobleCipherFactory,
  ) {
    this.key = key.slice();
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.make(this.key, nonce, aad).encrypt(plaintext);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (ciphertextAndTag.length < AEAD_TAG_LENGTH) return null;
    try {
      return this.make(this.key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      return null;
    }
  }

  /** noble takes the AAD as its own array: the header is copied into a reused one. */
  private readonly aad = new AadScratch();

  sealPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number {
    return this.sealInPlace(nonce, this.aad.copy(buf, aadOffset, offset), buf, offset, length);
  }

  openPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number {
    return this.openInPlace(nonce, this.aad.copy(buf, aadOffset, offset), buf, offset, length);
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    checkSealBounds(buf, offset, length);
    const out = this.make(this.key, nonce, aad).encrypt(buf.subarray(offset, offset + length));
    buf.set(out, offset);
    return out.length;
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    if (!checkOpenBounds(buf, offset, length)) return -1;
    let pt: Uint8Array;
    try {
      pt = this.make(this.key, nonce, aad).decrypt(buf.subarray(offset, offset + length));
    } catch {
      return -1;
    }
    buf.set(pt, offset);
    return pt.length;
  }
}

class NobleChaChaPoly extends NobleAead {
  constructor(suite: CipherSuite, key: Uint8Array) {
    super(suite, key, chacha20poly1305);
  }

  override sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    checkSealBounds(buf, offset, length);
    // noble copies the plaintext into the output (a no-op here: same memory), encrypts it there
    // and appends the tag: a true in-place seal.
    chacha20poly1305(this.key, nonce, aad).encrypt(
      buf.subarray(offset, offset + length),
      buf.subarray(offset, offset + length + AEAD_TAG_LENGTH),
    );
    return length + AEAD_TAG_LENGTH;
  }

  override openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    if (!checkOpenBounds(buf, offset, length)) return -1;
    const ptLen = length - AEAD_TAG_LENGTH;
    try {
      // The tag is checked before anything is written (RFC 8439 §2.8), so failure changes nothing.
      chacha20poly1305(this.key, nonce, aad).decrypt(buf.subarray(offset, offset + length), buf.subarray(offset, offset + ptLen));
    } catch {
      return -1;
    }
    return ptLen;
  }
}

/** RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample). */
class NobleAesHp implements HeaderProtection {
  private readonly key: Uint8Array;
  private readonly sample = new Uint8Array(HP_SAMPLE_LENGTH);

  constructor(key: Uint8Array) {
    this.key = key.slice();
  }

  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH), offset = 0): Uint8Array {
    if (sample.length < offset + HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    const block = ecb(this.key, { disablePadding: true }).encrypt(copySample(sample, offset, this.sample));
    for (let i = 0; i < HP_MASK_LENGTH; i++) out[i] = block[i]!;
    return out;
  }
}

/** The 16-byte sample at `offset`, copied into `scratch` (no view per packet), or `sample` itself at offset 0. */
function copySample(sample: Uint8Array, offset: number, scratch: Uint8Array): Uint8Array {
  if (offset === 0 && sample.length === HP_SAMPLE_LENGTH) return sample;
  for (let i = 0; i < HP_SAMPLE_LENGTH; i++) scratch[i] = sample[offset + i]!;
  return scratch;
}

/** "expand 32-byte k" as little-endian words (RFC 8439 §2.3). */
const SIGMA32 = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);
const ZERO5 = new Uint8Array(HP_MASK_LENGTH);

/**
 * RFC 9001 §5.4.4: counter = sample[0..4] (little-endian), nonce = sample[4..16],
 * mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}).
 */
class NobleChaChaHp implements HeaderProtection {
  private readonly key: Uint8Array;
  private readonly sample = new Uint8Array(HP_SAMPLE_LENGTH);
  private keyWords: Uint32Array | undefined;

  constructor(key: Uint8Array) {
    this.key = key.slice();
  }

  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH), offset = 0): Uint8Array {
    if (sample.length < offset + HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    sample = copySample(sample, offset, this.sample);
    const counter = (sample[0]! | (sample[1]! << 8) | (sample[2]! << 16) | (sample[3]! << 24)) >>> 0;
    if (counter === 0xffffffff) {
      this.maskAtMaxCounter(sample, out);
      return out;
    }
    const ks = chacha20(this.key, sample.subarray(4, HP_SAMPLE_LENGTH), ZERO5, undefined, counter);
    for (let i = 0; i < HP_MASK_LENGTH; i++) out[i] = ks[i]!;
    return out;
  }

  /**
   * noble's chacha20 refuses the initial counter 0xffffffff (its non-wrapping counter policy),
   * but RFC 9001 §5.4.4 allows any 32-bit counter, and only one block is needed. That block's
   * words 0..3 are HChaCha20(key, counter ‖ nonce) plus the constants (HChaCha20 is the ChaCha20
   * block function without the feed-forward, RFC 8439 §2.3 / draft-irtf-cfrg-xchacha §2.2),
   * which is what this computes. It happens for one sample in 2^32; tests pin it to node.
   */
  private maskAtMaxCounter(sample: Uint8Array, out: Uint8Array): void {
    if (this.keyWords === undefined) this.keyWords = leWords(this.key, 8);
    const words = new Uint32Array(8);
    hchacha(SIGMA32, this.keyWords, leWords(sample, 4), words);
    const w0 = (words[0]! + SIGMA32[0]!) >>> 0;
    const w1 = (words[1]! + SIGMA32[1]!) >>> 0;
    out[0] = w0 & 0xff;
    out[1] = (w0 >>> 8) & 0xff;
    out[2] = (w0 >>> 16) & 0xff;
    out[3] = w0 >>> 24;
    out[4] = w1 & 0xff;
  }
}

/** Little-endian 32-bit words of the first 4n bytes (host-endianness independent). */
function leWords(b: Uint8Array, n: number): Uint32Array {
  const w = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    w[i] = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }
  return w;
}

/** RFC 7748 §6.1: X25519 with a 32-byte private key (clamped by X25519 itself, §5). */
class NobleX25519Exchange implements KeyExchange {
  readonly group = 0x001d;
  readonly publicKey: Uint8Array;
  private readonly secret: Uint8Array;

  constructor(secret: Uint8Array) {
    this.secret = secret.slice();
    this.publicKey = x25519.getPublicKey(this.secret);
  }

  computeSharedSecret(peerPublic: Uint8Array): Uint8Array {
    checkKeyShareFormat(this.group, peerPublic);
    let z: Uint8Array;
    try {
      // noble refuses the known low-order points outright (they give an all-zero result).
      z = x25519.getSharedSecret(this.secret, peerPublic);
    } catch {
      throw invalidKeyShare(this.group, 'low-order X25519 point');
    }
    // RFC 9846 §7.4.2 / RFC 7748 §6.1: abort on an all-zero shared secret.
    if (isAllZero(z)) throw invalidKeyShare(this.group, 'all-zero X25519 shared secret');
    return z;
  }
}

type NobleEcdsa = typeof p256;

/** RFC 9846 §4.2.8.2 / §7.4.2: ECDH on P-256 or P-384; the shared secret is the X coordinate. */
class NobleEcdhExchange implements KeyExchange {
  readonly publicKey: Uint8Array;
  private readonly secret: Uint8Array;

  constructor(
    readonly group: number,
    private readonly curve: NobleEcdsa,
    secret: Uint8Array,
  ) {
    this.secret = secret.slice();
    this.publicKey = curve.getPublicKey(this.secret, false); // 0x04‖X‖Y
  }

  computeSharedSecret(peerPublic: Uint8Array): Uint8Array {
    checkKeyShareFormat(this.group, peerPublic);
    let point: Uint8Array;
    try {
      // Point.fromBytes checks coordinate ranges and the curve equation (the §4.2.8.2 steps).
      point = this.curve.getSharedSecret(this.secret, peerPublic, true);
    } catch {
      throw invalidKeyShare(this.group, 'not a point on the curve');
    }
    return point.slice(1); // compressed form 0x02/0x03‖X: drop the prefix, keep X at full length
  }
}

/** ECDSA curve of a key type (the curve is fixed by the scheme in TLS 1.3, RFC 9846 §4.2.3). */
function ecdsaCurve(type: string): NobleEcdsa | undefined {
  return type === 'ecdsa-p256' ? p256 : type === 'ecdsa-p384' ? p384 : undefined;
}

/** CertificateVerify signature with @noble/curves; RSA goes to node:crypto (no RSA in noble). */
function nobleSign(scheme: number, key: SigningKey, message: Uint8Array): Uint8Array {
  const info = checkSignScheme(scheme, key);
  if (info.keyType === 'rsa') return nodeSign(scheme, key, message);
  const secret = key.rawPrivate!;
  if (info.keyType === 'ed25519') return ed25519.sign(message, secret);
  // prehash: SHA-256 for P-256, SHA-384 for P-384 (the curve's hash, as the scheme names);
  // RFC 6979 deterministic nonce; low-S; DER ECDSA-Sig-Value (RFC 9846 §4.2.3).
  return ecdsaCurve(info.keyType)!.sign(message, secret, { prehash: true, lowS: true, format: 'der' });
}

/** Verification with @noble/curves; false for anything that is not a valid signature. */
function nobleVerify(scheme: number, key: VerifyKey, message: Uint8Array, signature: Uint8Array): boolean {
  const info = verifySchemeFor(scheme, key);
  if (info === undefined) return false;
  if (info.keyType === 'rsa') return nodeVerify(scheme, key, message, signature);
  const pub = key.rawPublic!;
  try {
    // RFC 8032 §5.1.7 strict verification (zip215: false), as OpenSSL does.
    if (info.keyType === 'ed25519') return ed25519.verify(signature, message, pub, { zip215: false });
    // lowS: false — OpenSSL and other stacks produce high-S signatures, which are valid ECDSA.
    return ecdsaCurve(info.keyType)!.verify(signature, message, pub, { prehash: true, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

/**
 * `keyExchange` of the noble provider: the private key is drawn from `randomBytes` (default:
 * noble's CSPRNG) by `ephemeralPrivateKey`. `secret` is a test hook for known-answer vectors (a
 * fixed private key: the P-256/P-384 scalar or the X25519 key); production code never passes it.
 */
export function nobleKeyExchange(group: number, secret?: Uint8Array, randomBytes: (n: number) => Uint8Array = nobleRandomBytes): KeyExchange {
  switch (group) {
    case 0x001d:
      return new NobleX25519Exchange(secret ?? ephemeralPrivateKey(group, randomBytes));
    case 0x0017:
      return new NobleEcdhExchange(group, p256, secret ?? ephemeralPrivateKey(group, randomBytes));
    case 0x0018:
      return new NobleEcdhExchange(group, p384, secret ?? ephemeralPrivateKey(group, randomBytes));
    default:
      throw unsupportedGroup(group);
  }
}

/**
 * The pure-JavaScript provider on @noble/ciphers, @noble/hashes and @noble/curves, the portable
 * reference the node provider is cross-checked against; only RSA-PSS signatures go to node:crypto.
 */
export const nobleProvider: CryptoProvider = {
  name: 'noble',

  aead(suite: CipherSuite, key: Uint8Array): Aead {
    const info = suiteInfo(suite);
    checkKeyLength(info.name, key, info.keyLength);
    return info.aead === 'chacha20-poly1305' ? new NobleChaChaPoly(info.suite, key) : new NobleAead(info.suite, key, gcm);
  },

  headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection {
    const info = suiteInfo(suite);
    checkKeyLength(`${info.name} hp`, hpKey, info.hpKeyLength);
    return info.aead === 'chacha20-poly1305' ? new NobleChaChaHp(hpKey) : new NobleAesHp(hpKey);
  },

  hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return extract(HASHES[hash], ikm, salt);
  },

  hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    return expand(HASHES[hash], prk, info, length);
  },

  hash(hash: HashName, data: Uint8Array): Uint8Array {
    return HASHES[hash](data);
  },

  hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(HASHES[hash], key, data);
  },

  randomBytes(n: number): Uint8Array {
    return nobleRandomBytes(n);
  },

  supportedGroups: KEY_EXCHANGE_GROUPS,

  keyExchange(group: number): KeyExchange {
    // Through `this`, so a copy with its own randomBytes generates its own keys (provider.ts).
    return nobleKeyExchange(group, undefined, (n) => this.randomBytes(n));
  },

  sign: nobleSign,
  verify: nobleVerify,
};
