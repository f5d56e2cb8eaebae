/**
 * Recovery tokens coming back (DESIGN §3): on acknowledgement or loss, each token goes to the
 * module that owns what it describes. RFC 9000 §13.3 says what is retransmitted.
 */
import { onPathChallengeLost } from './migration.js';
import type { Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import type { RecoveryToken, SpaceId } from './types.js';
import { onNewTokenLost } from './address-token.js';
import { onMultipathFrameLost, onPathAbandonAcked } from './multipath.js';

export function onTokenAcked(conn: Connection, _now: Instant, t: RecoveryToken): void {
  switch (t.kind) {
    case 'crypto': {
      const sp = conn.spaces[t.space];
      if (!sp.discarded) sp.cryptoSend.onAcked(t.offset, t.length);
      return;
    }
    case 'ack': {
      const sp = conn.spaces[t.space];
      if (sp.discarded) return;
      // multipath-21: a PATH_ACK of another path's space.
      const ps = t.pathId === 0 ? sp : conn.pathById(t.pathId)?.space;
      ps?.ack.onAckAcked(t.largest);
      return;
    }
    case 'retire_connection_id':
      conn.peerCids.onRetireAcked(t.seq);
      return;
    case 'handshake_done':
    case 'ping':
    case 'new_connection_id':
    case 'connection_close':
    case 'datagram':
    case 'path_challenge':
    case 'new_token':
    case 'path_status':
      return;
    case 'path_abandon':
      onPathAbandonAcked(conn, _now, t.pathId);
      return;
    case 'fec_repair':
      if (conn.fec !== undefined) conn.fec.repairsAcked++;
      return;
    case 'path_new_connection_id':
    case 'path_retire_connection_id':
    case 'max_path_id':
    case 'paths_blocked':
    case 'path_cids_blocked':
      conn.mp?.cids.onAcked(t);
      return;
    default:
      conn.streams.onAcked(t);
  }
}

export function onTokenLost(conn: Connection, t: RecoveryToken): void {
  switch (t.kind) {
    case 'crypto': {
      const sp = conn.spaces[t.space];
      if (!sp.discarded) sp.cryptoSend.onLost(t.offset, t.length);
      return;
    }
    case 'handshake_done':
      // RFC 9000 §13.3: HANDSHAKE_DONE is sent again until acknowledged.
      conn.handshakeDonePending = true;
      return;
    case 'new_connection_id':
      // RFC 9000 §13.3: sent again until acknowledged, unless the peer retired it meanwhile.
      conn.localCids.onLost(t.seq);
      return;
    case 'retire_connection_id':
      conn.peerCids.onRetireLost(t.seq);
      return;
    case 'ack': // a newer ACK will be sent when needed
    case 'ping':
    case 'connection_close':
      return;
    case 'path_challenge':
      onPathChallengeLost(conn, t.data);
      return;
    case 'new_token':
      onNewTokenLost(conn, t.token);
      return;
    case 'fec_repair':
      if (conn.fec !== undefined) conn.fec.repairsLost++;
      return;
    case 'datagram':
      conn.datagramsLost++;
      conn.emit({ type: 'datagram_lost', length: t.length });
      return;
    case 'path_new_connection_id':
    case 'path_retire_connection_id':
    case 'max_path_id':
    case 'paths_blocked':
    case 'path_cids_blocked':
      conn.mp?.cids.onLost(t);
      return;
    case 'path_abandon':
    case 'path_status':
      onMultipathFrameLost(conn, t);
      return;
    default:
      conn.streams.onLost(t);
  }
}

type StreamDataToken = Extract<RecoveryToken, { kind: 'stream' }>;
type AckToken = Extract<RecoveryToken, { kind: 'ack' }>;

/** Most free tokens of each kind kept. */
const MAX_FREE_TOKENS = 4096;

/**
 * Recycled tokens of the two kinds nearly every packet carries, STREAM data and ACK
 * (DESIGN §4 rule 2). They come back with their sent-packet record (`Connection.releaseSent`),
 * after their owners have read them: the stream manager and the ACK manager copy the numbers
 * and keep no token.
 */
export class TokenPool {
  private readonly streams: StreamDataToken[] = [];
  private nStreams = 0;
  private readonly acks: AckToken[] = [];
  private nAcks = 0;

  stream(id: number, offset: number, length: number, fin: boolean): StreamDataToken {
    if (this.nStreams === 0) return { kind: 'stream', id, offset, length, fin };
    const t = this.streams[--this.nStreams]!;
    t.id = id;
    t.offset = offset;
    t.length = length;
    t.fin = fin;
    return t;
  }

  ack(space: SpaceId, largest: number, pathId = 0): AckToken {
    if (this.nAcks === 0) return { kind: 'ack', space, largest, pathId };
    const t = this.acks[--this.nAcks]!;
    t.space = space;
    t.largest = largest;
    t.pathId = pathId;
    return t;
  }

  /** Takes back the pooled kinds among `tokens` (the others were made elsewhere and are left alone). */
  recycle(tokens: readonly RecoveryToken[]): void {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'stream') {
        if (this.nStreams >= MAX_FREE_TOKENS) continue;
        if (this.nStreams < this.streams.length) this.streams[this.nStreams] = t;
        else this.streams.push(t);
        this.nStreams++;
      } else if (t.kind === 'ack') {
        if (this.nAcks >= MAX_FREE_TOKENS) continue;
        if (this.nAcks < this.acks.length) this.acks[this.nAcks] = t;
        else this.acks.push(t);
        this.nAcks++;
      }
    }
  }
}

/** Tokens whose content a PTO probe may send again: stream data and stream control frames. */
export function isResendable(t: RecoveryToken): boolean {
  switch (t.kind) {
    case 'ack':
    case 'ping':
    case 'datagram':
    case 'path_challenge':
    case 'connection_close':
    case 'crypto':
    case 'handshake_done':
    case 'new_connection_id':
    case 'retire_connection_id':
    case 'path_new_connection_id':
    case 'path_retire_connection_id':
    case 'max_path_id':
    case 'paths_blocked':
    case 'path_cids_blocked':
    case 'path_abandon':
    case 'path_status':
    case 'fec_repair':
      return false;
    default:
      return true;
  }
}
