/**
 * `tquic bench [NAME...]`: the registry of benchmarks and the suite that runs them.
 *
 * Without a name (`npm run bench`) every benchmark runs; with names, just those. Heavy
 * whole-benchmark figures (loopback, sim) are the median of `--runs N` runs of the module
 * (default 3); interop repeats its downloads `--runs` times itself; the micro-benchmarks
 * (crypto, fec, handshake, core) already take the median of rounds in `measure`, and memory runs
 * once. The output is one summary table of the headline figures (figures.ts) with their goals
 * (goals.ts) and in-run ratios (summary.ts), then the JSON document of everything. `--detail`
 * prints each module's own table first, `--json` only the JSON, `--out F` writes the JSON to F,
 * `--compare F` compares with an earlier JSON document (compare.ts). Progress goes to stderr.
 *
 * Exit status: 0 when every benchmark ran (goals met or not), 1 when one failed (a benchmark
 * that cannot run here, such as interop without ngtcp2, is skipped, not failed), 2 for bad
 * arguments.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { compareWith, formatComparison } from './compare.js';
import { BenchUnavailable, formatTable, type BenchReport } from './harness.js';
import { buildSuite, formatSummary, type SuiteError } from './summary.js';

export interface BenchRunOptions {
  iterations?: number;
  /** The suite's `--runs`, for a module that repeats internally (interop). */
  runs?: number;
}

export interface BenchModule {
  run(opts: BenchRunOptions): Promise<BenchReport> | BenchReport;
}

interface Entry {
  summary: string;
  /** Run `--runs` times, the figures being the medians. */
  heavy?: boolean;
  /** Repeats its measurement `--runs` times itself (BenchRunOptions.runs), run once. */
  ownRuns?: boolean;
  load: () => Promise<BenchModule>;
}

/**
 * In the order the suite runs them. memory comes first, on a fresh heap: what earlier
 * benchmarks leave in the heap (a grown young generation, old objects) changes how often V8
 * collects during its bulk transfer, and so its GC share (by 2× after the sim benchmark).
 */
export const BENCHES: Record<string, Entry> = {
  memory: { summary: 'heap per idle connection at 10,000 connections (in memory), GC share and allocation during a bulk transfer', load: () => import('./memory.js') },
  crypto: { summary: 'AEAD seal/open of a 1200-byte packet and header protection, per provider', load: () => import('./crypto.js') },
  fec: { summary: 'FEC codes on 1200-byte symbols: Reed-Solomon (10:2, 32:8), XOR (10:1), RLC (windows 10 and 64) encode/decode throughput', load: () => import('./fec.js') },
  handshake: { summary: 'full and resumed TLS 1.3 handshakes per second (engine only, in memory)', load: () => import('./handshake.js') },
  core: { summary: 'in-memory transfer through the connection core: MB/s and heap allocated per MB, per provider', load: () => import('./core.js') },
  sim: { summary: "network simulator, 'default' preset and at 100 Mbps: speed-up over real time and packets per second, per provider", heavy: true, load: () => import('./sim.js') },
  loopback: {
    summary: 'real UDP sockets on 127.0.0.1, one process: 100 MB download per provider, handshakes/s against one server per provider, node:dgram ceiling',
    heavy: true,
    load: () => import('./loopback.js'),
  },
  interop: { summary: 'HTTP/3 download over loopback between processes: tquic and ngtcp2 both ways, ngtcp2 with itself as the reference', ownRuns: true, load: () => import('./interop.js') },
};

function usage(): string {
  const list = Object.entries(BENCHES)
    .map(([n, b]) => `  ${n.padEnd(10)} ${b.summary}`)
    .join('\n');
  return `Usage: tquic bench [name...] [--runs N] [--detail] [--json] [--out FILE] [--compare FILE] [--iterations N]\n\nWithout a name, every benchmark runs.\n\nBenchmarks:\n${list}\n`;
}

function positiveInt(v: unknown, name: string): number | undefined | Error {
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : new Error(`tquic bench: --${name} must be a positive integer`);
}

export default async function bench(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (values.list === true) {
    process.stdout.write(usage());
    return 0;
  }
  const unknown = positionals.filter((n) => !Object.hasOwn(BENCHES, n));
  if (unknown.length > 0) {
    process.stderr.write(`tquic bench: unknown benchmark${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}\n${usage()}`);
    return 2;
  }
  const iterations = positiveInt(values.iterations, 'iterations');
  const runs = positiveInt(values.runs, 'runs') ?? 3;
  for (const v of [iterations, runs]) {
    if (v instanceof Error) {
      process.stderr.write(`${v.message}\n`);
      return 2;
    }
  }
  let previous: unknown;
  const compareFile = typeof values.compare === 'string' ? values.compare : undefined;
  if (compareFile !== undefined) {
    try {
      previous = JSON.parse(readFileSync(compareFile, 'utf8'));
      compareWith(previous, [], []); // refuses a file that is not a bench document, before running
    } catch (e) {
      process.stderr.write(`tquic bench: --compare ${compareFile}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  // Names in the registry's order, each once.
  const names = positionals.length === 0 ? Object.keys(BENCHES) : Object.keys(BENCHES).filter((n) => positionals.includes(n));
  const nRuns = runs as number;
  const it = iterations as number | undefined;
  const json = values.json === true;
  const detail = values.detail === true && !json;

  const reports: Record<string, BenchReport[]> = {};
  const errors: SuiteError[] = [];
  for (const name of names) {
    const entry = BENCHES[name]!;
    const times = entry.heavy ? nRuns : 1;
    try {
      const mod = await entry.load();
      for (let i = 0; i < times; i++) {
        const t0 = performance.now();
        process.stderr.write(`tquic bench: ${name}${times > 1 ? ` run ${i + 1}/${times}` : ''} …`);
        const r = await mod.run({ ...(it !== undefined ? { iterations: it } : {}), runs: nRuns });
        process.stderr.write(` ${((performance.now() - t0) / 1e3).toFixed(1)} s\n`);
        (reports[name] ??= []).push(r);
        if (detail) {
          const note = (r as { note?: unknown }).note;
          process.stdout.write(`${formatTable(r)}${typeof note === 'string' ? `\n(${note})` : ''}${times > 1 ? `\n(run ${i + 1} of ${times})` : ''}\n\n`);
        }
      }
    } catch (e) {
      const skipped = e instanceof BenchUnavailable;
      process.stderr.write(` ${skipped ? 'skipped' : 'failed'}: ${(e as Error).message}\n`);
      errors.push({ bench: name, message: (e as Error).message, skipped });
    }
  }

  const repeated = names.filter((n) => (BENCHES[n]!.heavy === true || BENCHES[n]!.ownRuns === true) && reports[n] !== undefined);
  const doc = buildSuite({ runs: nRuns, repeated, benches: names, reports, errors });
  const comparison = compareFile !== undefined ? compareWith(previous, doc.figures, names) : undefined;
  if (comparison) doc.comparison = { from: compareFile!, ...comparison };
  const text = JSON.stringify(doc, null, 2);
  if (typeof values.out === 'string') writeFileSync(values.out, text + '\n');
  if (!json) {
    process.stdout.write(formatSummary(doc) + '\n\n');
    if (comparison) process.stdout.write(formatComparison(comparison, compareFile!) + '\n\n');
  }
  process.stdout.write(text + '\n');
  return errors.some((e) => !e.skipped) ? 1 : 0;
}
