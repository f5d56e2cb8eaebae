/**
 * QUIC v2 over loopback sockets: compatible negotiation v1 → v2 (RFC 9368 §2.3, RFC 9369 §4),
 * a client starting in v2, and Version Negotiation from a server that accepts only v1.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicServer } from '../../src/index.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import { devCert, pattern, readAll, sha256 } from './helpers.js';

/** The server echoes each stream; the client sends 100 kB and checks what comes back. */
async function echoRoundTrip(client: QuicConnection): Promise<void> {
  const data = pattern(100_000, 7);
  const st = await client.openStream();
  const reply = readAll(st);
  st.end(data);
  expect(sha256(await reply)).toBe(sha256(data));
}

function serveEcho(server: QuicServer): void {
  server.on('connection', (c: QuicConnection) => {
    c.on('stream', (st) => {
      st.pipe(st);
    });
  });
}

describe('io: QUIC versions', () => {
  let v2First: QuicServer;
  let v1Only: QuicServer;
  let certPem: string;

  beforeAll(async () => {
    const c = await devCert();
    certPem = c.certPem;
    v2First = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'], versions: [QUIC_V2, QUIC_V1] });
    v1Only = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'], versions: [QUIC_V1] });
    serveEcho(v2First);
    serveEcho(v1Only);
  });
  afterAll(async () => {
    await Promise.all([v2First.close(), v1Only.close()]);
  });

  it('a v1 client offering v2 ends up in v2 with a server preferring v2', async () => {
    const accepted = once(v2First, 'connection');
    const conn = await connect({ host: '127.0.0.1', port: v2First.address.port, alpn: ['tq'], ca: certPem });
    const [sconn] = (await accepted) as [QuicConnection];
    expect(conn.version).toBe(QUIC_V2);
    expect(sconn.version).toBe(QUIC_V2);
    await echoRoundTrip(conn);
    await conn.close();
  });

  it('a client starting in v2', async () => {
    const conn = await connect({ host: '127.0.0.1', port: v2First.address.port, alpn: ['tq'], ca: certPem, version: QUIC_V2, crypto: 'noble' });
    expect(conn.version).toBe(QUIC_V2);
    expect(conn.core.versionNegotiation.vnVersions).toBeUndefined();
    await echoRoundTrip(conn);
    await conn.close();
  });

  it('a v2 client gets Version Negotiation from a v1-only server and completes in v1', async () => {
    const conn = await connect({ host: '127.0.0.1', port: v1Only.address.port, alpn: ['tq'], ca: certPem, version: QUIC_V2 });
    expect(conn.core.version).toBe(QUIC_V1);
    expect(conn.core.versionNegotiation.vnVersions).toContain(QUIC_V1);
    await echoRoundTrip(conn);
    await conn.close();
  });

  it('a client with no version in common fails the connection attempt', async () => {
    const err = await connect({ host: '127.0.0.1', port: v1Only.address.port, alpn: ['tq'], ca: certPem, version: QUIC_V2, versions: [QUIC_V2] }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/version/i);
  });

  it('rejects unsupported versions in the options', async () => {
    await expect(connect({ host: '127.0.0.1', port: v1Only.address.port, alpn: ['tq'], version: 0x709a50c4 })).rejects.toThrow(RangeError);
    await expect(listen({ port: 0, cert: certPem, key: certPem, alpn: ['tq'], versions: [0xff00001d] })).rejects.toThrow(RangeError);
  });
});
