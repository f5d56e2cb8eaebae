import { describe, expect, it } from 'vitest';
import { preset, PRESET_NAMES, runScenario, type RunOptions } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const options = simOptions;

describe('scenarios', () => {
  it('lists the interop presets', () => {
    for (const n of ['default', 'transferloss', 'handshakeloss', 'blackhole', 'longrtt']) expect(PRESET_NAMES).toContain(n);
  });

  it('default preset: 2 MB download completes, bytes intact, goodput below the link rate', async () => {
    const r = runScenario(preset('default', { bytes: 2 << 20 }), await options());
    expect(r.completed).toBe(true);
    expect(r.bytes).toBe(2 << 20);
    expect(r.dataIntact).toBe(true);
    expect(r.goodput).toBeGreaterThan(1_000_000);
    expect(r.goodput).toBeLessThan(10_000_000);
    // 2 MB at 10 Mbps needs at least 1.6 s of serialisation.
    expect(r.completionTime).toBeGreaterThan(1_600_000);
    // At least one datagram per 1452 bytes (the largest datagram PMTU discovery reaches).
    expect(r.links.toClient.delivered).toBeGreaterThan((2 << 20) / 1452);
    expect(r.links.toClient.maxQueuePackets).toBeLessThanOrEqual(25);
    expect(r.unroutable).toBe(0);
  }, 10_000);

  it('transferloss preset: 2 MB download through 2% loss completes with retransmissions', async () => {
    const r = runScenario(preset('transferloss', { seed: 3 }), await options());
    expect(r.completed).toBe(true);
    expect(r.bytes).toBe(2 << 20);
    expect(r.dataIntact).toBe(true);
    expect(r.links.toClient.dropped.random).toBeGreaterThan(0);
    expect(r.retransmissions).toBeGreaterThan(0);
  }, 10_000);

  it('upload direction works', async () => {
    const r = runScenario(preset('default', { bytes: 1 << 20, direction: 'upload' }), await options());
    expect(r.completed).toBe(true);
    expect(r.bytes).toBe(1 << 20);
    expect(r.dataIntact).toBe(true);
    expect(r.links.toServer.bytesDelivered).toBeGreaterThan(1 << 20);
  }, 10_000);

  it('the same seed gives identical results; another seed differs', async () => {
    const o = await options();
    const a = runScenario(preset('transferloss', { bytes: 1 << 20, seed: 7 }), { ...o, trace: true });
    const b = runScenario(preset('transferloss', { bytes: 1 << 20, seed: 7 }), { ...o, trace: true });
    expect(b).toEqual(a);
    const c = runScenario(preset('transferloss', { bytes: 1 << 20, seed: 8 }), { ...o, trace: true });
    expect(c.trace).not.toEqual(a.trace);
  }, 10_000);

  it('a point-to-point run reports one flow, the two named links and no paths or NATs', async () => {
    const r = runScenario(preset('default', { bytes: 100_000 }), await options());
    expect(r.flows).toHaveLength(1);
    const f = r.flows[0]!;
    expect([f.name, f.workload, f.clientHost, f.serverHost, f.start, f.completed, f.bytes]).toEqual(['flow0', 'bulk', 'client', 'server', 0, true, 100_000]);
    expect(f.completionTime).toBe(r.completionTime);
    expect(f.goodput).toBe(r.goodput);
    expect(f.retransmissions).toBe(r.retransmissions);
    expect(r.handshakeTime).toBe(f.handshakeTime);
    expect(f.serverSaw).toEqual(['10.0.0.1:50000']);
    expect(Object.keys(r.linkCounters)).toEqual(['toServer', 'toClient']);
    expect(r.links).toEqual({ toServer: r.linkCounters.toServer, toClient: r.linkCounters.toClient });
    expect(r.paths).toEqual([]);
    expect(r.nats).toEqual([]);
    expect(r.shared).toBeUndefined();
    expect(r.handshakesCompleted).toBe(1);
  }, 10_000);
});
