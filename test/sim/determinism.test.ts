/** The same seed gives byte-identical qlog output; a different seed does not. */
import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../../src/crypto/tls/certificates.js';
import { JsonSeqWriter } from '../../src/qlog/jsonseq.js';
import { preset, runScenario } from '../../src/sim/index.js';

let creds: TlsCredentials | undefined;
async function credentials(): Promise<TlsCredentials> {
  if (!creds) {
    const c = await generateDevCertificate({ keyType: 'ed25519', notBefore: new Date(Date.UTC(2026, 0, 1)), days: 3650 });
    creds = loadCredentials(c.certPem, c.keyPem);
  }
  return creds;
}

async function qlogOf(providerName: string, name: string, seed: number, bytes: number): Promise<{ client: string; server: string }> {
  const out = { client: [] as string[], server: [] as string[] };
  runScenario(preset(name, { seed, bytes }), {
    provider: getProvider(providerName),
    credentials: await credentials(),
    clientQlog: new JsonSeqWriter({ write: (c) => void out.client.push(c), vantagePoint: 'client', title: name }),
    serverQlog: new JsonSeqWriter({ write: (c) => void out.server.push(c), vantagePoint: 'server', title: name }),
  });
  return { client: out.client.join(''), server: out.server.join('') };
}

describe.each(PROVIDER_NAMES)('simulator determinism (%s)', (providerName) => {
  it('transferloss: the same seed twice gives byte-identical qlog on both sides', async () => {
    const a = await qlogOf(providerName, 'transferloss', 5, 100_000);
    const b = await qlogOf(providerName, 'transferloss', 5, 100_000);
    expect(a.client.length).toBeGreaterThan(10_000);
    expect(a.client).toBe(b.client);
    expect(a.server).toBe(b.server);
  });

  it('a different seed gives different qlog', async () => {
    const a = await qlogOf(providerName, 'transferloss', 5, 100_000);
    const c = await qlogOf(providerName, 'transferloss', 6, 100_000);
    expect(a.server).not.toBe(c.server);
  });
});
