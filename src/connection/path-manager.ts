/**
 * The multipath path manager (draft-ietf-quic-multipath-21): the policy that decides when to
 * open, close and prefer paths, as a small typed plug-in chosen by name, like the packet
 * scheduler (src/paths/scheduler.ts) decides which path carries each datagram.
 *
 * The connection calls a manager's hooks (all optional but `name`) at a few points, never per
 * datagram but `shouldAbandon` (per timer while a path stops delivering; see there):
 *   onReady        once multipath is usable: negotiated by both ends and the handshake confirmed
 *                  (a client after HANDSHAKE_DONE or an acknowledged 1-RTT packet; a server as
 *                  soon as its handshake completes, which confirms it, RFC 9001 §4.1.2). A
 *                  server cannot open paths (§3.1: the client does; `openPath` returns
 *                  undefined) but may set statuses and close paths, and hears of the paths the
 *                  client opens through `onPathEvent`.
 *   onPathEvent    a path was opened (by us or the peer), validated, failed validation, was
 *                  abandoned (by us or the peer), changed status (ours or the peer's), or a path
 *                  can be opened again after an `openPath` of the manager's found no path ID.
 *   shouldAbandon  a path stopped delivering (one PTO or more in a row) while another path is
 *                  still acknowledged: abandon it now? (the rule `abandonAfterPtos` was).
 *   onTimeout      the time the manager asked for with `ctl.wakeAt` came.
 * The hooks run inside `handleDatagram`, `handleTimeout` or the application's `openPath`,
 * `closePath` and `setPathStatus` calls of the connection, after the connection's own
 * processing (never in the middle of a packet), so whatever they queue goes out with the
 * connection's next datagrams; path events are delivered in order, after `onReady`.
 *
 * Everything the built-in managers do goes through the same interface (`PathControl`), so a
 * user's manager registered with `registerPathManager` is a peer of ours. Managers read no clock
 * (time comes in as `ctl.now`) and draw no randomness, so a run is a pure function of its inputs.
 */
import type { SchedPath } from '../paths/scheduler.js';
import { sameAddress, type SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';

/**
 * What a path manager sees of one path: the scheduler's view (SchedPath, but the pacer's
 * readiness, which is no policy matter) plus the path's state, addresses and status per side.
 * The connection keeps one object per path and refreshes it when asked; keep path IDs, not
 * views, across calls.
 */
export interface PathView extends Omit<SchedPath, 'pacingReadyAt'> {
  /**
   * 'validating': opened and not validated yet (multipath-21 §3.1); 'active'; 'closing':
   * abandoned, kept 3×PTO for late packets (§3.4), then gone from `ctl.paths`.
   */
  readonly state: 'validating' | 'active' | 'closing';
  /** The path passed validation (it may be validating a new peer address after a NAT rebinding). */
  readonly validated: boolean;
  /** The status we announce (PATH_STATUS_BACKUP) and the peer's (§3.3); `backup` is either. */
  readonly localBackup: boolean;
  readonly peerBackup: boolean;
  /** Our address and the peer's on this path. */
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  /** UDP payload bytes sent and received on the path. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** What happened to a path (the hook `onPathEvent`); the connection's own events say the same to the application. */
export type PathManagerEvent =
  /** A path was opened by us (`openPath`, ours or the application's) or by the peer; it is being validated. */
  | { readonly type: 'opened'; readonly pathId: number; readonly local: SocketAddress; readonly remote: SocketAddress; readonly initiator: 'local' | 'remote' }
  /** The path's validation succeeded (RFC 9000 §8.2): it carries data from now on. */
  | { readonly type: 'validated'; readonly pathId: number }
  /**
   * The path failed validation (§3.1); an 'abandoned' event follows (initiator 'local', error
   * PATH_UNSTABLE_OR_POOR), unless it was the last path, which closes the connection.
   */
  | { readonly type: 'failed'; readonly pathId: number; readonly local: SocketAddress; readonly remote: SocketAddress }
  /** The path was abandoned (§3.4): PATH_ABANDON sent ('local': by the manager, the application or the connection) or received ('remote'). */
  | { readonly type: 'abandoned'; readonly pathId: number; readonly errorCode: number; readonly initiator: 'local' | 'remote'; readonly local: SocketAddress; readonly remote: SocketAddress }
  /** A status change (§3.3): ours ('local', announced with PATH_STATUS_*) or the peer's ('remote'). */
  | { readonly type: 'status'; readonly pathId: number; readonly backup: boolean; readonly initiator: 'local' | 'remote' }
  /**
   * An `openPath` of the manager's found no path ID with connection IDs of both ends (it told
   * the peer with PATHS_BLOCKED or PATH_CIDS_BLOCKED); now there is one (the peer issued
   * connection IDs or raised MAX_PATH_ID). Once per such failure.
   */
  | { readonly type: 'can_open' };

/**
 * What the connection hands a path manager's hooks: the time, the paths, the candidate local
 * addresses and the actions. Valid during the hook call only: the actions throw outside one
 * (nothing would wake the connection for what they queue; ask for a `wakeAt` instead). The
 * actions are the connection's own (multipath.ts) and check what they are asked: they return
 * undefined or false when it is not allowed, exactly as for the application.
 */
export interface PathControl {
  /** The current time (µs). */
  readonly now: Instant;
  readonly isClient: boolean;
  /** Every path, abandoned ones included until their state goes (3×PTO, `state` 'closing'); in path ID order. */
  readonly paths: readonly PathView[];
  /** The path with ID `id`, refreshed; undefined when the connection has none (never had, or forgot it). */
  path(id: number): PathView | undefined;
  /** The path single-path operations use (path 0 until it is abandoned, then the one taking over). */
  readonly primaryPathId: number;
  /**
   * Addresses this host may open paths from (MultipathConfig.localAddresses), as configured: the
   * application's promise that datagrams from them reach the network (the socket API sends only
   * from addresses it has sockets on).
   */
  readonly localAddresses: readonly SocketAddress[];
  /** Whether `openPath` would find a path ID now (a client, the handshake confirmed, connection IDs of both ends for an unused path ID); no side effects. */
  readonly canOpenPath: boolean;
  /**
   * Client (§3.1): opens a path from `local` to `remote` (default: the primary path's peer
   * address), validated by PATH_CHALLENGE. The path ID, or undefined when not possible now (a
   * server, or no path ID: then a 'can_open' event follows once there is one).
   */
  openPath(local: SocketAddress, remote?: SocketAddress): number | undefined;
  /** Abandons path `id` with PATH_ABANDON (§3.4; default error APPLICATION_ABANDON_PATH). False for an unknown, closing or the last open path. */
  closePath(id: number, errorCode?: number): boolean;
  /** The status we announce for path `id` (§3.3). False when there is no such open path. */
  setPathStatus(id: number, status: 'available' | 'backup'): boolean;
  /**
   * Asks for an `onTimeout` call at `t` (µs) or, when an earlier one is pending, at that one;
   * the request is consumed by the call. The connection folds it into its own deadline.
   */
  wakeAt(t: Instant): void;
}

/** A path manager: the policy of opening, closing and preferring paths (see the module comment). */
export interface PathManager {
  /** The registry name this manager was created under. */
  readonly name: string;
  /** Multipath became usable (see the module comment for the client and the server). Once. */
  onReady?(ctl: PathControl): void;
  /** A path event, in order of occurrence. */
  onPathEvent?(ctl: PathControl, e: PathManagerEvent): void;
  /**
   * Path `path` stopped delivering: its PTO fired `path.ptoCount` times in a row, and another
   * path is active and acknowledged (the connection never abandons the last delivering path this
   * way). True: abandon it now (PATH_ABANDON with PATH_UNSTABLE_OR_POOR; its data already moved
   * to the others at its first PTO). Asked on every timer of the connection while that holds,
   * so it must be cheap and allocate nothing. Absent: never (the manager closes paths itself,
   * if at all); the built-ins abandon after `abandonAfterPtos`.
   */
  shouldAbandon?(ctl: PathControl, path: PathView): boolean;
  /** The time asked for with `ctl.wakeAt` came. */
  onTimeout?(ctl: PathControl): void;
}

/** Options are plain data (from the CLI or a config file); each factory validates its own. */
export type PathManagerOptions = Readonly<Record<string, unknown>>;
export type PathManagerFactory = (opts?: PathManagerOptions) => PathManager;

/** The default path manager: opens nothing itself (the application does). */
export const DEFAULT_PATH_MANAGER = 'passive';

/** Consecutive PTOs after which the built-ins abandon a path that stopped delivering (MultipathConfig.abandonAfterPtos). */
export const DEFAULT_ABANDON_AFTER_PTOS = 5;

/** Reads and validates a path manager's options: unknown keys and bad values are RangeErrors. */
class Options {
  constructor(
    private readonly manager: string,
    private readonly opts: PathManagerOptions | undefined,
    allowed: readonly string[],
  ) {
    if (opts === undefined) return;
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new RangeError(`path manager "${manager}": options must be an object`);
    for (const k of Object.keys(opts)) {
      if (!allowed.includes(k)) throw new RangeError(`path manager "${manager}": unknown option "${k}" (known: ${allowed.join(', ')})`);
    }
  }

  /** A positive integer, or `def` when absent. */
  positiveInteger(key: string, def: number): number {
    const v = this.opts?.[key];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`path manager "${this.manager}": option "${key}" must be a positive integer, got ${String(v)}`);
    return v;
  }

  /** An array of non-negative integers, or `[]` when absent. */
  indices(key: string): number[] {
    const v = this.opts?.[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
      throw new RangeError(`path manager "${this.manager}": option "${key}" must be an array of non-negative integers, got ${JSON.stringify(v)}`);
    }
    return [...(v as number[])];
  }
}

/**
 * 'passive': opens nothing (the application calls `openPath`); abandons a path that stopped
 * delivering after `abandonAfterPtos` PTOs in a row (default 5, about 31 PTOs with the backoff).
 * The default.
 */
function passive(opts?: PathManagerOptions): PathManager {
  const o = new Options('passive', opts, ['abandonAfterPtos']);
  const after = o.positiveInteger('abandonAfterPtos', DEFAULT_ABANDON_AFTER_PTOS);
  return {
    name: 'passive',
    shouldAbandon: (_ctl, p) => p.ptoCount >= after,
  };
}

/**
 * 'all-addresses': a client opens one path from each of `ctl.localAddresses` (in order) once
 * multipath is usable, and marks backup the paths whose index is in `backup` (0: the handshake
 * path, i ≥ 1: the path from `localAddresses[i - 1]`) as soon as they are open. An address
 * already used by an open path of ours is skipped; an address whose path is abandoned is not
 * tried again. When no path ID is available, the rest wait for the 'can_open' event. Abandons
 * like 'passive'. On a server it opens nothing.
 */
function allAddresses(opts?: PathManagerOptions): PathManager {
  const o = new Options('all-addresses', opts, ['abandonAfterPtos', 'backup']);
  const after = o.positiveInteger('abandonAfterPtos', DEFAULT_ABANDON_AFTER_PTOS);
  const backup = o.indices('backup');
  /** Indices into localAddresses already opened (or skipped). */
  const done = new Set<number>();
  const openRest = (ctl: PathControl): void => {
    const addrs = ctl.localAddresses;
    for (let i = 0; i < addrs.length; i++) {
      if (done.has(i)) continue;
      const a = addrs[i]!;
      if (ctl.paths.some((p) => p.state !== 'closing' && sameAddress(p.local, a))) {
        done.add(i);
        continue;
      }
      const id = ctl.openPath(a);
      if (id === undefined) return; // no path ID now: 'can_open' brings us back
      done.add(i);
      if (backup.includes(i + 1)) ctl.setPathStatus(id, 'backup');
    }
  };
  return {
    name: 'all-addresses',
    onReady(ctl) {
      if (!ctl.isClient) return;
      openRest(ctl);
      if (backup.includes(0)) ctl.setPathStatus(0, 'backup');
    },
    onPathEvent(ctl, e) {
      if (e.type === 'can_open' && ctl.isClient) openRest(ctl);
    },
    shouldAbandon: (_ctl, p) => p.ptoCount >= after,
  };
}

/** The built-in path managers, by name. */
export const BUILTIN_PATH_MANAGERS: ReadonlyArray<readonly [string, PathManagerFactory]> = [
  ['passive', passive],
  ['all-addresses', allAddresses],
];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const factories = new Map<string, PathManagerFactory>(BUILTIN_PATH_MANAGERS);

/**
 * Adds a path manager under `name` (letters, digits, '.', '_', '-'; not starting with a
 * punctuation mark). RangeError for an invalid or already registered name: built-ins can't be
 * replaced, so a name always means the same policy.
 */
export function registerPathManager(name: string, f: PathManagerFactory): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RangeError(`invalid path manager name ${JSON.stringify(name)}`);
  if (typeof f !== 'function') throw new TypeError(`path manager "${name}": the factory must be a function`);
  if (factories.has(name)) throw new RangeError(`path manager "${name}" is already registered`);
  factories.set(name, f);
}

/** Creates a path manager by name; RangeError for an unknown name (listing the known ones) or bad options. */
export function createPathManager(name: string, opts?: PathManagerOptions): PathManager {
  const f = factories.get(name);
  if (f === undefined) throw new RangeError(`unknown path manager "${name}" (known: ${pathManagerNames().join(', ')})`);
  return f(opts);
}

/** The registered names, built-ins first, then in registration order. */
export function pathManagerNames(): string[] {
  return [...factories.keys()];
}
