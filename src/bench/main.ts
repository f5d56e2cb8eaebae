/** `tquic bench <name>`: the registry of benchmarks. */
import { emit } from './harness.js';
import type { BenchReport } from './harness.js';

export interface BenchModule {
  run(opts: { iterations?: number }): Promise<BenchReport> | BenchReport;
}

const BENCHES: Record<string, { summary: string; load: () => Promise<BenchModule> }> = {
  crypto: { summary: 'AEAD seal/open of a 1200-byte packet and header protection, per provider', load: () => import('./crypto.js') },
  core: { summary: 'in-memory transfer through the connection core: MB/s and heap allocated per MB, per provider', load: () => import('./core.js') },
  handshake: { summary: 'full and resumed TLS 1.3 handshakes per second (engine only, in memory)', load: () => import('./handshake.js') },
  loopback: { summary: 'real UDP sockets on 127.0.0.1, one process: 100 MB download per provider, handshakes/s, node:dgram ceiling', load: () => import('./loopback.js') },
  interop: { summary: 'HTTP/3 download over loopback between processes: tquic and ngtcp2 both ways, ngtcp2 with itself as the reference', load: () => import('./interop.js') },
  fec: { summary: 'FEC codes on 1200-byte symbols: Reed-Solomon (10:2, 32:8), XOR (10:1), RLC (windows 10 and 64) encode/decode throughput', load: () => import('./fec.js') },
  sim: { summary: "network simulator on the 'default' preset: speed-up over real time and packets per second, per provider", load: () => import('./sim.js') },
};

export default async function bench(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const name = positionals[0];
  if (!name || !(name in BENCHES)) {
    const list = Object.entries(BENCHES)
      .map(([n, b]) => `  ${n.padEnd(10)} ${b.summary}`)
      .join('\n');
    process.stderr.write(`${name ? `tquic bench: unknown benchmark '${name}'\n` : ''}Usage: tquic bench <name>\n\nBenchmarks:\n${list}\n`);
    return name ? 2 : 1;
  }
  const iterations = typeof values.iterations === 'string' ? Number(values.iterations) : undefined;
  if (iterations !== undefined && !(Number.isInteger(iterations) && iterations > 0)) {
    process.stderr.write(`tquic bench: --iterations must be a positive integer\n`);
    return 2;
  }
  const mod = await BENCHES[name]!.load();
  const r = await mod.run({ ...(iterations !== undefined ? { iterations } : {}) });
  emit(r, { json: values.json === true, ...(typeof values.out === 'string' ? { out: values.out } : {}) });
  return 0;
}
