import { describe, expect, it } from 'vitest';
import { runScenario, validateWorkload, type LinkConfig, type Scenario, type Workload } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

/** No loss, 10 ms one-way, 20 Mbit/s. */
const CLEAN: LinkConfig = { delay: 10_000, rate: 20_000_000 };

function scenario(workload: Workload, extra: Partial<Scenario> = {}): Scenario {
  return { name: workload.type, toServer: CLEAN, toClient: CLEAN, workload, maxTime: 60_000_000, ...extra };
}

describe('streams workload with an interval', () => {
  it('validates the interval', () => {
    expect(() => validateWorkload({ type: 'streams', count: 1, size: 10, interval: -1 })).toThrow(/streams.interval/);
    expect(() => validateWorkload({ type: 'streams', count: 1, size: 10, interval: Number.NaN })).toThrow(/streams.interval/);
    expect(() => validateWorkload({ type: 'streams', count: 1, size: 10, interval: Number.POSITIVE_INFINITY })).toThrow(/streams.interval/);
    expect(() => validateWorkload({ type: 'streams', count: 1, size: 10, interval: 0 })).not.toThrow();
    expect(() => validateWorkload({ type: 'streams', count: 1, size: 10, interval: 10_000 })).not.toThrow();
  });

  it('download and upload: stream i released i·interval after the handshake, latency about one one-way delay', async () => {
    const o = await simOptions();
    for (const direction of ['download', 'upload'] as const) {
      const r = runScenario(scenario({ type: 'streams', count: 20, size: 1000, interval: 10_000, direction }), o);
      const f = r.flows[0]!;
      expect(r.completed).toBe(true);
      expect(r.dataIntact).toBe(true);
      expect(r.bytes).toBe(20_000);
      expect(f.messages).toMatchObject({ expected: 20, sent: 20, received: 20 });
      const lat = f.messages!.latency!;
      expect(lat.count).toBe(20);
      // From release to arrival: one one-way delay plus serialisation, no queueing.
      expect(lat.p50).toBeGreaterThanOrEqual(10_000);
      expect(lat.max).toBeLessThan(15_000);
      // The last stream is released 19 intervals after the handshake and arrives a one-way
      // delay later: the flow lasts about count·interval, not a few round trips.
      const spread = 19 * 10_000;
      expect(f.duration).toBeGreaterThan(f.handshakeTime! + spread);
      expect(f.duration).toBeLessThan(f.handshakeTime! + spread + 50_000);
    }
  }, 10_000);

  it('an explicit concurrency still applies, and queueing counts in the latency', async () => {
    const o = await simOptions();
    // Released every 1 ms, but one at a time: each waits about a round trip for the previous.
    const r = runScenario(scenario({ type: 'streams', count: 10, size: 1000, interval: 1_000, concurrency: 1 }), o);
    const f = r.flows[0]!;
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    expect(f.duration).toBeGreaterThan(f.handshakeTime! + 9 * 20_000);
    // The last stream was released ~9 ms after the start but completed ~9 round trips later.
    expect(f.messages!.latency!.max).toBeGreaterThan(9 * 20_000 - 9 * 1_000);
  }, 10_000);

  it('interval 0 is the default: same results as without it', async () => {
    const o = await simOptions();
    const without = runScenario(scenario({ type: 'streams', count: 30, size: 4000, concurrency: 4 }), o);
    const zero = runScenario(scenario({ type: 'streams', count: 30, size: 4000, concurrency: 4, interval: 0 }), o);
    expect(zero.completed).toBe(true);
    expect(zero.flows[0]!.duration).toBe(without.flows[0]!.duration);
    expect(zero.flows[0]!.messages).toEqual(without.flows[0]!.messages);
    expect(zero.completionTime).toBe(without.completionTime);
    // Default concurrency stays 10 without an interval.
    const dflt = runScenario(scenario({ type: 'streams', count: 30, size: 4000 }), o);
    const ten = runScenario(scenario({ type: 'streams', count: 30, size: 4000, concurrency: 10 }), o);
    expect(dflt.flows[0]!.messages).toEqual(ten.flows[0]!.messages);
    expect(dflt.completionTime).toBe(ten.completionTime);
  }, 10_000);
});
