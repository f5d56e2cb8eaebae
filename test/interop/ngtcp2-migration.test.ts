/**
 * Connection migration (RFC 9000 §9) against ngtcp2:
 * - gtlsclient `--change-local-addr=200ms` downloading from tquic server: the client moves to a
 *   new local address with a new connection ID; the server follows, validates the new path and
 *   the file arrives intact; also with `--nat-rebinding` (the same connection ID, as a NAT would;
 *   the request held back until after the change, see below);
 * - preferred_address (§9.6) both ways: gtlsclient moves to `tquic server --preferred-address`
 *   (which then answers from there), tquic client to `gtlsserver --preferred-ipv4-addr`;
 * - `tquic client --migrate-after` against gtlsserver: a new local port mid-download.
 *
 * Skipped without the binaries (a message says why); failing instead with TQUIC_REQUIRE_PEERS=1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, gtlsClient, InteropDir, ngtcp2, sha256Hex, startGtlsServer, startTquicServer, tquic } from '../support/peers.js';

const peers = ngtcp2();
const SIZE = 5_000_000;

/** The `quic:migration_state_updated` events of the qlog files in `dir` whose name ends in `suffix`. */
function migrationStates(dir: string, suffix: string): string[] {
  const states: string[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(suffix)) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\x1e')) {
      if (!line.includes('migration_state_updated')) continue;
      const m = /"new":"([a-z_]+)"/.exec(line);
      if (m) states.push(m[1]!);
    }
  }
  return states;
}

describe.skipIf(peers === undefined)('connection migration with ngtcp2', () => {
  let fx: InteropDir;
  beforeAll(async () => {
    fx = await InteropDir.create('tquic-ngtcp2-migration-', { 'f.bin': SIZE });
  }, 30_000);

  afterAll(async () => {
    await fx?.cleanup();
  });

  for (const variant of ['change-local-addr', 'nat-rebinding'] as const) {
    it(`gtlsclient --change-local-addr=200ms${variant === 'nat-rebinding' ? ' --nat-rebinding --delay-stream=400ms' : ''} against tquic server: the server follows`, async () => {
      const qlog = fx.newOut();
      const s = await startTquicServer(['--cert', fx.cert, '--key', fx.key, '--root', fx.www, '--alpn', 'h3', '--qlog-dir', qlog]);
      fx.servers.push(s.server);
      const out = fx.newOut();
      // gtlsclient's --nat-rebinding only changes its socket: it drops what still arrives at the old
      // one and sends nothing on its own, so the request is held back (--delay-stream) until
      // after the change; its first packets from the new address then move the server there.
      const args =
        variant === 'nat-rebinding'
          ? ['--change-local-addr=200ms', '--nat-rebinding', '--delay-stream=400ms']
          : ['--change-local-addr=200ms', '--max-data=1000000', '--max-stream-data-bidi-local=500000'];
      const r = await gtlsClient(peers!.client, s.port, [`https://127.0.0.1:${s.port}/f.bin`], out, args);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expect(sha256Hex(readFileSync(join(out, 'f.bin')))).toBe(fx.hashes.get('f.bin'));
      // The server moved to the client's new address and validated it (RFC 9000 §9.3).
      await expect.poll(() => migrationStates(qlog, '_server.sqlog'), { timeout: 5000 }).toContain('migration_complete');
      expect(migrationStates(qlog, '_server.sqlog')).toContain('migration_started');
    }, 60_000);
  }

  it('gtlsclient moves to the preferred address of tquic server --preferred-address', async () => {
    const port2 = await freeUdpPort();
    const qlog = fx.newOut();
    const s = await startTquicServer(['--cert', fx.cert, '--key', fx.key, '--root', fx.www, '--alpn', 'h3', '--qlog-dir', qlog, '--preferred-address', `127.0.0.1:${port2}`]);
    fx.servers.push(s.server);
    const out = fx.newOut();
    const r = await gtlsClient(peers!.client, s.port, [`https://127.0.0.1:${s.port}/f.bin`], out);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha256Hex(readFileSync(join(out, 'f.bin')))).toBe(fx.hashes.get('f.bin'));
    // The server now answers from its preferred address (RFC 9000 §9.6).
    const serverLog = (): string => {
      const f = readdirSync(qlog).find((n) => n.endsWith('_server.sqlog'));
      return f === undefined ? '' : readFileSync(join(qlog, f), 'utf8');
    };
    await expect.poll(serverLog, { timeout: 5000 }).toContain(`"tuple_local":{"ip_v4":"127.0.0.1","port_v4":${port2}}`);
  }, 60_000);

  it('tquic client moves to the preferred address of gtlsserver --preferred-ipv4-addr', async () => {
    const port = await freeUdpPort();
    let port2 = await freeUdpPort();
    while (port2 === port) port2 = await freeUdpPort();
    const gtls = await startGtlsServer(peers!.server, { www: fx.www, key: fx.key, cert: fx.cert, port, args: [`--preferred-ipv4-addr=127.0.0.1:${port2}`] });
    fx.servers.push(gtls);
    const out = fx.newOut();
    const qlog = fx.newOut();
    const r = await tquic(['client', `https://127.0.0.1:${port}/f.bin`, '--insecure', '--output', out, '--qlog-dir', qlog, '--verbose']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha256Hex(readFileSync(join(out, 'f.bin')))).toBe(fx.hashes.get('f.bin'));
    expect(r.err).toContain(`path preferred_address validated: `);
    expect(r.err).toContain(`-> 127.0.0.1:${port2}`);
    // RFC 9000 §9.6.1: the preferred address is validated before the client moves there.
    expect(migrationStates(qlog, '_client.sqlog')).toEqual(['probing_started', 'probing_successful']);
  }, 60_000);

  it('tquic client --migrate-after against gtlsserver: a new local port mid-download', async () => {
    const port = await freeUdpPort();
    const gtls = await startGtlsServer(peers!.server, { www: fx.www, key: fx.key, cert: fx.cert, port });
    fx.servers.push(gtls);
    const out = fx.newOut();
    const r = await tquic(['client', `https://127.0.0.1:${port}/f.bin`, '--insecure', '--output', out, '--migrate-after', '0.05', '--verbose']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha256Hex(readFileSync(join(out, 'f.bin')))).toBe(fx.hashes.get('f.bin'));
    expect(r.err).toMatch(/migrated to local port \d+/);
    expect(r.err).toContain('path active validated');
  }, 60_000);
});
