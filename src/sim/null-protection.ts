/**
 * Null packet protection, for the simulator only: a provider that keeps another provider's TLS
 * (key exchange, signatures, HKDF, hashes, randomness — the handshake is real) but protects
 * packets with nothing. It offers no confidentiality and no security at all; the socket API
 * refuses it (io/options.ts) and only `runScenario` callers (`tquic sim --crypto null`, `tquic
 * soak --crypto null`) reach it.
 *
 * Why it exists: in the simulator, node:crypto's per-packet AEAD (a `createCipheriv` and four
 * more binding calls per packet, about 6 µs to seal and 6 µs to open) is close to half of the
 * wall time, yet it changes nothing the simulation measures, which runs in virtual time. A
 * parameter sweep runs about twice as fast without it. The same idea is in neqo's
 * `disable-encryption` build (a null AEAD for fuzzing).
 *
 * What it keeps, so that a run gives the same result as with real protection:
 * - Sizes: the 16-byte tag is still appended, so every datagram has the same length.
 * - Integrity: the tag holds a CRC-32 (zlib's) of AAD ‖ plaintext started from a CRC of the
 *   key, then twelve bytes of the key XOR the nonce. A datagram the simulator corrupts fails to
 *   open (CRC-32 detects every error of up to three bits in a packet of QUIC's size), and so
 *   does a packet opened with the wrong keys (another packet number space, key phase or
 *   connection) or the wrong packet number, as with an AEAD.
 * - Header protection: the mask is all zeros, so the header goes out as built. A flipped bit in
 *   the header still fails the open, through the AAD.
 * - Where no link of a scenario corrupts datagrams, `runScenario` uses a twin without the CRC
 *   (`withoutChecksum`): nothing can then change a datagram on its way, and the key and nonce
 *   bytes still fail a packet opened with the wrong keys or packet number.
 * The plaintext is left in place: the "ciphertext" is readable.
 *
 * `test/sim/null-protection.test.ts` checks that the simulator's results are the same with this
 * and with the node provider.
 */
import { crc32 } from 'node:zlib';
import {
  AEAD_TAG_LENGTH,
  HP_MASK_LENGTH,
  HP_SAMPLE_LENGTH,
  checkKeyLength,
  checkOpenBounds,
  checkSealBounds,
  sealToNew,
  suiteInfo,
  type Aead,
  type CipherSuite,
  type CryptoProvider,
  type HeaderProtection,
} from '../crypto/provider.js';

/** Bytes of the key repeated in the tag after the CRC (the rest of the 16-byte tag). */
const KEY_CHECK_LENGTH = AEAD_TAG_LENGTH - 4;

class NullAead implements Aead {
  readonly tagLength = AEAD_TAG_LENGTH;
  /** CRC-32 of the key: where each packet's CRC starts, so another key gives another tag. */
  private readonly seed: number;
  private readonly check: Uint8Array;

  constructor(
    readonly suite: CipherSuite,
    key: Uint8Array,
    /** Whether the tag carries the CRC; without it only the key and nonce bytes are checked. */
    private readonly checksum: boolean,
  ) {
    this.seed = crc32(key);
    this.check = key.slice(0, KEY_CHECK_LENGTH);
  }

  /** CRC of aad ‖ payload: one call over the packet when the header precedes the payload. */
  private crc(buf: Uint8Array, aad: Uint8Array | undefined, aadStart: number, offset: number, length: number): number {
    if (!this.checksum) return this.seed;
    if (aad === undefined) return crc32(buf.subarray(aadStart, offset + length), this.seed);
    return crc32(buf.subarray(offset, offset + length), crc32(aad, this.seed));
  }

  /** The tag: the CRC, then the key's check bytes XOR the nonce (so another packet number fails). */
  private writeTag(crc: number, nonce: Uint8Array, buf: Uint8Array, at: number): void {
    buf[at] = crc >>> 24;
    buf[at + 1] = (crc >>> 16) & 0xff;
    buf[at + 2] = (crc >>> 8) & 0xff;
    buf[at + 3] = crc & 0xff;
    const k = this.check;
    for (let i = 0; i < KEY_CHECK_LENGTH; i++) buf[at + 4 + i] = k[i]! ^ nonce[i]!;
  }

  private tagMatches(crc: number, nonce: Uint8Array, buf: Uint8Array, at: number): boolean {
    if (buf[at] !== crc >>> 24 || buf[at + 1] !== ((crc >>> 16) & 0xff) || buf[at + 2] !== ((crc >>> 8) & 0xff) || buf[at + 3] !== (crc & 0xff)) return false;
    const k = this.check;
    for (let i = 0; i < KEY_CHECK_LENGTH; i++) if (buf[at + 4 + i] !== (k[i]! ^ nonce[i]!)) return false;
    return true;
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    checkSealBounds(buf, offset, length);
    this.writeTag(this.crc(buf, aad, 0, offset, length), nonce, buf, offset + length);
    return length + AEAD_TAG_LENGTH;
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
    if (!checkOpenBounds(buf, offset, length)) return -1;
    const n = length - AEAD_TAG_LENGTH;
    return this.tagMatches(this.crc(buf, aad, 0, offset, n), nonce, buf, offset + n) ? n : -1;
  }

  sealPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number {
    checkSealBounds(buf, offset, length);
    this.writeTag(this.crc(buf, undefined, aadOffset, offset, length), nonce, buf, offset + length);
    return length + AEAD_TAG_LENGTH;
  }

  openPacket(nonce: Uint8Array, buf: Uint8Array, aadOffset: number, offset: number, length: number): number {
    if (!checkOpenBounds(buf, offset, length)) return -1;
    const n = length - AEAD_TAG_LENGTH;
    return this.tagMatches(this.crc(buf, undefined, aadOffset, offset, n), nonce, buf, offset + n) ? n : -1;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return sealToNew(this, nonce, aad, plaintext);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    const buf = ciphertextAndTag.slice();
    const n = this.openInPlace(nonce, aad, buf, 0, buf.length);
    return n < 0 ? null : buf.subarray(0, n);
  }
}

/** Header protection that masks nothing. */
const NULL_HP: HeaderProtection = {
  mask(sample: Uint8Array, out: Uint8Array = new Uint8Array(HP_MASK_LENGTH), offset = 0): Uint8Array {
    if (sample.length < offset + HP_SAMPLE_LENGTH) throw new RangeError('header protection sample too short');
    out.fill(0, 0, HP_MASK_LENGTH);
    return out;
  },
};

/** Each null provider with the checksum, and its twin without (`withoutChecksum`). */
const twins = new WeakMap<CryptoProvider, CryptoProvider>();

/**
 * `base` with null packet protection (see the file comment): named 'null', its TLS and
 * randomness `base`'s. For the simulator only; it protects nothing. `checksum: false` leaves
 * the CRC out of the tag (only the key and nonce are checked): for runs where no datagram can
 * be corrupted, where it changes nothing but the time taken (`withoutChecksum`).
 */
export function nullPacketProtection(base: CryptoProvider, o: { checksum?: boolean } = {}): CryptoProvider {
  const checksum = o.checksum ?? true;
  const p: CryptoProvider = {
    ...base,
    name: 'null',
    aead(suite: CipherSuite, key: Uint8Array): Aead {
      const info = suiteInfo(suite);
      checkKeyLength(info.name, key, info.keyLength);
      return new NullAead(info.suite, key, checksum);
    },
    headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection {
      const info = suiteInfo(suite);
      checkKeyLength(`${info.name} hp`, hpKey, info.hpKeyLength);
      return NULL_HP;
    },
  };
  if (checksum) twins.set(p, nullPacketProtection(base, { checksum: false }));
  return p;
}

/**
 * The same null protection without the CRC, for a provider made by `nullPacketProtection`
 * with it; undefined for any other provider. `runScenario` runs a scenario in which no link
 * corrupts datagrams on it: a datagram then arrives as it was sent, and a packet opened with
 * the wrong keys or packet number still fails on the key and nonce bytes, so the run is the
 * same, about 8% faster.
 */
export function withoutChecksum(p: CryptoProvider): CryptoProvider | undefined {
  return twins.get(p);
}
