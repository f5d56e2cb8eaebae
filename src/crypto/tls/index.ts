/** The TLS 1.3 handshake codec for QUIC (RFC 8446 §4 as used by RFC 9001): one import for all of it. */
export * from './alert.js';
export * from './constants.js';
export * from './extensions.js';
export * from './messages.js';
export * from './framer.js';
