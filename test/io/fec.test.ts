/** Forward error correction on real sockets: the io options reach the core, both ends protect what they send. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicStream } from '../../src/index.js';
import { devCert, pattern, readAll } from './helpers.js';

describe('io: FEC', () => {
  it('an echo over loopback with RS at both ends: every data packet protected, the bytes intact', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['fec'], fec: { scheme: 'rs', ratio: '8:2' } });
    server.on('connection', (conn: QuicConnection) =>
      conn.on('stream', (st: QuicStream) => {
        st.on('error', () => {});
        st.pipe(st);
      }),
    );
    try {
      const accepted = once(server, 'connection');
      const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['fec'], ca: c.certPem, fec: { scheme: 'xor' } });
      const [sconn] = (await accepted) as [QuicConnection];
      try {
        const st = await client.openStream();
        const reply = readAll(st);
        const body = pattern(400_000, 3);
        st.end(body);
        expect((await reply).equals(body)).toBe(true);
        const cs = client.stats().fec!;
        const ss = sconn.stats().fec!;
        expect(cs).toMatchObject({ encoder: 'xor', decoder: 'rs' });
        expect(ss).toMatchObject({ encoder: 'rs', decoder: 'xor' });
        expect(cs.sourcesSent).toBeGreaterThan(250);
        expect(ss.sourcesSent).toBeGreaterThan(250);
        expect(ss.repairsSent).toBeGreaterThan(ss.sourcesSent / 8);
        expect(cs.repairsReceived).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
    } finally {
      await server.close();
    }
  });

  it('rejects bad FEC options up front', async () => {
    await expect(connect({ host: '127.0.0.1', port: 9, alpn: ['x'], fec: { scheme: 'nope' as 'rs' } })).rejects.toThrow(/unknown FEC scheme/);
    await expect(connect({ host: '127.0.0.1', port: 9, alpn: ['x'], fec: { ratio: '10' } })).rejects.toThrow(/k:r/);
  });
});
