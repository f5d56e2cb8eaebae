/**
 * tquic's public API. Exported today: the sans-IO Endpoint and Connection, the network
 * simulator, wire formats, crypto providers and packet protection, the TLS 1.3 engines, qlog,
 * and the utilities they share. The socket API (`connect`, `listen`) arrives with io/.
 */
export * as util from './util/index.js';
export * as wire from './wire/index.js';
export * as crypto from './crypto/index.js';
export * as tls from './crypto/tls/index.js';
export * as qlog from './qlog/index.js';
export * as sim from './sim/index.js';
export { Endpoint, type EndpointOptions, type EndpointEvent } from './endpoint/index.js';
export { Connection, type ConnectionConfig, type ConnectionEvent, type ConnectionStats } from './connection/index.js';
export { TransportError, ErrorCode } from './util/transport-error.js';
export { getProvider, defaultProvider, PROVIDER_NAMES, type CryptoProvider } from './crypto/index.js';
export { generateDevCertificate, generateDevCa } from './crypto/certgen.js';
