/**
 * Client-initiated connection migration (RFC 9000 §9) and the server's preferred address
 * (§9.6, §18.2).
 *
 * A client moves to a new path (a new local address, or the server's preferred address) by
 * switching at once (§9.2: a client may send non-probing packets on a new path before it is
 * validated): a connection ID of the peer's not used before (§9.5), the new addresses, and a
 * PATH_CHALLENGE on the new path (§8.2.1), the datagram padded to 1200 bytes. The old path's
 * addresses are kept until the PATH_RESPONSE; if validation fails, the client returns to them
 * (§9.3.2). Congestion control and RTT restart unless only a port changed (§9.4).
 *
 * The server follows (`peerMigrated`): a non-probing packet with the largest packet
 * number from a new client address moves its remote address and starts its own validation (at
 * a bounded rate, `ValidationBudget`); a
 * non-probing packet that arrived on another of its own addresses (the preferred address) moves
 * its local address.
 */
import { onMultipathChallengeLost, onMultipathResponse } from './multipath.js';
import { challengeResendAt, challengeSent, matchesChallenge, newChallenge, onChallengeLost, onProbeResponse, probeFailed, probePto, renewChallenge, startProbe, type ChallengeState } from './path-probe.js';

import { pmtuNewPath } from './pmtu.js';
import { newController } from './path.js';
import { qlogEndpoint } from '../qlog/common.js';
import type { SocketAddress } from '../util/datagram.js';
import type { Duration, Instant } from '../util/time.js';
import type { PreferredAddress } from '../wire/transport-params.js';
import type { Connection } from './connection.js';

/** What a server advertises in preferred_address (RFC 9000 §9.6, §18.2). */
export interface PreferredAddressConfig {
  ipv4?: SocketAddress;
  ipv6?: SocketAddress;
}

/**
 * A token bucket of the path validations the peer can make us start by sending from new
 * addresses (RFC 9000 §9.3; §21.5.4 "Request Forgery with Spoofed Migration": an attacker that
 * rewrites or replays the source address of authenticated packets could otherwise have us
 * validate, and send to, one address after another, each with fresh congestion state, §9.4).
 * Holds `rate` tokens at most and gains `rate` per second (TransportSettings
 * pathValidationsPerSecond); rate 0: no limit.
 */
export class ValidationBudget {
  private tokens: number;
  private last: Instant | undefined = undefined;
  /** Validations refused for want of a token (stats, tests). */
  refused = 0;

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  /** Takes a token; false (counted in `refused`) when none is left. */
  take(now: Instant): boolean {
    if (this.rate === 0) return true;
    if (this.last !== undefined && now > this.last) this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1_000_000);
    this.last = now;
    if (this.tokens < 1) {
      this.refused++;
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}

/** Why a client changes path. */
export type MigrationReason = 'active' | 'preferred_address';

/**
 * RFC 9000 §9.3: the validation of the connection's new path (a client's migration, or the
 * peer's new address as the server sees it). Until a PATH_RESPONSE echoes one of its challenges
 * (ChallengeState: a new one on a PTO-like timer), a server sends to the new address at most 3× what
 * arrived from it (§9.3, §8.1); on failure the previous addresses are restored (§9.3.2).
 */
export interface PathValidation extends ChallengeState {
  previous: SocketAddress;
  deadline: Instant;
  /** Bytes received from and sent to the new address (the 3× limit). */
  received: number;
  sent: number;
  /** Client migration: our previous local address; no 3× limit then. */
  previousLocal?: SocketAddress;
  reason?: MigrationReason;
}

/** The PTO of the connection's path, without backoff (RFC 9002 §6.2.1). */
function currentPto(conn: Connection): Duration {
  return conn.recovery.rtt.pto(conn.recovery.maxAckDelay, true);
}

/**
 * RFC 9000 §8.2.4: give up validation after three times the larger of the current PTO and the
 * PTO of the path being validated (`pathPto`; the connection's own when the path moved, a probed
 * path's from kInitialRtt), and at least 6 × kInitialRtt: as multipath.ts does per path.
 */
export function validationDeadline(conn: Connection, now: Instant, pathPto: Duration = currentPto(conn)): Instant {
  return now + Math.max(3 * currentPto(conn), 3 * pathPto, 6 * conn.settings.initialRtt);
}

/**
 * §9.4: a fresh congestion controller and RTT estimator for a path whose IP address changed,
 * and path MTU discovery from BASE_PLPMTU again (§14.2: the PMTU belongs to an address pair).
 * The PTO backoff goes too: RFC 9002 §6.2.1 doubles the PTO for each unanswered probe on the
 * path it measures, and pto_count multiplies the fresh estimator's PTO (§6.2.2: from
 * kInitialRtt); kept, the old path's backoff (a blackhole, say) would hold the new path's first
 * probe back for 2^pto_count PTOs although nothing was sent on it yet.
 */
export function resetPathState(conn: Connection, now: Instant): void {
  pmtuNewPath(conn, now);
  conn.recovery.cc = newController(conn.config, conn.settings, conn.pmtud.current, conn.path.id);
  conn.recovery.rtt.reset();
  conn.recovery.ptoCount = 0;
}

/**
 * Moves a client to the path (`local`, `remote`). False, changing nothing, when not allowed:
 * not a client, the handshake not confirmed (§9), the peer sent disable_active_migration (§9,
 * §18.2; not for its preferred address, §9.6), a validation still running, or no spare
 * connection ID of the peer's (§9.5).
 */
export function startClientMigration(conn: Connection, now: Instant, local: SocketAddress, remote: SocketAddress, reason: MigrationReason): boolean {
  if (!conn.isClient || conn.state !== 'established' || !conn.handshakeConfirmed) return false;
  if (reason === 'active' && conn.peerParams?.disableActiveMigration === true) return false;
  if (conn.pathValidation !== undefined) return false;
  const previousLocal = conn.local;
  const previous = conn.remote;
  // §9.5: never the same connection ID on two paths.
  if (conn.nextPeerCid() === undefined) return false;
  conn.local = local;
  conn.remote = remote;
  conn.migrations++;
  if (local.host !== previousLocal.host || remote.host !== previous.host) resetPathState(conn, now);
  // RFC 9000 §13.4.2: ECN is validated afresh on a new path.
  conn.ecn.reset(now);
  conn.pathValidation = { ...newChallenge(conn), previous, previousLocal, deadline: validationDeadline(conn, now), received: 0, sent: 0, reason };
  conn.qlog?.event(now, {
    name: 'quic:migration_state_updated',
    data: { new: 'migration_started', tuple_local: qlogEndpoint(local), tuple_remote: qlogEndpoint(remote) },
  });
  conn.emit({ type: 'path_changed', local, remote, previousLocal, previousRemote: previous, reason, state: 'validating' });
  return true;
}

/** A client's new path was validated by a PATH_RESPONSE (§8.2.3): the old one is forgotten. */
export function clientPathValidated(conn: Connection, now: Instant, previousLocal: SocketAddress, previousRemote: SocketAddress, reason: MigrationReason): void {
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'migration_complete', tuple_local: qlogEndpoint(conn.local), tuple_remote: qlogEndpoint(conn.remote) } });
  conn.emit({ type: 'path_changed', local: conn.local, remote: conn.remote, previousLocal, previousRemote, reason, state: 'validated' });
}

/**
 * §9.3.2: a client's new path failed validation: back to the previous addresses, with another
 * unused connection ID when the peer supplied one (§9.5), else the current one.
 */
export function clientPathFailed(conn: Connection, now: Instant, previousLocal: SocketAddress, previousRemote: SocketAddress, reason: MigrationReason): void {
  const failedLocal = conn.local;
  const failedRemote = conn.remote;
  conn.local = previousLocal;
  conn.remote = previousRemote;
  conn.nextPeerCid();
  if (failedLocal.host !== previousLocal.host || failedRemote.host !== previousRemote.host) resetPathState(conn, now);
  conn.ecn.reset(now);
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'migration_abandoned', tuple_local: qlogEndpoint(previousLocal), tuple_remote: qlogEndpoint(previousRemote) } });
  conn.emit({ type: 'path_changed', local: previousLocal, remote: previousRemote, previousLocal: failedLocal, previousRemote: failedRemote, reason, state: 'failed' });
}

// -------------------------------------------------------------------------------------------------
// The peer moved (server side, RFC 9000 §9.3), and PATH_RESPONSE / lost PATH_CHALLENGE dispatch

/**
 * RFC 9000 §9.3: the peer sent a non-probing packet with the largest packet number yet from a
 * new address: send there from now on and validate it. When the IP address (not only the
 * port) changed, the congestion controller and RTT estimator start afresh (§9.4).
 */
export function peerMigrated(conn: Connection, now: Instant, address: SocketAddress): void {
  // §21.5.4: a bounded rate of new addresses; otherwise the packet was processed, and the
  // connection stays where it is (a later packet from the address may move it).
  if (!conn.validationBudget.take(now)) return;
  const previous = conn.pathValidation?.previous ?? conn.remote;
  const ipChanged = address.host !== conn.remote.host;
  conn.remote = address;
  conn.migrations++;
  // §9.5: a connection ID not used on the previous path, when the peer supplied a spare one.
  conn.nextPeerCid();
  if (ipChanged) resetPathState(conn, now);
  // RFC 9000 §13.4.2: ECN is validated afresh on a new path.
  conn.ecn.reset(now);
  conn.pathValidation = { ...newChallenge(conn), previous, deadline: validationDeadline(conn, now), received: 0, sent: 0 };
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'migration_started', tuple_remote: qlogEndpoint(address) } });
  conn.emit({ type: 'peer_address_changed', address, previous, state: 'validating' });
}

/** A PATH_RESPONSE arrived: for a multipath path, a probed path, or a migration (RFC 9000 §8.2.3). */
export function onPathResponse(conn: Connection, now: Instant, data: Uint8Array): void {
  if (conn.mp !== undefined && onMultipathResponse(conn, now, data)) return;
  if (conn.pathProbe !== undefined && onProbeResponse(conn, now, data)) return;
  const pv = conn.pathValidation;
  // §8.2.3: the latest challenge or one of the few before it (ChallengeState); others are ignored.
  if (!pv || !matchesChallenge(pv, data)) return;
  conn.pathValidation = undefined;
  if (pv.previousLocal !== undefined) return clientPathValidated(conn, now, pv.previousLocal, pv.previous, pv.reason ?? 'active');
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'migration_complete' } });
  conn.emit({ type: 'peer_address_changed', address: conn.remote, previous: pv.previous, state: 'validated' });
}

/**
 * A packet with PATH_CHALLENGE was lost: a new challenge (RFC 9000 §13.3: new data, not a
 * retransmission) while its validation runs.
 */
export function onPathChallengeLost(conn: Connection, data: Uint8Array): void {
  // multipath-21 §3.1: a multipath path's own PATH_CHALLENGE goes out again too.
  if (conn.mp !== undefined) onMultipathChallengeLost(conn, data);
  if (conn.pathProbe !== undefined) onChallengeLost(conn, conn.pathProbe, data);
  if (conn.pathValidation !== undefined) onChallengeLost(conn, conn.pathValidation, data);
}

/** The builder sent the PATH_CHALLENGE of `conn.pathValidation` on the connection's path. */
export function onValidationChallengeSent(conn: Connection, now: Instant): void {
  if (conn.pathValidation !== undefined) challengeSent(conn.pathValidation, now);
}

/**
 * The next deadline of the single-path validation and of the probe: giving up (§8.2.4) or the
 * next PATH_CHALLENGE (ChallengeState: a PTO of the path being validated after the last, with
 * backoff; the connection's path for `pathValidation`, which already moved there). Allocates nothing.
 */
export function validationTimeout(conn: Connection): Instant | undefined {
  let t: Instant | undefined;
  const pv = conn.pathValidation;
  if (pv !== undefined) {
    t = pv.deadline;
    const r = challengeResendAt(pv, currentPto(conn));
    if (r !== undefined && r < t) t = r;
  }
  const probe = conn.pathProbe;
  if (probe !== undefined) {
    if (t === undefined || probe.deadline < t) t = probe.deadline;
    const r = challengeResendAt(probe, probePto(conn));
    if (r !== undefined && r < t) t = r;
  }
  return t;
}

/**
 * The timers of `validationTimeout`: a validation past its deadline fails (§8.2.4); one still
 * running whose last PATH_CHALLENGE has gone unanswered for its (backed-off) PTO gets a new one
 * (§8.2.1, §9.4, §13.3).
 * Re-sending a challenge starts no new validation: `ValidationBudget` is not charged, and the
 * builder keeps a server's datagrams to an unvalidated address within 3× what arrived (§8.1).
 */
export function onValidationTimeout(conn: Connection, now: Instant): void {
  const pv = conn.pathValidation;
  if (pv !== undefined) {
    if (now >= pv.deadline) peerPathValidationFailed(conn, now);
    else if ((challengeResendAt(pv, currentPto(conn)) ?? Infinity) <= now) renewChallenge(conn, pv);
  }
  const probe = conn.pathProbe;
  if (probe !== undefined) {
    if (now >= probe.deadline) probeFailed(conn, now);
    else if ((challengeResendAt(probe, probePto(conn)) ?? Infinity) <= now) renewChallenge(conn, probe);
  }
}

/** §9.3.2: validation failed; go back to the last validated address. */
export function peerPathValidationFailed(conn: Connection, now: Instant): void {
  const pv = conn.pathValidation!;
  conn.pathValidation = undefined;
  if (pv.previousLocal !== undefined) return clientPathFailed(conn, now, pv.previousLocal, pv.previous, pv.reason ?? 'active');
  const failed = conn.remote;
  conn.remote = pv.previous;
  conn.qlog?.event(now, { name: 'quic:migration_state_updated', data: { new: 'migration_abandoned' } });
  conn.emit({ type: 'peer_address_changed', address: conn.remote, previous: failed, state: 'reverted' });
}

// -------------------------------------------------------------------------------------------------
// Preferred address (§9.6)

/** IPv4 dotted quad → 4 bytes. */
function ipv4Bytes(host: string): Uint8Array {
  const parts = host.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${host}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!Number.isInteger(n) || n < 0 || n > 255 || parts[i] === '') throw new RangeError(`not an IPv4 address: ${host}`);
    out[i] = n;
  }
  return out;
}

/** IPv6 text (with "::" and an optional dotted-quad tail) → 16 bytes. */
function ipv6Bytes(host: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = host;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) throw new RangeError(`not an IPv6 address: ${host}`);
  const groups = (s: string): number[] => {
    if (s === '') return [];
    const r: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4Bytes(g);
        r.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`not an IPv6 address: ${host}`);
        r.push(parseInt(g, 16));
      }
    }
    return r;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head.length + tail.length > 8 || (halves.length === 1 && head.length !== 8)) throw new RangeError(`not an IPv6 address: ${host}`);
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i]! >> 8;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  return out;
}

function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function ipv6Text(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  // RFC 5952 §4.2: the longest run (two or more) of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j > i ? j : i + 1;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The preferred_address parameter for a server's configuration, with its connection ID and token. */
export function encodePreferredAddress(cfg: PreferredAddressConfig, cid: Uint8Array, token: Uint8Array): PreferredAddress {
  return {
    ipv4Address: cfg.ipv4 !== undefined ? ipv4Bytes(cfg.ipv4.host) : new Uint8Array(4),
    ipv4Port: cfg.ipv4?.port ?? 0,
    ipv6Address: cfg.ipv6 !== undefined ? ipv6Bytes(cfg.ipv6.host) : new Uint8Array(16),
    ipv6Port: cfg.ipv6?.port ?? 0,
    connectionId: cid,
    statelessResetToken: token,
  };
}

/**
 * The address of a preferred_address parameter a client can use from `current` (the server
 * address in use): the one of the same family, if the server gave one (§9.6.1).
 */
export function preferredAddressFor(pa: PreferredAddress, current: SocketAddress): SocketAddress | undefined {
  if (current.host.includes(':')) {
    if (pa.ipv6Port === 0 || allZero(pa.ipv6Address)) return undefined;
    return { host: ipv6Text(pa.ipv6Address), port: pa.ipv6Port };
  }
  if (pa.ipv4Port === 0 || allZero(pa.ipv4Address)) return undefined;
  return { host: ipv4Text(pa.ipv4Address), port: pa.ipv4Port };
}

/**
 * Client, once the handshake is confirmed (§9.6.1): probe the server's preferred address with
 * the connection ID the parameter carried (sequence 1, §5.1.1) and move there once validated,
 * unless told not to.
 */
export function maybeUsePreferredAddress(conn: Connection, now: Instant): void {
  if (!conn.isClient || conn.config.usePreferredAddress === false) return;
  const pa = conn.peerParams?.preferredAddress;
  if (pa === undefined) return;
  const to = preferredAddressFor(pa, conn.remote);
  if (to === undefined || (to.host === conn.remote.host && to.port === conn.remote.port)) return;
  // §9.6.1: validated before the client moves there (path-probe.ts).
  startProbe(conn, now, conn.local, to, 'preferred_address');
}
