/** Path MTU discovery on real sockets (RFC 9000 §14.3): loopback carries the 1452-byte ceiling. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicStream } from '../../src/index.js';
import { devCert, pattern, readAll, until } from './helpers.js';

describe('io: path MTU discovery', () => {
  it('over loopback both ends grow from 1200 to the ceiling; with discovery off the configured size is used from the start', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['mtu'] });
    server.on('connection', (conn: QuicConnection) =>
      conn.on('stream', (st: QuicStream) => {
        st.on('error', () => {});
        st.pipe(st);
      }),
    );
    try {
      for (const transport of [undefined, { pmtud: false, maxDatagramSize: 1350 }]) {
        const accepted = once(server, 'connection');
        const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['mtu'], ca: c.certPem, ...(transport ? { transport } : {}) });
        const [sconn] = (await accepted) as [QuicConnection];
        try {
          const st = await client.openStream();
          const reply = readAll(st);
          const body = pattern(300_000, 1);
          st.end(body);
          expect((await reply).equals(body)).toBe(true);
          if (transport === undefined) {
            await until(() => client.stats().pmtu.current === 1452 && sconn.stats().pmtu.current === 1452, 3000, 'both ends at 1452');
            expect(client.stats().pmtu).toMatchObject({ state: 'complete', probesLost: 0, blackHoles: 0 });
          } else {
            expect(client.stats().pmtu).toMatchObject({ current: 1350, state: 'disabled', probesSent: 0 });
          }
        } finally {
          await client.close();
        }
      }
    } finally {
      await server.close();
    }
  });
});
