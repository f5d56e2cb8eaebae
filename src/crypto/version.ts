/**
 * Per-version cryptographic constants: QUIC v1 (RFC 9001) and QUIC v2 (RFC 9369 §3.3).
 * Kept in crypto/ so that crypto does not depend on wire/; the numeric versions match wire's.
 */
import { fromHex } from '../util/bytes.js';

/** RFC 9000 §15 */
export const QUIC_V1 = 0x00000001;
/** RFC 9369 §3.1 */
export const QUIC_V2 = 0x6b3343cf;

/**
 * The per-version constants of packet protection: the Initial salt, the HKDF labels and the Retry
 * integrity key and nonce.
 */
export interface VersionCrypto {
  readonly version: number;
  /** RFC 9001 §5.2 / RFC 9369 §3.3.1 */
  readonly initialSalt: Uint8Array;
  /** RFC 9001 §5.1 / RFC 9369 §3.3.2: HKDF-Expand-Label labels for packet protection. */
  readonly keyLabel: string;
  readonly ivLabel: string;
  readonly hpLabel: string;
  /** RFC 9001 §6.1 / RFC 9369 §3.3.2: key update label. */
  readonly kuLabel: string;
  /** RFC 9001 §5.8 / RFC 9369 §3.3.3: Retry integrity AES-128-GCM key and nonce. */
  readonly retryKey: Uint8Array;
  readonly retryNonce: Uint8Array;
}

const V1: VersionCrypto = {
  version: QUIC_V1,
  initialSalt: fromHex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
  keyLabel: 'quic key',
  ivLabel: 'quic iv',
  hpLabel: 'quic hp',
  kuLabel: 'quic ku',
  retryKey: fromHex('be0c690b9f66575a1d766b54e368c84e'),
  retryNonce: fromHex('461599d35d632bf2239825bb'),
};

const V2: VersionCrypto = {
  version: QUIC_V2,
  initialSalt: fromHex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
  keyLabel: 'quicv2 key',
  ivLabel: 'quicv2 iv',
  hpLabel: 'quicv2 hp',
  kuLabel: 'quicv2 ku',
  retryKey: fromHex('8fb4b01b56ac48e260fbcbcead7ccc92'),
  retryNonce: fromHex('d86969bc2d7c6d9990efb04a'),
};

/** The constants of a version; throws RangeError for a version without defined crypto. */
export function versionCrypto(version: number): VersionCrypto {
  if (version === QUIC_V1) return V1;
  if (version === QUIC_V2) return V2;
  throw new RangeError(`no packet protection defined for version 0x${(version >>> 0).toString(16)}`);
}

/** Whether packet protection is defined for a version: QUIC v1 or v2. */
export function isSupportedCryptoVersion(version: number): boolean {
  return version === QUIC_V1 || version === QUIC_V2;
}
