/**
 * The base of the flow drivers: the application side of one flow, playing its workload over the
 * public connection API (openStream, streamWrite, streamRead, streamFinish, pollEvent, stats,
 * and the RFC 9221 datagram API). A driver owns its client connections and the matching server
 * connections; the runner calls `clientActivity` / `serverActivity` on each host's turn and
 * `attachServer` when a server connection of the flow appears. Also the stream helpers and the
 * release clock the drivers share.
 *
 * Measurement state (send times, stream → message index) is shared by both sides of a flow:
 * the simulator runs them in one process, so a receiver looks up when a message was sent.
 * Datagrams also carry their index in their first 4 bytes.
 */
import type { Connection, ConnectionStats } from '../connection/connection.js';
import type { ConnectionEvent } from '../connection/types.js';
import type { Duration, Instant } from '../util/time.js';
import type { EventHandle } from './engine.js';
import { checkPayload, expectedBytes, messagePayload, percentiles, type Percentiles, type Workload } from './workload.js';

/** What the runner gives a driver. */
export interface FlowContext {
  /** The engine's current virtual time (µs). */
  now(): Instant;
  /** Opens a client connection to the flow's server. */
  connect(): Connection;
  /** Runs `fn` at `t` (not before now), then lets the flow's hosts act and transmit. */
  at(t: Instant, fn: () => void): EventHandle;
}

/** One client connection of a flow and its server side once known. */
export interface FlowConn {
  readonly index: number;
  readonly client: Connection;
  server: Connection | undefined;
  readonly startedAt: Instant;
  handshakeAt: Instant | undefined;
  /** Still driven by the flow. */
  active: boolean;
}

/**
 * The messages of a streams, requests, datagrams or handshakes workload (a stream, an
 * exchange, a datagram or a connection each): how many were due, sent and fully received, and
 * their latency in µs (see each workload for where it is measured from).
 */
export interface MessageStats {
  /** Messages the workload sends (streams, requests, datagrams). */
  expected: number;
  sent: number;
  received: number;
  /** Datagrams the connection refused to queue. */
  rejected: number;
  /** Datagrams that arrived more than once. */
  duplicates: number;
  latency: Percentiles | undefined;
}

/** The handshakes of a flow's client connections: connections opened, handshakes completed and their times (µs). */
export interface HandshakeStats {
  attempted: number;
  completed: number;
  /** From connect() to the client's handshake_complete, per completed handshake. */
  time: Percentiles | undefined;
}

/**
 * What a driver reports at the end of a run (`FlowDriver.outcome`): whether the workload
 * completed and when (µs, undefined if it did not finish), the application bytes received
 * against those expected, whether they all matched the payload pattern, the packets declared
 * lost (`retransmissions`), the handshake and message statistics, and the first connection's
 * client and server statistics.
 */
export interface WorkloadOutcome {
  completed: boolean;
  doneAt: Instant | undefined;
  bytes: number;
  expectedBytes: number;
  dataIntact: boolean;
  retransmissions: number;
  handshakes: HandshakeStats;
  messages: MessageStats | undefined;
  client: ConnectionStats | undefined;
  server: ConnectionStats | undefined;
}

const WRITE_CHUNK = 64 * 1024;

/** Sends `total` bytes of message `key` on a stream as flow control allows, then FIN. */
export class StreamSender {
  written = 0;
  done = false;
  private chunk: Uint8Array | undefined;
  private chunkAt = 0;

  constructor(
    readonly id: number,
    readonly total: number,
    readonly key: number,
  ) {}

  /**
   * Writes what fits; true once everything and the FIN are queued. `early`: also while the
   * handshake is in progress (a client's 0-RTT, a server's 0.5-RTT data; RFC 9001 §4.1.1, §4.6.1).
   */
  pump(conn: Connection, early = false): boolean {
    while (!this.done && (conn.state === 'established' || (early && conn.state === 'handshake'))) {
      if (this.written < this.total) {
        if (!this.chunk) {
          this.chunk = messagePayload(this.key, this.written, Math.min(WRITE_CHUNK, this.total - this.written));
          this.chunkAt = 0;
        }
        const rest = this.chunkAt === 0 ? this.chunk : this.chunk.subarray(this.chunkAt);
        const n = conn.streamWrite(this.id, rest);
        this.written += n;
        this.chunkAt += n;
        if (this.chunkAt === this.chunk.length) this.chunk = undefined;
        if (n < rest.length) return false;
      }
      if (this.written === this.total) {
        conn.streamFinish(this.id);
        this.done = true;
      }
    }
    return this.done;
  }
}

/** Reads a stream, counting bytes and checking them against message `key`'s payload. */
export class StreamReceiver {
  bytes = 0;
  fin = false;
  intact = true;

  constructor(
    readonly id: number,
    readonly key: number,
    readonly check = true,
  ) {}

  /** Reads what is ready; returns the bytes read. */
  pump(conn: Connection): number {
    let n = 0;
    for (let r = conn.streamRead(this.id); r; r = conn.streamRead(this.id)) {
      if (this.check && !checkPayload(this.key, this.bytes, r.data)) this.intact = false;
      this.bytes += r.data.length;
      n += r.data.length;
      if (r.fin) this.fin = true;
    }
    return n;
  }
}

/** Packets a connection declared lost. */
export function lost(c: Connection | undefined): number {
  return c?.stats().packetsLost ?? 0;
}

/**
 * Releases `count` items one every `interval` µs from the first call of `begin` (all at once
 * when the interval is 0), waking the flow at each release.
 */
export class Releaser {
  released = 0;
  private begun = false;

  constructor(
    private readonly ctx: FlowContext,
    private readonly count: number,
    private readonly interval: number,
  ) {}

  /**
   * Starts the releases at the current time: the first item at once (every item when the
   * interval is 0), the rest by timers through the flow context. Later calls do nothing.
   */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    if (this.interval === 0) {
      this.released = this.count;
      return;
    }
    this.released = 1;
    this.tick(this.ctx.now());
  }

  private tick(prev: Instant): void {
    if (this.released >= this.count) return;
    this.ctx.at(prev + this.interval, () => {
      this.released++;
      this.tick(prev + this.interval);
    });
  }
}

/** The shared part of every driver: connections, event draining, byte progress, completion. */
export abstract class FlowDriver {
  readonly conns: FlowConn[] = [];
  finished = false;
  doneAt: Instant | undefined;
  bytes = 0;
  intact = true;
  /** (time, cumulative bytes received) pairs, for goodput over a window. */
  private readonly progress: number[] = [];

  constructor(
    protected readonly ctx: FlowContext,
    readonly workload: Workload,
  ) {}

  /** Starts the flow (called at its start time). */
  abstract start(): void;
  /**
   * The flow's results when the run stops, finished or not (built with `base`): completion,
   * bytes and their integrity, packets lost, and the workload's message statistics.
   */
  abstract outcome(): WorkloadOutcome;

  /**
   * Hook: an event polled from an active client connection, in `clientActivity`, before that
   * connection's `clientTurn`. `handshakeAt` is already set on `handshake_complete`. Default:
   * ignores it.
   */
  protected onClientEvent(_c: FlowConn, _e: ConnectionEvent): void {}
  /**
   * Hook: an event polled from the server side of an active connection, in `serverActivity`,
   * before that connection's `serverTurn`. Default: ignores it.
   */
  protected onServerEvent(_c: FlowConn, _e: ConnectionEvent): void {}
  /**
   * Hook: the client application's turn on an active connection, once per `clientActivity`
   * after its events are drained (and only if it is still active): open streams, write, read.
   * Default: nothing.
   */
  protected clientTurn(_c: FlowConn): void {}
  /**
   * Hook: the server application's turn on an active connection with a known server side, once
   * per `serverActivity` after its events are drained. Default: nothing.
   */
  protected serverTurn(_c: FlowConn): void {}
  /** Hook: `attachServer` has just recorded `c.server`. Default: nothing. */
  protected onServerAttached(_c: FlowConn): void {}

  /**
   * Opens a client connection through the flow context and records it as the flow's next,
   * active connection (its `index` is its position in `conns`, `startedAt` the current time).
   */
  protected open(): FlowConn {
    const now = this.ctx.now();
    const c: FlowConn = { index: this.conns.length, client: this.ctx.connect(), server: undefined, startedAt: now, handshakeAt: undefined, active: true };
    this.conns.push(c);
    return c;
  }

  /** Whether `client` is one of this flow's connections; if so, records its server side. */
  attachServer(client: Connection, server: Connection): boolean {
    for (let i = this.conns.length - 1; i >= 0; i--) {
      const c = this.conns[i]!;
      if (c.client !== client) continue;
      c.server = server;
      this.onServerAttached(c);
      return true;
    }
    return false;
  }

  /**
   * The client host's turn (the runner calls it after every delivery or timer of that host):
   * unless the flow has finished, drains each active client connection's events into
   * `onClientEvent`, recording the handshake time, then gives it its `clientTurn`.
   */
  clientActivity(): void {
    if (this.finished) return;
    const now = this.ctx.now();
    for (let i = 0, n = this.conns.length; i < n; i++) {
      const c = this.conns[i]!;
      if (!c.active) continue;
      const conn = c.client;
      for (let e = conn.pollEvent(); e; e = conn.pollEvent()) {
        if (e.type === 'handshake_complete' && c.handshakeAt === undefined) c.handshakeAt = now;
        this.onClientEvent(c, e);
      }
      if (c.active) this.clientTurn(c);
    }
  }

  /**
   * The server host's turn (the runner calls it after every delivery or timer of that host):
   * unless the flow has finished, drains the events of each active connection's server side,
   * once attached, into `onServerEvent`, then gives it its `serverTurn`.
   */
  serverActivity(): void {
    if (this.finished) return;
    for (let i = 0, n = this.conns.length; i < n; i++) {
      const c = this.conns[i]!;
      const conn = c.server;
      if (!c.active || !conn) continue;
      for (let e = conn.pollEvent(); e; e = conn.pollEvent()) this.onServerEvent(c, e);
      if (c.active) this.serverTurn(c);
    }
  }

  /**
   * Counts `n` application bytes received at the current time, in `bytes` and in the progress
   * series behind `bytesAt` and `longestGap`. Ignores n ≤ 0.
   */
  protected received(n: number): void {
    if (n <= 0) return;
    this.bytes += n;
    this.progress.push(this.ctx.now(), this.bytes);
  }

  /**
   * The longest time without application bytes arriving, between the first byte and the last
   * (a stall: a failover, a blackhole), and when it started. Zero before two arrivals.
   */
  longestGap(): { start: Instant; duration: Duration } {
    const p = this.progress;
    let best = { start: 0, duration: 0 };
    for (let i = 2; i < p.length; i += 2) {
      const d = p[i]! - p[i - 2]!;
      if (d > best.duration) best = { start: p[i - 2]!, duration: d };
    }
    return best;
  }

  /** Application bytes received by time `t`. */
  bytesAt(t: Instant): number {
    const p = this.progress;
    let lo = 0;
    let hi = p.length / 2;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (p[2 * m]! <= t) lo = m + 1;
      else hi = m;
    }
    return lo === 0 ? 0 : p[2 * (lo - 1) + 1]!;
  }

  /**
   * Marks the flow finished: `doneAt` is set to the current time (the first call's) and the
   * activity methods stop driving its connections.
   */
  protected done(): void {
    this.doneAt ??= this.ctx.now();
    this.finished = true;
  }

  /**
   * The outcome fields every driver fills the same way: `doneAt`, `bytes`, `dataIntact` from
   * `intact`, the expected bytes of the workload, the handshake statistics over all of the
   * flow's connections, and the first connection's client and server statistics. The caller
   * gives whether the workload completed, the packets declared lost and its message statistics.
   */
  protected base(completed: boolean, retransmissions: number, messages?: MessageStats): WorkloadOutcome {
    const first = this.conns[0];
    const hs = this.conns.filter((c) => c.handshakeAt !== undefined).map((c) => c.handshakeAt! - c.startedAt);
    return {
      completed,
      doneAt: this.doneAt,
      bytes: this.bytes,
      expectedBytes: expectedBytes(this.workload),
      dataIntact: this.intact,
      retransmissions,
      handshakes: { attempted: this.conns.length, completed: hs.length, time: percentiles(hs) },
      messages,
      client: first?.client.stats(),
      server: first?.server?.stats(),
    };
  }
}
