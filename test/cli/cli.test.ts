import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/capture.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

afterEach(() => vi.restoreAllMocks());

describe('tquic CLI', () => {
  it('--help lists every planned command', async () => {
    const c = capture();
    expect(await main(['--help'])).toBe(0);
    for (const name of ['client', 'server', 'sim', 'bench', 'cert', 'interop', 'demo']) expect(c.out()).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it('commands not built yet say so and exit 1', async () => {
    for (const cmd of COMMANDS.filter((x) => !x.run)) {
      const c = capture();
      expect(await main([cmd.name])).toBe(1);
      expect(c.err()).toContain('not built yet');
      vi.restoreAllMocks();
    }
  });

  it('rejects unknown commands and options', async () => {
    let c = capture();
    expect(await main(['frobnicate'])).toBe(2);
    expect(c.err()).toContain("unknown command 'frobnicate'");
    vi.restoreAllMocks();
    c = capture();
    expect(await main(['demo', '--nope'])).toBe(2);
    expect(c.err()).toMatch(/Unknown option/i);
  });

  it('demo downloads a generated file over loopback UDP and verifies its SHA-256', async () => {
    const c = capture();
    expect(await main(['demo', '--bytes', '2000000'])).toBe(0);
    const out = c.out();
    expect(out).toMatch(/server listening on 127\.0\.0\.1:\d+ \(UDP\)/);
    expect(out).toContain('certificate verified');
    expect(out).toMatch(/downloaded 2\.0 MB in/);
    // Multipath: a second path from 127.0.0.2 (Linux binds all of 127/8), both carrying data.
    expect(out).toContain('path 1 opened from 127.0.0.2 and validated');
    for (const id of [0, 1]) expect(out).toMatch(new RegExp(`path ${id} \\S+ -> 127\\.0\\.0\\.1:\\d+: [1-9]\\d* datagrams received`));
    expect(out).toMatch(/SHA-256 [0-9a-f]{64} matches/);
    expect(out).toMatch(/qlog: 2 files in /);
    expect(out).toContain('demo passed');
  }, 30_000);

  it('demo refuses an unknown provider', async () => {
    const c = capture();
    expect(await main(['demo', '--crypto', 'rot13'])).toBe(2);
    expect(c.err()).toContain("unknown crypto provider 'rot13'");
  });

  it('bench --list lists the benchmarks (without a name, bench runs them all)', async () => {
    const c = capture();
    expect(await main(['bench', '--list'])).toBe(0);
    expect(c.out()).toContain('crypto');
  });
});

describe('tquic cert', () => {
  it('writes a certificate and key that load as TLS credentials', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadCredentials } = await import('../../src/crypto/tls/certificates.js');
    const dir = mkdtempSync(join(tmpdir(), 'tquic-cert-'));
    const c = capture();
    expect(await main(['cert', '--out', dir, '--hosts', 'example.test,10.1.2.3', '--key-type', 'ed25519'])).toBe(0);
    expect(c.out()).toContain('cert.pem');
    const creds = loadCredentials(readFileSync(join(dir, 'cert.pem'), 'utf8'), readFileSync(join(dir, 'key.pem'), 'utf8'));
    expect(creds.key.type).toBe('ed25519');
    vi.restoreAllMocks();
    const c1 = capture();
    expect(await main(['cert', '--out', dir, '--host', 'a.test', '--host', '10.0.0.1'])).toBe(0);
    expect(c1.out()).toContain('for a.test, 10.0.0.1)');
    vi.restoreAllMocks();
    const c2 = capture();
    expect(await main(['cert', '--key-type', 'dsa'])).toBe(2);
    expect(c2.err()).toContain('--key-type');
  });
});

describe('tquic sim', () => {
  it('--scheduler, --path-manager and --fec-policy pick registered names for both ends; --crypto null gives the same run', async () => {
    const json = async (args: string[]): Promise<{ completed: boolean; completionTime: number; paths?: unknown }> => {
      const c = capture();
      expect(await main(['sim', ...args, '--json'])).toBe(0);
      vi.restoreAllMocks();
      return JSON.parse(c.out());
    };
    const minrtt = await json(['multipath', '--seed', '2', '--bytes', '2000000', '--crypto', 'null']);
    const rr = await json(['multipath', '--seed', '2', '--bytes', '2000000', '--crypto', 'null', '--scheduler', 'roundrobin', '--path-manager', 'all-addresses']);
    expect(minrtt.completed && rr.completed).toBe(true);
    // Another scheduler, another run.
    expect(rr.completionTime).not.toBe(minrtt.completionTime);
    expect((await json(['multipath', '--seed', '2', '--bytes', '2000000', '--scheduler', 'roundrobin', '--path-manager', 'all-addresses'])).completionTime).toBe(rr.completionTime);
    const fixed = await json(['fec-rs', '--seed', '1', '--crypto', 'null']);
    const off = await json(['fec-rs', '--seed', '1', '--crypto', 'null', '--fec-policy', 'off']);
    expect(off.completed).toBe(true);
    expect(off.completionTime).not.toBe(fixed.completionTime);
    const c = capture();
    expect(await main(['sim', 'multipath', '--scheduler', 'nosuch'])).toBe(2);
    expect(await main(['sim', 'default', '--fec-policy', 'off'])).toBe(2);
    expect(c.err()).toMatch(/--scheduler: unknown name "nosuch" \(known: minrtt/);
    expect(c.err()).toMatch(/--fec-policy: scenario default has no FEC/);
  }, 60_000);

  it('lists presets and runs one deterministically', async () => {
    let c = capture();
    expect(await main(['sim', '--list'])).toBe(0);
    expect(c.out()).toContain('transferloss');
    vi.restoreAllMocks();
    const runOnce = async (): Promise<string> => {
      const cc = capture();
      expect(await main(['sim', 'transferloss', '--seed', '5', '--bytes', '200000', '--json'])).toBe(0);
      vi.restoreAllMocks();
      return cc.out();
    };
    const a = JSON.parse(await runOnce());
    const b = JSON.parse(await runOnce());
    expect(a.completed).toBe(true);
    expect(a.dataIntact).toBe(true);
    expect(a.completionTime).toBe(b.completionTime);
    expect(a.retransmissions).toBe(b.retransmissions);
    c = capture();
    expect(await main(['sim', 'nosuchpreset'])).toBe(2);
    expect(c.err()).toContain('tquic sim');
  }, 30_000);

  it('--report writes an HTML report for a two-flow dumbbell, one chart per metric and a line per flow; --qlog-dir one file per connection and role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tquic-sim-'));
    try {
      const report = join(dir, 'r.html');
      const c = capture();
      expect(await main(['sim', 'dumbbell', '--seed', '1', '--bytes', '300000', '--report', report, '--qlog-dir', join(dir, 'q')])).toBe(0);
      vi.restoreAllMocks();
      expect(c.out()).toContain('0 violations');
      const html = readFileSync(report, 'utf8');
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(html.match(/<svg/g)?.length).toBe(4);
      for (const flow of ['flow0', 'flow1']) expect(html.split(flow).length - 1).toBeGreaterThanOrEqual(4);
      expect(readdirSync(join(dir, 'q')).sort().map((f) => f.replace(/-[0-9a-f]+-/, '-X-'))).toEqual([
        'dumbbell-flow0-X-client.sqlog',
        'dumbbell-flow0-X-server.sqlog',
        'dumbbell-flow1-X-client.sqlog',
        'dumbbell-flow1-X-server.sqlog',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('--report of a multipath preset adds the per-path charts (sent per path, delivered per path, path in use) and the per-path table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tquic-sim-'));
    try {
      const report = join(dir, 'mp.html');
      const c = capture();
      expect(await main(['sim', 'multipath', '--seed', '1', '--bytes', '300000', '--report', report])).toBe(0);
      vi.restoreAllMocks();
      expect(c.out()).toContain('0 violations');
      const html = readFileSync(report, 'utf8');
      expect(html.match(/<svg/g)?.length).toBe(9);
      expect(html.match(/data-metric="throughput"/g)?.length).toBe(2);
      expect(html).toContain('Sent per path by the server (data sender)');
      expect(html).toContain('<figure class="table" data-table="paths">');
      expect(html.match(/<tr><td>(server|client)<\/td><td>[01]<\/td>/g)?.length).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('--report of an FEC preset shows what was protected and rebuilt: a summary row and a chart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tquic-sim-'));
    try {
      const report = join(dir, 'fec.html');
      const c = capture();
      expect(await main(['sim', 'fec-xor', '--seed', '1', '--report', report])).toBe(0);
      vi.restoreAllMocks();
      expect(c.out()).toContain('0 violations');
      const row = /fec flow0 +server→client: xor \(fixed\), (\d+) packets protected, (\d+) repairs sent \((\d+) lost\), (\d+) packets recovered/.exec(c.out());
      expect(row, c.out()).not.toBeNull();
      expect(Number(row![4])).toBeGreaterThan(50);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('Forward error correction (cumulative)');
      expect(html).toContain('packets recovered');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
