import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type QuicConnection, type QuicServer, type QuicStream, type QuicStreamError } from '../../src/index.js';
import { devCert, pattern, readAll, sha256, until } from './helpers.js';

/** Writes `data` in `chunk`-byte pieces, honouring backpressure; returns how often write() said "wait". */
async function writeAll(st: QuicStream, data: Buffer, chunk = 64 * 1024): Promise<number> {
  let waits = 0;
  for (let off = 0; off < data.length; off += chunk) {
    if (!st.write(data.subarray(off, off + chunk))) {
      waits++;
      await once(st, 'drain');
    }
  }
  st.end();
  return waits;
}

describe('io: streams', () => {
  let server: QuicServer;
  let client: QuicConnection;
  let sconn: QuicConnection;
  const serverErrors = new Map<number, QuicStreamError>();
  const serverData = new Map<number, Buffer>();

  beforeAll(async () => {
    const c = await devCert();
    server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['tq'] });
    const accepted = once(server, 'connection');
    client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['tq'], ca: c.certPem });
    [sconn] = (await accepted) as [QuicConnection];
    // The server's application: the first byte of each stream picks a behaviour.
    sconn.on('stream', (st) => {
      st.on('error', (e) => serverErrors.set(st.id, e as QuicStreamError));
      st.once('readable', () => {
        const head = st.read(1) as Buffer | null;
        if (head === null) return;
        if (head[0] === 0x01) {
          // echo
          st.write(head);
          st.pipe(st);
        } else if (head[0] === 0x02) {
          // hash: reply with the SHA-256 of the rest
          const h = createHash('sha256');
          st.on('data', (d: Buffer) => h.update(d));
          st.on('end', () => st.end(h.digest('hex')));
        } else if (head[0] === 0x03) {
          // read the rest and keep it
          void readAll(st).then((b) => serverData.set(st.id, b), () => {});
        } else if (head[0] === 0x05) {
          // answer at once, then read the rest
          st.end('ok');
          void readAll(st).then((b) => serverData.set(st.id, b), () => {});
        } else if (head[0] === 0x04) {
          // ask the client to stop sending
          st.stopSending(9);
        }
      });
    });
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('uploads 50 MB through a Duplex intact (SHA-256)', async () => {
    const N = 50 << 20;
    const data = pattern(N, 50);
    const st = await client.openStream();
    const t0 = performance.now();
    const reply = readAll(st);
    st.write(Buffer.from([0x02]));
    await writeAll(st, data);
    const digest = (await reply).toString();
    const ms = performance.now() - t0;
    expect(digest).toBe(sha256(data));
    const s = client.stats();
    console.log(
      `50 MB upload over loopback: ${ms.toFixed(0)} ms, ${((N * 8) / ms / 1000).toFixed(1)} Mbit/s ` +
        `(${s.packetsSent} packets sent, ${s.packetsLost} lost, srtt ${(s.smoothedRtt / 1000).toFixed(2)} ms, cwnd ${s.cwnd})`,
    );
  }, 60_000);

  it('echoes on 250 concurrent bidirectional streams (more than MAX_STREAMS allows at once)', async () => {
    const n = 250;
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const st = await client.openStream();
        const body = Buffer.concat([Buffer.from([0x01]), pattern(500 + ((i * 37) % 3000), i + 1)]);
        const echoed = readAll(st);
        st.end(body);
        const got = await echoed;
        return got.equals(body);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    // Stream IDs went past the initial limit of 100: credit was raised while streams completed.
    const last = await client.openStream();
    expect(last.id).toBe(4 * (n + 1)); // stream 0 carried the upload
    last.end(Buffer.from([0x01]));
    expect((await readAll(last)).equals(Buffer.from([0x01]))).toBe(true);
  });

  it('resets: RESET_STREAM and STOP_SENDING reach the other side with their codes', async () => {
    const st = await client.openStream();
    const mirrored = new Promise<QuicStreamError>((resolve) => st.on('error', (e) => resolve(e as QuicStreamError)));
    st.write(Buffer.from([0x03, 1, 2, 3]));
    await until(() => sconn.stats().bytesReceived > 0 && client.stats().bytesInFlight === 0, 2000, 'data acknowledged');
    st.reset(7);
    await until(() => serverErrors.has(st.id), 2000, 'reset seen by the server');
    expect(serverErrors.get(st.id)).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: 7, streamId: st.id });
    // The reset destroyed the server's Duplex, whose teardown resets its own sending part with
    // the same code: the whole stream is gone.
    expect(await mirrored).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: 7 });

    const st2 = await client.openStream();
    const err = new Promise<QuicStreamError>((resolve) => st2.on('error', (e) => resolve(e as QuicStreamError)));
    st2.write(Buffer.from([0x04]));
    const chunk = pattern(16384, 3);
    const pump = setInterval(() => {
      if (!st2.destroyed) st2.write(chunk);
    }, 5);
    const e = await err;
    clearInterval(pump);
    expect(e).toMatchObject({ code: 'ERR_QUIC_STOP_SENDING', errorCode: 9, streamId: st2.id });
  });

  it('keeps queued data and the FIN when a stream is destroyed without error after end()', async () => {
    const st = await client.openStream();
    const body = pattern(1 << 20, 21);
    st.end(Buffer.concat([Buffer.from([0x05]), body]));
    // The answer ends long before the upload is acknowledged; leaving the for-await loop
    // destroys the stream.
    expect((await readAll(st)).toString()).toBe('ok');
    expect(st.destroyed).toBe(true);
    await until(() => serverData.has(st.id), 3000, 'upload read by the server');
    expect(serverData.get(st.id)!.equals(body)).toBe(true);
    expect(serverErrors.has(st.id)).toBe(false);
  });

  it('carries unidirectional streams as write-only and read-only halves', async () => {
    const st = await client.openStream({ bidirectional: false });
    expect(st.readable).toBe(false);
    expect(st.bidirectional).toBe(false);
    expect(st.id % 4).toBe(2); // client-initiated unidirectional (RFC 9000 §2.1)
    const body = pattern(100_000, 11);
    st.end(Buffer.concat([Buffer.from([0x03]), body]));
    await once(st, 'finish'); // 'finish': the peer acknowledged everything including the FIN
    await until(() => serverData.has(st.id), 2000, 'uni stream read by the server');
    expect(serverData.get(st.id)!.equals(body)).toBe(true);

    // And one the server opens: read-only here.
    const incoming = once(client, 'stream');
    const sst = await sconn.openStream({ bidirectional: false });
    sst.end(Buffer.from('from the server'));
    const [cst] = (await incoming) as [QuicStream];
    expect(cst.writable).toBe(false);
    expect(cst.local).toBe(false);
    expect((await readAll(cst)).toString()).toBe('from the server');
  });
});

describe('io: backpressure', () => {
  it('a slow reader stalls the writer (write() returns false) and the data still arrives intact', async () => {
    const c = await devCert();
    const transport = { initialMaxStreamData: 32 * 1024, maxStreamWindow: 64 * 1024, initialMaxData: 64 * 1024, maxConnectionWindow: 128 * 1024, sendBufferSize: 64 * 1024 };
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['bp'], transport });
    const accepted = once(server, 'connection');
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['bp'], insecure: true, transport });
    const [sconn] = (await accepted) as [QuicConnection];
    const incoming = once(sconn, 'stream');
    const data = pattern(2 << 20, 99);
    const st = await client.openStream({ writableHighWaterMark: 16 * 1024 });
    const writing = writeAll(st, data, 16 * 1024);
    const [sst] = (await incoming) as [QuicStream];
    sst.pause();
    // Nobody reads for a while: the receiver holds at most its flow-control windows.
    await new Promise((r) => setTimeout(r, 300));
    const received = sconn.stats().bytesReceived;
    expect(received).toBeLessThan(512 * 1024);
    expect(st.writableLength).toBeGreaterThan(0);
    // Now read slowly, a chunk every few milliseconds.
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve) => sst.on('end', resolve));
    const slow = setInterval(() => {
      for (let i = 0; i < 8; i++) {
        const b = sst.read() as Buffer | null;
        if (b === null) break;
        chunks.push(b);
      }
    }, 2);
    sst.on('readable', () => {});
    const waits = await writing;
    await done;
    clearInterval(slow);
    expect(waits).toBeGreaterThan(10);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    await client.close();
    await server.close();
  });
});

describe('io: stream credit', () => {
  it('openStream waits for MAX_STREAMS, and an AbortSignal ends the wait', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['sc'], transport: { maxStreamsBidi: 1 } });
    const accepted = once(server, 'connection');
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['sc'], insecure: true });
    const [sconn] = (await accepted) as [QuicConnection];
    const held: QuicStream[] = [];
    sconn.on('stream', (st) => held.push(st));
    const first = await client.openStream();
    first.write('hold');
    const ac = new AbortController();
    const waiting = client.openStream({ signal: ac.signal });
    let settled = false;
    void waiting.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    // A second waiter gets its stream once the first stream is closed on both sides.
    const next = client.openStream();
    await until(() => held.length === 1, 1000, 'server stream');
    held[0]!.resume();
    held[0]!.end();
    first.end();
    const st = await next;
    expect(st.id).toBe(4);
    // Waiters fail when the connection closes.
    const orphan = client.openStream().catch((e: unknown) => e);
    await client.close();
    expect(await orphan).toMatchObject({ code: 'ERR_QUIC_CONNECTION_CLOSED' });
    await server.close();
  });
});
