/**
 * Multipath on real sockets (draft-ietf-quic-multipath-21): a client with local addresses
 * 127.0.0.1 and 127.0.0.2 downloads 50 MB over two paths, each carrying at least 20%.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type PathEvent, type QuicConnection, type QuicStream } from '../../src/index.js';
import { canBind, devCert, pattern, sha256, until } from './helpers.js';

const SIZE = 50 << 20;

describe('io: multipath', () => {
  it('a client on 127.0.0.1 and 127.0.0.2 downloads 50 MB over two paths, each carrying >= 20% of the bytes', async (ctx) => {
    if (!(await canBind('127.0.0.2'))) return ctx.skip('127.0.0.2 cannot be bound on this machine');
    const c = await devCert();
    const body = pattern(SIZE, 7);
    const server = await listen({ host: '127.0.0.1', port: 0, cert: c.certPem, key: c.keyPem, alpn: ['mp'], multipath: { maxPathId: 4 } });
    server.on('connection', (conn: QuicConnection) =>
      conn.on('stream', (st: QuicStream) => {
        st.on('error', () => {});
        st.resume();
        st.end(body);
      }),
    );
    const accepted = once(server, 'connection');
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['mp'], ca: c.certPem, multipath: { maxPathId: 4 } });
    const [sconn] = (await accepted) as [QuicConnection];
    const events: PathEvent[] = [];
    client.on('path', (e) => events.push(e));
    try {
      await until(() => client.core.handshakeConfirmed, 3000, 'handshake confirmed');
      const id = await client.openPath({ local: { host: '127.0.0.2' } });
      expect(id).toBe(1);
      await until(() => events.some((e) => e.kind === 'validated'), 3000, 'path 1 validated');
      const st = await client.openStream();
      st.end('GET');
      const chunks: Buffer[] = [];
      for await (const chunk of st) chunks.push(chunk as Buffer);
      const got = Buffer.concat(chunks);
      expect(got.length).toBe(SIZE);
      expect(sha256(got)).toBe(sha256(body));
      const paths = sconn.stats().paths!;
      const total = paths.reduce((n, p) => n + p.bytesSent, 0);
      for (const p of paths) expect(p.bytesSent / total, `path ${p.id}: ${p.bytesSent} of ${total}`).toBeGreaterThanOrEqual(0.2);
      expect(paths.find((p) => p.id === 1)!.remote.host).toBe('127.0.0.2');
    } finally {
      await client.close();
      await server.close();
    }
  }, 60_000);
});
