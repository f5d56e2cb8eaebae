export * from './endpoint.js';
export type { RetryMode, AddressValidationStats } from './retry.js';
