/**
 * Recovery tokens coming back (DESIGN §3): on acknowledgement or loss, each token goes to the
 * module that owns what it describes. RFC 9000 §13.3 says what is retransmitted.
 */
import type { Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import type { RecoveryToken } from './types.js';

export function onTokenAcked(conn: Connection, _now: Instant, t: RecoveryToken): void {
  switch (t.kind) {
    case 'crypto': {
      const sp = conn.spaces[t.space];
      if (!sp.discarded) sp.cryptoSend.onAcked(t.offset, t.length);
      return;
    }
    case 'ack': {
      const sp = conn.spaces[t.space];
      if (!sp.discarded) sp.ack.onAckAcked(t.largest);
      return;
    }
    case 'handshake_done':
    case 'ping':
    case 'new_connection_id':
    case 'retire_connection_id':
    case 'connection_close':
    case 'datagram':
    case 'path_challenge':
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
    case 'ack': // a newer ACK will be sent when needed
    case 'ping':
    case 'new_connection_id':
    case 'retire_connection_id':
    case 'connection_close':
      return;
    case 'path_challenge':
      conn.onPathChallengeLost(t.data);
      return;
    case 'datagram':
      conn.datagramsLost++;
      conn.emit({ type: 'datagram_lost', length: t.length });
      return;
    default:
      conn.streams.onLost(t);
  }
}
