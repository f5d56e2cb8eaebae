export * from './connection.js';
export * from './config.js';
export * from './types.js';
export { MemorySessionStore, type SessionStore } from './session-cache.js';
export { StrikeRegister } from './early-data.js';
export { MemoryTokenStore, type TokenStore } from './address-token.js';
export type { MultipathConfig, PathStats } from './multipath.js';
export {
  registerPathManager,
  createPathManager,
  pathManagerNames,
  BUILTIN_PATH_MANAGERS,
  DEFAULT_PATH_MANAGER,
  DEFAULT_ABANDON_AFTER_PTOS,
  type PathManager,
  type PathManagerFactory,
  type PathManagerOptions,
  type PathManagerEvent,
  type PathControl,
  type PathView,
} from './path-manager.js';
export type { FecConfig, FecSchemeName, FecStats } from './fec.js';
