import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareFigures, compareWith, figuresFromJson, formatComparison } from '../../src/bench/compare.js';
import { figuresOf, median, medianFigures, type Figure } from '../../src/bench/figures.js';
import { formatGoal, goalStatus, GOALS } from '../../src/bench/goals.js';
import type { BenchReport, Measurement } from '../../src/bench/harness.js';
import { buildSuite, formatSummary } from '../../src/bench/summary.js';
import bench from '../../src/bench/main.js';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/capture.js';

// The suite's bookkeeping on fake reports: no benchmark runs here, and no timing is asserted.

function m(name: string, labels: Record<string, string>, extra: Partial<Measurement> = {}): Measurement {
  return { name, labels, usPerOp: 1, opsPerSec: 1e6, rounds: 1, opsPerRound: 1, ...extra };
}

function fake(bench: string, results: Measurement[]): BenchReport {
  return { bench, date: '2020-01-01T00:00:00.000Z', node: 'v20', cpu: 'test', results };
}

/** A loopback report: dgram at `dgram` Mbit/s, node and noble downloads, handshakes per second. */
function loopback(dgram: number, node: number, noble: number, hsNode: number, hsNoble: number): BenchReport {
  return fake('loopback', [
    m('node:dgram blast (ceiling), one process', { provider: 'none (raw UDP)' }, { gbps: dgram / 1e3, values: { 'Mbit/s': dgram } }),
    m('download, 1 stream, one process', { provider: 'noble', size: '10 MB' }, { gbps: noble / 1e3, values: { 'Mbit/s': noble } }),
    m('download, 1 stream, one process', { provider: 'node', size: '100 MB' }, { gbps: node / 1e3, values: { 'Mbit/s': node } }),
    m('handshake: connect + close, one process', { provider: 'noble' }, { opsPerSec: hsNoble / 2 }),
    m('handshake: connect + close, one process', { provider: 'node' }, { opsPerSec: hsNode / 2 }),
    m('handshake: against a server process', { provider: 'noble' }, { opsPerSec: hsNoble, values: { 'server CPU ms': 1000 / hsNoble } }),
    m('handshake: against a server process', { provider: 'node' }, { opsPerSec: hsNode, values: { 'server CPU ms': 1000 / hsNode } }),
  ]);
}

/** A fec report with RS 10:2 and XOR figures in MB/s (Gbit/s × 125). */
function fec(rsEnc: number, rsDec: number, xorEnc: number, xorDec: number): BenchReport {
  const g = (mbs: number): Partial<Measurement> => ({ gbps: mbs / 125, bytesPerOp: 12_000 });
  return fake('fec', [
    m('encode', { scheme: 'rs', k: '10', r: '2' }, g(rsEnc)),
    m('decode 2 erasures', { scheme: 'rs', k: '10', r: '2' }, g(rsDec)),
    m('encode', { scheme: 'xor', k: '10', r: '1' }, g(xorEnc)),
    m('decode 1 erasure', { scheme: 'xor', k: '10', r: '1' }, g(xorDec)),
  ]);
}

const byName = <F extends Figure>(figs: readonly F[], name: string): F => {
  const f = figs.find((x) => x.name === name);
  if (!f) throw new Error(`no figure ${name} in ${figs.map((x) => x.name).join(', ')}`);
  return f;
};

describe('bench goals', () => {
  it('checks each comparison and formats the goal', () => {
    expect(goalStatus(GOALS.loopbackNode, 1000)).toBe('met');
    expect(goalStatus(GOALS.loopbackNode, 999)).toBe('not met');
    expect(goalStatus(GOALS.idleConnection, 40)).toBe('met');
    expect(goalStatus(GOALS.idleConnection, 40.1)).toBe('not met');
    expect(goalStatus(GOALS.gcShare, 5)).toBe('not met');
    expect(goalStatus(GOALS.gcShare, 4.9)).toBe('met');
    expect(goalStatus(undefined, 1)).toBe('n/a');
    expect(goalStatus(GOALS.loopbackNode, NaN)).toBe('n/a');
    expect(formatGoal(GOALS.loopbackNode)).toBe('≥ 1,000 Mbit/s');
    expect(formatGoal(GOALS.gcShare)).toBe('< 5%');
    expect(formatGoal(GOALS.loopbackVsDgram)).toBe('≥ 0.5×');
    expect(formatGoal(undefined)).toBe('–');
    for (const g of Object.values(GOALS)) expect(g.text.length).toBeGreaterThan(10);
  });
});

describe('bench summary', () => {
  it('picks the headline figures, computes in-run ratios and checks the goals', () => {
    const doc = buildSuite({ runs: 1, benches: ['loopback', 'fec'], reports: { loopback: [loopback(800, 480, 40, 1600, 100)], fec: [fec(400, 100, 1200, 900)] } });
    const node = byName(doc.figures, 'download goodput, node');
    expect(node.value).toBe(480);
    expect(node.unit).toBe('Mbit/s');
    expect(node.status).toBe('not met');
    expect(node.ratio?.value).toBeCloseTo(0.6, 12);
    expect(node.ratio?.of).toBe('node:dgram receive rate');
    expect(node.ratio?.status).toBe('met');
    const noble = byName(doc.figures, 'download goodput, noble');
    expect(noble.ratio?.value).toBeCloseTo(0.05, 12);
    expect(noble.ratio?.status).toBe('n/a'); // the ratio goal is node's
    expect(byName(doc.figures, 'node:dgram receive rate (reference)').status).toBe('n/a');
    expect(byName(doc.figures, 'handshakes against one server process, node').status).toBe('met');
    expect(byName(doc.figures, 'handshakes against one server process, noble').status).toBe('not met');
    expect(byName(doc.figures, 'Reed-Solomon k=10 r=2 encode').value).toBeCloseTo(400, 9);
    expect(byName(doc.figures, 'Reed-Solomon k=10 r=2 encode').status).toBe('met');
    expect(byName(doc.figures, 'Reed-Solomon k=10 r=2 decode').status).toBe('not met');
    expect(byName(doc.figures, 'XOR k=10 encode').status).toBe('met');
    expect(byName(doc.figures, 'XOR k=10 decode').status).toBe('not met');

    const text = formatSummary(doc);
    expect(text).toMatch(/^benchmark +figure +value +goal +status +ratio +ratio goal +ratio status$/m);
    expect(text).toMatch(/^loopback +download goodput, node +480 Mbit\/s +≥ 1,000 Mbit\/s +not met +0\.600 +≥ 0\.5× +met$/m);
    expect(text).toMatch(/same run/);
    expect(text).toMatch(/loopback ÷ node:dgram receive rate/);
    expect(text).toContain('Goals (src/bench/goals.ts): 4 met, 5 not met.');
  });

  it('computes the interop ratios against the ngtcp2 pair of the same run', () => {
    const row = (client: string, server: string, mbps: number): Measurement => m('h3 download 100 MB', { client, server }, { gbps: mbps / 1e3 });
    const doc = buildSuite({ runs: 1, benches: ['interop'], reports: { interop: [fake('interop', [row('gtlsclient', 'tquic', 200), row('tquic', 'gtlsserver', 100), row('gtlsclient', 'gtlsserver', 500)])] } });
    const server = byName(doc.figures, 'h3 download gtlsclient←tquic');
    expect(server.ratio?.value).toBeCloseTo(0.4, 12);
    expect(server.ratio?.status).toBe('met');
    const client = byName(doc.figures, 'h3 download tquic←gtlsserver');
    expect(client.ratio?.value).toBeCloseTo(0.2, 12);
    expect(client.ratio?.status).toBe('not met');
    const ref = byName(doc.figures, 'h3 download gtlsclient←gtlsserver (reference)');
    expect(ref.ratio).toBeUndefined();
    expect(ref.status).toBe('n/a');
  });

  it('takes the median of runs, value and ratio each, and shows the range', () => {
    const runs = [loopback(1000, 300, 40, 100, 10), loopback(500, 400, 50, 300, 30), loopback(800, 100, 60, 200, 20)];
    const doc = buildSuite({ runs: 3, repeated: ['loopback'], benches: ['loopback'], reports: { loopback: runs } });
    const node = byName(doc.figures, 'download goodput, node');
    expect(node.value).toBe(300);
    expect(node.runs).toEqual([300, 400, 100]);
    // Ratios per run: 0.3, 0.8, 0.125; their median is 0.3 (not 300 / median dgram 800).
    expect(node.ratio?.value).toBeCloseTo(0.3, 12);
    expect(node.ratio?.runs?.length).toBe(3);
    expect(byName(doc.figures, 'handshakes against one server process, node').value).toBe(200);
    const text = formatSummary(doc);
    expect(text).toContain('loopback: median of 3 runs');
    expect(text).toMatch(/download goodput, node +300 Mbit\/s +3: 100–400 /);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(medianFigures([[{ key: 'a/x', bench: 'a', name: 'x', value: 1, unit: 'u', better: 'higher' }]])[0]!.runs).toBeUndefined();
  });

  it('lists failed and skipped benchmarks under the table', () => {
    const doc = buildSuite({
      runs: 1,
      benches: ['fec', 'interop', 'loopback'],
      reports: { fec: [fec(1, 1, 1, 1)] },
      errors: [
        { bench: 'interop', message: 'gtlsclient not found', skipped: true },
        { bench: 'loopback', message: 'boom', skipped: false },
      ],
    });
    const text = formatSummary(doc);
    expect(text).toContain('interop: skipped: gtlsclient not found');
    expect(text).toContain('loopback: FAILED: boom');
    expect(doc.figures.every((f) => f.bench === 'fec')).toBe(true);
  });

  it('has an extractor for every registered benchmark that yields nothing from an empty report', () => {
    for (const b of ['crypto', 'fec', 'handshake', 'core', 'sim', 'loopback', 'memory', 'interop']) expect(figuresOf(fake(b, []))).toEqual([]);
  });
});

describe('bench --compare', () => {
  const oldDoc = buildSuite({ runs: 1, benches: ['loopback', 'fec'], reports: { loopback: [loopback(800, 400, 40, 1000, 100)], fec: [fec(400, 200, 1000, 1000)] } });
  // The new run: node goodput up 25%, dgram the same (so the ratio up too), noble down 50%;
  // fec RS encode down; and a figure removed (no handshake rows for noble) and one new (memory).
  const newLoop = loopback(800, 500, 20, 1000, 100);
  newLoop.results = newLoop.results.filter((x) => !(x.name.startsWith('handshake') && x.labels.provider === 'noble'));
  const mem = fake('memory', [m('idle connection: server', { connections: '50' }, { values: { 'KB/conn': 30 } })]);
  const newDoc = buildSuite({ runs: 1, benches: ['loopback', 'fec', 'memory'], reports: { loopback: [newLoop], fec: [fec(300, 200, 1000, 1000)], memory: [mem] } });

  it('gives old, new, change in percent and direction per figure in both; new and removed ones', () => {
    const c = compareWith(JSON.parse(JSON.stringify(oldDoc)), newDoc.figures, newDoc.benches);
    const get = (name: string) => c.changes.find((x) => x.name === name)!;
    expect(get('download goodput, node')).toMatchObject({ old: 400, new: 500, verdict: 'better' });
    expect(get('download goodput, node').changePct).toBeCloseTo(25, 9);
    expect(get('download goodput, node ÷ node:dgram receive rate')).toMatchObject({ unit: '×', verdict: 'better' });
    expect(get('download goodput, node ÷ node:dgram receive rate').changePct).toBeCloseTo(25, 9);
    expect(get('download goodput, noble')).toMatchObject({ old: 40, new: 20, verdict: 'worse' });
    expect(get('download goodput, noble').changePct).toBeCloseTo(-50, 9);
    expect(get('Reed-Solomon k=10 r=2 encode').verdict).toBe('worse');
    expect(get('Reed-Solomon k=10 r=2 decode').verdict).toBe('same');
    expect(get('Reed-Solomon k=10 r=2 decode').changePct).toBeCloseTo(0, 9);
    expect(get('handshakes against one server process, noble')).toMatchObject({ old: 100, verdict: 'removed' });
    expect(get('handshakes against one server process, noble').new).toBeUndefined();
    expect(get('idle connection, server side')).toMatchObject({ new: 30, verdict: 'new' });
    expect(c.notRun).toEqual([]);

    const text = formatComparison(c, 'old.json');
    expect(text).toMatch(/^loopback +download goodput, node +400 Mbit\/s +500 Mbit\/s +\+25\.0% +better$/m);
    expect(text).toMatch(/^loopback +download goodput, noble +40\.0 Mbit\/s +20\.0 Mbit\/s +-50\.0% +worse$/m);
    expect(text).toMatch(/^loopback +handshakes against one server process, noble +100\/s +– +– +removed$/m);
    // Removed: the noble handshake figures (against the server process, its CPU time, in one process).
    expect(text).toMatch(/1 new, 3 removed/);
  });

  it('for a lower-is-better figure, a decrease is better', () => {
    const f = (value: number): Figure => ({ key: 'memory/idle', bench: 'memory', name: 'idle', value, unit: 'KB', better: 'lower' });
    expect(compareFigures([f(50)], [f(40)], ['memory']).changes[0]).toMatchObject({ verdict: 'better', changePct: -20 });
    expect(compareFigures([f(40)], [f(50)], ['memory']).changes[0]).toMatchObject({ verdict: 'worse', changePct: 25 });
  });

  it('lists benchmarks of the old file that did not run, without calling their figures removed', () => {
    const c = compareWith(JSON.parse(JSON.stringify(oldDoc)), newDoc.figures.filter((f) => f.bench === 'fec'), ['fec']);
    expect(c.changes.some((x) => x.verdict === 'removed')).toBe(false);
    expect(c.notRun).toEqual(['loopback']);
    expect(formatComparison(c, 'old.json')).toContain('In old.json but not run this time: loopback.');
  });

  it('reads a single module report of an older version, and refuses anything else', () => {
    expect(figuresFromJson(fec(1, 2, 3, 4)).map((f) => f.name)).toContain('XOR k=10 decode');
    expect(() => figuresFromJson({ hello: 1 })).toThrow(/not a tquic bench JSON document/);
  });
});

describe('tquic bench (CLI)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('exits non-zero for an unknown benchmark, naming it and listing the others', async () => {
    const c = capture();
    expect(await main(['bench', 'nosuch'])).toBe(2);
    expect(c.err()).toContain("unknown benchmark 'nosuch'");
    for (const n of ['crypto', 'fec', 'handshake', 'core', 'sim', 'loopback', 'memory', 'interop']) expect(c.err()).toMatch(new RegExp(`^ {2}${n} `, 'm'));
  });

  it('refuses bad --runs and an unreadable --compare file before running anything', async () => {
    const c = capture();
    expect(await main(['bench', 'fec', '--runs', '0'])).toBe(2);
    expect(c.err()).toContain('--runs must be a positive integer');
    const dir = mkdtempSync(join(tmpdir(), 'tquic-bench-'));
    try {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"x": 1}');
      expect(await main(['bench', 'fec', '--compare', bad])).toBe(2);
      expect(await main(['bench', 'fec', '--compare', join(dir, 'missing.json')])).toBe(2);
      expect(c.err()).toMatch(/not a tquic bench JSON document/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--list lists the benchmarks and exits 0', async () => {
    const c = capture();
    expect(await bench({ list: true }, [])).toBe(0);
    expect(c.out()).toMatch(/^ {2}memory +heap per idle connection/m);
  });

  it('runs the named benchmarks: a summary, the JSON document, --out and --compare', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tquic-bench-'));
    try {
      const prev = join(dir, 'prev.json');
      writeFileSync(prev, JSON.stringify(buildSuite({ runs: 1, benches: ['fec'], reports: { fec: [fec(1, 1, 1, 1)] } })));
      const out = join(dir, 'out.json');
      const c = capture();
      expect(await main(['bench', 'fec', '--iterations', '2', '--runs', '1', '--out', out, '--compare', prev])).toBe(0);
      const doc = JSON.parse(readFileSync(out, 'utf8'));
      expect(doc.tool).toBe('tquic bench');
      expect(doc.benches).toEqual(['fec']);
      expect(doc.reports.fec).toHaveLength(1);
      expect(doc.figures.map((f: Figure) => f.name)).toContain('XOR k=10 encode');
      expect(doc.comparison.changes.length).toBeGreaterThan(0);
      expect(c.out()).toMatch(/^tquic bench — summary: fec/m);
      expect(c.out()).toMatch(/^tquic bench — compared with /m);
      expect(c.out()).toContain('"tool": "tquic bench"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
