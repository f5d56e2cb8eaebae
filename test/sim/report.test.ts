import { beforeAll, describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials } from '../../src/crypto/tls/certificates.js';
import { MemorySink, type LoggedEvent } from '../../src/qlog/index.js';
import type { QlogFrame } from '../../src/qlog/frames.js';
import { preset, runScenario, type ScenarioResult } from '../../src/sim/index.js';
import {
  deliveredSeries,
  downsample,
  escapeHtml,
  flowCharts,
  formatBitrate,
  formatBytes,
  formatDuration,
  recoverySeries,
  renderReport,
  type ReportInput,
  type SeriesPoint,
} from '../../src/sim/report.js';
import { IN_USE_NOTE, inUseRecoverySeries, pathCharts, pathSentSeries, pathStates, pathTable } from '../../src/sim/report-paths.js';
import type { PathStats } from '../../src/connection/multipath.js';
import { simOptions } from '../support/sim.js';

function metrics(time: number, data: Record<string, number>): LoggedEvent {
  return { time, event: { name: 'quic:recovery_metrics_updated', data } };
}

function received(time: number, frames: QlogFrame[], pathId?: number): LoggedEvent {
  return {
    time,
    event: {
      name: 'quic:packet_received',
      data: { header: { packet_type: '1RTT', packet_number: time }, frames, ...(pathId !== undefined ? { path_id: pathId } : {}) },
    },
  };
}

function stream(id: number, offset: number, len: number): QlogFrame {
  return { frame_type: 'stream', stream_id: id, offset, fin: false, raw: { length: len, payload_length: len } };
}

/** The SVGs of a report, in order. */
function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

/** How many lines (one per series with data) a chart SVG draws. */
function lineCount(svg: string): number {
  return svg.split('class="mark-line role-mark').length - 1;
}

describe('recoverySeries', () => {
  it('takes cwnd, bytes in flight and RTTs from recovery_metrics_updated, skipping other events', () => {
    const events: LoggedEvent[] = [
      { time: 0, event: { name: 'quic:connection_started', data: { local: {}, remote: {} } } },
      metrics(1_000, { congestion_window: 12_000, bytes_in_flight: 1_200, smoothed_rtt: 333, latest_rtt: 0, min_rtt: 0 }),
      metrics(31_000, { congestion_window: 13_200, bytes_in_flight: 0, smoothed_rtt: 30, latest_rtt: 30, min_rtt: 30 }),
      metrics(40_000, { bytes_in_flight: 2_400 }),
      metrics(61_000, { congestion_window: 14_400, smoothed_rtt: 31.25, latest_rtt: 40 }),
    ];
    const r = recoverySeries(events, 'flow 1');
    expect(r.cwnd).toEqual({
      label: 'flow 1',
      points: [
        { t: 1_000, value: 12_000 },
        { t: 31_000, value: 13_200 },
        { t: 61_000, value: 14_400 },
      ],
    });
    expect(r.bytesInFlight.points).toEqual([
      { t: 1_000, value: 1_200 },
      { t: 31_000, value: 0 },
      { t: 40_000, value: 2_400 },
    ]);
    // No RTT point before the first sample (latest_rtt 0: smoothed_rtt is still the initial guess).
    expect(r.rtt.points).toEqual([
      { t: 31_000, value: 30 },
      { t: 61_000, value: 31.25 },
    ]);
    expect(r.latestRtt).toEqual({
      label: 'flow 1',
      thin: true,
      points: [
        { t: 31_000, value: 30 },
        { t: 61_000, value: 40 },
      ],
    });
  });

  it('filters by path (absent path_id is path 0)', () => {
    const events = [metrics(1, { congestion_window: 1 }), metrics(2, { congestion_window: 2, path_id: 1 }), metrics(3, { congestion_window: 3, path_id: 0 })];
    expect(recoverySeries(events, 'p').cwnd.points.map((p) => p.value)).toEqual([1, 2, 3]);
    expect(recoverySeries(events, 'p', { pathId: 0 }).cwnd.points.map((p) => p.value)).toEqual([1, 3]);
    expect(recoverySeries(events, 'p', { pathId: 1 }).cwnd.points.map((p) => p.value)).toEqual([2]);
  });

  it('is empty without events', () => {
    const r = recoverySeries([], 'x');
    expect([r.cwnd.points, r.bytesInFlight.points, r.rtt.points, r.latestRtt.points]).toEqual([[], [], [], []]);
  });
});

describe('deliveredSeries', () => {
  it('counts each stream byte once, on first arrival, starting from 0 at the first event', () => {
    const events: LoggedEvent[] = [
      { time: 5, event: { name: 'quic:connection_started', data: { local: {}, remote: {} } } },
      received(10, [{ frame_type: 'crypto', offset: 0, raw: { length: 300 } }, { frame_type: 'ack', acked_ranges: [[0]] }]),
      received(20, [stream(0, 0, 1000)]),
      received(30, [stream(0, 2000, 1000)]), // after a gap: counts on arrival
      received(40, [stream(0, 0, 1000)]), // duplicate: nothing new, no point
      received(50, [stream(0, 500, 2000), stream(4, 0, 100)]), // 1000 new on stream 0, 100 on stream 4
      received(60, [{ frame_type: 'stream', stream_id: 8, offset: 0, fin: true, raw: { length: 0, payload_length: 0 } }]),
    ];
    const d = deliveredSeries(events, 'flow 1 client');
    expect(d.label).toBe('flow 1 client');
    expect(d.thin).toBeUndefined();
    expect(d.points).toEqual([
      { t: 5, value: 0 },
      { t: 20, value: 1000 },
      { t: 30, value: 2000 },
      { t: 50, value: 3100 },
    ]);
    expect(deliveredSeries(events, 's', { streamId: 4 }).points).toEqual([
      { t: 5, value: 0 },
      { t: 50, value: 100 },
    ]);
  });

  it('falls back to raw.length and a missing offset of 0', () => {
    const events = [received(1, [{ frame_type: 'stream', stream_id: 0, raw: { length: 10 } }]), received(2, [stream(0, 0, 20)])];
    expect(deliveredSeries(events, 'x').points).toEqual([
      { t: 1, value: 0 },
      { t: 1, value: 10 },
      { t: 2, value: 20 },
    ]);
  });

  it('with pathId, bytes count for the path that brought them first', () => {
    const events = [received(1, [stream(0, 0, 100)], 0), received(2, [stream(0, 0, 200)], 1), received(3, [stream(0, 200, 50)])];
    expect(deliveredSeries(events, 'p0', { pathId: 0 }).points.map((p) => p.value)).toEqual([0, 100, 150]);
    expect(deliveredSeries(events, 'p1', { pathId: 1 }).points.map((p) => p.value)).toEqual([0, 100]);
    expect(deliveredSeries(events, 'all').points.map((p) => p.value)).toEqual([0, 100, 200, 250]);
  });

  it('is empty without events', () => {
    expect(deliveredSeries([], 'x').points).toEqual([]);
  });
});

describe('downsample', () => {
  const wave: SeriesPoint[] = Array.from({ length: 100_000 }, (_, i) => ({ t: i * 10, value: Math.sin(i / 500) * 1000 + (i === 54_321 ? 50_000 : 0) }));

  it('returns a copy when short enough', () => {
    const ps = wave.slice(0, 10);
    const d = downsample(ps, 2000);
    expect(d).toEqual(ps);
    expect(d).not.toBe(ps);
  });

  it('bounds the count and keeps the ends, the extremes and the time order', () => {
    for (const max of [4, 10, 2000, 1001]) {
      const d = downsample(wave, max);
      expect(d.length).toBeLessThanOrEqual(max);
      expect(d.length).toBeGreaterThan(max / 2);
      expect(d[0]).toBe(wave[0]);
      expect(d[d.length - 1]).toBe(wave[wave.length - 1]);
      expect(d.some((p) => p.value > 40_000)).toBe(true); // the single spike survives
      for (let i = 1; i < d.length; i++) expect(d[i]!.t).toBeGreaterThan(d[i - 1]!.t);
    }
  });

  it('handles every point at one time', () => {
    const ps = Array.from({ length: 50 }, (_, i) => ({ t: 7, value: i % 13 }));
    const d = downsample(ps, 8);
    expect(d.length).toBeLessThanOrEqual(4);
    expect(Math.max(...d.map((p) => p.value))).toBe(12);
    expect(Math.min(...d.map((p) => p.value))).toBe(0);
  });
});

describe('formatting', () => {
  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
  it('formats durations, sizes and rates without locale', () => {
    expect(formatDuration(1_734_512)).toBe('1.73 s');
    expect(formatDuration(12_345)).toBe('12.3 ms');
    expect(formatDuration(250)).toBe('250 µs');
    expect(formatBytes(2_097_152)).toBe('2.10 MB');
    expect(formatBytes(15_000)).toBe('15.0 kB');
    expect(formatBytes(800)).toBe('800 B');
    expect(formatBitrate(8_390_000)).toBe('8.39 Mbit/s');
    expect(formatBitrate(120_000)).toBe('120.0 kbit/s');
  });
});

describe('renderReport', () => {
  it('renders hand-made series: charts, legends, escaping, scoped ids, deterministic', async () => {
    const input: ReportInput = {
      title: 'Run <1> & "friends"',
      summary: [
        { label: 'scenario', value: 'x<script>alert(1)</script>' },
        { label: 'seed', value: 42 },
      ],
      charts: [
        {
          metric: 'cwnd',
          series: [
            { label: 'path 0', points: [{ t: 0, value: 12_000 }, { t: 500_000, value: 40_000 }] },
            { label: 'a <b> & "c"', points: [{ t: 100_000, value: 5_000 }, { t: 900_000, value: 9_000 }] },
          ],
        },
        { metric: 'delivered', title: 'Delivered <all>', note: 'note & more', series: [{ label: 'path 0', points: [{ t: 0, value: 0 }, { t: 1_000_000, value: 3_000_000 }] }] },
        { metric: 'rtt', series: [] },
      ],
      endTime: 2_000_000,
    };
    const html = await renderReport(input);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/\shref="http|src="/);
    expect(html).toContain('<title>Run &lt;1&gt; &amp; &quot;friends&quot;</title>');
    expect(html).toContain('<td>x&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(html).toContain('<td>42</td>');
    expect(html).toContain('Delivered &lt;all&gt;');
    expect(html).toContain('note &amp; more');
    const charts = svgs(html);
    expect(charts).toHaveLength(3);
    expect(lineCount(charts[0]!)).toBe(2);
    expect(charts[0]).toContain('>a &lt;b&gt; &amp; "c"</text>'); // text content: quotes need no escape
    expect(html).not.toContain('<b>');
    expect(charts[0]).toContain('congestion window (kB)');
    expect(charts[0]).toContain('time (s)');
    expect(charts[1]).toContain('delivered (MB)');
    expect(charts[2]).toContain('RTT (ms)');
    // The same label keeps its colour across charts.
    const colourOf = (svg: string): string | undefined => svg.match(/class="mark-line role-mark[^>]*>\s*<path[^>]*stroke="(#[0-9a-f]+)"/)?.[1];
    expect(colourOf(charts[1]!)).toBe(colourOf(charts[0]!));
    // Ids, if any, are unique across the page.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await renderReport(input)).toBe(html);
  });

  it('downsamples long series so the report stays small', async () => {
    const long = (label: string, phase: number) => ({
      label,
      points: Array.from({ length: 200_000 }, (_, i) => ({ t: i * 50, value: 50_000 + 40_000 * Math.sin(i / 700 + phase) })),
    });
    const html = await renderReport({ title: 't', summary: [], charts: [{ metric: 'bytes_in_flight', series: [long('a', 0), long('b', 1)] }] });
    const svg = svgs(html)[0]!;
    expect(lineCount(svg)).toBe(2);
    const vertices = (svg.match(/[ML]-?\d/g) ?? []).length;
    expect(vertices).toBeLessThan(2 * 2 * 2000 + 2000); // step-after doubles vertices; plus axes and legend
    expect(html.length).toBeLessThan(500_000);
  });
});

describe('report of a real two-flow run', () => {
  const flows: { label: string; result: ScenarioResult; client: MemorySink; server: MemorySink }[] = [];

  beforeAll(async () => {
    const c = await generateDevCertificate({ keyType: 'ed25519', notBefore: new Date(Date.UTC(2026, 0, 1)), days: 3650 });
    const opts = { provider: getProvider('node'), credentials: loadCredentials(c.certPem, c.keyPem) };
    const runs = [
      { label: 'flow 1', scenario: preset('default', { bytes: 2 << 20, seed: 1 }) },
      { label: 'flow 2', scenario: preset('transferloss', { bytes: 2 << 20, seed: 3 }) },
    ];
    for (const r of runs) {
      const client = new MemorySink();
      const server = new MemorySink();
      const result = runScenario(r.scenario, { ...opts, clientQlog: client, serverQlog: server });
      flows.push({ label: r.label, result, client, server });
    }
  }, 60_000);

  function input(): ReportInput {
    const [a, b] = [flows[0]!, flows[1]!];
    return {
      title: 'tquic sim: default vs transferloss <2 MB>',
      summary: [
        { label: 'scenarios', value: `${a.result.scenario} / ${b.result.scenario}` },
        { label: 'seeds', value: `${a.result.seed} / ${b.result.seed}` },
        ...flows.flatMap((f) => [
          { label: `${f.label} completion time`, value: formatDuration(f.result.completionTime) },
          { label: `${f.label} goodput`, value: formatBitrate(f.result.goodput) },
          { label: `${f.label} retransmissions`, value: f.result.retransmissions },
          { label: `${f.label} server→client delivered / dropped`, value: `${f.result.links.toClient.delivered} / ${f.result.links.toClient.dropped.random}` },
        ]),
      ],
      charts: flowCharts(flows.map((f) => ({ label: f.label, sender: f.server.events, receiver: f.client.events }))),
      endTime: Math.max(a.result.completionTime, b.result.completionTime),
    };
  }

  it('the series reflect the run', () => {
    for (const f of flows) {
      expect(f.result.completed).toBe(true);
      const d = deliveredSeries(f.client.events, f.label);
      expect(d.points[d.points.length - 1]!.value).toBe(2 << 20);
      const r = recoverySeries(f.server.events, f.label);
      expect(r.cwnd.points.length).toBeGreaterThan(100);
      // 15 ms one way: every RTT sample is at least 30 ms.
      expect(Math.min(...r.latestRtt.points.map((p) => p.value))).toBeGreaterThanOrEqual(30);
    }
  });

  it('renders one chart per metric with a line per flow, the summary, escaped, deterministic and small', async () => {
    const inp = input();
    const html = await renderReport(inp);
    const charts = svgs(html);
    expect(charts).toHaveLength(4);
    expect([...html.matchAll(/data-metric="([a-z_]+)"/g)].map((m) => m[1])).toEqual(['cwnd', 'bytes_in_flight', 'rtt', 'delivered']);
    for (const svg of charts) {
      expect(svg).toContain('>flow 1</text>');
      expect(svg).toContain('>flow 2</text>');
      expect(svg).toContain('time (s)');
    }
    expect(lineCount(charts[0]!)).toBe(2);
    expect(lineCount(charts[1]!)).toBe(2);
    expect(lineCount(charts[2]!)).toBe(4); // smoothed and latest RTT per flow
    expect(lineCount(charts[3]!)).toBe(2);
    expect(charts[0]).toContain('congestion window (kB)');
    expect(charts[1]).toContain('bytes in flight (kB)');
    expect(charts[2]).toContain('RTT (ms)');
    expect(charts[3]).toContain('delivered (MB)');
    for (const row of inp.summary) expect(html).toContain(`<td>${escapeHtml(String(row.value))}</td>`);
    expect(html).toContain('<h1>tquic sim: default vs transferloss &lt;2 MB&gt;</h1>');
    expect(html).toContain('<th scope="row">flow 1 server→client delivered / dropped</th>');
    expect(html).not.toContain('<2 MB>');
    expect(html).not.toContain('<script');
    expect(html.length).toBeGreaterThan(20_000);
    expect(html.length).toBeLessThan(2_000_000);
    expect(await renderReport(input())).toBe(html);
  });
});

function sent(time: number, length: number, pathId?: number): LoggedEvent {
  return {
    time,
    event: { name: 'quic:packet_sent', data: { header: { packet_type: '1RTT', packet_number: time }, raw: { length }, ...(pathId !== undefined ? { path_id: pathId } : {}) } },
  };
}

/** tquic's path_assigned extension event (connection/multipath.ts), path_id as a string. */
function assigned(time: number, pathId: number, state: string): LoggedEvent {
  return { time, event: { name: 'quic:path_assigned', data: { path_id: String(pathId), path_local: {}, path_remote: {}, state } } } as unknown as LoggedEvent;
}

describe('per-path series (multipath)', () => {
  it('pathSentSeries: bytes sent per path as a bit rate per bucket, absent path_id counting as path 0, empty buckets as 0', () => {
    const events = [sent(1_000, 1200), sent(5_000, 1000, 0), sent(12_000, 500, 1), sent(15_000, 1250, 0), sent(35_000, 100, 1), metrics(41_000, { congestion_window: 1 })];
    const [p0, p1, ...rest] = pathSentSeries(events, { bucket: 10_000 });
    expect(rest).toEqual([]);
    // 10 ms buckets: bits per second = bytes · 8 · 100.
    expect(p0).toEqual({
      label: 'path 0',
      points: [
        { t: 0, value: 2200 * 800 },
        { t: 10_000, value: 1250 * 800 },
        { t: 20_000, value: 0 },
        { t: 30_000, value: 0 },
        { t: 40_000, value: 0 },
        { t: 50_000, value: 0 },
      ],
    });
    expect(p1!.label).toBe('path 1');
    expect(p1!.points.map((p) => [p.t, p.value])).toEqual([
      [10_000, 500 * 800],
      [20_000, 0],
      [30_000, 100 * 800],
      [40_000, 0],
      [50_000, 0],
    ]);
    expect(pathSentSeries(events, { bucket: 10_000, label: (id) => `flow0 path ${id}` }).map((s) => s.label)).toEqual(['flow0 path 0', 'flow0 path 1']);
    expect(pathSentSeries([])).toEqual([]);
  });

  it('inUseRecoverySeries: recovery metrics go to the path in use, which moves to the first active path when it closes', () => {
    const events = [
      metrics(1_000, { congestion_window: 10, smoothed_rtt: 20, latest_rtt: 20 }),
      assigned(2_000, 1, 'validating'),
      assigned(3_000, 1, 'active'),
      metrics(4_000, { congestion_window: 11 }),
      assigned(5_000, 0, 'closing'),
      metrics(6_000, { congestion_window: 50, smoothed_rtt: 60, latest_rtt: 61 }),
    ];
    const r = inUseRecoverySeries(events);
    expect([...r.keys()]).toEqual([0, 1]);
    expect(r.get(0)!.cwnd).toEqual({ label: 'path 0', points: [{ t: 1_000, value: 10 }, { t: 4_000, value: 11 }] });
    expect(r.get(1)!.cwnd).toEqual({ label: 'path 1', points: [{ t: 6_000, value: 50 }] });
    expect(r.get(1)!.latestRtt.points).toEqual([{ t: 6_000, value: 61 }]);
    expect(pathStates(events)).toEqual([
      { t: 2_000, pathId: 1, state: 'validating' },
      { t: 3_000, pathId: 1, state: 'active' },
      { t: 5_000, pathId: 0, state: 'closing' },
    ]);
  });

  it('pathTable: a row per path and endpoint from the stats, state changes from the qlog, discarded paths kept', () => {
    const stats = (id: number, over: Partial<PathStats> = {}): PathStats => ({
      id,
      state: 'active',
      local: { host: '10.0.0.2', port: 443 },
      remote: { host: `10.0.${id}.1`, port: 50000 },
      backup: false,
      smoothedRtt: 21_500,
      cwnd: 12_000,
      bytesInFlight: 0,
      ptoCount: 0,
      datagramsSent: 10,
      bytesSent: 12_345,
      datagramsReceived: 5,
      bytesReceived: 400,
      packetsLost: 2,
      ...over,
    });
    const t = pathTable([
      { flow: 'flow0', role: 'server', paths: [stats(1, { backup: true })], events: [assigned(80_000, 1, 'validating'), assigned(140_000, 1, 'active'), assigned(2_500_000, 0, 'closing')] },
      { flow: 'flow0', role: 'client', paths: [stats(0), stats(1)] },
    ]);
    expect(t.kind).toBe('paths');
    expect(t.columns).toEqual(['endpoint', 'path', 'addresses (local → remote)', 'state', 'backup', 'bytes sent', 'datagrams sent', 'packets lost', 'smoothed RTT', 'cwnd', 'state changes']);
    expect(t.rows).toEqual([
      ['server', 0, '-', 'closing (discarded)', '-', '-', '-', '-', '-', '-', 'closing 2.50 s'],
      ['server', 1, '10.0.0.2:443 → 10.0.1.1:50000', 'active', 'yes', '12.3 kB', 10, 2, '21.5 ms', '12.0 kB', 'validating 80.0 ms, active 140.0 ms'],
      ['client', 0, '10.0.0.2:443 → 10.0.0.1:50000', 'active', 'no', '12.3 kB', 10, 2, '21.5 ms', '12.0 kB', '-'],
      ['client', 1, '10.0.0.2:443 → 10.0.1.1:50000', 'active', 'no', '12.3 kB', 10, 2, '21.5 ms', '12.0 kB', '-'],
    ]);
    // Several flows: a flow column first.
    expect(pathTable([{ flow: 'a', role: 'server', paths: [stats(0)] }, { flow: 'b', role: 'server', paths: [stats(0)] }]).columns[0]).toBe('flow');
  });
});

describe('report of a multipath run (multipath-failover)', () => {
  let result: ScenarioResult;
  const logs: Partial<Record<'client' | 'server', MemorySink>> = {};

  beforeAll(async () => {
    // 4 MB: path A goes down at 1.5 s, mid-transfer.
    const s = preset('multipath-failover', { bytes: 4_000_000, seed: 1 });
    result = runScenario(s, { ...(await simOptions()), qlog: ({ role }) => (logs[role] = new MemorySink()) });
  }, 60_000);

  it('the per-path series show path A carrying data until it goes down and path B after', () => {
    expect(result.completed).toBe(true);
    const server = logs.server!.events;
    const [a, b] = pathSentSeries(server, { bucket: 250_000 });
    expect([a!.label, b!.label]).toEqual(['path 0', 'path 1']);
    const rate = (s: { points: SeriesPoint[] }, t: number): number => s.points.find((p) => p.t === t)!.value;
    // Both paths busy before 1.5 s (about 10 Mbit/s each); afterwards path A gets at most probes.
    expect(rate(a!, 1_000_000)).toBeGreaterThan(5e6);
    expect(rate(b!, 1_000_000)).toBeGreaterThan(5e6);
    expect(rate(a!, 2_000_000)).toBeLessThan(0.2e6);
    expect(rate(b!, 2_000_000)).toBeGreaterThan(5e6);
    // Every byte the server sent is in some path's series.
    let total = 0;
    for (const { event } of server) if (event.name === 'quic:packet_sent') total += event.data.raw?.length ?? 0;
    const charted = [a!, b!].reduce((n, s) => n + s.points.slice(0, -1).reduce((m, p) => m + (p.value * 0.25) / 8, 0), 0);
    expect(Math.round(charted)).toBe(total);
  });

  it('renders the per-path charts and the per-path table', async () => {
    const f = result.flows[0]!;
    const flow = { label: f.name, sender: logs.server!.events, receiver: logs.client!.events };
    const inp: ReportInput = {
      title: 'multipath-failover',
      summary: [{ label: 'scenario', value: result.scenario }],
      tables: [
        pathTable([
          { flow: f.name, role: 'server', paths: f.server!.paths, events: logs.server!.events },
          { flow: f.name, role: 'client', paths: f.client!.paths, events: logs.client!.events },
        ]),
      ],
      charts: [...flowCharts([flow]), ...pathCharts([{ ...flow, senderRole: 'server' }])],
      endTime: result.completionTime,
    };
    const html = await renderReport(inp);
    expect([...html.matchAll(/data-metric="([a-z_]+)"/g)].map((m) => m[1])).toEqual(['cwnd', 'bytes_in_flight', 'rtt', 'delivered', 'throughput', 'throughput', 'delivered', 'cwnd', 'rtt']);
    expect(html).toContain('Sent per path by the server (data sender)');
    expect(html).toContain('Sent per path by the client (data receiver: ACKs)');
    expect(html).toContain(escapeHtml(IN_USE_NOTE));
    const charts = svgs(html);
    expect(charts).toHaveLength(9);
    for (const svg of charts.slice(4, 7)) {
      expect(svg).toContain('>path 0</text>');
      expect(svg).toContain('>path 1</text>');
      expect(lineCount(svg)).toBe(2);
    }
    expect(charts[4]).toContain('throughput (Mbit/s)');
    // The per-path table: one row per path and endpoint, with the server's bytes per path.
    const table = html.match(/<figure class="table" data-table="paths">[\s\S]*?<\/figure>/)?.[0];
    expect(table).toBeDefined();
    for (const col of ['path', 'state', 'backup', 'bytes sent', 'datagrams sent', 'packets lost', 'smoothed RTT']) expect(table).toContain(`<th scope="col">${escapeHtml(col)}</th>`);
    expect(table!.split('<tr><td>').length - 1).toBe(4);
    const b = f.server!.paths!.find((p) => p.id === 1)!;
    expect(b.bytesSent).toBeGreaterThan(1_000_000);
    expect(table).toContain(`<tr><td>server</td><td>1</td><td>10.0.0.2:443 → 10.0.1.1:50000</td><td>active</td><td>no</td><td>${formatBytes(b.bytesSent)}</td><td>${b.datagramsSent}</td>`);
    expect(table).toMatch(/<td>validating [\d.]+ ms, active [\d.]+ ms<\/td>/);
    expect(await renderReport(inp)).toBe(html);
  });
});
