export * from './bytes.js';
export * from './varint.js';
export * from './rangeset.js';
export * from './prng.js';
export * from './time.js';
export * from './assert.js';
export * from './transport-error.js';
export * from './datagram.js';
