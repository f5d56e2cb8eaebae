/**
 * The server's limits over loopback sockets: `listen({ maxConnections })` reaches the endpoint,
 * which refuses one connection more statelessly with CONNECTION_REFUSED (RFC 9000 §5.2.2); the
 * client sees ERR_QUIC_HANDSHAKE_FAILED with that code; `server.stats()` counts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, QuicError, type QuicConnection, type QuicServer } from '../../src/index.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { devCert } from './helpers.js';

describe('io: server limits', () => {
  let server: QuicServer;
  let certPem: string;

  beforeAll(async () => {
    const c = await devCert();
    certPem = c.certPem;
    server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'], maxConnections: 1, retry: 'never' });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('maxConnections: one more connection is refused with CONNECTION_REFUSED, without state; stats() counts it', async () => {
    const opts = { host: '127.0.0.1', port: server.address.port, alpn: ['tq'], ca: certPem, serverName: 'localhost' };
    const first: QuicConnection = await connect(opts);
    try {
      const before = server.stats();
      expect(before.connections).toBe(1);
      expect(before.refused.connections).toBe(0);
      const err = await connect(opts).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(QuicError);
      expect((err as QuicError).code).toBe('ERR_QUIC_HANDSHAKE_FAILED');
      expect((err as QuicError).closeInfo?.code).toBe(ErrorCode.CONNECTION_REFUSED);
      const after = server.stats();
      expect(after.refused.connections).toBe(1);
      expect(after.endpointConnections).toBe(1);
      expect(after.receiveErrors).toBe(0);
      expect(after.datagramsReceived).toBeGreaterThan(before.datagramsReceived);
    } finally {
      await first.close();
    }
  });
});
