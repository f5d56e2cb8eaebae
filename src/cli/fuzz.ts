/**
 * `tquic fuzz [TARGET...] [--runs N | --time S] [--seed N] [--corpus DIR] [--save] [--json]
 * [--replay FILE] [--list] [--make-corpus] [--artifacts DIR] [--batch N|auto] [--slow MS]`:
 * coverage-guided fuzzing of every parser of untrusted input (src/fuzz/targets.ts), guided by
 * V8's block coverage (src/fuzz/coverage.ts).
 *
 * Each target starts from its seed corpus (DIR/<target>/, default test/fuzz/corpus) and runs
 * `--runs` mutated inputs or for `--time` seconds (default 30). The report is a table per target
 * (executions, exec/s, seed corpus, final corpus, coverage features, failures) and a final line
 * `N executions, N failures`. Every failure is written as a reproducer under `--artifacts`
 * (default fuzz-failures/) and printed with the command that replays it. `--save` adds the new
 * coverage-increasing inputs to the corpus folder, after a greedy minimisation (the shortest
 * inputs that keep every feature). `--make-corpus` writes the seeds made by tquic's own encoders
 * (src/fuzz/seeds.ts) into the corpus folder.
 *
 * Exit status: 0 without failures; 1 with failures (or when a replayed input fails); 2 for bad
 * usage.
 */
import { readFileSync } from 'node:fs';
import { startCoverage } from '../fuzz/coverage.js';

/** Seconds per target when neither --runs nor --time is given (`npm run fuzz`). */
export const DEFAULT_SECONDS = 30;
const DEFAULT_SEED = 1;
const DEFAULT_CORPUS = 'test/fuzz/corpus';
const DEFAULT_ARTIFACTS = 'fuzz-failures';

export default async function fuzz(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`tquic fuzz: ${msg}\n`);
    return 2;
  };
  const num = (k: string, min: number): number | undefined => {
    const v = values[k];
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new RangeError(`--${k} must be a number >= ${min}`);
    return n;
  };
  // Block coverage instruments functions as V8 compiles them: start it before any target runs.
  startCoverage();
  const { TARGETS, findTarget } = await import('../fuzz/targets.js');
  const { replay, runCampaign, minimizeCorpus } = await import('../fuzz/engine.js');
  const { loadCorpus, saveCorpus, saveReproducer } = await import('../fuzz/corpus.js');
  const { makeSeeds } = await import('../fuzz/seeds.js');
  const { formatReport, summarize } = await import('../fuzz/report.js');

  if (values.list === true) {
    const w = Math.max(...TARGETS.map((t) => t.name.length));
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(w)}  ${t.summary}\n${''.padEnd(w)}  allowed: ${t.allowedErrors}\n`);
    return 0;
  }
  const unknown = positionals.filter((p) => findTarget(p) === undefined);
  if (unknown.length > 0) return fail(`unknown target '${unknown[0]}' (tquic fuzz --list)`);
  const targets = positionals.length > 0 ? positionals.map((p) => findTarget(p)!) : [...TARGETS];
  const corpusDir = typeof values.corpus === 'string' ? values.corpus : DEFAULT_CORPUS;
  const artifacts = typeof values.artifacts === 'string' ? values.artifacts : DEFAULT_ARTIFACTS;

  if (values['make-corpus'] === true) {
    const seeds = makeSeeds();
    for (const t of targets) {
      const written = saveCorpus(corpusDir, t.name, seeds[t.name] ?? []);
      process.stdout.write(`${t.name}: ${written.length} new seed files in ${corpusDir}/${t.name}\n`);
    }
    return 0;
  }

  let runs: number | undefined;
  let timeMs: number | undefined;
  let seed: number;
  let batch: number | 'auto';
  let slowMs: number;
  try {
    runs = num('runs', 0);
    const time = num('time', 0);
    if (runs !== undefined && time !== undefined) return fail('--runs and --time exclude each other');
    timeMs = runs === undefined ? (time ?? DEFAULT_SECONDS) * 1000 : undefined;
    seed = num('seed', 0) ?? DEFAULT_SEED;
    batch = values.batch === undefined || values.batch === 'auto' ? 'auto' : num('batch', 1)!;
    slowMs = num('slow', 1) ?? 200;
  } catch (e) {
    return fail((e as Error).message);
  }

  if (typeof values.replay === 'string') {
    if (targets.length !== 1) return fail('--replay needs exactly one target');
    const t = targets[0]!;
    let data: Uint8Array;
    try {
      data = new Uint8Array(readFileSync(values.replay));
    } catch (e) {
      return fail((e as Error).message);
    }
    const r = replay(t, data, slowMs);
    const err = r.error instanceof Error ? (r.error.stack ?? r.error.message) : r.error === undefined ? '' : String(r.error);
    if (values.json === true) {
      process.stdout.write(JSON.stringify({ target: t.name, file: values.replay, bytes: data.length, outcome: r.outcome, ms: r.ms, error: err }, null, 2) + '\n');
    } else {
      process.stdout.write(`${t.name} ${values.replay} (${data.length} bytes): ${r.outcome} in ${r.ms.toFixed(2)} ms\n${err === '' ? '' : err + '\n'}`);
    }
    return r.outcome === 'ok' || r.outcome === 'rejected' ? 0 : 1;
  }

  const builtIn = makeSeeds();
  const results = [];
  for (const t of targets) {
    let seeds = loadCorpus(corpusDir, t.name);
    if (seeds.length === 0) {
      seeds = builtIn[t.name] ?? [];
      process.stderr.write(`fuzz: ${t.name}: no seed files in ${corpusDir}/${t.name}, using the ${seeds.length} built-in seeds\n`);
    }
    process.stderr.write(`fuzz: ${t.name}: ${runs !== undefined ? `${runs} runs` : `${(timeMs! / 1000).toFixed(0)} s`}, seed ${seed}\n`);
    const r = runCampaign(t, { seed, runs, timeMs, seeds, batch, slowMs });
    for (const f of r.failures) saveReproducer(artifacts, f);
    if (values.save === true) {
      const fresh = minimizeCorpus(r.corpus).filter((e) => !e.seed);
      const written = saveCorpus(corpusDir, t.name, fresh.map((e) => e.data));
      process.stderr.write(`fuzz: ${t.name}: ${written.length} new corpus files in ${corpusDir}/${t.name}\n`);
    }
    results.push(r);
  }
  const summary = summarize(results);
  process.stdout.write(values.json === true ? JSON.stringify(summary, null, 2) + '\n' : formatReport(summary) + '\n');
  return summary.failures > 0 ? 1 : 0;
}
