/**
 * The connection IDs of one connection (RFC 9000 §5.1): those we issued to the peer
 * (`LocalCids`, §5.1.1) and those the peer issued to us (`PeerCids`, §5.1.2), with the
 * stateless reset tokens that go with them (§10.3). Frames: NEW_CONNECTION_ID (§19.15) and
 * RETIRE_CONNECTION_ID (§19.16).
 *
 * The endpoint owns routing and the reset-token key, so it is reached through `CidHost`: it makes
 * fresh connection IDs that route to the connection, forgets retired ones, derives reset tokens,
 * and watches the peer's tokens of connection IDs in use, so a stateless reset is recognised
 * even when its (random) Destination Connection ID routes to no connection (§10.3.1).
 */
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { FrameType, type Frame } from '../wire/frame.js';
import type { SocketAddress } from '../util/datagram.js';
import { sameAddress } from '../util/datagram.js';
import type { Connection } from './connection.js';

type NewConnectionIdFrame = Extract<Frame, { kind: 'new_connection_id' }>;

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

function violation(frameType: number, reason: string): TransportError {
  return new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameType, reason);
}

interface LocalCid {
  cid: Uint8Array;
  token: Uint8Array | undefined;
}

/** Connection IDs we issued (RFC 9000 §5.1.1). Sequence 0 is the handshake connection ID. */
export class LocalCids {
  /** Issued and not yet retired by the peer (§5.1.1 "active"), by sequence number. */
  private readonly active = new Map<number, LocalCid>();
  /** The next sequence number to issue (§5.1.1: each new one increases by 1). */
  nextSeq = 1;
  /** The Retire Prior To value we send (§5.1.2). */
  retirePriorTo = 0;
  /** How many connection IDs the peer holds at most: min(its limit, LOCAL_CID_CAP); 0 = not issuing yet. */
  limit = 0;
  /** Sequence numbers whose NEW_CONNECTION_ID is to be sent (again, after a loss). */
  readonly pending: number[] = [];
  /** NEW_CONNECTION_ID frames sent, RETIRE_CONNECTION_ID frames received (stats). */
  issued = 0;
  retiredByPeer = 0;

  constructor(
    private readonly owner: Connection,
    private readonly host: CidHost | undefined,
    handshakeCid: Uint8Array,
  ) {
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
    if (host === undefined || this.nextSeq !== 1 || this.active.get(0)?.cid.length === 0) return undefined;
    const cid = host.issue(this.owner);
    if (cid === undefined) return undefined;
    const token = host.resetToken(cid);
    this.active.set(this.nextSeq++, { cid, token });
    return { cid, token };
  }

  /** The token of the handshake connection ID (the server's stateless_reset_token, §18.2). */
  get handshakeToken(): Uint8Array | undefined {
    return this.active.get(0)?.token;
  }

  /** Active connection IDs (issued and not retired by the peer), by sequence number. */
  list(): Array<{ seq: number; cid: Uint8Array }> {
    return [...this.active].map(([seq, e]) => ({ seq, cid: e.cid }));
  }

  /**
   * After the handshake: issue connection IDs up to min(the peer's active_connection_id_limit,
   * our cap) (§5.1.1). A zero-length handshake connection ID means none can be issued (§5.1.1).
   */
  start(peerLimit: number): void {
    if (this.host === undefined || this.active.get(0)?.cid.length === 0 || this.limit > 0) return;
    this.limit = Math.max(1, Math.min(peerLimit, LOCAL_CID_CAP));
    this.topUp();
  }

  /** Issues connection IDs until the peer holds `limit` of them (those at or above Retire Prior To). */
  private topUp(): void {
    const host = this.host;
    if (host === undefined) return;
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

  /** The frame announcing `seq`, or undefined when the peer already retired it. */
  frame(seq: number): NewConnectionIdFrame | undefined {
    const e = this.active.get(seq);
    if (e === undefined || e.token === undefined) return undefined;
    // §19.15: Retire Prior To must not exceed the Sequence Number.
    return { kind: 'new_connection_id', sequence: seq, retirePriorTo: Math.min(this.retirePriorTo, seq), cid: e.cid, resetToken: e.token };
  }

  /** A packet with NEW_CONNECTION_ID `seq` was lost: send it again if it is still active (§13.3). */
  onLost(seq: number): void {
    if (this.active.has(seq) && !this.pending.includes(seq)) this.pending.push(seq);
  }

  /**
   * RETIRE_CONNECTION_ID (§19.16). `arrivedOn` tells whether a connection ID is the Destination
   * Connection ID of the packet carrying the frame. The retired ID stops routing and a
   * replacement is issued (§5.1.1 SHOULD).
   */
  onRetire(seq: number, arrivedOn: (cid: Uint8Array) => boolean): void {
    const ft = FrameType.RETIRE_CONNECTION_ID;
    // §19.16: an endpoint that provides a zero-length connection ID treats this as a violation.
    if (this.active.get(0)?.cid.length === 0 && seq === 0) throw violation(ft, 'RETIRE_CONNECTION_ID with a zero-length connection ID');
    if (seq >= this.nextSeq) throw violation(ft, `RETIRE_CONNECTION_ID ${seq} for a connection ID never issued`);
    const e = this.active.get(seq);
    if (e === undefined) return; // already retired (a retransmission)
    if (arrivedOn(e.cid)) throw violation(ft, `RETIRE_CONNECTION_ID ${seq} for the connection ID the packet was sent to`);
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

/** Connection IDs the peer issued to us (RFC 9000 §5.1.2). Sequence 0 is the handshake ID. */
export class PeerCids {
  /** Active: received and not retired by us, by sequence number. */
  private readonly active = new Map<number, PeerCid>();
  /** The sequence number of the connection ID we send to. */
  current = 0;
  /** The largest Retire Prior To received (§19.15). */
  retirePriorTo = 0;
  /** Sequence numbers at or above `retirePriorTo` that we retired (those below are implicitly). */
  private readonly retired = new Set<number>();
  /** RETIRE_CONNECTION_ID frames to send (again). */
  readonly retirePending: number[] = [];
  /** Retired and not yet acknowledged (§5.1.2 "SHOULD limit"). */
  private readonly retiring = new Set<number>();

  constructor(
    private readonly owner: Connection,
    private readonly host: CidHost | undefined,
    handshakeCid: Uint8Array,
  ) {
    this.active.set(0, { cid: handshakeCid, token: undefined, used: true });
  }

  /** Active connection IDs, by sequence number. */
  list(): Array<{ seq: number; cid: Uint8Array; used: boolean }> {
    return [...this.active].map(([seq, e]) => ({ seq, cid: e.cid, used: e.used }));
  }

  get size(): number {
    return this.active.size;
  }

  /**
   * The handshake connection ID once the handshake completed (a client learned it from the
   * server's first long header, §7.2) and the server's stateless_reset_token for it (§18.2).
   */
  setHandshake(cid: Uint8Array, token: Uint8Array | undefined): void {
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
    if (!this.active.has(1) && !this.retired.has(1) && this.retirePriorTo <= 1) this.active.set(1, { cid: cid.slice(), token: token.slice(), used: false });
  }

  /**
   * NEW_CONNECTION_ID (§19.15, §5.1.2). `limit` is our active_connection_id_limit. Returns the
   * connection ID to send to from now on when the one in use was retired, else undefined.
   */
  onNewConnectionId(f: NewConnectionIdFrame, limit: number): Uint8Array | undefined {
    const ft = FrameType.NEW_CONNECTION_ID;
    const existing = this.active.get(f.sequence);
    if (existing !== undefined) {
      // §19.15: the same frame again is fine; the same sequence number for other contents is not.
      if (!sameBytes(existing.cid, f.cid) || (existing.token !== undefined && !sameBytes(existing.token, f.resetToken))) {
        throw violation(ft, 'NEW_CONNECTION_ID reuses a sequence number');
      }
    } else {
      // §19.15: the same connection ID under another sequence number MAY be a violation.
      for (const [seq, e] of this.active) if (seq !== f.sequence && sameBytes(e.cid, f.cid)) throw violation(ft, 'NEW_CONNECTION_ID repeats a connection ID');
    }
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
      // §5.1.1: more active connection IDs than our limit, after retiring.
      if (this.active.size > limit) throw new TransportError(ErrorCode.CONNECTION_ID_LIMIT_ERROR, ft, `more than ${limit} active connection IDs`);
    }
    // §5.1.2: a bounded number of retirements in flight.
    if (this.retiring.size > 2 * limit + 2) throw new TransportError(ErrorCode.CONNECTION_ID_LIMIT_ERROR, ft, 'too many connection IDs waiting to be retired');
    if (this.active.has(this.current)) return undefined;
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
    // §10.3.1: a retired connection ID's token is no longer checked.
    if (e.used && e.token !== undefined) this.host?.unwatch(this.owner, e.token);
    if (seq >= this.retirePriorTo) this.retired.add(seq);
    this.queueRetire(seq);
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
  conn.localCids.onRetire(f.sequence, (cid) => conn.packetArrivedOn(cid));
}
