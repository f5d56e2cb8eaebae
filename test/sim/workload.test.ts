import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPayload,
  expectedBytes,
  messageByte,
  messagePayload,
  payloadByte,
  percentiles,
  runScenario,
  validateWorkload,
  type LinkConfig,
  type Percentiles,
  type RunOptions,
  type Scenario,
  type Workload,
} from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const options = simOptions;

/** No loss, 10 ms one-way, 20 Mbit/s. */
const CLEAN: LinkConfig = { delay: 10_000, rate: 20_000_000 };
const DATAGRAMS = { maxDatagramFrameSize: 1200 };

function scenario(workload: Workload, extra: Partial<Scenario> = {}): Scenario {
  return { name: workload.type, toServer: CLEAN, toClient: CLEAN, workload, maxTime: 60_000_000, ...extra };
}

function sane(p: Percentiles | undefined, n: number, min: number, max: number): void {
  expect(p).toBeDefined();
  expect(p!.count).toBe(n);
  expect(p!.p50).toBeGreaterThanOrEqual(min);
  expect(p!.p50).toBeLessThanOrEqual(p!.p90);
  expect(p!.p90).toBeLessThanOrEqual(p!.p99);
  expect(p!.p99).toBeLessThanOrEqual(p!.max);
  expect(p!.max).toBeLessThanOrEqual(max);
  expect(p!.mean).toBeGreaterThanOrEqual(min);
}

describe('workload helpers', () => {
  it('percentiles are nearest-rank', () => {
    expect(percentiles([])).toBeUndefined();
    expect(percentiles([5])).toEqual({ count: 1, p50: 5, p90: 5, p99: 5, max: 5, mean: 5 });
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentiles(xs)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('message payloads: key 0 is the bulk pattern; other keys, offsets and shifts do not match', () => {
    const a = messagePayload(0, 1000, 64);
    for (let i = 0; i < 64; i++) expect(a[i]).toBe(payloadByte(1000 + i));
    const m = messagePayload(7, 0, 300);
    expect(checkPayload(7, 0, m)).toBe(true);
    expect(checkPayload(8, 0, m)).toBe(false);
    expect(checkPayload(7, 1, m)).toBe(false);
    expect(checkPayload(7, 100, m.subarray(100))).toBe(true);
  });

  it('message payloads equal messageByte at every key, offset and length, and a flipped byte anywhere fails the check', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 0x7fff_ffff - 50_000 }), fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 40_000 })), fc.nat(), (key, offset, len, at) => {
        const m = messagePayload(key, offset, len);
        expect(m.length).toBe(len);
        for (let i = 0; i < len; i++) if (m[i] !== messageByte(key, offset + i)) return false;
        if (!checkPayload(key, offset, m)) return false;
        if (len === 0) return true;
        const i = at % len;
        const bad = m.slice();
        bad[i] = bad[i]! ^ (1 << at % 8);
        // The corruption is missed only when checking from after it.
        return !checkPayload(key, offset, bad) && checkPayload(key, offset, bad, i + 1) && (i === 0 || checkPayload(key, offset, bad.subarray(0, i)));
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('validates workloads and counts their bytes', () => {
    expect(() => validateWorkload({ type: 'bulk', bytes: -1 })).toThrow(/bulk.bytes/);
    expect(() => validateWorkload({ type: 'streams', count: 0, size: 10 })).toThrow(/streams.count/);
    expect(() => validateWorkload({ type: 'datagrams', count: 1, size: 3 })).toThrow(/datagrams.size/);
    expect(() => validateWorkload({ type: 'requests', count: 1, requestSize: 1, responseSize: 1, interval: -1 })).toThrow(/interval/);
    expect(() => validateWorkload({ type: 'nope' } as unknown as Workload)).toThrow(/unknown workload/);
    expect(expectedBytes({ type: 'requests', count: 3, requestSize: 10, responseSize: 100 })).toBe(330);
    expect(expectedBytes({ type: 'handshakes', count: 2 })).toBe(128);
  });
});

describe('workloads on a clean link', () => {
  it('streams, download and upload: every stream arrives intact, latency at least one one-way delay', async () => {
    for (const direction of ['download', 'upload'] as const) {
      const r = runScenario(scenario({ type: 'streams', count: 30, size: 4000, concurrency: 4, direction }), await options());
      const f = r.flows[0]!;
      expect(r.completed).toBe(true);
      expect(r.dataIntact).toBe(true);
      expect(r.bytes).toBe(120_000);
      expect(f.messages).toMatchObject({ expected: 30, sent: 30, received: 30 });
      sane(f.messages!.latency, 30, 10_000, r.completionTime);
    }
  }, 10_000);

  it('streams: concurrency bounds the streams in flight', async () => {
    const o = await options();
    const one = runScenario(scenario({ type: 'streams', count: 10, size: 1000, concurrency: 1 }), o);
    const many = runScenario(scenario({ type: 'streams', count: 10, size: 1000, concurrency: 10 }), o);
    expect(one.completed && many.completed).toBe(true);
    // One at a time costs about a round trip per stream.
    expect(one.flows[0]!.duration).toBeGreaterThan(many.flows[0]!.duration + 8 * 20_000);
  }, 10_000);

  it('requests: every response arrives intact, latency at least one round trip', async () => {
    const r = runScenario(scenario({ type: 'requests', count: 20, requestSize: 100, responseSize: 3000, interval: 5_000 }), await options());
    const f = r.flows[0]!;
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    expect(r.bytes).toBe(20 * 3100);
    expect(f.messages).toMatchObject({ expected: 20, sent: 20, received: 20 });
    sane(f.messages!.latency, 20, 20_000, 200_000);
    // Released one every 5 ms after the handshake.
    expect(f.duration).toBeGreaterThan(f.handshakeTime! + 19 * 5_000);
  }, 10_000);

  it('datagrams, download and upload: all arrive intact, latency about one one-way delay', async () => {
    for (const direction of ['download', 'upload'] as const) {
      const r = runScenario(
        scenario({ type: 'datagrams', count: 40, size: 400, interval: 1_000, direction }, { client: { transport: DATAGRAMS }, server: { transport: DATAGRAMS } }),
        await options(),
      );
      const f = r.flows[0]!;
      expect(f.messages).toMatchObject({ expected: 40, sent: 40, received: 40, rejected: 0, duplicates: 0 });
      expect(r.completed).toBe(true);
      expect(r.dataIntact).toBe(true);
      expect(r.bytes).toBe(16_000);
      sane(f.messages!.latency, 40, 10_000, 100_000);
    }
  }, 10_000);

  it('datagrams without the transport parameter are refused, and the flow still ends', async () => {
    const r = runScenario(scenario({ type: 'datagrams', count: 5, size: 100, linger: 200_000 }), await options());
    const f = r.flows[0]!;
    expect(f.messages).toMatchObject({ sent: 5, received: 0, rejected: 5 });
    expect(r.completed).toBe(false);
    expect(r.dataIntact).toBe(true);
    expect(r.completionTime).toBeLessThan(1_000_000);
  }, 10_000);

  it('handshakes: sequential connections each do a handshake and an exchange', async () => {
    const r = runScenario(scenario({ type: 'handshakes', count: 5 }), await options());
    const f = r.flows[0]!;
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    expect(r.bytes).toBe(5 * 64);
    expect(f.handshakes.attempted).toBe(5);
    expect(f.handshakes.completed).toBe(5);
    expect(r.handshakesCompleted).toBe(5);
    // A handshake takes at least a round trip; the exchange another one.
    sane(f.handshakes.time, 5, 20_000, 200_000);
    sane(f.messages!.latency, 5, 40_000, 300_000);
    expect(f.messages!.latency!.p50).toBeGreaterThan(f.handshakes.time!.p50);
  }, 10_000);

  it('several flows share one client host: each has its own connection, workload, start and results', async () => {
    const r = runScenario(
      scenario(
        { type: 'bulk', bytes: 200_000 },
        {
          flows: [
            { name: 'bulk' },
            { name: 'rpc', start: 100_000, workload: { type: 'requests', count: 10, requestSize: 50, responseSize: 2000 } },
            { name: 'up', start: 50_000, workload: { type: 'bulk', bytes: 50_000, direction: 'upload' } },
          ],
        },
      ),
      await options(),
    );
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    expect(r.flows.map((f) => [f.name, f.workload, f.start, f.completed, f.dataIntact, f.bytes])).toEqual([
      ['bulk', 'bulk', 0, true, true, 200_000],
      ['rpc', 'requests', 100_000, true, true, 20_500],
      ['up', 'bulk', 50_000, true, true, 50_000],
    ]);
    for (const f of r.flows) {
      expect(f.clientHost).toBe('client');
      expect(f.completionTime).toBe(f.start + f.duration);
      expect(f.completionTime).toBeLessThanOrEqual(r.completionTime);
    }
    expect(r.bytes).toBe(270_500);
    expect(r.expectedBytes).toBe(270_500);
    expect(r.handshakesCompleted).toBe(3);
    expect(r.completionTime).toBe(Math.max(...r.flows.map((f) => f.completionTime)));
    expect(r.shared).toBeDefined();
  }, 10_000);
});
