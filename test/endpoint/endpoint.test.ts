/** RFC 9000 §5.2 and §6: what an endpoint accepts, answers and drops. */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { Endpoint } from '../../src/endpoint/endpoint.js';
import { decodeVersionNegotiation } from '../../src/wire/header.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import { CLIENT_ADDR, SERVER_ADDR, testCredentials } from '../support/pair.js';

async function server(): Promise<Endpoint> {
  return new Endpoint({ local: SERVER_ADDR, server: { provider: getProvider('node'), alpn: ['test'], credentials: await testCredentials() } });
}

function firstClientDatagram(): Uint8Array {
  const client = new Endpoint({ local: CLIENT_ADDR });
  client.connect(0, SERVER_ADDR, { provider: getProvider('node'), alpn: ['test'], serverName: 'localhost' });
  return client.pollTransmit(0)!.data.slice();
}

describe('endpoint', () => {
  it('the client Initial datagram is padded to 1200 bytes and creates one server connection', async () => {
    const s = await server();
    const d = firstClientDatagram();
    expect(d.length).toBeGreaterThanOrEqual(1200);
    s.handleDatagram(0, { data: d, from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.connectionCount).toBe(1);
    expect(s.pollEvent()?.type).toBe('connection');
    // The same Initial again goes to the same connection.
    s.handleDatagram(1, { data: d, from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.connectionCount).toBe(1);
  });

  it('drops an Initial in a datagram under 1200 bytes, and short headers for unknown connections', async () => {
    const s = await server();
    const d = firstClientDatagram();
    s.handleDatagram(0, { data: d.subarray(0, 1100), from: CLIENT_ADDR, to: SERVER_ADDR });
    s.handleDatagram(0, { data: new Uint8Array(50).fill(0x40), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.connectionCount).toBe(0);
    expect(s.dropped.short).toBe(1);
    expect(s.dropped.unknownConnection).toBe(1);
    // The short header is answered with a stateless reset (RFC 9000 §10.3), smaller than it.
    const reset = s.pollTransmit(0);
    expect(reset?.data.length).toBeLessThan(50);
    expect(s.pollTransmit(0)).toBeUndefined();
  });

  it('answers an unknown version with Version Negotiation listing v1, v2 and a GREASE version', async () => {
    const s = await server();
    const d = firstClientDatagram();
    d.set([0x1a, 0x2a, 0x3a, 0x4a], 1);
    s.handleDatagram(0, { data: d, from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.connectionCount).toBe(0);
    const vn = s.pollTransmit(0)!;
    expect(vn.to).toEqual(CLIENT_ADDR);
    const p = decodeVersionNegotiation(vn.data);
    expect(p.versions).toContain(QUIC_V1);
    expect(p.versions).toContain(QUIC_V2);
    expect(p.versions.length).toBe(3);
    // It echoes the connection IDs swapped (RFC 9000 §17.2.1).
    expect(Buffer.from(p.scid).equals(Buffer.from(d.subarray(6, 6 + d[5]!)))).toBe(true);
  });

  it('never throws on garbage', async () => {
    const s = await server();
    for (let i = 0; i < 200; i++) {
      const g = new Uint8Array(1 + ((i * 37) % 1300)).map((_, j) => (i * 131 + j * 7) & 0xff);
      s.handleDatagram(i, { data: g, from: CLIENT_ADDR, to: SERVER_ADDR });
    }
    for (let d = s.pollTransmit(300); d; d = s.pollTransmit(300));
    s.handleTimeout(10_000_000);
  });
});
