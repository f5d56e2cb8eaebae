/**
 * The connection IDs of one connection (RFC 9000 §5.1): those we issued to the peer
 * (`LocalCids`, §5.1.1) and those the peer issued to us (`PeerCids`, §5.1.2), with the
 * stateless reset tokens that go with them (§10.3). Frames: NEW_CONNECTION_ID (§19.15) and
 * RETIRE_CONNECTION_ID (§19.16).
 *
 * With multipath (draft-ietf-quic-multipath-21 §5.1 "Handling Connection IDs") every path ID has
 * its own set with its own sequence space starting at 0: an instance built with a `pathId` (or
 * given one later, path 0) speaks PATH_NEW_CONNECTION_ID / PATH_RETIRE_CONNECTION_ID. Sets of
 * path IDs ≥ 1 start without a handshake connection ID. path-cids.ts keeps the sets of all paths.
 *
 * The endpoint owns routing and the reset-token key, so it is reached through `CidHost`: it makes
 * fresh connection IDs that route to the connection, forgets retired ones, derives reset tokens,
 * and watches the peer's tokens of connection IDs in use, so a stateless reset is recognised
 * even when its (random) Destination Connection ID routes to no connection (§10.3.1).
 */
import { ErrorCode, TransportError } from '../util/transport-error.js';
import {
  FrameType,
  type Frame,
  type NewConnectionIdFrame as PlainNewConnectionIdFrame,
  type PathNewConnectionIdFrame,
  type PathRetireConnectionIdFrame,
  type RetireConnectionIdFrame,
} from '../wire/frame.js';
import type { SocketAddress } from '../util/datagram.js';
import { sameAddress } from '../util/datagram.js';
import type { Connection } from './connection.js';

type NewConnectionIdFrame = Extract<Frame, { kind: 'new_connection_id' }>;
/** NEW_CONNECTION_ID (RFC 9000 §19.15) or PATH_NEW_CONNECTION_ID (multipath-21 §4.4). */
export type AnyNewConnectionIdFrame = PlainNewConnectionIdFrame | PathNewConnectionIdFrame;
/** RETIRE_CONNECTION_ID (RFC 9000 §19.16) or PATH_RETIRE_CONNECTION_ID (multipath-21 §4.5). */
export type AnyRetireConnectionIdFrame = RetireConnectionIdFrame | PathRetireConnectionIdFrame;

/** What a connection needs from its endpoint for connection IDs and stateless reset. */
export interface CidHost {
  /**
   * A new connection ID, unique at the endpoint and routed to `owner` from now on (RFC 9000
   * §5.1.1), or undefined when none can be issued.
   */
  issue(owner: Connection): Uint8Array | undefined;
  /** `cid` was retired by the peer: stop routing it (§5.1.2). */
  retire(owner: Connection, cid: Uint8Array): void;
  /** The stateless reset token of a connection ID we issued (§10.3.2). */
  resetToken(cid: Uint8Array): Uint8Array;
  /** A peer's token of a connection ID now in use (§10.3.1); `unwatch` once it is retired. */
  watch(owner: Connection, token: Uint8Array): void;
  unwatch(owner: Connection, token: Uint8Array): void;
}

/** Most connection IDs we keep issued to a peer, whatever its active_connection_id_limit. */
export const LOCAL_CID_CAP = 8;

/** RFC 9000 §10.3: the token is the last 16 bytes; a stateless reset is at least 21 bytes. */
const TOKEN_LENGTH = 16;
export const MIN_STATELESS_RESET = 21;

/** Constant-time comparison of buf[at, at + 16) with `token` (RFC 9000 §10.3.1). */
export function tokenAt(buf: Uint8Array, at: number, token: Uint8Array): boolean {
  if (token.length !== TOKEN_LENGTH || at < 0 || at + TOKEN_LENGTH > buf.length) return false;
  let d = 0;
  for (let i = 0; i < TOKEN_LENGTH; i++) d |= buf[at + i]! ^ token[i]!;
  return d === 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Is buf[at, at + len) equal to `cid`? */
function sameBytesAt(cid: Uint8Array, buf: Uint8Array, at: number, len: number): boolean {
  if (cid.length !== len || at < 0 || at + len > buf.length) return false;
  for (let i = 0; i < len; i++) if (buf[at + i] !== cid[i]) return false;
  return true;
}

function violation(frameType: number, reason: string): TransportError {
  return new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameType, reason);
}

interface LocalCid {
  cid: Uint8Array;
  token: Uint8Array | undefined;
}

/**
 * Connection IDs we issued (RFC 9000 §5.1.1). Sequence 0 is the handshake connection ID, or, for
 * a multipath set built without one (path IDs ≥ 1, multipath-21 §5.1), the first one issued.
 */
export class LocalCids {
  /** Issued and not yet retired by the peer (§5.1.1 "active"), by sequence number. */
  private readonly active = new Map<number, LocalCid>();
  /** The next sequence number to issue (§5.1.1: each new one increases by 1). */
  nextSeq = 1;
  /**
   * The path ID of this set (multipath-21 §5.1): undefined = RFC 9000 (NEW_CONNECTION_ID);
   * a number = PATH_NEW_CONNECTION_ID frames for that path ID. PathCidSets sets it to 0 on the
   * connection's existing set once multipath is negotiated.
   */
  pathId: number | undefined;
  /** The handshake connection ID is zero-length: nothing can be issued (§5.1.1). */
  private readonly zeroLength: boolean;
  /** Sequence 0 is the handshake connection ID (not issued by a frame). */
  private readonly hasHandshake: boolean;
  /** The path was abandoned (multipath-21 §3.4): no more issuing or retransmissions. */
  stopped = false;
  /** The Retire Prior To value we send (§5.1.2). */
  retirePriorTo = 0;
  /** How many connection IDs the peer holds at most: min(its limit, LOCAL_CID_CAP); 0 = not issuing yet. */
  limit = 0;
  /** Sequence numbers whose NEW_CONNECTION_ID is to be sent (again, after a loss). */
  readonly pending: number[] = [];
  /** NEW_CONNECTION_ID frames sent, RETIRE_CONNECTION_ID frames received (stats). */
  issued = 0;
  retiredByPeer = 0;

  /**
   * `handshakeCid` undefined: no handshake connection ID, the first one issued is sequence 0
   * (a multipath path ID ≥ 1, multipath-21 §5.1 "own connection ID sequence number space whose
   * initial value is 0").
   */
  constructor(
    private readonly owner: Connection,
    private readonly host: CidHost | undefined,
    handshakeCid: Uint8Array | undefined,
    pathId?: number,
  ) {
    this.pathId = pathId;
    this.hasHandshake = handshakeCid !== undefined;
    this.zeroLength = handshakeCid !== undefined && handshakeCid.length === 0;
    if (handshakeCid === undefined) {
      this.nextSeq = 0;
      return;
    }
    // §10.3.2: no token for a zero-length connection ID (a reset could not be routed back).
    const token = host !== undefined && handshakeCid.length > 0 ? host.resetToken(handshakeCid) : undefined;
    this.active.set(0, { cid: handshakeCid, token });
  }

  /**
   * Server: the connection ID for the preferred_address transport parameter (§5.1.1: sequence
   * number 1), issued before the handshake. Undefined when none can be issued.
   */
  issuePreferred(): { cid: Uint8Array; token: Uint8Array } | undefined {
    const host = this.host;
    if (host === undefined || !this.hasHandshake || this.nextSeq !== 1 || this.zeroLength) return undefined;
    const cid = host.issue(this.owner);
    if (cid === undefined) return undefined;
    const token = host.resetToken(cid);
    this.active.set(this.nextSeq++, { cid, token });
    return { cid, token };
  }

  /** The token of the handshake connection ID (the server's stateless_reset_token, §18.2). */
  get handshakeToken(): Uint8Array | undefined {
    return this.hasHandshake ? this.active.get(0)?.token : undefined;
  }

  /** Active connection IDs (issued and not retired by the peer), by sequence number. */
  list(): Array<{ seq: number; cid: Uint8Array }> {
    return [...this.active].map(([seq, e]) => ({ seq, cid: e.cid }));
  }

  /** How many connection IDs are active (issued, not retired by the peer). */
  get size(): number {
    return this.active.size;
  }

  /** Is buf[at, at + len) one of our active connection IDs? Byte compare, no allocation. */
  holdsAt(buf: Uint8Array, at: number, len: number): boolean {
    for (const e of this.active.values()) if (sameBytesAt(e.cid, buf, at, len)) return true;
    return false;
  }

  /**
   * After the handshake: issue connection IDs up to min(the peer's active_connection_id_limit,
   * our cap) (§5.1.1). A zero-length handshake connection ID means none can be issued (§5.1.1).
   */
  start(peerLimit: number, target?: number): void {
    if (this.host === undefined || this.zeroLength || this.limit > 0 || this.stopped) return;
    // `target` (PathCidSets): fewer for a path ID nobody uses yet (multipath-21 §5.1.1).
    this.limit = Math.max(1, Math.min(peerLimit, LOCAL_CID_CAP, target ?? LOCAL_CID_CAP));
    this.topUp();
  }

  /**
   * Raises the number of connection IDs the peer holds to `n` (capped by LOCAL_CID_CAP; the
   * caller keeps it within the peer's active_connection_id_limit), issuing at once. Only after
   * `start`; never lowers.
   */
  raiseLimit(n: number): void {
    if (this.limit === 0 || this.stopped) return;
    const limit = Math.min(n, LOCAL_CID_CAP);
    if (limit <= this.limit) return;
    this.limit = limit;
    this.topUp();
  }

  /** multipath-21 §3.4: the path was abandoned; nothing more is issued or sent again. */
  stop(): void {
    this.stopped = true;
    this.pending.length = 0;
  }

  /**
   * multipath-21 §3.4: 3 PTO after the path was abandoned, every connection ID of ours for it
   * stops routing (retired at the CidHost); the set is empty and stopped afterwards.
   */
  retireAll(): void {
    this.stop();
    for (const e of this.active.values()) this.host?.retire(this.owner, e.cid);
    this.active.clear();
  }

  /** Issues connection IDs until the peer holds `limit` of them (those at or above Retire Prior To). */
  private topUp(): void {
    const host = this.host;
    if (host === undefined || this.stopped) return;
    let n = 0;
    for (const seq of this.active.keys()) if (seq >= this.retirePriorTo) n++;
    while (n < this.limit) {
      const cid = host.issue(this.owner);
      if (cid === undefined) return;
      const seq = this.nextSeq++;
      this.active.set(seq, { cid, token: host.resetToken(cid) });
      this.pending.push(seq);
      this.issued++;
      n++;
    }
  }

  /**
   * Replaces every active connection ID (§5.1.2): new ones are issued with Retire Prior To
   * covering all current ones, which the peer must retire. False while an earlier Retire Prior To
   * is not yet honoured (§5.1.2: no update before that) or before issuing started.
   */
  rotate(): boolean {
    if (this.limit === 0) return false;
    for (const seq of this.active.keys()) if (seq < this.retirePriorTo) return false;
    this.retirePriorTo = this.nextSeq;
    this.topUp();
    return true;
  }

  /**
   * The frame announcing `seq`, or undefined when the peer already retired it:
   * NEW_CONNECTION_ID, or PATH_NEW_CONNECTION_ID with the path ID when `pathId` is set.
   */
  frame(seq: number): NewConnectionIdFrame | PathNewConnectionIdFrame | undefined {
    const e = this.active.get(seq);
    if (e === undefined || e.token === undefined) return undefined;
    // §19.15: Retire Prior To must not exceed the Sequence Number.
    const retirePriorTo = Math.min(this.retirePriorTo, seq);
    if (this.pathId !== undefined) return { kind: 'path_new_connection_id', pathId: this.pathId, sequence: seq, retirePriorTo, cid: e.cid, resetToken: e.token };
    return { kind: 'new_connection_id', sequence: seq, retirePriorTo, cid: e.cid, resetToken: e.token };
  }

  /** A packet with NEW_CONNECTION_ID `seq` was lost: send it again if it is still active (§13.3). */
  onLost(seq: number): void {
    if (!this.stopped && this.active.has(seq) && !this.pending.includes(seq)) this.pending.push(seq);
  }

  /**
   * RETIRE_CONNECTION_ID (§19.16). `arrivedOn` tells whether a connection ID is the Destination
   * Connection ID of the packet carrying the frame. The retired ID stops routing and a
   * replacement is issued (§5.1.1 SHOULD; multipath-21 §5.1.2 for PATH_RETIRE_CONNECTION_ID).
   * `frameType` names the frame in errors: RETIRE_CONNECTION_ID unless this set has a path ID.
   */
  onRetire(seq: number, arrivedOn: (cid: Uint8Array) => boolean, frameType?: number): void {
    const ft = frameType ?? (this.pathId === undefined ? FrameType.RETIRE_CONNECTION_ID : FrameType.PATH_RETIRE_CONNECTION_ID);
    const name = ft === FrameType.RETIRE_CONNECTION_ID ? 'RETIRE_CONNECTION_ID' : `PATH_RETIRE_CONNECTION_ID (path ${this.pathId ?? 0})`;
    // §19.16: an endpoint that provides a zero-length connection ID treats this as a violation.
    if (this.zeroLength && seq === 0) throw violation(ft, `${name} with a zero-length connection ID`);
    if (seq >= this.nextSeq) throw violation(ft, `${name} ${seq} for a connection ID never issued`);
    const e = this.active.get(seq);
    if (e === undefined) return; // already retired (a retransmission)
    if (arrivedOn(e.cid)) throw violation(ft, `${name} ${seq} for the connection ID the packet was sent to`);
    this.active.delete(seq);
    const i = this.pending.indexOf(seq);
    if (i >= 0) this.pending.splice(i, 1);
    this.retiredByPeer++;
    this.host?.retire(this.owner, e.cid);
    this.topUp();
  }
}

interface PeerCid {
  cid: Uint8Array;
  token: Uint8Array | undefined;
  /** We sent packets with it (§10.3.1: only such tokens are checked). */
  used: boolean;
}

/**
 * Connection IDs the peer issued to us (RFC 9000 §5.1.2). Sequence 0 is the handshake ID; a
 * multipath set built without one (path IDs ≥ 1) starts empty, with no connection ID in use
 * (`current` −1) until the path is opened (`next()`).
 */
export class PeerCids {
  /** Active: received and not retired by us, by sequence number. */
  private readonly active = new Map<number, PeerCid>();
  /** The sequence number of the connection ID we send to; −1: none in use yet. */
  current = 0;
  /**
   * The path ID of this set (multipath-21 §5.1): undefined = RFC 9000, retirements go out as
   * RETIRE_CONNECTION_ID; a number = PATH_RETIRE_CONNECTION_ID for that path ID (`retireFrame`).
   */
  pathId: number | undefined;
  /** One more than the largest sequence number received (multipath-21 §4.7 Next Sequence Number). */
  nextSequence = 0;
  /** Connection IDs received (NEW_/PATH_NEW_CONNECTION_ID, not repeats) and retired by us (stats). */
  received = 0;
  retiredByUs = 0;
  /** Sequence 0 is the handshake connection ID. */
  private readonly hasHandshake: boolean;
  /** The largest Retire Prior To received (§19.15). */
  retirePriorTo = 0;
  /** Sequence numbers at or above `retirePriorTo` that we retired (those below are implicitly). */
  private readonly retired = new Set<number>();
  /** RETIRE_CONNECTION_ID frames to send (again). */
  readonly retirePending: number[] = [];
  /** Retired and not yet acknowledged (§5.1.2 "SHOULD limit"). */
  private readonly retiring = new Set<number>();
  /** Connection IDs retired and not yet acknowledged as such (at most 2 × limit + 2, §5.1.2). */
  get retiringCount(): number {
    return this.retiring.size;
  }

  /** `handshakeCid` undefined: an empty multipath set (path IDs ≥ 1, multipath-21 §5.1). */
  constructor(
    private readonly owner: Connection,
    private readonly host: CidHost | undefined,
    handshakeCid: Uint8Array | undefined,
    pathId?: number,
  ) {
    this.pathId = pathId;
    this.hasHandshake = handshakeCid !== undefined;
    if (handshakeCid === undefined) {
      this.current = -1;
      return;
    }
    this.active.set(0, { cid: handshakeCid, token: undefined, used: true });
    this.nextSequence = 1;
  }

  /** Active connection IDs, by sequence number. */
  list(): Array<{ seq: number; cid: Uint8Array; used: boolean }> {
    return [...this.active].map(([seq, e]) => ({ seq, cid: e.cid, used: e.used }));
  }

  get size(): number {
    return this.active.size;
  }

  /** Is there an active connection ID we never sent to (one to open the path or move to)? */
  hasUnused(): boolean {
    for (const e of this.active.values()) if (!e.used) return true;
    return false;
  }

  /** Is `cid` one of the active connection IDs? */
  holds(cid: Uint8Array): boolean {
    for (const e of this.active.values()) if (sameBytes(e.cid, cid)) return true;
    return false;
  }

  /**
   * The frame retiring `seq` (RFC 9000 §19.16 / multipath-21 §4.5): PATH_RETIRE_CONNECTION_ID
   * when this set has a path ID, else RETIRE_CONNECTION_ID.
   */
  retireFrame(seq: number): RetireConnectionIdFrame | PathRetireConnectionIdFrame {
    if (this.pathId !== undefined) return { kind: 'path_retire_connection_id', pathId: this.pathId, sequence: seq };
    return { kind: 'retire_connection_id', sequence: seq };
  }

  /**
   * The handshake connection ID once the handshake completed (a client learned it from the
   * server's first long header, §7.2) and the server's stateless_reset_token for it (§18.2).
   */
  setHandshake(cid: Uint8Array, token: Uint8Array | undefined): void {
    if (!this.hasHandshake) return;
    const e = this.active.get(0);
    if (e === undefined) return;
    if (this.current === 0) e.cid = cid;
    if (token !== undefined && e.token === undefined) {
      e.token = token;
      if (e.used) this.host?.watch(this.owner, token);
    }
  }

  /** Client: the connection ID of the server's preferred_address (§5.1.1: sequence number 1). */
  addPreferred(cid: Uint8Array, token: Uint8Array): void {
    if (!this.hasHandshake) return;
    if (!this.active.has(1) && !this.retired.has(1) && this.retirePriorTo <= 1) {
      this.active.set(1, { cid: cid.slice(), token: token.slice(), used: false });
      this.nextSequence = Math.max(this.nextSequence, 2);
    }
  }

  /**
   * NEW_CONNECTION_ID (§19.15, §5.1.2), or PATH_NEW_CONNECTION_ID for this set's path
   * (multipath-21 §4.4: the same rules per path; `limit`, our active_connection_id_limit, applies
   * per path, multipath-21 §2.2). Returns the connection ID to send to from now on when the one in
   * use was retired, else undefined (also when no connection ID of this path is in use yet).
   */
  onNewConnectionId(f: AnyNewConnectionIdFrame, limit: number): Uint8Array | undefined {
    const ft = f.kind === 'new_connection_id' ? FrameType.NEW_CONNECTION_ID : FrameType.PATH_NEW_CONNECTION_ID;
    const name = f.kind === 'new_connection_id' ? 'NEW_CONNECTION_ID' : `PATH_NEW_CONNECTION_ID (path ${f.pathId})`;
    const existing = this.active.get(f.sequence);
    if (existing !== undefined) {
      // §19.15: the same frame again is fine; the same sequence number for other contents is not.
      if (!sameBytes(existing.cid, f.cid) || (existing.token !== undefined && !sameBytes(existing.token, f.resetToken))) {
        throw violation(ft, `${name} reuses a sequence number`);
      }
    } else {
      // §19.15: the same connection ID under another sequence number MAY be a violation.
      for (const [seq, e] of this.active) if (seq !== f.sequence && sameBytes(e.cid, f.cid)) throw violation(ft, `${name} repeats a connection ID`);
    }
    if (f.sequence >= this.nextSequence) this.nextSequence = f.sequence + 1;
    // §5.1.2: retire what Retire Prior To covers before adding the new connection ID. Smaller
    // values than the largest seen have no effect (§19.15).
    if (f.retirePriorTo > this.retirePriorTo) {
      this.retirePriorTo = f.retirePriorTo;
      for (const seq of [...this.active.keys()]) if (seq < f.retirePriorTo) this.retire(seq);
      for (const seq of this.retired) if (seq < f.retirePriorTo) this.retired.delete(seq);
    }
    if (f.sequence < this.retirePriorTo) {
      // §19.15: a connection ID already below Retire Prior To is retired at once.
      if (existing === undefined && !this.retiring.has(f.sequence)) this.queueRetire(f.sequence);
    } else if (existing === undefined && !this.retired.has(f.sequence)) {
      this.active.set(f.sequence, { cid: f.cid.slice(), token: f.resetToken.slice(), used: false });
      this.received++;
      // §5.1.1: more active connection IDs than our limit, after retiring.
      if (this.active.size > limit) throw new TransportError(ErrorCode.CONNECTION_ID_LIMIT_ERROR, ft, `more than ${limit} active connection IDs`);
    }
    // §5.1.2: a bounded number of retirements in flight; beyond it CONNECTION_ID_LIMIT_ERROR
    // (§5.1.2 "MAY choose to treat ... as a connection error").
    if (this.retiring.size > 2 * limit + 2) throw new TransportError(ErrorCode.CONNECTION_ID_LIMIT_ERROR, ft, 'too many connection IDs waiting to be retired');
    if (this.current < 0 || this.active.has(this.current)) return undefined;
    return this.switchToUnused();
  }

  /**
   * Takes an unused connection ID, makes it the one in use and retires the previous one
   * (§5.1.2, §9.5). Undefined, changing nothing, when the peer supplied no spare one.
   */
  next(): Uint8Array | undefined {
    const old = this.current;
    const cid = this.switchToUnused();
    if (cid === undefined) return undefined;
    if (this.active.has(old)) this.retire(old);
    return cid;
  }

  /**
   * Takes an unused connection ID for probing another path (RFC 9000 §9.5: one ID per path)
   * without leaving the one in use; `useReserved` or `releaseReserved` settles it.
   */
  reserve(): { seq: number; cid: Uint8Array } | undefined {
    let best = -1;
    for (const [seq, e] of this.active) if (!e.used && seq !== this.current && (best < 0 || seq < best)) best = seq;
    if (best < 0) return undefined;
    const e = this.active.get(best)!;
    e.used = true;
    if (e.token !== undefined) this.host?.watch(this.owner, e.token);
    return { seq: best, cid: e.cid };
  }

  /** The probed path became the path: its connection ID is the one in use, the old one retired. Undefined when it was retired meanwhile. */
  useReserved(seq: number): Uint8Array | undefined {
    const e = this.active.get(seq);
    if (e === undefined) return undefined;
    const old = this.current;
    this.current = seq;
    if (old !== seq && this.active.has(old)) this.retire(old);
    return e.cid;
  }

  /** The probe failed: its connection ID is retired (it was used on that path, §9.5). */
  releaseReserved(seq: number): void {
    if (seq !== this.current) this.retire(seq);
  }

  private switchToUnused(): Uint8Array | undefined {
    let best = -1;
    for (const [seq, e] of this.active) if (!e.used && (best < 0 || seq < best)) best = seq;
    if (best < 0) return undefined;
    const e = this.active.get(best)!;
    e.used = true;
    if (e.token !== undefined) this.host?.watch(this.owner, e.token);
    this.current = best;
    return e.cid;
  }

  /** Stops using `seq` and queues its RETIRE_CONNECTION_ID (§19.16). */
  private retire(seq: number): void {
    const e = this.active.get(seq);
    if (e === undefined) return;
    this.active.delete(seq);
    this.retiredByUs++;
    // §10.3.1: a retired connection ID's token is no longer checked.
    if (e.used && e.token !== undefined) this.host?.unwatch(this.owner, e.token);
    if (seq >= this.retirePriorTo) this.retired.add(seq);
    this.queueRetire(seq);
  }

  /**
   * multipath-21 §3.4: the path was abandoned, so every connection ID of it counts as retired at
   * once, without PATH_RETIRE_CONNECTION_ID frames (the peer drops the path's IDs itself);
   * pending retirements are dropped too. Nothing is in use afterwards.
   */
  retireAll(): void {
    for (const e of this.active.values()) {
      if (e.used && e.token !== undefined) this.host?.unwatch(this.owner, e.token);
      this.retiredByUs++;
    }
    this.active.clear();
    this.retirePending.length = 0;
    this.retiring.clear();
    this.current = -1;
  }

  private queueRetire(seq: number): void {
    this.retiring.add(seq);
    if (!this.retirePending.includes(seq)) this.retirePending.push(seq);
  }

  onRetireAcked(seq: number): void {
    this.retiring.delete(seq);
  }

  onRetireLost(seq: number): void {
    if (this.retiring.has(seq) && !this.retirePending.includes(seq)) this.retirePending.push(seq);
  }

  /**
   * RFC 9000 §10.3.1: does `datagram` end with the token of a connection ID we used, and come
   * from the address we send to? Allocation-free; compared in constant time per token.
   */
  isStatelessReset(datagram: Uint8Array, from: SocketAddress, remote: SocketAddress): boolean {
    if (datagram.length < MIN_STATELESS_RESET || !sameAddress(from, remote)) return false;
    const at = datagram.length - TOKEN_LENGTH;
    let hit = false;
    for (const e of this.active.values()) if (e.used && e.token !== undefined && tokenAt(datagram, at, e.token)) hit = true;
    return hit;
  }

  /** Forgets every token (the connection is gone). */
  unwatchAll(): void {
    for (const e of this.active.values()) if (e.used && e.token !== undefined) this.host?.unwatch(this.owner, e.token);
  }
}

/** The connection-side handling of the two frames, called from frames.ts. */
export function onNewConnectionIdFrame(conn: Connection, f: NewConnectionIdFrame): void {
  // §19.15: a peer that gave us a zero-length connection ID must not send NEW_CONNECTION_ID.
  if (conn.remoteCid.length === 0) throw violation(FrameType.NEW_CONNECTION_ID, 'NEW_CONNECTION_ID with a zero-length connection ID');
  const switched = conn.peerCids.onNewConnectionId(f, conn.settings.activeConnectionIdLimit);
  if (switched !== undefined) conn.remoteCid = switched;
}

export function onRetireConnectionIdFrame(conn: Connection, f: Extract<Frame, { kind: 'retire_connection_id' }>): void {
  conn.localCids.onRetire(f.sequence, (cid) => conn.packetArrivedOn(cid), FrameType.RETIRE_CONNECTION_ID);
}
