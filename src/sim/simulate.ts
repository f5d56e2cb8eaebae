/**
 * The simulator as a library: `simulate(scenario, options)` plays a scenario in virtual time —
 * deterministic for a given seed — with tquic's own client and server, runs the qlog
 * invariant checker (checker.ts) on every connection, and returns the results with a verdict a
 * user's own test suite can assert on:
 *
 *   import { sim } from 'tquic';
 *   const r = await sim.simulate(sim.scenario({ name: 'x', topology: sim.pointToPoint(sim.link({ delayMs: 20, rateMbps: 10 })), workload: sim.bulk(1 << 20) }));
 *   assert.ok(r.ok, r.failures.join('\n'));   // or expect(r.failures).toEqual([])
 *
 * A failure names the seed, so `simulate(s, { seed })` (or `tquic sim file.json --seed N` with
 * the scenario saved as JSON) replays it exactly. Certificates are made once per process (an
 * Ed25519 chain, so runs are identical whatever the machine) unless the caller brings its own.
 */
import type { TlsCredentials } from '../crypto/tls/certificates.js';
import { getProvider, type CryptoProvider } from '../crypto/index.js';
import { formatViolations } from './checker.js';
import { simCredentials } from './credentials.js';
import { runScenario, type RunOptions, type Scenario, type ScenarioResult } from './scenario.js';
import { compareControllers, type CompareRun } from './compare.js';

/** Options of `simulate`: those of `runScenario`, with the provider and credentials optional. */
export interface SimulateOptions extends Partial<Omit<RunOptions, 'provider' | 'credentials'>> {
  /** The crypto provider: an object, or a name ('node', the default, or 'noble'). */
  provider?: CryptoProvider | 'node' | 'noble';
  /** TLS credentials of the server (default: a generated Ed25519 chain as long as the scenario asks). */
  credentials?: TlsCredentials;
  /**
   * Require every flow to complete with intact data for `ok` (default true). Off for scenarios
   * that are meant to end in an error (the closes are in `flows[i].closes`).
   */
  requireCompletion?: boolean;
}

/** The result of `simulate`: the run's figures and a verdict. */
export interface Simulation extends ScenarioResult {
  /** No invariant violation, and (unless `requireCompletion` was false) every flow complete and intact. */
  ok: boolean;
  /** Why not `ok`, one line each, each naming the seed that replays the run; empty when ok. */
  failures: string[];
}

/** The run options with the provider and credentials filled in. */
async function runOptions(scenario: Scenario, options: SimulateOptions): Promise<RunOptions> {
  const { provider: p, credentials: c, requireCompletion: _, ...rest } = options;
  const provider = p === undefined ? getProvider('node') : typeof p === 'string' ? getProvider(p) : p;
  const credentials = c ?? (await simCredentials({ chainLength: scenario.server?.certChainLength ?? 1 }));
  return { ...rest, provider, credentials };
}

/** Plays `scenario` (see the module comment); never throws for a failed run, only for a bad scenario. */
export async function simulate(scenario: Scenario, options: SimulateOptions = {}): Promise<Simulation> {
  const requireCompletion = options.requireCompletion ?? true;
  const result = runScenario(scenario, await runOptions(scenario, options));
  const failures = verdict(result, requireCompletion);
  return { ...result, ok: failures.length === 0, failures };
}

/**
 * `compareControllers` (compare.ts, what `tquic sim --compare-cc` runs) with `simulate`'s
 * defaults: the scenario once per controller (all flows on it) and, with several flows, once
 * per mixed pair; utilisation, RTT and queueing percentiles and Jain's index per run.
 */
export async function compare(scenario: Scenario, controllers: readonly string[], options: SimulateOptions & { pairs?: boolean; warmup?: number } = {}): Promise<CompareRun[]> {
  const { pairs, warmup, ...rest } = options;
  return compareControllers(scenario, controllers, await runOptions(scenario, rest), { ...(pairs !== undefined ? { pairs } : {}), ...(warmup !== undefined ? { warmup } : {}) });
}

/** The failure lines of a result (empty: it passed). */
export function verdict(r: ScenarioResult, requireCompletion = true): string[] {
  const out: string[] = [];
  const at = `scenario ${r.scenario}, seed ${r.seed}`;
  const violations = r.checks?.violations ?? [];
  if (violations.length > 0) out.push(`${at}: ${formatViolations(violations, r.seed, 10)}`);
  if (requireCompletion) {
    for (const f of r.flows) {
      if (!f.completed) {
        const why = f.closes.map((c) => `${c.role} ${c.info.kind}${c.info.code ? ` 0x${c.info.code.toString(16)}` : ''}${c.info.reason ? ` "${c.info.reason}"` : ''}`).join(', ');
        out.push(`${at}: flow ${f.name} did not complete (${f.bytes} of ${f.expectedBytes} bytes${why ? `; ${why}` : ''})`);
      } else if (!f.dataIntact) {
        out.push(`${at}: flow ${f.name} delivered data that differs from what was sent`);
      }
    }
  }
  return out;
}

/** Throws an Error listing the failures unless `r.ok` (for test runners without matchers). */
export function assertSimulation(r: Simulation): void {
  if (!r.ok) throw new Error(r.failures.join('\n'));
}
