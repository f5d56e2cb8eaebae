/**
 * Connection IDs per path ID once multipath is negotiated (draft-ietf-quic-multipath-21 §5.1
 * "Handling Connection IDs"): one `LocalCids` and one `PeerCids` (cids.ts) per path ID, each
 * with its own sequence space from 0; the path ID limits both ways (initial_max_path_id §2.1,
 * MAX_PATH_ID §4.6); PATHS_BLOCKED / PATH_CIDS_BLOCKED (§4.7); and what closing a path does to
 * its connection IDs (§3.4).
 *
 * Limits: `localMaxPathId` is ours (the peer may use path IDs up to it: it bounds the path IDs of
 * every multipath frame we receive, §4), `peerMaxPathId` the peer's (we issue connection IDs only
 * for path IDs up to it, §5.1.1).
 *
 * Frames out: the builder asks `hasPending()` and then calls `nextFrame(room)` until it returns
 * undefined; each answer is a frame and the recovery token to record with it, which comes back
 * through `onAcked` / `onLost`. That covers path 0 as well (its sets are the connection's own,
 * passed in), so RFC 9000's writeCidFrames is not needed any more once this object exists.
 */
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { SocketAddress } from '../util/datagram.js';
import {
  FrameType,
  MAX_PATH_ID_VALUE,
  type Frame,
  type MaxPathIdFrame,
  type PathCidsBlockedFrame,
  type PathsBlockedFrame,
} from '../wire/frame.js';
import { frameLength } from '../wire/frame-codec.js';
import { LOCAL_CID_CAP, LocalCids, PeerCids, type AnyNewConnectionIdFrame, type AnyRetireConnectionIdFrame, type CidHost } from './cids.js';
import type { Connection } from './connection.js';

/**
 * What a sent packet carried of this module (add to `RecoveryToken`); handed back through
 * `PathCidSets.onAcked` / `onLost`. The kinds are the frame kinds.
 */
export type PathCidToken =
  /** PATH_NEW_CONNECTION_ID (or NEW_CONNECTION_ID for path 0 without PATH_ frames). */
  | { kind: 'path_new_connection_id'; pathId: number; seq: number }
  /** PATH_RETIRE_CONNECTION_ID (or RETIRE_CONNECTION_ID for path 0 without PATH_ frames). */
  | { kind: 'path_retire_connection_id'; pathId: number; seq: number }
  | { kind: 'max_path_id'; maxPathId: number }
  | { kind: 'paths_blocked'; maxPathId: number }
  | { kind: 'path_cids_blocked'; pathId: number; nextSequence: number };

export interface PathCidOptions {
  /** The initial_max_path_id we sent (multipath-21 §2.1). */
  localMaxPathId: number;
  /** The initial_max_path_id the peer sent. */
  peerMaxPathId: number;
  /** Our active_connection_id_limit: how many of the peer's IDs we accept, per path (§2.2). */
  activeCidLimit: number;
  /** The connection's path-0 sets (RFC 9000 §5.1; the handshake ID is sequence 0 of path 0). */
  local0?: LocalCids;
  peer0?: PeerCids;
  /**
   * Path 0 also uses PATH_NEW_CONNECTION_ID / PATH_RETIRE_CONNECTION_ID (§5.1 SHOULD). Default
   * true; false keeps NEW_CONNECTION_ID / RETIRE_CONNECTION_ID for path 0.
   */
  pathZeroFrames?: boolean;
  /** Connection IDs issued for a path ID nobody uses yet (§5.1.1 "at least one"). Default 1. */
  unusedPathCids?: number;
  /** At most this many unused path IDs hold our connection IDs at a time (lowest first). Default 8. */
  maxUnusedPaths?: number;
}

/** Counters of one path ID. */
export interface PathCidStats {
  pathId: number;
  used: boolean;
  closed: boolean;
  /** Our connection IDs issued by frame, and retired by the peer. */
  issued: number;
  retiredByPeer: number;
  /** The peer's connection IDs received, and retired by us (abandoning a path retires them all). */
  received: number;
  retiredByUs: number;
  /** Active now: ours at the peer, the peer's with us. */
  localActive: number;
  peerActive: number;
}

/** Why `blockedOnPaths` found no path ID to open. */
export type PathsBlockedReason =
  /** The peer's MAX_PATH_ID: a PATHS_BLOCKED frame was queued (§4.7). */
  | 'peer_limit'
  /** Our own localMaxPathId: the caller may `raiseLocalMax` (§5.1.1). */
  | 'local_limit'
  /** The peer gave no connection ID for the next path ID: PATH_CIDS_BLOCKED queued (§4.7). */
  | 'cids';

interface PathEntry {
  readonly pathId: number;
  local: LocalCids | undefined;
  peer: PeerCids | undefined;
  /** Opened (by us or the peer): connection IDs up to the per-path limit. */
  used: boolean;
  /** Abandoned (PATH_ABANDON sent or received): frames for it are ignored (§4). */
  closed: boolean;
  /** Our connection IDs for it stopped routing (`forget`). */
  forgotten: boolean;
  /** PATH_CIDS_BLOCKED to send: its Next Sequence Number, −1 none. */
  cidsBlocked: number;
  /** The Next Sequence Number of the last PATH_CIDS_BLOCKED queued (no repeats), −1 none. */
  cidsBlockedSent: number;
  /** A PATH_NEW_CONNECTION_ID of ours for it was acknowledged: the peer holds one of our IDs for it. */
  cidAcked: boolean;
}

function violation(frameType: number, reason: string): TransportError {
  return new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameType, reason);
}

/** The connection IDs of every path ID of one multipath connection. */
export class PathCidSets {
  /** Largest path ID the peer may use (ours: initial_max_path_id, then MAX_PATH_ID sent). */
  localMaxPathId: number;
  /** Largest path ID we may use (the peer's initial_max_path_id, then MAX_PATH_ID received). */
  peerMaxPathId: number;
  /** The peer's initial_max_path_id: a MAX_PATH_ID below it is a violation (§4.6). */
  private readonly peerInitialMax: number;
  /** Our active_connection_id_limit, per path. */
  readonly activeCidLimit: number;
  /** The peer's active_connection_id_limit (after `start`), 0 before. */
  private peerCidLimit = 0;
  private started = false;
  private readonly pathZeroFrames: boolean;
  private readonly unusedPathCids: number;
  private readonly maxUnusedPaths: number;
  /** Every known path ID, ascending; `byId` indexes them. */
  private readonly entries: PathEntry[] = [];
  private readonly byId = new Map<number, PathEntry>();
  /** MAX_PATH_ID with localMaxPathId is to be sent (again). */
  private maxPathIdPending = false;
  /** The largest MAX_PATH_ID the peer acknowledged. */
  private maxPathIdAcked: number;
  /** PATHS_BLOCKED to send (with peerMaxPathId), and the limit of the last one queued (−1 none). */
  private pathsBlockedPending = false;
  private pathsBlockedFor = -1;
  /** The peer's last PATHS_BLOCKED at or above our limit (it would like more path IDs), −1 none. */
  peerBlockedAt = -1;
  /** PATHS_BLOCKED and PATH_CIDS_BLOCKED frames received (stats). */
  pathsBlockedReceived = 0;
  cidsBlockedReceived = 0;

  constructor(
    private readonly owner: Connection,
    private readonly host: CidHost | undefined,
    opts: PathCidOptions,
  ) {
    this.localMaxPathId = opts.localMaxPathId;
    this.peerMaxPathId = opts.peerMaxPathId;
    this.peerInitialMax = opts.peerMaxPathId;
    this.maxPathIdAcked = opts.localMaxPathId; // the transport parameter arrived with the handshake
    this.activeCidLimit = opts.activeCidLimit;
    this.pathZeroFrames = opts.pathZeroFrames ?? true;
    this.unusedPathCids = Math.max(1, opts.unusedPathCids ?? 1);
    this.maxUnusedPaths = Math.max(0, opts.maxUnusedPaths ?? 8);
    const e0 = this.entry(0);
    e0.used = true;
    if (opts.local0 !== undefined) {
      e0.local = opts.local0;
      if (this.pathZeroFrames) opts.local0.pathId = 0;
    }
    if (opts.peer0 !== undefined) {
      e0.peer = opts.peer0;
      if (this.pathZeroFrames) opts.peer0.pathId = 0;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The sets

  /** Our connection IDs for `pathId` (created empty, not issuing, on first use). */
  local(pathId: number): LocalCids {
    const e = this.entry(pathId);
    return (e.local ??= new LocalCids(this.owner, this.host, undefined, pathId));
  }

  /** The peer's connection IDs for `pathId` (created empty on first use). */
  peer(pathId: number): PeerCids {
    const e = this.entry(pathId);
    return (e.peer ??= new PeerCids(this.owner, this.host, undefined, pathId));
  }

  isUsed(pathId: number): boolean {
    return this.byId.get(pathId)?.used === true;
  }

  isClosed(pathId: number): boolean {
    return this.byId.get(pathId)?.closed === true;
  }

  /** The path IDs known (with a set, used or closed), ascending. */
  pathIds(): number[] {
    return this.entries.map((e) => e.pathId);
  }

  private entry(pathId: number): PathEntry {
    let e = this.byId.get(pathId);
    if (e !== undefined) return e;
    e = { pathId, local: undefined, peer: undefined, used: false, closed: false, forgotten: false, cidsBlocked: -1, cidsBlockedSent: -1, cidAcked: false };
    this.byId.set(pathId, e);
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.pathId > pathId) i--;
    this.entries.splice(i, 0, e);
    return e;
  }

  // ---------------------------------------------------------------------------------------------
  // Issuing (§5.1.1)

  /**
   * After the handshake (instead of `localCids.start`): path 0 gets up to min(the peer's
   * active_connection_id_limit, LOCAL_CID_CAP) connection IDs, and the lowest unused path IDs up
   * to min(localMaxPathId, peerMaxPathId) get `unusedPathCids` each, without gaps (§5.1.1
   * RECOMMENDED). Idempotent.
   */
  start(peerActiveCidLimit: number): void {
    if (this.started) return;
    this.started = true;
    this.peerCidLimit = peerActiveCidLimit;
    this.topUp();
  }

  /** The connection IDs a path in use keeps at the peer. */
  private get perPathLimit(): number {
    return Math.max(1, Math.min(this.peerCidLimit, LOCAL_CID_CAP));
  }

  /**
   * Issues what is missing: used paths up to the per-path limit, then unused path IDs in
   * ascending order up to min(localMaxPathId, peerMaxPathId), at most `maxUnusedPaths` of them.
   * Called after every change of a limit; public for the connection to call again.
   */
  topUp(): void {
    if (!this.started) return;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      // §5.1.1: never a path ID above the peer's limit.
      if (e.used && !e.closed && e.pathId <= this.peerMaxPathId) this.issueFor(e.pathId, this.perPathLimit);
    }
    const top = Math.min(this.localMaxPathId, this.peerMaxPathId);
    let unused = 0;
    // Bounded: every step passes a used or closed entry or issues for one more unused path ID.
    for (let p = 1; p <= top && unused < this.maxUnusedPaths; p++) {
      const e = this.byId.get(p);
      if (e !== undefined && (e.used || e.closed)) continue;
      const local = this.issueFor(p, this.unusedPathCids);
      if (local.size === 0) break; // the endpoint issued nothing: leave no gap (§5.1.1)
      unused++;
    }
  }

  private issueFor(pathId: number, n: number): LocalCids {
    const local = this.local(pathId);
    if (local.limit === 0) local.start(this.peerCidLimit, n);
    else local.raiseLimit(Math.min(n, this.perPathLimit));
    return local;
  }

  /**
   * Raises our limit (§4.6): queues MAX_PATH_ID and issues for the new path IDs. False when `n`
   * does not increase it or exceeds 2^32−1.
   */
  raiseLocalMax(n: number): boolean {
    if (!Number.isInteger(n) || n <= this.localMaxPathId || n > MAX_PATH_ID_VALUE) return false;
    this.localMaxPathId = n;
    this.maxPathIdPending = true;
    this.topUp();
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Paths

  /**
   * The path ID a received Destination Connection ID buf[at, at + len) belongs to, or undefined.
   * Our IDs of closed paths still count until `forget`. Byte compare, no allocation.
   */
  pathOfLocalCid(buf: Uint8Array, at: number, len: number): number | undefined {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.local !== undefined && e.local.holdsAt(buf, at, len)) return e.pathId;
    }
    return undefined;
  }

  /**
   * The smallest path ID ≥ 1, neither used nor closed, for which we hold an unused connection
   * ID of the peer and have issued one of ours: what a client needs to open a path (§3.1).
   */
  unusedCommonPathId(): number | undefined {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.pathId === 0 || e.used || e.closed) continue;
      if (e.local !== undefined && e.local.size > 0 && e.peer !== undefined && e.peer.hasUnused()) return e.pathId;
    }
    return undefined;
  }

  /**
   * `pathId` is in use (we open it, or a packet arrived on one of our IDs for it): our IDs for it
   * go up to the per-path limit, and the next unused path ID gets some.
   */
  markUsed(pathId: number): void {
    const e = this.entry(pathId);
    if (e.closed || e.used) return;
    e.used = true;
    this.topUp();
  }

  /**
   * Opens `pathId`: `markUsed` and takes an unused connection ID of the peer's for it (now the
   * one in use, `peer(pathId).current`). Undefined when the peer gave none (then maybe
   * `blockedOnCids(pathId)`); the path is marked used all the same.
   */
  open(pathId: number): Uint8Array | undefined {
    this.markUsed(pathId);
    if (this.isClosed(pathId)) return undefined;
    return this.peer(pathId).next();
  }

  /**
   * The path was abandoned (PATH_ABANDON sent or received, §3.4): the peer's IDs for it count
   * as retired at once (no PATH_RETIRE_CONNECTION_ID), we stop issuing for it, and its frames are
   * ignored from now on. Ours keep routing until `forget`. The path ID is never reused.
   */
  close(pathId: number): void {
    const e = this.entry(pathId);
    if (e.closed) return;
    e.closed = true;
    e.cidsBlocked = -1;
    e.local?.stop();
    e.peer?.retireAll();
    this.topUp(); // an unused path ID closed: issue for the next one
  }

  /** 3 PTO after `close` (§3.4): our connection IDs for the path stop routing (CidHost.retire). */
  forget(pathId: number): void {
    const e = this.entry(pathId);
    if (!e.closed) this.close(pathId);
    e.forgotten = true;
    e.local?.retireAll();
  }

  // ---------------------------------------------------------------------------------------------
  // Frames received

  /**
   * NEW_CONNECTION_ID (path 0) or PATH_NEW_CONNECTION_ID (§4.4): the RFC 9000 §19.15 checks per
   * path, active_connection_id_limit per path, CONNECTION_ID_LIMIT_ERROR. Returns the connection
   * ID to send to on that path from now on when Retire Prior To retired the one in use.
   */
  onNewConnectionId(f: AnyNewConnectionIdFrame): Uint8Array | undefined {
    const pathId = f.kind === 'path_new_connection_id' ? f.pathId : 0;
    const ft = f.kind === 'path_new_connection_id' ? FrameType.PATH_NEW_CONNECTION_ID : FrameType.NEW_CONNECTION_ID;
    this.checkPathId(pathId, ft, 'PATH_NEW_CONNECTION_ID');
    if (this.isClosed(pathId)) return undefined; // §4: silently ignored
    // §5.1.1: connection IDs are unique across the connection, whatever their path ID.
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.pathId !== pathId && e.peer !== undefined && e.peer.holds(f.cid)) throw violation(ft, `connection ID already issued for path ${e.pathId}`);
    }
    const e = this.entry(pathId);
    const switched = this.peer(pathId).onNewConnectionId(f, this.activeCidLimit);
    if (e.peer!.hasUnused()) e.cidsBlocked = -1; // no longer blocked
    return switched;
  }

  /**
   * RETIRE_CONNECTION_ID (path 0) or PATH_RETIRE_CONNECTION_ID (§4.5). `arrivedOn` tells whether a
   * connection ID is the Destination Connection ID of the packet carrying the frame. A
   * replacement is issued for a path still open (§5.1.2 SHOULD).
   */
  onRetireConnectionId(f: AnyRetireConnectionIdFrame, arrivedOn: (cid: Uint8Array) => boolean): void {
    const pathId = f.kind === 'path_retire_connection_id' ? f.pathId : 0;
    const ft = f.kind === 'path_retire_connection_id' ? FrameType.PATH_RETIRE_CONNECTION_ID : FrameType.RETIRE_CONNECTION_ID;
    this.checkPathId(pathId, ft, 'PATH_RETIRE_CONNECTION_ID');
    const e = this.byId.get(pathId);
    if (e?.closed === true) return; // §4: silently ignored
    if (e?.local === undefined) throw violation(ft, `PATH_RETIRE_CONNECTION_ID ${f.sequence} for path ${pathId}: no connection ID issued`);
    e.local.onRetire(f.sequence, arrivedOn, ft);
  }

  /** MAX_PATH_ID (§4.6): ≤ 2^32−1 and ≥ the initial value, else PROTOCOL_VIOLATION; no increase: ignored. */
  onMaxPathId(f: MaxPathIdFrame): void {
    const ft = FrameType.MAX_PATH_ID;
    if (f.maxPathId > MAX_PATH_ID_VALUE) throw violation(ft, `MAX_PATH_ID ${f.maxPathId} above 2^32-1`);
    if (f.maxPathId < this.peerInitialMax) throw violation(ft, `MAX_PATH_ID ${f.maxPathId} below initial_max_path_id ${this.peerInitialMax}`);
    if (f.maxPathId <= this.peerMaxPathId) return;
    this.peerMaxPathId = f.maxPathId;
    this.pathsBlockedPending = false;
    this.topUp();
  }

  /** PATHS_BLOCKED (§4.7): above our limit → PROTOCOL_VIOLATION; else informational (`peerBlockedAt`). */
  onPathsBlocked(f: PathsBlockedFrame): void {
    if (f.maxPathId > this.localMaxPathId) throw violation(FrameType.PATHS_BLOCKED, `PATHS_BLOCKED ${f.maxPathId} above our limit ${this.localMaxPathId}`);
    this.pathsBlockedReceived++;
    // §4.7: a value below the current limit is stale.
    if (f.maxPathId === this.localMaxPathId) this.peerBlockedAt = f.maxPathId;
  }

  /**
   * PATH_CIDS_BLOCKED (§4.7): a path ID above our limit, or a Next Sequence Number above what we
   * would issue next for it → PROTOCOL_VIOLATION; a closed path: ignored. Otherwise
   * informational; when the peer holds everything we issued, the path gets the full per-path
   * number of IDs.
   */
  onPathCidsBlocked(f: PathCidsBlockedFrame): void {
    const ft = FrameType.PATH_CIDS_BLOCKED;
    this.checkPathId(f.pathId, ft, 'PATH_CIDS_BLOCKED');
    const e = this.byId.get(f.pathId);
    if (e?.closed === true) return;
    const next = e?.local?.nextSeq ?? 0;
    if (f.nextSequence > next) throw violation(ft, `PATH_CIDS_BLOCKED for path ${f.pathId}: Next Sequence Number ${f.nextSequence} above ${next}`);
    this.cidsBlockedReceived++;
    if (this.started && f.nextSequence === next && f.pathId <= Math.min(this.localMaxPathId, this.peerMaxPathId)) this.issueFor(f.pathId, this.perPathLimit);
  }

  /** §4: a path ID above our limit is a PROTOCOL_VIOLATION. */
  private checkPathId(pathId: number, ft: number, name: string): void {
    if (pathId > this.localMaxPathId) throw violation(ft, `${name} for path ${pathId} above our limit ${this.localMaxPathId}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Blocked

  /**
   * We want a new path and `unusedCommonPathId()` has none: says why and queues the frame that
   * tells the peer (§5.1.1 SHOULD, §4.7). Undefined when a path ID can be opened.
   */
  blockedOnPaths(): PathsBlockedReason | undefined {
    if (this.unusedCommonPathId() !== undefined) return undefined;
    // The smallest path ID ≥ 1 neither used nor closed (entries are ascending).
    let p = 1;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.pathId < p) continue;
      if (e.pathId > p) break;
      if (e.used || e.closed) p++;
      else break;
    }
    if (p > this.peerMaxPathId) {
      if (this.pathsBlockedFor !== this.peerMaxPathId) {
        this.pathsBlockedFor = this.peerMaxPathId;
        this.pathsBlockedPending = true;
      }
      return 'peer_limit';
    }
    if (p > this.localMaxPathId) return 'local_limit';
    this.blockedOnCids(p);
    return 'cids';
  }

  /**
   * We need a connection ID of the peer's for `pathId` (to open it or to rotate on it) and it
   * gave none unused: queues PATH_CIDS_BLOCKED (§4.7), once per Next Sequence Number. False when
   * nothing was queued (closed, not blocked, or already told).
   */
  blockedOnCids(pathId: number): boolean {
    if (pathId > this.localMaxPathId) return false;
    const e = this.entry(pathId);
    if (e.closed) return false;
    const peer = this.peer(pathId);
    if (peer.hasUnused() || e.cidsBlockedSent === peer.nextSequence) return false;
    e.cidsBlocked = e.cidsBlockedSent = peer.nextSequence;
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Frames to send

  /** Is any frame waiting (cheap enough to ask per packet: a pass over the path IDs)? */
  hasPending(): boolean {
    if (this.maxPathIdPending || this.pathsBlockedPending) return true;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.cidsBlocked >= 0) return true;
      if (e.local !== undefined && e.local.pending.length > 0) return true;
      if (e.peer !== undefined && e.peer.retirePending.length > 0) return true;
    }
    return false;
  }

  /**
   * The next frame waiting that fits in `room` bytes, with the token to record for it; it is
   * taken off its queue. Order: MAX_PATH_ID, retirements, new connection IDs (ascending path IDs),
   * PATHS_BLOCKED, PATH_CIDS_BLOCKED. All are ack-eliciting. Undefined when none (that fits).
   */
  nextFrame(room: number): { frame: Frame; token: PathCidToken } | undefined {
    if (this.maxPathIdPending) {
      const frame: Frame = { kind: 'max_path_id', maxPathId: this.localMaxPathId };
      if (frameLength(frame) <= room) {
        this.maxPathIdPending = false;
        return { frame, token: { kind: 'max_path_id', maxPathId: this.localMaxPathId } };
      }
    }
    for (let i = 0; i < this.entries.length; i++) {
      const peer = this.entries[i]!.peer;
      if (peer === undefined || peer.retirePending.length === 0) continue;
      const seq = peer.retirePending[0]!;
      const frame = peer.retireFrame(seq);
      if (frameLength(frame) > room) continue;
      peer.retirePending.shift();
      return { frame, token: { kind: 'path_retire_connection_id', pathId: this.entries[i]!.pathId, seq } };
    }
    for (let i = 0; i < this.entries.length; i++) {
      const local = this.entries[i]!.local;
      if (local === undefined) continue;
      while (local.pending.length > 0) {
        const seq = local.pending[0]!;
        const frame = local.frame(seq);
        if (frame === undefined) {
          local.pending.shift(); // retired meanwhile
          continue;
        }
        if (frameLength(frame) > room) break;
        local.pending.shift();
        return { frame, token: { kind: 'path_new_connection_id', pathId: this.entries[i]!.pathId, seq } };
      }
    }
    if (this.pathsBlockedPending) {
      const frame: Frame = { kind: 'paths_blocked', maxPathId: this.peerMaxPathId };
      if (frameLength(frame) <= room) {
        this.pathsBlockedPending = false;
        return { frame, token: { kind: 'paths_blocked', maxPathId: this.peerMaxPathId } };
      }
    }
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.cidsBlocked < 0) continue;
      const frame: Frame = { kind: 'path_cids_blocked', pathId: e.pathId, nextSequence: e.cidsBlocked };
      if (frameLength(frame) > room) continue;
      const nextSequence = e.cidsBlocked;
      e.cidsBlocked = -1;
      return { frame, token: { kind: 'path_cids_blocked', pathId: e.pathId, nextSequence } };
    }
    return undefined;
  }

  /** A packet carrying the frame of `t` was acknowledged. */
  onAcked(t: PathCidToken): void {
    switch (t.kind) {
      case 'path_retire_connection_id':
        this.byId.get(t.pathId)?.peer?.onRetireAcked(t.seq);
        return;
      case 'max_path_id':
        if (t.maxPathId > this.maxPathIdAcked) this.maxPathIdAcked = t.maxPathId;
        return;
      case 'path_new_connection_id': {
        const e = this.byId.get(t.pathId);
        if (e !== undefined) e.cidAcked = true;
        return;
      }
      case 'paths_blocked':
      case 'path_cids_blocked':
        return;
    }
  }

  /**
   * Whether the peer is known to hold a connection ID of ours for `pathId` (one of its
   * PATH_NEW_CONNECTION_ID frames was acknowledged; path 0 always): until then it cannot accept
   * packets of that path (multipath-21 §3.1, `acceptPath`).
   */
  peerHoldsOurCid(pathId: number): boolean {
    return pathId === 0 || this.byId.get(pathId)?.cidAcked === true;
  }

  /** A packet carrying the frame of `t` was declared lost: queue it again where RFC 9000 §13.3 says so, by analogy. */
  onLost(t: PathCidToken): void {
    const e = 'pathId' in t ? this.byId.get(t.pathId) : undefined;
    switch (t.kind) {
      case 'path_new_connection_id':
        // Sent again until acknowledged, unless retired meanwhile or the path was abandoned.
        if (e !== undefined && !e.closed) e.local?.onLost(t.seq);
        return;
      case 'path_retire_connection_id':
        if (e !== undefined && !e.closed) e.peer?.onRetireLost(t.seq);
        return;
      case 'max_path_id':
        // §4.6: only if no more recent MAX_PATH_ID was sent meanwhile.
        if (t.maxPathId === this.localMaxPathId && this.maxPathIdAcked < t.maxPathId) this.maxPathIdPending = true;
        return;
      case 'paths_blocked':
        // §4.7 MAY: only while still blocked at that limit.
        if (t.maxPathId === this.peerMaxPathId && this.unusedCommonPathId() === undefined) this.pathsBlockedPending = true;
        return;
      case 'path_cids_blocked':
        if (e !== undefined && !e.closed && e.peer !== undefined && e.peer.nextSequence === t.nextSequence && !e.peer.hasUnused()) e.cidsBlocked = t.nextSequence;
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Stateless reset, stats

  /**
   * RFC 9000 §10.3.1 over every path: the path ID whose peer connection IDs in use hold the
   * token `datagram` ends with, if it came from that path's remote address (`remoteOf`).
   */
  statelessResetPath(datagram: Uint8Array, from: SocketAddress, remoteOf: (pathId: number) => SocketAddress | undefined): number | undefined {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.peer === undefined || e.closed) continue;
      const remote = remoteOf(e.pathId);
      if (remote !== undefined && e.peer.isStatelessReset(datagram, from, remote)) return e.pathId;
    }
    return undefined;
  }

  /** Forgets every token watched at the endpoint (the connection is gone). */
  unwatchAll(): void {
    for (const e of this.entries) e.peer?.unwatchAll();
  }

  /** Counters per path ID, ascending. */
  stats(): PathCidStats[] {
    return this.entries.map((e) => ({
      pathId: e.pathId,
      used: e.used,
      closed: e.closed,
      issued: e.local?.issued ?? 0,
      retiredByPeer: e.local?.retiredByPeer ?? 0,
      received: e.peer?.received ?? 0,
      retiredByUs: e.peer?.retiredByUs ?? 0,
      localActive: e.local?.size ?? 0,
      peerActive: e.peer?.size ?? 0,
    }));
  }
}
