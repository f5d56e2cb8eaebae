import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type DriverWarning, type QuicConnection, type QuicStream } from '../../src/index.js';
import { canBind, devCert, pattern, readAll } from './helpers.js';

/** One echo round trip on a fresh bidirectional stream. */
async function echoOnce(conn: QuicConnection, body: Buffer): Promise<Buffer> {
  const st = await conn.openStream();
  const reply = readAll(st);
  st.end(body);
  return reply;
}

function serveEcho(conn: QuicConnection): void {
  conn.on('stream', (st: QuicStream) => {
    st.on('error', () => {});
    st.pipe(st);
  });
}

describe('io: DATAGRAM (RFC 9221)', () => {
  it('round-trips DATAGRAMs both ways', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['dg'], datagrams: true });
    server.on('connection', (sc) => sc.on('datagram', (d) => sc.sendDatagram(Buffer.concat([Buffer.from('echo:'), d]))));
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['dg'], insecure: true, datagrams: true });
    expect(client.maxDatagramPayload).toBeGreaterThan(1000);
    expect(client.sendDatagram(new Uint8Array(client.maxDatagramPayload + 1))).toBe(false);
    const it = client.datagrams();
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      sent.push(`dg-${i}`);
      expect(client.sendDatagram(Buffer.from(`dg-${i}`))).toBe(true);
    }
    const got: string[] = [];
    while (got.length < 10) {
      const r = await it.next();
      if (r.done) break;
      got.push(Buffer.from(r.value).toString());
    }
    expect(got.sort()).toEqual(sent.map((s) => `echo:${s}`).sort());
    expect(client.stats().datagramsReceived).toBe(10);
    await client.close();
    expect((await it.next()).done).toBe(true); // the iterator ends with the connection
    await server.close();
  });

  it('refuses to send when the peer did not enable DATAGRAM', async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['dg'] });
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['dg'], insecure: true, datagrams: true });
    expect(client.maxDatagramPayload).toBe(0);
    expect(client.sendDatagram(Buffer.from('x'))).toBe(false);
    await client.close();
    await server.close();
  });
});

describe('io: address families', () => {
  it('works over IPv6 (::1)', async (ctx) => {
    if (!(await canBind('::1'))) {
      console.log('skipping the IPv6 test: cannot bind a UDP socket on ::1');
      ctx.skip();
      return;
    }
    const c = await devCert();
    const server = await listen({ host: '::1', port: 0, cert: c.certPem, key: c.keyPem, alpn: ['v6'] });
    expect(server.address.host).toBe('::1');
    server.on('connection', serveEcho);
    const client = await connect({ host: '::1', port: server.address.port, alpn: ['v6'], ca: c.certPem });
    expect(client.remoteAddress).toEqual({ host: '::1', port: server.address.port });
    const body = pattern(300_000, 6);
    expect((await echoOnce(client, body)).equals(body)).toBe(true);
    await client.close();
    await server.close();
  });

  it('serves IPv4 clients on a dual-stack socket (::) with plain IPv4 addresses', async (ctx) => {
    if (!(await canBind('::'))) {
      console.log('skipping the dual-stack test: cannot bind a UDP socket on ::');
      ctx.skip();
      return;
    }
    const c = await devCert();
    const server = await listen({ host: '::', port: 0, cert: c.certPem, key: c.keyPem, alpn: ['ds'] });
    const accepted = once(server, 'connection');
    let client: QuicConnection;
    try {
      client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['ds'], insecure: true, handshakeTimeoutMs: 2000 });
    } catch (e) {
      await server.close();
      console.log(`skipping the dual-stack test: IPv4 does not reach the :: socket (${(e as Error).message})`);
      ctx.skip();
      return;
    }
    const [sc] = (await accepted) as [QuicConnection];
    serveEcho(sc);
    expect(sc.remoteAddress.host).toBe('127.0.0.1');
    const body = pattern(50_000, 8);
    expect((await echoOnce(client, body)).equals(body)).toBe(true);
    await client.close();
    await server.close();
  });
});

describe('io: hostile input', () => {
  it('malformed datagrams at the server socket do not crash it', async () => {
    const c = await devCert();
    const warnings: DriverWarning[] = [];
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['h'], onWarning: (w) => warnings.push(w) });
    server.on('connection', serveEcho);
    const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['h'], insecure: true });
    const junk = createSocket('udp4');
    await new Promise<void>((r) => junk.bind(0, '127.0.0.1', () => r()));
    const send = (b: Uint8Array): Promise<void> => new Promise((r) => junk.send(b, server.address.port, '127.0.0.1', () => r()));
    const garbage: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0xc0]),
      new Uint8Array([0xc0, 0, 0, 0, 1, 255]), // DCID length past the end
      new Uint8Array([0xc0, 0, 0, 0, 1, 20, ...new Array(20).fill(1), 255]), // SCID length past the end
      (() => {
        // A 1200-byte "Initial" of QUIC v1 with a random body: fails decryption.
        const b = pattern(1200, 5);
        b[0] = 0xc3;
        b.writeUInt32BE(1, 1);
        b[5] = 8;
        b[14] = 8;
        return b;
      })(),
      (() => {
        // Unknown version in a full-size datagram: answered with Version Negotiation.
        const b = pattern(1200, 6);
        b[0] = 0xc0;
        b.writeUInt32BE(0x1a2a3a4a, 1);
        b[5] = 8;
        b[14] = 8;
        return b;
      })(),
      pattern(40, 9), // a short header for no connection
    ];
    for (let i = 0; i < 200; i++) garbage.push(pattern(1 + ((i * 97) % 1400), 100 + i));
    for (const g of garbage) await send(g);
    // Garbage carrying the live connection's DCID: short header, then random bytes.
    const dcid = client.core.remoteCid;
    for (let i = 0; i < 50; i++) {
      const b = pattern(60 + i * 20, 500 + i);
      b[0] = 0x40 | (b[0]! & 0x3f);
      b.set(dcid, 1);
      await send(b);
    }
    junk.close();
    // The server and the connection still work.
    const body = pattern(20_000, 4);
    expect((await echoOnce(client, body)).equals(body)).toBe(true);
    const other = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['h'], insecure: true });
    expect((await echoOnce(other, body)).equals(body)).toBe(true);
    expect(warnings.filter((w) => w.kind === 'receive')).toEqual([]);
    await other.close();
    await client.close();
    await server.close();
  });
});
