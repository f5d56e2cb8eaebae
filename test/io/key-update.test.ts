/** 1-RTT key update (RFC 9001 §6) through the public API: `updateKeys()` and 'keyUpdate'. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicStream } from '../../src/index.js';
import type { KeyUpdate } from '../../src/io/index.js';
import { devCert, pattern, readAll, until } from './helpers.js';

/** One echo round trip on a fresh bidirectional stream. */
async function echo(conn: QuicConnection, body: Buffer): Promise<Buffer> {
  const st = await conn.openStream();
  const reply = readAll(st);
  st.end(body);
  return reply;
}

describe('io: key update', () => {
  it('two endpoints complete a key update started by the client, and data keeps flowing', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['ku'] });
    const accepted = once(server, 'connection');
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['ku'], ca: c.certPem });
    const [sconn] = (await accepted) as [QuicConnection];
    sconn.on('stream', (st: QuicStream) => {
      st.on('error', () => {});
      st.pipe(st);
    });
    const clientUpdates: KeyUpdate[] = [];
    const serverUpdates: KeyUpdate[] = [];
    client.on('keyUpdate', (u) => clientUpdates.push(u));
    sconn.on('keyUpdate', (u) => serverUpdates.push(u));
    try {
      // RFC 9001 §6.1: not before the handshake is confirmed (the client learns it from
      // HANDSHAKE_DONE, which has not arrived when connect() resolves).
      expect(client.updateKeys()).toBe(false);

      const before = pattern(200_000, 1);
      expect((await echo(client, before)).equals(before)).toBe(true);
      await until(() => client.stats().bytesInFlight === 0, 2000, 'data acknowledged');

      expect(client.updateKeys()).toBe(true);
      // The update is in progress until the peer answers in the new key phase.
      expect(client.updateKeys()).toBe(false);

      const after = pattern(300_000, 2);
      expect((await echo(client, after)).equals(after)).toBe(true);
      await until(() => clientUpdates.length > 0 && serverUpdates.length > 0, 2000, 'keyUpdate on both sides');
      expect(clientUpdates).toEqual([{ initiator: 'local', generation: 1 }]);
      expect(serverUpdates).toEqual([{ initiator: 'remote', generation: 1 }]);
      expect(client.stats().keyUpdates).toEqual({ local: 1, remote: 0 });
      expect(sconn.stats().keyUpdates).toEqual({ local: 0, remote: 1 });

      // And once more on the new keys.
      const more = pattern(100_000, 3);
      expect((await echo(client, more)).equals(more)).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
