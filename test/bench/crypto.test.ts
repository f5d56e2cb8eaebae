import { describe, expect, it } from 'vitest';
import { run } from '../../src/bench/crypto.js';
import { formatTable } from '../../src/bench/harness.js';

// Structure only: figures are for `npm run bench -- crypto`, never asserted in tests.
describe('bench crypto', () => {
  it('reports seal, open, header protection and whole packets for every AEAD on every provider', () => {
    const r = run({ iterations: 3 });
    expect(r.bench).toBe('crypto');
    const keys = new Set(r.results.map((m) => `${m.name}|${m.labels.provider}|${m.labels.aead}`));
    for (const p of ['node', 'noble'])
      for (const a of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'])
        for (const n of ['seal 1200B', 'open 1200B', 'hp mask', 'protect packet', 'unprotect packet']) expect(keys.has(`${n}|${p}|${a}`)).toBe(true);
    for (const m of r.results) expect(m.usPerOp).toBeGreaterThan(0);
    expect(formatTable(r)).toContain('Gbit/s');
  });
});
