/**
 * `tquic soak --loopback` in small: a server child process (dist/stress/server-child.js: run
 * `npm run build` first) and 50 concurrent connections × 256 KB over real UDP on 127.0.0.1 from
 * this process, one shared client endpoint, after a warm-up round of the same size; every download complete and
 * identical, nothing held by either process afterwards, and the server's heap (heapUsed +
 * arrayBuffers, after full GCs) back within 10% of its baseline.
 */
import { describe, expect, it, vi } from 'vitest';
import { formatLoopbackSoak, runLoopbackSoak } from '../../src/stress/loopback-soak.js';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/capture.js';

describe('tquic soak --loopback', () => {
  it("50 connections × 256 KB all complete; the server's heap returns within 10% of its baseline", async () => {
    const r = await runLoopbackSoak({ connections: 50, bytes: 256 * 1024, seed: 1, timeoutMs: 40_000 });
    const detail = `seed 1; replay: tquic soak --loopback --connections 50 --bytes ${256 * 1024}\n${formatLoopbackSoak(r)}`;
    expect(r.failures, detail).toEqual([]);
    expect(r.completed, detail).toBe(50);
    expect(r.totalBytes).toBe(50 * 256 * 1024);
    expect(r.warmupConnections).toBe(50);
    expect(r.serverPid).not.toBe(process.pid);
    expect(r.held).toEqual({ serverConnections: 0, serverEndpointConnections: 0, clientHostConnections: 0, clientEndpointConnections: 0 });
    expect(r.peak.total, detail).toBeGreaterThan(r.baseline.total);
    expect(r.ratio, detail).toBeLessThanOrEqual(1.1);
    expect(r.rounds).toHaveLength(1);
    expect(r.ok).toBe(true);
    expect(formatLoopbackSoak(r)).toContain('client transport settings: handshakeTimeoutMs');
  }, 60_000);

  it('the command runs the loopback mode and rejects matrix options with it', async () => {
    const c = capture();
    try {
      expect(await main(['soak', '--loopback', '--connections', '4', '--bytes', '20000', '--client-sockets', 'per-connection', '--rounds', '2'])).toBe(0);
      expect(c.out()).toMatch(/^tquic soak --loopback: 4 concurrent connections × 20000 bytes/);
      expect(c.out()).toMatch(/^completed 8, failed 0 over 2 rounds;/m);
      expect(c.out()).toMatch(/^ {2}round 2: 4\/4 complete, .* vs round 1\)/m);
      expect(c.out()).toContain('verdict: PASS');
    } finally {
      vi.restoreAllMocks();
    }
    for (const args of [['--loopback', '--seeds', '2'], ['--connections', '5'], ['--rounds', '2'], ['--loopback', '--client-sockets', 'many'], ['--loopback', '--connections', '0'], ['--loopback', '--rounds', '0']]) {
      const e = capture();
      try {
        expect(await main(['soak', ...args]), args.join(' ')).toBe(2);
        expect(e.err()).toContain('tquic soak:');
      } finally {
        vi.restoreAllMocks();
      }
    }
  }, 60_000);
});
