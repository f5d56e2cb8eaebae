/**
 * Interoperability with an independent implementation: ngtcp2's HTTP/3 client and server
 * (gtlsclient, gtlsserver; GnuTLS, nghttp3) against `tquic client` and `tquic server` over
 * loopback, in both directions, with each crypto provider, each TLS cipher suite, loss and a key
 * update started by the peer. Files are random; every download is checked by SHA-256.
 *
 * Without the binaries the tests are skipped locally (a message says why) and fail in CI, where
 * .ci/run installs them and sets TQUIC_REQUIRE_PEERS=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, gtlsClient, ngtcp2, startGtlsServer, startTquicServer, tquic, type PeerProcess, outputDirs, sha256Hex } from '../support/peers.js';

const peers = ngtcp2();
const PROVIDERS = ['node', 'noble'] as const;
const FILES = { '1k.bin': 1024, '10M.bin': 10_000_000 } as const;
/** Each TLS 1.3 AEAD suite by its IANA name (tquic) and GnuTLS priority name (ngtcp2). */
const SUITES = [
  { iana: 'TLS_AES_128_GCM_SHA256', gnutls: 'AES-128-GCM' },
  { iana: 'TLS_AES_256_GCM_SHA384', gnutls: 'AES-256-GCM' },
  { iana: 'TLS_CHACHA20_POLY1305_SHA256', gnutls: 'CHACHA20-POLY1305' },
] as const;

let dir: string;
const hashes = new Map<string, string>();
let gtls: PeerProcess | undefined;
let gtlsPort = 0;
const servers = new Map<string, { server: PeerProcess; port: number }>();

const sha = sha256Hex;
const newOut = outputDirs(() => dir);
function expectFiles(out: string, names: string[], context: string): void {
  for (const n of names) expect(sha(readFileSync(join(out, n))), `${context}: ${n}`).toBe(hashes.get(n));
}
const gnutlsCiphers = (name: string): string => `NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+${name}`;

describe.skipIf(peers === undefined)('interop with ngtcp2 over HTTP/3', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tquic-ngtcp2-'));
    const www = join(dir, 'www');
    mkdirSync(www);
    for (const [name, size] of Object.entries(FILES)) {
      const b = randomBytes(size);
      writeFileSync(join(www, name), b);
      hashes.set(name, sha(b));
    }
    const cert = await tquic(['cert', '--out', dir]);
    expect(cert.code, cert.err).toBe(0);
    gtlsPort = await freeUdpPort();
    gtls = await startGtlsServer(peers!.server, { www, key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), port: gtlsPort });
    for (const p of PROVIDERS) {
      servers.set(p, await startTquicServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--root', www, '--alpn', 'h3', '--crypto', p, '--verbose']));
    }
  }, 60_000);

  afterAll(async () => {
    await gtls?.stop();
    for (const s of servers.values()) await s.server.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const urls = (port: number, names: string[]): string[] => names.map((n) => `https://127.0.0.1:${port}/${n}`);

  for (const provider of PROVIDERS) {
    it(`tquic client (${provider}) downloads 1 KB and 10 MB from gtlsserver`, async () => {
      const out = newOut();
      const r = await tquic(['client', ...urls(gtlsPort, Object.keys(FILES)), '--insecure', '--crypto', provider, '--output', out]);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expect(r.out).toMatch(/^2\/2 ok/m);
      expectFiles(out, Object.keys(FILES), `tquic client (${provider}) from gtlsserver`);
    }, 60_000);

    it(`gtlsclient downloads 1 KB and 10 MB from tquic server (${provider})`, async () => {
      const { port } = servers.get(provider)!;
      const out = newOut();
      const r = await gtlsClient(peers!.client, port, urls(port, Object.keys(FILES)), out);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expectFiles(out, Object.keys(FILES), `gtlsclient from tquic server (${provider})`);
    }, 60_000);
  }

  for (const suite of SUITES) {
    it(`${suite.iana}: tquic client offering only it downloads from gtlsserver`, async () => {
      const out = newOut();
      const r = await tquic(['client', ...urls(gtlsPort, ['1k.bin']), '--insecure', '--cipher-suites', suite.iana, '--verbose', '--output', out]);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expect(r.err).toContain(suite.iana);
      expectFiles(out, ['1k.bin'], suite.iana);
    }, 30_000);

    it(`${suite.iana}: gtlsclient offering only it downloads from tquic server`, async () => {
      const { server, port } = servers.get('node')!;
      const before = server.err.length;
      const out = newOut();
      const r = await gtlsClient(peers!.client, port, urls(port, ['1k.bin']), out, [`--ciphers=${gnutlsCiphers(suite.gnutls)}`]);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expectFiles(out, ['1k.bin'], suite.iana);
      expect(server.err.slice(before)).toMatch(new RegExp(`connection from .*, h3, ${suite.iana}`));
    }, 30_000);
  }

  it('FEC offered to ngtcp2, which does not know it: off cleanly both ways (specs/fec.md)', async () => {
    const out = newOut();
    const r = await tquic(['client', ...urls(gtlsPort, Object.keys(FILES)), '--insecure', '--fec', 'rs', '--output', out]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.err).toContain('the server does not offer FEC');
    expectFiles(out, Object.keys(FILES), 'tquic client --fec rs from gtlsserver');
    const www = join(dir, 'www');
    const fecServer = await startTquicServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--root', www, '--alpn', 'h3', '--fec', 'rs', '--fec-ratio', '5:1']);
    try {
      const out2 = newOut();
      const r2 = await gtlsClient(peers!.client, fecServer.port, urls(fecServer.port, Object.keys(FILES)), out2);
      expect(r2.code, `${r2.out}\n${r2.err}`).toBe(0);
      expectFiles(out2, Object.keys(FILES), 'gtlsclient from tquic server --fec rs');
    } finally {
      await fecServer.server.stop();
    }
  }, 90_000);

  it('gtlsclient losing 5% of packets each way still completes against tquic server', async () => {
    const { port } = servers.get('node')!;
    const out = newOut();
    const r = await gtlsClient(peers!.client, port, urls(port, Object.keys(FILES)), out, ['--tx-loss=0.05', '--rx-loss=0.05'], 120_000);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expectFiles(out, Object.keys(FILES), 'with 5% loss');
  }, 120_000);

  it('a key update started by gtlsclient mid-download is followed by tquic server (RFC 9001 §6)', async () => {
    const qlogDir = join(dir, 'qlog-keyupdate');
    const { server, port } = await startTquicServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--root', join(dir, 'www'), '--alpn', 'h3', '--qlog-dir', qlogDir]);
    try {
      const out = newOut();
      const r = await gtlsClient(peers!.client, port, urls(port, ['10M.bin']), out, ['--key-update=50ms']);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expectFiles(out, ['10M.bin'], 'across a key update');
    } finally {
      await server.stop();
    }
    // The server's qlog: the peer's update, read and write keys both moved to generation 1.
    const files = readdirSync(qlogDir).filter((f) => f.endsWith('_server.sqlog'));
    expect(files).toHaveLength(1);
    const updates = readFileSync(join(qlogDir, files[0]!), 'utf8')
      .split('\x1e')
      .filter((rec) => rec.includes('"quic:key_updated"'))
      .map((rec) => JSON.parse(rec).data);
    expect(updates).toEqual([
      { key_type: 'client_1rtt_secret', key_phase: 1, trigger: 'remote_update' },
      { key_type: 'server_1rtt_secret', key_phase: 1, trigger: 'remote_update' },
    ]);
  }, 60_000);

  it('a key update started by tquic client mid-download is followed by gtlsserver', async () => {
    const qlogDir = join(dir, 'qlog-keyupdate-client');
    const out = newOut();
    const r = await tquic(['client', ...urls(gtlsPort, ['10M.bin']), '--insecure', '--key-update', '--verbose', '--qlog-dir', qlogDir, '--output', out]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.err).toContain('key update started');
    expectFiles(out, ['10M.bin'], 'across a key update');
    const files = readdirSync(qlogDir).filter((f) => f.endsWith('_client.sqlog'));
    const updates = readFileSync(join(qlogDir, files[0]!), 'utf8')
      .split('\x1e')
      .filter((rec) => rec.includes('"quic:key_updated"'))
      .map((rec) => JSON.parse(rec).data);
    // Ours first (write side), then gtlsserver's answer in the new phase (read side).
    expect(updates).toEqual([
      { key_type: 'client_1rtt_secret', key_phase: 1, trigger: 'local_update' },
      { key_type: 'server_1rtt_secret', key_phase: 1, trigger: 'local_update' },
    ]);
  }, 60_000);
});
