/** Shared setup of simulator tests: one Ed25519 development certificate and the node provider. */
import { getProvider } from '../../src/crypto/index.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../../src/crypto/tls/certificates.js';
import type { RunOptions } from '../../src/sim/index.js';

let creds: TlsCredentials | undefined;

/**
 * RunOptions with the node provider and a fixed Ed25519 certificate (fixed-size signatures and
 * validity, so the same seed gives the same packet sizes and timings), made once per file.
 */
export async function simOptions(): Promise<RunOptions> {
  if (!creds) {
    const c = await generateDevCertificate({ keyType: 'ed25519', notBefore: new Date(Date.UTC(2026, 0, 1)), days: 3650 });
    creds = loadCredentials(c.certPem, c.keyPem);
  }
  return { provider: getProvider('node'), credentials: creds };
}
