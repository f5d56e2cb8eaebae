/**
 * Connection IDs per path ID (draft-ietf-quic-multipath-21 §5.1, §4.4–§4.7, §3.4): per-path
 * sequence spaces from 0, proactive issuing without gaps up to min(both path ID limits),
 * PATH_NEW_CONNECTION_ID / PATH_RETIRE_CONNECTION_ID checks per path, MAX_PATH_ID,
 * PATHS_BLOCKED / PATH_CIDS_BLOCKED, closing and forgetting a path. A fake CidHost, no sockets.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/connection.js';
import { LocalCids, PeerCids, type CidHost } from '../../src/connection/cids.js';
import { PathCidSets, type PathCidOptions, type PathCidToken } from '../../src/connection/path-cids.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import type { SocketAddress } from '../../src/util/datagram.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { decodeFrame, encodeFrame } from '../../src/wire/frame-codec.js';
import { FrameType, type Frame, type PathNewConnectionIdFrame } from '../../src/wire/frame.js';

/** Counter-based CIDs (8 bytes) and tokens; records what the connection asks of it. */
class FakeHost implements CidHost {
  next = 1;
  readonly routed = new Set<string>();
  readonly retired: string[] = [];
  readonly watched = new Set<string>();
  /** Stop issuing after this many (undefined: never). */
  budget: number | undefined;

  issue(): Uint8Array | undefined {
    if (this.budget !== undefined && this.budget-- <= 0) return undefined;
    const cid = new Uint8Array(8);
    new DataView(cid.buffer).setUint32(4, this.next++);
    this.routed.add(hex(cid));
    return cid;
  }
  retire(_owner: Connection, cid: Uint8Array): void {
    this.routed.delete(hex(cid));
    this.retired.push(hex(cid));
  }
  resetToken(cid: Uint8Array): Uint8Array {
    const t = new Uint8Array(16);
    t.set(cid);
    t[15] = 0xaa;
    return t;
  }
  watch(_owner: Connection, token: Uint8Array): void {
    this.watched.add(hex(token));
  }
  unwatch(_owner: Connection, token: Uint8Array): void {
    this.watched.delete(hex(token));
  }
}

const owner = {} as Connection;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function peerCid(n: number): Uint8Array {
  const c = new Uint8Array(8).fill(0xc0);
  new DataView(c.buffer).setUint32(4, n);
  return c;
}
function pathNew(pathId: number, sequence: number, cidNo: number, retirePriorTo = 0): PathNewConnectionIdFrame {
  return { kind: 'path_new_connection_id', pathId, sequence, retirePriorTo, cid: peerCid(cidNo), resetToken: new Uint8Array(16).fill(cidNo & 0xff) };
}

function sets(opts: Partial<PathCidOptions> = {}, host = new FakeHost()): { s: PathCidSets; host: FakeHost; local0: LocalCids; peer0: PeerCids } {
  const local0 = new LocalCids(owner, host, host.issue()!);
  const peer0 = new PeerCids(owner, host, peerCid(0));
  const s = new PathCidSets(owner, host, { localMaxPathId: 3, peerMaxPathId: 3, activeCidLimit: 4, local0, peer0, ...opts });
  return { s, host, local0, peer0 };
}

/** Every frame waiting, in order, each round-tripped through the wire codec. */
function drain(s: PathCidSets, room = 1200): Array<{ frame: Frame; token: PathCidToken }> {
  const out: Array<{ frame: Frame; token: PathCidToken }> = [];
  for (let x = s.nextFrame(room); x !== undefined; x = s.nextFrame(room)) {
    const buf = new Uint8Array(200);
    const w = new ByteWriter(buf);
    encodeFrame(w, x.frame);
    expect(decodeFrame(new ByteReader(buf.subarray(0, w.offset)))).toEqual(x.frame);
    out.push(x);
  }
  expect(s.hasPending()).toBe(false);
  return out;
}

const newCids = (out: Array<{ frame: Frame }>) =>
  out.flatMap(({ frame: f }) => (f.kind === 'path_new_connection_id' ? [[f.pathId, f.sequence]] : f.kind === 'new_connection_id' ? [[-1, f.sequence]] : []));

function throwsCode(fn: () => unknown, code: number, frameType: number): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code).toBe(code);
    expect((e as TransportError).frameType).toBe(frameType);
    return;
  }
  throw new Error('no error thrown');
}

const never = () => false;

describe('LocalCids / PeerCids with a path ID', () => {
  it('a path ID ≥ 1 has its own sequence space from 0 and speaks PATH_NEW_CONNECTION_ID', () => {
    const host = new FakeHost();
    const l = new LocalCids(owner, host, undefined, 2);
    expect(l.size).toBe(0);
    expect(l.nextSeq).toBe(0);
    expect(l.handshakeToken).toBeUndefined();
    expect(l.issuePreferred()).toBeUndefined();
    l.start(3);
    expect(l.list().map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(l.pending).toEqual([0, 1, 2]);
    const f = l.frame(0)!;
    expect(f.kind).toBe('path_new_connection_id');
    expect(f.kind === 'path_new_connection_id' && f.pathId).toBe(2);
    expect(f.sequence).toBe(0);
    // PATH_RETIRE_CONNECTION_ID: errors name that frame type; a replacement follows at seq 3.
    throwsCode(() => l.onRetire(7, never), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_RETIRE_CONNECTION_ID);
    l.onRetire(0, never);
    expect(l.list().map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(l.retiredByPeer).toBe(1);
  });

  it('a peer set of a path ID ≥ 1 starts empty with nothing in use; the first ID is taken by next()', () => {
    const host = new FakeHost();
    const p = new PeerCids(owner, host, undefined, 1);
    expect(p.size).toBe(0);
    expect(p.current).toBe(-1);
    expect(p.nextSequence).toBe(0);
    expect(p.onNewConnectionId(pathNew(1, 0, 10), 4)).toBeUndefined();
    expect(p.current).toBe(-1);
    expect(p.hasUnused()).toBe(true);
    expect(p.nextSequence).toBe(1);
    const cid = p.next()!;
    expect(hex(cid)).toBe(hex(peerCid(10)));
    expect(p.current).toBe(0);
    expect(p.retirePending).toEqual([]); // nothing was in use before
    expect(host.watched.has(hex(new Uint8Array(16).fill(10)))).toBe(true);
    expect(p.retireFrame(0)).toEqual({ kind: 'path_retire_connection_id', pathId: 1, sequence: 0 });
    // setHandshake / addPreferred belong to path 0's handshake ID only.
    p.setHandshake(peerCid(99), undefined);
    expect(hex(p.list()[0]!.cid)).toBe(hex(peerCid(10)));
  });

  it('without a path ID everything is RFC 9000 as before', () => {
    const host = new FakeHost();
    const l = new LocalCids(owner, host, host.issue()!);
    l.start(2);
    expect(l.frame(1)?.kind).toBe('new_connection_id');
    const p = new PeerCids(owner, host, peerCid(0));
    expect(p.retireFrame(3)).toEqual({ kind: 'retire_connection_id', sequence: 3 });
    throwsCode(
      () => p.onNewConnectionId({ kind: 'new_connection_id', sequence: 0, retirePriorTo: 0, cid: peerCid(5), resetToken: new Uint8Array(16) }, 4),
      ErrorCode.PROTOCOL_VIOLATION,
      FrameType.NEW_CONNECTION_ID,
    );
  });
});

describe('PathCidSets (multipath-21 §5.1)', () => {
  it('issues for every unused path ID up to min(local, peer) limit, no gaps, per-path sequences from 0; path 0 up to the per-path limit', () => {
    const { s, local0 } = sets({ localMaxPathId: 3, peerMaxPathId: 2 });
    s.start(4);
    const out = drain(s);
    // Path 0 (the connection's set, PATH_ frames now): sequences 1..3; paths 1, 2: sequence 0 each; not path 3.
    expect(newCids(out)).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 0],
      [2, 0],
    ]);
    expect(local0.pathId).toBe(0);
    expect(s.local(1).list().map((e) => e.seq)).toEqual([0]);
    expect(s.pathIds()).toEqual([0, 1, 2]);
    for (const { token, frame } of out) expect(token).toMatchObject({ kind: 'path_new_connection_id', pathId: (frame as PathNewConnectionIdFrame).pathId });
  });

  it('a used path gets the per-path limit, and the next unused path ID gets one; maxUnusedPaths bounds issuing ahead', () => {
    const { s } = sets({ localMaxPathId: 1000, peerMaxPathId: 1000, maxUnusedPaths: 2, unusedPathCids: 1 });
    s.start(3);
    drain(s);
    expect(s.pathIds()).toEqual([0, 1, 2]);
    s.markUsed(1);
    expect(newCids(drain(s))).toEqual([
      [1, 1],
      [1, 2],
      [3, 0],
    ]);
    s.close(2);
    expect(newCids(drain(s))).toEqual([[4, 0]]);
    expect(s.pathIds()).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops at the first path ID the endpoint cannot issue for (no gaps)', () => {
    const host = new FakeHost();
    const { s } = sets({ localMaxPathId: 5, peerMaxPathId: 5 }, host);
    host.budget = 3 + 2; // path 0's three, then paths 1 and 2
    s.start(4);
    expect(newCids(drain(s)).filter(([p]) => p! > 0)).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('path 0 can keep NEW_CONNECTION_ID / RETIRE_CONNECTION_ID (pathZeroFrames false)', () => {
    const { s, peer0 } = sets({ pathZeroFrames: false, localMaxPathId: 0, peerMaxPathId: 0 });
    s.start(2);
    const out = drain(s);
    expect(out.map((x) => x.frame.kind)).toEqual(['new_connection_id']);
    expect(out[0]!.token).toEqual({ kind: 'path_new_connection_id', pathId: 0, seq: 1 });
    s.onNewConnectionId({ kind: 'new_connection_id', sequence: 1, retirePriorTo: 1, cid: peerCid(1), resetToken: new Uint8Array(16).fill(1) });
    expect(peer0.current).toBe(1);
    expect(drain(s).map((x) => [x.frame, x.token])).toEqual([[{ kind: 'retire_connection_id', sequence: 0 }, { kind: 'path_retire_connection_id', pathId: 0, seq: 0 }]]);
  });

  it('PATH_NEW_CONNECTION_ID: same sequence with other contents, a repeated ID (on any path), the per-path limit', () => {
    const { s } = sets({ activeCidLimit: 2 });
    s.start(4);
    s.onNewConnectionId(pathNew(1, 0, 10));
    s.onNewConnectionId(pathNew(1, 0, 10)); // a retransmission is fine
    throwsCode(() => s.onNewConnectionId(pathNew(1, 0, 11)), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_NEW_CONNECTION_ID);
    throwsCode(() => s.onNewConnectionId(pathNew(1, 1, 10)), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_NEW_CONNECTION_ID);
    throwsCode(() => s.onNewConnectionId(pathNew(2, 0, 10)), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_NEW_CONNECTION_ID);
    throwsCode(() => s.onNewConnectionId(pathNew(0, 5, 0)), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_NEW_CONNECTION_ID); // path 0's handshake ID
    s.onNewConnectionId(pathNew(1, 1, 11));
    // active_connection_id_limit 2 applies per path: path 2 takes two more.
    s.onNewConnectionId(pathNew(2, 0, 20));
    s.onNewConnectionId(pathNew(2, 1, 21));
    throwsCode(() => s.onNewConnectionId(pathNew(1, 2, 12)), ErrorCode.CONNECTION_ID_LIMIT_ERROR, FrameType.PATH_NEW_CONNECTION_ID);
    expect(s.peer(2).size).toBe(2);
  });

  it('Retire Prior To applies per path, and a retired ID in use is replaced', () => {
    const { s } = sets();
    s.start(4);
    drain(s);
    s.onNewConnectionId(pathNew(1, 0, 10));
    s.onNewConnectionId(pathNew(1, 1, 11));
    s.onNewConnectionId(pathNew(2, 0, 20));
    s.onNewConnectionId(pathNew(2, 1, 21));
    expect(hex(s.open(1)!)).toBe(hex(peerCid(10)));
    expect(s.isUsed(1)).toBe(true);
    const switched = s.onNewConnectionId(pathNew(1, 2, 12, 2));
    expect(hex(switched!)).toBe(hex(peerCid(12)));
    expect(s.peer(1).list().map((e) => e.seq)).toEqual([2]);
    expect(s.peer(2).list().map((e) => e.seq)).toEqual([0, 1]);
    const retires = drain(s).filter((x) => x.frame.kind === 'path_retire_connection_id');
    expect(retires.map((x) => x.frame)).toEqual([
      { kind: 'path_retire_connection_id', pathId: 1, sequence: 0 },
      { kind: 'path_retire_connection_id', pathId: 1, sequence: 1 },
    ]);
    // A late ID below Retire Prior To is retired at once.
    s.onNewConnectionId(pathNew(1, 1, 11));
    expect(drain(s)).toEqual([]); // seq 1 was already being retired
    // Until acknowledged, a lost retirement goes again.
    s.onLost(retires[0]!.token);
    expect(drain(s).map((x) => x.frame)).toEqual([{ kind: 'path_retire_connection_id', pathId: 1, sequence: 0 }]);
    s.onAcked(retires[0]!.token);
    s.onLost(retires[0]!.token);
    expect(drain(s)).toEqual([]);
    expect(s.stats().find((x) => x.pathId === 1)).toMatchObject({ received: 3, retiredByUs: 2, peerActive: 1, used: true });
  });

  it('PATH_RETIRE_CONNECTION_ID retires our ID of that path and issues the next sequence of that path', () => {
    const { s, host } = sets();
    s.start(4);
    drain(s);
    const cid0 = s.local(2).list()[0]!.cid;
    throwsCode(() => s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 2, sequence: 0 }, (c) => hex(c) === hex(cid0)), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_RETIRE_CONNECTION_ID);
    throwsCode(() => s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 2, sequence: 1 }, never), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_RETIRE_CONNECTION_ID);
    s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 2, sequence: 0 }, never);
    expect(host.retired).toEqual([hex(cid0)]);
    expect(newCids(drain(s))).toEqual([[2, 1]]);
    // Retransmission: already retired, nothing happens.
    s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 2, sequence: 0 }, never);
    expect(s.stats().find((x) => x.pathId === 2)).toMatchObject({ issued: 2, retiredByPeer: 1, localActive: 1 });
    // RETIRE_CONNECTION_ID still works for path 0, with its own frame type in errors.
    throwsCode(() => s.onRetireConnectionId({ kind: 'retire_connection_id', sequence: 9 }, never), ErrorCode.PROTOCOL_VIOLATION, FrameType.RETIRE_CONNECTION_ID);
    s.onRetireConnectionId({ kind: 'retire_connection_id', sequence: 1 }, never);
    expect(newCids(drain(s))).toEqual([[0, 4]]);
  });

  it('a path ID above our limit is a PROTOCOL_VIOLATION in every frame', () => {
    const { s } = sets({ localMaxPathId: 2, peerMaxPathId: 5 });
    s.start(4);
    throwsCode(() => s.onNewConnectionId(pathNew(3, 0, 30)), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_NEW_CONNECTION_ID);
    throwsCode(() => s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 3, sequence: 0 }, never), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_RETIRE_CONNECTION_ID);
    throwsCode(() => s.onPathCidsBlocked({ kind: 'path_cids_blocked', pathId: 3, nextSequence: 0 }), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_CIDS_BLOCKED);
    throwsCode(() => s.onPathsBlocked({ kind: 'paths_blocked', maxPathId: 3 }), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATHS_BLOCKED);
    // Within the limit but never issued: retiring is a violation too.
    const { s: t } = sets({ localMaxPathId: 5, peerMaxPathId: 1 });
    t.start(4);
    throwsCode(() => t.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 4, sequence: 0 }, never), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_RETIRE_CONNECTION_ID);
    // After MAX_PATH_ID goes up, the new path IDs are fine.
    expect(s.raiseLocalMax(3)).toBe(true);
    s.onNewConnectionId(pathNew(3, 0, 30));
    expect(s.peer(3).size).toBe(1);
  });

  it('close: the peer IDs of the path are retired at once without frames, its frames are ignored, ours route until forget', () => {
    const { s, host } = sets();
    s.start(4);
    drain(s);
    s.onNewConnectionId(pathNew(1, 0, 10));
    s.onNewConnectionId(pathNew(1, 1, 11));
    s.open(1);
    const lost = drain(s); // path 1 now gets more IDs of ours
    expect(newCids(lost).filter(([p]) => p === 1)).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(host.watched.size).toBe(1);
    const ours = s.local(1).list().map((e) => e.cid);
    s.close(1);
    expect(s.isClosed(1)).toBe(true);
    expect(s.peer(1).size).toBe(0);
    expect(host.watched.size).toBe(0);
    expect(drain(s)).toEqual([]); // no PATH_RETIRE_CONNECTION_ID, no reissue
    expect(s.stats().find((x) => x.pathId === 1)).toMatchObject({ received: 2, retiredByUs: 2, closed: true });
    // Frames for the closed path are ignored silently.
    expect(s.onNewConnectionId(pathNew(1, 2, 12))).toBeUndefined();
    s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 1, sequence: 0 }, never);
    s.onPathCidsBlocked({ kind: 'path_cids_blocked', pathId: 1, nextSequence: 99 });
    expect(s.peer(1).size).toBe(0);
    // Lost PATH_NEW_CONNECTION_ID of the closed path is not sent again.
    for (const x of lost) s.onLost(x.token);
    expect(newCids(drain(s)).filter(([p]) => p === 1)).toEqual([]);
    expect(s.open(1)).toBeUndefined();
    expect(s.unusedCommonPathId()).toBeUndefined();
    // Still routable until forget.
    const buf = new Uint8Array([9, 9, ...ours[2]!, 9]);
    expect(s.pathOfLocalCid(buf, 2, 8)).toBe(1);
    s.forget(1);
    expect(s.pathOfLocalCid(buf, 2, 8)).toBeUndefined();
    for (const c of ours) expect(host.routed.has(hex(c))).toBe(false);
    expect(host.retired).toHaveLength(ours.length);
  });

  it('MAX_PATH_ID received: above 2^32−1 or below the initial value is a violation, no increase is ignored, an increase issues more', () => {
    const { s } = sets({ localMaxPathId: 4, peerMaxPathId: 1 });
    s.start(4);
    expect(newCids(drain(s)).filter(([p]) => p! > 0)).toEqual([[1, 0]]);
    throwsCode(() => s.onMaxPathId({ kind: 'max_path_id', maxPathId: 2 ** 32 }), ErrorCode.PROTOCOL_VIOLATION, FrameType.MAX_PATH_ID);
    throwsCode(() => s.onMaxPathId({ kind: 'max_path_id', maxPathId: 0 }), ErrorCode.PROTOCOL_VIOLATION, FrameType.MAX_PATH_ID);
    s.onMaxPathId({ kind: 'max_path_id', maxPathId: 1 });
    expect(s.peerMaxPathId).toBe(1);
    s.onMaxPathId({ kind: 'max_path_id', maxPathId: 3 });
    expect(s.peerMaxPathId).toBe(3);
    expect(newCids(drain(s))).toEqual([
      [2, 0],
      [3, 0],
    ]);
    s.onMaxPathId({ kind: 'max_path_id', maxPathId: 2 }); // reordered: ignored
    expect(s.peerMaxPathId).toBe(3);
  });

  it('MAX_PATH_ID sent: raiseLocalMax queues it; a lost one goes again only while it is the latest and unacknowledged', () => {
    const { s } = sets({ localMaxPathId: 1, peerMaxPathId: 8, maxUnusedPaths: 0 });
    s.start(4);
    drain(s);
    expect(s.raiseLocalMax(1)).toBe(false);
    expect(s.raiseLocalMax(2 ** 32)).toBe(false);
    expect(s.raiseLocalMax(2)).toBe(true);
    const [a] = drain(s);
    expect(a).toEqual({ frame: { kind: 'max_path_id', maxPathId: 2 }, token: { kind: 'max_path_id', maxPathId: 2 } });
    s.onLost(a!.token);
    const [b] = drain(s);
    expect(b!.frame).toEqual({ kind: 'max_path_id', maxPathId: 2 });
    s.raiseLocalMax(5);
    const [c] = drain(s);
    s.onLost(b!.token); // superseded by 5
    expect(drain(s)).toEqual([]);
    s.onAcked(c!.token);
    s.onLost(c!.token); // acknowledged in another packet
    expect(drain(s)).toEqual([]);
  });

  it('pathOfLocalCid finds the path of a DCID by bytes at an offset', () => {
    const { s, local0 } = sets();
    s.start(4);
    const buf = new Uint8Array(40);
    for (const p of [0, 1, 2, 3]) {
      const cid = (p === 0 ? local0 : s.local(p)).list()[0]!.cid;
      buf.set(cid, 5);
      expect(s.pathOfLocalCid(buf, 5, 8)).toBe(p);
      expect(s.pathOfLocalCid(buf, 5, 7)).toBeUndefined();
      expect(s.pathOfLocalCid(buf, 4, 8)).toBeUndefined();
    }
    expect(s.pathOfLocalCid(buf, 35, 8)).toBeUndefined(); // past the end
  });

  it('unusedCommonPathId needs an unused peer ID and one of ours, smallest first; used and closed path IDs do not count', () => {
    const { s } = sets({ localMaxPathId: 3, peerMaxPathId: 2 });
    s.start(4);
    expect(s.unusedCommonPathId()).toBeUndefined();
    s.onNewConnectionId(pathNew(3, 0, 30)); // we issued nothing for 3 (peer limit 2)
    expect(s.unusedCommonPathId()).toBeUndefined();
    s.onNewConnectionId(pathNew(2, 0, 20));
    expect(s.unusedCommonPathId()).toBe(2);
    s.onNewConnectionId(pathNew(1, 0, 10));
    expect(s.unusedCommonPathId()).toBe(1);
    expect(hex(s.open(1)!)).toBe(hex(peerCid(10)));
    expect(s.unusedCommonPathId()).toBe(2);
    s.close(2);
    expect(s.unusedCommonPathId()).toBeUndefined();
  });

  it('PATH_CIDS_BLOCKED received: a Next Sequence Number above what we would issue next is a violation; else it tops the path up', () => {
    const { s } = sets();
    s.start(4);
    drain(s);
    expect(s.local(1).nextSeq).toBe(1);
    throwsCode(() => s.onPathCidsBlocked({ kind: 'path_cids_blocked', pathId: 1, nextSequence: 2 }), ErrorCode.PROTOCOL_VIOLATION, FrameType.PATH_CIDS_BLOCKED);
    s.onPathCidsBlocked({ kind: 'path_cids_blocked', pathId: 1, nextSequence: 0 }); // stale: informational
    expect(drain(s)).toEqual([]);
    s.onPathCidsBlocked({ kind: 'path_cids_blocked', pathId: 1, nextSequence: 1 });
    expect(newCids(drain(s))).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(s.cidsBlockedReceived).toBe(2);
  });

  it('blockedOnPaths: PATHS_BLOCKED at the peer limit, local_limit at ours, PATH_CIDS_BLOCKED when the peer gave no ID', () => {
    const { s } = sets({ localMaxPathId: 2, peerMaxPathId: 1 });
    s.start(4);
    drain(s);
    // Path 1: we issued, the peer did not.
    expect(s.blockedOnPaths()).toBe('cids');
    expect(s.blockedOnPaths()).toBe('cids'); // told once per Next Sequence Number
    const [cb] = drain(s);
    expect(cb!.frame).toEqual({ kind: 'path_cids_blocked', pathId: 1, nextSequence: 0 });
    s.onLost(cb!.token);
    expect(drain(s).map((x) => x.frame)).toEqual([cb!.frame]);
    s.onNewConnectionId(pathNew(1, 0, 10));
    s.onLost(cb!.token); // no longer blocked: not sent again
    expect(drain(s)).toEqual([]);
    expect(s.blockedOnPaths()).toBeUndefined();
    s.open(1);
    expect(newCids(drain(s))).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    // Path 2: above the peer's limit.
    expect(s.blockedOnPaths()).toBe('peer_limit');
    const [pb] = drain(s);
    expect(pb).toEqual({ frame: { kind: 'paths_blocked', maxPathId: 1 }, token: { kind: 'paths_blocked', maxPathId: 1 } });
    expect(s.blockedOnPaths()).toBe('peer_limit');
    expect(drain(s)).toEqual([]); // once per limit
    s.onLost(pb!.token);
    expect(drain(s).map((x) => x.frame)).toEqual([pb!.frame]);
    s.onMaxPathId({ kind: 'max_path_id', maxPathId: 4 });
    s.onLost(pb!.token); // the limit moved: not sent again
    expect(newCids(drain(s))).toEqual([[2, 0]]);
    s.onNewConnectionId(pathNew(2, 0, 20));
    s.open(2);
    expect(newCids(drain(s))).toEqual([
      [2, 1],
      [2, 2],
      [2, 3],
    ]);
    // Path 3: above our limit.
    expect(s.blockedOnPaths()).toBe('local_limit');
    expect(drain(s)).toEqual([]);
    // blockedOnCids for a used path that wants to rotate.
    expect(s.blockedOnCids(2)).toBe(true);
    expect(drain(s).map((x) => x.frame)).toEqual([{ kind: 'path_cids_blocked', pathId: 2, nextSequence: 1 }]);
  });

  it('PATHS_BLOCKED received is informational', () => {
    const { s } = sets({ localMaxPathId: 2 });
    s.onPathsBlocked({ kind: 'paths_blocked', maxPathId: 1 });
    expect(s.peerBlockedAt).toBe(-1);
    s.onPathsBlocked({ kind: 'paths_blocked', maxPathId: 2 });
    expect(s.peerBlockedAt).toBe(2);
    expect(s.pathsBlockedReceived).toBe(2);
  });

  it('a lost PATH_NEW_CONNECTION_ID goes again until acknowledged, unless the peer retired it', () => {
    const { s } = sets({ localMaxPathId: 1, peerMaxPathId: 1 });
    s.start(2);
    const out = drain(s);
    const p1 = out.find((x) => x.token.kind === 'path_new_connection_id' && x.token.pathId === 1)!;
    s.onLost(p1.token);
    expect(drain(s).map((x) => x.frame)).toEqual([p1.frame]);
    s.onRetireConnectionId({ kind: 'path_retire_connection_id', pathId: 1, sequence: 0 }, never);
    const replacement = drain(s);
    expect(newCids(replacement)).toEqual([[1, 1]]);
    s.onLost(p1.token);
    expect(drain(s)).toEqual([]);
  });

  it('nextFrame leaves what does not fit for the next packet', () => {
    const { s } = sets({ localMaxPathId: 1, peerMaxPathId: 2 });
    s.start(2);
    s.raiseLocalMax(2);
    const small = s.nextFrame(10)!;
    expect(small.frame.kind).toBe('max_path_id');
    expect(s.nextFrame(10)).toBeUndefined();
    expect(s.hasPending()).toBe(true);
    expect(newCids(drain(s))).toEqual([
      [0, 1],
      [1, 0],
      [2, 0],
    ]);
  });

  it('statelessResetPath checks the tokens of IDs in use per path, from that path’s address', () => {
    const { s } = sets();
    s.start(4);
    s.onNewConnectionId(pathNew(1, 0, 10));
    s.onNewConnectionId(pathNew(2, 0, 20));
    s.open(1);
    const a1: SocketAddress = { host: '10.0.0.1', port: 1 };
    const a2: SocketAddress = { host: '10.0.0.2', port: 2 };
    const remoteOf = (p: number) => (p === 1 ? a1 : p === 2 ? a2 : undefined);
    const d = new Uint8Array(40);
    d.set(new Uint8Array(16).fill(10), 24);
    expect(s.statelessResetPath(d, a1, remoteOf)).toBe(1);
    expect(s.statelessResetPath(d, a2, remoteOf)).toBeUndefined();
    d.set(new Uint8Array(16).fill(20), 24);
    expect(s.statelessResetPath(d, a2, remoteOf)).toBeUndefined(); // path 2's ID was never used
  });
});
