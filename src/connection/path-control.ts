/**
 * The connection's side of the multipath path manager (path-manager.ts): the `PathControl` its
 * hooks get, the per-path views, the queue of path events and when the hooks run.
 *
 * multipath.ts queues an event next to each path ConnectionEvent it emits (`event`), asks
 * `shouldAbandon` where a path stopped delivering, and folds `wakeAt` into its deadline; the
 * connection runs the rest (`run`) at the end of `handleDatagram`, `handleTimeout` and the
 * application's path calls, whenever `work` is set: the hooks never run in the middle of a
 * packet, and whatever they queue goes out with the next datagrams (those calls wake the
 * connection first).
 */
import type { SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import { closePath, fillSchedPath, openPath, setPathStatus, type Multipath } from './multipath.js';
import type { Path } from './path.js';
import { newSchedPath } from '../paths/scheduler.js';
import type { PathControl, PathManager, PathManagerEvent, PathView } from './path-manager.js';

type MutablePathView = { -readonly [K in keyof PathView]: PathView[K] };

/**
 * Events and timeouts one `run` hands the manager at most; the rest wait for the next run (a
 * manager that answers every event with another, e.g. flipping a status back and forth, cannot
 * hold the connection in one call for ever).
 */
const MAX_HOOK_CALLS_PER_RUN = 256;

export class PathManagerHost implements PathControl {
  /** Something for `run` to do: readiness, queued events, the wake-up time passed, path IDs again. */
  work = false;
  /** The manager's wake-up (µs); Infinity: none. */
  wakeAtTime = Infinity;
  private ready = false;
  private timeoutDue = false;
  /** An `openPath` of the manager's found no path ID: 'can_open' once there is one. */
  private openBlocked = false;
  private running = false;
  /** Inside a hook: the actions may be used (outside one nothing would wake the connection). */
  private inHook = false;
  private readonly queue: PathManagerEvent[] = [];
  private readonly views = new Map<number, MutablePathView>();

  now: Instant = 0;

  constructor(
    private readonly conn: Connection,
    private readonly mp: Multipath,
    readonly manager: PathManager,
    readonly localAddresses: readonly SocketAddress[],
  ) {}

  // PathControl ----------------------------------------------------------------------------------

  get isClient(): boolean {
    return this.conn.isClient;
  }

  get paths(): readonly PathView[] {
    const ids = [...this.mp.paths.keys()].sort((a, b) => a - b);
    return ids.map((id) => this.refresh(this.mp.paths.get(id)!));
  }

  path(id: number): PathView | undefined {
    const p = this.mp.paths.get(id);
    return p === undefined ? undefined : this.refresh(p);
  }

  get primaryPathId(): number {
    return this.conn.path.id;
  }

  get canOpenPath(): boolean {
    const c = this.conn;
    return c.isClient && c.handshakeConfirmed && c.state === 'established' && this.mp.cids.unusedCommonPathId() !== undefined;
  }

  openPath(local: SocketAddress, remote?: SocketAddress): number | undefined {
    this.checkInHook('openPath');
    const c = this.conn;
    const id = openPath(c, this.now, local, remote);
    if (id === undefined && c.isClient && c.handshakeConfirmed && c.state === 'established') this.openBlocked = true;
    return id;
  }

  closePath(id: number, errorCode?: number): boolean {
    this.checkInHook('closePath');
    return closePath(this.conn, this.now, id, errorCode);
  }

  setPathStatus(id: number, status: 'available' | 'backup'): boolean {
    this.checkInHook('setPathStatus');
    return setPathStatus(this.conn, id, status);
  }

  wakeAt(t: Instant): void {
    this.checkInHook('wakeAt');
    if (t < this.wakeAtTime) this.wakeAtTime = t;
  }

  /** The actions belong to the hook calls: kept and used later, their output would wake nobody. */
  private checkInHook(what: string): void {
    if (!this.inHook) throw new Error(`path manager "${this.manager.name}": PathControl.${what} used outside a hook call`);
  }

  // The connection's side ------------------------------------------------------------------------

  /** A path event (multipath.ts, next to the ConnectionEvent that says the same). */
  event(e: PathManagerEvent): void {
    if (this.manager.onPathEvent === undefined) return;
    this.queue.push(e);
    this.work = true;
  }

  /** The handshake was confirmed (connection.ts): `onReady` at the next run. */
  handshakeConfirmed(): void {
    this.work = true;
  }

  /** The peer issued connection IDs for a path ID or raised MAX_PATH_ID (frames.ts). */
  pathIdsChanged(): void {
    if (this.openBlocked) this.work = true;
  }

  /** `onMultipathTimeout`: the manager's wake-up time came. */
  onTimeout(now: Instant): void {
    if (this.wakeAtTime > now) return;
    this.wakeAtTime = Infinity;
    this.timeoutDue = true;
    this.work = true;
  }

  /** Path `p` stopped delivering and another path delivers: the manager's verdict (no allocation). */
  shouldAbandon(now: Instant, p: Path): boolean {
    const f = this.manager.shouldAbandon;
    if (f === undefined) return false;
    this.now = now;
    this.inHook = true;
    try {
      return f.call(this.manager, this, this.refresh(p));
    } finally {
      this.inHook = false;
    }
  }

  /** Path `id` is gone for good (its 3×PTO after abandonment passed). */
  forget(id: number): void {
    this.views.delete(id);
  }

  /** Runs the hooks that are due: `onReady`, then the queued events in order, then `onTimeout`. */
  run(now: Instant): void {
    if (this.running) return;
    this.work = false;
    const c = this.conn;
    if (c.state !== 'established') {
      // Closing, draining or closed: no more path policy.
      this.queue.length = 0;
      this.timeoutDue = false;
      this.wakeAtTime = Infinity;
      return;
    }
    if (!this.ready && !c.handshakeConfirmed) return;
    this.running = true;
    this.inHook = true;
    this.now = now;
    try {
      const m = this.manager;
      if (!this.ready) {
        this.ready = true;
        m.onReady?.(this);
      }
      if (this.openBlocked && this.mp.cids.unusedCommonPathId() !== undefined) {
        this.openBlocked = false;
        this.event({ type: 'can_open' });
      }
      for (let n = 0; n < MAX_HOOK_CALLS_PER_RUN && (c.state as string) === 'established'; n++) {
        const e = this.queue.shift();
        if (e !== undefined) m.onPathEvent?.(this, e);
        else if (this.timeoutDue) {
          this.timeoutDue = false;
          m.onTimeout?.(this);
        } else break;
      }
    } finally {
      this.running = false;
      this.inHook = false;
    }
    if ((c.state as string) !== 'established') this.queue.length = 0;
    else if (this.queue.length > 0 || this.timeoutDue) this.work = true;
  }

  /** The view of `p`, refreshed (one object per path ID, reused). */
  private refresh(p: Path): PathView {
    let v = this.views.get(p.id);
    if (v === undefined) this.views.set(p.id, (v = newView(p)));
    v.state = p.state;
    v.validated = p.state === 'active';
    v.localBackup = p.localBackup;
    v.peerBackup = p.peerBackup;
    fillSchedPath(v, p);
    v.local = p.local;
    v.remote = p.remote;
    v.bytesSent = p.bytesSent;
    v.bytesReceived = p.bytesReceived;
    return v;
  }
}

function newView(p: Path): MutablePathView {
  // The scheduler's "nothing known yet" record, less its pacing time, plus what a manager sees.
  const { pacingReadyAt: _, ...sched } = newSchedPath(p.id);
  return { ...sched, state: p.state, validated: false, localBackup: false, peerBackup: false, local: p.local, remote: p.remote, bytesSent: 0, bytesReceived: 0 };
}
