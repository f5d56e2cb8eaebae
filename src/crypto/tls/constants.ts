/**
 * TLS 1.3 code points used by the handshake codec (RFC 8446 Appendix B and §4.2).
 *
 * The cipher suite table lives with the crypto provider (crypto/provider.ts, RFC 8446 §B.4) and
 * is re-exported here so that TLS code has one import for all its constants.
 */
import { fromHex } from '../../util/bytes.js';

export { CipherSuite } from '../provider.js';

/** RFC 8446 §4 / Appendix B.3: HandshakeType. */
export const HandshakeType = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  CERTIFICATE_REQUEST: 13,
  CERTIFICATE_VERIFY: 15,
  FINISHED: 20,
  KEY_UPDATE: 24,
  /** RFC 8446 §4.4.1: the synthetic message that replaces ClientHello1 in the transcript after HRR. */
  MESSAGE_HASH: 254,
} as const;
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

/** RFC 8446 §4.2: ExtensionType (the ones tquic names; any other is kept raw). */
export const ExtensionType = {
  SERVER_NAME: 0,
  STATUS_REQUEST: 5,
  SUPPORTED_GROUPS: 10,
  SIGNATURE_ALGORITHMS: 13,
  APPLICATION_LAYER_PROTOCOL_NEGOTIATION: 16,
  PADDING: 21,
  RECORD_SIZE_LIMIT: 28,
  PRE_SHARED_KEY: 41,
  EARLY_DATA: 42,
  SUPPORTED_VERSIONS: 43,
  COOKIE: 44,
  PSK_KEY_EXCHANGE_MODES: 45,
  CERTIFICATE_AUTHORITIES: 47,
  OID_FILTERS: 48,
  POST_HANDSHAKE_AUTH: 49,
  SIGNATURE_ALGORITHMS_CERT: 50,
  KEY_SHARE: 51,
  /** RFC 9001 §8.2 */
  QUIC_TRANSPORT_PARAMETERS: 0x39,
} as const;
export type ExtensionType = (typeof ExtensionType)[keyof typeof ExtensionType];

/** RFC 8446 §4.2.7: NamedGroup (the elliptic-curve groups QUIC stacks use). */
export const NamedGroup = {
  SECP256R1: 0x0017,
  SECP384R1: 0x0018,
  SECP521R1: 0x0019,
  X25519: 0x001d,
  X448: 0x001e,
} as const;
export type NamedGroup = (typeof NamedGroup)[keyof typeof NamedGroup];

/** RFC 8446 §4.2.3: SignatureScheme. */
export const SignatureScheme = {
  RSA_PKCS1_SHA256: 0x0401,
  RSA_PKCS1_SHA384: 0x0501,
  RSA_PKCS1_SHA512: 0x0601,
  ECDSA_SECP256R1_SHA256: 0x0403,
  ECDSA_SECP384R1_SHA384: 0x0503,
  ECDSA_SECP521R1_SHA512: 0x0603,
  RSA_PSS_RSAE_SHA256: 0x0804,
  RSA_PSS_RSAE_SHA384: 0x0805,
  RSA_PSS_RSAE_SHA512: 0x0806,
  ED25519: 0x0807,
  ED448: 0x0808,
  RSA_PSS_PSS_SHA256: 0x0809,
  RSA_PSS_PSS_SHA384: 0x080a,
  RSA_PSS_PSS_SHA512: 0x080b,
} as const;
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];

/** RFC 8446 §4.2.9: PskKeyExchangeMode. */
export const PskKeyExchangeMode = { PSK_KE: 0, PSK_DHE_KE: 1 } as const;

/** RFC 8446 §4.6.3: KeyUpdateRequest. */
export const KeyUpdateRequest = { UPDATE_NOT_REQUESTED: 0, UPDATE_REQUESTED: 1 } as const;

/** RFC 8446 §4.2.1: the supported_versions value of TLS 1.3. */
export const TLS13_VERSION = 0x0304;
/** RFC 8446 §4.1.2/§4.1.3: legacy_version is always 0x0303 (TLS 1.2) in TLS 1.3 hellos. */
export const LEGACY_VERSION = 0x0303;

/**
 * RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest, SHA-256 of
 * "HelloRetryRequest". Shared: never mutate it.
 */
export const HRR_RANDOM: Uint8Array = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

/**
 * Whether a ServerHello.random is HRR_RANDOM, which makes the ServerHello a HelloRetryRequest (RFC
 * 8446 §4.1.3).
 */
export function isHrrRandom(random: Uint8Array): boolean {
  if (random.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (random[i] !== HRR_RANDOM[i]) return false;
  return true;
}

/** RFC 8446 §4.1.2: Random is 32 bytes. */
export const RANDOM_LENGTH = 32;
/** RFC 8446 §4.1.2: legacy_session_id<0..32>. */
export const MAX_SESSION_ID_LENGTH = 32;
