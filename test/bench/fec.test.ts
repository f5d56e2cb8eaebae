import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/fec.js';
import { formatTable } from '../../src/bench/harness.js';

// Structure only: figures are for `npm run bench -- fec`, never asserted in tests.
describe('bench fec', () => {
  it('reports encode and decode throughput for Reed-Solomon (10:2, 32:8), XOR and RLC (windows 10, 64)', () => {
    const r = run({ iterations: 3 });
    expect(r.bench).toBe('fec');
    const keys = new Set(r.results.map((m) => `${m.labels.scheme}|${m.labels.k}|${m.labels.r}|${m.labels.window ?? ''}|${m.name}`));
    for (const k of [
      'rs|10|2||encode',
      'rs|10|2||decode 2 erasures',
      'rs|32|8||encode',
      'rs|32|8||decode 8 erasures',
      'xor|10|1||encode',
      'xor|10|1||decode 1 erasure',
      'rlc|10|2|10|encode',
      'rlc|10|2|10|decode 2 erasures',
      'rlc|10|2|64|encode',
      'rlc|10|2|64|decode 2 erasures',
    ]) {
      expect(keys.has(k)).toBe(true);
    }
    expect(r.results).toHaveLength(10);
    for (const m of r.results) {
      expect(m.usPerOp).toBeGreaterThan(0);
      // Source bytes per operation: k symbols of 1200 bytes, so Gbit/s × 125 = MB/s.
      expect(m.bytesPerOp).toBe(1200 * Number(m.labels.k));
      expect(m.gbps).toBeGreaterThan(0);
    }
    expect(formatTable(r)).toContain('Gbit/s');
  });
});
