/**
 * A small benchmark harness: warm up, then time several rounds of N operations and report the
 * median round (robust against a noisy neighbour), as a table for people and JSON for tools.
 * Benchmarks are an edge of the system and may read the real clock.
 *
 * `measure` is for micro-benchmarks; whole-benchmark repetition (the median of `--runs N` runs
 * of loopback, sim, …) is the suite's job (main.ts, figures.ts). `formatTable` renders one
 * module's detailed table (`tquic bench --detail`).
 */
import { cpus } from 'node:os';

export interface Measurement {
  /** What was measured, e.g. "seal aes-128-gcm 1200B". */
  name: string;
  /** Extra columns: provider, suite, … */
  labels: Record<string, string>;
  /** Median time per operation, microseconds. */
  usPerOp: number;
  /** Operations per second at the median. */
  opsPerSec: number;
  /** Throughput in Gbit/s when bytesPerOp is given. */
  gbps?: number;
  bytesPerOp?: number;
  rounds: number;
  opsPerRound: number;
  /**
   * Exact numbers behind some label columns (a label is rounded text), keyed like the label:
   * what the suite's summary (figures.ts) reads when it picks a module's headline figures.
   */
  values?: Record<string, number>;
}

/**
 * Thrown by a benchmark that cannot run here (a missing peer binary, say): the suite reports it
 * as skipped instead of failed.
 */
export class BenchUnavailable extends Error {
  override name = 'BenchUnavailable';
}

export interface BenchOptions {
  /** Operations per timed round; by default sized so a round takes about 60 ms. */
  iterations?: number;
  rounds?: number;
  bytesPerOp?: number;
  labels?: Record<string, string>;
}

/** Target duration of one timed round when the iteration count is not fixed. */
const ROUND_TARGET_US = 60_000;
/** Warm-up time: long enough for the JIT to optimise a pure-JS cipher. */
const WARMUP_US = 300_000;

/**
 * Runs `fn` until `ms` have passed (at least once): the warm-up of a whole-stack benchmark, so
 * its timed run measures code the JIT has optimised. Whole runs need more of it than
 * micro-benchmarks: a simulator run, a transfer or a handshake speeds up by 1.5-2.5x over
 * its first second or two in a process.
 */
export function warmUp(ms: number, fn: () => void): void {
  const until = performance.now() + ms;
  do fn();
  while (performance.now() < until);
}

/** `warmUp` for an asynchronous `fn`, awaited each time. */
export async function warmUpAsync(ms: number, fn: () => Promise<unknown>): Promise<void> {
  const until = performance.now() + ms;
  do await fn();
  while (performance.now() < until);
}

export function measure(name: string, fn: () => void, opts: BenchOptions = {}): Measurement {
  const rounds = opts.rounds ?? 5;
  // Warm-up and calibration: run for WARMUP_US to let the JIT settle, and size a round to take
  // about ROUND_TARGET_US (unless the caller fixed the count).
  let warm = 0;
  const w0 = process.hrtime.bigint();
  let elapsedUs = 0;
  const minWarm = opts.iterations !== undefined ? Math.min(opts.iterations, 50) : 50;
  while (elapsedUs < (opts.iterations !== undefined ? 0 : WARMUP_US) || warm < minWarm) {
    fn();
    warm++;
    if ((warm & 15) === 0) elapsedUs = Number(process.hrtime.bigint() - w0) / 1e3;
  }
  const ops = opts.iterations ?? Math.max(50, Math.round((warm * ROUND_TARGET_US) / Math.max(elapsedUs, 1)));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e3 / ops);
  }
  times.sort((a, b) => a - b);
  const usPerOp = times[times.length >> 1]!;
  const m: Measurement = {
    name,
    labels: opts.labels ?? {},
    usPerOp,
    opsPerSec: 1e6 / usPerOp,
    rounds,
    opsPerRound: ops,
  };
  if (opts.bytesPerOp !== undefined) {
    m.bytesPerOp = opts.bytesPerOp;
    m.gbps = (opts.bytesPerOp * 8) / (usPerOp * 1e3);
  }
  return m;
}

export interface BenchReport {
  bench: string;
  date: string;
  node: string;
  cpu: string;
  results: Measurement[];
}

export function report(bench: string, results: Measurement[]): BenchReport {
  return {
    bench,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    results,
  };
}

export function formatTable(r: BenchReport): string {
  const labelKeys = [...new Set(r.results.flatMap((m) => Object.keys(m.labels)))];
  const withGbps = r.results.some((m) => m.gbps !== undefined);
  const header = ['benchmark', ...labelKeys, 'µs/op', 'ops/s', ...(withGbps ? ['Gbit/s'] : [])];
  const rows = r.results.map((m) => [
    m.name,
    ...labelKeys.map((k) => m.labels[k] ?? ''),
    m.usPerOp.toFixed(3),
    Math.round(m.opsPerSec).toLocaleString('en-US'),
    ...(withGbps ? [m.gbps !== undefined ? m.gbps.toFixed(3) : ''] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i <= labelKeys.length ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `${r.bench} — node ${r.node}, ${r.cpu}`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
  ].join('\n');
}
