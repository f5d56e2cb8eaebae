/**
 * Redundancy policies (specs/fec.md "Project decisions": fixed k:r, adaptive from the measured
 * loss rate, off). A policy only answers "how many repair symbols for this many source
 * symbols"; the sender (sender.ts) groups source symbols and builds the repairs.
 *
 * Registered by name (`registerFecPolicy`) so that an experiment can bring its own and select
 * it from options: the built-in ones use the same interface.
 */

/** How many repair symbols protect a group of source symbols. */
export interface FecPolicy {
  /** The registry name, for stats and qlog. */
  readonly name: string;
  /**
   * Source symbols per block (XOR, Reed-Solomon) or per repair round (RLC): a block is closed
   * when it has `k` sources, or earlier when the sender has nothing more to send.
   */
  readonly k: number;
  /**
   * Repair symbols for a block (or round) of `n` source symbols, 1 ≤ n ≤ k, given the loss
   * rate the sender measures (0..1). 0 sends none. The sender caps the result at what the
   * scheme and the receiver's limits allow.
   */
  repairs(n: number, lossRate: number): number;
}

/** Parses "k:r" (e.g. "10:2") into numbers; a RangeError for anything else. */
export function parseRatio(ratio: string | readonly [number, number]): [number, number] {
  let k: number;
  let r: number;
  if (typeof ratio === 'string') {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(ratio);
    if (m === null) throw new RangeError(`FEC ratio "${ratio}" is not of the form k:r (e.g. 10:2)`);
    k = Number(m[1]);
    r = Number(m[2]);
  } else {
    [k, r] = ratio;
  }
  if (!Number.isInteger(k) || k < 1 || k > 254) throw new RangeError('FEC ratio: k must be an integer in 1..254');
  if (!Number.isInteger(r) || r < 0 || k + r > 255) throw new RangeError('FEC ratio: r must be an integer ≥ 0 with k + r ≤ 255');
  return [k, r];
}

/**
 * Fixed k:r: `r` repairs per full block of `k`; a block closed early with n sources gets
 * ⌈n·r/k⌉ (at least one when r > 0), the same share of redundancy.
 */
export function fixedPolicy(k: number, r: number): FecPolicy {
  parseRatio([k, r]);
  return {
    name: 'fixed',
    k,
    repairs: (n) => (r === 0 ? 0 : n >= k ? r : Math.max(1, Math.ceil((n * r) / k))),
  };
}

/**
 * Options of the adaptive policy (`adaptivePolicy`, registry name 'adaptive'). `k` and
 * `maxRepair` must form a valid k:r ratio (`parseRatio`), `target` lie in (0, 1) and
 * `minRepair` in 0..maxRepair; a RangeError otherwise.
 */
export interface AdaptiveOptions {
  /** Source symbols per block (default 10). */
  k?: number;
  /** Residual loss to aim for after decoding (default 0.001). */
  target?: number;
  /** At most this many repairs per block (default 10, XQUIC's per-block maximum). */
  maxRepair?: number;
  /** At least this many (default 0: no repair while no loss is seen). */
  minRepair?: number;
}

/**
 * Probability that more than `r` of `n` symbols are lost, each independently with
 * probability p: what a maximum-distance-separable code of r repairs cannot fix.
 */
export function lossBeyond(n: number, r: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return r < n ? 1 : 0;
  // Σ_{i ≤ r} C(n, i) p^i (1-p)^(n-i), by the recurrence on consecutive terms.
  let term = Math.pow(1 - p, n);
  let sum = term;
  for (let i = 1; i <= r && i <= n; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return Math.max(0, 1 - sum);
}

/**
 * Adaptive: the fewest repairs r (within [minRepair, maxRepair]) for which a block of n
 * sources and r repairs loses more than r symbols with probability at most `target`, at the
 * measured loss rate (independent losses; bursts need a larger block or RLC's window).
 */
export function adaptivePolicy(opts: AdaptiveOptions = {}): FecPolicy {
  const k = opts.k ?? 10;
  const target = opts.target ?? 0.001;
  const maxRepair = opts.maxRepair ?? 10;
  const minRepair = opts.minRepair ?? 0;
  parseRatio([k, maxRepair]);
  if (!(target > 0 && target < 1)) throw new RangeError('FEC adaptive target must be in (0, 1)');
  if (!Number.isInteger(minRepair) || minRepair < 0 || minRepair > maxRepair) throw new RangeError('FEC adaptive minRepair must be in 0..maxRepair');
  return {
    name: 'adaptive',
    k,
    repairs(n, lossRate) {
      for (let r = minRepair; r < maxRepair; r++) if (lossBeyond(n + r, r, lossRate) <= target) return r;
      return maxRepair;
    },
  };
}

/** No repair symbols (and the sender adds no SID frames either). */
export const OFF_POLICY: FecPolicy = Object.freeze({ name: 'off', k: 1, repairs: () => 0 });

/** Makes a policy from the options given with its name (plain data from a config file or the CLI). */
export type FecPolicyFactory = (opts: Record<string, unknown>) => FecPolicy;
const registry = new Map<string, FecPolicyFactory>([
  ['fixed', (o) => fixedPolicy(...parseRatio((o['ratio'] as string | [number, number] | undefined) ?? '10:2'))],
  ['adaptive', (o) => adaptivePolicy(o as AdaptiveOptions)],
  ['off', () => OFF_POLICY],
]);

/**
 * Adds a policy under `name` (a plug-in); its factory gets the options given with the name
 * (`FecConfig.policyOptions`). RangeError for a name that is taken, built-ins included.
 */
export function registerFecPolicy(name: string, factory: FecPolicyFactory): void {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_-]*$/i.test(name)) throw new RangeError(`FEC policy name "${name}" must be alphanumeric`);
  if (typeof factory !== 'function') throw new TypeError(`FEC policy "${name}": the factory must be a function`);
  if (registry.has(name)) throw new RangeError(`FEC policy "${name}" is already registered`);
  registry.set(name, factory);
}

/** The policy registered as `name`, built with `opts`; a RangeError for an unknown name. */
export function createFecPolicy(name: string, opts: Record<string, unknown> = {}): FecPolicy {
  const f = registry.get(name);
  if (f === undefined) throw new RangeError(`unknown FEC policy "${name}" (known: ${[...registry.keys()].join(', ')})`);
  return f(opts);
}

/** Names of the registered policies. */
export function fecPolicyNames(): string[] {
  return [...registry.keys()];
}
