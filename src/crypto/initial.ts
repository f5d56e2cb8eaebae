/**
 * Initial packet protection (RFC 9001 §5.2; RFC 9369 §3.3.1 for v2): secrets derived from the
 * client's first Destination Connection ID, always with TLS_AES_128_GCM_SHA256.
 */
import { hkdfExpandLabel } from './hkdf.js';
import { packetKeysFromSecrets, type PacketKeys } from './keys.js';
import { CipherSuite, type CryptoProvider } from './provider.js';
import { versionCrypto } from './version.js';

/** RFC 9001 §5.2: Initial packets use AEAD_AES_128_GCM with SHA-256. */
export const INITIAL_SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;

const EMPTY = new Uint8Array(0);

/**
 * The Initial secrets derived from the client's first Destination Connection ID (RFC 9001 §5.2).
 */
export interface InitialSecrets {
  /** initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id) */
  readonly initial: Uint8Array;
  /** HKDF-Expand-Label(initial_secret, "client in", "", 32) */
  readonly client: Uint8Array;
  /** HKDF-Expand-Label(initial_secret, "server in", "", 32) */
  readonly server: Uint8Array;
}

/**
 * RFC 9001 §5.2 (the labels "client in"/"server in" are the same in v2, RFC 9369 §3.3.2; only
 * the salt changes). `dcid` is the Destination Connection ID of the client's first Initial
 * (or the one from a Retry, RFC 9001 §5.2).
 */
export function initialSecrets(provider: CryptoProvider, version: number, dcid: Uint8Array): InitialSecrets {
  const initial = provider.hkdfExtract('sha256', versionCrypto(version).initialSalt, dcid);
  return {
    initial,
    client: hkdfExpandLabel(provider, 'sha256', initial, 'client in', EMPTY, 32),
    server: hkdfExpandLabel(provider, 'sha256', initial, 'server in', EMPTY, 32),
  };
}

/** Initial keys for both directions, oriented for our role (seal = ours, open = the peer's). */
export function initialKeys(provider: CryptoProvider, version: number, dcid: Uint8Array, isServer: boolean): PacketKeys {
  const s = initialSecrets(provider, version, dcid);
  return packetKeysFromSecrets(provider, INITIAL_SUITE, version, s.client, s.server, isServer);
}
