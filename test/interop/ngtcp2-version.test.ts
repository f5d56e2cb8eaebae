/**
 * Version negotiation against ngtcp2 (gtlsclient, gtlsserver), whose QUIC v2 support predates
 * RFC 9369: it speaks the draft version 0x709a50c4, which tquic does not accept.
 * - gtlsclient starting in the draft version gets Version Negotiation (RFC 9000 §6) from
 *   tquic server and completes in v1;
 * - gtlsclient against a tquic server preferring v2 stays in v1 (it offers no RFC v2);
 * - tquic client starting in v2 gets Version Negotiation from gtlsserver, restarts in v1, and
 *   then refuses to complete: gtlsserver sends no RFC 9368 version_information, which a client
 *   that reacted to Version Negotiation requires (RFC 9368 §4).
 *
 * Skipped without the binaries (a message says why); failing instead with TQUIC_REQUIRE_PEERS=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, gtlsClient, ngtcp2, startGtlsServer, startTquicServer, tquic, type PeerProcess, outputDirs, sha256Hex, InteropDir } from '../support/peers.js';

const peers = ngtcp2();
const DRAFT_V2 = '0x709a50c4';

let dir: string;
let www: string;
let hash = '';
const sha = sha256Hex;
const newOut = outputDirs(() => dir);

describe.skipIf(peers === undefined)('version negotiation with ngtcp2', () => {
  const servers: PeerProcess[] = [];

  let fx: InteropDir | undefined;
  beforeAll(async () => {
    fx = await InteropDir.create('tquic-ngtcp2-version-', { 'f.bin': 100_000 });
    dir = fx.dir;
    www = fx.www;
    hash = fx.hashes.get('f.bin')!;
  }, 30_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await fx?.cleanup();
  });

  const tquicServer = async (extra: string[] = []): Promise<{ server: PeerProcess; port: number }> => {
    const s = await startTquicServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--root', www, '--alpn', 'h3', '--verbose', ...extra]);
    servers.push(s.server);
    return s;
  };

  it('gtlsclient offering the draft v2 gets Version Negotiation from tquic server and completes in v1', async () => {
    const { server, port } = await tquicServer();
    const out = newOut();
    const r = await gtlsClient(peers!.client, port, [`https://127.0.0.1:${port}/f.bin`], out, ['-v', DRAFT_V2, '--preferred-versions', `${DRAFT_V2},v1`]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha(readFileSync(join(out, 'f.bin')))).toBe(hash);
    expect(server.err).toMatch(/connection from .*, QUIC v1/);
  }, 30_000);

  it('gtlsclient against a tquic server preferring v2 completes in v1', async () => {
    const { server, port } = await tquicServer(['--versions', 'v2,v1']);
    const out = newOut();
    const r = await gtlsClient(peers!.client, port, [`https://127.0.0.1:${port}/f.bin`], out);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(sha(readFileSync(join(out, 'f.bin')))).toBe(hash);
    expect(server.err).toMatch(/connection from .*, QUIC v1/);
  }, 30_000);

  it('tquic client starting in v2: Version Negotiation from gtlsserver, then no version_information → refused (RFC 9368 §4)', async () => {
    const port = await freeUdpPort();
    const gtls = await startGtlsServer(peers!.server, { www, key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), port });
    servers.push(gtls);
    const url = `https://127.0.0.1:${port}/f.bin`;
    const v2 = await tquic(['client', url, '--insecure', '--version', 'v2', '--output', newOut()]);
    expect(v2.code).not.toBe(0);
    expect(v2.err).toMatch(/VERSION_NEGOTIATION_ERROR/);
    // Starting in v1 (offering v2 as well) it completes.
    const out = newOut();
    const v1 = await tquic(['client', url, '--insecure', '--verbose', '--output', out]);
    expect(v1.code, `${v1.out}\n${v1.err}`).toBe(0);
    expect(v1.err).toMatch(/QUIC v1/);
    expect(sha(readFileSync(join(out, 'f.bin')))).toBe(hash);
  }, 30_000);
});
