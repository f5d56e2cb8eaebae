/**
 * Retry (RFC 9000 §8.1.2, §17.2.5) against ngtcp2:
 * - tquic client against `gtlsserver -V` (which validates every client address with Retry):
 *   it follows the Retry, checks retry_source_connection_id and downloads a file;
 * - gtlsclient against `tquic server --retry`: the server sends a Retry, gtlsclient echoes the
 *   token, the download completes and the server reports the connection as after Retry.
 *
 * Skipped without the binaries (a message says why); failing instead with TQUIC_REQUIRE_PEERS=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, gtlsClient, ngtcp2, outputDirs, sha256Hex, startGtlsServer, startTquicServer, tquic, type PeerProcess, InteropDir } from '../support/peers.js';

const peers = ngtcp2();

let dir: string;
let www: string;
let hash = '';
const newOut = outputDirs(() => dir);

describe.skipIf(peers === undefined)('Retry with ngtcp2', () => {
  const servers: PeerProcess[] = [];

  let fx: InteropDir | undefined;
  beforeAll(async () => {
    fx = await InteropDir.create('tquic-ngtcp2-retry-', { 'f.bin': 200_000 });
    dir = fx.dir;
    www = fx.www;
    hash = fx.hashes.get('f.bin')!;
  }, 30_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await fx?.cleanup();
  });

  it('tquic client follows the Retry of gtlsserver -V and downloads the file', async () => {
    const port = await freeUdpPort();
    const gtls = await startGtlsServer(peers!.server, { www, key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), port, args: ['-V'] });
    servers.push(gtls);
    const out = newOut();
    const qlog = newOut();
    const r = await tquic(['client', `https://127.0.0.1:${port}/f.bin`, '--insecure', '--output', out, '--qlog-dir', qlog]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha256Hex(readFileSync(join(out, 'f.bin')))).toBe(hash);
    const log = readFileSync(join(qlog, readdirSync(qlog).find((f) => f.endsWith('_client.sqlog'))!), 'utf8');
    expect(log).toMatch(/"packet_type":"retry"/);
  }, 30_000);

  it('gtlsclient against tquic server --retry: Retry sent, token echoed, file downloaded', async () => {
    const qlog = newOut();
    const s = await startTquicServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--root', www, '--alpn', 'h3', '--verbose', '--retry', '--qlog-dir', qlog]);
    servers.push(s.server);
    const out = newOut();
    const r = await gtlsClient(peers!.client, s.port, [`https://127.0.0.1:${s.port}/f.bin`], out);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha256Hex(readFileSync(join(out, 'f.bin')))).toBe(hash);
    await expect.poll(() => s.server.err).toMatch(/connection from .*, after Retry/);
    const serverLog = (): string => {
      const f = readdirSync(qlog).find((n) => n.endsWith('_server.sqlog'));
      return f === undefined ? '' : readFileSync(join(qlog, f), 'utf8');
    };
    await expect.poll(serverLog).toMatch(/"packet_type":"retry"/);
  }, 30_000);
});
