/**
 * Probing a path before moving to it (RFC 9000 §8.2, §9.1), as a client does with the server's
 * preferred address (§9.6.1: "A client that migrates to a preferred address MUST validate the
 * address it chooses before migrating"). The connection keeps sending on its current path; the
 * probe path gets PATH_CHALLENGE frames in datagrams padded to 1200 bytes (§8.2.1), sent from
 * the probe's local address to its remote address with a connection ID of its own (§9.5).
 * The matching PATH_RESPONSE moves the connection there (congestion control, RTT and PMTU
 * afresh when the IP address changed, §9.4); no response within the validation time leaves the
 * connection where it is and retires the probe's connection ID.
 *
 * The datagrams themselves, and PATH_RESPONSE frames owed on another path than the current one
 * (§8.2.2: answered on the path the challenge came on), are built by `buildOffPathDatagram`
 * (builder.ts).
 */
import { qlogEndpoint } from '../qlog/common.js';
import { equalBytes } from '../util/bytes.js';
import { sameAddress, type SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import { resetPathState, validationDeadline, type MigrationReason } from './migration.js';

export interface PathProbe {
  local: SocketAddress;
  remote: SocketAddress;
  /** The peer's connection ID reserved for the path, and its sequence number (-1: the one in use, a server's probe). */
  cid: Uint8Array;
  cidSeq: number;
  challenge: Uint8Array;
  /** A PATH_CHALLENGE is to be sent (first, or again after a loss). */
  challengePending: boolean;
  deadline: Instant;
  reason: MigrationReason;
}

/**
 * Starts probing (`local`, `remote`). False, changing nothing, when a probe or a validation is
 * running, or the peer left no spare connection ID (§9.5).
 */
export function startProbe(conn: Connection, now: Instant, local: SocketAddress, remote: SocketAddress, reason: MigrationReason): boolean {
  if (conn.pathProbe !== undefined || conn.pathValidation !== undefined || conn.state !== 'established') return false;
  const r = conn.peerCids.reserve();
  if (r === undefined) return false;
  conn.pathProbe = { local, remote, cid: r.cid, cidSeq: r.seq, challenge: conn.prng.bytes(8), challengePending: true, deadline: validationDeadline(conn, now), reason };
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'probing_started', tuple_local: qlogEndpoint(local), tuple_remote: qlogEndpoint(remote) } });
  conn.emit({ type: 'path_changed', local, remote, previousLocal: conn.local, previousRemote: conn.remote, reason, state: 'probing' });
  return true;
}

/**
 * Server (§9.6.1: "The server MUST probe on the path toward the client from its preferred
 * address"): a PATH_CHALLENGE arrived at another of our addresses; probe back from there. The
 * server moves to that address only once this validation succeeded and a non-probing packet
 * arrived there (`serverLocalChange`).
 */
export function startServerProbe(conn: Connection, now: Instant, local: SocketAddress, remote: SocketAddress): void {
  if (conn.isClient || conn.pathProbe !== undefined || conn.state !== 'established') return;
  if (conn.validatedLocal !== undefined && sameAddress(conn.validatedLocal, local)) return;
  conn.pathProbe = { local, remote, cid: conn.remoteCid, cidSeq: -1, challenge: conn.prng.bytes(8), challengePending: true, deadline: validationDeadline(conn, now), reason: 'preferred_address' };
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'probing_started', tuple_local: qlogEndpoint(local), tuple_remote: qlogEndpoint(remote) } });
}

/**
 * Server: the client's latest non-probing packet arrived at `local`, another of our addresses
 * (§9.6.1). Packets leave from there once that path is validated; until then from where they did.
 */
export function serverLocalChange(conn: Connection, now: Instant, local: SocketAddress): void {
  if (conn.validatedLocal !== undefined && sameAddress(conn.validatedLocal, local)) return moveLocal(conn, now, local);
  conn.pendingLocal = local;
  startServerProbe(conn, now, local, conn.remote);
}

function moveLocal(conn: Connection, now: Instant, local: SocketAddress): void {
  const previous = conn.local;
  conn.local = local;
  conn.pendingLocal = undefined;
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'migration_complete', tuple_local: qlogEndpoint(local), tuple_remote: qlogEndpoint(conn.remote) } });
  conn.emit({ type: 'local_address_changed', address: local, previous });
}

/** A PATH_RESPONSE: true when it answers the probe, which then becomes the path (§8.2.3). */
export function onProbeResponse(conn: Connection, now: Instant, data: Uint8Array): boolean {
  const probe = conn.pathProbe;
  if (probe === undefined || !equalBytes(probe.challenge, data)) return false;
  // §8.2.3: the response must come over the probed path (we sent the challenge from `local`).
  if (conn.rxFrom !== undefined && !sameAddress(conn.rxFrom, probe.remote)) return false;
  conn.pathProbe = undefined;
  if (!conn.isClient) {
    conn.validatedLocal = probe.local;
    conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { old: 'probing_started', new: 'probing_successful', tuple_local: qlogEndpoint(probe.local), tuple_remote: qlogEndpoint(probe.remote) } });
    if (conn.pendingLocal !== undefined && sameAddress(conn.pendingLocal, probe.local)) moveLocal(conn, now, probe.local);
    return true;
  }
  const previousLocal = conn.local;
  const previousRemote = conn.remote;
  const cid = conn.peerCids.useReserved(probe.cidSeq) ?? conn.peerCids.next();
  if (cid === undefined) return true;
  conn.remoteCid = cid;
  conn.local = probe.local;
  conn.remote = probe.remote;
  // Packets the server still sends from its previous address until it validated the new one (§9.6.1).
  conn.formerRemote = previousRemote;
  conn.migrations++;
  if (probe.local.host !== previousLocal.host || probe.remote.host !== previousRemote.host) resetPathState(conn, now);
  // RFC 9000 §13.4.2: ECN is validated afresh on a new path.
  conn.ecn.reset(now);
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { old: 'probing_started', new: 'probing_successful', tuple_local: qlogEndpoint(conn.local), tuple_remote: qlogEndpoint(conn.remote) } });
  conn.emit({ type: 'path_changed', local: conn.local, remote: conn.remote, previousLocal, previousRemote, reason: probe.reason, state: 'validated' });
  return true;
}

/** §8.2.4: no response in time: the connection stays where it is. */
export function probeFailed(conn: Connection, now: Instant): void {
  const probe = conn.pathProbe;
  if (probe === undefined) return;
  conn.pathProbe = undefined;
  if (probe.cidSeq >= 0) conn.peerCids.releaseReserved(probe.cidSeq);
  if (!conn.isClient) {
    conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { old: 'probing_started', new: 'probing_abandoned', tuple_local: qlogEndpoint(probe.local), tuple_remote: qlogEndpoint(probe.remote) } });
    return;
  }
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'probing_abandoned', tuple_local: qlogEndpoint(probe.local), tuple_remote: qlogEndpoint(probe.remote) } });
  conn.emit({ type: 'path_changed', local: conn.local, remote: conn.remote, previousLocal: probe.local, previousRemote: probe.remote, reason: probe.reason, state: 'failed' });
}
