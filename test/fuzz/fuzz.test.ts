/**
 * The coverage-guided fuzzer (src/fuzz): a bounded campaign with a fixed seed for every target
 * (no failures, coverage beyond the seed corpus), a planted bug found and replayed from its
 * reproducer, determinism of a campaign for a seed, and the committed seed corpus.
 *
 * Block coverage only instruments functions V8 compiles after it starts, so coverage starts
 * before the targets are imported and first called.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCoverage } from '../../src/fuzz/coverage.js';
import { contentName, replay, runCampaign, type CampaignResult } from '../../src/fuzz/engine.js';
import type { FuzzTarget } from '../../src/fuzz/target.js';

startCoverage();
const { TARGETS } = await import('../../src/fuzz/targets.js');
const { loadCorpus, saveReproducer } = await import('../../src/fuzz/corpus.js');
const { makeSeeds } = await import('../../src/fuzz/seeds.js');

const CORPUS = resolve(__dirname, 'corpus');
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
const tmp = mkdtempSync(join(tmpdir(), 'tquic-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function describeFailures(r: CampaignResult): string {
  return r.failures.map((f) => `${f.kind}: ${f.message}\n${f.stack}\n(seed ${r.seed}; input ${Buffer.from(f.input).toString('hex')})`).join('\n\n');
}

describe(`fuzz campaign: ${RUNS} inputs per target, seed ${SEED} (FUZZ_SEED / FUZZ_RUNS to change)`, () => {
  for (const t of TARGETS) {
    it(`${t.name}: no failures, and coverage grows beyond the seed corpus`, () => {
      const seeds = loadCorpus(CORPUS, t.name);
      expect(seeds.length).toBeGreaterThan(0);
      const r = runCampaign(t, { seed: SEED, runs: RUNS, seeds });
      expect(r.failures, describeFailures(r)).toEqual([]);
      expect(r.features).toBeGreaterThan(r.seedFeatures);
      expect(r.corpus.length).toBeGreaterThan(r.seedCorpus);
      expect(r.mutations).toBe(RUNS);
    });
  }
});

/**
 * A toy parser with a bug behind three staged checks: a 0x7f byte, a 0x80 byte, then a varint of
 * at least 2^30, which dereferences a missing table entry (a TypeError, not an allowed error).
 * Each check is a branch of its own, so coverage leads the fuzzer through them one at a time.
 */
const toyTable: Record<number, { size: number } | undefined> = { 0: { size: 1 }, 1: { size: 2 } };
const toy: FuzzTarget = {
  name: 'toy',
  summary: 'a parser with a planted bug',
  allowedErrors: 'RangeError',
  maxLength: 64,
  allowed: (e) => e instanceof RangeError,
  run(data) {
    if (data.length < 3) throw new RangeError('short');
    if (data[0] !== 0x7f) return;
    if (data[1] !== 0x80) return;
    const len = 1 << (data[2]! >> 6);
    if (len < 4) return;
    if (data.length < 2 + len) throw new RangeError('truncated varint');
    const kind = data[2]! & 0x3f;
    void toyTable[kind + 2]!.size; // the bug: no such entry
  },
};

describe('the fuzzer finds a planted bug', () => {
  const root = new URL(import.meta.url).href;
  let found: CampaignResult | undefined;

  it('reaches it through coverage, reports it once with its reproducer', () => {
    found = runCampaign(toy, { seed: 3, runs: 30_000, seeds: [Uint8Array.of(0, 0, 0, 0)], coverageRoot: root, stopOnFailure: true });
    expect(found.failures).toHaveLength(1);
    const f = found.failures[0]!;
    expect(f.kind).toBe('crash');
    expect(f.message).toMatch(/^TypeError/);
    expect(f.stack).toContain('fuzz.test.ts');
    expect(found.mutations).toBeLessThan(30_000);
    const path = saveReproducer(tmp, f);
    expect(existsSync(path)).toBe(true);
    expect(path).toContain('toy-crash-');
  });

  it('replays the reproducer: the same TypeError', () => {
    const f = found!.failures[0]!;
    const r = replay(toy, new Uint8Array(readFileSync(f.path!)));
    expect(r.outcome).toBe('crash');
    expect(r.error).toBeInstanceOf(TypeError);
  });

  it('a slow input is a failure of its own kind', () => {
    const slow: FuzzTarget = { ...toy, run: () => void spin(15) };
    expect(replay(slow, new Uint8Array(0), 5).outcome).toBe('slow');
    expect(replay(slow, new Uint8Array(0), 1000).outcome).toBe('ok');
  });
});

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

describe('determinism', () => {
  it('the same seed gives the same corpus and coverage', () => {
    const t = TARGETS.find((x) => x.name === 'qpack')!;
    const seeds = loadCorpus(CORPUS, t.name);
    const a = runCampaign(t, { seed: 99, runs: 1500, seeds });
    const b = runCampaign(t, { seed: 99, runs: 1500, seeds });
    expect(b.corpus.map((e) => contentName(e.data))).toEqual(a.corpus.map((e) => contentName(e.data)));
    expect(b.features).toBe(a.features);
    expect(b.executions).toBe(a.executions);
    const c = runCampaign(t, { seed: 100, runs: 1500, seeds });
    expect(c.corpus.map((e) => contentName(e.data))).not.toEqual(a.corpus.map((e) => contentName(e.data)));
  });
});

describe('replay from the command line', () => {
  it('`tquic fuzz frames --replay FILE` runs one input and exits 0 for an accepted one', async () => {
    const { default: fuzz } = await import('../../src/cli/fuzz.js');
    const file = join(CORPUS, 'frames', readdirSync(join(CORPUS, 'frames'))[0]!);
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    try {
      expect(await fuzz({ replay: file, json: true }, ['frames'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(out.join('')).outcome).toMatch(/^(ok|rejected)$/);
  });
});

describe('the committed seed corpus', () => {
  it('is small (≤ 60 files and ≤ 64 KB per target) and holds every seed the encoders make', () => {
    const made = makeSeeds();
    for (const t of TARGETS) {
      const dir = join(CORPUS, t.name);
      const files = readdirSync(dir);
      expect(files.length, t.name).toBeLessThanOrEqual(60);
      expect(files.reduce((n, f) => n + statSync(join(dir, f)).size, 0), t.name).toBeLessThanOrEqual(64 * 1024);
      for (const s of made[t.name]!) expect(files, `${t.name}: run tquic fuzz --make-corpus`).toContain(contentName(s));
    }
  });
});
