export * from './connection.js';
export * from './config.js';
export * from './types.js';
export { MemorySessionStore, type SessionStore } from './session-cache.js';
export { StrikeRegister } from './early-data.js';
export type { FecConfig, FecSchemeName, FecStats } from './fec.js';
