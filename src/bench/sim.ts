/**
 * `tquic bench sim`: how fast the network simulator plays a bulk download, per crypto provider,
 * with an Ed25519 dev certificate and a fixed seed, in two cases:
 *
 * - `default`: the `default` preset (the interop runner's link: 10 Mbps, 15 ms one-way,
 *   25-packet queue; a 10 MiB download);
 * - `100 Mbps`: the same scenario on a 100 Mbps link with a ten times larger queue (250
 *   packets, about one bandwidth-delay product as the default's 25 are at 10 Mbps), built here
 *   from `defaultLink` rather than added as a preset.
 *
 * Reports the speed-up over real time (simulated seconds per wall second; the project's goals,
 * goals.ts: ≥ 50× on the default preset, ≥ 10× at 100 Mbps), the packets the links delivered
 * (both directions) per wall second, the wall time and the simulated completion time.
 * `--iterations N` sets the transfer to N MiB (default: the preset's 10 MiB) in both cases.
 *
 * The providers are noble, node (the simulator's default, and the goals') and null (node's TLS
 * with null packet protection, sim/null-protection.ts: the same results without the per-packet AEAD,
 * so the simulator's own speed; `tquic sim --crypto null`).
 *
 * Each provider first plays 1 MiB runs of the case for a second to warm the JIT; the timed run
 * follows.
 * The suite (`tquic bench`) takes the median of `--runs N` whole runs.
 */
import { generateDevCertificate } from '../crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../crypto/tls/certificates.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { defaultLink, preset } from '../sim/presets.js';
import { runScenario, type Scenario } from '../sim/scenario.js';
import { SIM_PROVIDER_NAMES, simProvider } from '../sim/providers.js';
import { report, warmUp, type BenchReport, type Measurement } from './harness.js';

const PRESET = 'default';
const SEED = 1;
const WARMUP_BYTES = 1 << 20;
const WARMUP_MS = 1000;

/** The cases: the name of the row and the scenario for `bytes`. */
export const CASES: { name: string; scenario: (bytes: number) => Scenario }[] = [
  { name: 'default', scenario: (bytes) => preset(PRESET, { bytes }) },
  {
    name: '100 Mbps',
    scenario: (bytes) => {
      const link = defaultLink({ rate: 100_000_000, queuePackets: 250 });
      return { name: 'default-100mbps', description: "the 'default' preset at 100 Mbps with a 250-packet queue", toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes } };
    },
  },
];

export interface SimRun {
  /** Wall-clock seconds of the whole runScenario call. */
  wallSeconds: number;
  /** Virtual seconds until the receiver had every byte. */
  simSeconds: number;
  /** Datagrams the two links delivered. */
  packets: number;
  bytes: number;
}

/** Plays `scenario` once and times it. Throws when the transfer did not complete. */
export function simRun(provider: CryptoProvider, credentials: TlsCredentials, scenario: Scenario): SimRun {
  const t0 = performance.now();
  const r = runScenario(scenario, { provider, credentials, seed: SEED, check: false });
  const wallSeconds = (performance.now() - t0) / 1e3;
  if (!r.completed || !r.dataIntact) throw new Error(`bench sim: ${provider.name} run of ${scenario.name} did not complete (${r.bytes} of ${r.expectedBytes} bytes)`);
  return { wallSeconds, simSeconds: r.completionTime / 1e6, packets: r.links.toServer.delivered + r.links.toClient.delivered, bytes: r.bytes };
}

export async function run(opts: { iterations?: number; bytes?: number; warmupMs?: number }): Promise<BenchReport> {
  const pem = await generateDevCertificate({ keyType: 'ed25519' });
  const credentials = loadCredentials(pem.certPem, pem.keyPem);
  const bytes = opts.bytes ?? (opts.iterations !== undefined ? opts.iterations << 20 : preset(PRESET).workload.bytes);
  const results: Measurement[] = [];
  for (const c of CASES) {
    for (const name of SIM_PROVIDER_NAMES) {
      const provider = simProvider(name);
      // Warm-up runs for WARMUP_MS: the speed-up climbs from about 13x to 23x (node) over the
      // first few runs of a process as the JIT compiles.
      warmUp(opts.warmupMs ?? WARMUP_MS, () => void simRun(provider, credentials, c.scenario(Math.min(bytes, WARMUP_BYTES))));
      const r = simRun(provider, credentials, c.scenario(bytes));
      const speedUp = r.simSeconds / r.wallSeconds;
      const packetsPerSec = r.packets / r.wallSeconds;
      results.push({
        name: `sim ${c.name}`,
        labels: {
          provider: name,
          MiB: (r.bytes / (1 << 20)).toFixed(r.bytes % (1 << 20) === 0 ? 0 : 3),
          'sim s': r.simSeconds.toFixed(3),
          'wall s': r.wallSeconds.toFixed(3),
          'speed-up ×': speedUp.toFixed(2),
          'packets/s': Math.round(packetsPerSec).toString(),
        },
        values: { 'sim s': r.simSeconds, 'wall s': r.wallSeconds, 'speed-up ×': speedUp, 'packets/s': packetsPerSec },
        // One operation = one datagram delivered by a link.
        usPerOp: (r.wallSeconds * 1e6) / r.packets,
        opsPerSec: packetsPerSec,
        rounds: 1,
        opsPerRound: r.packets,
      });
    }
  }
  return report('sim', results);
}
