/**
 * TLS 1.3 for QUIC (RFC 8446 as used by RFC 9001): the sans-IO client and server engines, the
 * key schedule, certificates, and the handshake message codec.
 */
export * from './alert.js';
export * from './constants.js';
export * from './extensions.js';
export * from './messages.js';
export * from './framer.js';
export * from './key-schedule.js';
export * from './engine.js';
export * from './client.js';
export * from './server.js';
export * from './certificates.js';
export { sealTicket, openTicket, type TicketState } from './tickets.js';
