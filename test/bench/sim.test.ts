import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/sim.js';

// Structure only: figures are for `npm run bench -- sim`, never asserted in tests.
describe('bench sim', () => {
  it('reports the default preset per provider: speed-up, packets per second, wall and simulated time', async () => {
    const r = await run({ bytes: 16 << 10 });
    expect(r.bench).toBe('sim');
    expect(r.results.map((m) => m.labels.provider).sort()).toEqual(['noble', 'node']);
    for (const m of r.results) {
      expect(m.name).toBe('sim default');
      for (const k of ['sim s', 'wall s', 'speed-up ×', 'packets/s']) expect(Number(m.labels[k]), k).toBeGreaterThan(0);
      expect(['met', 'not met']).toContain(m.labels['goal 20×']);
      expect(m.labels.MiB).toBe('0.016');
      // One operation is one delivered datagram: the handshake alone delivers a dozen.
      expect(m.opsPerRound).toBeGreaterThan(10);
      expect(m.opsPerSec * m.usPerOp).toBeCloseTo(1e6, 3);
    }
  }, 60_000);
});
