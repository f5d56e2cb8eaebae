/**
 * Frame dispatch of the receive path: each frame of a decrypted packet goes to the module that
 * owns it, with the RFC's error for frames that must not arrive (RFC 9000 §12.4, §19).
 */
import { onPathResponse } from './migration.js';
import type { Instant } from '../util/time.js';
import { sameAddress } from '../util/datagram.js';
import { assertNever } from '../util/assert.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { FrameType, frameTypeOf, type Frame } from '../wire/frame.js';
import { frameLength } from '../wire/frame-codec.js';
import type { Connection } from './connection.js';
import { receiveCrypto } from './handshake.js';
import { ackedOneRtt } from './early-data.js';
import { onNewConnectionIdFrame, onRetireConnectionIdFrame } from './cids.js';
import { onNewToken } from './address-token.js';
import { APPDATA, type SpaceId } from './types.js';
import { startServerProbe } from './path-probe.js';
import { onMultipathChallenge, onPathAbandon, onPathStatus, pathAckTarget } from './multipath.js';
import { MAX_PATH_RESPONSES, type Path } from './path.js';
import { onRepairFrame, onSymbolAck } from './fec.js';

function violation(f: Frame, reason: string): TransportError {
  return new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameTypeOf(f), reason);
}

/**
 * ACK or PATH_ACK (RFC 9000 §19.3, multipath-21 §4.1) for `path`'s packets (undefined: a
 * closed or unknown path, ignored).
 */
function onAck(conn: Connection, now: Instant, space: SpaceId, f: Extract<Frame, { kind: 'ack' | 'path_ack' }>, path: Path | undefined): void {
  if (path === undefined) return;
  // RFC 9000 §19.3: ACK Delay is scaled by the peer's exponent (Initial/Handshake use the
  // default, RFC 9002 §5.3 ignores it there anyway).
  const exponent = space === APPDATA ? conn.peerAckDelayExponent : 3;
  const r = path.recovery.onAckReceived(now, space, f.ranges, f.ackDelay * 2 ** exponent, f.ecn, frameTypeOf(f));
  // RFC 9000 §13.4.2.1: validate the ECN counts before the acknowledged records are released.
  if (f.ranges.length > 0) path.ecn.onAckReceived(now, space, f.ranges[0]!.largest, r.acked, f.ecn);
  // RFC 9001 §4.1.2: a client may treat an acknowledged 1-RTT packet (not a 0-RTT one) as confirmation.
  const confirms = conn.isClient && space === APPDATA && conn.handshakeComplete && ackedOneRtt(conn, r.acked);
  conn.onAcked(now, r.acked, path);
  conn.onLost(now, r.lost, space, path);
  conn.logRecovery(now);
  if (confirms) conn.confirmHandshake(now);
}

export function handleFrame(conn: Connection, now: Instant, space: SpaceId, f: Frame): void {
  switch (f.kind) {
    case 'padding':
    case 'ping':
      return;
    case 'ack':
      // multipath-21 §2.2: with multipath, an ACK in 1-RTT acknowledges path 0.
      return onAck(conn, now, space, f, space === APPDATA && conn.mp !== undefined ? conn.mp.paths.get(0) : conn.path);
    case 'path_ack':
      // multipath-21 §4.1: the packets of one path, carried on any path.
      return onAck(conn, now, space, f, pathAckTarget(conn, f));
    case 'path_abandon':
      return onPathAbandon(conn, now, f);
    case 'path_status_backup':
    case 'path_status_available':
      return onPathStatus(conn, f);
    case 'path_new_connection_id':
      if (conn.mp === undefined) throw violation(f, 'PATH_NEW_CONNECTION_ID without multipath');
      {
        // The path's connection ID in use was retired by Retire Prior To: the new one replaces it.
        const switched = conn.mp.cids.onNewConnectionId(f);
        const p = conn.mp.paths.get(f.pathId);
        if (switched !== undefined && p !== undefined) p.dcid = switched;
        conn.mp.pm.pathIdsChanged();
      }
      return;
    case 'path_retire_connection_id':
      if (conn.mp === undefined) throw violation(f, 'PATH_RETIRE_CONNECTION_ID without multipath');
      return conn.mp.cids.onRetireConnectionId(f, (cid) => conn.packetArrivedOn(cid));
    case 'max_path_id':
      if (conn.mp === undefined) throw violation(f, 'MAX_PATH_ID without multipath');
      conn.mp.cids.onMaxPathId(f);
      conn.mp.pm.pathIdsChanged();
      return;
    case 'paths_blocked':
      if (conn.mp === undefined) throw violation(f, 'PATHS_BLOCKED without multipath');
      return conn.mp.cids.onPathsBlocked(f);
    case 'path_cids_blocked':
      if (conn.mp === undefined) throw violation(f, 'PATH_CIDS_BLOCKED without multipath');
      return conn.mp.cids.onPathCidsBlocked(f);
    case 'crypto': {
      const sp = conn.spaces[space];
      // RFC 9002 §6.2.3: CRYPTO data we already have in Initial or Handshake means the peer is
      // probing, so it probably lacks our flight: resend what is unacknowledged now rather than
      // at our own PTO.
      if (space !== APPDATA && f.offset + f.data.length <= sp.cryptoRecv.contiguousEnd && !sp.cryptoSend.allAcked) sp.cryptoSend.requeueUnacked();
      sp.cryptoRecv.insert(f.offset, f.data, FrameType.CRYPTO);
      for (let d = sp.cryptoRecv.read(); d !== undefined; d = sp.cryptoRecv.read()) receiveCrypto(conn, now, space, d);
      return;
    }
    case 'new_token':
      // RFC 9000 §19.7: only servers send NEW_TOKEN.
      if (!conn.isClient) throw violation(f, 'NEW_TOKEN from a client');
      // §8.1.3: kept for a future connection to this server.
      onNewToken(conn, f.token);
      return;
    case 'stream':
      return conn.streams.onStreamFrame(f);
    case 'reset_stream':
      return conn.streams.onResetStream(f);
    case 'stop_sending':
      return conn.streams.onStopSending(f);
    case 'max_data':
      return conn.streams.onMaxData(f);
    case 'max_stream_data':
      return conn.streams.onMaxStreamData(f);
    case 'max_streams':
      return conn.streams.onMaxStreams(f);
    case 'data_blocked':
      return conn.streams.onDataBlocked(f);
    case 'stream_data_blocked':
      return conn.streams.onStreamDataBlocked(f);
    case 'streams_blocked':
      return conn.streams.onStreamsBlocked(f);
    case 'new_connection_id': {
      // RFC 9000 §19.15, §5.1.2 (cids.ts); with multipath, for path 0 (path-cids.ts).
      if (conn.mp === undefined) return onNewConnectionIdFrame(conn, f);
      const switched = conn.mp.cids.onNewConnectionId(f);
      const p0 = conn.mp.paths.get(0);
      if (switched !== undefined && p0 !== undefined) p0.dcid = switched;
      return;
    }
    case 'retire_connection_id':
      // RFC 9000 §19.16 (cids.ts); with multipath, for path 0 (path-cids.ts).
      if (conn.mp !== undefined) return conn.mp.cids.onRetireConnectionId(f, (cid) => conn.packetArrivedOn(cid));
      return onRetireConnectionIdFrame(conn, f);
    case 'path_challenge':
      // multipath-21 §3.1: answered on the path (path ID) it arrived on.
      if (conn.mp !== undefined && conn.rxPath !== undefined && conn.rxPath !== conn.path) return onMultipathChallenge(conn.rxPath, f.data);
      // RFC 9000 §8.2.2: echo the data in PATH_RESPONSE (bounded queues, MAX_PATH_RESPONSES).
      // (Copied: frames are views into the received datagram, whose buffer may be reused.)
      // §8.2.2: on the path the challenge arrived on; another path's answer goes out there.
      if (conn.rxFrom === undefined || conn.rxTo === undefined || (sameAddress(conn.rxFrom, conn.remote) && sameAddress(conn.rxTo, conn.local))) {
        if (conn.pathResponses.length < MAX_PATH_RESPONSES) conn.pathResponses.push(f.data.slice());
      } else if (conn.offPathResponses.length < MAX_PATH_RESPONSES) {
        conn.offPathResponses.push({ data: f.data.slice(), local: conn.rxTo, remote: conn.rxFrom, budget: Math.min(1200, 3 * conn.rxSize) });
        // §9.6.1: a server probes back from the address the client probes (its preferred address).
        if (!sameAddress(conn.rxTo, conn.local)) startServerProbe(conn, now, conn.rxTo, conn.rxFrom);
      }
      return;
    case 'path_response':
      // RFC 9000 §8.2.3: validates the path if it echoes an outstanding challenge; others are ignored.
      onPathResponse(conn, now, f.data);
      return;
    case 'connection_close':
      return conn.enterDraining(now, {
        kind: 'transport',
        code: f.errorCode,
        frameType: f.frameType,
        reason: new TextDecoder().decode(f.reason),
        initiator: 'remote',
      });
    case 'application_close':
      return conn.enterDraining(now, { kind: 'application', code: f.errorCode, reason: new TextDecoder().decode(f.reason), initiator: 'remote' });
    case 'handshake_done':
      // RFC 9000 §19.20: a server receiving HANDSHAKE_DONE is a PROTOCOL_VIOLATION.
      if (!conn.isClient) throw violation(f, 'HANDSHAKE_DONE from a client');
      conn.confirmHandshake(now);
      return;
    case 'datagram': {
      // RFC 9221 §3: a DATAGRAM we did not advertise, or larger than max_datagram_frame_size
      // (the whole frame counts), is a PROTOCOL_VIOLATION.
      const max = conn.settings.maxDatagramFrameSize;
      if (max === 0) throw violation(f, 'DATAGRAM frames were not negotiated');
      if (frameLength(f) > max) throw violation(f, `DATAGRAM frame larger than max_datagram_frame_size ${max}`);
      // specs/fec.md B7 §5: the packet was rebuilt from repairs before it arrived; delivered then.
      if (conn.fec?.skipDatagrams === true) return;
      conn.onDatagram(f.data);
      return;
    }
    case 'sid':
      // specs/fec.md B7 §3: the source symbol was taken before the frames were handled (fec.ts).
      if (conn.fec === undefined) throw violation(f, 'SID frame without FEC negotiated');
      return;
    case 'repair':
      if (conn.fec === undefined) throw violation(f, 'REPAIR frame without FEC negotiated');
      return onRepairFrame(conn, f);
    case 'symbol_ack':
      return onSymbolAck(conn, f);
    default:
      return assertNever(f, 'frame');
  }
}
