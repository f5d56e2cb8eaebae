/** flow/ (layer 2): flow-control credit for connection, stream and stream-count limits. */
export * from './credit.js';
