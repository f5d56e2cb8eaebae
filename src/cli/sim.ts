/**
 * `tquic sim <preset|file.json> [--seed N] [--bytes N] [--qlog-dir DIR] [--json]` and
 * `tquic sim --list`: runs a scenario in the deterministic network simulator and prints the
 * results. (Charts and the HTML report are still to come.)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getProvider, PROVIDER_NAMES } from '../crypto/index.js';
import { generateDevCertificate } from '../crypto/certgen.js';
import { loadCredentials } from '../crypto/tls/certificates.js';
import { JsonSeqWriter } from '../qlog/jsonseq.js';
import { PRESETS, PRESET_NAMES, preset } from '../sim/presets.js';
import { runScenario, type Scenario } from '../sim/scenario.js';

export default async function sim(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (values.list === true) {
    for (const name of PRESET_NAMES) {
      const s = PRESETS.get(name)!;
      process.stdout.write(`${name.padEnd(22)} ${s.workload.bytes} bytes ${s.workload.direction ?? 'download'}\n`);
    }
    return 0;
  }
  const target = positionals[0];
  if (!target) {
    process.stderr.write(`tquic sim: name a preset (${PRESET_NAMES.join(', ')}) or a scenario file; --list shows the presets\n`);
    return 2;
  }
  const num = (k: string): number | undefined => {
    const v = values[k];
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${k} must be a non-negative integer`);
    return n;
  };
  let scenario: Scenario;
  let seed: number | undefined;
  try {
    seed = num('seed');
    const bytes = num('bytes');
    if (PRESETS.has(target)) {
      scenario = preset(target, { ...(seed !== undefined ? { seed } : {}), ...(bytes !== undefined ? { bytes } : {}) });
    } else {
      scenario = JSON.parse(readFileSync(target, 'utf8')) as Scenario;
    }
  } catch (e) {
    process.stderr.write(`tquic sim: ${(e as Error).message}\n`);
    return 2;
  }
  const cryptoName = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (!PROVIDER_NAMES.includes(cryptoName as never)) {
    process.stderr.write(`tquic sim: unknown crypto provider '${cryptoName}'\n`);
    return 2;
  }
  // Ed25519 signatures have a fixed size, so the same seed gives the same run.
  const pem = await generateDevCertificate({ keyType: 'ed25519' });
  const qlogDir = typeof values['qlog-dir'] === 'string' ? values['qlog-dir'] : undefined;
  const chunks = { client: [] as string[], server: [] as string[] };
  const result = runScenario(scenario, {
    provider: getProvider(cryptoName),
    credentials: loadCredentials(pem.certPem, pem.keyPem),
    ...(seed !== undefined ? { seed } : {}),
    ...(qlogDir
      ? {
          clientQlog: new JsonSeqWriter({ write: (c) => void chunks.client.push(c), vantagePoint: 'client', title: scenario.name }),
          serverQlog: new JsonSeqWriter({ write: (c) => void chunks.server.push(c), vantagePoint: 'server', title: scenario.name }),
        }
      : {}),
  });
  if (qlogDir) {
    mkdirSync(qlogDir, { recursive: true });
    writeFileSync(join(qlogDir, `${scenario.name}-${result.seed}-client.sqlog`), chunks.client.join(''));
    writeFileSync(join(qlogDir, `${scenario.name}-${result.seed}-server.sqlog`), chunks.server.join(''));
  }
  if (values.json === true) {
    process.stdout.write(JSON.stringify({ ...result, trace: undefined }, null, 2) + '\n');
  } else {
    const rows: Array<[string, string]> = [
      ['scenario', `${result.scenario} (seed ${result.seed})`],
      ['completed', String(result.completed)],
      ['data intact', String(result.dataIntact)],
      ['bytes', `${result.bytes} of ${result.expectedBytes}`],
      ['handshake', result.handshakeTime !== undefined ? `${(result.handshakeTime / 1000).toFixed(1)} ms` : '-'],
      ['completion', `${(result.completionTime / 1000).toFixed(1)} ms`],
      ['goodput', `${(result.goodput / 1e6).toFixed(2)} Mbit/s`],
      ['retransmissions', String(result.retransmissions)],
      ['dropped to server', JSON.stringify(result.links.toServer.dropped)],
      ['dropped to client', JSON.stringify(result.links.toClient.dropped)],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
  }
  return result.completed && result.dataIntact ? 0 : 1;
}
