/**
 * RFC 9001 §6 key update between two connections: started by either side, followed by the
 * other, data intact across it, packets reordered across the update still opened, and the
 * rules on when an update may start.
 */
import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import type { Connection } from '../../src/connection/connection.js';
import { Pair, type LinkOptions } from '../support/pair.js';

async function established(name: (typeof PROVIDER_NAMES)[number], link?: LinkOptions): Promise<Pair> {
  const pair = await Pair.create({ provider: getProvider(name), ...(link ? { link } : {}) });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(100_000);
  return pair;
}

/** Sends `n` bytes from `from` to `to` on a new stream and returns what arrived. */
function transfer(pair: Pair, from: Connection, to: Connection, n: number): Uint8Array {
  const id = from.openStream(true)!;
  const data = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
  let written = 0;
  const got = pair.receiveAll(to, id, () => {
    if (written < n) written += from.streamWrite(id, data.subarray(written), true);
  });
  expect(got).toBeDefined();
  return got!;
}

const keyEvents = (pair: Pair, side: 'client' | 'server') =>
  (side === 'client' ? pair.clientEvents : pair.serverEvents).filter((e) => e.type === 'key_updated');

describe.each(PROVIDER_NAMES)('key update (%s)', (name) => {
  it('the client starts one, the server follows, and data flows both ways under the new keys', async () => {
    const pair = await established(name);
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(transfer(pair, c, s, 20_000)).toHaveLength(20_000);
    pair.runFor(100_000); // the ACKs of what was sent come back
    expect(c.initiateKeyUpdate(pair.now)).toBe(true);
    // A second one waits for the first to complete.
    expect(c.initiateKeyUpdate(pair.now)).toBe(false);
    const out = transfer(pair, c, s, 50_000);
    expect(Buffer.from(out).equals(Buffer.from(new Uint8Array(50_000).map((_, i) => (i * 7) & 0xff)))).toBe(true);
    expect(transfer(pair, s, c, 30_000)).toHaveLength(30_000);
    expect(keyEvents(pair, 'client')).toEqual([{ type: 'key_updated', initiator: 'local', generation: 1 }]);
    expect(keyEvents(pair, 'server')).toEqual([{ type: 'key_updated', initiator: 'remote', generation: 1 }]);
    expect(c.stats().keyUpdates).toEqual({ local: 1, remote: 0 });
    expect(s.stats().keyUpdates).toEqual({ local: 0, remote: 1 });
    expect(c.state).toBe('established');
    expect(s.state).toBe('established');
  });

  it('the server can start one too, and after 3×PTO another one in the other phase', async () => {
    const pair = await established(name);
    const c = pair.clientConn;
    const s = pair.serverConn!;
    transfer(pair, s, c, 10_000);
    pair.runFor(100_000); // the ACKs of what was sent come back
    expect(s.initiateKeyUpdate(pair.now)).toBe(true);
    transfer(pair, s, c, 10_000);
    pair.runFor(2_000_000);
    transfer(pair, c, s, 10_000);
    pair.runFor(100_000); // the ACKs of what was sent come back
    expect(c.initiateKeyUpdate(pair.now)).toBe(true);
    expect(transfer(pair, c, s, 10_000)).toHaveLength(10_000);
    pair.runFor(100_000);
    expect(keyEvents(pair, 'server').map((e) => e.type === 'key_updated' && [e.initiator, e.generation])).toEqual([
      ['local', 1],
      ['remote', 2],
    ]);
    expect(keyEvents(pair, 'client').map((e) => e.type === 'key_updated' && [e.initiator, e.generation])).toEqual([
      ['remote', 1],
      ['local', 2],
    ]);
  });

  it('is refused before the handshake is confirmed', async () => {
    const pair = await Pair.create({ provider: getProvider(name) });
    pair.runFor(25_000);
    expect(pair.clientConn.initiateKeyUpdate(pair.now)).toBe(false);
  });

  it('packets reordered across the update are opened with the previous keys, nothing is lost', async () => {
    const pair = await established(name, { jitter: 8_000 });
    const c = pair.clientConn;
    const s = pair.serverConn!;
    transfer(pair, c, s, 10_000);
    pair.runFor(100_000); // the ACKs of what was sent come back
    expect(c.initiateKeyUpdate(pair.now)).toBe(true);
    const out = transfer(pair, c, s, 300_000);
    expect(out).toHaveLength(300_000);
    expect(keyEvents(pair, 'server')).toHaveLength(1);
    const drops = s.stats().packetsDropped;
    expect(drops).toBe(0);
  });

  it('writes key_updated qlog events; both sides seal with Key Phase 1 afterwards', async () => {
    const pair = await Pair.create({ provider: getProvider(name), qlog: true });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(100_000);
    const c = pair.clientConn;
    transfer(pair, c, pair.serverConn!, 5_000);
    pair.runFor(100_000); // the ACKs of what was sent come back
    expect(c.initiateKeyUpdate(pair.now)).toBe(true);
    transfer(pair, c, pair.serverConn!, 5_000);
    pair.runFor(100_000);
    // Both directions now seal with generation 1 (Key Phase bit 1).
    expect(c.keyPhase!.writePhase).toBe(1);
    expect(pair.serverConn!.keyPhase!.writePhase).toBe(1);
    expect(pair.serverConn!.keyPhase!.readGen).toBe(1);
    const updates = pair.clientQlog.filter('quic:key_updated').map((e) => e.event.data);
    expect(updates).toEqual([
      { key_type: 'client_1rtt_secret', key_phase: 1, trigger: 'local_update' },
      { key_type: 'server_1rtt_secret', key_phase: 1, trigger: 'local_update' },
    ]);
  });
});
