/**
 * Coverage feedback for the fuzzer, from V8's own block coverage through `node:inspector`
 * (Chrome DevTools Protocol, Profiler domain): `Profiler.startPreciseCoverage({ callCount: true,
 * detailed: true })` once, then `Profiler.takePreciseCoverage` after an execution. With
 * `callCount: true` V8 resets the block counters on every take, so each take reports exactly
 * what ran since the previous one. An inspector session in the same thread answers Profiler
 * commands synchronously, inside `session.post` (checked once at start: `startCoverage` throws
 * if the callback did not run before `post` returned).
 *
 * A take is reduced to numeric features, per script of the tquic source tree (the folder above
 * this one: dist/ when run from the build, src/ under vitest) outside the fuzzer's own folder and
 * outside `util/prng`, which the mutators themselves call:
 * - count features: (script, range start, AFL-style bucket of its count: 1, 2, 3, 4-7, 8-15,
 *   16-31, 32-127, 128+) for every reported range with a non-zero count;
 * - a function feature for every function that ran;
 * - covered-block features: V8 reports a nested block only when its count differs from the
 *   enclosing range's, so a block that runs exactly as often as its function does not appear at
 *   all. What does appear are the blocks that did not run (count 0). Every such block is
 *   remembered, and a later take in which the function ran and the block lies in no zero-count
 *   range yields a feature "this block ran". These are exact for a whole batch of executions
 *   (a block ran in the batch iff it ran for some input), which count features are not: a
 *   batch's counts are sums, which also change which nested ranges V8 reports.

 * Cost: a take walks every function V8 holds (node's internals included), so it costs hundreds
 * of microseconds however small the target: far more than one execution of a parser. The engine
 * therefore batches executions (engine.ts): one take per batch, and per-input takes only for a
 * batch that reached a block never seen before.
 *
 * Functions compiled before coverage starts carry no block counters (V8 instruments bytecode
 * when it compiles), so `startCoverage` must run before the code under test is first called.
 * It also turns V8's optimising compilers off (TurboFan, Maglev): optimised code does not keep
 * every block counter, so counts, and with them the features of an input, would depend on which
 * functions happen to be optimised. Without them the same input always gives the same features
 * and a campaign is a function of its seed; executions get slower, but a take costs far more.
 */
import { Session } from 'node:inspector';
import { setFlagsFromString } from 'node:v8';

/** Counts of one block range: V8 reports the function range first, nested blocks after it. */
interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}

interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { functionName: string; ranges: CoverageRange[]; isBlockCoverage: boolean }[];
}

/** AFL's count classes: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ → 0..7. */
export function countBucket(count: number): number {
  if (count <= 3) return count - 1;
  if (count < 8) return 3;
  if (count < 16) return 4;
  if (count < 32) return 5;
  if (count < 128) return 6;
  return 7;
}

/** The tquic source tree this module was loaded from (…/dist/ or …/src/), as a URL prefix. */
export const SOURCE_ROOT: string = new URL('../', import.meta.url).href;

/** Scripts whose coverage is noise for the fuzzer: its own code, and the PRNG the mutators call. */
const EXCLUDED = ['fuzz/', 'util/prng.'];

let session: Session | undefined;

/**
 * Starts precise block coverage (idempotent). Call it before importing or first calling the
 * code under test.
 */
export function startCoverage(): void {
  if (session !== undefined) return;
  setFlagsFromString('--no-turbofan');
  setFlagsFromString('--no-maglev');
  const s = new Session();
  s.connect();
  let sync = false;
  s.post('Profiler.enable', () => {
    sync = true;
  });
  if (!sync) throw new Error('inspector Profiler commands did not complete synchronously');
  s.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  session = s;
}

/** Stops coverage and disconnects (the counters' cost goes away with it). */
export function stopCoverage(): void {
  if (session === undefined) return;
  session.post('Profiler.stopPreciseCoverage');
  session.post('Profiler.disable');
  session.disconnect();
  session = undefined;
  setFlagsFromString('--turbofan');
  setFlagsFromString('--maglev');
}

/** One synchronous take: what ran since the previous take. */
function take(): ScriptCoverage[] {
  if (session === undefined) throw new Error('coverage not started');
  let out: ScriptCoverage[] | undefined;
  let err: Error | null = null;
  session.post('Profiler.takePreciseCoverage', (e, r) => {
    err = e;
    out = (r as { result: ScriptCoverage[] }).result;
  });
  if (err !== null) throw err;
  if (out === undefined) throw new Error('takePreciseCoverage did not answer synchronously');
  return out;
}

/** Buckets above the count classes: a function that ran, a remembered block that ran. */
export const FUNCTION_RAN = 8;
export const BLOCK_RAN = 9;

/** Zero-count blocks seen so far in one function: start and end offsets, sorted by start. */
interface KnownHoles {
  starts: number[];
  ends: number[];
}

/**
 * Turns takes into numeric features. A feature packs a script number (assigned on first sight,
 * < 2^21), a source offset (< 2^28) and a bucket (< 16) into one safe integer.
 */
export class CoverageMap {
  private readonly scripts = new Map<string, number>();
  private readonly keep = new Map<string, boolean>();
  private readonly holes = new Map<number, KnownHoles>();
  /** Takes performed and the time they took, for the cost report. */
  takes = 0;
  takeMs = 0;

  constructor(private readonly root: string = SOURCE_ROOT) {}

  private wanted(url: string): boolean {
    let k = this.keep.get(url);
    if (k === undefined) {
      k = url.startsWith(this.root) && !EXCLUDED.some((x) => url.startsWith(this.root + x));
      this.keep.set(url, k);
    }
    return k;
  }

  private scriptNumber(url: string): number {
    let n = this.scripts.get(url);
    if (n === undefined) {
      n = this.scripts.size;
      this.scripts.set(url, n);
    }
    return n;
  }

  /** Discards what ran since the last take (the engine's own work between executions). */
  reset(): void {
    this.collect(undefined);
  }

  /** Takes coverage and writes its features into `out` (emptied first); returns `out`. */
  features(out: number[]): number[] {
    out.length = 0;
    this.collect(out);
    return out;
  }

  private collect(out: number[] | undefined): void {
    const t0 = performance.now();
    const result = take();
    this.takes++;
    for (const sc of result) {
      if (!this.wanted(sc.url)) continue;
      const base = this.scriptNumber(sc.url) * 2 ** 28;
      for (const fn of sc.functions) {
        const ranges = fn.ranges;
        if (ranges.length === 0 || ranges[0]!.count === 0) continue;
        const fnKey = base + ranges[0]!.startOffset;
        let known = this.holes.get(fnKey);
        if (out !== undefined) {
          out.push(fnKey * 16 + FUNCTION_RAN);
          for (const r of ranges) if (r.count > 0) out.push((base + r.startOffset) * 16 + countBucket(r.count));
          if (known !== undefined) this.coveredBlocks(base, ranges, known, out);
        }
        for (let i = 1; i < ranges.length; i++) {
          const r = ranges[i]!;
          if (r.count !== 0) continue;
          if (known === undefined) {
            known = { starts: [], ends: [] };
            this.holes.set(fnKey, known);
          }
          remember(known, r.startOffset, r.endOffset);
        }
      }
    }
    this.takeMs += performance.now() - t0;
  }

  /** Features for the remembered zero-count blocks of a function that lie in no zero-count range now. */
  private coveredBlocks(base: number, ranges: readonly CoverageRange[], known: KnownHoles, out: number[]): void {
    for (let k = 0; k < known.starts.length; k++) {
      const s = known.starts[k]!;
      const e = known.ends[k]!;
      let inHole = false;
      for (let i = 1; i < ranges.length; i++) {
        const r = ranges[i]!;
        if (r.count === 0 && r.startOffset <= s && e <= r.endOffset) {
          inHole = true;
          break;
        }
      }
      if (!inHole) out.push((base + s) * 16 + BLOCK_RAN);
    }
  }

  /** Scripts seen so far (for the report). */
  get scriptCount(): number {
    return this.scripts.size;
  }
}

function remember(known: KnownHoles, start: number, end: number): void {
  const { starts, ends } = known;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! < start || (starts[mid] === start && ends[mid]! < end)) lo = mid + 1;
    else hi = mid;
  }
  if (starts[lo] === start && ends[lo] === end) return;
  starts.splice(lo, 0, start);
  ends.splice(lo, 0, end);
}

/** Whether a feature says code ran for the first time somewhere (a function or a remembered block), exact for batches. */
export function isBlockFeature(f: number): boolean {
  return f % 16 >= FUNCTION_RAN;
}

