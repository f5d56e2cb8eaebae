/**
 * `tquic bench --compare previous.json`: the headline figures of this run against those of an
 * earlier one (a file from `tquic bench --out F` or `--json`; a single module's report of an
 * older version works too, its figures picked by figures.ts). Per figure in both: old value, new
 * value, the change in percent and whether that is better or worse given the figure's direction
 * (higher or lower is better). Ratios to in-run references compare as figures of their own.
 * Figures only in the new run are "new"; those only in the old one "removed", if their benchmark
 * ran this time (the others are listed once as not run).
 */
import { figuresOf, type Better, type Figure } from './figures.js';
import type { BenchReport } from './harness.js';
import { formatNumber, formatValue, renderTable } from './summary.js';

export type Verdict = 'better' | 'worse' | 'same' | 'new' | 'removed';

export interface Change {
  key: string;
  bench: string;
  name: string;
  unit: string;
  better: Better;
  old?: number;
  new?: number;
  /** (new − old) / |old| × 100; absent when a side is missing or old is 0. */
  changePct?: number;
  verdict: Verdict;
}

export interface Comparison {
  changes: Change[];
  /** Benchmarks in the old file that did not run this time. */
  notRun: string[];
}

type Comparable = Pick<Figure, 'key' | 'bench' | 'name' | 'value' | 'unit' | 'better'>;

/** A figure and, when it has one, its ratio as a figure of its own. */
function comparables(f: Figure): Comparable[] {
  const out: Comparable[] = [{ key: f.key, bench: f.bench, name: f.name, value: f.value, unit: f.unit, better: f.better }];
  if (f.ratio) out.push({ key: `${f.key} ÷ ${f.ratio.of}`, bench: f.bench, name: `${f.name} ÷ ${f.ratio.of}`, value: f.ratio.value, unit: '×', better: f.better });
  return out;
}

function isReport(x: unknown): x is BenchReport {
  return typeof x === 'object' && x !== null && typeof (x as BenchReport).bench === 'string' && Array.isArray((x as BenchReport).results);
}

/**
 * The figures of a parsed JSON document: a suite document's `figures`, or those picked from a
 * single module report. Throws on anything else.
 */
export function figuresFromJson(doc: unknown): Figure[] {
  if (typeof doc === 'object' && doc !== null && Array.isArray((doc as { figures?: unknown }).figures)) {
    const figs = (doc as { figures: unknown[] }).figures;
    return figs.filter(
      (f): f is Figure => typeof f === 'object' && f !== null && typeof (f as Figure).key === 'string' && typeof (f as Figure).value === 'number' && typeof (f as Figure).bench === 'string',
    );
  }
  if (isReport(doc)) return figuresOf(doc);
  throw new Error('not a tquic bench JSON document (no figures, no module report)');
}

/** Benchmarks present in a parsed document. */
function benchesOf(doc: unknown, figs: readonly Figure[]): string[] {
  const listed = (doc as { benches?: unknown }).benches;
  if (Array.isArray(listed)) return listed.filter((b): b is string => typeof b === 'string');
  if (isReport(doc)) return [doc.bench];
  return [...new Set(figs.map((f) => f.bench))];
}

/** Compares old figures with new ones; `ran` lists the benchmarks that ran this time. */
export function compareFigures(oldFigs: readonly Figure[], newFigs: readonly Figure[], ran: readonly string[], oldBenches: readonly string[] = []): Comparison {
  const olds = new Map(oldFigs.flatMap(comparables).map((c) => [c.key, c]));
  const ranSet = new Set(ran);
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const n of newFigs.flatMap(comparables)) {
    seen.add(n.key);
    const o = olds.get(n.key);
    const base = { key: n.key, bench: n.bench, name: n.name, unit: n.unit, better: n.better, new: n.value };
    if (!o) {
      changes.push({ ...base, verdict: 'new' });
      continue;
    }
    const c: Change = { ...base, old: o.value, verdict: 'same' };
    if (o.value !== 0) c.changePct = ((n.value - o.value) / Math.abs(o.value)) * 100;
    if (n.value !== o.value) c.verdict = n.value > o.value === (n.better === 'higher') ? 'better' : 'worse';
    changes.push(c);
  }
  for (const o of olds.values()) {
    if (seen.has(o.key) || !ranSet.has(o.bench)) continue;
    changes.push({ key: o.key, bench: o.bench, name: o.name, unit: o.unit, better: o.better, old: o.value, verdict: 'removed' });
  }
  const notRun = [...new Set([...oldBenches, ...oldFigs.map((f) => f.bench)])].filter((b) => !ranSet.has(b));
  return { changes, notRun };
}

/** Compares a parsed earlier document with this run's figures. */
export function compareWith(previous: unknown, newFigs: readonly Figure[], ran: readonly string[]): Comparison {
  const oldFigs = figuresFromJson(previous);
  return compareFigures(oldFigs, newFigs, ran, benchesOf(previous, oldFigs));
}

export function formatComparison(c: Comparison, from: string): string {
  const rows = c.changes.map((x) => [
    x.bench,
    x.name,
    x.old !== undefined ? formatValue(x.old, x.unit) : '–',
    x.new !== undefined ? formatValue(x.new, x.unit) : '–',
    x.changePct !== undefined ? `${x.changePct >= 0 ? '+' : ''}${formatNumber(x.changePct)}%` : '–',
    x.verdict,
  ]);
  const lines = [`tquic bench — compared with ${from}`, ...renderTable(['benchmark', 'figure', 'old', 'new', 'change', 'verdict'], rows, new Set([2, 3, 4]))];
  const count = (v: Verdict): number => c.changes.filter((x) => x.verdict === v).length;
  lines.push('', `${count('better')} better, ${count('worse')} worse, ${count('same')} the same, ${count('new')} new, ${count('removed')} removed (figures of benchmarks that ran)`);
  if (c.notRun.length > 0) lines.push(`In ${from} but not run this time: ${c.notRun.join(', ')}.`);
  return lines.join('\n');
}
