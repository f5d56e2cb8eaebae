/**
 * tquic's public API. The foundation layers are exported today: wire formats, crypto providers
 * and packet protection, the TLS 1.3 engines, and the utilities they share. The connection,
 * endpoint and socket APIs (`connect`, `listen`) arrive with the connection core.
 */
export * as util from './util/index.js';
export * as wire from './wire/index.js';
export * as crypto from './crypto/index.js';
export * as tls from './crypto/tls/index.js';
export { TransportError, ErrorCode } from './util/transport-error.js';
export { getProvider, defaultProvider, PROVIDER_NAMES, type CryptoProvider } from './crypto/index.js';
export { generateDevCertificate, generateDevCa } from './crypto/certgen.js';
