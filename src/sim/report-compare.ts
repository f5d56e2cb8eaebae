/**
 * The report of a controller comparison (compare.ts): one summary, a table with a row per run,
 * and charts over time with one line per run and flow — throughput (bits delivered per 100 ms
 * bucket, at the data receiver), the data sender's RTT samples and its queueing delay (RTT above
 * the sender's smallest sample), and its congestion window.
 */
import type { LoggedEvent } from '../qlog/memory.js';
import type { CompareRun } from './compare.js';
import { deliveredSeries, formatBitrate, recoverySeries, type ChartInput, type MetricSeries, type ReportInput, type SeriesPoint, type TableInput } from './report.js';

/** Bits per second over fixed buckets from a cumulative delivered-bytes series. */
function throughputSeries(receiver: readonly LoggedEvent[], label: string, bucket: number): MetricSeries {
  const d = deliveredSeries(receiver, label).points;
  const points: SeriesPoint[] = [];
  if (d.length < 2) return { label, points };
  const start = d[0]!.t;
  let k = 0;
  let prev = 0;
  for (let t = start + bucket; t <= d[d.length - 1]!.t + bucket; t += bucket) {
    while (k + 1 < d.length && d[k + 1]!.t <= t) k++;
    const v = d[k]!.value;
    points.push({ t, value: ((v - prev) * 8 * 1e6) / bucket });
    prev = v;
  }
  return { label, points };
}

function queueSeries(sender: readonly LoggedEvent[], label: string): MetricSeries {
  const samples: SeriesPoint[] = [];
  let min = Infinity;
  for (const { time, event } of sender) {
    if (event.name !== 'quic:recovery_metrics_updated') continue;
    const l = event.data.latest_rtt;
    if (l === undefined || l <= 0) continue;
    samples.push({ t: time, value: l });
    if (l < min) min = l;
  }
  return { label, points: samples.map((p) => ({ t: p.t, value: p.value - min })) };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** The table of runs (also printed by the CLI). */
export function compareTable(runs: readonly CompareRun[]): TableInput {
  return {
    title: 'Runs',
    kind: 'compare',
    note: 'RTT and queueing delay: the data senders’ RTT samples, and those samples minus each sender’s smallest; loss: packets declared lost / sent by the data senders; Jain: fairness of the flows’ goodput over the window all ran',
    columns: ['run', 'controllers', 'goodput per flow', 'total', 'utilisation (whole run / after warm-up)', 'RTT p50 / p95', 'queueing p50 / p95', 'loss', 'Jain (shared / after warm-up)', 'completed'],
    rows: runs.map((r) => [
      r.label,
      r.controllers.join(', '),
      r.metrics.goodput.map(formatBitrate).join(', '),
      formatBitrate(r.metrics.total),
      r.metrics.utilization !== undefined ? `${pct(r.metrics.utilization)} / ${pct(r.metrics.steadyUtilization ?? 0)}` : '-',
      `${ms(r.metrics.rttP50)} / ${ms(r.metrics.rttP95)}`,
      `${ms(r.metrics.queueP50)} / ${ms(r.metrics.queueP95)}`,
      pct(r.metrics.lossRate),
      `${r.metrics.jain.toFixed(3)} / ${r.metrics.steadyJain.toFixed(3)}`,
      r.result.completed ? 'yes' : 'NO',
    ]),
  };
}

export function compareCharts(runs: readonly CompareRun[], bucket = 100_000): ChartInput[] {
  const tput: MetricSeries[] = [];
  const rtt: MetricSeries[] = [];
  const queue: MetricSeries[] = [];
  const cwnd: MetricSeries[] = [];
  for (const r of runs) {
    for (const f of r.flows) {
      const label = r.flows.length > 1 ? `${r.label}: ${f.name} (${f.controller})` : r.label;
      tput.push(throughputSeries(f.receiver, label, bucket));
      const rs = recoverySeries(f.sender, label);
      rtt.push(rs.latestRtt.points.length > 0 ? { ...rs.latestRtt, thin: false } : rs.rtt);
      cwnd.push(rs.cwnd);
      queue.push(queueSeries(f.sender, label));
    }
  }
  return [
    { metric: 'throughput', title: 'Throughput (100 ms buckets, at the data receiver)', series: tput },
    { metric: 'rtt', title: 'RTT samples of the data sender', series: rtt },
    { metric: 'rtt', title: 'Queueing delay (RTT above the sender’s minimum)', series: queue },
    { metric: 'cwnd', title: 'Congestion window of the data sender', series: cwnd },
  ];
}

/** The whole report input. */
export function compareReport(scenarioName: string, seed: number, runs: readonly CompareRun[]): ReportInput {
  let end = 0;
  for (const r of runs) end = Math.max(end, r.result.completionTime);
  return {
    title: `tquic sim ${scenarioName} --compare-cc ${[...new Set(runs.flatMap((r) => r.controllers))].join(',')} (seed ${seed})`,
    summary: [
      { label: 'scenario', value: `${scenarioName} (seed ${seed})` },
      { label: 'runs', value: runs.map((r) => r.label).join(', ') },
    ],
    tables: [compareTable(runs)],
    charts: compareCharts(runs),
    endTime: end,
  };
}
