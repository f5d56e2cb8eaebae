/**
 * Packet protection keys derived from a traffic secret (RFC 9001 §5.1), key update
 * (RFC 9001 §6.1), and AEAD nonce construction (RFC 9001 §5.3; draft-ietf-quic-multipath-21
 * §2.4 "Nonce Calculation").
 */
import { hkdfExpandLabel } from './hkdf.js';
import { HASH_LENGTH, suiteInfo, type Aead, type CipherSuite, type CryptoProvider, type HeaderProtection, type SuiteInfo } from './provider.js';
import { versionCrypto } from './version.js';

/** Raw key material of one direction (RFC 9001 §5.1). */
export interface KeyMaterial {
  /** AEAD key: HKDF-Expand-Label(secret, "quic key", "", key_length) */
  readonly key: Uint8Array;
  /** AEAD IV: HKDF-Expand-Label(secret, "quic iv", "", 12) */
  readonly iv: Uint8Array;
  /** Header protection key: HKDF-Expand-Label(secret, "quic hp", "", hp_key_length) */
  readonly hp: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * RFC 9001 §5.1: key, iv and hp from a traffic secret, with the v1 labels ("quic key" …) or
 * the v2 labels ("quicv2 key" …, RFC 9369 §3.3.2).
 */
export function deriveKeyMaterial(provider: CryptoProvider, suite: CipherSuite, version: number, secret: Uint8Array): KeyMaterial {
  const s = suiteInfo(suite);
  const v = versionCrypto(version);
  return {
    key: hkdfExpandLabel(provider, s.hash, secret, v.keyLabel, EMPTY, s.keyLength),
    iv: hkdfExpandLabel(provider, s.hash, secret, v.ivLabel, EMPTY, s.ivLength),
    hp: hkdfExpandLabel(provider, s.hash, secret, v.hpLabel, EMPTY, s.hpKeyLength),
  };
}

/**
 * RFC 9001 §6.1: secret_<n+1> = HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length)
 * ("quicv2 ku" for v2). The header protection key is not updated.
 */
export function nextTrafficSecret(provider: CryptoProvider, suite: CipherSuite, version: number, secret: Uint8Array): Uint8Array {
  const s = suiteInfo(suite);
  return hkdfExpandLabel(provider, s.hash, secret, versionCrypto(version).kuLabel, EMPTY, HASH_LENGTH[s.hash]);
}

const TWO32 = 0x1_0000_0000;

/**
 * RFC 9001 §5.3: nonce = iv XOR (packet number left-padded to the IV length), written into `out`
 * (12 bytes). With a `pathId` (draft-ietf-quic-multipath-21 §2.4) the 96-bit
 * path-and-packet-number is pathId (32) ‖ 0b00 ‖ pn (62); path 0 gives the RFC 9001 nonce.
 * `pn` is an integer below 2^62 (exact as a double below 2^53, which any real connection stays
 * under); no BigInt.
 */
export function computeNonce(iv: Uint8Array, pn: number, out: Uint8Array, pathId = 0): Uint8Array {
  const lo = pn >>> 0;
  const hi = Math.floor(pn / TWO32) >>> 0;
  out[0] = iv[0]! ^ (pathId >>> 24);
  out[1] = iv[1]! ^ ((pathId >>> 16) & 0xff);
  out[2] = iv[2]! ^ ((pathId >>> 8) & 0xff);
  out[3] = iv[3]! ^ (pathId & 0xff);
  out[4] = iv[4]! ^ (hi >>> 24);
  out[5] = iv[5]! ^ ((hi >>> 16) & 0xff);
  out[6] = iv[6]! ^ ((hi >>> 8) & 0xff);
  out[7] = iv[7]! ^ (hi & 0xff);
  out[8] = iv[8]! ^ (lo >>> 24);
  out[9] = iv[9]! ^ ((lo >>> 16) & 0xff);
  out[10] = iv[10]! ^ ((lo >>> 8) & 0xff);
  out[11] = iv[11]! ^ (lo & 0xff);
  return out;
}

/**
 * The keys protecting one direction of one packet number space (or one key phase of 1-RTT):
 * a ready AEAD, header protection, the IV and a reusable nonce buffer.
 *
 * Also carries the per-key counters RFC 9001 §6.6 limits are checked against. They are plain
 * numbers (DESIGN §4 rule 6); packet-protection.ts increments them, the connection compares
 * them with `suite.confidentialityLimit` (per key) and `suite.integrityLimit` (summed over all
 * keys of the connection) and initiates a key update or closes with AEAD_LIMIT_REACHED.
 */
export class DirectionalKeys {
  readonly suite: SuiteInfo;
  /** Reusable nonce scratch; the value returned by `nonce()` is valid until the next call. */
  private readonly nonceBuf = new Uint8Array(12);
  /** Packets sealed with this key (RFC 9001 §6.6 confidentiality limit). */
  packetsProtected = 0;
  /** Packets that failed to authenticate with this key (RFC 9001 §6.6 integrity limit). */
  authFailures = 0;

  constructor(
    readonly provider: CryptoProvider,
    suite: CipherSuite,
    readonly version: number,
    /** The traffic secret these keys came from (kept for the next key update). */
    readonly secret: Uint8Array,
    readonly aead: Aead,
    readonly hp: HeaderProtection,
    readonly iv: Uint8Array,
    /** Key generation: 0 for the first 1-RTT keys, +1 per key update (RFC 9001 §6). */
    readonly generation = 0,
  ) {
    this.suite = suiteInfo(suite);
  }

  /** RFC 9001 §5.1: everything from a traffic secret. */
  static fromSecret(provider: CryptoProvider, suite: CipherSuite, version: number, secret: Uint8Array): DirectionalKeys {
    const m = deriveKeyMaterial(provider, suite, version, secret);
    return new DirectionalKeys(
      provider,
      suite,
      version,
      secret.slice(),
      provider.aead(suite, m.key),
      provider.headerProtection(suite, m.hp),
      m.iv,
    );
  }

  /** The nonce for a packet number (and path), in the shared scratch buffer. */
  nonce(pn: number, pathId = 0): Uint8Array {
    return computeNonce(this.iv, pn, this.nonceBuf, pathId);
  }

  /**
   * RFC 9001 §6.1: keys of the next key phase. A new secret, AEAD key and IV; the header
   * protection object is shared, since "the header protection key is not updated".
   */
  nextGeneration(): DirectionalKeys {
    const secret = nextTrafficSecret(this.provider, this.suite.suite, this.version, this.secret);
    const m = deriveKeyMaterial(this.provider, this.suite.suite, this.version, secret);
    return new DirectionalKeys(
      this.provider,
      this.suite.suite,
      this.version,
      secret,
      this.provider.aead(this.suite.suite, m.key),
      this.hp,
      m.iv,
      this.generation + 1,
    );
  }
}

/** Keys for both directions of one packet number space. */
export interface PacketKeys {
  /** Protects packets we send. */
  readonly seal: DirectionalKeys;
  /** Removes protection from packets we receive. */
  readonly open: DirectionalKeys;
}

/** Both directions from the two traffic secrets, oriented for our role. */
export function packetKeysFromSecrets(
  provider: CryptoProvider,
  suite: CipherSuite,
  version: number,
  clientSecret: Uint8Array,
  serverSecret: Uint8Array,
  isServer: boolean,
): PacketKeys {
  const client = DirectionalKeys.fromSecret(provider, suite, version, clientSecret);
  const server = DirectionalKeys.fromSecret(provider, suite, version, serverSecret);
  return isServer ? { seal: server, open: client } : { seal: client, open: server };
}
