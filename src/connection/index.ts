export * from './connection.js';
export * from './config.js';
export * from './types.js';
