/**
 * Congestion controllers side by side (`tquic sim <scenario> --compare-cc cubic,bbr3,prague`):
 * the scenario once per controller (every flow using it) and, when it has two or more flows,
 * once per mixed pair (flow 0 with one, flow 1 with the other, further flows alternating), and
 * for each run the figures that tell controllers apart: goodput per flow and in total,
 * utilisation of the bottleneck, RTT and queueing delay (RTT above the minimum) from the data
 * sender's RTT samples, loss, and Jain's fairness index between flows.
 *
 * ECN is on at both ends of every run (scalable controllers such as Prague mark ECT(1) and need
 * it; classic ones answer CE as a loss, which a drop-tail link never sends anyway).
 */
import type { LoggedEvent } from '../qlog/memory.js';
import { MemorySink } from '../qlog/memory.js';
import type { LinkConfig } from './link.js';
import { runScenario, type RunOptions, type Scenario, type ScenarioResult } from './scenario.js';
import { percentiles } from './workload.js';
import { deliveredSeries } from './report.js';

/** The figures of one run. */
export interface CompareMetrics {
  /** Per flow, bits per second (FlowResult.goodput). */
  goodput: number[];
  /** Sum of the flows' goodput over the window all of them were running (or the one flow's). */
  total: number;
  /** total / the bottleneck's rate, when the scenario has one bottleneck rate; else undefined. */
  utilization: number | undefined;
  /**
   * After the warm-up: the bits all flows delivered per second over the bottleneck's rate, in
   * the window from `warmup` µs (default 0) after the last flow started to the first
   * completion (every flow running); with one flow, or flows that do not overlap past their
   * warm-up, from the first start plus `warmup` to the last completion. The RTT and queueing
   * figures below leave each flow's first `warmup` µs out.
   */
  steadyUtilization: number | undefined;
  /** RTT samples of the data senders (latest_rtt of quic:recovery_metrics_updated), ms. */
  rttP50: number;
  rttP95: number;
  /** RTT above the smallest sample of the same sender (queueing), ms. */
  queueP50: number;
  queueP95: number;
  /** Packets the data senders declared lost / packets they sent. */
  lossRate: number;
  /** Jain's index over the flows' goodput in the shared window; 1 for one flow. */
  jain: number;
  /**
   * Jain's index over what each flow delivered from `warmup` after the last flow started until
   * the first one finished (convergence left out); `jain` when that window is empty.
   */
  steadyJain: number;
}

/**
 * One run of `compareControllers`: the scenario with one controller on every flow, or a mixed
 * pair, ECN on at both ends; its result, the comparison figures, and each flow's qlog events.
 */
export interface CompareRun {
  /** e.g. "cubic" or "cubic+bbr3". */
  label: string;
  /** The controller of each flow. */
  controllers: string[];
  result: ScenarioResult;
  metrics: CompareMetrics;
  /** Per flow, the data sender's and receiver's logged events (first connection), for charts. */
  flows: { name: string; controller: string; sender: readonly LoggedEvent[]; receiver: readonly LoggedEvent[] }[];
}

/** The scenario's bottleneck rate (bit/s) in the data direction, when it has a single one. */
export function bottleneckRate(s: Scenario): number | undefined {
  const upload = s.workload.type === 'bulk' || s.workload.type === 'streams' ? s.workload.direction === 'upload' : false;
  const pick = (p: { toServer: LinkConfig; toClient?: LinkConfig } | undefined): number | undefined => {
    if (p === undefined) return undefined;
    return upload ? p.toServer.rate : (p.toClient ?? p.toServer).rate;
  };
  const t = s.topology;
  if (t === undefined || t.type === 'point-to-point') {
    if (s.toServer === undefined) return undefined;
    return pick({ toServer: s.toServer, ...(s.toClient ? { toClient: s.toClient } : {}) });
  }
  if (t.type === 'dumbbell') return pick(t.bottleneck);
  return undefined;
}

/** Runs `scenario` once per controller and once per mixed pair (when it has ≥ 2 flows). */
export function compareControllers(scenario: Scenario, controllers: readonly string[], opts: RunOptions, o: { pairs?: boolean; warmup?: number } = {}): CompareRun[] {
  if (controllers.length === 0) throw new RangeError('--compare-cc: name at least one congestion controller');
  const nFlows = Math.max(1, scenario.flows?.length ?? 0);
  const plans: string[][] = controllers.map((c) => Array.from({ length: nFlows }, () => c));
  if (nFlows >= 2 && o.pairs !== false) {
    for (let i = 0; i < controllers.length; i++) {
      for (let j = i + 1; j < controllers.length; j++) {
        plans.push(Array.from({ length: nFlows }, (_, k) => (k % 2 === 0 ? controllers[i]! : controllers[j]!)));
      }
    }
  }
  return plans.map((plan) => runOne(scenario, plan, opts, o.warmup ?? 0));
}

function runOne(base: Scenario, plan: string[], opts: RunOptions, warmup: number): CompareRun {
  const specs = base.flows && base.flows.length > 0 ? base.flows : [{}];
  const ecn = (side: Scenario['client'] | Scenario['server']) => ({ ...(side ?? {}), transport: { ...(side?.transport ?? {}), ecn: true } });
  const scenario: Scenario = {
    ...base,
    flows: specs.map((f, i) => ({ ...f, congestionControl: plan[i]! })),
    client: ecn(base.client),
    server: ecn(base.server),
  };
  const sinks = new Map<string, { client?: MemorySink; server?: MemorySink }>();
  const result = runScenario(scenario, {
    ...opts,
    qlog: (c) => {
      const q = sinks.get(c.flow) ?? {};
      sinks.set(c.flow, q);
      if (q[c.role] !== undefined) return opts.qlog?.(c);
      const m = new MemorySink();
      q[c.role] = m;
      return m;
    },
  });
  const upload = base.workload.type === 'bulk' || base.workload.type === 'streams' ? base.workload.direction === 'upload' : false;
  const flows = result.flows.map((f, i) => {
    const q = sinks.get(f.name) ?? {};
    const sender = (upload ? q.client : q.server)?.events ?? [];
    const receiver = (upload ? q.server : q.client)?.events ?? [];
    return { name: f.name, controller: plan[i]!, sender, receiver };
  });
  const label = [...new Set(plan)].join('+');
  return { label, controllers: plan, result, metrics: metricsOf(base, result, flows, upload, warmup), flows };
}

/** The last value of a cumulative series at or before `t` (0 before its first point). */
function deliveredAt(points: readonly { t: number; value: number }[], t: number): number {
  let v = 0;
  for (const p of points) {
    if (p.t > t) break;
    v = p.value;
  }
  return v;
}

function metricsOf(s: Scenario, r: ScenarioResult, flows: CompareRun['flows'], upload: boolean, warmup: number): CompareMetrics {
  const rtts: number[] = [];
  const queue: number[] = [];
  flows.forEach((f, i) => {
    const fr = r.flows[i]!;
    const rttFrom = fr.start + warmup;
    const samples: number[] = [];
    let min = Infinity;
    for (const { time, event } of f.sender) {
      if (event.name !== 'quic:recovery_metrics_updated') continue;
      const l = event.data.latest_rtt;
      if (l === undefined || l <= 0) continue;
      if (l < min) min = l;
      if (time >= rttFrom) samples.push(l);
    }
    for (const x of samples) {
      rtts.push(x);
      queue.push(x - min);
    }
  });
  const pr = percentiles(rtts);
  const pq = percentiles(queue);
  const p95 = (xs: number[]): number => {
    if (xs.length === 0) return 0;
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]!;
  };
  let lost = 0;
  let sent = 0;
  for (const f of r.flows) {
    const st = upload ? f.client : f.server;
    lost += st?.packetsLost ?? 0;
    sent += st?.packetsSent ?? 0;
  }
  // Convergence: the shared window (every flow running) without its first `warmup` µs; with
  // one flow, or when the flows never overlap past the warm-up, from the first start plus the
  // warm-up to the last completion. Utilisation is everything delivered in that window.
  let from = Math.max(...r.flows.map((f) => f.start)) + warmup;
  let to = Math.min(...r.flows.map((f) => f.completionTime));
  const shared = to > from;
  if (!shared) {
    from = Math.min(...r.flows.map((f) => f.start)) + warmup;
    to = Math.max(...r.flows.map((f) => f.completionTime));
  }
  const x = flows.map((f) => {
    const d = deliveredSeries(f.receiver, f.name).points;
    return deliveredAt(d, to) - deliveredAt(d, from);
  });
  const steady = to > from ? (x.reduce((a, b) => a + b, 0) * 8 * 1e6) / (to - from) : 0;
  let steadyJain = r.shared?.jain ?? 1;
  if (flows.length > 1 && shared) {
    const sum = x.reduce((a, v) => a + v, 0);
    const sq = x.reduce((a, v) => a + v * v, 0);
    if (sq > 0) steadyJain = (sum * sum) / (x.length * sq);
  }
  const goodput = r.flows.map((f) => f.goodput);
  const total = r.shared !== undefined ? r.shared.total : goodput.reduce((a, b) => a + b, 0);
  const rate = bottleneckRate(s);
  return {
    goodput,
    total,
    utilization: rate !== undefined && rate > 0 ? total / rate : undefined,
    steadyUtilization: rate !== undefined && rate > 0 ? steady / rate : undefined,
    rttP50: pr?.p50 ?? 0,
    rttP95: p95(rtts),
    queueP50: pq?.p50 ?? 0,
    queueP95: p95(queue),
    lossRate: sent > 0 ? lost / sent : 0,
    jain: r.shared?.jain ?? 1,
    steadyJain,
  };
}
