import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/fec.js';
import { formatTable } from '../../src/bench/harness.js';

// Structure only: figures are for `npm run bench -- fec`, never asserted in tests.
describe('bench fec', () => {
  it('reports encode and decode throughput for Reed-Solomon, XOR and RLC', () => {
    const r = run({ iterations: 3 });
    expect(r.bench).toBe('fec');
    const keys = new Set(r.results.map((m) => `${m.labels.scheme}|${m.name}`));
    for (const k of ['rs|encode', 'rs|decode 2 erasures', 'xor|encode', 'xor|decode 1 erasure', 'rlc|encode', 'rlc|decode 2 erasures']) expect(keys.has(k)).toBe(true);
    for (const m of r.results) {
      expect(m.usPerOp).toBeGreaterThan(0);
      expect(m.bytesPerOp).toBe(12_000);
      expect(m.gbps).toBeGreaterThan(0);
    }
    expect(formatTable(r)).toContain('Gbit/s');
  });
});
