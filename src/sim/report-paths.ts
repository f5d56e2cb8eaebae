/**
 * The multipath part of the simulator's HTML report (draft-ietf-quic-multipath-21): series per
 * path from a connection's qlog, the per-path charts of a flow and the per-path table.
 *
 * What the qlog holds: once multipath is negotiated, `quic:packet_sent` / `quic:packet_received`
 * of 1-RTT packets carry `path_id` (absent: path 0, the handshake path), and tquic's
 * `quic:path_assigned` events (data: path_id as a string, path_local, path_remote, state:
 * validating, active, closing) mark each path's lifecycle. `quic:recovery_metrics_updated` is
 * logged only for the connection's path in use — path 0 until it is abandoned, then the first
 * active path (connection/multipath.ts, `abandon`) — so per-path cwnd and RTT are not in the
 * qlog: `inUseRecoverySeries` attributes each event to the path in use at that moment.
 *
 * Plain data in, plain data out (series, chart inputs, a table input); report.ts renders them.
 */
import type { Duration, Instant } from '../util/time.js';
import { addressKey } from '../util/datagram.js';
import type { LoggedEvent } from '../qlog/index.js';
import type { PathStats } from '../connection/multipath.js';
import {
  deliveredSeries,
  formatBytes,
  formatDuration,
  recoverySeries,
  type ChartInput,
  type FlowEvents,
  type MetricSeries,
  type RecoverySeries,
  type SeriesPoint,
  type TableInput,
} from './report.js';

const MS = 1_000;

/** Bucket widths to choose from (µs), smallest first. */
const BUCKETS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000].map((ms) => ms * MS);

/** The smallest bucket width of BUCKETS that cuts `span` µs into at most `max` buckets. */
export function bucketFor(span: Duration, max = 200): Duration {
  for (const b of BUCKETS) if (span / b <= max) return b;
  return BUCKETS[BUCKETS.length - 1]!;
}

/** The path a packet event belongs to: its `path_id`, absent counting as path 0. */
function pathOf(data: { path_id?: number }): number {
  return data.path_id ?? 0;
}

export interface PathSentOptions {
  /** Bucket width, µs (default `bucketFor` the span from 0 to the last event). */
  bucket?: Duration;
  /** Series label of a path (default `path N`). */
  label?: (pathId: number) => string;
}

/**
 * Bytes sent per path over time, as a bit rate per time bucket: the `raw.length` of every
 * `quic:packet_sent` event of one endpoint, summed per path (`path_id`, absent counting as path
 * 0, so handshake packets count for path 0) and per bucket (buckets are aligned to time 0).
 * Each path's series starts at the bucket of its first packet and runs to the bucket of the
 * endpoint's last event, empty buckets included (a dead path drops to 0), with a closing point
 * at the end of the last bucket. Sorted by path ID. Retransmissions and probes count: this is
 * what the path carried, not goodput.
 */
export function pathSentSeries(events: readonly LoggedEvent[], opts: PathSentOptions = {}): MetricSeries[] {
  const last = events[events.length - 1];
  if (last === undefined) return [];
  const bucket = opts.bucket ?? bucketFor(last.time);
  const lastBucket = Math.floor(last.time / bucket);
  const perPath = new Map<number, { first: number; bytes: Map<number, number> }>();
  for (const { time, event } of events) {
    if (event.name !== 'quic:packet_sent') continue;
    const id = pathOf(event.data);
    const b = Math.floor(time / bucket);
    let p = perPath.get(id);
    if (!p) perPath.set(id, (p = { first: b, bytes: new Map() }));
    p.bytes.set(b, (p.bytes.get(b) ?? 0) + (event.data.raw?.length ?? 0));
  }
  const label = opts.label ?? ((id: number) => `path ${id}`);
  const perSecond = 1e6 / bucket;
  return [...perPath.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, p]) => {
      const points: SeriesPoint[] = [];
      let value = 0;
      for (let b = p.first; b <= lastBucket; b++) {
        value = (p.bytes.get(b) ?? 0) * 8 * perSecond;
        points.push({ t: b * bucket, value });
      }
      points.push({ t: (lastBucket + 1) * bucket, value });
      return { label: label(id), points };
    });
}

/** One `quic:path_assigned` event. */
export interface PathStateChange {
  t: Instant;
  pathId: number;
  state: string;
}

/** The `quic:path_assigned` events of one endpoint, in order (path IDs as numbers). */
export function pathStates(events: readonly LoggedEvent[]): PathStateChange[] {
  const out: PathStateChange[] = [];
  for (const { time, event } of events) {
    // A tquic extension event, outside the typed qlog schema (connection/multipath.ts logPath).
    const e = event as unknown as { name: string; data: { path_id?: unknown; state?: unknown } };
    if (e.name !== 'quic:path_assigned') continue;
    const id = Number(e.data.path_id);
    if (!Number.isInteger(id)) continue;
    out.push({ t: time, pathId: id, state: String(e.data.state ?? '') });
  }
  return out;
}

/**
 * The `quic:recovery_metrics_updated` series of one endpoint split by the path in use when each
 * was logged: path 0 at first; when the path in use is abandoned (path_assigned `closing`), the
 * first path (in order of appearance) that is active. Keyed by path ID.
 */
export function inUseRecoverySeries(events: readonly LoggedEvent[], label: (pathId: number) => string = (id) => `path ${id}`): Map<number, RecoverySeries> {
  const states = new Map<number, string>([[0, 'active']]);
  let inUse = 0;
  const perPath = new Map<number, LoggedEvent[]>();
  for (const le of events) {
    const e = le.event as unknown as { name: string; data: { path_id?: unknown; state?: unknown } };
    if (e.name === 'quic:path_assigned') {
      const id = Number(e.data.path_id);
      if (!Number.isInteger(id)) continue;
      const state = String(e.data.state ?? '');
      states.set(id, state);
      if (state === 'closing' && id === inUse) {
        for (const [other, s] of states) {
          if (s === 'active') {
            inUse = other;
            break;
          }
        }
      }
      continue;
    }
    if (le.event.name !== 'quic:recovery_metrics_updated') continue;
    let list = perPath.get(inUse);
    if (!list) perPath.set(inUse, (list = []));
    list.push(le);
  }
  const out = new Map<number, RecoverySeries>();
  for (const id of [...perPath.keys()].sort((a, b) => a - b)) out.set(id, recoverySeries(perPath.get(id)!, label(id)));
  return out;
}

/** Path IDs seen in an endpoint's packet events and path_assigned events, sorted. */
export function pathIds(events: readonly LoggedEvent[]): number[] {
  const ids = new Set<number>();
  for (const { event } of events) {
    if (event.name === 'quic:packet_sent' || event.name === 'quic:packet_received') ids.add(pathOf(event.data));
  }
  for (const s of pathStates(events)) ids.add(s.pathId);
  return [...ids].sort((a, b) => a - b);
}

/** One multipath flow for the per-path charts. */
export interface PathFlowEvents extends FlowEvents {
  /** Who sends the data: the server of a download (default), the client of an upload. */
  senderRole?: 'client' | 'server';
}

export const IN_USE_NOTE =
  "tquic logs cwnd and RTT only for the connection's path in use: path 0 until it is abandoned, then the first active path; other paths' are not in the qlog";

/**
 * The per-path charts of some multipath flows: throughput sent per path by the data sender and
 * by the receiver (its ACKs), delivered bytes per path (first arrival, at the receiver), and the
 * data sender's cwnd and RTT per path in use. Labels are `path N`, or `flow path N` with several
 * flows; the same label keeps its colour across charts.
 */
export function pathCharts(flows: readonly PathFlowEvents[], opts: { bucket?: Duration } = {}): ChartInput[] {
  const many = flows.length > 1;
  const sent: MetricSeries[] = [];
  const acks: MetricSeries[] = [];
  const delivered: MetricSeries[] = [];
  const cwnd: MetricSeries[] = [];
  const rtt: MetricSeries[] = [];
  // One bucket width for every series, from the longest log.
  let end = 0;
  for (const f of flows) end = Math.max(end, f.sender.at(-1)?.time ?? 0, f.receiver.at(-1)?.time ?? 0);
  const bucket = opts.bucket ?? bucketFor(end);
  let senderRole: string | undefined;
  let receiverRole: string | undefined;
  for (const f of flows) {
    const label = (id: number): string => (many ? `${f.label} path ${id}` : `path ${id}`);
    const role = f.senderRole ?? 'server';
    senderRole = senderRole === undefined || senderRole === role ? role : 'data sender';
    const other = role === 'server' ? 'client' : 'server';
    receiverRole = receiverRole === undefined || receiverRole === other ? other : 'data receiver';
    sent.push(...pathSentSeries(f.sender, { bucket, label }));
    acks.push(...pathSentSeries(f.receiver, { bucket, label }));
    for (const id of pathIds(f.receiver)) {
      const d = deliveredSeries(f.receiver, label(id), { pathId: id });
      if (d.points.length > 1) delivered.push(d);
    }
    for (const r of inUseRecoverySeries(f.sender, label).values()) {
      cwnd.push(r.cwnd);
      rtt.push(r.rtt, r.latestRtt);
    }
  }
  const per = `${formatDuration(bucket)} buckets; every packet sent (retransmissions and probes included)`;
  return [
    { metric: 'throughput', title: `Sent per path by the ${senderRole ?? 'server'} (data sender)`, note: per, series: sent },
    { metric: 'throughput', title: `Sent per path by the ${receiverRole ?? 'client'} (data receiver: ACKs)`, note: per, series: acks },
    { metric: 'delivered', title: 'Delivered bytes per path (cumulative)', note: 'stream bytes at the data receiver, each counted for the path that brought it first', series: delivered },
    { metric: 'cwnd', title: 'Congestion window of the path in use (data sender)', note: IN_USE_NOTE, series: cwnd },
    { metric: 'rtt', title: 'Round-trip time of the path in use (data sender)', note: `thick: smoothed RTT; thin: latest RTT samples. ${IN_USE_NOTE}`, series: rtt },
  ];
}

/** One endpoint of a multipath flow for the per-path table. */
export interface PathTableEndpoint {
  /** e.g. "flow0", shown in a first column when several flows are given. */
  flow: string;
  role: 'client' | 'server';
  /** ConnectionStats.paths at the end of the run (paths already discarded are missing). */
  paths: readonly PathStats[] | undefined;
  /** The endpoint's qlog, for path state changes (and paths no longer in `paths`). */
  events?: readonly LoggedEvent[];
}

/**
 * The per-path table: one row per path of each endpoint, from ConnectionStats.paths (state,
 * backup, bytes and datagrams sent, packets lost, smoothed RTT, cwnd) and the endpoint's
 * path_assigned events (state changes with their times). A path the qlog names but the stats no
 * longer hold (discarded after being abandoned, §3.4) gets a row with its last logged state.
 */
export function pathTable(endpoints: readonly PathTableEndpoint[]): TableInput {
  const many = new Set(endpoints.map((e) => e.flow)).size > 1;
  const columns = [
    ...(many ? ['flow'] : []),
    'endpoint',
    'path',
    'addresses (local → remote)',
    'state',
    'backup',
    'bytes sent',
    'datagrams sent',
    'packets lost',
    'smoothed RTT',
    'cwnd',
    'state changes',
  ];
  const rows: (string | number)[][] = [];
  for (const e of endpoints) {
    const changes = e.events ? pathStates(e.events) : [];
    const byId = new Map<number, PathStats>();
    for (const p of e.paths ?? []) byId.set(p.id, p);
    const ids = [...new Set([...byId.keys(), ...changes.map((c) => c.pathId)])].sort((a, b) => a - b);
    for (const id of ids) {
      const p = byId.get(id);
      const history = changes
        .filter((c) => c.pathId === id)
        .map((c) => `${c.state} ${formatDuration(c.t)}`)
        .join(', ');
      const lastState = changes.filter((c) => c.pathId === id).at(-1)?.state;
      rows.push([
        ...(many ? [e.flow] : []),
        e.role,
        id,
        p ? `${addressKey(p.local)} → ${addressKey(p.remote)}` : '-',
        p ? p.state : `${lastState ?? '-'} (discarded)`,
        p ? (p.backup ? 'yes' : 'no') : '-',
        p ? formatBytes(p.bytesSent) : '-',
        p ? p.datagramsSent : '-',
        p ? p.packetsLost : '-',
        p ? formatDuration(p.smoothedRtt) : '-',
        p ? formatBytes(p.cwnd) : '-',
        history || '-',
      ]);
    }
  }
  return {
    title: 'Paths',
    note: 'from each endpoint\'s statistics at the end of the run (draft-ietf-quic-multipath-21) and its quic:path_assigned events',
    kind: 'paths',
    columns,
    rows,
  };
}
