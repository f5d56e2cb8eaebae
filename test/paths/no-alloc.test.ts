/**
 * DESIGN §4 for the scheduler: `select` runs once per datagram, so it allocates nothing (no
 * arrays, objects, closures or iterators per call), reads no clock and draws no randomness.
 * Checked by design, on the source of every `select` and the helpers it calls, and by behaviour:
 * the caller's `out` array is reused, the returned path is one of the caller's objects, and
 * frozen inputs are never written.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScheduler, schedulerNames, type SchedPath } from '../../src/paths/index.js';
import { path } from './support.js';

const DIR = resolve(__dirname, '../../src/paths');
const BUILTINS = ['minrtt', 'roundrobin', 'redundant', 'backup', 'weighted'];

/** The body (between the braces) of every block opened by a match of `head`, which must end at its `{`. */
function bodies(src: string, head: RegExp): string[] {
  const found: string[] = [];
  for (const m of src.matchAll(new RegExp(head.source, 'g'))) {
    const start = m.index + m[0].length;
    let depth = 1;
    let i = start;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '{') depth++;
      else if (src[i] === '}') depth--;
    }
    found.push(src.slice(start, i - 1));
  }
  return found;
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bnew\s/, 'new'],
  [/\[\s*\]/, 'array literal'],
  [/[=(,:?]\s*\[/, 'array literal'],
  [/(?:[=(,:?]|return)\s*\{/, 'object literal'],
  [/\.\.\./, 'spread'],
  [/=>/, 'closure'],
  [/\bfunction\b/, 'closure'],
  [/`/, 'template string'],
  [/for\s*\(\s*(?:const|let|var)\s+\S+\s+(?:of|in)\b/, 'iterator loop'],
  [/\.(?:map|filter|slice|concat|sort|reduce|flatMap|forEach|splice|keys|values|entries|indexOf|includes|join)\(/, 'array method'],
  [/Math\.random|Date\.now|performance\.now|hrtime/, 'clock or randomness'],
];

describe('schedulers allocate nothing per select (DESIGN §4)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  const hot: { where: string; body: string }[] = [];
  for (const f of files) {
    const src = readFileSync(join(DIR, f), 'utf8');
    for (const b of bodies(src, /\n  select\([^)]*\)[^{;]*\{/)) hot.push({ where: `${f} select`, body: b });
    for (const fn of ['tierOf', 'activeTier', 'canSend', 'lowestRtt', 'bandwidth']) {
      for (const b of bodies(src, new RegExp(`\\nexport function ${fn}\\([^)]*\\)[^{]*\\{|\\nfunction ${fn}\\([^)]*\\)[^{]*\\{`))) hot.push({ where: `${f} ${fn}`, body: b });
    }
  }

  it('finds every select and hot helper', () => {
    expect(hot.filter((h) => h.where.endsWith(' select'))).toHaveLength(BUILTINS.length);
    expect(hot.length).toBe(BUILTINS.length + 5);
  });

  it('has no allocating construct, clock or randomness in select and its helpers', () => {
    const bad: string[] = [];
    for (const { where, body } of hot) {
      const code = body.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const [re, what] of FORBIDDEN) if (re.test(code)) bad.push(`${where}: ${what} (${code.match(re)![0]})`);
    }
    expect(bad).toEqual([]);
  });

  it('the check itself catches allocations', () => {
    const sample = '\n  select(a: number[]): number {\n    const xs = [];\n    for (const p of a) xs.push(p);\n    return { n: xs.map((x) => x * Math.random()) };\n  }\n';
    const [body] = bodies(sample, /\n  select\([^)]*\)[^{;]*\{/);
    const hits = FORBIDDEN.filter(([re]) => re.test(body!)).map(([, what]) => what);
    expect(hits).toEqual(expect.arrayContaining(['array literal', 'object literal', 'closure', 'iterator loop', 'array method', 'clock or randomness']));
  });

  it('reuses out, returns one of the given objects, and never writes the inputs', () => {
    const out: number[] = [5, 6, 7];
    for (const name of schedulerNames().filter((n) => BUILTINS.includes(n))) {
      const s = createScheduler(name);
      const paths: readonly SchedPath[] = Object.freeze([
        Object.freeze(path(0, { srtt: 30_000 })),
        Object.freeze(path(1, { srtt: 60_000, cwnd: 300_000 })),
        Object.freeze(path(2, { backup: true })),
        Object.freeze(path(3, { ptoCount: 3 })),
        Object.freeze(path(4, { usable: false })),
      ]);
      let now = 1_000_000;
      for (let i = 0; i < 1_000; i++) {
        out.push(99);
        const p = s.select(paths, now, 1200, out);
        expect(p === undefined || paths.includes(p), name).toBe(true);
        expect(out.includes(99), name).toBe(false);
        if (p !== undefined) expect(out.includes(p.id), name).toBe(false);
        if (p !== undefined) for (const id of [p.id, ...out]) s.onSent?.(id, 1200, now);
        now += 50_000;
      }
    }
  });
});
