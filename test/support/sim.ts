/** Shared setup of simulator tests: Ed25519 development certificates and the node provider. */
import { getProvider } from '../../src/crypto/index.js';
import { simCredentials, type RunOptions, type Scenario } from '../../src/sim/index.js';

/**
 * RunOptions with the node provider and a fixed Ed25519 certificate (fixed-size signatures and
 * validity, so the same seed gives the same packet sizes and timings), made once per file.
 * `chainLength`: a chain of that many certificates instead of one (simCredentials).
 */
export async function simOptions(chainLength = 1): Promise<RunOptions> {
  return { provider: getProvider('node'), credentials: await simCredentials({ chainLength }) };
}

/** simOptions with the certificate chain a scenario asks for (`server.certChainLength`). */
export function simOptionsFor(s: Scenario): Promise<RunOptions> {
  return simOptions(s.server?.certChainLength ?? 1);
}
