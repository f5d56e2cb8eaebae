import { describe, expect, it } from 'vitest';
import { getGc, run } from '../../src/bench/memory.js';
import { figuresOf } from '../../src/bench/figures.js';
import { formatTable } from '../../src/bench/harness.js';

// Structure and sanity only: figures are for `npm run bench -- memory`, never asserted in tests.
describe('bench memory', () => {
  it('gets a callable GC even without --expose-gc', () => {
    const gc = getGc();
    expect(typeof gc).toBe('function');
    gc();
  });

  it('reports memory per idle connection (server, both sides) and the GC share of a bulk transfer', async () => {
    // 300: more than one batch of 250, whose Initials exceed the server's 'auto' Retry threshold
    // (100) and its queue of stateless replies; every handshake must still complete.
    const r = await run({ iterations: 300, gcBytes: 1 << 20 });
    expect(r.bench).toBe('memory');
    expect(r.note).toMatch(/server/);
    expect(r.results.map((m) => m.name)).toEqual(['bulk transfer: GC share', 'idle connection: server', 'idle connection: client + server']);
    const [gc, server, both] = r.results as [(typeof r.results)[0], (typeof r.results)[0], (typeof r.results)[0]];
    for (const m of [server, both]) {
      expect(m.labels.connections).toBe('300');
      expect(m.values!['KB/conn']).toBeGreaterThan(0);
      expect(m.values!['KB/conn']).toBeCloseTo(m.values!['heap KB/conn']! + m.values!['ArrayBuffer KB/conn']!, 9);
      expect(m.opsPerRound).toBe(300);
      expect(m.opsPerSec).toBeGreaterThan(0);
    }
    // The client side costs something too.
    expect(both.values!['KB/conn']).toBeGreaterThan(server.values!['KB/conn']!);
    expect(gc.values!['GC % wall']).toBeGreaterThanOrEqual(0);
    expect(gc.values!['GC % wall']).toBeLessThan(100);
    expect(gc.values!['alloc B/packet']).toBeGreaterThan(0);
    expect(gc.opsPerRound).toBeGreaterThan(100);
    expect(Object.keys(server.labels)).toEqual(Object.keys(gc.labels));
    expect(formatTable(r)).toContain('KB/conn');

    const figs = figuresOf(r);
    expect(figs.map((f) => f.name)).toEqual(['idle connection, server side', 'idle connection, client + server', 'GC share of bulk transfer time', 'heap allocated per packet, bulk transfer']);
    expect(figs[0]!.goal?.id).toBe('memory-idle-connection');
    expect(figs[2]!.goal?.id).toBe('memory-gc-share');
    for (const f of figs) expect(f.better).toBe('lower');
  }, 60_000);
});
