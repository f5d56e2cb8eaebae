/**
 * The simulator's HTML report: one self-contained file (inline CSS and inline SVG charts, no
 * scripts, nothing fetched) summarising a run — a title, a table of label → value rows, optional
 * tables with columns (e.g. one row per path) and one chart per metric over simulated time, one
 * line per series (a flow, a connection endpoint or a path, as the caller labels it).
 *
 * Everything here is plain data in, a string out:
 * - `recoverySeries` / `deliveredSeries` turn one endpoint's logged qlog events (a MemorySink's
 *   `events`: `{ time, event }` with `time` the connection's Instant in µs) into series;
 * - `flowCharts` builds the four standard charts for a list of flows (report-paths.ts adds the
 *   per-path charts and table of multipath connections);
 * - `renderReport` lays out the HTML. Charts are Vega-Lite specs compiled to Vega and rendered
 *   to SVG headlessly (`renderer: 'none'`, no canvas, no DOM); vega is loaded on first use, so
 *   importing this module for the series helpers costs nothing.
 *
 * Output is a pure function of the input: the same `ReportInput` gives the same HTML string.
 * Long series are downsampled (`downsample`) before charting so a long run stays small.
 */
import type { Instant } from '../util/time.js';
import { RangeSet } from '../util/rangeset.js';
import type { LoggedEvent } from '../qlog/index.js';

// ---------------------------------------------------------------------------------------------
// Input types

/** One sample of a metric. */
export interface SeriesPoint {
  /** Simulated time, µs (an Instant, like the qlog event times of MemorySink). */
  t: Instant;
  /** In the chart's base unit: bytes for cwnd, bytes_in_flight and delivered; ms for rtt; bits/s for throughput; a count for packets. */
  value: number;
}

/** One line of a chart. Points must be in time order (they are sorted if not). */
export interface MetricSeries {
  /** Legend label, e.g. "flow 1 server" or "path 0". Series sharing a label share a colour. */
  label: string;
  points: SeriesPoint[];
  /**
   * Drawn as a thin, fainter line in the colour of its label, and left out of the legend: a
   * secondary signal under a label's main line (latest RTT samples under the smoothed RTT).
   */
  thin?: boolean;
}

/** The metrics a chart can show; each fixes the default title, the y unit and its scaling. */
export type MetricKind = 'cwnd' | 'bytes_in_flight' | 'rtt' | 'delivered' | 'throughput' | 'packets';

export interface ChartInput {
  metric: MetricKind;
  /** Heading above the chart (default per metric, e.g. "Congestion window"). */
  title?: string;
  /** A line of explanation under the heading (default for rtt with thin series: what they are). */
  note?: string;
  series: MetricSeries[];
}

export interface SummaryRow {
  label: string;
  /** Numbers are shown as `String(value)`; format units yourself (see formatBytes and friends). */
  value: string | number;
}

/** A table with a header row, shown after the summary (e.g. one row per path). */
export interface TableInput {
  /** Heading above the table. */
  title: string;
  /** A line of explanation under the heading. */
  note?: string;
  /** Marks the table in the HTML (`data-table` attribute), e.g. "paths". */
  kind?: string;
  columns: string[];
  /** One cell per column; numbers are shown as `String(value)`. */
  rows: (string | number)[][];
}

export interface ReportInput {
  /** Page title and heading. */
  title: string;
  /** Rows of the summary table, in order (e.g. scenario, seed, completion time, goodput). */
  summary: SummaryRow[];
  /** Tables after the summary, in order. */
  tables?: TableInput[];
  /** Charts, in order. */
  charts: ChartInput[];
  /**
   * Where the time axes end (µs, e.g. the completion time). Every chart's time axis runs from 0
   * to the larger of this and the last point of any chart, so charts line up.
   */
  endTime?: Instant;
  /** Downsampling bound per series (default 2000, at least 4). */
  maxPointsPerSeries?: number;
}

// ---------------------------------------------------------------------------------------------
// qlog events → series

/** The series of `quic:recovery_metrics_updated` events of one endpoint. */
export interface RecoverySeries {
  /** congestion_window, bytes. */
  cwnd: MetricSeries;
  /** bytes_in_flight, bytes. */
  bytesInFlight: MetricSeries;
  /** smoothed_rtt, ms. */
  rtt: MetricSeries;
  /** latest_rtt, ms (`thin`). */
  latestRtt: MetricSeries;
}

export interface SeriesOptions {
  /**
   * Only events of this path (`data.path_id`, absent counting as path 0). Default: every event
   * (a single-path connection).
   */
  pathId?: number;
}

function onPath(pathId: number | undefined, eventPath: number | undefined): boolean {
  return pathId === undefined || (eventPath ?? 0) === pathId;
}

/**
 * Series from one endpoint's `quic:recovery_metrics_updated` events (tquic logs one whenever
 * cwnd, smoothed RTT or bytes in flight change, so each value holds until the next point).
 * A point is added only for the fields an event carries. RTT points start with the first RTT
 * sample: events with `latest_rtt: 0` (no sample yet, smoothed_rtt still the initial 333 ms
 * guess of RFC 9002 §6.2.2) give no RTT point.
 */
export function recoverySeries(events: readonly LoggedEvent[], label: string, opts: SeriesOptions = {}): RecoverySeries {
  const cwnd: SeriesPoint[] = [];
  const inFlight: SeriesPoint[] = [];
  const rtt: SeriesPoint[] = [];
  const latest: SeriesPoint[] = [];
  for (const { time, event } of events) {
    if (event.name !== 'quic:recovery_metrics_updated') continue;
    const d = event.data;
    if (!onPath(opts.pathId, d.path_id)) continue;
    if (d.congestion_window !== undefined) cwnd.push({ t: time, value: d.congestion_window });
    if (d.bytes_in_flight !== undefined) inFlight.push({ t: time, value: d.bytes_in_flight });
    const sampled = d.latest_rtt === undefined || d.latest_rtt > 0;
    if (sampled && d.smoothed_rtt !== undefined) rtt.push({ t: time, value: d.smoothed_rtt });
    if (sampled && d.latest_rtt !== undefined) latest.push({ t: time, value: d.latest_rtt });
  }
  return {
    cwnd: { label, points: cwnd },
    bytesInFlight: { label, points: inFlight },
    rtt: { label, points: rtt },
    latestRtt: { label, points: latest, thin: true },
  };
}

export interface DeliveredOptions extends SeriesOptions {
  /** Only this stream's bytes (default: every stream). */
  streamId?: number;
}

/**
 * Cumulative stream bytes received by one endpoint, from the STREAM frames of its
 * `quic:packet_received` events (offset and `raw.payload_length`, or `raw.length`). Each byte
 * counts once, when it first arrives: retransmitted or duplicated ranges add nothing (ranges
 * are tracked per stream across all paths; with `pathId`, bytes count for the path that
 * brought them first). Arrival is not in-order delivery to the application: a byte after a gap
 * counts when it arrives. CRYPTO and DATAGRAM payloads are not counted.
 *
 * The receiver's log is used because it names the bytes directly; the sender's would need its
 * packet_sent frames joined with `quic:packets_acked` (an "extra"-importance event).
 *
 * The series starts at 0 at the time of the first event in `events`, and gains a point for
 * every packet that brought new bytes.
 */
export function deliveredSeries(events: readonly LoggedEvent[], label: string, opts: DeliveredOptions = {}): MetricSeries {
  const points: SeriesPoint[] = [];
  const first = events[0];
  if (first) points.push({ t: first.time, value: 0 });
  const streams = new Map<number, RangeSet>();
  let total = 0;
  for (const { time, event } of events) {
    if (event.name !== 'quic:packet_received' || !event.data.frames) continue;
    const counted = onPath(opts.pathId, event.data.path_id);
    let added = 0;
    for (const f of event.data.frames) {
      if (f.frame_type !== 'stream') continue;
      if (opts.streamId !== undefined && f.stream_id !== opts.streamId) continue;
      const len = f.raw?.payload_length ?? f.raw?.length ?? 0;
      if (len <= 0) continue;
      const offset = f.offset ?? 0;
      let r = streams.get(f.stream_id);
      if (!r) streams.set(f.stream_id, (r = new RangeSet()));
      added += r.addRange(offset, offset + len);
    }
    if (counted && added > 0) {
      total += added;
      points.push({ t: time, value: total });
    }
  }
  return { label, points };
}

/** The endpoints of one flow: the data sender's and the data receiver's logged events. */
export interface FlowEvents {
  /** Series label, e.g. "flow 1". */
  label: string;
  /** The data sender's events (the server of a download): cwnd, bytes in flight, RTT. */
  sender: readonly LoggedEvent[];
  /** The data receiver's events: delivered bytes. */
  receiver: readonly LoggedEvent[];
}

/** The four standard charts (cwnd, bytes in flight, RTT with latest samples, delivered) for some flows. */
export function flowCharts(flows: readonly FlowEvents[]): ChartInput[] {
  const cwnd: MetricSeries[] = [];
  const inFlight: MetricSeries[] = [];
  const rtt: MetricSeries[] = [];
  const delivered: MetricSeries[] = [];
  for (const f of flows) {
    const r = recoverySeries(f.sender, f.label);
    cwnd.push(r.cwnd);
    inFlight.push(r.bytesInFlight);
    rtt.push(r.rtt, r.latestRtt);
    delivered.push(deliveredSeries(f.receiver, f.label));
  }
  return [
    { metric: 'cwnd', series: cwnd },
    { metric: 'bytes_in_flight', series: inFlight },
    { metric: 'rtt', series: rtt },
    { metric: 'delivered', series: delivered },
  ];
}

// ---------------------------------------------------------------------------------------------
// Downsampling

/**
 * At most `max` points (at least 4) keeping the shape of the line: the time span is cut into
 * ⌊max/4⌋ equal buckets and each keeps its first, last, lowest and highest point, in time
 * order (the M4 reduction). Points must be in time order. Returns a copy when short enough.
 */
export function downsample(points: readonly SeriesPoint[], max: number): SeriesPoint[] {
  const limit = Math.max(4, Math.floor(max));
  if (points.length <= limit) return points.slice();
  const buckets = Math.floor(limit / 4);
  const t0 = points[0]!.t;
  const span = points[points.length - 1]!.t - t0;
  const out: SeriesPoint[] = [];
  let bucket = -1;
  let firstI = 0;
  let lastI = 0;
  let minI = 0;
  let maxI = 0;
  const flush = (): void => {
    const keep = [firstI, minI, maxI, lastI].sort((a, b) => a - b);
    for (let k = 0; k < keep.length; k++) if (k === 0 || keep[k] !== keep[k - 1]) out.push(points[keep[k]!]!);
  };
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const b = span > 0 ? Math.min(buckets - 1, Math.floor(((p.t - t0) / span) * buckets)) : 0;
    if (b !== bucket) {
      if (bucket >= 0) flush();
      bucket = b;
      firstI = lastI = minI = maxI = i;
      continue;
    }
    lastI = i;
    if (p.value < points[minI]!.value) minI = i;
    if (p.value > points[maxI]!.value) maxI = i;
  }
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers for summary rows (deterministic, locale-independent)

/** "1.50 s", "12.3 ms", "250 µs" from µs. */
export function formatDuration(us: number): string {
  if (Math.abs(us) >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (Math.abs(us) >= 1_000) return `${(us / 1_000).toFixed(1)} ms`;
  return `${Math.round(us)} µs`;
}

/** "2.10 MB", "15.0 kB", "800 B" (SI units). */
export function formatBytes(n: number): string {
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

/** "8.39 Mbit/s", "120 kbit/s" from bits per second. */
export function formatBitrate(bps: number): string {
  if (Math.abs(bps) >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (Math.abs(bps) >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (Math.abs(bps) >= 1e3) return `${(bps / 1e3).toFixed(1)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

/** Text for HTML content and attribute values: & < > " ' escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

// ---------------------------------------------------------------------------------------------
// Rendering

const DEFAULT_MAX_POINTS = 2000;

/** Vega's tableau10 scheme: colour i goes to the i-th distinct label of the whole report. */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

const METRICS: Record<MetricKind, { title: string; axis: string; unit: 'bytes' | 'ms' | 'bps' | 'count' }> = {
  cwnd: { title: 'Congestion window', axis: 'congestion window', unit: 'bytes' },
  bytes_in_flight: { title: 'Bytes in flight', axis: 'bytes in flight', unit: 'bytes' },
  rtt: { title: 'Round-trip time', axis: 'RTT (ms)', unit: 'ms' },
  delivered: { title: 'Delivered bytes (cumulative)', axis: 'delivered', unit: 'bytes' },
  throughput: { title: 'Throughput', axis: 'throughput', unit: 'bps' },
  packets: { title: 'Packets (cumulative)', axis: 'packets', unit: 'count' },
};

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2129}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:1.5rem;margin:0 0 16px}
table.summary{border-collapse:collapse;background:#fff;margin-bottom:24px;font-size:.9rem}
table.summary th,table.summary td{border:1px solid #d8dce2;padding:4px 10px;text-align:left;vertical-align:top}
table.summary th{background:#eef0f3;font-weight:600}
figure.chart{background:#fff;border:1px solid #d8dce2;margin:0 0 20px;padding:12px}
figure.chart figcaption{font-weight:600;margin-bottom:6px}
figure.chart .note{display:block;font-weight:400;font-size:.85rem;color:#555}
figure.chart svg{display:block;max-width:100%;height:auto}
figure.table{background:#fff;border:1px solid #d8dce2;margin:0 0 20px;padding:12px}
figure.table figcaption{font-weight:600;margin-bottom:6px}
figure.table .note{display:block;font-weight:400;font-size:.85rem;color:#555}
table.data{border-collapse:collapse;font-size:.85rem}
table.data th,table.data td{border:1px solid #d8dce2;padding:3px 8px;text-align:left;vertical-align:top}
table.data th{background:#eef0f3;font-weight:600}`;

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let libs: Promise<[Vega, VegaLite]> | undefined;

function loadLibs(): Promise<[Vega, VegaLite]> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]);
  return libs;
}

interface Row {
  /** seconds */
  t: number;
  v: number;
  s: string;
  w: 'main' | 'thin';
}

function sortedFinite(points: readonly SeriesPoint[]): SeriesPoint[] {
  const ps = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value));
  for (let i = 1; i < ps.length; i++) {
    if (ps[i]!.t < ps[i - 1]!.t) return ps.sort((a, b) => a.t - b.t);
  }
  return ps;
}

/** Renders the report: a complete HTML document. The same input always gives the same string. */
export async function renderReport(input: ReportInput): Promise<string> {
  const maxPoints = input.maxPointsPerSeries ?? DEFAULT_MAX_POINTS;
  const charts = input.charts.map((c) => ({
    chart: c,
    series: c.series.map((s) => ({ label: s.label, thin: s.thin === true, points: downsample(sortedFinite(s.points), maxPoints) })),
  }));

  // One colour per label across the whole report; one time axis for every chart.
  const colour = new Map<string, string>();
  let endUs = input.endTime ?? 0;
  for (const c of charts) {
    for (const s of c.series) {
      if (!colour.has(s.label)) colour.set(s.label, PALETTE[colour.size % PALETTE.length]!);
      const last = s.points[s.points.length - 1];
      if (last && last.t > endUs) endUs = last.t;
    }
  }
  const endSeconds = endUs > 0 ? endUs / 1e6 : 1;

  const [vega, vl] = await loadLibs();
  const figures: string[] = [];
  for (let i = 0; i < charts.length; i++) {
    const { chart, series } = charts[i]!;
    const svg = await renderChart(vega, vl, chart.metric, series, colour, endSeconds);
    const meta = METRICS[chart.metric];
    const note = chart.note ?? (chart.metric === 'rtt' && series.some((s) => s.thin) ? 'thick: smoothed RTT; thin: latest RTT samples' : undefined);
    figures.push(
      `<figure class="chart" data-metric="${chart.metric}"><figcaption>${escapeHtml(chart.title ?? meta.title)}` +
        `${note ? `<span class="note">${escapeHtml(note)}</span>` : ''}</figcaption>\n${scopeIds(svg, `c${i}-`)}</figure>`,
    );
  }

  const rows = input.summary
    .map((r) => `<tr><th scope="row">${escapeHtml(r.label)}</th><td>${escapeHtml(String(r.value))}</td></tr>`)
    .join('\n');
  const tables = (input.tables ?? []).map(renderTable);
  const title = escapeHtml(input.title);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${title}</h1>`,
    `<table class="summary"><tbody>\n${rows}\n</tbody></table>`,
    ...tables,
    ...figures,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

async function renderChart(
  vega: Vega,
  vl: VegaLite,
  metric: MetricKind,
  series: readonly { label: string; thin: boolean; points: SeriesPoint[] }[],
  colour: ReadonlyMap<string, string>,
  endSeconds: number,
): Promise<string> {
  const meta = METRICS[metric];
  let max = 0;
  for (const s of series) for (const p of s.points) if (p.value > max) max = p.value;
  // Bytes are shown in kB, or MB once the largest value reaches 1 MB; bit rates in kbit/s or Mbit/s alike.
  const [scale, yTitle] =
    meta.unit === 'bytes'
      ? max >= 1e6
        ? [1e-6, `${meta.axis} (MB)`]
        : [1e-3, `${meta.axis} (kB)`]
      : meta.unit === 'bps'
        ? max >= 1e6
          ? [1e-6, `${meta.axis} (Mbit/s)`]
          : [1e-3, `${meta.axis} (kbit/s)`]
        : [1, meta.axis];

  const rows: Row[] = [];
  const labels: string[] = [];
  for (const s of series) {
    if (!labels.includes(s.label)) labels.push(s.label);
    const w = s.thin ? 'thin' : 'main';
    for (const p of s.points) rows.push({ t: p.t / 1e6, v: p.value * scale, s: s.label, w });
  }

  const spec = {
    width: 720,
    height: 220,
    background: 'white',
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)', scale: { domain: [0, endSeconds], nice: false } },
      y: { field: 'v', type: 'quantitative', title: yTitle },
      color: {
        field: 's',
        type: 'nominal',
        title: null,
        scale: { domain: labels, range: labels.map((l) => colour.get(l)!) },
        legend: { orient: 'right', labelLimit: 220 },
      },
      strokeWidth: { field: 'w', type: 'ordinal', sort: ['main', 'thin'], scale: { domain: ['main', 'thin'], range: [1.75, 0.75] }, legend: null },
      opacity: { field: 'w', type: 'ordinal', sort: ['main', 'thin'], scale: { domain: ['main', 'thin'], range: [1, 0.6] }, legend: null },
    },
    config: { aria: false, font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11 } },
  } as const;

  const quiet = vega.logger(vega.None);
  const compiled = vl.compile(spec as unknown as Parameters<VegaLite['compile']>[0], { logger: quiet });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function renderTable(t: TableInput): string {
  const cell = (v: string | number): string => escapeHtml(String(v));
  const head = `<tr>${t.columns.map((c) => `<th scope="col">${cell(c)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('\n');
  return (
    `<figure class="table"${t.kind ? ` data-table="${escapeHtml(t.kind)}"` : ''}><figcaption>${escapeHtml(t.title)}` +
    `${t.note ? `<span class="note">${escapeHtml(t.note)}</span>` : ''}</figcaption>\n` +
    `<table class="data"><thead>${head}</thead><tbody>\n${body}\n</tbody></table></figure>`
  );
}

/**
 * Gives every id of one SVG (clip paths, gradients) a prefix, and the references to it, so
 * several SVGs inlined in one page do not share ids.
 */
function scopeIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]!);
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (all, head: string, id: string) => (ids.has(id) ? `${head}${prefix}${id}` : all));
}
