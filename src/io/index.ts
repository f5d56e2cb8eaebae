/**
 * io/ (the edge, DESIGN §2): the node:dgram driver with the real clock, qlog and keylog files,
 * and the public async API (`listen`, `connect`, QuicServer, QuicConnection, QuicStream).
 */
export { listen, QuicServer, DEFAULT_SHUTDOWN_TIMEOUT_MS, type ListenOptions, type QuicServerEvents, type ServerStats, type ServerCloseOptions, type ShutdownHook } from './server.js';
export { connect, type ConnectOptions } from './client.js';
export { MemorySessionStore, type SessionStore } from '../connection/session-cache.js';
export { encodeSession, decodeSession, type ClientSession } from '../crypto/tls/engine.js';
export { QuicConnection, type QuicConnectionEvents, type OpenStreamOptions, type PathChange, type PathEvent, type KeyUpdate } from './connection.js';
export { QuicStream, type QuicStreamOptions } from './stream.js';
export { QuicError, QuicStreamError, AbortError, describeClose, type QuicErrorCode } from './errors.js';
export type { CommonOptions, PemSource } from './options.js';
export { UdpDriver, DEFAULT_SOCKET_BUFFER, type UdpDriverOptions, type UdpSocketOptions, type DriverWarning } from './udp.js';
export { Clock } from './clock.js';
export { QlogFileSink, readPem, loadTrustAnchors, loadServerCredentials } from './files.js';
