/** streams/ (layer 3): stream IDs, state machines, send buffers, reassembly, scheduler, manager. */
export * from './id.js';
export * from './types.js';
export * from './reassembly.js';
export * from './scheduler.js';
export * from './send-stream.js';
export * from './recv-stream.js';
export * from './manager.js';
