/**
 * `tquic soak [--seeds N | --seed S] [--subset ci|full] [--filter K=V...] [--jobs N] [--json]
 * [--out FILE] [--crypto NAME]`: the fault matrix of sim/matrix.ts — every combination of loss,
 * reordering, duplication, corruption, a blackhole, NAT rebinding, multipath and FEC, each cell
 * with seeds 1..N — and a summary of the outcomes (completed, clean error, hang, corrupted,
 * invariant violation, crashed), per loss level and per impairment, with the faults injected
 * and every failure's cell and seed (and the command that replays it).
 *
 * Progress goes to stderr: a bar when stderr is a terminal, otherwise a line every 5%. The
 * summary goes to stdout (JSON with --json); --out also writes the JSON summary to a file.
 * `--jobs N` plays the runs on N worker threads (the same runs and outcomes: each run depends
 * only on its cell and seed).
 *
 * Exit status: 0 when no run hung, corrupted data, broke an invariant or crashed; 1 otherwise;
 * 2 for bad usage.
 *
 * `tquic soak --loopback` is another soak: concurrent connections over real UDP on loopback
 * with the server's memory measured (`loopback` below, stress/loopback-soak.ts); exit 1 when a
 * download failed or the server's end heap is above the tolerance.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { SingleBar } from 'cli-progress';
import type { ProviderName } from '../crypto/index.js';
import { SIM_PROVIDER_NAMES, simProvider } from '../sim/providers.js';
import { simCredentials } from '../sim/credentials.js';
import {
  allCells,
  cellName,
  ciCells,
  FAILURES,
  formatSummary,
  matrixRuns,
  parseFilter,
  runCell,
  summarize,
  type MatrixCell,
  type MatrixRun,
  type MatrixSummary,
} from '../sim/matrix.js';
import { formatLoopbackSoak, runLoopbackSoak, type LoopbackSoakOptions } from '../stress/loopback-soak.js';

/** Default seeds per cell (`npm run soak`). */
export const DEFAULT_SEEDS = 100;

interface WorkerJob {
  i: number;
  cell: MatrixCell;
  seed: number;
}

export default async function soak(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`tquic soak: ${msg}\n`);
    return 2;
  };
  if (values.loopback === true) return loopback(values, positionals, fail);
  for (const k of ['connections', 'bytes', 'client-sockets', 'heap-tolerance', 'timeout', 'rounds']) if (values[k] !== undefined) return fail(`--${k} goes with --loopback`);
  const int = (k: string, min: number): number | undefined => {
    const v = values[k];
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${k} must be an integer >= ${min}`);
    return n;
  };
  let seeds: number | number[];
  let jobs: number;
  let filter;
  try {
    const n = int('seeds', 1);
    const one = int('seed', 0);
    if (n !== undefined && one !== undefined) return fail('--seeds and --seed exclude each other');
    seeds = one !== undefined ? [one] : (n ?? DEFAULT_SEEDS);
    jobs = values.jobs === 'auto' ? Math.max(1, availableParallelism()) : (int('jobs', 1) ?? 1);
    // `--filter loss=5 reorder=on`: the words after the first K=V arrive as positionals.
    const raw = [...((values.filter as string[] | undefined) ?? []), ...positionals];
    const stray = positionals.filter((p) => !p.includes('='));
    if (stray.length > 0) return fail(`unexpected argument '${stray[0]}' (filters are K=V)`);
    filter = parseFilter(raw);
  } catch (e) {
    return fail((e as Error).message);
  }
  const subset = typeof values.subset === 'string' ? values.subset : 'full';
  if (subset !== 'ci' && subset !== 'full') return fail(`--subset is ci or full, not '${subset}'`);
  const cryptoName = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (!SIM_PROVIDER_NAMES.includes(cryptoName as ProviderName)) return fail(`unknown crypto provider '${cryptoName}' (${SIM_PROVIDER_NAMES.join(', ')})`);
  const cells = subset === 'ci' ? ciCells() : allCells();
  const plan = matrixRuns({ cells, seeds, filter });
  if (plan.length === 0) return fail('the filter selects no cell');
  const seedList = typeof seeds === 'number' ? Array.from({ length: seeds }, (_, i) => i + 1) : seeds;
  const cellCount = new Set(plan.map((p) => p.cell)).size;
  const json = values.json === true;
  process.stderr.write(`tquic soak: ${plan.length} runs (${cellCount} cells × ${seedList.length} seeds, subset ${subset}${jobs > 1 ? `, ${jobs} jobs` : ''})\n`);

  const progress = new Progress(plan.length);
  const t0 = performance.now();
  const runs: MatrixRun[] = new Array<MatrixRun>(plan.length);
  const onRun = (i: number, run: MatrixRun): void => {
    runs[i] = run;
    progress.tick(run);
  };
  try {
    if (jobs > 1) {
      await runInWorkers(plan, Math.min(jobs, plan.length), cryptoName, onRun);
    } else {
      const provider = simProvider(cryptoName);
      const credentials = await simCredentials();
      for (let i = 0; i < plan.length; i++) {
        onRun(i, runCell(plan[i]!.cell, plan[i]!.seed, { provider, credentials }));
        // Let the progress bar's timer render now and then.
        if (progress.bar && i % 8 === 7) await new Promise<void>((r) => setImmediate(r));
      }
    }
  } finally {
    progress.stop();
  }
  const summary = summarize(runs, seedList, performance.now() - t0);
  const doc = { subset, filter, jobs, ...summary };
  if (typeof values.out === 'string') writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(json ? JSON.stringify(doc, null, 2) + '\n' : formatSummary(summary) + '\n');
  if (!json && typeof values.out === 'string') process.stdout.write(`summary written to ${values.out}\n`);
  return summary.ok ? 0 : 1;
}

/**
 * `tquic soak --loopback [--connections N] [--bytes N] [--client-sockets shared|per-connection]
 * [--heap-tolerance PCT] [--timeout S] [--rounds R] [--crypto NAME] [--json] [--out FILE]`: a
 * server child process and N concurrent client connections over real UDP on 127.0.0.1, every
 * download checked, the server's heap back within the tolerance of its baseline at the end of
 * every round (stress/loopback-soak.ts).
 */
async function loopback(values: Record<string, unknown>, positionals: string[], fail: (msg: string) => number): Promise<number> {
  if (positionals.length > 0) return fail(`unexpected argument '${positionals[0]}'`);
  for (const k of ['seeds', 'seed', 'subset', 'filter', 'jobs']) if (values[k] !== undefined) return fail(`--${k} does not go with --loopback`);
  const o: LoopbackSoakOptions = { log: (line) => void process.stderr.write(line + '\n') };
  const num = (k: string, min: number, integer = true): number | undefined => {
    const v = values[k];
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (!(Number.isFinite(n) && n >= min) || (integer && !Number.isInteger(n))) throw new RangeError(`--${k} must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
    return n;
  };
  try {
    const connections = num('connections', 1);
    if (connections !== undefined) o.connections = connections;
    const bytes = num('bytes', 1);
    if (bytes !== undefined) o.bytes = bytes;
    const tolerance = num('heap-tolerance', 0, false);
    if (tolerance !== undefined) o.heapTolerance = tolerance / 100;
    const timeout = num('timeout', 1, false);
    if (timeout !== undefined) o.timeoutMs = timeout * 1000;
    const rounds = num('rounds', 1);
    if (rounds !== undefined) o.rounds = rounds;
  } catch (e) {
    return fail((e as Error).message);
  }
  const sockets = values['client-sockets'];
  if (sockets !== undefined && sockets !== 'shared' && sockets !== 'per-connection') return fail(`--client-sockets is shared or per-connection, not '${String(sockets)}'`);
  if (sockets !== undefined) o.clientSockets = sockets;
  const cryptoName = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (cryptoName !== 'node' && cryptoName !== 'noble') return fail(`unknown crypto provider '${cryptoName}'`);
  o.crypto = cryptoName;
  let report;
  try {
    report = await runLoopbackSoak(o);
  } catch (e) {
    process.stderr.write(`tquic soak: ${(e as Error).message}\n`);
    return 1;
  }
  const json = JSON.stringify(report, null, 2) + '\n';
  if (typeof values.out === 'string') writeFileSync(values.out, json);
  process.stdout.write(values.json === true ? json : formatLoopbackSoak(report) + '\n');
  return report.ok ? 0 : 1;
}

/** A bar on a terminal, a line every 5% otherwise; failures as they happen (plain mode). */
class Progress {
  readonly bar: SingleBar | undefined;
  private done = 0;
  private failures = 0;
  private nextLine: number;
  private readonly t0 = performance.now();

  constructor(private readonly total: number) {
    this.bar = process.stderr.isTTY ? new SingleBar({ format: 'soak {bar} {percentage}% | {value}/{total} runs | {failures} failures | {cell} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 200 }) : undefined;
    this.bar?.start(total, 0, { failures: 0, cell: '' });
    this.nextLine = Math.max(1, Math.ceil(total / 20));
  }

  tick(run: MatrixRun): void {
    this.done++;
    const failed = FAILURES.includes(run.outcome);
    if (failed) this.failures++;
    if (this.bar) {
      this.bar.update(this.done, { failures: this.failures, cell: `${cellName(run.cell)} seed ${run.seed}` });
      return;
    }
    if (failed) process.stderr.write(`soak: ${run.outcome} — ${run.name}, seed ${run.seed}: ${run.detail.split('\n')[0]}\n`);
    if (this.done >= this.nextLine || this.done === this.total) {
      const s = (performance.now() - this.t0) / 1000;
      process.stderr.write(`soak: ${this.done}/${this.total} runs (${Math.floor((this.done * 100) / this.total)}%), ${this.failures} failures, ${s.toFixed(1)} s\n`);
      this.nextLine = this.done + Math.max(1, Math.ceil(this.total / 20));
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** Plays the plan on `jobs` worker threads running this module, one run at a time each. */
function runInWorkers(plan: ReadonlyArray<{ cell: MatrixCell; seed: number }>, jobs: number, crypto: string, onRun: (i: number, run: MatrixRun) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    const workers: Worker[] = [];
    const feed = (w: Worker): void => {
      if (next >= plan.length) return void w.postMessage(null);
      const i = next++;
      w.postMessage({ i, cell: plan[i]!.cell, seed: plan[i]!.seed } satisfies WorkerJob);
    };
    for (let k = 0; k < jobs; k++) {
      const w = new Worker(new URL(import.meta.url), { workerData: { tquicSoak: true, crypto } });
      workers.push(w);
      w.on('message', (m: { i: number; run: MatrixRun } | 'ready') => {
        if (m !== 'ready') {
          onRun(m.i, m.run);
          if (++finished === plan.length) resolve();
        }
        feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        for (const x of workers) void x.terminate();
        reject(e);
      });
    }
  });
}

/** A worker thread: plays the runs it is sent until it gets null. */
async function workerMain(): Promise<void> {
  const d = workerData as { crypto: ProviderName };
  const provider = simProvider(d.crypto);
  const credentials = await simCredentials();
  const port = parentPort!;
  port.on('message', (job: WorkerJob | null) => {
    if (job === null) return void port.close();
    port.postMessage({ i: job.i, run: runCell(job.cell, job.seed, { provider, credentials }) });
  });
  port.postMessage('ready');
}

if (!isMainThread && (workerData as { tquicSoak?: boolean } | null)?.tquicSoak === true) void workerMain();

export type { MatrixSummary };
