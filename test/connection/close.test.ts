/** RFC 9000 §10: idle timeout, immediate close, closing and draining periods. */
import { beforeAll, describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import type { CloseInfo, ConnectionEvent } from '../../src/connection/types.js';
import { Pair } from '../support/pair.js';

let provider = getProvider('node');
const find = (ev: ConnectionEvent[], type: 'closing' | 'closed'): CloseInfo | undefined => {
  const e = ev.find((x) => x.type === type);
  return e && (e.type === 'closing' || e.type === 'closed') ? e.info : undefined;
};

describe.each(PROVIDER_NAMES)('closing a connection (%s)', (name) => {
  beforeAll(() => {
    provider = getProvider(name);
  });

  it('idle timeout: the minimum of both sides, silently, at least 3×PTO', async () => {
    const pair = await Pair.create({ provider, client: { transport: { maxIdleTimeoutMs: 2_000 } }, server: { transport: { maxIdleTimeoutMs: 5_000 } } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(100_000);
    const quietSince = pair.now;
    const sent = pair.datagrams.client + pair.datagrams.server;
    pair.runUntil(() => pair.clientConn.isClosed && pair.serverConn!.isClosed, 10_000_000);
    expect(find(pair.clientEvents, 'closed')?.kind).toBe('idle_timeout');
    expect(find(pair.serverEvents, 'closed')?.kind).toBe('idle_timeout');
    // Both used the 2 s minimum, counted from their last activity.
    expect(pair.now - quietSince).toBeLessThan(2_100_000);
    expect(pair.now - quietSince).toBeGreaterThan(1_800_000);
    // Silently: nothing was sent while idling.
    expect(pair.datagrams.client + pair.datagrams.server).toBe(sent);
  });

  it('application close: closing for 3×PTO on one side, draining on the other, then closed', async () => {
    const pair = await Pair.create({ provider });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(50_000);
    pair.clientConn.close(pair.now, 42, 'bye');
    expect(pair.clientConn.state).toBe('closing');
    pair.runUntil(() => pair.serverConn!.state === 'draining', 1_000_000);
    expect(find(pair.serverEvents, 'closing')).toMatchObject({ kind: 'application', code: 42, reason: 'bye', initiator: 'remote' });
    const drainingAt = pair.now;
    const serverSent = pair.datagrams.server;
    pair.runUntil(() => pair.clientConn.isClosed && pair.serverConn!.isClosed, 5_000_000);
    // A draining endpoint sends nothing (§10.2.2).
    expect(pair.datagrams.server).toBe(serverSent);
    const pto = pair.serverConn!.recovery.rtt.pto(pair.serverConn!.recovery.maxAckDelay, true);
    expect(pair.now - drainingAt).toBeGreaterThanOrEqual(3 * pto - 20_000);
    expect(find(pair.clientEvents, 'closed')?.code).toBe(42);
    expect(pair.client.connectionCount).toBe(0);
    expect(pair.server.connectionCount).toBe(0);
  });

  it('a closing endpoint answers further packets with CONNECTION_CLOSE', async () => {
    const pair = await Pair.create({ provider });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(50_000);
    // Drop the server's first CONNECTION_CLOSE; the client keeps sending and gets another.
    let dropped = 0;
    pair.opts.link = { dropIf: (_d, _i, from) => from === 'server' && dropped++ === 0 };
    pair.serverConn!.close(pair.now, 7, 'closing');
    const id = pair.clientConn.openStream(true)!;
    pair.clientConn.streamWrite(id, new Uint8Array(100));
    pair.runUntil(() => pair.clientConn.state === 'draining', 2_000_000);
    expect(find(pair.clientEvents, 'closing')).toMatchObject({ code: 7, initiator: 'remote' });
    expect(dropped).toBeGreaterThan(1);
  });
});
