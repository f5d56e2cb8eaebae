/**
 * tquic's public API: the socket API (`listen`, `connect` and the QuicServer, QuicConnection and
 * QuicStream they give), the sans-IO Endpoint and Connection, the network simulator, wire
 * formats, crypto providers and packet protection, the TLS 1.3 engines, qlog, HTTP/3 and
 * HTTP/0.9 over the socket API, and the utilities they share.
 */
export * as util from './util/index.js';
export * as wire from './wire/index.js';
export * as crypto from './crypto/index.js';
export * as tls from './crypto/tls/index.js';
export * as qlog from './qlog/index.js';
export * as sim from './sim/index.js';
export * as paths from './paths/index.js';
export * as fec from './fec/index.js';
export { Endpoint, type EndpointOptions, type EndpointEvent } from './endpoint/index.js';
export { Connection, type ConnectionConfig, type ConnectionEvent, type ConnectionStats } from './connection/index.js';
export { TransportError, ErrorCode } from './util/transport-error.js';
export { getProvider, defaultProvider, PROVIDER_NAMES, type CryptoProvider } from './crypto/index.js';
export { generateDevCertificate, generateDevCa } from './crypto/certgen.js';
export * as io from './io/index.js';
export {
  listen,
  connect,
  QuicServer,
  QuicConnection,
  QuicStream,
  QuicError,
  QuicStreamError,
  type ListenOptions,
  type ConnectOptions,
  type CommonOptions,
  type OpenStreamOptions,
  type QuicServerEvents,
  type ServerStats,
  type QuicConnectionEvents,
  type PathChange,
  type PathEvent,
  type PemSource,
  type DriverWarning,
} from './io/index.js';
export type { CloseInfo, TransportSettings, FecConfig, FecStats } from './connection/index.js';
export * as http from './http/index.js';
export {
  serveH3,
  fetchH3,
  serveHq,
  fetchHq,
  H3_ALPN,
  HQ_ALPN,
  type H3ServerOptions,
  type H3FetchOptions,
  type H3Result,
  type HqServerOptions,
  type HqFetchOptions,
  type HqResult,
} from './http/index.js';
