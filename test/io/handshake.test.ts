import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type QuicServer } from '../../src/index.js';
import { generateDevCa, generateDevCertificate } from '../../src/crypto/certgen.js';
import { parseJsonSeq } from '../../src/qlog/jsonseq.js';
import { devCert, handles, until } from './helpers.js';

describe('io: handshake', () => {
  let server: QuicServer;
  let certPem: string;

  beforeAll(async () => {
    const c = await devCert();
    certPem = c.certPem;
    server = await listen({ host: '127.0.0.1', port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq-a', 'tq-b'] });
  });
  afterAll(async () => {
    await server.close();
  });

  it('completes a handshake, negotiates ALPN and verifies the certificate against a CA', async () => {
    const accepted = new Promise((resolve) => server.once('connection', resolve));
    const conn = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['tq-b'], ca: certPem });
    expect(conn.alpn).toBe('tq-b');
    expect(conn.handshakeComplete).toBe(true);
    expect(conn.remoteAddress).toEqual({ host: '127.0.0.1', port: server.address.port });
    const sconn = (await accepted) as Awaited<ReturnType<typeof connect>>;
    expect(sconn.alpn).toBe('tq-b');
    expect(sconn.role).toBe('server');
    expect(conn.stats().smoothedRtt).toBeGreaterThan(0);
    const [ci, si] = await Promise.all([conn.close(), sconn.closed]);
    expect(ci).toMatchObject({ kind: 'application', code: 0, initiator: 'local' });
    expect(si).toMatchObject({ kind: 'application', code: 0, initiator: 'remote' });
  });

  it('refuses a certificate for another name with a readable error', async () => {
    const err = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['tq-a'], ca: certPem, serverName: 'example.com' }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_QUIC_HANDSHAKE_FAILED');
    expect(err.message).toMatch(/bad_certificate/);
    expect(err.message).toMatch(/host name mismatch/);
  });

  it('refuses a certificate from an untrusted CA', async () => {
    const otherCa = await generateDevCa();
    const err = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['tq-a'], ca: otherCa.certPem }).catch((e) => e);
    expect(err.code).toBe('ERR_QUIC_HANDSHAKE_FAILED');
    expect(err.message).toMatch(/unknown_ca/);
  });

  it('reports an ALPN mismatch', async () => {
    const err = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['nope'], insecure: true }).catch((e) => e);
    expect(err.code).toBe('ERR_QUIC_HANDSHAKE_FAILED');
    expect(err.message).toMatch(/no_application_protocol|ALPN|application protocol/i);
  });

  it('runs with the noble provider and NewReno, and rejects bad options up front', async () => {
    const conn = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['tq-a'], ca: certPem, crypto: 'noble', congestionControl: 'newreno' });
    expect(conn.alpn).toBe('tq-a');
    await conn.close();
    const base = { host: '127.0.0.1', port: server.address.port, insecure: true };
    await expect(connect({ ...base, alpn: ['x'], congestionControl: 'nope' })).rejects.toThrow(/unknown congestion controller "nope"/);
    await expect(connect({ ...base, alpn: [] })).rejects.toThrow(/alpn/);
    await expect(connect({ ...base, alpn: ['x'], crypto: 'openssl' as 'node' })).rejects.toThrow(/unknown crypto provider/);
    await expect(connect({ ...base, alpn: ['x'], transport: { maxDatagramSize: 100 } })).rejects.toThrow(/maxDatagramSize/);
    await expect(listen({ cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem', alpn: ['x'] })).rejects.toThrow(/cannot read "\/nonexistent\/cert.pem"/);
  });

  it('accepts a CA-issued leaf given the CA as trust anchor', async () => {
    const ca = await generateDevCa();
    const leaf = await generateDevCertificate({ ca, hosts: ['quic.test'] });
    const s2 = await listen({ port: 0, cert: leaf.certPem + ca.certPem, key: leaf.keyPem, alpn: ['x'] });
    try {
      const conn = await connect({ host: '127.0.0.1', port: s2.address.port, serverName: 'quic.test', alpn: ['x'], ca: ca.certPem });
      expect(conn.handshakeInfo?.peerCertificates.length).toBe(2);
      await conn.close();
    } finally {
      await s2.close();
    }
  });
});

describe('io: connect failures and shutdown', () => {
  it('rejects when aborted and releases its socket', async () => {
    const c = await devCert();
    const before = handles('UDPWrap');
    // A server that never answers: a bound socket of our own would do, but a port with nobody
    // behind it is simpler; the abort comes first.
    const ac = new AbortController();
    const p = connect({ host: '127.0.0.1', port: 9, alpn: ['x'], ca: c.certPem, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await p.catch((e) => e);
    expect(err.name).toBe('AbortError');
    await until(() => handles('UDPWrap') === before, 3000, 'client socket closed');
    const pre = new AbortController();
    pre.abort();
    await expect(connect({ host: '127.0.0.1', port: 9, alpn: ['x'], insecure: true, signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('times out a handshake nobody answers', async () => {
    const t0 = Date.now();
    const err = await connect({ host: '127.0.0.1', port: 9, alpn: ['x'], insecure: true, handshakeTimeoutMs: 200 }).catch((e) => e);
    expect(err.code).toBe('ERR_QUIC_HANDSHAKE_TIMEOUT');
    expect(err.message).toMatch(/no handshake within 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses connections beyond maxConnections with CONNECTION_REFUSED', async () => {
    const c = await devCert();
    const s = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['x'], maxConnections: 1 });
    const first = await connect({ host: '127.0.0.1', port: s.address.port, alpn: ['x'], insecure: true });
    const err = await connect({ host: '127.0.0.1', port: s.address.port, alpn: ['x'], insecure: true }).catch((e) => e);
    expect(err.code).toBe('ERR_QUIC_HANDSHAKE_FAILED');
    expect(err.message).toMatch(/CONNECTION_REFUSED/);
    expect(err.closeInfo).toMatchObject({ initiator: 'remote', code: 2 });
    await first.close();
    await s.close();
  });

  it('closes gracefully from the server side: both closed promises resolve with code 0, no handles left', async () => {
    const c = await devCert();
    const udpBefore = handles('UDPWrap');
    const s = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['x'] });
    expect(handles('UDPWrap')).toBe(udpBefore + 1);
    const conns = [];
    for (let i = 0; i < 3; i++) conns.push(await connect({ host: '127.0.0.1', port: s.address.port, alpn: ['x'], ca: c.certPem }));
    const serverSide: Promise<unknown>[] = [];
    let accepted = 0;
    const iter = (async () => {
      for await (const sc of s) {
        accepted++;
        serverSide.push(sc.closed);
      }
    })();
    await until(() => accepted === 3, 2000, 'three accepted connections');
    expect(handles('UDPWrap')).toBe(udpBefore + 4);
    await s.close();
    await iter; // the iterator ends with the server
    expect(s.isClosed).toBe(true);
    for (const info of await Promise.all(serverSide)) expect(info).toMatchObject({ kind: 'application', code: 0, initiator: 'local' });
    for (const info of await Promise.all(conns.map((x) => x.closed))) expect(info).toMatchObject({ kind: 'application', code: 0, initiator: 'remote' });
    await until(() => handles('UDPWrap') === udpBefore, 2000, 'all sockets closed');
  });

  it('reads PEM files, writes one qlog file per connection and NSS key log lines', async () => {
    const c = await devCert();
    const dir = mkdtempSync(join(tmpdir(), 'tquic-io-'));
    try {
      const keylog = join(dir, 'keys.log');
      writeFileSync(join(dir, 'cert.pem'), c.certPem);
      writeFileSync(join(dir, 'key.pem'), c.keyPem);
      const s = await listen({ port: 0, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), alpn: ['x'], qlogDir: join(dir, 'q') });
      const conn = await connect({ host: 'localhost', port: s.address.port, alpn: ['x'], ca: join(dir, 'cert.pem'), qlogDir: join(dir, 'q'), keylog, localAddress: '127.0.0.1' });
      const odcid = Buffer.from(conn.core.originalDcid).toString('hex');
      await conn.close();
      await s.close();
      const files = readdirSync(join(dir, 'q')).sort();
      expect(files).toEqual([`${odcid}_client.sqlog`, `${odcid}_server.sqlog`]);
      for (const f of files) {
        const records = parseJsonSeq(readFileSync(join(dir, 'q', f), 'utf8')) as Array<Record<string, unknown>>;
        expect(records[0]).toMatchObject({ file_schema: 'urn:ietf:params:qlog:file:sequential' });
        const names = records.slice(1).map((r) => r.name);
        expect(names).toContain('quic:connection_started');
        expect(names).toContain('quic:connection_closed');
      }
      const lines = readFileSync(keylog, 'utf8').trim().split('\n');
      expect(lines.some((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 '))).toBe(true);
      expect(lines.some((l) => l.startsWith('SERVER_HANDSHAKE_TRAFFIC_SECRET '))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
