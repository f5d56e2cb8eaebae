import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { ClientSession } from '../../src/crypto/tls/engine.js';
import type { ConnectionConfig } from '../../src/connection/config.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { StrikeRegister } from '../../src/connection/early-data.js';
import { decodeRemembered, MemorySessionStore } from '../../src/connection/session-cache.js';
import { Endpoint } from '../../src/endpoint/endpoint.js';
import { Pair, SERVER_ADDR, CLIENT_ADDR } from '../support/pair.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

/** A first connection that leaves the client with a session ticket. */
async function firstSession(provider: CryptoProvider, server: Partial<ConnectionConfig>): Promise<ClientSession> {
  const pair = await Pair.create({ provider, server });
  expect(pair.runUntil(() => pair.handshakeDone() && pair.clientEvents.some((e) => e.type === 'session'))).toBe(true);
  const e = pair.clientEvents.find((x) => x.type === 'session') as Extract<ConnectionEvent, { type: 'session' }>;
  // The default store of the client's endpoint has it too.
  expect(pair.client.sessions.size).toBe(1);
  return e.session;
}

function handshakeInfo(events: ConnectionEvent[]): Extract<ConnectionEvent, { type: 'handshake_complete' }> {
  return events.find((e) => e.type === 'handshake_complete') as Extract<ConnectionEvent, { type: 'handshake_complete' }>;
}

describe.each(PROVIDER_NAMES)('session resumption and 0-RTT (%s)', (name) => {
  const provider = getProvider(name);

  it('resumes without early data: no certificate in the second handshake', async () => {
    const tickets = { key: new Uint8Array(16).fill(1) };
    const session = await firstSession(provider, { tickets });
    const r = decodeRemembered(session.appData);
    expect(r?.initialMaxData).toBe(1 << 20);
    expect(session.maxEarlyDataSize).toBe(0);
    const pair = await Pair.create({ provider, server: { tickets }, client: { session, earlyData: true }, qlog: true });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    const info = handshakeInfo(pair.clientEvents).info;
    expect(info.resumed).toBe(true);
    expect(info.peerCertificates).toHaveLength(0);
    expect(pair.clientConn.resumed).toBe(true);
    expect(pair.serverConn!.resumed).toBe(true);
    // The ticket did not allow 0-RTT, so none was offered.
    expect(pair.clientConn.earlyDataAccepted).toBeUndefined();
    expect(pair.clientQlog.data('quic:packet_sent').some((d) => d.header.packet_type === '0RTT')).toBe(false);
    const id = pair.clientConn.openStream()!;
    pair.clientConn.streamWrite(id, text('after resumption'), true);
    expect(pair.receiveAll(pair.serverConn!, id)).toEqual(text('after resumption'));
  });

  it("a ticket's age counts from its arrival, not from the connection's start (RFC 8446 §4.2.11.1)", async () => {
    const tickets = { key: new Uint8Array(16).fill(4) };
    const t0 = 1_790_000_000_000;
    // 50 ms each way: the ticket arrives at least one round trip after the start.
    const pair = await Pair.create({ provider, server: { tickets }, client: { timeMs: t0 }, link: { delay: 50_000 } });
    expect(pair.runUntil(() => pair.clientEvents.some((e) => e.type === 'session'))).toBe(true);
    const session = (pair.clientEvents.find((x) => x.type === 'session') as Extract<ConnectionEvent, { type: 'session' }>).session;
    expect(session.receivedAtMs - t0).toBeGreaterThanOrEqual(100);
    expect(session.receivedAtMs - t0).toBeLessThanOrEqual(Math.ceil(pair.now / 1000));
  });

  it('0-RTT accepted: stream data reaches the server before the handshake completes', async () => {
    const tickets = { key: new Uint8Array(16).fill(2) };
    const session = await firstSession(provider, { tickets, earlyData: true });
    expect(session.maxEarlyDataSize).toBe(0xffffffff);
    const pair = await Pair.create({ provider, server: { tickets, earlyData: true }, client: { session, earlyData: true }, qlog: true });
    const c = pair.clientConn;
    const id = c.openStream()!;
    expect(id).toBe(0);
    const body = pattern(30_000);
    c.streamWrite(id, body, true);
    let readableBeforeComplete = false;
    expect(pair.runUntil(() => pair.serverConn !== undefined)).toBe(true);
    const data = pair.receiveAll(pair.serverConn!, id, () => {
      const s = pair.serverConn!;
      if (!s.handshakeComplete && pair.serverEvents.some((e) => e.type === 'stream_readable')) readableBeforeComplete = true;
    });
    expect(data).toEqual(body);
    expect(readableBeforeComplete).toBe(true);
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    expect(c.earlyDataAccepted).toBe(true);
    expect(pair.serverConn!.earlyDataAccepted).toBe(true);
    expect(pair.clientEvents).toContainEqual({ type: 'early_data', accepted: true });
    const sent0 = pair.clientQlog.data('quic:packet_sent').filter((d) => d.header.packet_type === '0RTT');
    const recv0 = pair.serverQlog.data('quic:packet_received').filter((d) => d.header.packet_type === '0RTT');
    expect(sent0.length).toBeGreaterThan(0);
    expect(recv0.length).toBeGreaterThan(0);
    // The server received the 0-RTT stream data before its handshake completed.
    const ev = pair.serverQlog.events.map((l) => l.event);
    const first0 = ev.findIndex((e) => e.name === 'quic:packet_received' && e.data.header.packet_type === '0RTT');
    const complete = ev.findIndex((e) => e.name === 'quic:connection_state_updated' && e.data.new === 'handshake_complete');
    expect(first0).toBeGreaterThanOrEqual(0);
    expect(first0).toBeLessThan(complete);
    expect(pair.clientQlog.data('quic:key_updated').some((d) => d.key_type === 'client_0rtt_secret')).toBe(true);
    expect(pair.serverQlog.data('quic:key_updated').some((d) => d.key_type === 'client_0rtt_secret')).toBe(true);
    expect(pair.amplificationViolations).toBe(0);
  });

  describe('0-RTT rejected, the data still arrives intact in 1-RTT', () => {
    const run = async (secondServer: (t: { key: Uint8Array }) => Partial<ConnectionConfig>, replay = false): Promise<Pair> => {
      const tickets = { key: new Uint8Array(16).fill(3) };
      const session = await firstSession(provider, { tickets, earlyData: true });
      if (replay) {
        // The same ticket used once already (with 0-RTT accepted): a replay.
        const p0 = await Pair.create({ provider, server: secondServer(tickets), client: { session, earlyData: true } });
        const id0 = p0.clientConn.openStream()!;
        p0.clientConn.streamWrite(id0, text('first use'), true);
        expect(p0.runUntil(() => p0.handshakeDone())).toBe(true);
        expect(p0.clientConn.earlyDataAccepted).toBe(true);
      }
      const pair = await Pair.create({ provider, server: secondServer(tickets), client: { session, earlyData: true }, qlog: true });
      const c = pair.clientConn;
      const body = pattern(20_000);
      const id = c.openStream()!;
      c.streamWrite(id, body, true);
      expect(pair.runUntil(() => pair.serverConn !== undefined)).toBe(true);
      expect(pair.receiveAll(pair.serverConn!, id)).toEqual(body);
      expect(c.earlyDataAccepted).toBe(false);
      expect(pair.clientEvents).toContainEqual({ type: 'early_data', accepted: false });
      expect(handshakeInfo(pair.clientEvents).info.resumed).toBe(true);
      expect(pair.clientQlog.data('quic:packet_sent').some((d) => d.header.packet_type === '0RTT')).toBe(true);
      expect(pair.serverQlog.data('quic:packet_received').some((d) => d.header.packet_type === '0RTT')).toBe(false);
      return pair;
    };

    it('by a server without earlyData', async () => {
      await run((tickets) => ({ tickets }));
    });

    it('for a replayed ticket (anti-replay)', async () => {
      const pair = await run((tickets) => ({ tickets, earlyData: true }), true);
      expect(pair.serverConn!.early.rejectReason).toMatch(/anti-replay/);
    });

    it('when the server now has smaller transport parameters', async () => {
      const pair = await run((tickets) => ({ tickets, earlyData: true, transport: { maxStreamsBidi: 50 } }));
      expect(pair.serverConn!.early.rejectReason).toMatch(/initialMaxStreamsBidi/);
    });
  });

  it('a ticket is used once: the session store hands it over', async () => {
    const tickets = { key: new Uint8Array(16).fill(4) };
    const session = await firstSession(provider, { tickets });
    const store = new MemorySessionStore();
    store.set('localhost', session);
    const ep = new Endpoint({ local: CLIENT_ADDR, seed: 9 });
    const config = { provider, alpn: ['test'], serverName: 'localhost', sessionStore: store };
    const c1 = ep.connect(0, SERVER_ADDR, config);
    expect(c1.early.session).toBe(session);
    expect(store.size).toBe(0);
    const c2 = ep.connect(0, SERVER_ADDR, config);
    expect(c2.early.session).toBeUndefined();
  });
});

describe('StrikeRegister', () => {
  it('is bounded, refuses replays and forgets after its window', () => {
    const r = new StrikeRegister(2, 1_000_000);
    const id = (n: number): Uint8Array => new Uint8Array(40).fill(n);
    expect(r.admit(id(1), 0)).toBe(true);
    expect(r.admit(id(1), 10)).toBe(false);
    expect(r.admit(id(2), 20)).toBe(true);
    // Full: refuse rather than forget early.
    expect(r.admit(id(3), 30)).toBe(false);
    expect(r.size).toBe(2);
    // After the window the old identities expire.
    expect(r.admit(id(3), 1_000_010)).toBe(true);
    expect(r.size).toBe(2);
    expect(r.admit(id(1), 1_000_015)).toBe(false); // full again (2 and 3)
    expect(r.admit(id(1), 3_000_000)).toBe(true);
    expect(r.size).toBe(1);
  });
});

describe('MemorySessionStore', () => {
  it('keeps a few sessions per name and a bounded number of names', () => {
    const s = new MemorySessionStore(2, 2);
    const fake = (n: number): ClientSession => ({ serverName: 'x', alpn: 'a', suite: 0x1301, psk: new Uint8Array(32), ticket: new Uint8Array([n]), ticketAgeAdd: 0, lifetimeSeconds: 10, maxEarlyDataSize: 0, receivedAtMs: 0 });
    s.set('a', fake(1));
    s.set('a', fake(2));
    s.set('a', fake(3));
    expect(s.size).toBe(2);
    s.set('b', fake(4));
    s.set('c', fake(5));
    expect(s.get('a')).toBeUndefined();
    expect(s.get('c')?.ticket[0]).toBe(5);
    expect(s.get('c')).toBeUndefined();
  });
});
