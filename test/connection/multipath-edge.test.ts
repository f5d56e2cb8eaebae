/**
 * Multipath QUIC (draft-ietf-quic-multipath-21) edge cases between two tquic connections in
 * memory: a NAT rebinding of one path (§3.1.2), failed path validation (§3.1), PATH_ABANDON from
 * the server (§3.4), running out of connection IDs and path IDs (§4.7), and a key update while
 * several paths carry data (§2.5 "Key Phase Update Process").
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { rotatePathCid, type MultipathConfig } from '../../src/connection/multipath.js';
import { handleFrame } from '../../src/connection/frames.js';
import { APPDATA } from '../../src/connection/types.js';
import { sameAddress } from '../../src/util/datagram.js';
import { CLIENT_ADDR, download, Pair } from '../support/pair.js';

const SECOND = { host: '10.0.0.7', port: 51000 };
/** Where the NAT in front of SECOND maps it after rebinding (another IP). */
const SECOND_NAT = { host: '10.0.0.9', port: 61000 };
/** An address from which nothing gets through. */
const DEAD = { host: '10.0.0.66', port: 52000 };

async function mpPair(mp: { client?: MultipathConfig; server?: MultipathConfig } = {}, seed = 1): Promise<Pair> {
  const pair = await Pair.create({
    provider: getProvider('node'),
    seed,
    link: { delay: 10_000 },
    client: { multipath: { maxPathId: 4, ...mp.client } },
    server: { multipath: { maxPathId: 4, ...mp.server } },
    qlog: true,
  });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(200_000);
  return pair;
}

const events = <T extends ConnectionEvent['type']>(ev: ConnectionEvent[], type: T) => ev.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);

/** Opens a path from `local` and waits for its validation. */
function openValidated(pair: Pair, local = SECOND): number {
  const before = events(pair.clientEvents, 'path_validated').length;
  const id = pair.clientConn.openPath(pair.now, local);
  expect(id).toBeDefined();
  expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > before, 5_000_000)).toBe(true);
  return id!;
}

/** Frames of one kind in a side's qlog packet_received / packet_sent events. */
function qlogFrames(pair: Pair, side: 'client' | 'server', name: 'quic:packet_received' | 'quic:packet_sent', frameType: string): Record<string, unknown>[] {
  const sink = side === 'client' ? pair.clientQlog : pair.serverQlog;
  const out: Record<string, unknown>[] = [];
  for (const { event: e } of sink.events as unknown as { event: { name: string; data: { frames?: Record<string, unknown>[] } } }[]) {
    if (e.name !== name) continue;
    // Extension frames are logged as frame_type 'unknown' with their frame_name.
    for (const f of e.data.frames ?? []) if ((f.frame_name ?? f.frame_type) === frameType) out.push(f);
  }
  return out;
}

describe('multipath edge cases', () => {
  it('NAT rebinding of one path: the server moves that path after validating the new address; path 0 stays', async () => {
    const pair = await mpPair();
    const s = pair.serverConn!;
    const id = openValidated(pair);
    const rttBefore = s.pathStats().find((p) => p.id === id)!.smoothedRtt;
    // The NAT in front of SECOND rebinds to another IP and port; then a transfer starts, whose
    // acknowledgements on path 1 arrive from the new address.
    pair.opts.link!.rewriteFrom = (d, _i, from) => (from === 'client' && sameAddress(d.from, SECOND) ? SECOND_NAT : undefined);
    const t = download(pair, 2_000_000);
    expect(pair.runUntil(() => t.step() || events(pair.serverEvents, 'peer_address_changed').some((e) => e.state === 'validated'), 5_000_000)).toBe(true);
    const changes = events(pair.serverEvents, 'peer_address_changed');
    expect(changes.map((e) => [e.pathId, e.state])).toEqual([
      [id, 'validating'],
      [id, 'validated'],
    ]);
    expect(changes[0]!.previous).toEqual(SECOND);
    expect(changes[0]!.address).toEqual(SECOND_NAT);
    const p1 = s.pathStats().find((p) => p.id === id)!;
    expect(p1.remote).toEqual(SECOND_NAT);
    expect(p1.state).toBe('active');
    // The IP changed: the path's RTT estimator started afresh (RFC 9000 §9.4).
    expect(p1.smoothedRtt).not.toBe(rttBefore);
    // Path 0 untouched, and no migration of the connection itself.
    const p0 = s.pathStats().find((p) => p.id === 0)!;
    expect(p0.remote).toEqual(CLIENT_ADDR);
    expect(events(pair.serverEvents, 'path_abandoned')).toHaveLength(0);
    // The PATH_CHALLENGE went to the new address (on path 1).
    expect(qlogFrames(pair, 'server', 'quic:packet_sent', 'path_challenge').length).toBeGreaterThan(0);
    expect(pair.amplificationViolations).toBe(0);
    // The transfer completes, and path 1 carries data again at its new address.
    const sentBefore = p1.datagramsSent;
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    expect(s.pathStats().find((p) => p.id === id)!.datagramsSent).toBeGreaterThan(sentBefore + 10);
    expect(s.state).toBe('established');
  });

  it('failed path validation: path_failed, PATH_ABANDON on another path, the path ID is not reused', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    // Nothing sent from DEAD gets through.
    pair.opts.link!.dropIf = (d, _i, from) => from === 'client' && sameAddress(d.from, DEAD);
    const id = c.openPath(pair.now, DEAD)!;
    expect(id).toBe(1);
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_failed').length > 0, 10_000_000)).toBe(true);
    expect(events(pair.clientEvents, 'path_failed')).toEqual([{ type: 'path_failed', pathId: id }]);
    expect(events(pair.clientEvents, 'path_abandoned')).toEqual([{ type: 'path_abandoned', pathId: id, errorCode: 0x3e76, initiator: 'local' }]);
    // §3.1: the path ID is consumed; PATH_ABANDON goes on path 0 and the server, which never saw
    // the path, closes the path ID too.
    const s = pair.serverConn!;
    expect(pair.runUntil(() => s.mp!.cids.isClosed(id), 2_000_000)).toBe(true);
    const abandons = qlogFrames(pair, 'server', 'quic:packet_received', 'path_abandon');
    expect(abandons.map((f) => f.path_id)).toContain(id);
    expect(events(pair.serverEvents, 'path_opened')).toHaveLength(0);
    // The connection goes on, and the next path gets the next path ID.
    pair.opts.link!.dropIf = undefined;
    const sid = c.openStream()!;
    c.streamWrite(sid, new TextEncoder().encode('still here'), true);
    expect(pair.receiveAll(s, sid)).toEqual(new TextEncoder().encode('still here'));
    const next = openValidated(pair);
    expect(next).toBe(2);
    // 3 PTOs of the largest PTO of all paths (§3.4): path 1 never had an RTT sample (≈1 s PTO).
    pair.runFor(4_000_000);
    expect(c.pathStats().map((p) => p.id)).toEqual([0, 2]);
    expect(c.state).toBe('established');
    expect(s.state).toBe('established');
  });

  it('PATH_ABANDON from the server: the client answers with its own, both forget the path after 3 PTOs, late frames are ignored', async () => {
    const pair = await mpPair();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const id = openValidated(pair);
    expect(s.closePath(pair.now, id)).toBe(true);
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_abandoned').length > 0, 2_000_000)).toBe(true);
    expect(events(pair.serverEvents, 'path_abandoned')).toEqual([{ type: 'path_abandoned', pathId: id, errorCode: 0x3e, initiator: 'local' }]);
    expect(events(pair.clientEvents, 'path_abandoned')).toEqual([{ type: 'path_abandoned', pathId: id, errorCode: 0x3e, initiator: 'remote' }]);
    // §3.4: the receiver answers with its own PATH_ABANDON.
    expect(pair.runUntil(() => qlogFrames(pair, 'server', 'quic:packet_received', 'path_abandon').length > 0, 2_000_000)).toBe(true);
    expect(qlogFrames(pair, 'client', 'quic:packet_sent', 'path_abandon').map((f) => f.path_id)).toEqual([id]);
    // Kept while closing: a late PATH_ACK and PATH_STATUS for it are ignored.
    expect(c.pathStats().find((p) => p.id === id)?.state).toBe('closing');
    const lateFrames = (): void => {
      handleFrame(c, pair.now, APPDATA, { kind: 'path_ack', pathId: id, ackDelay: 0, ranges: [{ smallest: 0, largest: 5 }] });
      handleFrame(c, pair.now, APPDATA, { kind: 'path_status_backup', pathId: id, sequence: 7 });
      handleFrame(c, pair.now, APPDATA, { kind: 'path_abandon', pathId: id, errorCode: 0 });
    };
    lateFrames();
    pair.runFor(1_000); // the events come out
    expect(events(pair.clientEvents, 'path_status')).toHaveLength(0);
    expect(c.state).toBe('established');
    // Gone after 3 PTOs on both sides.
    // (The server's path 1 has no RTT sample yet: its PTO is the initial one, about 1 s.)
    pair.runFor(4_000_000);
    expect(c.pathStats().map((p) => p.id)).toEqual([0]);
    expect(s.pathStats().map((p) => p.id)).toEqual([0]);
    // Later still: no error, no state.
    lateFrames();
    handleFrame(s, pair.now, APPDATA, { kind: 'path_status_available', pathId: id, sequence: 9 });
    expect(c.pathStats().map((p) => p.id)).toEqual([0]);
    expect(s.pathStats().map((p) => p.id)).toEqual([0]);
    expect(events(pair.clientEvents, 'path_abandoned')).toHaveLength(1);
    expect(events(pair.clientEvents, 'path_status')).toHaveLength(0);
    expect(events(pair.serverEvents, 'path_status')).toHaveLength(0);
    pair.runFor(500_000);
    const sid = c.openStream()!;
    c.streamWrite(sid, new TextEncoder().encode('after'), true);
    expect(pair.receiveAll(s, sid)).toEqual(new TextEncoder().encode('after'));
    expect(c.state).toBe('established');
    expect(s.state).toBe('established');
    // The path ID stays closed: a new path takes the next one.
    expect(openValidated(pair)).toBe(id + 1);
  });

  it('no connection ID left: PATH_CIDS_BLOCKED for a rotation and for opening a path', async () => {
    // The server issues connection IDs for one unused path ID at a time, one each.
    const pair = await mpPair({ server: { unusedPathCids: 1, maxUnusedPaths: 1 } });
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const id = c.openPath(pair.now, SECOND)!;
    expect(id).toBe(1);
    // At once, before the server saw path 1: its only connection ID for path 1 is in use, and it
    // issued none for path 2 yet.
    expect(rotatePathCid(c, id)).toBe(false);
    expect(c.openPath(pair.now, { host: '10.0.0.8', port: 51000 })).toBeUndefined();
    expect(pair.runUntil(() => s.mp!.cids.cidsBlockedReceived >= 2, 2_000_000)).toBe(true);
    const blocked = qlogFrames(pair, 'server', 'quic:packet_received', 'path_cids_blocked').map((f) => [f.path_id, f.next_sequence_number]);
    expect(blocked).toEqual([
      [1, 1],
      [2, 0],
    ]);
    // The server issues more; the client can rotate on path 1 and open path 2 now.
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    pair.runFor(200_000);
    expect(rotatePathCid(c, id)).toBe(true);
    expect(c.openPath(pair.now, { host: '10.0.0.8', port: 51000 })).toBe(2);
    expect(pair.runUntil(() => events(pair.clientEvents, 'path_validated').length > 1, 5_000_000)).toBe(true);
    const t = download(pair, 200_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    expect(s.state).toBe('established');
  });

  it('the path ID limit: a second openPath returns undefined and PATHS_BLOCKED goes out', async () => {
    const pair = await mpPair({ server: { maxPathId: 1 } });
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(openValidated(pair)).toBe(1);
    expect(c.openPath(pair.now, { host: '10.0.0.8', port: 51000 })).toBeUndefined();
    expect(pair.runUntil(() => s.mp!.cids.pathsBlockedReceived > 0, 2_000_000)).toBe(true);
    expect(qlogFrames(pair, 'server', 'quic:packet_received', 'paths_blocked').map((f) => f.maximum_path_id)).toEqual([1]);
    expect(s.mp!.cids.peerBlockedAt).toBe(1);
    // Asking again does not repeat it (§4.7: once per limit).
    expect(c.openPath(pair.now, { host: '10.0.0.8', port: 51000 })).toBeUndefined();
    pair.runFor(500_000);
    expect(s.mp!.cids.pathsBlockedReceived).toBe(1);
    expect(c.state).toBe('established');
  });

  describe('key update with multipath (§2.5: one key phase for all paths)', () => {
    /** Datagrams of path 0 (the client's first address) take `slow0` µs, those of path 1 `slow1`. */
    async function slowPair(slow0: number, slow1: number): Promise<Pair> {
      const pair = await mpPair();
      pair.opts.link!.delayOf = (d, from) => (sameAddress(from === 'client' ? d.from : d.to, CLIENT_ADDR) ? slow0 : slow1);
      return pair;
    }
    const decryptFailures = (pair: Pair, side: 'client' | 'server', after: number): number =>
      (side === 'client' ? pair.clientQlog : pair.serverQlog).events.filter((l) => l.time >= after && l.event.name === 'quic:packet_dropped' && (l.event.data as { trigger?: string }).trigger === 'decryption_failure').length;
    const keyEvents = (ev: ConnectionEvent[]) => events(ev, 'key_updated');

    it('an update started by the client completes while two paths carry data; both paths decrypt afterwards', async () => {
      // Path 0 slow and far ahead in packet numbers, path 1 fast and new: packets of the old
      // phase on path 0 arrive after the first of the new phase on path 1, with higher numbers.
      const pair = await slowPair(60_000, 5_000);
      const c = pair.clientConn;
      const s = pair.serverConn!;
      const warm = download(pair, 3_000_000);
      expect(pair.runUntil(() => warm.step(), 20_000_000)).toBe(true);
      const id = openValidated(pair);
      const t = download(pair, 10_000_000);
      pair.runUntil(() => t.step(), 100_000);
      const stats0 = c.pathStats();
      for (const p of s.pathStats()) expect(p.datagramsSent).toBeGreaterThan(20);
      const at = pair.now;
      expect(c.initiateKeyUpdate(pair.now)).toBe(true);
      expect(pair.runUntil(() => t.step(), 30_000_000)).toBe(true);
      t.received();
      expect(keyEvents(pair.clientEvents)).toEqual([{ type: 'key_updated', initiator: 'local', generation: 1 }]);
      expect(keyEvents(pair.serverEvents)).toEqual([{ type: 'key_updated', initiator: 'remote', generation: 1 }]);
      // Packets on both paths were opened after the update, none failed to decrypt.
      for (const p of c.pathStats()) expect(p.datagramsReceived).toBeGreaterThan(stats0.find((q) => q.id === p.id)!.datagramsReceived + 20);
      expect(c.pathStats().map((p) => p.id)).toEqual([0, id]);
      expect(decryptFailures(pair, 'client', at)).toBe(0);
      expect(decryptFailures(pair, 'server', at)).toBe(0);
      expect(c.state).toBe('established');
      expect(s.state).toBe('established');
    });

    /** The client sends `n` bytes on a new stream; returns once the server has them all. */
    function exchange(pair: Pair, n = 3000): void {
      const c = pair.clientConn;
      const sid = c.openStream(true)!;
      const data = new Uint8Array(n).map((_, i) => (i * 13) & 0xff);
      c.streamWrite(sid, data, true);
      expect(pair.receiveAll(pair.serverConn!, sid)).toEqual(data);
    }

    it('the next update waits 3× the largest PTO among the paths', async () => {
      // Path 1 much slower than path 0: its PTO is the largest.
      const pair = await slowPair(5_000, 150_000);
      const c = pair.clientConn;
      const id = openValidated(pair);
      exchange(pair);
      pair.runFor(500_000);
      expect(c.initiateKeyUpdate(pair.now)).toBe(true);
      exchange(pair);
      expect(pair.runUntil(() => keyEvents(pair.clientEvents).length > 0, 5_000_000)).toBe(true);
      const done = pair.now;
      const pto = (pid: number) => {
        const r = c.mp!.paths.get(pid)!.recovery;
        return r.rtt.pto(r.maxAckDelay, true);
      };
      expect(pto(id)).toBeGreaterThan(3 * pto(0));
      // 3× path 0's PTO has passed, but not 3× path 1's: not yet (RFC 9001 §6.5 would allow it).
      pair.runFor(3 * pto(0) + 20_000);
      expect(pair.now).toBeLessThan(done + 3 * pto(id) - 50_000);
      expect(c.initiateKeyUpdate(pair.now)).toBe(false);
      pair.runFor(done + 3 * pto(id) + 50_000 - pair.now);
      expect(c.initiateKeyUpdate(pair.now)).toBe(true);
      exchange(pair);
      expect(pair.runUntil(() => keyEvents(pair.clientEvents).length > 1, 5_000_000)).toBe(true);
      expect(keyEvents(pair.serverEvents).map((e) => e.generation)).toEqual([1, 2]);
    });

    it('updates go on when path 0 is gone: packets of the other paths count as acknowledged in the new phase', async () => {
      const pair = await slowPair(10_000, 10_000);
      const c = pair.clientConn;
      const s = pair.serverConn!;
      const id = openValidated(pair);
      expect(c.closePath(pair.now, 0)).toBe(true);
      pair.runFor(3_000_000);
      expect(c.pathStats().map((p) => p.id)).toEqual([id]);
      for (let gen = 1; gen <= 3; gen++) {
        exchange(pair);
        pair.runFor(1_000_000);
        expect(c.initiateKeyUpdate(pair.now)).toBe(true);
        exchange(pair);
        expect(pair.runUntil(() => keyEvents(pair.clientEvents).length >= gen, 5_000_000)).toBe(true);
      }
      expect(keyEvents(pair.serverEvents).map((e) => e.generation)).toEqual([1, 2, 3]);
      const t = download(pair, 500_000);
      expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
      t.received();
      expect(s.state).toBe('established');
    });
  });
});
