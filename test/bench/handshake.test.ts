import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/handshake.js';

// Structure only: figures are for `npm run bench -- handshake`, never asserted in tests.
describe('bench handshake', () => {
  it('reports full handshakes per provider and key type, and a resumed one', async () => {
    const r = await run({ iterations: 1 });
    const keys = new Set(r.results.map((m) => `${m.name}|${m.labels.provider}|${m.labels.key}`));
    for (const p of ['node', 'noble']) {
      for (const k of ['ecdsa-p256', 'ed25519', 'rsa']) expect(keys.has(`full handshake|${p}|${k}`)).toBe(true);
      expect(keys.has(`resumed handshake|${p}|psk`)).toBe(true);
    }
    for (const m of r.results) expect(m.opsPerSec).toBeGreaterThan(0);
  });
});
