/** Session resumption and 0-RTT (RFC 9001 §4.5, §4.6) through the public API on loopback. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicStream } from '../../src/index.js';
import { encodeSession, MemorySessionStore, type ClientSession } from '../../src/io/index.js';
import { devCert, pattern, readAll } from './helpers.js';

describe('io: resumption and 0-RTT', () => {
  it('a second connection resumes and sends its request in 0-RTT; the server answers it', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['rt'], earlyData: true });
    const serverConns: QuicConnection[] = [];
    server.on('connection', (qc) => {
      serverConns.push(qc);
      qc.on('stream', (st: QuicStream) => {
        st.on('error', () => {});
        st.pipe(st);
      });
    });
    const store = new MemorySessionStore();
    const opts = { host: '127.0.0.1', port: server.address.port, alpn: ['rt'], ca: c.certPem, serverName: 'localhost', sessionStore: store };
    try {
      const first = await connect(opts);
      const [session] = (await once(first, 'session')) as [ClientSession];
      expect(typeof encodeSession(session)).toBe('string');
      expect(first.resumed).toBe(false);
      await first.close();
      expect(store.size).toBe(1);

      const second = await connect({ ...opts, earlyData: true });
      // connect resolved with the 0-RTT keys, before the handshake completed.
      expect(second.handshakeInfo).toBeUndefined();
      const st = await second.openStream();
      const body = pattern(50_000, 3);
      const reply = readAll(st);
      st.end(body);
      expect((await reply).equals(body)).toBe(true);
      expect(second.resumed).toBe(true);
      expect(second.earlyDataAccepted).toBe(true);
      expect(second.handshakeInfo?.peerCertificates).toHaveLength(0);
      expect(serverConns[1]?.earlyDataAccepted).toBe(true);
      await second.close();
    } finally {
      await server.close();
    }
  });
});
