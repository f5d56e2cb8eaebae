/**
 * Stateless reset (RFC 9000 §10.3): a restarted server with the same static key resets the
 * connections it forgot; resets are smaller than their trigger, never below 21 bytes, rate
 * limited, and end with the token of the connection ID they answer; random short headers never
 * make an endpoint throw.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { statelessResetToken } from '../../src/crypto/stateless-reset.js';
import { Endpoint } from '../../src/endpoint/endpoint.js';
import { equalBytes } from '../../src/util/bytes.js';
import { Prng } from '../../src/util/prng.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR, testCredentials } from '../support/pair.js';

const provider = getProvider('node');
const KEY = new Uint8Array(32).fill(0x5a);

async function serverEndpoint(opts: { statelessResetKey?: Uint8Array; statelessResetRate?: number } = {}): Promise<Endpoint> {
  return new Endpoint({ local: SERVER_ADDR, server: { provider, alpn: ['test'], credentials: await testCredentials() }, ...opts });
}

/** A short-header datagram of `length` bytes to `cid` (the rest random). */
function shortDatagram(prng: Prng, cid: Uint8Array, length: number): Uint8Array {
  const b = prng.bytes(length);
  if (length === 0) return b;
  b[0] = 0x40 | (b[0]! & 0x3f);
  b.set(cid.subarray(0, Math.max(0, Math.min(cid.length, length - 1))), 1);
  return b;
}

function drain(ep: Endpoint, now = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = ep.pollTransmit(now); d; d = ep.pollTransmit(now)) out.push(d.data.slice());
  return out;
}

async function established(key?: Uint8Array): Promise<Pair> {
  const pair = await Pair.create({ provider, qlog: true, ...(key ? { serverEndpoint: { statelessResetKey: key } } : {}) });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(200_000);
  return pair;
}

describe('stateless reset (RFC 9000 §10.3)', () => {
  it('a server restarted with the same key resets the client, which closes well before the idle timeout', async () => {
    const pair = await established(KEY);
    const c = pair.clientConn;
    // The server's handshake connection ID carries its token in the transport parameters.
    expect(equalBytes(pair.clientConn.peerParams!.statelessResetToken!, statelessResetToken(provider, KEY, c.remoteCid))).toBe(true);
    const fresh = pair.replaceServer({ statelessResetKey: KEY });
    const start = pair.now;
    const id = c.openStream(true)!;
    c.streamWrite(id, new Uint8Array(500).fill(1), true);
    expect(pair.runUntil(() => c.state === 'closed', 5_000_000)).toBe(true);
    expect(c.closeInfo?.kind).toBe('stateless_reset');
    expect(pair.now - start).toBeLessThan(2_000_000); // idle timeout: 30 s
    expect(fresh.statelessResets.sent).toBeGreaterThanOrEqual(1);
    expect(pair.client.statelessResets.detected).toBe(1);
    expect(pair.client.connectionCount).toBe(0);
    // qlog: the reset as a received packet, and the close trigger.
    expect(pair.clientQlog.data('quic:packet_received').some((d) => d.header.packet_type === 'stateless_reset')).toBe(true);
    expect(pair.clientQlog.data('quic:connection_closed').at(-1)?.trigger).toBe('stateless_reset');
    // Draining: nothing was sent after the reset arrived.
    const events = pair.clientEvents.filter((e) => e.type === 'closing' || e.type === 'closed');
    expect(events.map((e) => e.type)).toEqual(['closing', 'closed']);
  });

  it('works for a connection ID issued with NEW_CONNECTION_ID too', async () => {
    const pair = await established(KEY);
    const c = pair.clientConn;
    expect(c.nextPeerCid()).toBeDefined();
    pair.runFor(200_000);
    pair.replaceServer({ statelessResetKey: KEY });
    c.streamWrite(c.openStream(true)!, new Uint8Array(300), true);
    expect(pair.runUntil(() => c.state === 'closed', 5_000_000)).toBe(true);
    expect(c.closeInfo?.kind).toBe('stateless_reset');
  });

  it('a reset that reaches the connection by its connection ID is detected by the connection; only from the peer address', async () => {
    const pair = await established(KEY);
    const c = pair.clientConn;
    const token = c.peerParams!.statelessResetToken!;
    const reset = new Uint8Array(60);
    reset[0] = 0x4b;
    reset.set(c.localCid, 1);
    reset.set(token, reset.length - 16);
    pair.client.handleDatagram(pair.now, { data: reset, from: { host: '192.0.2.9', port: 443 }, to: CLIENT_ADDR });
    expect(c.state).toBe('established');
    pair.client.handleDatagram(pair.now, { data: reset, from: SERVER_ADDR, to: CLIENT_ADDR });
    expect(c.state).toBe('draining');
    expect(c.closeInfo).toMatchObject({ kind: 'stateless_reset', initiator: 'remote' });
    expect(pair.client.statelessResets.detected).toBe(0);
    expect(drain(pair.client, pair.now)).toEqual([]);
  });

  it('a restarted server with another key sends resets the client cannot recognise', async () => {
    const pair = await established(KEY);
    const c = pair.clientConn;
    const fresh = pair.replaceServer({ statelessResetKey: new Uint8Array(32).fill(1) });
    c.streamWrite(c.openStream(true)!, new Uint8Array(300), true);
    pair.runFor(2_000_000);
    expect(fresh.statelessResets.sent).toBeGreaterThanOrEqual(1);
    expect(c.state).toBe('established');
    expect(pair.client.statelessResets.detected).toBe(0);
  });

  it('the reset looks like a short header, is smaller than its trigger and ends with the token', async () => {
    const s = await serverEndpoint({ statelessResetKey: KEY });
    const prng = new Prng(7);
    const cid = prng.bytes(8);
    for (const [length, expected] of [
      [22, [21, 21]],
      [30, [29, 29]],
      [43, [42, 42]],
      [44, [41, 43]],
      [1200, [41, 64]],
    ] as const) {
      s.handleDatagram(length * 1_000_000, { data: shortDatagram(prng, cid, length), from: CLIENT_ADDR, to: SERVER_ADDR });
      const out = drain(s);
      expect(out).toHaveLength(1);
      const r = out[0]!;
      expect(r.length).toBeGreaterThanOrEqual(expected[0]);
      expect(r.length).toBeLessThanOrEqual(expected[1]);
      expect(r.length).toBeLessThan(length);
      expect(r[0]! & 0xc0).toBe(0x40);
      expect(equalBytes(r.subarray(r.length - 16), statelessResetToken(provider, KEY, cid))).toBe(true);
    }
  });

  it('no reset for a datagram too short to answer with a smaller one of at least 21 bytes', async () => {
    const s = await serverEndpoint();
    const prng = new Prng(8);
    for (const length of [9, 15, 20, 21]) s.handleDatagram(0, { data: shortDatagram(prng, prng.bytes(8), length), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(drain(s)).toEqual([]);
    expect(s.statelessResets.sent).toBe(0);
    expect(s.statelessResets.tooShort).toBe(4);
  });

  it('resets answering resets shrink until they stop (§10.3.3, no loop)', async () => {
    const a = await serverEndpoint({ statelessResetRate: 1000 });
    const b = await serverEndpoint({ statelessResetRate: 1000 });
    let d: Uint8Array | undefined = shortDatagram(new Prng(9), new Uint8Array(8), 1200);
    let rounds = 0;
    for (let i = 0; d !== undefined && i < 100; i++) {
      const ep = i % 2 === 0 ? a : b;
      ep.handleDatagram(i, { data: d, from: CLIENT_ADDR, to: SERVER_ADDR });
      const out = drain(ep, i);
      expect(out.length).toBeLessThanOrEqual(1);
      if (out[0]) expect(out[0].length).toBeLessThan(d.length);
      d = out[0];
      rounds++;
    }
    expect(d).toBeUndefined();
    expect(rounds).toBeLessThan(60);
  });

  it('the rate limit holds: a burst, then the configured rate', async () => {
    const s = await serverEndpoint({ statelessResetRate: 5 });
    const prng = new Prng(10);
    const send = (now: number, n: number): number => {
      let sent = 0;
      for (let i = 0; i < n; i++) {
        s.handleDatagram(now, { data: shortDatagram(prng, prng.bytes(8), 100), from: CLIENT_ADDR, to: SERVER_ADDR });
        sent += drain(s, now).length;
      }
      return sent;
    };
    expect(send(0, 50)).toBe(5);
    expect(send(100_000, 50)).toBe(0); // 0.5 tokens refilled
    expect(send(1_000_000, 50)).toBe(5);
    expect(send(11_000_000, 50)).toBe(5); // the bucket holds no more than the burst
    expect(s.statelessResets.rateLimited).toBe(200 - 15);
    const off = await serverEndpoint({ statelessResetRate: 0 });
    off.handleDatagram(0, { data: shortDatagram(prng, prng.bytes(8), 100), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(drain(off)).toEqual([]);
  });

  it('rejects a short static key', () => {
    expect(() => new Endpoint({ local: SERVER_ADDR, statelessResetKey: new Uint8Array(8) })).toThrow(RangeError);
  });

  it('fuzz: random short-header datagrams never make an endpoint throw, live connections survive', async () => {
    const pair = await established(KEY);
    const prng = new Prng(11);
    const cids = [
      ...pair.serverConn!.localCids.list().map((e) => e.cid),
      ...pair.clientConn.localCids.list().map((e) => e.cid),
      new Uint8Array(8),
    ];
    for (let i = 0; i < 3000; i++) {
      const length = prng.nextInt(i % 10 === 0 ? 1500 : 80);
      const cid = cids[prng.nextInt(cids.length)]!;
      const data = prng.chance(0.5) ? shortDatagram(prng, cid, length) : prng.bytes(length).map((x, j) => (j === 0 ? x & 0x7f : x));
      const to = prng.chance(0.5) ? pair.server : pair.client;
      expect(() => to.handleDatagram(pair.now, { data, from: prng.chance(0.5) ? CLIENT_ADDR : SERVER_ADDR, to: SERVER_ADDR })).not.toThrow();
      drain(to, pair.now);
    }
    // Random bytes cannot forge a token: both connections are still up.
    expect(pair.clientConn.state).toBe('established');
    expect(pair.serverConn!.state).toBe('established');
  });
});
