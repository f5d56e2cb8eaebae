/**
 * Headline figures: the few numbers per benchmark that the suite's summary shows, checks against
 * the goals (goals.ts) and compares between runs (compare.ts). `figuresOf` picks them from one
 * module report; `medianFigures` merges the figures of several runs of a module into their
 * medians (value and ratio each).
 *
 * A figure may carry a ratio to a reference measured in the same run (loopback goodput ÷ the
 * raw node:dgram receive rate; tquic ↔ ngtcp2 goodput ÷ ngtcp2 ↔ ngtcp2): the ratio is the
 * headline, since absolute figures drift between machines and a ratio much less.
 */
import { GOALS, type Goal } from './goals.js';
import type { BenchReport, Measurement } from './harness.js';

export type Better = 'higher' | 'lower';

export interface Ratio {
  value: number;
  /** What the value is divided by (a reference measured in the same run). */
  of: string;
  goal?: Goal;
  /** Every run's ratio, when `value` is their median. */
  runs?: number[];
}

export interface Figure {
  /** `bench/name`: how runs and files match figures. */
  key: string;
  bench: string;
  name: string;
  value: number;
  unit: string;
  better: Better;
  goal?: Goal;
  ratio?: Ratio;
  /** Every run's value, when `value` is their median. */
  runs?: number[];
  note?: string;
}

/** A number of a measurement: its exact `values` entry, else its label's text as a number. */
function num(m: Measurement, key: string): number {
  const v = m.values?.[key];
  if (v !== undefined) return v;
  const t = m.labels[key];
  return t === undefined ? NaN : parseFloat(t.replace(/,/g, ''));
}

function find(r: BenchReport, name: string | RegExp, labels: Record<string, string> = {}): Measurement | undefined {
  return r.results.find((m) => (typeof name === 'string' ? m.name === name : name.test(m.name)) && Object.entries(labels).every(([k, v]) => m.labels[k] === v));
}

/** Source MB/s of a measurement with bytesPerOp (1 Gbit/s = 125 MB/s). */
const mbPerSec = (m: Measurement): number => (m.gbps ?? NaN) * 125;

interface Spec {
  name: string;
  unit: string;
  better?: Better;
  goal?: Goal;
  note?: string;
}

function fig(bench: string, s: Spec, value: number | undefined, ratio?: Ratio): Figure | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const f: Figure = { key: `${bench}/${s.name}`, bench, name: s.name, value, unit: s.unit, better: s.better ?? 'higher' };
  if (s.goal) f.goal = s.goal;
  if (ratio && Number.isFinite(ratio.value)) f.ratio = ratio;
  if (s.note) f.note = s.note;
  return f;
}

type Extractor = (r: BenchReport) => (Figure | undefined)[];

const EXTRACTORS: Record<string, Extractor> = {
  crypto: (r) =>
    ['node', 'noble'].flatMap((p) =>
      ['protect packet', 'unprotect packet'].map((n) => {
        const m = find(r, n, { provider: p, aead: 'aes-128-gcm' });
        return fig('crypto', { name: `${n} 1200 B, aes-128-gcm, ${p}`, unit: 'Gbit/s' }, m?.gbps);
      }),
    ),
  handshake: (r) =>
    ['node', 'noble'].flatMap((p) => [
      fig('handshake', { name: `full handshake, TLS engine only, ECDSA, ${p}`, unit: '/s' }, find(r, 'full handshake', { provider: p, key: 'ecdsa-p256' })?.opsPerSec),
      fig('handshake', { name: `resumed handshake, TLS engine only, ${p}`, unit: '/s' }, find(r, 'resumed handshake', { provider: p, key: 'psk' })?.opsPerSec),
    ]),
  core: (r) => {
    const out = ['node', 'noble', 'null (core only)'].map((p) => {
      const m = find(r, 'bulk transfer', { provider: p, datagram: '1452B' });
      return fig('core', { name: `in-memory transfer 1452 B, ${p}`, unit: 'MB/s' }, m ? num(m, 'MB/s') : undefined);
    });
    const node = find(r, 'bulk transfer', { provider: 'node', datagram: '1452B' });
    out.push(fig('core', { name: 'heap allocated per MB moved, 1452 B, node', unit: 'KB/MB', better: 'lower' }, node ? num(node, 'alloc KB/MB') : undefined));
    return out;
  },
  sim: (r) =>
    [
      ['default', GOALS.simDefault],
      ['100 Mbps', GOALS.sim100],
    ].flatMap(([c, goal]) =>
      ['node', 'noble', 'null'].map((p) => {
        const m = find(r, `sim ${c as string}`, { provider: p });
        // The goal is checked on node (the simulator's default) and on null protection, which
        // gives the same results (test/sim/null-protection.test.ts); noble is the reference.
        return fig('sim', { name: `sim ${c as string} preset speed-up, ${p}`, unit: '×', ...(p !== 'noble' ? { goal: goal as Goal } : {}) }, m ? num(m, 'speed-up ×') : undefined);
      }),
    ),
  loopback: (r) => {
    const dg = find(r, /^node:dgram blast/);
    const dgram = dg ? num(dg, 'Mbit/s') : undefined;
    const out: (Figure | undefined)[] = [fig('loopback', { name: 'node:dgram receive rate (reference)', unit: 'Mbit/s' }, dgram)];
    for (const p of ['node', 'noble'] as const) {
      const m = find(r, /^download, 1 stream/, { provider: p });
      const mbps = m ? num(m, 'Mbit/s') : undefined;
      const ratio: Ratio | undefined = mbps !== undefined && dgram !== undefined ? { value: mbps / dgram, of: 'node:dgram receive rate', ...(p === 'node' ? { goal: GOALS.loopbackVsDgram } : {}) } : undefined;
      out.push(fig('loopback', { name: `download goodput, ${p}`, unit: 'Mbit/s', goal: p === 'node' ? GOALS.loopbackNode : GOALS.loopbackNoble, ...(m ? { note: m.labels.size } : {}) }, mbps, ratio));
    }
    for (const p of ['node', 'noble'] as const) {
      // The goal's "against one server": a server in a process of its own, clients in the bench's.
      const s = find(r, /^handshake: against a server process/, { provider: p });
      out.push(fig('loopback', { name: `handshakes against one server process, ${p}`, unit: '/s', goal: p === 'node' ? GOALS.handshakesNode : GOALS.handshakesNoble }, s?.opsPerSec));
      out.push(fig('loopback', { name: `server CPU per handshake, ${p}`, unit: 'ms', better: 'lower' }, s ? num(s, 'server CPU ms') : undefined));
      const m = find(r, /^handshake: connect \+ close/, { provider: p });
      out.push(fig('loopback', { name: `handshakes, client and server in one process, ${p}`, unit: '/s' }, m?.opsPerSec));
    }
    return out;
  },
  interop: (r) => {
    const ref = find(r, /^h3 download/, { client: 'gtlsclient', server: 'gtlsserver' });
    const refMbps = ref ? (ref.gbps ?? NaN) * 1e3 : undefined;
    return [
      ['gtlsclient', 'tquic'],
      ['tquic', 'gtlsserver'],
      ['tquic', 'tquic'],
      ['gtlsclient', 'gtlsserver'],
    ].map(([c, s]) => {
      const m = find(r, /^h3 download/, { client: c!, server: s! });
      const mbps = m ? (m.gbps ?? NaN) * 1e3 : undefined;
      const isRef = c === 'gtlsclient' && s === 'gtlsserver';
      const ratio: Ratio | undefined = !isRef && mbps !== undefined && refMbps !== undefined ? { value: mbps / refMbps, of: 'gtlsclient←gtlsserver', goal: GOALS.vsNgtcp2 } : undefined;
      return fig('interop', { name: `h3 download ${c}←${s}${isRef ? ' (reference)' : ''}`, unit: 'Mbit/s' }, mbps, ratio);
    });
  },
  fec: (r) => {
    const rows: [string, string, Record<string, string>, Goal | undefined][] = [
      ['Reed-Solomon k=10 r=2 encode', 'encode', { scheme: 'rs', k: '10', r: '2' }, GOALS.rsEncode],
      ['Reed-Solomon k=10 r=2 decode', 'decode 2 erasures', { scheme: 'rs', k: '10', r: '2' }, GOALS.rsDecode],
      ['XOR k=10 encode', 'encode', { scheme: 'xor', k: '10' }, GOALS.xorEncode],
      ['XOR k=10 decode', 'decode 1 erasure', { scheme: 'xor', k: '10' }, GOALS.xorDecode],
      ['RLC window 10 encode', 'encode', { scheme: 'rlc', window: '10' }, undefined],
      ['RLC window 10 decode', 'decode 2 erasures', { scheme: 'rlc', window: '10' }, undefined],
    ];
    return rows.map(([name, mname, labels, goal]) => {
      const m = find(r, mname, labels);
      return fig('fec', { name, unit: 'MB/s', ...(goal ? { goal } : {}) }, m ? mbPerSec(m) : undefined);
    });
  },
  memory: (r) => {
    const server = find(r, 'idle connection: server');
    const both = find(r, 'idle connection: client + server');
    const g = find(r, 'bulk transfer: GC share');
    return [
      fig('memory', { name: 'idle connection, server side', unit: 'KB', better: 'lower', goal: GOALS.idleConnection, ...(server ? { note: `${server.labels.connections} connections` } : {}) }, server ? num(server, 'KB/conn') : undefined),
      fig('memory', { name: 'idle connection, client + server', unit: 'KB', better: 'lower', ...(both ? { note: `${both.labels.connections} connections` } : {}) }, both ? num(both, 'KB/conn') : undefined),
      fig('memory', { name: 'GC share of bulk transfer time', unit: '%', better: 'lower', goal: GOALS.gcShare }, g ? num(g, 'GC % wall') : undefined),
      fig('memory', { name: 'heap allocated per packet, bulk transfer', unit: 'B', better: 'lower' }, g ? num(g, 'alloc B/packet') : undefined),
    ];
  },
};

/** The headline figures of one module report (none for a benchmark without an extractor). */
export function figuresOf(r: BenchReport): Figure[] {
  const ex = EXTRACTORS[r.bench];
  if (!ex) return [];
  return ex(r).filter((f): f is Figure => f !== undefined);
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Merges the figures of several runs of a benchmark: per key, the median value and the median
 * ratio, with every run's value kept in `runs`. Keys keep the order of their first appearance.
 */
export function medianFigures(runs: readonly (readonly Figure[])[]): Figure[] {
  if (runs.length === 1) return runs[0]!.map((f) => ({ ...f }));
  const byKey = new Map<string, Figure[]>();
  for (const figs of runs) for (const f of figs) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f]);
  return [...byKey.values()].map((fs) => {
    const first = fs[0]!;
    const values = fs.map((f) => f.value);
    const out: Figure = { ...first, value: median(values), runs: values };
    const ratios = fs.flatMap((f) => (f.ratio ? [f.ratio.value] : []));
    if (first.ratio && ratios.length > 0) out.ratio = { ...first.ratio, value: median(ratios), runs: ratios };
    return out;
  });
}
