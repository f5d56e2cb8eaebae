/** Controllers side by side (sim/compare.ts, `tquic sim --compare-cc`). */
import { describe, expect, it } from 'vitest';
import { compareControllers, bottleneckRate } from '../../src/sim/compare.js';
import { compareReport } from '../../src/sim/report-compare.js';
import { renderReport } from '../../src/sim/report.js';
import { preset } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

describe('comparing congestion controllers', () => {
  it('a two-flow dumbbell: one run per controller and one mixed, each flow with its controller, figures and a report', async () => {
    const o = await simOptions();
    const s = preset('dumbbell', { bytes: 1_500_000 });
    expect(bottleneckRate(s)).toBe(10_000_000);
    const runs = compareControllers(s, ['cubic', 'newreno'], { ...o, seed: 2 });
    expect(runs.map((r) => r.label)).toEqual(['cubic', 'newreno', 'cubic+newreno']);
    expect(runs[2]!.controllers).toEqual(['cubic', 'newreno']);
    for (const r of runs) {
      expect(r.result.completed, r.label).toBe(true);
      expect(r.metrics.goodput).toHaveLength(2);
      expect(r.metrics.utilization!).toBeGreaterThan(0.8);
      expect(r.metrics.utilization!).toBeLessThanOrEqual(1.01);
      expect(r.metrics.rttP95).toBeGreaterThanOrEqual(r.metrics.rttP50);
      expect(r.metrics.queueP95).toBeGreaterThan(0);
      expect(r.metrics.rttP50).toBeGreaterThan(20); // 2 × (10 + 1 + 1) ms of propagation at least
      expect(r.flows.every((f) => f.sender.length > 0 && f.receiver.length > 0)).toBe(true);
    }
    // Each flow's connections, both ends, ran the flow's controller.
    expect(runs[2]!.result.flows.map((f) => [f.server!.congestionControl, f.client!.congestionControl])).toEqual([
      ['cubic', 'cubic'],
      ['newreno', 'newreno'],
    ]);
    expect(runs[0]!.metrics.jain).toBeGreaterThan(0.9);
    const html = await renderReport(compareReport(s.name, 2, runs));
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).toContain('data-table="compare"');
    expect(html).toContain('cubic+newreno');
  }, 60_000);

  it('rejects an empty list', () => {
    expect(() => compareControllers(preset('default'), [], { provider: undefined as never, credentials: undefined as never })).toThrow(/at least one/);
  });
});
