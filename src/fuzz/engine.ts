/**
 * The coverage-guided fuzzing loop: take an input from the in-memory corpus, mutate it
 * (mutators.ts), run it against a target (target.ts) and keep it when it reaches coverage
 * features (coverage.ts) no earlier input reached. A target's failures — an error it may not
 * throw, a broken sanity bound, an input slower than `slowMs` — are deduplicated by error type
 * and top stack frame and kept with the smallest input that produced them.
 *
 * Batching: a coverage take costs far more than running a parser once, so executions are
 * grouped. After a batch, one take tells whether any input of the batch ran a function or a
 * block never seen running (coverage.ts: those features are exact for a batch); only then is
 * each input of the batch run again on its own, with a take each, to find which one and its
 * exact features (count buckets included). The batch size follows the rate at
 * which inputs have been reaching new blocks, B ≈ 1/√rate (1 while everything is new, up to
 * `maxBatch` once new coverage is rare): a batch costs one take and a novel batch B more, so
 * that size minimises takes per input. Each batch is followed by one input judged exactly, so
 * count-bucket features keep being found. `batch: 1` judges every input exactly; a fixed
 * `batch: N` only in batches. With `runs` the campaign is a pure function of the seed, the seed inputs and the
 * batch setting; with `timeMs` it also depends on the machine's speed.
 */
import { Prng } from '../util/prng.js';
import { CoverageMap, isBlockFeature } from './coverage.js';
import { mutate } from './mutators.js';
import { FuzzOracleError, type FuzzTarget } from './target.js';

export type FailureKind = 'crash' | 'oracle' | 'slow';

export interface Failure {
  target: string;
  kind: FailureKind;
  /** Deduplication key: kind, error type and top stack frame. */
  key: string;
  /** Error type and message. */
  message: string;
  stack: string;
  /** The smallest input seen with this key. */
  input: Uint8Array;
  /** Inputs that hit this key. */
  hits: number;
  /** Where the reproducer was written, once saved. */
  path?: string;
}

export interface CampaignOptions {
  seed: number;
  /** Executions of mutated inputs (the seed inputs are run in addition). */
  runs?: number;
  /** Wall-clock budget in milliseconds (used when `runs` is absent). */
  timeMs?: number;
  /** Initial inputs. */
  seeds?: readonly Uint8Array[];
  /** An execution slower than this (on three tries) is a failure; default 200 ms. */
  slowMs?: number;
  /** 'auto' (default) or a fixed batch size (1: a take per input). */
  batch?: number | 'auto';
  /** Largest batch in auto mode; default 64. */
  maxBatch?: number;
  /** Stop at the first failure. */
  stopOnFailure?: boolean;
  /** URL prefix of the scripts whose coverage counts (default: the tquic source tree, coverage.ts). */
  coverageRoot?: string;
  /** Called now and then with the executions so far. */
  onProgress?: (executions: number) => void;
}

export interface CorpusEntry {
  data: Uint8Array;
  /** The entry's exact features (sorted, unique). */
  features: number[];
  /** Whether it came from the seed inputs. */
  seed: boolean;
}

export interface CampaignResult {
  target: string;
  seed: number;
  /** Executions: seed inputs, mutated inputs and re-runs for coverage attribution. */
  executions: number;
  /** Mutated inputs generated. */
  mutations: number;
  elapsedMs: number;
  seedInputs: number;
  /** Corpus size and features after the seed inputs, and at the end. */
  seedCorpus: number;
  seedFeatures: number;
  corpus: CorpusEntry[];
  features: number;
  failures: Failure[];
  /** Coverage takes and their total time. */
  takes: number;
  takeMs: number;
}

/** What running one input gives. */
export interface ReplayResult {
  /** 'ok', 'rejected' (an allowed error) or a failure kind. */
  outcome: 'ok' | 'rejected' | FailureKind;
  error?: unknown;
  ms: number;
}

function errorName(e: unknown): string {
  if (e instanceof Error) return e.name || e.constructor.name;
  return typeof e;
}

/** The first stack frame, without the noise of absolute paths. */
function topFrame(stack: string): string {
  const line = stack.split('\n').find((l) => l.trimStart().startsWith('at '));
  if (line === undefined) return '?';
  return line.trim().replace(/^at /, '').replace(/file:\/\/\/?\S*?\/(src|dist)\//, '$1/');
}

/** Runs one input once; errors the target allows count as 'rejected'. */
export function runOnce(target: FuzzTarget, data: Uint8Array): ReplayResult {
  const t0 = performance.now();
  try {
    target.run(data);
    return { outcome: 'ok', ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    if (target.allowed(e)) return { outcome: 'rejected', error: e, ms };
    return { outcome: e instanceof FuzzOracleError ? 'oracle' : 'crash', error: e, ms };
  }
}

/** Runs one input the way a campaign judges it (a slow run is retried twice before it counts). */
export function replay(target: FuzzTarget, data: Uint8Array, slowMs = 200): ReplayResult {
  let r = runOnce(target, data);
  for (let i = 0; i < 2 && r.ms > slowMs && (r.outcome === 'ok' || r.outcome === 'rejected'); i++) {
    const again = runOnce(target, data);
    if (again.ms < r.ms) r = again;
  }
  if (r.ms > slowMs && (r.outcome === 'ok' || r.outcome === 'rejected')) return { outcome: 'slow', error: r.error, ms: r.ms };
  return r;
}

/** Fuzzes one target. Coverage must have been started (`startCoverage`) before the target's code first ran. */
export function runCampaign(target: FuzzTarget, opts: CampaignOptions): CampaignResult {
  return new Campaign(target, opts).run();
}

/** What an input brought: nothing new, new count buckets only, or a function or block never run before. */
type Novelty = 0 | 1 | 2;
const NOTHING_NEW = 0;
const NEW_COUNT = 1;
const NEW_BLOCK = 2;

class Campaign {
  private readonly prng: Prng;
  private readonly cov: CoverageMap;
  private readonly features = new Set<number>();
  private readonly corpus: CorpusEntry[] = [];
  private readonly failures = new Map<string, Failure>();
  private readonly scratch: number[] = [];
  private readonly slowMs: number;
  private readonly maxLength: number;
  private executions = 0;
  private mutations = 0;
  /** Estimated share of inputs that join the corpus (auto batch size). */
  private rate = 1;

  constructor(
    private readonly target: FuzzTarget,
    private readonly opts: CampaignOptions,
  ) {
    this.prng = new Prng(opts.seed);
    this.cov = new CoverageMap(opts.coverageRoot);
    this.slowMs = opts.slowMs ?? 200;
    this.maxLength = target.maxLength ?? 4096;
  }

  run(): CampaignResult {
    const t0 = performance.now();
    const savedLimit = Error.stackTraceLimit;
    // Allowed errors are thrown by the thousand; their stack traces are what a throw costs most.
    // A failure is run again with stacks on to report where it happened.
    Error.stackTraceLimit = 0;
    try {
      const seeds = this.opts.seeds ?? [];
      // A warm-up pass: code that runs once per process (lazily built tables, caches) runs here,
      // so the same campaign measures the same features whatever ran before it.
      for (const s of seeds) runOnce(this.target, s.slice(0, this.maxLength));
      this.cov.reset();
      for (const s of seeds) this.exactRun(s.slice(0, this.maxLength), true);
      if (this.corpus.length === 0) this.corpus.push({ data: new Uint8Array(0), features: [], seed: true });
      const seedCorpus = this.corpus.length;
      const seedFeatures = this.features.size;
      this.fuzz(t0);
      const failures = [...this.failures.values()];
      Error.stackTraceLimit = savedLimit;
      for (const f of failures) this.describe(f);
      return {
        target: this.target.name,
        seed: this.opts.seed,
        executions: this.executions,
        mutations: this.mutations,
        elapsedMs: performance.now() - t0,
        seedInputs: seeds.length,
        seedCorpus,
        seedFeatures,
        corpus: this.corpus,
        features: this.features.size,
        failures,
        takes: this.cov.takes,
        takeMs: this.cov.takeMs,
      };
    } finally {
      Error.stackTraceLimit = savedLimit;
    }
  }

  private fuzz(t0: number): void {
    const runs = this.opts.runs;
    const deadline = runs === undefined ? t0 + (this.opts.timeMs ?? 10_000) : Infinity;
    const fixed = this.opts.batch === undefined || this.opts.batch === 'auto' ? undefined : Math.max(1, Math.floor(this.opts.batch));
    const maxBatch = this.opts.maxBatch ?? 64;
    const more = (): boolean => (runs !== undefined ? this.mutations < runs : performance.now() < deadline);
    const pending: Uint8Array[] = [];
    let nextProgress = 1000;
    // From here on every take follows the previous one with only the engine's own work (and the
    // PRNG, which coverage.ts leaves out) in between, so no take needs a reset before it.
    this.cov.reset();
    while (more()) {
      if (this.opts.stopOnFailure === true && this.failures.size > 0) break;
      const size = fixed ?? Math.max(1, Math.min(maxBatch, Math.floor(1 / Math.sqrt(this.rate))));
      let novel = 0;
      let n = 0;
      if (size === 1) {
        novel += this.exactNext();
        n = 1;
      } else {
        pending.length = 0;
        while (pending.length < size && more()) {
          const input = this.nextInput();
          n++;
          if (this.judge(input)) pending.push(input);
        }
        if (pending.length > 0 && this.hasNewBlock(this.cov.features(this.scratch))) {
          for (const input of pending) novel += this.exactRun(input, false) === NEW_BLOCK ? 1 : 0;
        }
        // One input per batch is judged exactly, count buckets included, which a batch's summed
        // counts cannot be.
        if (fixed === undefined && more()) this.exactNext();
      }
      // Moving average of the share of inputs reaching new blocks, over roughly 256 inputs.
      this.rate += (novel / Math.max(1, n) - this.rate) * Math.min(1, n / 256);
      this.rate = Math.max(this.rate, 1 / (maxBatch * maxBatch));
      if (this.opts.onProgress !== undefined && this.mutations >= nextProgress) {
        this.opts.onProgress(this.executions);
        nextProgress = this.mutations + 1000;
      }
    }
  }

  /** Mutates, runs and judges one input with a take of its own. Returns 1 if it reached a new block. */
  private exactNext(): number {
    const input = this.nextInput();
    const ok = this.judge(input);
    const f = this.cov.features(this.scratch);
    return ok && this.consider(input, f, false) === NEW_BLOCK ? 1 : 0;
  }

  /** A mutation of a corpus entry (recent entries a little more often). */
  private nextInput(): Uint8Array {
    const c = this.corpus;
    const p = this.prng;
    const i = p.chance(0.3) ? c.length - 1 - p.nextInt(Math.min(c.length, 8)) : p.nextInt(c.length);
    const other = c[p.nextInt(c.length)]!.data;
    this.mutations++;
    return mutate(p, c[i]!.data, other, this.maxLength);
  }

  /** Runs an input; records a failure. Returns whether the input ran cleanly (ok or rejected). */
  private judge(input: Uint8Array): boolean {
    this.executions++;
    let r = runOnce(this.target, input);
    if (r.ms > this.slowMs && (r.outcome === 'ok' || r.outcome === 'rejected')) {
      this.executions += 2;
      r = replay(this.target, input, this.slowMs);
    }
    if (r.outcome === 'ok' || r.outcome === 'rejected') return true;
    this.record(r, input);
    return false;
  }

  /** Runs an input on its own with a take of its own; adds it if it brings new features. */
  private exactRun(input: Uint8Array, seed: boolean): Novelty {
    const ok = this.judge(input);
    const f = this.cov.features(this.scratch);
    return ok ? this.consider(input, f, seed) : NOTHING_NEW;
  }

  private hasNewBlock(f: readonly number[]): boolean {
    for (const x of f) if (isBlockFeature(x) && !this.features.has(x)) return true;
    return false;
  }

  /** Adds `input` to the corpus if `f` holds a feature not seen before. */
  private consider(input: Uint8Array, f: readonly number[], seed: boolean): Novelty {
    let fresh: Novelty = NOTHING_NEW;
    for (const x of f) {
      if (!this.features.has(x)) {
        fresh = isBlockFeature(x) ? NEW_BLOCK : NEW_COUNT;
        if (fresh === NEW_BLOCK) break;
      }
    }
    if (fresh === NOTHING_NEW) return fresh;
    const own = [...new Set(f)].sort((a, b) => a - b);
    for (const x of own) this.features.add(x);
    this.corpus.push({ data: input, features: own, seed });
    return fresh;
  }

  private record(r: ReplayResult, input: Uint8Array): void {
    const kind = r.outcome as FailureKind;
    const e = r.error;
    const name = kind === 'slow' ? 'slow' : errorName(e);
    // The stack is off during the run (see run()); the site is found again when describing.
    const key = `${kind}:${name}:${kind === 'slow' ? '' : siteOf(this.target, input)}`;
    const old = this.failures.get(key);
    if (old !== undefined) {
      old.hits++;
      if (input.length < old.input.length) old.input = input;
      return;
    }
    const message = kind === 'slow' ? `slow: ${r.ms.toFixed(0)} ms (limit ${this.slowMs} ms)` : `${name}: ${e instanceof Error ? e.message : String(e)}`;
    this.failures.set(key, { target: this.target.name, kind, key, message, stack: '', input, hits: 1 });
  }

  /** Fills in the stack of a failure by running its input again with stack traces on. */
  private describe(f: Failure): void {
    if (f.kind === 'slow') return;
    const r = runOnce(this.target, f.input);
    if (r.error instanceof Error) f.stack = r.error.stack ?? '';
  }
}

/** The top stack frame of the error `input` raises, with stack traces turned on for the run. */
function siteOf(target: FuzzTarget, input: Uint8Array): string {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 10;
  try {
    const r = runOnce(target, input);
    return r.error instanceof Error ? topFrame(r.error.stack ?? '') : '?';
  } finally {
    Error.stackTraceLimit = saved;
  }
}

/** Greedy corpus minimisation: the shortest entries that together keep every feature. */
export function minimizeCorpus(entries: readonly CorpusEntry[]): CorpusEntry[] {
  const order = [...entries].sort((a, b) => a.data.length - b.data.length || a.features.length - b.features.length);
  const covered = new Set<number>();
  const kept: CorpusEntry[] = [];
  // Entries with rarer features first would be tighter; shortest-first keeps inputs small.
  for (const e of order) {
    if (e.features.some((x) => !covered.has(x))) {
      kept.push(e);
      for (const x of e.features) covered.add(x);
    }
  }
  return kept;
}

/** A 64-bit FNV-1a digest as 16 hex digits: names corpus files and reproducers by content. */
export function contentName(data: Uint8Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ data.length;
  for (let i = 0; i < data.length; i++) {
    h1 = Math.imul(h1 ^ data[i]!, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ data[i]! ^ (h1 >>> 7), 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}
