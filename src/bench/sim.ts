/**
 * `tquic bench sim`: how fast the network simulator plays the `default` preset (the interop
 * runner's link: 10 Mbps, 15 ms one-way, 25-packet queue; a 10 MiB download), per crypto
 * provider, with an Ed25519 dev certificate and a fixed seed. Reports the speed-up over real
 * time (simulated seconds per wall second; the project's goal is at least 20×), the packets the
 * links delivered (both directions) per wall second, the wall time and the simulated completion
 * time. `--iterations N` sets the transfer to N MiB (default: the preset's 10 MiB).
 *
 * Each provider first plays a 1 MiB run to warm the JIT; the timed run follows.
 */
import { getProvider, PROVIDER_NAMES } from '../crypto/index.js';
import { generateDevCertificate } from '../crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../crypto/tls/certificates.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { preset } from '../sim/presets.js';
import { runScenario } from '../sim/scenario.js';
import { report, type BenchReport, type Measurement } from './harness.js';

/** The project's goal for the default preset: at least this many times faster than real time. */
export const SPEED_UP_GOAL = 20;
const PRESET = 'default';
const SEED = 1;
const WARMUP_BYTES = 1 << 20;

export interface SimRun {
  /** Wall-clock seconds of the whole runScenario call. */
  wallSeconds: number;
  /** Virtual seconds until the receiver had every byte. */
  simSeconds: number;
  /** Datagrams the two links delivered. */
  packets: number;
  bytes: number;
}

/** Plays the preset once with `bytes` and times it. Throws when the transfer did not complete. */
export function simRun(provider: CryptoProvider, credentials: TlsCredentials, bytes: number): SimRun {
  const scenario = preset(PRESET, { bytes });
  const t0 = performance.now();
  const r = runScenario(scenario, { provider, credentials, seed: SEED, check: false });
  const wallSeconds = (performance.now() - t0) / 1e3;
  if (!r.completed || !r.dataIntact) throw new Error(`bench sim: ${provider.name} run did not complete (${r.bytes} of ${r.expectedBytes} bytes)`);
  return { wallSeconds, simSeconds: r.completionTime / 1e6, packets: r.links.toServer.delivered + r.links.toClient.delivered, bytes: r.bytes };
}

export async function run(opts: { iterations?: number; bytes?: number }): Promise<BenchReport> {
  const pem = await generateDevCertificate({ keyType: 'ed25519' });
  const credentials = loadCredentials(pem.certPem, pem.keyPem);
  const bytes = opts.bytes ?? (opts.iterations !== undefined ? opts.iterations << 20 : preset(PRESET).workload.bytes);
  const results: Measurement[] = [];
  for (const name of PROVIDER_NAMES) {
    const provider = getProvider(name);
    simRun(provider, credentials, Math.min(bytes, WARMUP_BYTES)); // warm-up
    const r = simRun(provider, credentials, bytes);
    const speedUp = r.simSeconds / r.wallSeconds;
    const packetsPerSec = r.packets / r.wallSeconds;
    results.push({
      name: `sim ${PRESET}`,
      labels: {
        provider: name,
        MiB: (r.bytes / (1 << 20)).toFixed(r.bytes % (1 << 20) === 0 ? 0 : 3),
        'sim s': r.simSeconds.toFixed(3),
        'wall s': r.wallSeconds.toFixed(3),
        'speed-up ×': speedUp.toFixed(2),
        'packets/s': Math.round(packetsPerSec).toString(),
        [`goal ${SPEED_UP_GOAL}×`]: speedUp >= SPEED_UP_GOAL ? 'met' : 'not met',
      },
      // One operation = one datagram delivered by a link.
      usPerOp: (r.wallSeconds * 1e6) / r.packets,
      opsPerSec: packetsPerSec,
      rounds: 1,
      opsPerRound: r.packets,
    });
  }
  return report('sim', results);
}
