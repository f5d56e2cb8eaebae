/** The fuzzer's report: per-target figures as plain data (for --json) and as a text table. */
import type { CampaignResult, Failure } from './engine.js';

export interface TargetSummary {
  target: string;
  seed: number;
  executions: number;
  mutations: number;
  seconds: number;
  execPerSec: number;
  seedInputs: number;
  seedCorpus: number;
  corpus: number;
  seedFeatures: number;
  features: number;
  /** Coverage takes per 1000 executions and the mean cost of one, in microseconds. */
  takesPer1000: number;
  takeMicros: number;
  failures: { kind: string; message: string; frame: string; hits: number; path?: string; replay?: string }[];
}

export interface FuzzSummary {
  targets: TargetSummary[];
  executions: number;
  failures: number;
}

function frameOf(f: Failure): string {
  return f.stack.split('\n').find((l) => l.trimStart().startsWith('at '))?.trim() ?? '';
}

export function summarize(results: readonly CampaignResult[]): FuzzSummary {
  const targets = results.map((r): TargetSummary => ({
    target: r.target,
    seed: r.seed,
    executions: r.executions,
    mutations: r.mutations,
    seconds: r.elapsedMs / 1000,
    execPerSec: r.executions / Math.max(r.elapsedMs / 1000, 1e-9),
    seedInputs: r.seedInputs,
    seedCorpus: r.seedCorpus,
    corpus: r.corpus.length,
    seedFeatures: r.seedFeatures,
    features: r.features,
    takesPer1000: (1000 * r.takes) / Math.max(1, r.executions),
    takeMicros: (1000 * r.takeMs) / Math.max(1, r.takes),
    failures: r.failures.map((f) => ({
      kind: f.kind,
      message: f.message,
      frame: frameOf(f),
      hits: f.hits,
      ...(f.path !== undefined ? { path: f.path, replay: `node dist/cli/bin.js fuzz ${f.target} --replay ${f.path}` } : {}),
    })),
  }));
  return {
    targets,
    executions: targets.reduce((n, t) => n + t.executions, 0),
    failures: targets.reduce((n, t) => n + t.failures.length, 0),
  };
}

export function formatReport(s: FuzzSummary): string {
  const head = ['target', 'execs', 'exec/s', 'seeds', 'corpus', 'features', 'takes/1k', 'µs/take', 'failures'];
  const rows = s.targets.map((t) => [
    t.target,
    String(t.executions),
    t.execPerSec.toFixed(0),
    String(t.seedInputs),
    `${t.seedCorpus} → ${t.corpus}`,
    `${t.seedFeatures} → ${t.features}`,
    t.takesPer1000.toFixed(0),
    t.takeMicros.toFixed(0),
    String(t.failures.length),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), ...rows.map(line), '', `${s.executions} executions, ${s.failures} failures`];
  for (const t of s.targets) {
    for (const f of t.failures) {
      out.push('', `${t.target}: ${f.kind} (${f.hits} inputs): ${f.message}`);
      if (f.frame !== '') out.push(`  ${f.frame}`);
      if (f.path !== undefined) out.push(`  reproducer: ${f.path}`, `  replay: ${f.replay}`);
    }
  }
  return out.join('\n');
}
