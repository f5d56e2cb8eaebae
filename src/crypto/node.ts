/**
 * The `node` crypto provider (DESIGN §5): node:crypto (OpenSSL).
 *
 * - AEAD: one `createCipheriv`/`createDecipheriv` per packet (an AEAD context cannot be re-keyed
 *   with a new nonce through the Node API), with the key prepared once as a KeyObject
 *   (`createSecretKey`) per AEAD object, so OpenSSL does not re-import raw key bytes per packet.
 *   The ciphertext comes back as a new Buffer and is copied into place; on open the plaintext is
 *   copied only after `final()` has verified the tag, so a failed open changes nothing.
 * - AES header protection: one long-lived AES-ECB context per hp key; ECB without padding is
 *   stateless across blocks, so each `update(sample)` returns the encryption of that block.
 * - ChaCha20 header protection: OpenSSL's "chacha20" takes a 16-byte IV = 32-bit little-endian
 *   counter ‖ 96-bit nonce, which is exactly the sample layout of RFC 9001 §5.4.4.
 * - HKDF: Extract is one HMAC (RFC 5869 §2.2); Expand is the RFC 5869 §2.3 HMAC chain, because
 *   node's hkdfSync always runs Extract first and cannot start from a PRK.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  randomBytes as nodeRandomBytes,
  type Cipher,
  type KeyObject,
} from 'node:crypto';
import {
  AEAD_TAG_LENGTH,
  HASH_LENGTH,
  HP_MASK_LENGTH,
  HP_SAMPLE_LENGTH,
  checkKeyLength,
  checkOpenBounds,
  checkSealBounds,
  suiteInfo,
  type Aead,
  type AeadAlgorithm,
  type CipherSuite,
  type CryptoProvider,
  type HashName,
  type HeaderProtection,
} from './provider.js';

/** A plain Uint8Array view of a Buffer (no copy), so results compare equal to noble's. */
function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const EMPTY = new Uint8Array(0);

class NodeAead implements Aead {
  readonly tagLength = AEAD_TAG_LENGTH;
  private readonly key: KeyObject;

  constructor(
    readonly suite: CipherSuite,
    private readonly alg: AeadAlgorithm,
    key: Uint8Array,
  ) {
    this.key = createSecretKey(key);
  }

  private cipher(nonce: Uint8Array, aad: Uint8Array, plaintextLength: number) {
    // The overloads differ only in the algorithm literal type; both return an AEAD cipher.
    const c =
      this.alg === 'chacha20-poly1305'
        ? createCipheriv(this.alg, this.key, nonce, { authTagLength: AEAD_TAG_LENGTH })
        : createCipheriv(this.alg, this.key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    c.setAAD(aad, { plaintextLength });
    return c;
  }

  private decipher(nonce: Uint8Array, aad: Uint8Array, tag: Uint8Array, plaintextLength: number) {
    const d =
      this.alg === 'chacha20-poly1305'
        ? createDecipheriv(this.alg, this.key, nonce, { authTagLength: AEAD_TAG_LENGTH })
        : createDecipheriv(this.alg, this.key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    d.setAuthTag(tag);
    d.setAAD(aad, { plaintextLength });
    return d;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
    out.set(plaintext);
    this.sealInPlace(nonce, aad, out, 0, plaintext.length);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    const n = ciphertextAndTag.length - AEAD_TAG_LENGTH;
    if (n < 0) return null;
    const pt = this.decrypt(nonce, aad, ciphertextAndTag, 0, ciphertextAndTag.length);
    return pt === null ? null : u8(pt);
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

/** RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample), one reused ECB context. */
class NodeAesHp implements HeaderProtection {
  private readonly ecb: Cipher;

  constructor(keyLength: number, key: Uint8Array) {
    this.ecb = createCipheriv(keyLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb', createSecretKey(key), null);
    this.ecb.setAutoPadding(false);
  }

  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH)): Uint8Array {
    if (sample.length < HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    const block = this.ecb.update(sample.subarray(0, HP_SAMPLE_LENGTH));
    for (let i = 0; i < HP_MASK_LENGTH; i++) out[i] = block[i]!;
    return out;
  }
}

const ZERO5 = new Uint8Array(HP_MASK_LENGTH);

/** RFC 9001 §5.4.4: IV = sample (counter LE ‖ nonce), mask = ChaCha20 of five zero bytes. */
class NodeChaChaHp implements HeaderProtection {
  private readonly key: KeyObject;

  constructor(key: Uint8Array) {
    this.key = createSecretKey(key);
  }

  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH)): Uint8Array {
    if (sample.length < HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    const ks = createCipheriv('chacha20', this.key, sample.subarray(0, HP_SAMPLE_LENGTH)).update(ZERO5);
    for (let i = 0; i < HP_MASK_LENGTH; i++) out[i] = ks[i]!;
    return out;
  }
}

function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(createHmac(hash, key).update(data).digest());
}

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
    return u8(createHash(hash).update(data).digest());
  },

  hmac,

  randomBytes(n: number): Uint8Array {
    return u8(nodeRandomBytes(n));
  },
};
