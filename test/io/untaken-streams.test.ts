/**
 * Streams the peer opened that the application never took (no 'stream' listener, nobody
 * iterating `incomingStreams()`) must not take the process down when they fail: Node throws an
 * 'error' event nobody listens to, and nobody could have listened to these.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicServer, type QuicStream, type QuicStreamError } from '../../src/index.js';
import { collectUncaught, devCert, until, writeAcked } from './helpers.js';

let server: QuicServer | undefined;
let client: QuicConnection | undefined;

async function pair(alpn: string): Promise<{ client: QuicConnection; sconn: QuicConnection }> {
  const c = await devCert();
  server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: [alpn] });
  const accepted = once(server, 'connection');
  client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: [alpn], ca: c.certPem });
  const [sconn] = (await accepted) as [QuicConnection];
  return { client, sconn };
}

/** Opens a stream and writes to it until the peer acknowledged the bytes (so it saw the stream). */
async function openAndDeliver(conn: QuicConnection, body = 'hello'): Promise<QuicStream> {
  const st = await conn.openStream();
  st.on('error', () => {});
  await writeAcked(conn, st, body);
  return st;
}

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

describe('io: incoming streams the application never took', () => {
  it('do not crash the process when the connection closes with an error code', async () => {
    const { client, sconn } = await pair('ut-close');
    const { uncaught } = await collectUncaught(async () => {
      await openAndDeliver(client);
      await openAndDeliver(client);
      await client.close(42, 'gone');
      await sconn.closed;
    });
    expect(uncaught).toEqual([]);
    // Still there for whoever comes for them, destroyed, with the error they would have emitted.
    const it = sconn.incomingStreams();
    const taken: QuicStream[] = [];
    for await (const st of it) taken.push(st);
    expect(taken.map((s) => s.id)).toEqual([0, 4]);
    for (const st of taken) {
      expect(st.destroyed).toBe(true);
      expect(st.errored).toMatchObject({ code: 'ERR_QUIC_CONNECTION_CLOSED', errorCode: 42 });
    }
  });

  it('do not crash the process when the peer resets them or sends STOP_SENDING', async () => {
    const { client, sconn } = await pair('ut-reset');
    const { uncaught } = await collectUncaught(async () => {
      const a = await openAndDeliver(client);
      const b = await openAndDeliver(client);
      a.reset(7);
      b.stopSending(9);
      await until(() => a.destroyed && b.destroyed, 2000, 'both streams answered by the server');
    });
    expect(uncaught).toEqual([]);
    const it = sconn.incomingStreams();
    const a = (await it.next()).value as QuicStream;
    const b = (await it.next()).value as QuicStream;
    expect(a.destroyed).toBe(true);
    expect(a.errored).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: 7 } satisfies Partial<QuicStreamError>);
    expect(b.destroyed).toBe(true);
    expect(b.errored).toMatchObject({ code: 'ERR_QUIC_STOP_SENDING', errorCode: 9 } satisfies Partial<QuicStreamError>);
    await it.return?.();
  });

  it('streams the application took report their errors to it as before', async () => {
    const { client, sconn } = await pair('ut-taken');
    const it = sconn.incomingStreams();
    const next = it.next();
    const a = await openAndDeliver(client);
    const st = (await next).value as QuicStream;
    // Only the application's own 'error' listener remains once the stream was handed out.
    expect(st.listenerCount('error')).toBe(0);
    const err = new Promise<QuicStreamError>((resolve) => st.on('error', (e) => resolve(e as QuicStreamError)));
    a.reset(5);
    expect(await err).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: 5 });

    // Through a 'stream' listener as well.
    const viaEvent = new Promise<QuicStreamError>((resolve) =>
      sconn.once('stream', (s) => {
        expect(s.listenerCount('error')).toBe(0);
        s.on('error', (e) => resolve(e as QuicStreamError));
      }),
    );
    const b = await openAndDeliver(client);
    b.reset(6);
    expect(await viaEvent).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: 6 });
    await it.return?.();
  });
});
