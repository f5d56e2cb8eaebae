/**
 * The fault matrix (`tquic soak`): every combination of network impairments, each played with
 * several seeds, and what became of each run.
 *
 * Dimensions (5 × 2⁷ = 640 cells):
 *
 * | dimension | values | what the cell does when it is on |
 * |---|---|---|
 * | loss | 0, 1, 5, 10, 30 % | independent random loss on every link, both ways |
 * | reorder | off/on | 10 ms of uniform jitter that may reorder (`reorder: true`) on every link |
 * | duplicate | off/on | 2% of datagrams delivered twice, every link |
 * | corrupt | off/on | 1% of delivered copies with one bit flipped, every link |
 * | blackhole | off/on | the (first) path's links go down both ways at 120 ms for 1.5 s, then up |
 * | rebind | off/on | a NAT in front of the client's (first) address rebinds once the handshake is confirmed (at 100 ms or the first 10 ms step after), then every 1 s: its port (odd seeds) or its IP (even seeds); old bindings stay |
 * | multipath | off/on | a multihomed client (presets' mpPaths: path A 10 Mbps / 20 ms RTT, path B 10 Mbps / 60 ms RTT), multipath negotiated, minrtt scheduler, path B opened after the handshake |
 * | fec | off/on | FEC at both ends: Reed-Solomon 10:2, XOR 10:1 or RLC 10:2 by seed mod 3 |
 *
 * Every run downloads 200 kB (one bulk stream) over the interop runner's default link (10 Mbps,
 * 15 ms one-way, 25-packet drop-tail queues) or, with multipath, the two paths above; the
 * impairments apply to every link of the topology. Combinations that need a choice:
 * - multipath × blackhole: path A (the handshake path) goes down and comes back; path B stays
 *   up, so the data should fail over to it.
 * - multipath × rebind: the NAT sits in front of path A's address only (the topology's first
 *   client address); path B's address is not translated. The server sees path A's peer address
 *   change (draft-ietf-quic-multipath-21 §3.1.2: migration per path).
 * - blackhole × rebind: the rebinding may happen during the outage, so the first datagrams
 *   from the new address arrive only after it.
 * - rebind waits for the handshake: before it is confirmed RFC 9000 §9 lets a server drop
 *   packets from a new client address (tquic does), which ends in an idle timeout, not a
 *   rebinding mid-transfer (and NAT bindings are fresh during a handshake).
 * No cell is dropped.
 *
 * Outcomes (`Outcome`): `completed` (every byte delivered intact, the qlog invariant checker
 * clean), `error` (a clean, reported connection error: the client connection ended with a
 * CONNECTION_CLOSE sent or received, an idle timeout or a stateless reset, so an application
 * would have been told), and the failures: `hang` (neither: the run reached maxTime, the event
 * limit, or ran out of events with the connection still open), `corrupted` (bytes delivered that
 * differ from what was sent), `violation` (an invariant of checker.ts broke) and `crashed` (an
 * exception escaped `runScenario`). A failure names its cell and seed, which replay it exactly:
 * `tquic soak --seed S --filter loss=5 reorder=on ...` (`MatrixFailure.replay`).
 *
 * Enumeration is deterministic: loss level outermost, then the boolean dimensions in the order
 * above, off before on (`allCells`, `cellIndex`); seeds are 1..N. The CI subset (`ciCells`) is a
 * covering array of strength 3 over the same dimensions (`coveringCells`): every combination of
 * values of any three dimensions appears in at least one cell.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { TlsCredentials } from '../crypto/tls/certificates.js';
import { getProvider } from '../crypto/index.js';
import type { FecConfig } from '../connection/fec.js';
import { errorName } from '../wire/errors.js';
import type { LinkConfig, LinkCounters, LinkEvent } from './link.js';
import { defaultLink, mpPaths } from './presets.js';
import { runScenario, type NetworkEvent, type Scenario, type ScenarioResult } from './scenario.js';
import { simCredentials } from './credentials.js';

const MS = 1_000;
const S = 1_000_000;

/** Loss levels of the matrix (probabilities). */
export const LOSS_LEVELS: readonly number[] = [0, 0.01, 0.05, 0.1, 0.3];

/** The boolean dimensions, in enumeration order. */
export const SWITCHES = ['reorder', 'duplicate', 'corrupt', 'blackhole', 'rebind', 'multipath', 'fec'] as const;
export type Switch = (typeof SWITCHES)[number];

/** Every dimension's name: loss, then the switches. */
export const DIMENSIONS: readonly string[] = ['loss', ...SWITCHES];

/** One cell of the matrix: a loss level and which impairments are on. */
export type MatrixCell = { loss: number } & Record<Switch, boolean>;

/** The matrix's parameters (exported for the tests and the documentation). */
export const MATRIX = {
  bytes: 200_000,
  maxTime: 120 * S,
  /** Engine events after which a run counts as a hang (a livelock guard; a typical run needs 2–20 thousand). */
  maxEvents: 2_000_000,
  reorderJitter: 10 * MS,
  duplicate: 0.02,
  corrupt: 0.01,
  blackholeAt: 120 * MS,
  blackholeFor: 1.5 * S,
  rebindAt: 100 * MS,
  rebindEvery: 1 * S,
} as const;

const FEC_BY_SEED: readonly FecConfig[] = [
  { scheme: 'rs', ratio: '10:2' },
  { scheme: 'xor', ratio: '10:1' },
  { scheme: 'rlc', ratio: '10:2' },
];

/** Aliases accepted by filters. */
const ALIASES: Record<string, string> = { dup: 'duplicate', mp: 'multipath', nat: 'rebind', reordering: 'reorder', duplication: 'duplicate', corruption: 'corrupt' };

/** Every cell, in enumeration order (5 × 128 = 640). */
export function allCells(): MatrixCell[] {
  const out: MatrixCell[] = [];
  for (const loss of LOSS_LEVELS) {
    for (let bits = 0; bits < 1 << SWITCHES.length; bits++) {
      const cell = { loss } as MatrixCell;
      // The first switch is the most significant bit, so the last one varies fastest.
      SWITCHES.forEach((s, i) => (cell[s] = ((bits >> (SWITCHES.length - 1 - i)) & 1) === 1));
      out.push(cell);
    }
  }
  return out;
}

/** A cell's position in `allCells()`. */
export function cellIndex(cell: MatrixCell): number {
  const l = LOSS_LEVELS.indexOf(cell.loss);
  if (l < 0) throw new RangeError(`loss ${cell.loss} is not a matrix level (${LOSS_LEVELS.join(', ')})`);
  let bits = 0;
  for (const s of SWITCHES) bits = (bits << 1) | (cell[s] ? 1 : 0);
  return (l << SWITCHES.length) | bits;
}

function pct(loss: number): string {
  return `${Math.round(loss * 1000) / 10}`;
}

/** A short, readable name: `loss 5% + reorder + fec` (switches that are off are left out). */
export function cellName(cell: MatrixCell): string {
  return [`loss ${pct(cell.loss)}%`, ...SWITCHES.filter((s) => cell[s])].join(' + ');
}

/** The filter arguments that select exactly this cell: `loss=5 reorder=on duplicate=off ...`. */
export function cellFilter(cell: MatrixCell): string {
  return [`loss=${pct(cell.loss)}`, ...SWITCHES.map((s) => `${s}=${cell[s] ? 'on' : 'off'}`)].join(' ');
}

/** Allowed values per dimension (absent: any). */
export type MatrixFilter = { loss?: number[] } & Partial<Record<Switch, boolean[]>>;

export function matchesFilter(cell: MatrixCell, f: MatrixFilter | undefined): boolean {
  if (!f) return true;
  if (f.loss && !f.loss.includes(cell.loss)) return false;
  for (const s of SWITCHES) if (f[s] && !f[s].includes(cell[s])) return false;
  return true;
}

/**
 * Parses `K=V` filter arguments: K a dimension (loss, reorder, duplicate or dup, corrupt,
 * blackhole, rebind, multipath or mp, fec), V a comma-separated list: loss levels in percent
 * (`loss=0,30`, `loss=5%`), switches on/off (also true/false, yes/no, 1/0). Several arguments
 * for one dimension add up. Throws a RangeError naming what is wrong.
 */
export function parseFilter(args: readonly string[]): MatrixFilter {
  const f: MatrixFilter = {};
  for (const arg of args) {
    for (const part of arg.split(/\s+/).filter((x) => x.length > 0)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new RangeError(`filter '${part}': expected K=V (K one of ${DIMENSIONS.join(', ')})`);
      const rawKey = part.slice(0, eq).toLowerCase();
      const key = ALIASES[rawKey] ?? rawKey;
      const values = part.slice(eq + 1).split(',').filter((v) => v.length > 0);
      if (values.length === 0) throw new RangeError(`filter '${part}': no value`);
      if (key === 'loss') {
        for (const v of values) {
          const n = Number(v.endsWith('%') ? v.slice(0, -1) : v);
          const level = LOSS_LEVELS.find((l) => Math.abs(l * 100 - n) < 1e-9);
          if (level === undefined) throw new RangeError(`filter '${part}': loss is one of ${LOSS_LEVELS.map((l) => pct(l)).join(', ')} (percent)`);
          (f.loss ??= []).push(level);
        }
      } else if ((SWITCHES as readonly string[]).includes(key)) {
        const s = key as Switch;
        for (const v of values) {
          const b = /^(on|true|yes|1)$/i.test(v) ? true : /^(off|false|no|0)$/i.test(v) ? false : undefined;
          if (b === undefined) throw new RangeError(`filter '${part}': ${s} is on or off`);
          (f[s] ??= []).push(b);
        }
      } else {
        throw new RangeError(`filter '${part}': unknown dimension '${rawKey}' (one of ${DIMENSIONS.join(', ')})`);
      }
    }
  }
  return f;
}

/**
 * A covering array of the matrix, chosen greedily and deterministically from `allCells()`:
 * every combination of values of any `strength` dimensions (2: every pair, 3: every triple)
 * is in at least one cell. Each step takes the first cell, in enumeration order, that covers
 * the most combinations not covered yet.
 */
export function coveringCells(strength: 1 | 2 | 3 = 2): MatrixCell[] {
  const cells = allCells();
  const dims = DIMENSIONS.length;
  const tuples: number[][] = [];
  const choose = (from: number, acc: number[]): void => {
    if (acc.length === strength) return void tuples.push(acc);
    for (let d = from; d < dims; d++) choose(d + 1, [...acc, d]);
  };
  choose(0, []);
  const values = (c: MatrixCell): string[] => [String(c.loss), ...SWITCHES.map((s) => (c[s] ? '1' : '0'))];
  const combos = (c: MatrixCell): string[] => {
    const v = values(c);
    return tuples.map((t) => t.map((d) => `${d}=${v[d]}`).join('|'));
  };
  const all = cells.map(combos);
  const uncovered = new Set<string>(all.flat());
  const chosen: MatrixCell[] = [];
  while (uncovered.size > 0) {
    let best = -1;
    let bestGain = 0;
    all.forEach((cs, i) => {
      let gain = 0;
      for (const k of cs) if (uncovered.has(k)) gain++;
      if (gain > bestGain) {
        best = i;
        bestGain = gain;
      }
    });
    chosen.push(cells[best]!);
    for (const k of all[best]!) uncovered.delete(k);
  }
  return chosen;
}

/**
 * The CI subset: the covering array of strength 3 (every triple of values of any three
 * dimensions, e.g. blackhole × rebind × multipath all on, is in some cell).
 */
export function ciCells(): MatrixCell[] {
  return coveringCells(3);
}

/** The scenario of one cell and seed (see the table at the top of this file). */
export function cellScenario(cell: MatrixCell, seed: number): Scenario {
  const impair: Partial<LinkConfig> = {
    ...(cell.loss > 0 ? { loss: cell.loss } : {}),
    ...(cell.reorder ? { jitter: MATRIX.reorderJitter, reorder: true } : {}),
    ...(cell.duplicate ? { duplicate: MATRIX.duplicate } : {}),
    ...(cell.corrupt ? { corrupt: MATRIX.corrupt } : {}),
  };
  const outage: LinkEvent[] = [
    { at: MATRIX.blackholeAt, type: 'down' },
    { at: MATRIX.blackholeAt + MATRIX.blackholeFor, type: 'up' },
  ];
  const first: Partial<LinkConfig> = { ...impair, ...(cell.blackhole ? { events: outage } : {}) };
  const events: NetworkEvent[] = cell.rebind ? [{ at: MATRIX.rebindAt, type: seed % 2 === 1 ? 'rebind-port' : 'rebind-addr', every: MATRIX.rebindEvery, afterHandshake: true }] : [];
  const fec = cell.fec ? FEC_BY_SEED[seed % FEC_BY_SEED.length]! : undefined;
  const parts = [
    cell.multipath ? 'multipath: path A 10 Mbps / 20 ms RTT, path B 10 Mbps / 60 ms RTT, minrtt' : '10 Mbps, 30 ms RTT',
    cell.loss > 0 ? `${pct(cell.loss)}% loss` : undefined,
    cell.reorder ? `${MATRIX.reorderJitter / MS} ms reordering jitter` : undefined,
    cell.duplicate ? `${MATRIX.duplicate * 100}% duplication` : undefined,
    cell.corrupt ? `${MATRIX.corrupt * 100}% corruption` : undefined,
    cell.blackhole ? `${cell.multipath ? 'path A' : 'the link'} down at ${MATRIX.blackholeAt / MS} ms for ${MATRIX.blackholeFor / S} s` : undefined,
    cell.rebind ? `NAT ${seed % 2 === 1 ? 'port' : 'address'} rebinding after the handshake (from ${MATRIX.rebindAt / MS} ms), then every ${MATRIX.rebindEvery / S} s` : undefined,
    fec ? `FEC ${fec.scheme} ${String(fec.ratio)}` : undefined,
  ].filter((x) => x !== undefined);
  const mp = { scheduler: 'minrtt' };
  const link = defaultLink(first);
  return {
    name: `matrix ${cellName(cell)}`,
    description: `${parts.join(', ')}; ${MATRIX.bytes / 1000} kB download`,
    seed,
    ...(cell.multipath ? { topology: mpPaths(first, impair) } : { toServer: link, toClient: { ...link } }),
    workload: { type: 'bulk', bytes: MATRIX.bytes },
    ...(events.length > 0 ? { events } : {}),
    maxTime: MATRIX.maxTime,
    ...(cell.multipath || fec ? { client: { ...(cell.multipath ? { multipath: mp } : {}), ...(fec ? { fec } : {}) } } : {}),
    ...(cell.multipath || fec ? { server: { ...(cell.multipath ? { multipath: mp } : {}), ...(fec ? { fec } : {}) } } : {}),
  };
}

export type Outcome = 'completed' | 'error' | 'hang' | 'corrupted' | 'violation' | 'crashed';
export const OUTCOMES: readonly Outcome[] = ['completed', 'error', 'hang', 'corrupted', 'violation', 'crashed'];
/** The outcomes that fail a soak. */
export const FAILURES: readonly Outcome[] = ['hang', 'corrupted', 'violation', 'crashed'];

/** What the network did to one run (summed over its links and NATs). */
export interface Faults {
  /** Random loss drops. */
  lost: number;
  /** Drops while a link was down. */
  blackholed: number;
  duplicated: number;
  corrupted: number;
  /** Deliveries that arrived after a datagram offered later to the same link. */
  reordered: number;
  /** NAT rebindings. */
  rebinds: number;
  /** Not injected, for context: drop-tail queue overflows (the senders' own doing). */
  queueDrops: number;
  /** Not injected, for context: FEC repair packets sent (both ends). */
  fecRepairs: number;
  /** Not injected, for context: datagrams delivered on paths other than the first (multipath). */
  otherPaths: number;
}

/** The sum of the injected faults (queue drops, repairs and other-path datagrams excluded). */
export function injected(f: Faults): number {
  return f.lost + f.blackholed + f.duplicated + f.corrupted + f.reordered + f.rebinds;
}

function noFaults(): Faults {
  return { lost: 0, blackholed: 0, duplicated: 0, corrupted: 0, reordered: 0, rebinds: 0, queueDrops: 0, fecRepairs: 0, otherPaths: 0 };
}

function addFaults(a: Faults, b: Faults): void {
  for (const k of Object.keys(a) as (keyof Faults)[]) a[k] += b[k];
}

/** One run of the matrix. */
export interface MatrixRun {
  cell: MatrixCell;
  name: string;
  seed: number;
  outcome: Outcome;
  /** Why, for anything but `completed`: the close reason, the hang's state, the violations, the exception. */
  detail: string;
  /** For `error`: its kind and code (`idle_timeout`, `transport PROTOCOL_VIOLATION`, ...). */
  error?: string;
  faults: Faults;
  /** Virtual time at the end of the run (µs) and engine events. */
  virtualTime: number;
  events: number;
  wallMs: number;
}

export interface MatrixFailure {
  cell: string;
  filter: string;
  seed: number;
  outcome: Outcome;
  detail: string;
  /** The command that plays exactly this run again. */
  replay: string;
}

export type OutcomeCounts = Record<Outcome, number>;

export interface MatrixSummary {
  cells: number;
  seeds: number[];
  runs: number;
  outcomes: OutcomeCounts;
  /** Per loss level (every level that ran). */
  byLoss: Array<{ loss: number; runs: number; outcomes: OutcomeCounts }>;
  /** Per switch and value (every value that ran). */
  bySwitch: Array<{ dimension: Switch; on: boolean; runs: number; outcomes: OutcomeCounts }>;
  faults: Faults & { injected: number };
  /** Clean errors by kind and code. */
  errors: Record<string, number>;
  /** Every run that ended in a clean error (accepted, but worth a look), with its replay command. */
  errorRuns: MatrixFailure[];
  failures: MatrixFailure[];
  virtualTime: number;
  wallMs: number;
  /** No hang, corruption, violation or crash. */
  ok: boolean;
}

export interface MatrixOptions {
  /** The cells to run (default: every cell); `filter` narrows them further. */
  cells?: readonly MatrixCell[];
  /** N (seeds 1..N) or the seeds themselves. */
  seeds: number | readonly number[];
  filter?: MatrixFilter;
  /** After each run (awaited: a progress display may yield here). */
  onRun?: (run: MatrixRun, done: number, total: number) => void | Promise<void>;
  /** Default: the node provider and the simulator's Ed25519 credentials. */
  provider?: CryptoProvider;
  credentials?: TlsCredentials;
  /** Wall clock in ms for the timings (default performance.now). */
  clock?: () => number;
}

function zero(): OutcomeCounts {
  return { completed: 0, error: 0, hang: 0, corrupted: 0, violation: 0, crashed: 0 };
}

/** The (cell, seed) pairs a matrix run plays, in order: cells in the given order, seeds ascending within each. */
export function matrixRuns(opts: Pick<MatrixOptions, 'cells' | 'seeds' | 'filter'>): Array<{ cell: MatrixCell; seed: number }> {
  const seeds = typeof opts.seeds === 'number' ? Array.from({ length: opts.seeds }, (_, i) => i + 1) : [...opts.seeds];
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError('seeds must be non-negative integers');
  const cells = (opts.cells ?? allCells()).filter((c) => matchesFilter(c, opts.filter));
  return cells.flatMap((cell) => seeds.map((seed) => ({ cell, seed })));
}

/** The faults of one finished run, from its link and NAT counters and its delivery trace. */
export function runFaults(r: ScenarioResult): Faults {
  const f = noFaults();
  const first = r.paths.length > 0 ? new Set<LinkCounters>([r.paths[0]!.toServer, r.paths[0]!.toClient]) : undefined;
  for (const c of Object.values(r.linkCounters)) {
    f.lost += c.dropped.random + c.dropped.burst;
    f.blackholed += c.dropped.down;
    f.duplicated += c.duplicated;
    f.corrupted += c.corrupted;
    f.queueDrops += c.dropped.queue + c.dropped.aqm;
    if (first && !first.has(c)) f.otherPaths += c.delivered;
  }
  for (const n of r.nats) f.rebinds += n.rebinds;
  f.fecRepairs = (r.client?.fec?.repairsSent ?? 0) + (r.server?.fec?.repairsSent ?? 0);
  const highest = new Map<string, number>();
  for (const t of r.trace ?? []) {
    const h = highest.get(t.link);
    if (h !== undefined && t.index < h) f.reordered++;
    if (h === undefined || t.index > h) highest.set(t.link, t.index);
  }
  return f;
}

/** Outcome of a finished run (see the top of this file). */
export function classify(r: ScenarioResult): { outcome: Outcome; detail: string; error?: string } {
  const f = r.flows[0]!;
  const at = `at ${(r.completionTime / S).toFixed(3)} s, ${r.bytes} of ${r.expectedBytes} bytes`;
  if (!r.dataIntact) return { outcome: 'corrupted', detail: `delivered bytes differ from those sent (${at})` };
  const v = r.checks?.violations ?? [];
  if (v.length > 0) return { outcome: 'violation', detail: v.slice(0, 3).map((x) => `[${x.invariant}] ${x.side} @ ${x.time} µs: ${x.message}`).join('; ') + (v.length > 3 ? `; and ${v.length - 3} more` : '') };
  if (r.completed) return { outcome: 'completed', detail: '' };
  const clientClose = f.closes.find((c) => c.role === 'client');
  if (clientClose) {
    const i = clientClose.info;
    const error = i.kind === 'transport' ? `transport ${errorName(i.code)}` : i.kind === 'application' ? `application 0x${i.code.toString(16)}` : i.kind;
    return { outcome: 'error', error, detail: `${error} (${i.initiator}${i.reason ? `: ${i.reason}` : ''}) ${at}` };
  }
  const why = r.completionTime >= MATRIX.maxTime ? 'maxTime reached' : r.events >= MATRIX.maxEvents ? 'event limit reached' : 'no events left';
  return { outcome: 'hang', detail: `${why} with the connection ${f.client?.state ?? 'not opened'} and no error, ${at}` };
}

/** Plays one cell with one seed; never throws (an exception is the `crashed` outcome). */
export function runCell(cell: MatrixCell, seed: number, opts: { provider: CryptoProvider; credentials: TlsCredentials; clock?: () => number }): MatrixRun {
  const clock = opts.clock ?? (() => performance.now());
  const t0 = clock();
  const base = { cell, name: cellName(cell), seed };
  try {
    const r = runScenario(cellScenario(cell, seed), { provider: opts.provider, credentials: opts.credentials, trace: true, stopOnClose: true, maxEvents: MATRIX.maxEvents });
    const c = classify(r);
    return { ...base, ...c, faults: runFaults(r), virtualTime: r.completionTime, events: r.events, wallMs: clock() - t0 };
  } catch (e) {
    const detail = e instanceof Error ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(e);
    return { ...base, outcome: 'crashed', detail, faults: noFaults(), virtualTime: 0, events: 0, wallMs: clock() - t0 };
  }
}

/** The command that replays one run. */
export function replayCommand(cell: MatrixCell, seed: number): string {
  return `tquic soak --seed ${seed} --filter ${cellFilter(cell)}`;
}

/** Adds runs up into a summary. */
export function summarize(runs: readonly MatrixRun[], seeds: readonly number[], wallMs: number): MatrixSummary {
  const outcomes = zero();
  const byLoss = new Map<number, { loss: number; runs: number; outcomes: OutcomeCounts }>();
  const bySwitch = new Map<string, { dimension: Switch; on: boolean; runs: number; outcomes: OutcomeCounts }>();
  const faults = noFaults();
  const errors: Record<string, number> = {};
  const failures: MatrixFailure[] = [];
  const errorRuns: MatrixFailure[] = [];
  const cells = new Set<number>();
  let virtualTime = 0;
  for (const r of runs) {
    cells.add(cellIndex(r.cell));
    outcomes[r.outcome]++;
    const l = byLoss.get(r.cell.loss) ?? { loss: r.cell.loss, runs: 0, outcomes: zero() };
    l.runs++;
    l.outcomes[r.outcome]++;
    byLoss.set(r.cell.loss, l);
    for (const s of SWITCHES) {
      const k = `${s}=${r.cell[s]}`;
      const b = bySwitch.get(k) ?? { dimension: s, on: r.cell[s], runs: 0, outcomes: zero() };
      b.runs++;
      b.outcomes[r.outcome]++;
      bySwitch.set(k, b);
    }
    addFaults(faults, r.faults);
    if (r.error !== undefined) errors[r.error] = (errors[r.error] ?? 0) + 1;
    const entry = (): MatrixFailure => ({ cell: r.name, filter: cellFilter(r.cell), seed: r.seed, outcome: r.outcome, detail: r.detail, replay: replayCommand(r.cell, r.seed) });
    if (FAILURES.includes(r.outcome)) failures.push(entry());
    else if (r.outcome === 'error') errorRuns.push(entry());
    virtualTime += r.virtualTime;
  }
  const switchOrder = (x: { dimension: Switch; on: boolean }): number => SWITCHES.indexOf(x.dimension) * 2 + (x.on ? 1 : 0);
  return {
    cells: cells.size,
    seeds: [...seeds],
    runs: runs.length,
    outcomes,
    byLoss: [...byLoss.values()].sort((a, b) => a.loss - b.loss),
    bySwitch: [...bySwitch.values()].sort((a, b) => switchOrder(a) - switchOrder(b)),
    faults: { ...faults, injected: injected(faults) },
    errors,
    errorRuns,
    failures,
    virtualTime,
    wallMs,
    ok: failures.length === 0,
  };
}

/** Runs the matrix (or the chosen cells and seeds) and adds it up. */
export async function runMatrix(opts: MatrixOptions): Promise<MatrixSummary> {
  const clock = opts.clock ?? (() => performance.now());
  const provider = opts.provider ?? getProvider('node');
  const credentials = opts.credentials ?? (await simCredentials());
  const plan = matrixRuns(opts);
  const seeds = typeof opts.seeds === 'number' ? Array.from({ length: opts.seeds }, (_, i) => i + 1) : [...opts.seeds];
  const t0 = clock();
  const runs: MatrixRun[] = [];
  for (const { cell, seed } of plan) {
    const run = runCell(cell, seed, { provider, credentials, clock });
    runs.push(run);
    await opts.onRun?.(run, runs.length, plan.length);
  }
  return summarize(runs, seeds, clock() - t0);
}

/** Clean errors listed one by one in the text summary. */
const ERRORS_SHOWN = 10;

/** The summary as text: totals, outcomes per loss level and per switch, faults, errors, and every failure with its replay command. */
export function formatSummary(s: MatrixSummary): string {
  const head = ['', 'runs', ...OUTCOMES];
  const row = (label: string, runs: number, o: OutcomeCounts): string[] => [label, String(runs), ...OUTCOMES.map((k) => String(o[k]))];
  const rows: string[][] = [
    ...s.byLoss.map((l) => row(`loss ${pct(l.loss)}%`, l.runs, l.outcomes)),
    ...s.bySwitch.map((b) => row(`${b.dimension} ${b.on ? 'on' : 'off'}`, b.runs, b.outcomes)),
    row('total', s.runs, s.outcomes),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const seeds = s.seeds.length > 3 && s.seeds.every((x, i) => x === s.seeds[0]! + i) ? `${s.seeds[0]}..${s.seeds[s.seeds.length - 1]}` : s.seeds.join(', ');
  const f = s.faults;
  const out = [
    `${s.runs} run${s.runs === 1 ? '' : 's'}: ${s.cells} cell${s.cells === 1 ? '' : 's'} × seed${s.seeds.length === 1 ? '' : 's'} ${seeds}; ${(s.virtualTime / S).toFixed(1)} s simulated in ${(s.wallMs / 1000).toFixed(1)} s (${s.runs > 0 ? (s.wallMs / s.runs).toFixed(0) : 0} ms per run)`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(0, -1).map(line),
    line(widths.map((w) => '-'.repeat(w))),
    line(rows[rows.length - 1]!),
    '',
    `faults injected: ${f.injected} (${f.lost} lost, ${f.blackholed} blackholed, ${f.duplicated} duplicated, ${f.corrupted} corrupted, ${f.reordered} reordered, ${f.rebinds} NAT rebinds)`,
    `also: ${f.queueDrops} queue drops, ${f.fecRepairs} FEC repairs sent, ${f.otherPaths} datagrams on second paths`,
  ];
  const errs = Object.entries(s.errors).sort((a, b) => b[1] - a[1]);
  if (errs.length > 0) {
    out.push(`clean errors: ${errs.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const shown = s.errorRuns.slice(0, ERRORS_SHOWN);
    for (const x of shown) out.push(`  ${x.cell}, seed ${x.seed}: ${x.detail}`, `    replay: ${x.replay}`);
    if (s.errorRuns.length > shown.length) out.push(`  … and ${s.errorRuns.length - shown.length} more (--json lists them all)`);
  }
  if (s.failures.length === 0) {
    out.push('', 'no hangs, corruptions, invariant violations or crashes');
  } else {
    out.push('', `${s.failures.length} failures:`);
    for (const x of s.failures) out.push(`  ${x.outcome} — ${x.cell}, seed ${x.seed}: ${x.detail.split('\n')[0]}`, `    replay: ${x.replay}`);
  }
  return out.join('\n');
}
