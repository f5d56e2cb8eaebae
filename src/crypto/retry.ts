/**
 * Retry Packet Integrity (RFC 9001 §5.8; RFC 9369 §3.3.3 for the v2 key and nonce): the
 * 128-bit tag at the end of a Retry packet is AES-128-GCM with a fixed key and nonce over an
 * empty plaintext, with the Retry pseudo-packet as associated data.
 */
import { CipherSuite, type Aead, type CryptoProvider } from './provider.js';
import { versionCrypto } from './version.js';

/** Length in bytes of the Retry Integrity Tag at the end of a Retry packet (RFC 9001 §5.8). */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

const EMPTY = new Uint8Array(0);

/** One fixed-key AEAD per provider and version (Retry is rare, but verification is per packet). */
const AEADS = new WeakMap<CryptoProvider, Map<number, Aead>>();

function retryAead(provider: CryptoProvider, version: number): Aead {
  let m = AEADS.get(provider);
  if (m === undefined) AEADS.set(provider, (m = new Map()));
  let a = m.get(version);
  if (a === undefined) {
    a = provider.aead(CipherSuite.TLS_AES_128_GCM_SHA256, versionCrypto(version).retryKey);
    m.set(version, a);
  }
  return a;
}

/**
 * RFC 9001 §5.8: Retry Pseudo-Packet = ODCID Length (8) ‖ Original Destination Connection ID ‖
 * the Retry packet without its integrity tag.
 */
export function retryPseudoPacket(odcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  if (odcid.length > 255) throw new RangeError('original destination connection ID too long');
  const out = new Uint8Array(1 + odcid.length + retryWithoutTag.length);
  out[0] = odcid.length;
  out.set(odcid, 1);
  out.set(retryWithoutTag, 1 + odcid.length);
  return out;
}

/** The 16-byte Retry Integrity Tag for a Retry packet (everything before the tag). */
export function computeRetryIntegrityTag(
  provider: CryptoProvider,
  version: number,
  odcid: Uint8Array,
  retryWithoutTag: Uint8Array,
): Uint8Array {
  const nonce = versionCrypto(version).retryNonce;
  return retryAead(provider, version).seal(nonce, retryPseudoPacket(odcid, retryWithoutTag), EMPTY);
}

/**
 * Checks the tag of a received Retry packet (the whole packet, tag included) against the ODCID
 * the client sent. False for a bad tag or a packet shorter than the tag; never throws for
 * untrusted input (RFC 9000 §17.2.5.2: a client discards a Retry whose tag does not verify).
 */
export function verifyRetryIntegrity(provider: CryptoProvider, version: number, odcid: Uint8Array, retryPacket: Uint8Array): boolean {
  const n = retryPacket.length - RETRY_INTEGRITY_TAG_LENGTH;
  if (n < 0 || odcid.length > 255) return false;
  const aad = retryPseudoPacket(odcid, retryPacket.subarray(0, n));
  const nonce = versionCrypto(version).retryNonce;
  // AEAD open of an empty plaintext: authenticates the tag (constant-time inside the backend).
  return retryAead(provider, version).open(nonce, aad, retryPacket.subarray(n)) !== null;
}
