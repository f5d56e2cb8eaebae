import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/sim.js';

// Structure only: figures are for `npm run bench -- sim`, never asserted in tests.
describe('bench sim', () => {
  it('reports the default preset and its 100 Mbps variant per provider: speed-up, packets per second, wall and simulated time', async () => {
    const r = await run({ bytes: 16 << 10, warmupMs: 0 });
    expect(r.bench).toBe('sim');
    expect(r.results.map((m) => `${m.name}/${m.labels.provider}`)).toEqual(['sim default/noble', 'sim default/node', 'sim default/null', 'sim 100 Mbps/noble', 'sim 100 Mbps/node', 'sim 100 Mbps/null']);
    for (const m of r.results) {
      for (const k of ['sim s', 'wall s', 'speed-up ×', 'packets/s']) {
        expect(Number(m.labels[k]), k).toBeGreaterThan(0);
        expect(m.values![k], k).toBeGreaterThan(0);
      }
      expect(m.labels.MiB).toBe('0.016');
      // One operation is one delivered datagram: the handshake alone delivers a dozen.
      expect(m.opsPerRound).toBeGreaterThan(10);
      expect(m.opsPerSec * m.usPerOp).toBeCloseTo(1e6, 3);
    }
    // The faster link finishes the same transfer sooner in virtual time.
    expect(r.results[3]!.values!['sim s']).toBeLessThan(r.results[1]!.values!['sim s']!);
  }, 60_000);

  it('builds the 100 Mbps case from the default link with a ten times larger queue', async () => {
    const { CASES } = await import('../../src/bench/sim.js');
    const s = CASES.find((c) => c.name === '100 Mbps')!.scenario(1 << 20);
    expect(s.toServer).toMatchObject({ rate: 100_000_000, queuePackets: 250, delay: 15_000 });
    expect(s.toClient).toEqual(s.toServer);
    expect(s.workload).toEqual({ type: 'bulk', bytes: 1 << 20 });
  });
});
