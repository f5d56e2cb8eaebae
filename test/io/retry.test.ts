/**
 * Retry over loopback sockets (RFC 9000 §8.1.2): `listen({ retry: 'always' })` validates every
 * client with a Retry first; the connection then carries data as any other. A bad `retry`
 * value is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicServer } from '../../src/index.js';
import { devCert, pattern, readAll, sha256 } from './helpers.js';

describe('io: Retry', () => {
  let server: QuicServer;
  let certPem: string;
  const seen: QuicConnection[] = [];

  beforeAll(async () => {
    const c = await devCert();
    certPem = c.certPem;
    server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'], retry: 'always' });
    server.on('connection', (qc: QuicConnection) => {
      seen.push(qc);
      qc.on('stream', (st) => st.pipe(st));
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("retry: 'always': the client follows the Retry and the connection echoes data", async () => {
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['tq'], ca: certPem, serverName: 'localhost' });
    try {
      expect(client.core.retry.retrySourceCid).toBeDefined();
      expect(client.core.peerParams?.retrySourceConnectionId).toEqual(client.core.retry.retrySourceCid);
      const data = pattern(100_000, 3);
      const st = await client.openStream();
      const reply = readAll(st);
      st.end(data);
      expect(sha256(await reply)).toBe(sha256(data));
      expect(seen.at(-1)?.core.retry.retrySourceCid).toEqual(client.core.retry.retrySourceCid);
    } finally {
      await client.close();
    }
  });

  it('an unknown retry mode is refused', async () => {
    const c = await devCert();
    await expect(listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'], retry: 'sometimes' as 'always' })).rejects.toThrow(/retry/);
  });
});
