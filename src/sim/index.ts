/** The network simulator: a discrete-event engine, links, hosts, scenarios and presets. */
export * from './engine.js';
export * from './link.js';
export * from './network.js';
export * from './scenario.js';
export * from './presets.js';
