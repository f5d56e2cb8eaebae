/**
 * Multipath path validation under loss (draft-ietf-quic-multipath-21 §3.1, RFC 9000 §8.2):
 * a PATH_CHALLENGE whose packet was acknowledged but whose PATH_RESPONSE was lost is followed by
 * new ones until a PATH_RESPONSE arrives (§8.2.1); and a validation that fails on the last open
 * path closes the connection (§3.4) instead of abandoning it and idling out.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { sameAddress } from '../../src/util/datagram.js';
import { Pair } from '../support/pair.js';

const SECOND = { host: '10.0.0.7', port: 51000 };

async function mpPair(): Promise<Pair> {
  const pair = await Pair.create({
    provider: getProvider('node'),
    seed: 1,
    link: { delay: 10_000 },
    client: { multipath: { maxPathId: 4 } },
    server: { multipath: { maxPathId: 4 } },
    qlog: true,
  });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(200_000);
  return pair;
}

const events = <T extends ConnectionEvent['type']>(ev: ConnectionEvent[], type: T) => ev.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);

function sentFrames(pair: Pair, side: 'client' | 'server', frameType: string): Record<string, unknown>[] {
  const sink = side === 'client' ? pair.clientQlog : pair.serverQlog;
  const out: Record<string, unknown>[] = [];
  for (const { event: e } of sink.events as unknown as { event: { name: string; data: { frames?: Record<string, unknown>[] } } }[]) {
    if (e.name !== 'quic:packet_sent') continue;
    for (const f of e.data.frames ?? []) if ((f.frame_name ?? f.frame_type) === frameType) out.push(f);
  }
  return out;
}

describe('multipath path validation under loss', () => {
  it('the PATH_RESPONSE is lost but the challenge acknowledged: a new PATH_CHALLENGE goes out and the path validates', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    // The server's first datagram to the new path (its PATH_RESPONSE, PATH_CHALLENGE and the
    // PATH_ACK of the client's challenge) is lost; everything else gets through. The server's
    // later packets acknowledge the client's challenge, so loss detection never resends it.
    let dropped = 0;
    pair.opts.link!.dropIf = (d, _i, from) => {
      if (from !== 'server' || !sameAddress(d.to, SECOND) || dropped > 0) return false;
      dropped++;
      return true;
    };
    const id = c.openPath(pair.now, SECOND)!;
    expect(id).toBe(1);
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 0 || events(pair.clientEvents, 'path_failed').length > 0, 5_000_000)).toBe(true);
    expect(dropped).toBe(1);
    expect(events(pair.clientEvents, 'path_failed')).toHaveLength(0);
    expect(events(pair.clientEvents, 'path_validated')).toEqual([{ type: 'path_validated', pathId: id }]);
    // RFC 9000 §13.3: a new challenge carries new data.
    const challenges = sentFrames(pair, 'client', 'path_challenge').map((f) => String(f.data));
    expect(challenges.length).toBeGreaterThanOrEqual(2);
    expect(new Set(challenges).size).toBe(challenges.length);
    expect(c.pathStats().find((p) => p.id === id)?.state).toBe('active');
    expect(c.state).toBe('established');
  });

  it('an unanswered PATH_CHALLENGE is re-sent every PTO, three tries before the validation deadline', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    // Nothing from the server reaches the new path: no PATH_RESPONSE, ever.
    pair.opts.link!.dropIf = (d, _i, from) => from === 'server' && sameAddress(d.to, SECOND);
    const id = c.openPath(pair.now, SECOND)!;
    pair.runUntil(() => events(pair.clientEvents, 'path_failed').length > 0, 10_000_000);
    const times: number[] = [];
    for (const { time, event: e } of pair.clientQlog.events as unknown as { time: number; event: { name: string; data: { frames?: { frame_type?: string; frame_name?: string }[] } } }[]) {
      if (e.name === 'quic:packet_sent' && (e.data.frames ?? []).some((f) => (f.frame_name ?? f.frame_type) === 'path_challenge')) times.push(time);
    }
    expect(events(pair.clientEvents, 'path_failed').map((e) => e.pathId)).toEqual([id]);
    expect(times).toHaveLength(3);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // A PTO from kInitialRtt on the new path (RFC 9002 §6.2.2), the same each time.
    expect(gaps[0]!).toBeGreaterThan(900_000);
    expect(Math.abs(gaps[1]! - gaps[0]!)).toBeLessThan(gaps[0]! / 10);
  });

  it('validation fails on the only open path left: the connection closes with a clear error, no idle timeout', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    // Nothing the server sends to the new path arrives: it cannot validate.
    pair.opts.link!.dropIf = (d, _i, from) => from === 'server' && sameAddress(d.to, SECOND);
    const id = c.openPath(pair.now, SECOND)!;
    pair.runFor(20_000);
    // Path 0 goes while path 1 validates (§3.4: a client MAY try a new path first).
    expect(c.closePath(pair.now, 0)).toBe(true);
    expect(pair.runUntil(() => c.state !== 'established', 10_000_000)).toBe(true);
    expect(events(pair.clientEvents, 'path_failed')).toEqual([{ type: 'path_failed', pathId: id }]);
    expect(c.closeInfo).toMatchObject({ kind: 'transport', code: 0, reason: 'path validation failed on the last path', initiator: 'local' });
    // Well before any idle timeout.
    expect(pair.now).toBeLessThan(5_000_000);
  });

  it('a lost PATH_ABANDON goes out again and the abandoned path keeps its state until the peer knows (no stateless reset)', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const id = c.openPath(pair.now, SECOND)!;
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    // The server abandons path 1; nothing it sends arrives for 4 s (beyond 3 PTOs), so its
    // first PATH_ABANDONs are lost while the client goes on using path 1.
    const until = pair.now + 4_000_000;
    pair.opts.link!.dropIf = (_d, _i, from) => from === 'server' && pair.now < until;
    expect(s.closePath(pair.now, id)).toBe(true);
    pair.runFor(4_000_000);
    // §3.4: the server keeps the path's connection IDs (its PATH_ABANDON is unanswered).
    expect(s.pathStats().find((p) => p.id === id)?.state).toBe('closing');
    const t0 = pair.now;
    const sid = c.openStream()!;
    c.streamWrite(sid, new TextEncoder().encode('after the abandon'), true);
    expect(pair.receiveAll(s, sid)).toEqual(new TextEncoder().encode('after the abandon'));
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_abandoned').length > 0, 3_000_000)).toBe(true);
    // (The client may have given up on the silent path first: either way it is abandoned once.)
    expect(events(pair.clientEvents, 'path_abandoned').map((e) => e.pathId)).toEqual([id]);
    pair.runFor(4_000_000);
    expect(pair.now).toBeGreaterThan(t0);
    expect(c.state).toBe('established');
    expect(s.state).toBe('established');
    // Both forget the path once the abandon is settled and 3 PTOs passed.
    expect(c.pathStats().map((p) => p.id)).toEqual([0]);
    expect(s.pathStats().map((p) => p.id)).toEqual([0]);
  });
});
