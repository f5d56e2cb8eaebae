/**
 * Session resumption and 0-RTT (RFC 9001 §4.5, §4.6) with ngtcp2 over HTTP/3: gtlsclient
 * storing its session and transport parameters (--session-file, --tp-file) resumes against
 * `tquic server --early-data` and sends its requests in 0-RTT; `tquic client --session-file`
 * resumes against gtlsserver, with --early-data too. Every download is checked by SHA-256.
 *
 * Skipped locally without the binaries (a message says why); CI requires them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, gtlsClient, ngtcp2, outputDirs, sha256Hex, startGtlsServer, startTquicServer, tquic, type PeerProcess } from '../support/peers.js';

const peers = ngtcp2();
const FILES = { 'a.bin': 20_000, 'b.bin': 300_000 } as const;

let dir: string;
let www: string;
const hashes = new Map<string, string>();
const newOut = outputDirs(() => dir);
const sameAs = (out: string, name: string): boolean => sha256Hex(readFileSync(join(out, name))) === hashes.get(name);

describe.skipIf(peers === undefined)('resumption and 0-RTT with ngtcp2', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tquic-ngtcp2-resume-'));
    www = join(dir, 'www');
    mkdirSync(www);
    for (const [name, size] of Object.entries(FILES)) {
      const b = randomBytes(size);
      writeFileSync(join(www, name), b);
      hashes.set(name, sha256Hex(b));
    }
    const cert = await tquic(['cert', '--out', dir]);
    expect(cert.code, cert.err).toBe(0);
  }, 30_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gtlsclient resumes against tquic server --early-data and sends its requests in 0-RTT', async () => {
    const { server, port } = await startTquicServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--root', www, '--alpn', 'h3', '--early-data', '--verbose']);
    try {
      const session = join(dir, 'gtls-session.pem');
      const tp = join(dir, 'gtls-tp');
      const url = (n: string): string => `https://127.0.0.1:${port}/${n}`;
      const out1 = newOut();
      const r1 = await gtlsClient(peers!.client, port, [url('a.bin')], out1, ['--session-file', session, '--tp-file', tp]);
      expect(r1.code, r1.err).toBe(0);
      expect(sameAs(out1, 'a.bin')).toBe(true);
      expect(existsSync(session) && existsSync(tp)).toBe(true);
      const out2 = newOut();
      const r2 = await gtlsClient(peers!.client, port, [url('b.bin'), url('a.bin')], out2, ['--session-file', session, '--tp-file', tp]);
      expect(r2.code, r2.err).toBe(0);
      expect(sameAs(out2, 'a.bin') && sameAs(out2, 'b.bin')).toBe(true);
      const lines = server.err.split('\n').filter((l) => l.includes('connection from'));
      expect(lines).toHaveLength(2);
      expect(lines[0]).not.toMatch(/resumed/);
      expect(lines[1]).toMatch(/resumed, 0-RTT accepted/);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('tquic client --session-file resumes against gtlsserver, with --early-data too', async () => {
    const port = await freeUdpPort();
    let gtls: PeerProcess | undefined;
    try {
      gtls = await startGtlsServer(peers!.server, { www, key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), port });
      const session = join(dir, 'tquic-session.json');
      const url = (n: string): string => `https://127.0.0.1:${port}/${n}`;
      const client = (out: string, extra: string[], ...names: string[]): ReturnType<typeof tquic> =>
        tquic(['client', '--insecure', '--alpn', 'h3', '--verbose', '--session-file', session, '-o', out, ...extra, ...names.map(url)]);
      const out1 = newOut();
      const r1 = await client(out1, [], 'a.bin');
      expect(r1.code, r1.err).toBe(0);
      expect(sameAs(out1, 'a.bin')).toBe(true);
      expect(existsSync(session)).toBe(true);
      const out2 = newOut();
      const r2 = await client(out2, [], 'b.bin');
      expect(r2.code, r2.err).toBe(0);
      expect(sameAs(out2, 'b.bin')).toBe(true);
      expect(r2.err).toMatch(/session resumed/);
      // The ticket of the second connection, now with 0-RTT.
      const out3 = newOut();
      const r3 = await client(out3, ['--early-data'], 'a.bin', 'b.bin');
      expect(r3.code, r3.err).toBe(0);
      expect(sameAs(out3, 'a.bin') && sameAs(out3, 'b.bin')).toBe(true);
      expect(r3.err).toMatch(/session resumed/);
      // The ticket allows 0-RTT; gtlsserver accepts it (GnuTLS checks the ticket age against its
      // own view of it, RFC 8446 §8.3, so the age must count from the ticket's arrival).
      expect(r3.err).toMatch(/sending 0-RTT/);
      expect(r3.err).toMatch(/0-RTT accepted/);
    } finally {
      await gtls?.stop();
    }
  }, 60_000);
});
