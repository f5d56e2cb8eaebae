import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/core.js';

// Structure only: figures are for `npm run bench -- core`, never asserted in tests.
describe('bench core', () => {
  it('reports throughput and allocation per provider and datagram size', async () => {
    const r = await run({ iterations: 1, warmupMs: 0 });
    expect(r.results.map((m) => `${m.labels.provider}/${m.labels.datagram}`).sort()).toEqual(['noble/1200B', 'noble/1452B', 'node/1200B', 'node/1452B', 'null (core only)/1200B', 'null (core only)/1452B']);
    for (const m of r.results) {
      expect(Number(m.labels['MB/s'])).toBeGreaterThan(0);
      expect(Number(m.labels['alloc KB/MB'])).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);
});
