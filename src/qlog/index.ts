/** qlog: typed events, frame conversion and sinks (no file I/O; DESIGN §2 layer 1). */
export * from './common.js';
export * from './frames.js';
export * from './events.js';
export * from './importance.js';
export * from './params.js';
export * from './memory.js';
export * from './jsonseq.js';
export * from './h3.js';
export * from './registry.js';
