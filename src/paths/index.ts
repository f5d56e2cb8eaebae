/** paths/ (layer 3): multipath packet schedulers (draft-ietf-quic-multipath-21) and their registry. */
export * from './scheduler.js';
export * from './schedulers.js';
export * from './sched-weighted.js';
export { DEFAULT_FAILOVER_PTOS } from './sched-common.js';
export { BUILTIN_SCHEDULERS } from './schedulers.js';
