/**
 * What a congestion-controller plug-in sees (the public `congestion` namespace of the package):
 * the interface, its options and signals, the RTT estimator it is handed, RFC 9002's initial
 * window, and the registry.
 */
export type { CongestionController, CongestionControllerFactory, CongestionControllerOptions, AckEvent, RateSample } from './types.js';
export { initialWindow, minimumWindow } from './types.js';
export { RttEstimator, GRANULARITY, INITIAL_RTT } from '../rtt.js';
export { registerCongestionController, createCongestionController, congestionControllerNames } from './registry.js';
