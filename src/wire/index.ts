/** wire/ (layer 1): frames, legality, packet headers and numbers, versions, transport parameters, errors. */
export * from './errors.js';
export * from './frame.js';
export * from './frame-codec.js';
export * from './legality.js';
export * from './packet-type.js';
export * from './packet-number.js';
export * from './header.js';
export * from './version.js';
export * from './transport-params.js';
export * from './frame-decoder.js';
