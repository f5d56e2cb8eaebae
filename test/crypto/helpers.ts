/** Shared helpers of the crypto tests: every vector runs on both providers. */
import { nobleProvider } from '../../src/crypto/noble.js';
import { nodeProvider } from '../../src/crypto/node.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';

export const PROVIDERS: readonly CryptoProvider[] = [nobleProvider, nodeProvider];
/** For it.each / describe.each: [name, provider]. */
export const EACH_PROVIDER: readonly (readonly [string, CryptoProvider])[] = PROVIDERS.map((p) => [p.name, p] as const);
