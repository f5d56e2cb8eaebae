/**
 * Every interop-runner network preset completes for ten seeds each with intact data and a clean
 * invariant checker (checker.ts) on every connection. Transfers are sized so each run still
 * meets its preset's event: blackhole spans the first outage, the rebind presets at least one
 * rebinding. A failure names the seed, which replays it exactly (`tquic sim NAME --seed N`).
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../../src/crypto/tls/certificates.js';
import { preset, runScenario } from '../../src/sim/index.js';
import { formatViolations } from '../../src/sim/checker.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const CASES: Array<[string, number | undefined]> = [
  ['default', 1 << 20],
  ['handshakeloss', undefined],
  ['transferloss', 1 << 20],
  ['handshakecorruption', undefined],
  ['transfercorruption', 1 << 20],
  ['longrtt', undefined],
  ['blackhole', 7 << 20],
  ['rebind-port', 2 << 20],
  ['rebind-addr', 2 << 20],
];

let creds: TlsCredentials | undefined;
async function credentials(): Promise<TlsCredentials> {
  if (!creds) {
    const c = await generateDevCertificate({ keyType: 'ed25519', notBefore: new Date(Date.UTC(2026, 0, 1)), days: 3650 });
    creds = loadCredentials(c.certPem, c.keyPem);
  }
  return creds;
}

describe.each(CASES)('interop preset %s', (name, bytes) => {
  it('completes for 10 seeds with intact data and no invariant violation', async () => {
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const r = runScenario(preset(name, { seed, ...(bytes !== undefined ? { bytes } : {}) }), { provider: getProvider('node'), credentials: await credentials() });
      const v = r.checks?.violations ?? [];
      if (!r.completed || !r.dataIntact || r.checks === undefined || r.checks.connections === 0 || v.length > 0) {
        failures.push(`seed ${seed}: completed=${r.completed} intact=${r.dataIntact} checked=${r.checks?.connections ?? 0}\n${formatViolations(v, seed)}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 120_000);
});
