/** recovery/ (layer 2): RTT estimation, loss detection and PTO (RFC 9002), pacing, congestion controllers. */
export * from './rtt.js';
export * from './history.js';
export * from './loss.js';
export * from './pacer.js';
export * from './cc/types.js';
export * from './cc/registry.js';
export * from './cc/newreno.js';
export * from './cc/cubic.js';
export * from './ecn.js';
