/**
 * Connection migration on sockets (RFC 9000 §9): `QuicConnection.migrate()` to a new local port,
 * and a server's preferred address (§9.6) bound as a second socket.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicStream } from '../../src/index.js';
import type { PathChange } from '../../src/io/index.js';
import { devCert, pattern, readAll, until } from './helpers.js';

async function echo(conn: QuicConnection, body: Buffer): Promise<Buffer> {
  const st = await conn.openStream();
  const reply = readAll(st);
  st.end(body);
  return reply;
}

function echoServer(sconn: QuicConnection): void {
  sconn.on('stream', (st: QuicStream) => {
    st.on('error', () => {});
    st.pipe(st);
  });
}

describe('io: connection migration', () => {
  it('the client moves to a new local port mid-transfer; the server follows', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['mig'] });
    const accepted = once(server, 'connection');
    const client = await connect({ host: '127.0.0.1', port: server.address.port, localAddress: '127.0.0.1', alpn: ['mig'], ca: c.certPem });
    const [sconn] = (await accepted) as [QuicConnection];
    echoServer(sconn);
    const clientChanges: PathChange[] = [];
    const serverChanges: PathChange[] = [];
    client.on('pathChange', (p) => clientChanges.push(p));
    sconn.on('pathChange', (p) => serverChanges.push(p));
    try {
      const first = pattern(100_000, 1);
      expect((await echo(client, first)).equals(first)).toBe(true);
      await until(() => client.core.handshakeConfirmed, 2000, 'handshake confirmed');
      const before = client.localAddress;
      const body = pattern(400_000, 2);
      const reply = echo(client, body);
      const local = await client.migrate();
      expect(local.port).not.toBe(before.port);
      expect(client.localAddress).toEqual(local);
      expect((await reply).equals(body)).toBe(true);
      await until(() => clientChanges.some((p) => p.state === 'validated') && serverChanges.some((p) => p.state === 'validated'), 3000, 'both sides validated');
      expect(clientChanges.map((p) => p.state)).toEqual(['validating', 'validated']);
      expect(sconn.remoteAddress).toEqual(local);
      const after = pattern(50_000, 3);
      expect((await echo(client, after)).equals(after)).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('the client moves to the server preferred address (a second socket)', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['mig'], preferredAddress: { host: '127.0.0.1' } });
    const accepted = once(server, 'connection');
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['mig'], ca: c.certPem });
    const [sconn] = (await accepted) as [QuicConnection];
    echoServer(sconn);
    const changes: PathChange[] = [];
    client.on('pathChange', (p) => changes.push(p));
    try {
      const body = pattern(300_000, 4);
      expect((await echo(client, body)).equals(body)).toBe(true);
      await until(() => changes.some((p) => p.state === 'validated'), 3000, 'preferred address validated');
      expect(changes[0]!.reason).toBe('preferred_address');
      expect(client.remoteAddress.port).not.toBe(server.address.port);
      expect(sconn.localAddress).toEqual(client.remoteAddress);
      const more = pattern(100_000, 5);
      expect((await echo(client, more)).equals(more)).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
