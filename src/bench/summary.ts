/**
 * The suite's result: one JSON document for every benchmark that ran (`SuiteDocument`: the
 * headline figures with their goals checked, every run's module report, errors), and the one
 * summary table `tquic bench` prints. Figures come from figures.ts, goals from goals.ts.
 *
 * Ratios (a figure divided by a reference measured in the same run) are the headline: absolute
 * times drift between machines and with the load of a shared one, ratios much less. The table
 * says so in its footnote.
 */
import { cpus } from 'node:os';
import { figuresOf, medianFigures, type Figure, type Ratio } from './figures.js';
import { formatGoal, goalStatus, type GoalStatus } from './goals.js';
import type { BenchReport } from './harness.js';

export interface SuiteError {
  bench: string;
  message: string;
  /** The benchmark cannot run here (BenchUnavailable): not a failure. */
  skipped: boolean;
}

export interface SummaryRatio extends Ratio {
  status: GoalStatus;
}

export interface SummaryFigure extends Figure {
  status: GoalStatus;
  ratio?: SummaryRatio;
}

export interface SuiteDocument {
  tool: 'tquic bench';
  format: 1;
  date: string;
  node: string;
  cpu: string;
  cpus: number;
  /** `--runs`: the repetitions of the heavy benchmarks, whose figures are medians. */
  runs: number;
  /** The benchmarks repeated `runs` times (whole runs, or interop's own rounds). */
  repeated: string[];
  /** The benchmarks asked for, in the order they ran. */
  benches: string[];
  figures: SummaryFigure[];
  errors: SuiteError[];
  /** Every run's module report, per benchmark. */
  reports: Record<string, BenchReport[]>;
  /** With `--compare FILE`: the comparison with that file (compare.ts). */
  comparison?: { from: string; changes: unknown[]; notRun: string[] };
}

export interface SuiteInput {
  runs: number;
  repeated?: string[];
  benches: string[];
  reports: Record<string, BenchReport[]>;
  errors?: SuiteError[];
}

/** Adds the goal checks to figures. */
export function withStatus(figures: readonly Figure[]): SummaryFigure[] {
  return figures.map((f) => {
    const { ratio, ...rest } = f;
    const out: SummaryFigure = { ...rest, status: goalStatus(f.goal, f.value) };
    if (ratio) out.ratio = { ...ratio, status: goalStatus(ratio.goal, ratio.value) };
    return out;
  });
}

/** The suite document: per benchmark, the medians of its runs' headline figures, goals checked. */
export function buildSuite(input: SuiteInput): SuiteDocument {
  const figures: Figure[] = [];
  for (const b of input.benches) {
    const reports = input.reports[b] ?? [];
    if (reports.length > 0) figures.push(...medianFigures(reports.map(figuresOf)));
  }
  return {
    tool: 'tquic bench',
    format: 1,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    runs: input.runs,
    repeated: [...(input.repeated ?? [])],
    benches: [...input.benches],
    figures: withStatus(figures),
    errors: [...(input.errors ?? [])],
    reports: input.reports,
  };
}

/** A number for a table cell: 3 significant digits below 100, integers with separators above. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** A value with its unit: "183 Mbit/s", "12.5×", "3.20%", "1,512/s". */
export function formatValue(x: number, unit: string): string {
  const n = formatNumber(x);
  return unit === '×' || unit === '%' || unit.startsWith('/') ? `${n}${unit}` : `${n} ${unit}`;
}

/** Left-aligned text columns, right-aligned numeric ones, a rule under the header. */
export function renderTable(header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function formatSummary(doc: SuiteDocument): string {
  const multi = doc.figures.some((f) => (f.runs?.length ?? 0) > 1);
  const ratios = doc.figures.some((f) => f.ratio !== undefined);
  const header = ['benchmark', 'figure', 'value', ...(multi ? ['runs: min–max'] : []), 'goal', 'status', ...(ratios ? ['ratio', 'ratio goal', 'ratio status'] : [])];
  const rows = doc.figures.map((f) => [
    f.bench,
    f.name,
    formatValue(f.value, f.unit),
    ...(multi ? [f.runs && f.runs.length > 1 ? `${f.runs.length}: ${formatNumber(Math.min(...f.runs))}–${formatNumber(Math.max(...f.runs))}` : ''] : []),
    formatGoal(f.goal),
    f.status,
    ...(ratios ? [f.ratio ? formatNumber(f.ratio.value) : '–', f.ratio ? formatGoal(f.ratio.goal) : '–', f.ratio ? f.ratio.status : ''] : []),
  ]);
  const right = new Set([2, ...(multi ? [3] : [])]);
  const count = (s: GoalStatus): number => doc.figures.reduce((n, f) => n + (f.status === s ? 1 : 0) + (f.ratio?.status === s ? 1 : 0), 0);
  const refs = [...new Map(doc.figures.flatMap((f) => (f.ratio ? [[f.bench, f.ratio.of] as const] : []))).entries()].map(([b, of]) => `${b} ÷ ${of}`);
  const medians = doc.repeated.length > 0 ? `; ${doc.repeated.join(', ')}: median of ${doc.runs} run${doc.runs === 1 ? '' : 's'}` : '';
  const lines = [
    `tquic bench — summary: ${doc.benches.join(', ')} (node ${doc.node}, ${doc.cpu}, ${doc.cpus} CPUs${medians})`,
    ...renderTable(header, rows, right),
    '',
    refs.length > 0
      ? `Ratios are the headline: a figure divided by a reference measured in the same run (${refs.join('; ')}), because absolute times drift between machines and with the load of a shared one; ratios much less.`
      : 'Absolute figures drift between machines and with the load of a shared one: compare them on one machine (--compare); the ratios to in-run references (loopback, interop) are the headline figures.',
    `Goals (src/bench/goals.ts): ${count('met')} met, ${count('not met')} not met.`,
  ];
  for (const e of doc.errors) lines.push(`${e.bench}: ${e.skipped ? 'skipped' : 'FAILED'}: ${e.message}`);
  return lines.join('\n');
}
