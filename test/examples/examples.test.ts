/**
 * The examples for experimenters (examples/, examples/README.md) run as a newcomer runs them:
 * `node examples/<file>.mjs` from the repository root, importing the built package by its
 * name (dist/, built by `npm test`'s pretest). Each must exit 0 and print its key lines; the
 * custom controller also works as a `tquic sim --plugin`.
 *
 * The interop example needs ngtcp2's gtlsserver: skipped without it (a message says why),
 * failed without it when TQUIC_REQUIRE_PEERS=1 (test/support/peers.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ngtcp2, TQUIC_BIN } from '../support/peers.js';

const ROOT = join(import.meta.dirname, '../..');
/** The controller's registry name in examples/custom-cc/plugin.mjs. */
const CC = 'vegas-lite';
const PLUGIN = 'examples/custom-cc/plugin.mjs';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** `node ...args` in the repository root, killed after `timeoutMs`. */
function node(args: string[], timeoutMs = 50_000): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** The number after `re`'s capture in `text` (fails the test when missing). */
function figure(text: string, re: RegExp): number {
  const m = re.exec(text);
  expect(m, `${re} in:\n${text}`).not.toBeNull();
  return Number(m![1]);
}

// ngtcp2() throws when the peers are required and missing; that must fail the interop test only.
let peers: ReturnType<typeof ngtcp2>;
let peersError: Error | undefined;
try {
  peers = ngtcp2();
} catch (e) {
  peersError = e as Error;
}

describe('examples/', () => {
  it('custom-cc/compare.mjs: vegas-lite against CUBIC on three networks', async () => {
    const r = await node(['examples/custom-cc/compare.mjs']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    for (const network of ['clean 20 Mbit/s, 40 ms RTT', '1% random loss', 'deep buffer (4 BDPs)']) {
      for (const cc of ['cubic', CC]) expect(r.out).toMatch(new RegExp(`^${network.replace(/[()%]/g, '\\$&')}\\s+${cc}\\s+\\d+\\.\\d+`, 'm'));
    }
    const goodput = figure(r.out, /^vegas-lite: ([\d.]+) Mbit\/s on the clean link/m);
    expect(goodput).toBeGreaterThan(0);
    const rtt = figure(r.out, /mean RTT ([\d.]+) ms on the deep buffer/);
    const cubicRtt = figure(r.out, /on the deep buffer \(CUBIC ([\d.]+) ms\)/);
    expect(rtt).toBeLessThan(cubicRtt / 2);
  }, 60_000);

  it(`tquic sim --plugin ${PLUGIN} --cc ${CC} runs the plug-in controller at both ends`, async () => {
    const r = await node([TQUIC_BIN, 'sim', 'default', '--plugin', PLUGIN, '--cc', CC, '--bytes', '300000', '--json']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.err).toContain(`congestion controller ${CC}`);
    const result = JSON.parse(r.out) as { completed: boolean; dataIntact: boolean; goodput: number; server: { congestionControl: string }; client: { congestionControl: string } };
    expect(result.completed).toBe(true);
    expect(result.dataIntact).toBe(true);
    expect(result.server.congestionControl).toBe(CC);
    expect(result.client.congestionControl).toBe(CC);
    expect(result.goodput).toBeGreaterThan(0);
  }, 60_000);

  it(`tquic sim --plugin ${PLUGIN} --compare-cc cubic,${CC}`, async () => {
    const r = await node([TQUIC_BIN, 'sim', 'default', '--plugin', PLUGIN, '--compare-cc', `cubic,${CC}`, '--bytes', '300000', '--json']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    const runs = JSON.parse(r.out) as { label: string; completed: boolean; metrics: { total: number } }[];
    expect(runs.map((x) => x.label)).toEqual(['cubic', CC]);
    for (const run of runs) {
      expect(run.completed, run.label).toBe(true);
      expect(run.metrics.total, run.label).toBeGreaterThan(0);
    }
  }, 60_000);

  it('multipath-scheduler.mjs: cost-cap keeps the metered path under its cap', async () => {
    const r = await node(['examples/multipath-scheduler.mjs']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/^schedulers registered: .*minrtt.*cost-cap/m);
    for (const s of ['minrtt', 'roundrobin', 'cost-cap']) expect(r.out).toMatch(new RegExp(`^${s}\\s+\\d+\\.\\d+`, 'm'));
    const share = figure(r.out, /^cost-cap: ([\d.]+)% of the bytes on cellular/m);
    expect(share).toBeLessThanOrEqual(21);
    expect(figure(r.out, /^cost-cap: .*\), ([\d.]+) Mbit\/s/m)).toBeGreaterThan(0);
  }, 60_000);

  it('fec-policy.mjs: loss-scaled follows the loss rate', async () => {
    const r = await node(['examples/fec-policy.mjs']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    for (const p of ['no FEC', 'fixed 10:2', 'loss-scaled']) expect(r.out).toMatch(new RegExp(`^heavy \\(5%\\)\\s+${p}\\s+\\d+\\.\\d+`, 'm'));
    const light = figure(r.out, /^loss-scaled: (\d+)% repair overhead under light loss/m);
    const heavy = figure(r.out, /, (\d+)% under heavy loss/);
    expect(heavy).toBeGreaterThan(light);
  }, 60_000);

  it('echo.mjs: five messages echoed over a stream, both sides closed cleanly', async () => {
    const r = await node(['examples/echo.mjs'], 30_000);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('echo: 5 of 5 messages came back intact');
    expect(r.out).toContain('client: closed (application close, code 0');
    expect(r.out).toMatch(/^server: its side closed by the client/m);
    expect(r.out).toMatch(/^goodbye\s+goodbye\s+[\d.]+\s+yes/m);
  }, 30_000);

  it.skipIf(peers === undefined && peersError === undefined)('interop-ngtcp2.mjs: tquic downloads from gtlsserver, SHA-256 checked (skipped without ngtcp2)', async () => {
    if (peersError !== undefined) throw peersError;
    const r = await node(['examples/interop-ngtcp2.mjs'], 50_000);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/ALPN h3, TLS_\w+, QUIC version (0x00000001|0x6b3343cf), certificate verified/);
    expect(r.out).toMatch(/^5M\.bin\s+200\s+5000000\s.*yes\s*$/m);
    expect(r.out).toContain('interop: tquic downloaded 3 of 3 files from ngtcp2 intact');
  }, 60_000);
});
