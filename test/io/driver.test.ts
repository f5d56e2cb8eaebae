import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/endpoint/endpoint.js';
import { UdpDriver, type DriverWarning } from '../../src/io/udp.js';
import { connect, listen, type PathChange, type QuicConnection } from '../../src/index.js';
import type { Datagram, SocketAddress } from '../../src/util/datagram.js';
import { devCert, handles, pattern, readAll, until } from './helpers.js';

/** A scripted stand-in for an Endpoint: records what the driver hands it, transmits a queue. */
class FakeEndpoint {
  received: Datagram[] = [];
  timeouts: number[] = [];
  outbox: Datagram[] = [];
  released = 0;
  deadline: number | undefined;
  throwOnReceive = false;
  handleDatagram(now: number, d: Datagram): void {
    if (this.throwOnReceive) throw new Error('hostile bytes');
    this.received.push({ ...d, data: d.data.slice() });
    void now;
  }
  handleTimeout(now: number): void {
    this.timeouts.push(now);
    if (this.deadline !== undefined && now >= this.deadline) this.deadline = undefined;
  }
  pollTimeout(): number | undefined {
    return this.deadline;
  }
  pollTransmit(): Datagram | undefined {
    return this.outbox.shift();
  }
  releaseDatagram(): void {
    this.released++;
  }
  pollEvent(): undefined {
    return undefined;
  }
}

async function sink(): Promise<{ socket: Socket; port: number; got: Array<{ data: Buffer; port: number }> }> {
  const socket = createSocket('udp4');
  const got: Array<{ data: Buffer; port: number }> = [];
  socket.on('message', (data, r) => got.push({ data, port: r.port }));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port, got };
}

describe('io: UDP driver', () => {
  it('sends through the socket bound to the datagram source, releases buffers, applies buffer sizes', async () => {
    const fake = new FakeEndpoint();
    const warnings: DriverWarning[] = [];
    const driver = await UdpDriver.bind({
      sockets: [{ host: '127.0.0.1' }, { host: '127.0.0.1', recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 }],
      createEndpoint: () => fake as unknown as Endpoint,
      onWarning: (w) => warnings.push(w),
    });
    const [a, b] = driver.locals as [SocketAddress, SocketAddress];
    expect(a.port).not.toBe(b.port);
    // Linux reports twice the size set, capped by net.core.rmem_max; never 0 once set.
    for (const s of driver.socketBuffers) expect(s.recv).toBeGreaterThan(0);
    const peer = await sink();
    const to = { host: '127.0.0.1', port: peer.port };
    fake.outbox.push({ data: new Uint8Array([1]), from: a, to }, { data: new Uint8Array([2]), from: b, to }, { data: new Uint8Array([3]), from: { host: '10.9.9.9', port: 1 }, to });
    driver.schedule();
    await until(() => peer.got.length === 3, 2000, 'three datagrams');
    const byByte = new Map(peer.got.map((g) => [g.data[0], g.port]));
    expect(byByte.get(1)).toBe(a.port);
    expect(byByte.get(2)).toBe(b.port);
    expect(byByte.get(3)).toBe(a.port); // unknown source: the first compatible socket
    await until(() => fake.released === 3, 1000, 'buffers released');
    // Receive: the datagram reaches the endpoint with both addresses.
    peer.socket.send(Buffer.from('hi'), b.port, '127.0.0.1');
    await until(() => fake.received.length === 1, 1000, 'datagram received');
    expect(fake.received[0]).toMatchObject({ from: { host: '127.0.0.1', port: peer.port }, to: b });
    // An endpoint that throws does not take the socket handler down.
    fake.throwOnReceive = true;
    peer.socket.send(Buffer.from('boom'), a.port, '127.0.0.1');
    await until(() => warnings.some((w) => w.kind === 'receive'), 1000, 'receive warning');
    expect(driver.receiveErrors).toBe(1);
    peer.socket.close();
    await driver.close();
  });

  it('fires one timer at pollTimeout (sub-millisecond deadlines included) and leaves no handle after close', async () => {
    const udp = handles('UDPWrap');
    const fake = new FakeEndpoint();
    const driver = await UdpDriver.bind({ sockets: [{ host: '127.0.0.1' }], createEndpoint: () => fake as unknown as Endpoint });
    let t = driver.clock.now();
    fake.deadline = t + 20_000; // 20 ms
    driver.schedule();
    await until(() => fake.timeouts.length > 0, 1000, 'timer');
    expect(fake.timeouts[0]!).toBeGreaterThanOrEqual(t + 20_000);
    t = driver.clock.now();
    fake.deadline = t + 300; // 0.3 ms: below Node's timer granularity
    driver.schedule();
    await until(() => fake.timeouts.length > 1, 1000, 'sub-ms timer');
    expect(fake.timeouts[1]!).toBeGreaterThanOrEqual(t + 300);
    expect(fake.timeouts[1]! - t).toBeLessThan(20_000);
    // A deadline in the past that handleTimeout never clears must not spin the CPU.
    fake.handleTimeout = function (now: number): void {
      this.timeouts.push(now);
    };
    fake.deadline = driver.clock.now() - 1;
    const before = fake.timeouts.length;
    driver.schedule();
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.timeouts.length - before).toBeLessThan(150);
    fake.deadline = undefined;
    driver.schedule();
    await driver.close();
    expect(handles('UDPWrap')).toBe(udp);
    expect(driver.isClosed).toBe(true);
  });
});

describe('io: peer address change', () => {
  it("follows a client's NAT rebinding: 'pathChange' on the server, the connection keeps working", async () => {
    const c = await devCert();
    const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['nat'] });
    const accepted = once(server, 'connection');
    // A NAT between client and server whose outside port can change.
    const inside = createSocket('udp4');
    await new Promise<void>((r) => inside.bind(0, '127.0.0.1', () => r()));
    const outside: Socket[] = [];
    let clientAddr: { address: string; port: number } | undefined;
    const newOutside = async (): Promise<Socket> => {
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      s.on('message', (m) => clientAddr && inside.send(m, clientAddr.port, clientAddr.address));
      outside.push(s);
      return s;
    };
    let out = await newOutside();
    inside.on('message', (m, r) => {
      clientAddr = r;
      out.send(m, server.address.port, '127.0.0.1');
    });
    const client = await connect({ host: '127.0.0.1', port: inside.address().port, alpn: ['nat'], insecure: true });
    const [sc] = (await accepted) as [QuicConnection];
    sc.on('stream', (st) => st.pipe(st));
    const changes: PathChange[] = [];
    sc.on('pathChange', (p) => changes.push(p));
    const before = sc.remoteAddress.port;
    expect(before).toBe(out.address().port);
    out = await newOutside(); // rebinding: the server now sees a new port
    const body = pattern(40_000, 12);
    const st = await client.openStream();
    const reply = readAll(st);
    st.end(body);
    expect((await reply).equals(body)).toBe(true);
    await until(() => changes.some((p) => p.state === 'validated'), 2000, 'validated path');
    expect(changes[0]).toMatchObject({ state: 'validating', previous: { port: before }, address: { port: out.address().port } });
    expect(sc.remoteAddress.port).toBe(out.address().port);
    await client.close();
    await server.close();
    inside.close();
    for (const s of outside) s.close();
  });
});
