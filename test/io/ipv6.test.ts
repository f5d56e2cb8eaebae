/**
 * A tquic server and client over IPv6 loopback (the interop runner's ipv6 case on real
 * sockets): a transfer over [::1], and a server listening dual-stack on '::' (as
 * interop/run_endpoint.sh does) that serves an IPv6 and an IPv4 client. Skipped with a message
 * when the machine has no IPv6 loopback.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicServer } from '../../src/index.js';
import { canBind, devCert, pattern, readAll, sha256 } from './helpers.js';

const ipv6 = await canBind('::1');
if (!ipv6) console.warn('io/ipv6.test.ts: skipped, this machine has no IPv6 loopback (cannot bind a UDP socket to ::1)');

/** Serves every stream with the SHA-256 of what it read, then `size` pattern bytes. */
function serve(server: QuicServer, size: number): void {
  server.on('connection', (conn: QuicConnection) => {
    conn.on('stream', (st) => {
      // Not readAll: its async iterator destroys the stream (both sides) once the data ends.
      const chunks: Buffer[] = [];
      st.on('data', (d: Buffer) => chunks.push(d));
      st.on('end', () => {
        st.write(sha256(Buffer.concat(chunks)));
        st.end(pattern(size, 7));
      });
    });
  });
}

/** One request of `up` bytes; resolves with the response. */
async function exchange(conn: QuicConnection, up: number): Promise<Buffer> {
  const st = await conn.openStream();
  st.end(pattern(up, 3));
  return readAll(st);
}

describe.skipIf(!ipv6)('io: IPv6', () => {
  const clients: QuicConnection[] = [];
  const servers: QuicServer[] = [];
  afterEach(async () => {
    // Each close waits out its closing period (RFC 9000 §10.2): all at once.
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  }, 30_000);

  it('a server on [::1] and a client complete a transfer both ways', async () => {
    const c = await devCert();
    const server = await listen({ host: '::1', port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'] });
    servers.push(server);
    serve(server, 300_000);
    expect(server.address.host).toBe('::1');
    const accepted = once(server, 'connection');
    const client = await connect({ host: '::1', port: server.address.port, alpn: ['tq'], ca: c.certPem });
    clients.push(client);
    const [sconn] = (await accepted) as [QuicConnection];
    expect(client.remoteAddress).toEqual({ host: '::1', port: server.address.port });
    expect(sconn.remoteAddress.host).toBe('::1');
    const body = await exchange(client, 100_000);
    expect(body.subarray(0, 64).toString()).toBe(sha256(pattern(100_000, 3)));
    expect(body.subarray(64)).toEqual(pattern(300_000, 7));
  }, 20_000);

  it("a server on '::' (dual-stack) serves an IPv6 and an IPv4 client; a bracketed literal connects too", async () => {
    const c = await devCert();
    const server = await listen({ host: '::', port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'] });
    servers.push(server);
    serve(server, 50_000);
    const port = server.address.port;
    for (const host of ['::1', '[::1]', '127.0.0.1']) {
      const client = await connect({ host, port, alpn: ['tq'], ca: c.certPem });
      clients.push(client);
      expect(client.remoteAddress.host, host).toBe(host.replace(/^\[|\]$/g, ''));
      const body = await exchange(client, 1000);
      expect(body.subarray(64), host).toEqual(pattern(50_000, 7));
    }
  }, 20_000);
});
