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
import { GRANULARITY } from '../recovery/rtt.js';
import { equalBytes } from '../util/bytes.js';
import { sameAddress, type SocketAddress } from '../util/datagram.js';
import type { Duration, Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import { resetPathState, validationDeadline, type MigrationReason } from './migration.js';

/**
 * The PATH_CHALLENGE side of a validation in progress (RFC 9000 §8.2): the single-path
 * validation of a new address (`conn.pathValidation`, migration.ts) and a probed path
 * (`conn.pathProbe`). A PATH_CHALLENGE is never retransmitted as such (§13.3): while no
 * PATH_RESPONSE arrived, a new one with fresh data goes out when a timer set like the PTO of
 * the path being validated expires (§8.2.1: "MAY send multiple PATH_CHALLENGE frames", no more
 * often than an Initial would be re-sent; §9.4: the timer of RFC 9002 §6.2.1, "MUST NOT be more
 * aggressive", restarted "for a longer period of time": it doubles after each challenge, as the
 * PTO backs off), whether the packet of the last one was lost or acknowledged (its
 * PATH_RESPONSE may be what was lost), until the validation's deadline (§8.2.4).
 */
export interface ChallengeState {
  /** The latest PATH_CHALLENGE data. */
  challenge: Uint8Array;
  /**
   * Earlier PATH_CHALLENGE data of this validation, oldest first, PAST_CHALLENGES at most: a
   * late PATH_RESPONSE to one of them still validates the path (§8.2.3).
   */
  pastChallenges: Uint8Array[];
  /** `challenge` is to be sent with the path's next packet. */
  challengePending: boolean;
  /** When `challenge` was sent (undefined while it is pending). */
  challengeSentAt: Instant | undefined;
  /** PATH_CHALLENGE frames sent for this validation (stats, tests). */
  challengesSent: number;
}

/** Earlier challenges whose late PATH_RESPONSE is still accepted (as multipath.ts does per path). */
export const PAST_CHALLENGES = 3;

/** The challenge fields of a new validation: fresh data from the connection's seeded PRNG, to be sent. */
export function newChallenge(conn: Connection): ChallengeState {
  return { challenge: conn.prng.bytes(8), pastChallenges: [], challengePending: true, challengeSentAt: undefined, challengesSent: 0 };
}

/** Whether `data` echoes the latest challenge of `s` or one of the PAST_CHALLENGES before it. */
export function matchesChallenge(s: ChallengeState, data: Uint8Array): boolean {
  if (equalBytes(s.challenge, data)) return true;
  for (const c of s.pastChallenges) if (equalBytes(c, data)) return true;
  return false;
}

/** The builder sent the challenge of `s`. */
export function challengeSent(s: ChallengeState, now: Instant): void {
  s.challengePending = false;
  s.challengeSentAt = now;
  s.challengesSent++;
}

/**
 * RFC 9000 §13.3: a new PATH_CHALLENGE (new data) replaces the last one, which stays acceptable
 * among the PAST_CHALLENGES; sent with the path's next packet.
 */
export function renewChallenge(conn: Connection, s: ChallengeState): void {
  s.pastChallenges.push(s.challenge);
  if (s.pastChallenges.length > PAST_CHALLENGES) s.pastChallenges.shift();
  s.challenge = conn.prng.bytes(8);
  s.challengePending = true;
  s.challengeSentAt = undefined;
}

/**
 * The PATH_CHALLENGE carried by a lost packet: a new one, when it was the latest and no newer
 * one waits to be sent (an earlier one was already followed by another).
 */
export function onChallengeLost(conn: Connection, s: ChallengeState, data: Uint8Array): void {
  if (!s.challengePending && equalBytes(s.challenge, data)) renewChallenge(conn, s);
}

/**
 * When the next PATH_CHALLENGE of `s` is due: `pto` (the path's, without backoff) after the
 * first, doubled for each one sent since (RFC 9002 §6.2.1 backoff); undefined while one is pending.
 */
export function challengeResendAt(s: ChallengeState | undefined, pto: Duration): Instant | undefined {
  return s === undefined || s.challengeSentAt === undefined ? undefined : s.challengeSentAt + pto * 2 ** (s.challengesSent - 1);
}

/**
 * The PTO of a path without an RTT sample (RFC 9002 §6.2.2: from kInitialRtt, the connection's
 * `initialRtt` setting), as for an Initial packet on it: smoothed_rtt + max(4 × rttvar,
 * kGranularity) + max_ack_delay with smoothed_rtt = kInitialRtt and rttvar = kInitialRtt / 2.
 */
export function newPathPto(conn: Connection): Duration {
  const rtt = conn.settings.initialRtt;
  return rtt + Math.max(2 * rtt, GRANULARITY) + conn.recovery.maxAckDelay;
}

/**
 * The interval between a probe's PATH_CHALLENGE frames: the probed path's PTO, from kInitialRtt
 * since it has no RTT sample of its own, and never shorter than the current path's.
 */
export function probePto(conn: Connection): Duration {
  return Math.max(conn.recovery.rtt.pto(conn.recovery.maxAckDelay, true), newPathPto(conn));
}

export interface PathProbe extends ChallengeState {
  local: SocketAddress;
  remote: SocketAddress;
  /** The peer's connection ID reserved for the path, and its sequence number (-1: the one in use, a server's probe). */
  cid: Uint8Array;
  cidSeq: number;
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
  conn.pathProbe = { local, remote, cid: r.cid, cidSeq: r.seq, ...newChallenge(conn), deadline: validationDeadline(conn, now, newPathPto(conn)), reason };
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
  conn.pathProbe = { local, remote, cid: conn.remoteCid, cidSeq: -1, ...newChallenge(conn), deadline: validationDeadline(conn, now, newPathPto(conn)), reason: 'preferred_address' };
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
  // §8.2.3: the latest challenge or one of the few before it (ChallengeState).
  if (probe === undefined || !matchesChallenge(probe, data)) return false;
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
