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
