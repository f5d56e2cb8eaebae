/**
 * Multipath QUIC (draft-ietf-quic-multipath-21) between two tquic connections in memory:
 * negotiation, opening and validating a second path, data on both paths, PATH_ABANDON.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { CLIENT_ADDR, download, Pair } from '../support/pair.js';

const SECOND = { host: '10.0.0.7', port: 51000 };

async function mpPair(extra: { client?: object; server?: object } = {}): Promise<Pair> {
  const pair = await Pair.create({
    provider: getProvider('node'),
    link: { delay: 10_000 },
    client: { multipath: { maxPathId: 4 }, ...(extra.client ?? {}) },
    server: { multipath: { maxPathId: 4 }, ...(extra.server ?? {}) },
    qlog: true,
  });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(200_000);
  return pair;
}

const events = (ev: ConnectionEvent[], type: ConnectionEvent['type']) => ev.filter((e) => e.type === type);

describe('multipath', () => {
  it('negotiated when both send initial_max_path_id; a second path opens, validates and carries data', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(c.mp).toBeDefined();
    expect(s.mp).toBeDefined();
    const id = c.openPath(pair.now, SECOND);
    expect(id).toBe(1);
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    expect(events(pair.serverEvents, 'path_opened')).toHaveLength(1);
    // A bulk transfer from the server spreads over both paths.
    const t = download(pair, 400_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    const stats = s.pathStats();
    expect(stats.map((p) => p.id).sort()).toEqual([0, 1]);
    for (const p of stats) expect(p.datagramsSent).toBeGreaterThan(20);
    expect(stats.find((p) => p.id === 1)!.remote).toEqual(SECOND);
    expect(c.pathStats().find((p) => p.id === 0)!.local).toEqual(CLIENT_ADDR);
  });

  it('a controller per path (congestionControlOf): path 1 runs BBRv3 while path 0 keeps CUBIC, and the data still arrives', async () => {
    const pick = { multipath: { maxPathId: 4, congestionControlOf: (id: number) => (id === 1 ? 'bbr3' : undefined) } };
    const pair = await mpPair({ client: pick, server: pick });
    expect(pair.clientConn.openPath(pair.now, SECOND)).toBe(1);
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    const s = pair.serverConn!;
    expect(s.mp!.paths.get(0)!.recovery.cc.name).toBe('cubic');
    expect(s.mp!.paths.get(1)!.recovery.cc.name).toBe('bbr3');
    const t = download(pair, 300_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
  });

  it('without the peer sending initial_max_path_id, multipath stays off and openPath refuses', async () => {
    const pair = await Pair.create({ provider: getProvider('node'), client: { multipath: {} } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(100_000);
    expect(pair.clientConn.mp).toBeUndefined();
    expect(pair.clientConn.openPath(pair.now, SECOND)).toBeUndefined();
  });

  it('PATH_ABANDON closes a path on both sides; the connection goes on on the other', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    const id = c.openPath(pair.now, SECOND)!;
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    expect(c.closePath(pair.now, id)).toBe(true);
    expect(pair.runUntil(() => events(pair.serverEvents, 'path_abandoned').length > 0, 5_000_000)).toBe(true);
    // The last path cannot be closed this way.
    expect(c.closePath(pair.now, 0)).toBe(false);
    const sid = c.openStream()!;
    c.streamWrite(sid, new TextEncoder().encode('still here'), true);
    expect(pair.receiveAll(pair.serverConn!, sid)).toEqual(new TextEncoder().encode('still here'));
    pair.runFor(3_000_000);
    expect(c.pathStats().map((p) => p.id)).toEqual([0]);
  });
});
