/** The network simulator: a discrete-event engine, links, hosts, topologies, workloads, scenarios and presets. */
export * from './engine.js';
export * from './link.js';
export * from './network.js';
export * from './topology.js';
export * from './workload.js';
export * from './workload-driver.js';
export * from './workload-drivers.js';
export * from './workload-datagrams.js';
export * from './workload-handshakes.js';
export * from './scenario.js';
export * from './presets.js';
export * from './credentials.js';
export * from './compare.js';
export * from './build.js';
export * from './simulate.js';
export { formatViolations, INVARIANTS, type Violation, type Invariant, type Side } from './checker.js';
export * from './providers.js';
export * from './null-protection.js';
