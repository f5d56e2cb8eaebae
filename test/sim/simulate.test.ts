/** The simulator as a library: builders produce the plain Scenario, simulate() gives a verdict that names the seed. */
import { describe, expect, it } from 'vitest';
import {
  assertSimulation,
  bulk,
  burstyLoss,
  compare,
  dumbbell,
  flapping,
  jitter,
  link,
  loss,
  multihomed,
  outage,
  pointToPoint,
  rateChange,
  requests,
  scenario,
  simulate,
} from '../../src/sim/index.js';

const S = 1_000_000;

describe('scenario builders', () => {
  it('convert human units to the plain scenario, impairments in order, events sorted', () => {
    const l = link({ delayMs: 20, rateMbps: 10 }, loss(0.01), outage(5, 2), rateChange(3, 5), jitter(2, true));
    expect(l).toEqual({
      delay: 20_000,
      rate: 10_000_000,
      queuePackets: 34, // 10 Mbit/s × 40 ms / 1500 B
      loss: 0.01,
      jitter: 2000,
      reorder: true,
      events: [
        { at: 3 * S, type: 'rate', rate: 5_000_000 },
        { at: 5 * S, type: 'down' },
        { at: 7 * S, type: 'up' },
      ],
    });
    expect(link({ delayMs: 1 }, burstyLoss(0.3, 3)).burst).toEqual({ p: expect.closeTo(0.3 / 3 / 0.7, 9), r: 1 / 3 });
    expect(flapping(5, 2, 20).events!.map((e) => e.at / S)).toEqual([5, 7, 12, 14, 19, 21]);
    const s = scenario({ name: 'x', topology: pointToPoint(l), workload: bulk(1000), maxTimeS: 60, server: { congestionControl: 'bbr3' } });
    expect(s.toServer).toEqual(l);
    expect(s.toClient).toEqual(l);
    expect(s.toClient).not.toBe(l);
    expect(s.maxTime).toBe(60 * S);
    expect(s.server).toEqual({ transport: { congestionControl: 'bbr3' } });
    const d = scenario({ name: 'd', topology: dumbbell({ bottleneck: link({ delayMs: 10, rateMbps: 20 }) }), workload: bulk(1), flows: [{}, { startS: 2 }] });
    expect(d.topology?.type).toBe('dumbbell');
    expect(d.flows).toEqual([{}, { start: 2 * S }]);
    expect(multihomed(link({ delayMs: 5 }), link({ delayMs: 50 })).paths).toHaveLength(2);
  });

  it('reject nonsense', () => {
    expect(() => loss(2)).toThrow(RangeError);
    expect(() => link({ delayMs: -1 })).toThrow(RangeError);
    expect(() => outage(1, 0)).toThrow(RangeError);
  });
});

describe('simulate', () => {
  it('a clean run: ok, no failures, the checker ran', async () => {
    const r = await simulate(scenario({ name: 'clean', topology: pointToPoint(link({ delayMs: 10, rateMbps: 20 })), workload: requests(5, 100, 20_000) }));
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks!.connections).toBeGreaterThan(0);
    assertSimulation(r);
  });

  it('a run that cannot complete: not ok, and the failure names the seed', async () => {
    const dead = scenario({
      name: 'dead-link',
      topology: pointToPoint(link({ delayMs: 10, rateMbps: 20 }, outage(0.5, 100))),
      workload: bulk(4 << 20),
      maxTimeS: 40,
      seed: 7,
    });
    const r = await simulate(dead, { stopOnClose: true });
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatch(/scenario dead-link, seed 7: flow \S+ did not complete/);
    expect(() => assertSimulation(r)).toThrow(/seed 7/);
    // Meant to fail: only invariants count.
    const lenient = await simulate(dead, { stopOnClose: true, requireCompletion: false });
    expect(lenient.ok).toBe(true);
  });

  it('same seed, same run', async () => {
    const s = scenario({ name: 'lossy', topology: pointToPoint(link({ delayMs: 15, rateMbps: 10 }, loss(0.03))), workload: bulk(300_000) });
    const a = await simulate(s, { seed: 3 });
    const b = await simulate(s, { seed: 3 });
    expect(a.ok).toBe(true);
    expect(b.completionTime).toBe(a.completionTime);
    expect(b.retransmissions).toBe(a.retransmissions);
  });

  it('compare: one run per controller, with the same defaults', async () => {
    const s = scenario({ name: 'cmp', topology: pointToPoint(link({ delayMs: 20, rateMbps: 10, queuePackets: 100 })), workload: bulk(500_000) });
    const runs = await compare(s, ['cubic', 'newreno']);
    expect(runs.map((r) => r.label)).toEqual(['cubic', 'newreno']);
    for (const r of runs) {
      expect(r.result.completed).toBe(true);
      expect(r.result.server!.congestionControl).toBe(r.label);
    }
  });
});
