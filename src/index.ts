/**
 * tquic's public API: the socket API (`listen`, `connect` and the QuicServer, QuicConnection and
 * QuicStream they give), the sans-IO Endpoint and Connection, the network simulator, wire
 * formats, crypto providers and packet protection, the TLS 1.3 engines, qlog, HTTP/3 and
 * HTTP/0.9 over the socket API, and the utilities they share.
 *
 * @packageDocumentation
 */
/**
 * Layer 0 utilities: ByteReader and ByteWriter, QUIC varints (RFC 9000 §16), RangeSet, the
 * seeded Prng, Instant and Duration in microseconds, datagrams and socket addresses, and
 * TransportError.
 */
export * as util from './util/index.js';
/**
 * Layer 1 wire formats: frames (RFC 9000 §19) and their legality per packet type (§12.4),
 * packet headers (§17) and packet numbers, versions, transport parameters (§18) and the
 * error-code table (§20).
 */
export * as wire from './wire/index.js';
/**
 * Crypto providers (noble and node:crypto), HKDF, Initial secrets and packet keys (RFC 9001
 * §5), packet and header protection, key update, Retry integrity, stateless reset tokens, key
 * log lines and signing keys.
 */
export * as crypto from './crypto/index.js';
/**
 * TLS 1.3 for QUIC (RFC 8446 as used by RFC 9001): the sans-IO client and server engines, the
 * key schedule, certificates, and the handshake message codec.
 */
export * as tls from './crypto/tls/index.js';
/**
 * qlog (draft-ietf-quic-qlog-main-schema, -quic-events, -h3-events): typed events, frame
 * conversion, sinks and JSON-SEQ formatting, without file I/O.
 */
export * as qlog from './qlog/index.js';
/**
 * The network simulator in virtual time: a discrete-event engine, links, hosts, topologies,
 * workloads, scenarios and presets, and the comparison of runs.
 */
export * as sim from './sim/index.js';
/** Multipath packet schedulers (draft-ietf-quic-multipath-21) and their registry. */
export * as paths from './paths/index.js';
/**
 * Forward error correction codes (specs/fec.md): XOR, Reed-Solomon over GF(2^8) (RFC 5510),
 * sliding-window RLC (RFC 8681) with TinyMT32 (RFC 8682), the sending and receiving FEC
 * sessions, and the redundancy policies.
 */
export * as fec from './fec/index.js';
/**
 * Congestion control for plug-in authors: the `CongestionController` interface the built-in
 * controllers (newreno, cubic, bbr3, prague) implement, the signals it receives (`AckEvent`,
 * `RateSample`, the `RttEstimator`), and the registry that creates controllers by name.
 */
export * as congestion from './recovery/cc/public.js';
/**
 * Plug-ins: one object that registers an experiment's congestion controllers, multipath
 * schedulers and path managers, FEC policies and qlog sinks by name (`registerPlugin`), or a module loaded with
 * `loadPlugin` (what `tquic sim --plugin` does).
 */
export * as plugins from './plugins/index.js';
export { registerPlugin, loadPlugin, type TquicPlugin } from './plugins/index.js';
export { Endpoint, type EndpointOptions, type EndpointEvent, type RetryMode, type AddressValidationStats } from './endpoint/index.js';
export {
  Connection,
  StrikeRegister,
  MemoryTokenStore,
  type ConnectionConfig,
  type ConnectionEvent,
  type ConnectionStats,
  type ConnectionState,
  type ConnectionInit,
  type TokenStore,
} from './connection/index.js';
export type { StreamId } from './streams/index.js';
export { TransportError, ErrorCode } from './util/transport-error.js';
export { getProvider, defaultProvider, PROVIDER_NAMES, type CryptoProvider } from './crypto/index.js';
export {
  generateDevCertificate,
  generateDevCa,
  type PemCredentials,
  type DevCertificateOptions,
  type DevCaOptions,
  type DevKeyType,
} from './crypto/certgen.js';
/**
 * The node:dgram edge: the UDP driver with the real clock, qlog and key log files, and the
 * async socket API (`listen`, `connect`, QuicServer, QuicConnection, QuicStream).
 */
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
export type { CloseInfo, TransportSettings, FecConfig, FecStats, FecSchemeName, MultipathConfig, PathStats } from './connection/index.js';
/**
 * The multipath path manager (draft-ietf-quic-multipath-21): the policy that opens, closes and
 * prefers paths, chosen by name (`MultipathConfig.pathManager`), and its registry; the packet
 * schedulers' registry is `paths`.
 */
export {
  registerPathManager,
  createPathManager,
  pathManagerNames,
  type PathManager,
  type PathManagerFactory,
  type PathManagerOptions,
  type PathManagerEvent,
  type PathControl,
  type PathView,
} from './connection/index.js';
/**
 * Application protocols over the socket API: HTTP/3 (RFC 9114) with QPACK (RFC 9204) and
 * HTTP/0.9 as the QUIC interop runner speaks it (ALPN "hq-interop"), each as a file server and
 * a client.
 */
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
