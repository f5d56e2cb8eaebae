/**
 * The crypto providers a simulation may run on: the two real ones, and 'null' (node's TLS with
 * null packet protection, sim/null-protection.ts), which gives the same results in about a
 * third of the time and is refused outside the simulator.
 */
import { getProvider, nodeProvider, type CryptoProvider, type ProviderName } from '../crypto/index.js';
import { nullPacketProtection } from './null-protection.js';

/** The names `simProvider` accepts, the choices of `tquic sim|soak --crypto`. */
export const SIM_PROVIDER_NAMES: readonly ProviderName[] = ['noble', 'node', 'null'];

const NULL_PROVIDER = nullPacketProtection(nodeProvider);

/** A provider for `runScenario` by name; throws RangeError for an unknown name. */
export function simProvider(name: string): CryptoProvider {
  if (name === 'null') return NULL_PROVIDER;
  if (name === 'noble' || name === 'node') return getProvider(name);
  throw new RangeError(`unknown crypto provider "${name}" (expected ${SIM_PROVIDER_NAMES.join(', ')})`);
}
