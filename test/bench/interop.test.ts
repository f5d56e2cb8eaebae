import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/interop.js';
import { ngtcp2 } from '../support/peers.js';

const peers = ngtcp2();

// Structure only: figures are for `npm run bench -- interop`, never asserted in tests.
describe.skipIf(peers === undefined)('bench interop', () => {
  it('times the four HTTP/3 pairs with the ngtcp2 pair as the reference', async () => {
    const r = await run({ iterations: 1, rounds: 1 });
    expect(r.bench).toBe('interop');
    expect(r.results.map((m) => `${m.labels.client}←${m.labels.server}`)).toEqual(['gtlsclient←tquic', 'tquic←gtlsserver', 'tquic←tquic', 'gtlsclient←gtlsserver']);
    for (const m of r.results) {
      expect(m.bytesPerOp).toBe(1_000_000);
      expect(m.usPerOp).toBeGreaterThan(0);
      expect(Number(m.labels.ratio)).toBeGreaterThan(0);
    }
    expect(r.results[3]!.labels.ratio).toBe('1.000');
  }, 120_000);
});
