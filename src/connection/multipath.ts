/**
 * Multipath QUIC (draft-ietf-quic-multipath-21; decisions in specs/multipath.md): negotiation by
 * initial_max_path_id (§2), a Path per path ID with its own packet-number space, loss recovery,
 * congestion controller, pacer, ECN and PMTU (path.ts), connection IDs per path ID
 * (path-cids.ts), opening and validating paths (§3.1: clients open, servers accept), path status
 * (§3.3), closing with PATH_ABANDON and keeping a closed path's state 3×PTO (§3.4), and the
 * choice of path for each datagram by a named scheduler (src/paths).
 *
 * Path 0 is the connection's handshake path (`conn.path`); the others live in `paths` too.
 */
import { repairPathOf, repairsFor } from './fec.js';
import { EcnValidator } from '../recovery/ecn.js';
import { LossRecovery, type SentPacket } from '../recovery/loss.js';
import { Pacer } from '../recovery/pacer.js';
import { Pmtud } from '../recovery/pmtud.js';
import { RttEstimator } from '../recovery/rtt.js';
import { BUILTIN_SCHEDULERS, createScheduler, newSchedPath, type MutableSchedPath, type PacketScheduler } from '../paths/index.js';
import { qlogEndpoint } from '../qlog/common.js';
import { equalBytes } from '../util/bytes.js';
import { sameAddress, type Datagram, type SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { PathErrorCode as MultipathError } from '../wire/errors.js';
import type { Frame } from '../wire/frame.js';
import type { Connection } from './connection.js';
import { controllerNameOf, MAX_PATH_RESPONSES, newController, Path } from './path.js';
import { PathCidSets } from './path-cids.js';
import { applyPmtuChange } from './pmtu.js';
import { PathManagerHost } from './path-control.js';
import { BUILTIN_PATH_MANAGERS, createPathManager, DEFAULT_ABANDON_AFTER_PTOS, DEFAULT_PATH_MANAGER, type PathManager } from './path-manager.js';
import { PacketSpace } from './space.js';
import { buildDatagram } from './builder.js';
import { isResendable, onTokenLost } from './tokens.js';
import { APPDATA, type RecoveryToken } from './types.js';

/** Multipath options of a connection (ConnectionConfig.multipath). */
export interface MultipathConfig {
  /** initial_max_path_id we send: the largest path ID we maintain (default 4). */
  maxPathId?: number;
  /** Packet scheduler by registry name (src/paths; default 'minrtt'). */
  scheduler?: string;
  schedulerOptions?: Record<string, unknown>;
  /**
   * Abandon a path after this many PTOs in a row without an acknowledgement (a positive integer,
   * default 5, about 31 PTOs with the backoff). New data leaves a path at its first PTO anyway
   * (failover); this is when its state goes, and only while another path is being acknowledged.
   * The default of the built-in path managers' option `abandonAfterPtos` (`pathManagerOptions`
   * wins); a manager of one's own decides with its `shouldAbandon` hook.
   */
  abandonAfterPtos?: number;
  /**
   * The path manager by registry name (path-manager.ts): the policy that opens, closes and
   * prefers paths. Default 'passive' (opens nothing: the application calls `openPath`; abandons
   * after `abandonAfterPtos`); 'all-addresses' (a client opens a path from each of
   * `localAddresses` once multipath is usable; option `backup`: path indices to mark backup), or
   * a registered one. `pathManagerOptions` are the manager's own (plain data, validated by it).
   */
  pathManager?: string;
  pathManagerOptions?: Record<string, unknown>;
  /**
   * Addresses this host may open paths from besides the handshake path's, for the path manager
   * (`PathControl.localAddresses`). The core sends from whatever address a path has: with the
   * socket API give only addresses the host already has sockets on (QuicConnection.openPath binds
   * one; the path manager binds none).
   */
  localAddresses?: SocketAddress[];
  /**
   * Connection IDs issued for each path ID nobody uses yet (§5.1.1 "at least one"; default 1)
   * and at most how many unused path IDs hold some at a time (default 8): PathCidOptions.
   */
  unusedPathCids?: number;
  maxUnusedPaths?: number;
  /**
   * The congestion controller of each new path by path ID (a registered name), e.g. to compare
   * controllers path by path; default the transport setting `congestionControl`. Path 0 keeps
   * the connection's.
   */
  congestionControlOf?: (pathId: number) => string | undefined;
}

export const DEFAULT_MAX_PATH_ID = 4;

/**
 * The path manager `config` names (default 'passive'), with its options: the built-ins take
 * `abandonAfterPtos` as their option's default; a user's manager gets its own options only.
 * RangeError for an unknown name or bad options.
 */
export function configuredPathManager(config: MultipathConfig): PathManager {
  const name = config.pathManager ?? DEFAULT_PATH_MANAGER;
  const builtin = BUILTIN_PATH_MANAGERS.some(([n]) => n === name);
  const after = config.abandonAfterPtos ?? DEFAULT_ABANDON_AFTER_PTOS;
  return createPathManager(name, builtin ? { abandonAfterPtos: after, ...(config.pathManagerOptions ?? {}) } : config.pathManagerOptions);
}

/** Copies what a scheduler (and a path manager) sees of `p` into its reused view, pacing aside. */
export function fillSchedPath(v: Omit<MutableSchedPath, 'pacingReadyAt' | 'id'>, p: Path): void {
  const r = p.recovery;
  v.usable = p.usable;
  v.backup = p.localBackup || p.peerBackup;
  v.srtt = r.rtt.smoothed;
  v.minRtt = r.rtt.hasSample ? r.rtt.min : Infinity;
  v.cwnd = r.cc.cwnd;
  v.bytesInFlight = r.bytesInFlight;
  v.ptoCount = r.ptoCount;
  v.lastSentAt = p.lastSentAt;
}

/** Multipath state of a connection once both ends sent initial_max_path_id. */
export class Multipath {
  /** Every path by ID, path 0 included. */
  readonly paths = new Map<number, Path>();
  readonly cids: PathCidSets;
  readonly scheduler: PacketScheduler;
  /** MultipathConfig.abandonAfterPtos (default 5): the built-in path managers' default. */
  readonly abandonAfterPtos: number;
  /** The path manager (path-manager.ts) and the connection's side of it (path-control.ts). */
  readonly pm: PathManagerHost;
  /** Scheduler views, one per path ID (reused). */
  private readonly views = new Map<number, MutableSchedPath>();
  private readonly viewList: MutableSchedPath[] = [];
  /** Paths the scheduler wants a copy of the last datagram on (redundant scheduling). */
  readonly copies: number[] = [];
  /** Copies still to build, by path ID. */
  readonly pendingCopies: number[] = [];
  /** Paths opened, abandoned (stats). */
  opened = 0;
  abandoned = 0;

  constructor(conn: Connection, localMax: number, peerMax: number, config: MultipathConfig) {
    this.cids = new PathCidSets(conn, conn.cidHost, {
      localMaxPathId: localMax,
      peerMaxPathId: peerMax,
      activeCidLimit: conn.settings.activeConnectionIdLimit,
      local0: conn.localCids,
      peer0: conn.peerCids,
      ...(config.unusedPathCids !== undefined ? { unusedPathCids: config.unusedPathCids } : {}),
      ...(config.maxUnusedPaths !== undefined ? { maxUnusedPaths: config.maxUnusedPaths } : {}),
    });
    // Failover at the first PTO of a path (failoverRequeue queues its data for the others at
    // that moment), unless the options say otherwise; user schedulers get their own options only.
    const name = config.scheduler ?? 'minrtt';
    const builtin = BUILTIN_SCHEDULERS.some(([n]) => n === name);
    this.scheduler = createScheduler(name, builtin ? { failoverPtos: 1, ...(config.schedulerOptions ?? {}) } : config.schedulerOptions);
    this.abandonAfterPtos = config.abandonAfterPtos ?? DEFAULT_ABANDON_AFTER_PTOS;
    this.pm = new PathManagerHost(conn, this, configuredPathManager(config), [...(config.localAddresses ?? [])]);
    this.paths.set(0, conn.path);
    conn.path.space.ack.usePathAck(0);
  }

  /** The scheduler's view of each path, refreshed (no allocation once every path has one). */
  refreshViews(now: Instant): readonly MutableSchedPath[] {
    const list = this.viewList;
    list.length = 0;
    for (const p of this.paths.values()) {
      let v = this.views.get(p.id);
      if (v === undefined) this.views.set(p.id, (v = newSchedPath(p.id)));
      const r = p.recovery;
      fillSchedPath(v, p);
      // RFC 9002 §7.7: when the path's pacer lets the next full datagram go.
      v.pacingReadyAt = p.pacer.nextSendTime(now, p.pmtud.current, r.cc.cwnd, r.rtt, r.cc.pacingRate?.(r.rtt));
      list.push(v);
    }
    return list;
  }

  /**
   * The path for the next ack-eliciting datagram, or undefined (all windows full): one with
   * room for a full datagram if the scheduler finds one (copies of redundant scheduling need
   * that), else one with at least `minRoom` (the builder fills what the window allows, as it
   * does for a single path).
   */
  choose(now: Instant, full: number, minRoom: number): Path | undefined {
    const views = this.refreshViews(now);
    const v = this.scheduler.select(views, now, full, this.copies) ?? this.scheduler.select(views, now, minRoom, this.copies);
    if (v !== undefined) return this.paths.get(v.id);
    // Nothing now: when the first path with window room may send again (its pacer).
    let t = Infinity;
    for (const w of views) if (w.usable && w.cwnd - w.bytesInFlight >= minRoom && w.pacingReadyAt > now && w.pacingReadyAt < t) t = w.pacingReadyAt;
    this.nextReady = t;
    return undefined;
  }

  /** After `choose` found no path: when one may send again (Infinity: on an acknowledgement). */
  nextReady = Infinity;

  forgetView(id: number): void {
    this.views.delete(id);
    this.scheduler.onPathRemoved?.(id);
  }
}

/**
 * The largest PTO among the paths (multipath-21 §2.5 key update, §3.4 closing); without
 * multipath, the PTO of the connection's path.
 */
export function largestPto(conn: Connection): number {
  const mp = conn.mp;
  if (mp === undefined) return conn.recovery.rtt.pto(conn.recovery.maxAckDelay, true);
  let pto = 0;
  for (const p of mp.paths.values()) pto = Math.max(pto, p.recovery.rtt.pto(p.recovery.maxAckDelay, true));
  return pto;
}

/** initial_max_path_id for our transport parameters, or undefined without multipath. */
export function localMaxPathId(conn: Connection): number | undefined {
  const m = conn.config.multipath;
  if (m === undefined) return undefined;
  // §2.1: multipath needs non-zero-length connection IDs.
  if (conn.localCid.length === 0) return undefined;
  return m.maxPathId ?? DEFAULT_MAX_PATH_ID;
}

/**
 * At the end of the handshake (§2): multipath is on when both ends sent initial_max_path_id.
 * Returns true when it is (the connection then issues connection IDs per path ID).
 */
export function negotiateMultipath(conn: Connection): boolean {
  const local = localMaxPathId(conn);
  const peer = conn.peerParams?.initialMaxPathId;
  if (local === undefined || peer === undefined) return false;
  // §2.1: the peer must use a non-zero-length connection ID too.
  if (conn.remoteCid.length === 0) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, 'initial_max_path_id with a zero-length connection ID');
  conn.mp = new Multipath(conn, local, peer, conn.config.multipath!);
  conn.mp.cids.start(conn.peerParams?.activeConnectionIdLimit ?? 2);
  return true;
}

/** A new Path object with fresh recovery state (RFC 9000 §9.4 applies to new paths too). */
function newPath(conn: Connection, id: number, local: SocketAddress, remote: SocketAddress, dcid: Uint8Array): Path {
  const s = conn.settings;
  const pmtud = new Pmtud(s.maxDatagramSize, s.pmtud);
  pmtud.setPeerMax(conn.peerMaxUdpPayload);
  const cc = newController(conn.config, s, pmtud.current, id, controllerNameOf(conn.config, s, id));
  const recovery = new LossRecovery<RecoveryToken>({ cc, rtt: new RttEstimator(s.initialRtt), isServer: !conn.isClient });
  recovery.handshakeConfirmed = true;
  recovery.ptoCeiling = conn.ptoCeiling();
  recovery.peerCompletedAddressValidation = true;
  recovery.hasHandshakeKeys = true;
  recovery.maxAckDelay = conn.path.recovery.maxAckDelay;
  const ecn = new EcnValidator(s.ecn, (now, old, state) => {
    conn.qlog?.event(now, { name: 'quic:ecn_state_updated', data: { ...(old !== undefined ? { old } : {}), new: state } });
  });
  const space = new PacketSpace(APPDATA, s.maxAckDelayMs * 1000);
  space.ack.usePathAck(id);
  const path = new Path(id, local, remote, recovery, new Pacer(pmtud.current), pmtud, ecn, space, dcid);
  pmtud.start();
  return path;
}

function startValidation(conn: Connection, now: Instant, path: Path): void {
  path.state = 'validating';
  clearChallenge(path);
  path.challenge = conn.prng.bytes(8);
  path.challengePending = true;
  const pto = conn.path.recovery.rtt.pto(conn.path.recovery.maxAckDelay, true);
  // RFC 9000 §8.2.4: give up after three times the larger of the current PTO and the new
  // path's (from kInitialRtt when it has no RTT sample yet), and at least 6 × kInitialRtt.
  const own = path.recovery.rtt.pto(path.recovery.maxAckDelay, true);
  path.validationDeadline = now + Math.max(3 * pto, 3 * own, 6 * conn.settings.initialRtt);
}

/** The validation of `path` ended (validated, failed, abandoned): no challenge outstanding. */
function clearChallenge(path: Path): void {
  path.challenge = undefined;
  path.challengePending = false;
  path.pastChallenges.length = 0;
  path.challengeResendAt = Infinity;
  path.challengesSent = 0;
}

/** Earlier challenges whose late PATH_RESPONSE still validates the path. */
const PAST_CHALLENGES = 3;

/**
 * RFC 9000 §8.2.1 / §13.3: a new PATH_CHALLENGE (new data; the earlier ones stay acceptable)
 * for the validation in progress on `path`, sent with the path's next packet.
 */
function renewChallenge(conn: Connection, path: Path): void {
  if (path.challenge === undefined) return;
  path.pastChallenges.push(path.challenge);
  if (path.pastChallenges.length > PAST_CHALLENGES) path.pastChallenges.shift();
  path.challenge = conn.prng.bytes(8);
  path.challengePending = true;
  path.challengeResendAt = Infinity;
}

/** Whether `data` echoes a challenge of the validation in progress on `path`. */
function matchesChallenge(path: Path, data: Uint8Array): boolean {
  if (path.challenge === undefined) return false;
  if (equalBytes(path.challenge, data)) return true;
  for (const c of path.pastChallenges) if (equalBytes(c, data)) return true;
  return false;
}

/**
 * The builder sent the PATH_CHALLENGE of `path`. Acknowledging its packet does not end the
 * validation (the PATH_RESPONSE may be lost), so a new one goes out every PTO of the path, three
 * before the deadline (RFC 9000 §8.2.1: "MAY send multiple PATH_CHALLENGE frames"), until a
 * PATH_RESPONSE arrives or the deadline (§8.2.4: three times the larger PTO). Not doubled as a
 * single path's re-sends are (path-probe.ts): with doubling only two would fit before the
 * deadline, and a new path is worth a third try under loss. §8.2.1 asks for no more than an
 * Initial's rate; with a PTO from kInitialRtt that is one every second or so.
 */
export function onPathChallengeSent(conn: Connection, now: Instant, path: Path): void {
  // The path's own PTO: from kInitialRtt on a new path (as an Initial would be re-sent), never
  // shorter than the PTO of the connection's path.
  const base = conn.path.recovery.rtt.pto(conn.path.recovery.maxAckDelay, true);
  const own = path.recovery.rtt.pto(path.recovery.maxAckDelay, true);
  path.challengeResendAt = now + Math.max(base, own);
  path.challengesSent++;
}

function logPath(conn: Connection, now: Instant, path: Path, state: string): void {
  conn.qlog?.event(now, {
    name: 'quic:path_assigned',
    data: { path_id: String(path.id), path_remote: qlogEndpoint(path.remote), path_local: qlogEndpoint(path.local), state },
  } as never);
}

/**
 * Client (§3.1): opens a path from `local` to `remote` on the smallest unused path ID both ends
 * have connection IDs for, validating it with PATH_CHALLENGE. Returns the path ID, or undefined
 * when multipath is off, the handshake not confirmed, or no path ID is available (then
 * PATHS_BLOCKED or PATH_CIDS_BLOCKED tells the peer why, when it is the peer's doing).
 */
export function openPath(conn: Connection, now: Instant, local: SocketAddress, remote: SocketAddress = conn.path.remote): number | undefined {
  const mp = conn.mp;
  if (mp === undefined || !conn.isClient || !conn.handshakeConfirmed || conn.state !== 'established') return undefined;
  const id = mp.cids.unusedCommonPathId();
  if (id === undefined) {
    mp.cids.blockedOnPaths();
    return undefined;
  }
  return addPath(conn, now, id, local, remote, 'local')?.id;
}

/**
 * A new path on path ID `id`, with a connection ID of the peer's for the same path ID (§3.1),
 * validated before it carries data (the server: 3× limit until then). Undefined when the peer
 * left no connection ID for it.
 */
function addPath(conn: Connection, now: Instant, id: number, local: SocketAddress, remote: SocketAddress, initiator: 'local' | 'remote'): Path | undefined {
  const mp = conn.mp!;
  const dcid = mp.cids.open(id);
  if (dcid === undefined) return undefined;
  const path = newPath(conn, id, local, remote, dcid);
  mp.paths.set(id, path);
  mp.opened++;
  startValidation(conn, now, path);
  logPath(conn, now, path, 'validating');
  conn.emit({ type: 'path_opened', pathId: id, local, remote, initiator });
  mp.pm.event({ type: 'opened', pathId: id, local, remote, initiator });
  return path;
}

/**
 * The path ID of a received 1-RTT packet, by its Destination Connection ID (§2.2); -1: drop
 * the packet (a closed path, or a new one before the handshake is confirmed).
 */
export function packetPathId(conn: Connection, buf: Uint8Array, at: number, len: number): number {
  const mp = conn.mp!;
  const id = mp.cids.pathOfLocalCid(buf, at, len) ?? 0;
  if (mp.paths.has(id)) return id;
  return mp.cids.isClosed(id) || !conn.handshakeConfirmed ? -1 : id;
}

/** An authenticated packet on path ID `id` the connection does not have yet: the peer opened it (§3.1). */
export function acceptPath(conn: Connection, now: Instant, id: number, from: SocketAddress, to: SocketAddress): Path | undefined {
  return addPath(conn, now, id, to, from, 'remote');
}

/** A PATH_RESPONSE: true when it validates one of the multipath paths (§3.1). */
export function onMultipathResponse(conn: Connection, now: Instant, data: Uint8Array): boolean {
  const mp = conn.mp;
  if (mp === undefined) return false;
  for (const p of mp.paths.values()) {
    if (p.state === 'closing' || !matchesChallenge(p, data)) continue;
    clearChallenge(p);
    p.validationDeadline = Infinity;
    if (p.previousRemote !== undefined) {
      // §3.1.2: a migrated path's new peer address is validated (RFC 9000 §9.3).
      const previous = p.previousRemote;
      p.previousRemote = undefined;
      logPath(conn, now, p, 'active');
      conn.emit({ type: 'peer_address_changed', address: p.remote, previous, state: 'validated', pathId: p.id });
      return true;
    }
    if (p.state === 'validating') p.state = 'active';
    // The connection's own path was abandoned while this one validated (§3.4: a client MAY
    // open a new path when its only open path is abandoned): this one takes over.
    if (conn.path.state === 'closing') conn.switchPath(p);
    logPath(conn, now, p, 'active');
    conn.emit({ type: 'path_validated', pathId: p.id });
    mp.pm.event({ type: 'validated', pathId: p.id });
    return true;
  }
  return false;
}

/**
 * Moves path `id` to an unused connection ID of the peer's for the same path ID (§3.2.2: CIDs
 * rotate only within a path ID; RFC 9000 §5.1.2), retiring the one in use with
 * PATH_RETIRE_CONNECTION_ID. False when there is no such open path or the peer left no unused
 * connection ID for it: then PATH_CIDS_BLOCKED tells the peer (§4.7).
 */
export function rotatePathCid(conn: Connection, id: number): boolean {
  const mp = conn.mp;
  const path = mp?.paths.get(id);
  if (mp === undefined || path === undefined || path.state === 'closing') return false;
  const cid = mp.cids.peer(id).next();
  if (cid === undefined) {
    mp.cids.blockedOnCids(id);
    return false;
  }
  path.dcid = cid;
  return true;
}

/** A PATH_CHALLENGE of a multipath path was lost: sent again while its validation runs. */
export function onMultipathChallengeLost(conn: Connection, data: Uint8Array): void {
  const mp = conn.mp;
  if (mp === undefined) return;
  for (const p of mp.paths.values()) {
    // RFC 9000 §13.3: not retransmitted as such; a new one, unless a newer one is on its way.
    if (p.state !== 'closing' && !p.challengePending && matchesChallenge(p, data)) renewChallenge(conn, p);
  }
}

/**
 * multipath-21 §3.1.2 "Relation to Probing and Migration": a packet with a connection ID of
 * path `path` arrived from another peer address than the path's: a migration of that path,
 * RFC 9000 §9.3 applied to it alone (the connection's own path goes through migration.ts `peerMigrated`). Server
 * only, for a non-probing packet with the largest packet number yet on the path (§9.3); the
 * caller checks that. The path sends to the new address from now on, validates it with a
 * PATH_CHALLENGE on it (the 3× limit meanwhile, `Path.ampLimited`; no new data on it until then,
 * the other paths carry it), and restarts congestion control and RTT only when the IP address
 * changed (§9.4). The connection ID stays (§9.5 allows it for a change the peer did not make;
 * §3.1.2: only connection IDs of the same path ID anyway). The other paths are untouched.
 */
export function onPathAddressChange(conn: Connection, now: Instant, path: Path, from: SocketAddress, size: number): void {
  if (path.state === 'closing' || sameAddress(from, path.remote)) return;
  // RFC 9000 §21.5.4: new addresses are followed at a bounded rate (migration.ts ValidationBudget).
  if (!conn.validationBudget.take(now)) return;
  const old = path.remote;
  const ipChanged = from.host !== old.host;
  path.remote = from;
  conn.migrations++;
  if (ipChanged) {
    // RFC 9000 §9.4: a new congestion controller and RTT estimator; §14.2: the PMTU afresh.
    applyPmtuChange(conn, now, path.pmtud.reset(), path);
    path.pmtud.start();
    path.recovery.cc = newController(conn.config, conn.settings, path.pmtud.current, path.id, controllerNameOf(conn.config, conn.settings, path.id));
    path.recovery.rtt.reset();
  }
  // RFC 9000 §13.4.2: ECN is validated afresh on a new path.
  path.ecn.reset(now);
  // The 3× limit counts from this datagram on.
  path.ampReceived = size;
  path.ampSent = 0;
  if (path.state === 'validating') {
    // Still in its first validation: that goes on towards the new address.
    startValidation(conn, now, path);
    logPath(conn, now, path, 'validating');
    return;
  }
  // §9.3: the last validated address, for §9.3.2 (a second change keeps the first one).
  path.previousRemote ??= old;
  startValidation(conn, now, path);
  path.state = 'active';
  logPath(conn, now, path, 'migrating');
  conn.emit({ type: 'peer_address_changed', address: from, previous: path.previousRemote, state: 'validating', pathId: path.id });
}

/** RFC 9000 §9.3.2 per path: the new address of a migrated path failed validation: back to the previous one. */
function pathMigrationFailed(conn: Connection, now: Instant, path: Path): void {
  const failed = path.remote;
  path.remote = path.previousRemote!;
  path.previousRemote = undefined;
  clearChallenge(path);
  path.validationDeadline = Infinity;
  logPath(conn, now, path, 'active');
  conn.emit({ type: 'peer_address_changed', address: path.remote, previous: failed, state: 'reverted', pathId: path.id });
}

/** A PATH_CHALLENGE that arrived on `path`: answered on the same path (§3.1). */
export function onMultipathChallenge(path: Path, data: Uint8Array): void {
  if (path.responses.length < MAX_PATH_RESPONSES) path.responses.push(data.slice());
}

/**
 * Abandons path `id` (§3.4): PATH_ABANDON to the peer (on another path when there is one), its
 * connection IDs retired, its unacknowledged data sent again on the others, its state kept 3×PTO
 * for late packets. False when there is no such open path or it is the last one.
 */
export function closePath(conn: Connection, now: Instant, id: number, code: number = MultipathError.APPLICATION_ABANDON_PATH): boolean {
  const mp = conn.mp;
  const path = mp?.paths.get(id);
  if (mp === undefined || path === undefined || path.state === 'closing') return false;
  let others = 0;
  for (const p of mp.paths.values()) if (p !== path && p.state !== 'closing') others++;
  if (others === 0) return false;
  path.abandonCode = code;
  path.abandonPending = true;
  abandon(conn, now, mp, path, 'local');
  return true;
}

function abandon(conn: Connection, now: Instant, mp: Multipath, path: Path, by: 'local' | 'remote'): void {
  path.state = 'closing';
  mp.abandoned++;
  mp.cids.close(path.id);
  clearChallenge(path);
  // No validation runs on a closing path (its deadline would fire for ever: nothing clears it).
  path.validationDeadline = Infinity;
  path.previousRemote = undefined;
  path.responses.length = 0;
  // §3.4: kept for 3 PTOs (the largest of all paths) after the peer's PATH_ABANDON, to
  // acknowledge late packets. Abandoned by us: kept until the peer knows (our PATH_ABANDON
  // acknowledged, or theirs received; `pathAbandonSettled`), then 3 PTOs: "If a peer sends a
  // PATH_ABANDON frame but never receives a corresponding PATH_ABANDON frame, it might not be
  // able to remove path state". Forgetting the path's connection IDs before the peer stops
  // using them would answer its packets with a Stateless Reset, which closes the connection.
  path.discardAt = by === 'remote' ? now + 3 * largestPto(conn) : Infinity;
  // What the path still had in flight goes out again on the others (§5.? Retransmissions).
  const removed = path.recovery.discardSpace(APPDATA);
  if (removed.length > 0) conn.onLost(now, removed, APPDATA, path);
  // The connection's own path moves to another when it is the one closing. A validation of
  // that path's new peer address (RFC 9000 §9.3, `conn.pathValidation`) ends with it: left
  // running, its 3× limit would hold back every datagram on the other paths, and its failure
  // would put the closing path's previous address on the path taking over.
  if (conn.path === path) {
    conn.pathValidation = undefined;
    for (const p of mp.paths.values()) {
      if (p.state === 'active') {
        conn.switchPath(p);
        break;
      }
    }
  }
  logPath(conn, now, path, 'closing');
  conn.emit({ type: 'path_abandoned', pathId: path.id, errorCode: path.abandonCode ?? 0, initiator: by });
  mp.pm.event({ type: 'abandoned', pathId: path.id, errorCode: path.abandonCode ?? 0, initiator: by, local: path.local, remote: path.remote });
}

/** PATH_ABANDON received (§3.4): the peer closes a path; we answer with our own PATH_ABANDON. */
export function onPathAbandon(conn: Connection, now: Instant, f: Extract<Frame, { kind: 'path_abandon' }>): void {
  const mp = requireMp(conn, f);
  checkPathId(mp, f, f.pathId);
  const path = mp.paths.get(f.pathId);
  if (path === undefined || path.state === 'closing') {
    if (path === undefined) mp.cids.close(f.pathId);
    else pathAbandonSettled(conn, now, path);
    return;
  }
  let others = 0;
  for (const p of mp.paths.values()) if (p !== path && p.state !== 'closing') others++;
  path.abandonCode = f.errorCode;
  path.abandonPending = true;
  abandon(conn, now, mp, path, 'remote');
  // §3.4: the last path abandoned: nothing left to send on.
  if (others === 0) conn.close(now, ErrorCode.NO_ERROR, 'last path abandoned', false);
}

/** PATH_STATUS_BACKUP / PATH_STATUS_AVAILABLE (§3.3): newer sequence numbers only. */
export function onPathStatus(conn: Connection, f: Extract<Frame, { kind: 'path_status_backup' | 'path_status_available' }>): void {
  const mp = requireMp(conn, f);
  checkPathId(mp, f, f.pathId);
  const path = mp.paths.get(f.pathId);
  // §4: a path that can no longer be processed (abandoned, kept 3×PTO for late packets): ignored.
  if (path === undefined || path.state === 'closing' || f.sequence <= path.statusSeqIn) return;
  path.statusSeqIn = f.sequence;
  path.peerBackup = f.kind === 'path_status_backup';
  conn.emit({ type: 'path_status', pathId: path.id, backup: path.peerBackup, initiator: 'remote' });
  mp.pm.event({ type: 'status', pathId: path.id, backup: path.peerBackup, initiator: 'remote' });
}

/** Sets the status we announce for path `id` (§3.3). False when there is no such open path. */
export function setPathStatus(conn: Connection, id: number, status: 'available' | 'backup'): boolean {
  const mp = conn.mp;
  const path = mp?.paths.get(id);
  if (mp === undefined || path === undefined || path.state === 'closing') return false;
  const backup = status === 'backup';
  if (path.localBackup === backup && path.statusSeqOut > 0) return true;
  if (path.localBackup !== backup) mp.pm.event({ type: 'status', pathId: id, backup, initiator: 'local' });
  path.localBackup = backup;
  path.statusSeqOut++;
  path.statusPending = true;
  return true;
}

function requireMp(conn: Connection, f: Frame): Multipath {
  if (conn.mp === undefined) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, `${f.kind} frame without multipath negotiated`);
  return conn.mp;
}

/** §4: a path ID above our limit is a PROTOCOL_VIOLATION. */
function checkPathId(mp: Multipath, f: Frame, id: number): void {
  if (id > mp.cids.localMaxPathId) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, `${f.kind} for path ${id} above the limit ${mp.cids.localMaxPathId}`);
}

/** The path a PATH_ACK acknowledges, or undefined to ignore it (a closing or unknown path, §3.4). */
export function pathAckTarget(conn: Connection, f: Extract<Frame, { kind: 'path_ack' }>): Path | undefined {
  const mp = requireMp(conn, f);
  checkPathId(mp, f, f.pathId);
  const path = mp.paths.get(f.pathId);
  return path !== undefined && path.state !== 'closing' ? path : undefined;
}

/**
 * Frames of the multipath extension waiting to go out (connection IDs per path, MAX_PATH_ID,
 * the BLOCKED frames, PATH_STATUS_*, PATH_ABANDON), written by the builder into any path's
 * packet. `put` writes one with its recovery token; false when the frame does not fit.
 */
export function writeMultipathFrames(conn: Connection, room: () => number, put: (f: Frame, t: RecoveryToken) => void): void {
  const mp = conn.mp!;
  for (const p of mp.paths.values()) {
    if (p.abandonPending && room() >= 12) {
      put({ kind: 'path_abandon', pathId: p.id, errorCode: p.abandonCode ?? 0 }, { kind: 'path_abandon', pathId: p.id });
      p.abandonPending = false;
    }
    if (p.statusPending && p.state !== 'closing' && statusMayGo(conn, p) && room() >= 12) {
      const f: Frame = p.localBackup ? { kind: 'path_status_backup', pathId: p.id, sequence: p.statusSeqOut } : { kind: 'path_status_available', pathId: p.id, sequence: p.statusSeqOut };
      put(f, { kind: 'path_status', pathId: p.id, seq: p.statusSeqOut });
      p.statusPending = false;
    }
  }
  if (mp.cids.hasPending() && cidFramesMayGo(conn)) {
    for (let x = mp.cids.nextFrame(room()); x !== undefined; x = mp.cids.nextFrame(room())) put(x.frame, x.token);
  }
}

export function hasMultipathFrames(conn: Connection): boolean {
  const mp = conn.mp;
  if (mp === undefined) return false;
  if (mp.cids.hasPending() && cidFramesMayGo(conn)) return true;
  for (const p of mp.paths.values()) if (p.abandonPending || (p.statusPending && p.state !== 'closing' && statusMayGo(conn, p))) return true;
  return false;
}

/**
 * Whether connection-ID frames (path-cids.ts: PATH_NEW_CONNECTION_ID, MAX_PATH_ID, …) may go in
 * the packet being built. Not on a path the client opened that is still validating while the
 * server is not known to hold a connection ID of ours for its path ID: the server accepts the
 * path's packets only once it does (`acceptPath`, else the packet is dropped), so the frames that
 * give it one must not travel there alone (a path opened as soon as its path ID became usable
 * would never be accepted). They go on the validated paths; with none left, anywhere.
 */
function cidFramesMayGo(conn: Connection): boolean {
  const tp = conn.tx.path;
  const mp = conn.mp!;
  if (!conn.isClient || tp === undefined || tp.state !== 'validating' || mp.cids.peerHoldsOurCid(tp.id)) return true;
  for (const p of mp.paths.values()) if (p.state === 'active') return false;
  return true;
}

/**
 * Whether the PATH_STATUS of `p` may go in the packet being built (on `conn.tx.path`): a path
 * the client opened and the server may not know yet (still validating) gets it only in its own
 * packets, which carry its PATH_CHALLENGE: on another path it could arrive first, and a status
 * for a path the receiver does not have is ignored (§3.3, `onPathStatus`). Once validated, any.
 */
function statusMayGo(conn: Connection, p: Path): boolean {
  return !(conn.isClient && p.state === 'validating' && conn.tx.path !== p);
}

/**
 * The peer knows path `path` is abandoned (§3.4): our PATH_ABANDON was acknowledged or theirs
 * arrived. Its state goes 3 PTOs later (late packets still acknowledged meanwhile).
 */
function pathAbandonSettled(conn: Connection, now: Instant, path: Path): void {
  if (path.state === 'closing' && path.discardAt === Infinity) path.discardAt = now + 3 * largestPto(conn);
}

/** Our PATH_ABANDON for a path was acknowledged: the peer stops using the path (§3.4). */
export function onPathAbandonAcked(conn: Connection, now: Instant, pathId: number): void {
  const path = conn.mp?.paths.get(pathId);
  if (path !== undefined) pathAbandonSettled(conn, now, path);
}

/** A lost PATH_ABANDON or PATH_STATUS frame: sent again while still current (RFC 9000 §13.3 by analogy). */
export function onMultipathFrameLost(conn: Connection, t: Extract<RecoveryToken, { kind: 'path_abandon' | 'path_status' }>): void {
  const path = conn.mp?.paths.get(t.pathId);
  if (path === undefined) return;
  if (t.kind === 'path_abandon') path.abandonPending = true;
  else if (t.seq === path.statusSeqOut && path.state !== 'closing') path.statusPending = true;
}

/**
 * Timers of the multipath paths: validation failure (§3.1: the path ID is consumed, so the path
 * is abandoned), failover after repeated PTOs, and the end of a closed path's 3×PTO.
 */
export function multipathTimeout(conn: Connection): Instant | undefined {
  const mp = conn.mp;
  if (mp === undefined) return undefined;
  let t = Infinity;
  for (const p of mp.paths.values()) {
    if (p !== conn.path && p.state !== 'closing') {
      const r = p.recovery.timeout();
      if (r !== undefined && r < t) t = r;
    }
    // Delayed PATH_ACKs of each path's space (path 0's is the connection's 1-RTT space).
    if (p.space !== conn.spaces[APPDATA]) {
      const a = p.space.ack.deadline;
      if (a !== undefined && a < t) t = a;
    }
    if (p.validationDeadline < t) t = p.validationDeadline;
    if (p.challenge !== undefined && !p.challengePending && p.challengeResendAt < t) t = p.challengeResendAt;
    if (p.discardAt < t) t = p.discardAt;
  }
  // The path manager's wake-up (PathControl.wakeAt).
  if (mp.pm.wakeAtTime < t) t = mp.pm.wakeAtTime;
  return t === Infinity ? undefined : t;
}

export function onMultipathTimeout(conn: Connection, now: Instant): void {
  const mp = conn.mp;
  if (mp === undefined) return;
  // The path manager's onTimeout runs after the connection's own work (path-control.ts `run`).
  mp.pm.onTimeout(now);
  for (const p of [...mp.paths.values()]) {
    if (p.discardAt <= now) {
      mp.paths.delete(p.id);
      mp.cids.forget(p.id);
      mp.forgetView(p.id);
      mp.pm.forget(p.id);
      continue;
    }
    if (p.state === 'closing') continue;
    if (p.validationDeadline <= now && p.previousRemote !== undefined) {
      pathMigrationFailed(conn, now, p);
    } else if (p.validationDeadline <= now) {
      p.validationDeadline = Infinity;
      if (openPathsBesides(mp, p) === 0) {
        // §3.1: a path that failed validation is not used; §3.4: with no other open path left
        // the connection closes (a client MAY open a new path first; this one was it). Not
        // abandoned and left to the idle timeout: the close tells both ends why.
        clearChallenge(p);
        conn.emit({ type: 'path_failed', pathId: p.id });
        mp.pm.event({ type: 'failed', pathId: p.id, local: p.local, remote: p.remote });
        conn.close(now, ErrorCode.NO_ERROR, 'path validation failed on the last path', false);
        return;
      }
      p.abandonCode = MultipathError.PATH_UNSTABLE_OR_POOR;
      p.abandonPending = true;
      conn.emit({ type: 'path_failed', pathId: p.id });
      mp.pm.event({ type: 'failed', pathId: p.id, local: p.local, remote: p.remote });
      abandon(conn, now, mp, p, 'local');
      continue;
    }
    // A new PATH_CHALLENGE while the validation is pending (onPathChallengeSent).
    if (p.challenge !== undefined && !p.challengePending && p.challengeResendAt <= now) renewChallenge(conn, p);
    if (p !== conn.path) {
      const lt = p.recovery.timeout();
      if (lt !== undefined && now >= lt) {
        const r = p.recovery.onTimeout(now);
        conn.onLost(now, r.lost, APPDATA, p);
        if (r.probe) {
          p.space.probes = r.probe.count;
          failoverRequeue(conn, p);
        }
      }
    }
    // Failover: a path that stopped delivering is abandoned (its data goes on the others) when
    // the path manager says so (the built-ins: after `abandonAfterPtos` PTOs in a row), and only
    // while another path is being acknowledged.
    if (p.recovery.ptoCount >= 1 && closePathAllowed(mp, p) && mp.pm.shouldAbandon(now, p)) {
      p.abandonCode = MultipathError.PATH_UNSTABLE_OR_POOR;
      p.abandonPending = true;
      abandon(conn, now, mp, p, 'local');
    }
  }
}

/** Paths other than `path` that are open (not abandoned). */
function openPathsBesides(mp: Multipath, path: Path): number {
  let n = 0;
  for (const p of mp.paths.values()) if (p !== path && p.state !== 'closing') n++;
  return n;
}

function closePathAllowed(mp: Multipath, path: Path): boolean {
  for (const p of mp.paths.values()) if (p !== path && p.state === 'active' && p.recovery.ptoCount === 0) return true;
  return false;
}

/** A path whose PTO fired while another path is still being acknowledged (failover). */
export function pathFailing(conn: Connection, path: Path): boolean {
  const mp = conn.mp;
  if (mp === undefined || path.recovery.ptoCount === 0) return false;
  for (const p of mp.paths.values()) if (p !== path && p.state === 'active' && p.recovery.ptoCount === 0) return true;
  return false;
}

/**
 * Failover (multipath-21 §5.5, PTO expiration): a path's PTO fired while another path still
 * delivers: what the path has in flight is queued again, so it goes on the others; the packets
 * stay in flight and an acknowledgement of either copy settles the data.
 */
export function failoverRequeue(conn: Connection, path: Path): void {
  const mp = conn.mp;
  if (mp === undefined) return;
  let other = false;
  for (const p of mp.paths.values()) if (p !== path && p.state === 'active' && p.recovery.ptoCount === 0) other = true;
  if (!other) return;
  for (const pkt of path.recovery.takeUnackedForProbe(APPDATA, Infinity)) {
    for (const t of pkt.tokens) if (isResendable(t)) onTokenLost(conn, t);
  }
}

/** Paths with something for the builder besides new data (ACKs due, validation, PTO probes). */
export function pathNeedsSend(conn: Connection, p: Path): boolean {
  return p.challengePending || p.responses.length > 0 || p.space.probes > 0 || (p.space.ack.hasRanges && p.space.ack.ackNow);
}

/** Per-path statistics (ConnectionStats.paths). */
export interface PathStats {
  id: number;
  state: Path['state'];
  local: SocketAddress;
  remote: SocketAddress;
  backup: boolean;
  smoothedRtt: number;
  cwnd: number;
  bytesInFlight: number;
  ptoCount: number;
  datagramsSent: number;
  bytesSent: number;
  datagramsReceived: number;
  bytesReceived: number;
  packetsLost: number;
}

export function pathStats(p: Path): PathStats {
  return {
    id: p.id,
    state: p.state,
    local: p.local,
    remote: p.remote,
    backup: p.localBackup || p.peerBackup,
    smoothedRtt: p.recovery.rtt.smoothed,
    cwnd: p.recovery.cc.cwnd,
    bytesInFlight: p.recovery.bytesInFlight,
    ptoCount: p.recovery.ptoCount,
    datagramsSent: p.datagramsSent,
    bytesSent: p.bytesSent,
    datagramsReceived: p.datagramsReceived,
    bytesReceived: p.bytesReceived,
    packetsLost: p.packetsLost,
  };
}

/** Multipath: the least congestion-window room that makes a path eligible for the next datagram. */
const MIN_SCHED_ROOM = 100;

/**
 * Multipath: first whatever a path owes on itself (validation, PATH_RESPONSE, a due PATH_ACK,
 * PTO probes), then the path the scheduler picks for new data (multipath-21 §5.4; src/paths).
 */
export function pollMultipath(conn: Connection, now: Instant, mp: Multipath): Datagram | undefined {
  // Redundant scheduling: the content of the last datagram again, on each path asked for.
  while (mp.pendingCopies.length > 0) {
    const p = mp.paths.get(mp.pendingCopies.shift()!);
    if (p === undefined || !p.usable) continue;
    const d = buildDatagram(conn, now, p);
    if (d !== undefined) {
      mp.scheduler.onSent?.(p.id, d.data.length, now);
      return d;
    }
  }
  for (const p of mp.paths.values()) {
    if (p.state === 'closing' || !pathNeedsSend(conn, p)) continue;
    const d = buildDatagram(conn, now, p);
    if (d !== undefined) return d;
  }
  // No path may send new data now (windows full, or only failed paths left): nothing more
  // until an acknowledgement or a timer; what paths owe on themselves went out above.
  // One path: the builder itself applies the window and pacing, as without multipath. Else
  // any room in a path's window will do, as it does for a single path (the builder fills
  // what the window allows).
  // specs/fec.md B7 §4: repairs on their own path, when one is configured (fec.ts).
  const rp = repairPathOf(conn);
  if (rp !== undefined && repairsFor(conn, rp)) {
    const d = buildDatagram(conn, now, rp);
    if (d !== undefined) {
      mp.scheduler.onSent?.(rp.id, d.data.length, now);
      return d;
    }
  }
  const chosen = mp.paths.size === 1 ? conn.path : mp.choose(now, conn.path.pmtud.current, MIN_SCHED_ROOM);
  if (chosen === undefined) {
    // RFC 9002 §7.7: paced; the timer wakes us when a path may send.
    if (mp.nextReady !== Infinity) conn.pacingDeadline = mp.nextReady;
    return undefined;
  }
  if (chosen.state === 'closing') return undefined;
  conn.tx.lastAppSent = undefined;
  const d = buildDatagram(conn, now, chosen);
  if (d === undefined) return undefined;
  mp.scheduler.onSent?.(chosen.id, d.data.length, now);
  const sent = conn.tx.lastAppSent as SentPacket<RecoveryToken> | undefined;
  if (mp.copies.length > 0 && sent !== undefined && sent.ackEliciting) {
    // The copies carry the same data: queued again now, the first copy's packet takes it
    // (an acknowledgement of any copy settles it).
    for (const t of sent.tokens) if (isResendable(t)) onTokenLost(conn, t);
    for (const id of mp.copies) mp.pendingCopies.push(id);
  }
  return d;
}
