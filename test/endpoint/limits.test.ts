/**
 * The endpoint's own limits against floods of new connections (RFC 9000 §5.2.2, §8.1, §21.2,
 * §21.6): 'auto' Retry by default once handshakes pile up, so spoofed Initials cost no state; a
 * hard cap on handshakes under way and on connections, refused statelessly with
 * CONNECTION_REFUSED; and the handshake timeout, which ends a half-open connection that a peer
 * keeps alive with a packet now and then.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HANDSHAKES, Endpoint, type EndpointOptions } from '../../src/endpoint/endpoint.js';
import type { Connection } from '../../src/connection/connection.js';
import type { Datagram } from '../../src/util/datagram.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { longPacketTypeFromBits } from '../../src/wire/version.js';
import { DEFAULT_RETRY_ABOVE } from '../../src/endpoint/retry.js';
import { Pair, SERVER_ADDR, testCredentials } from '../support/pair.js';

const node = getProvider('node');
const base = { provider: node, alpn: ['test'], timeMs: Date.UTC(2026, 10, 23), serverName: 'localhost' };

function drain(ep: Endpoint, now: number): Datagram[] {
  const out: Datagram[] = [];
  for (let d = ep.pollTransmit(now); d; d = ep.pollTransmit(now)) out.push({ ...d, data: d.data.slice() });
  return out;
}

function packetType(d: Uint8Array): string {
  if ((d[0]! & 0x80) === 0) return 'short';
  const v = ((d[1]! << 24) | (d[2]! << 16) | (d[3]! << 8) | d[4]!) >>> 0;
  return v === 0 ? 'version_negotiation' : (longPacketTypeFromBits(v, (d[0]! >> 4) & 3) ?? 'unknown');
}

async function server(extra: Partial<EndpointOptions> = {}): Promise<Endpoint> {
  return new Endpoint({ local: SERVER_ADDR, seed: 2, server: { ...base, credentials: await testCredentials() }, ...extra });
}

/**
 * `n` clients, each from its own address (as spoofed Initials would be), send their first
 * flight to `srv`; returns the clients' connections and the server's replies per client.
 */
function flood(srv: Endpoint, n: number, now: number): { conns: Connection[]; replies: Datagram[][] } {
  const conns: Connection[] = [];
  const replies: Datagram[][] = [];
  for (let i = 0; i < n; i++) {
    const from = { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 40000 + (i % 20000) };
    const client = new Endpoint({ local: from, seed: 1000 + i });
    conns.push(client.connect(now, SERVER_ADDR, base));
    for (const d of drain(client, now)) srv.handleDatagram(now, d);
    replies.push(drain(srv, now).filter((d) => d.to.host === from.host && d.to.port === from.port));
    // The client reads what came back (a Retry, a refusal or the server's first flight).
    for (const d of replies[i]!) client.handleDatagram(now, { ...d, from: SERVER_ADDR, to: from });
  }
  return { conns, replies };
}

describe('endpoint limits', () => {
  it('defaults: Retry above 100 handshakes, at most 1000 handshakes and 10 000 connections', () => {
    expect(DEFAULT_RETRY_ABOVE).toBe(100);
    expect(DEFAULT_MAX_HANDSHAKES).toBe(1000);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(10_000);
  });

  it("by default ('auto'), a flood of Initials from many addresses creates at most retryAbove connections; the rest get Retry", async () => {
    const srv = await server();
    const { replies } = flood(srv, DEFAULT_RETRY_ABOVE + 50, 1000);
    expect(srv.connectionCount).toBe(DEFAULT_RETRY_ABOVE);
    expect(srv.handshakesInProgress).toBe(DEFAULT_RETRY_ABOVE);
    expect(srv.addressValidation.retriesSent).toBe(50);
    for (const r of replies.slice(DEFAULT_RETRY_ABOVE)) expect(r.map((d) => packetType(d.data))).toEqual(['retry']);
    // A Retry is smaller than the Initial that caused it (§8: no amplification).
    for (const r of replies.slice(DEFAULT_RETRY_ABOVE)) expect(r[0]!.data.length).toBeLessThan(1200);
  });

  it('maxHandshakes: beyond it, new connections are refused statelessly with CONNECTION_REFUSED', async () => {
    const srv = await server({ retry: 'never', maxHandshakes: 20 });
    const { conns, replies } = flood(srv, 30, 1000);
    expect(srv.connectionCount).toBe(20);
    expect(srv.refused.handshakes).toBe(10);
    for (let i = 20; i < 30; i++) {
      expect(replies[i]!.map((d) => packetType(d.data))).toEqual(['initial']);
      expect(replies[i]![0]!.data.length).toBeLessThan(1200);
      // The client reads the CONNECTION_CLOSE in an Initial protected for its DCID (§10.2.3).
      expect(conns[i]!.closeInfo?.code).toBe(ErrorCode.CONNECTION_REFUSED);
      expect(conns[i]!.closeInfo?.initiator).toBe('remote');
    }
    for (let i = 0; i < 20; i++) expect(conns[i]!.closeInfo).toBeUndefined();
  });

  it('a completed handshake no longer counts against maxHandshakes', async () => {
    const pair = await Pair.create({ provider: node, serverEndpoint: { retry: 'never', maxHandshakes: 1 } });
    expect(pair.server.handshakesInProgress).toBe(0);
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    expect(pair.server.handshakesInProgress).toBe(0);
    const second = pair.client.connect(pair.now, SERVER_ADDR, base);
    expect(pair.runUntil(() => second.handshakeConfirmed)).toBe(true);
    expect(pair.server.refused.handshakes).toBe(0);
    expect(pair.server.connectionCount).toBe(2);
  });

  it('maxConnections: established connections count; one more is refused with CONNECTION_REFUSED', async () => {
    const pair = await Pair.create({ provider: node, serverEndpoint: { maxConnections: 2 } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    const second = pair.client.connect(pair.now, SERVER_ADDR, base);
    expect(pair.runUntil(() => second.handshakeConfirmed)).toBe(true);
    const third = pair.client.connect(pair.now, SERVER_ADDR, base);
    expect(pair.runUntil(() => third.closeInfo !== undefined)).toBe(true);
    expect(third.closeInfo?.code).toBe(ErrorCode.CONNECTION_REFUSED);
    expect(pair.server.connectionCount).toBe(2);
    expect(pair.server.refused.connections).toBe(1);
    // The first two are untouched.
    expect(pair.clientConn.state).toBe('established');
    expect(second.state).toBe('established');
  });

  it('rejects limits below 1', () => {
    expect(() => new Endpoint({ local: SERVER_ADDR, maxConnections: 0 })).toThrow(RangeError);
    expect(() => new Endpoint({ local: SERVER_ADDR, maxHandshakes: 0 })).toThrow(RangeError);
  });
});

describe('handshake timeout (RFC 9000 §21.6)', () => {
  /**
   * A client whose packets reach the server but never hears back: its Initial probes (PTO) keep
   * the server's idle timer running, so only the handshake timeout ends the server connection.
   */
  async function stalled(serverTimeoutMs: number | undefined): Promise<{ pair: Pair; closedAt: () => number | undefined }> {
    const transport = serverTimeoutMs === undefined ? {} : { handshakeTimeoutMs: serverTimeoutMs };
    const pair = await Pair.create({
      provider: node,
      serverEndpoint: { retry: 'never' },
      server: { transport: { maxIdleTimeoutMs: 30_000, ...transport } },
      client: { transport: { maxIdleTimeoutMs: 0, handshakeTimeoutMs: 0, initialRtt: 1_000_000 } },
      link: { dropIf: (_d, _i, from) => from === 'server' },
    });
    let closedAt: number | undefined;
    return {
      pair,
      closedAt: () => {
        const ev = pair.serverEvents.find((e) => e.type === 'closed');
        if (ev !== undefined && closedAt === undefined) closedAt = pair.now;
        return closedAt;
      },
    };
  }

  it('a server connection whose handshake does not complete in 10 s (the default) closes silently', async () => {
    const { pair, closedAt } = await stalled(undefined);
    expect(pair.runUntil(() => pair.serverConn !== undefined)).toBe(true);
    expect(pair.server.handshakesInProgress).toBe(1);
    pair.runUntil(() => closedAt() !== undefined, 25_000_000);
    const at = closedAt();
    expect(at).toBeDefined();
    expect(at!).toBeGreaterThanOrEqual(10_000_000);
    expect(at!).toBeLessThan(10_100_000);
    expect(pair.serverConn!.closeInfo?.kind).toBe('handshake_timeout');
    expect(pair.server.handshakesInProgress).toBe(0);
  });

  it('handshakeTimeoutMs is configurable; 0 leaves only the idle timeout', async () => {
    const short = await stalled(2000);
    short.pair.runUntil(() => short.closedAt() !== undefined, 25_000_000);
    expect(short.closedAt()).toBeGreaterThanOrEqual(2_000_000);
    expect(short.closedAt()).toBeLessThan(2_100_000);

    const off = await stalled(0);
    off.pair.runUntil(() => off.closedAt() !== undefined, 25_000_000);
    // The client's probes keep arriving, so the idle timer never runs out in 25 s.
    expect(off.closedAt()).toBeUndefined();
    expect(off.pair.serverConn!.state).toBe('handshake');
  });

  it('a connection whose handshake completes is not affected', async () => {
    const pair = await Pair.create({ provider: node, server: { transport: { handshakeTimeoutMs: 1000 } } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(3_000_000);
    expect(pair.serverConn!.state).toBe('established');
    expect(pair.serverConn!.handshakeDeadline).toBeUndefined();
  });
});
