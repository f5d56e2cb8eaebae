/**
 * QuicConnection: the public, event-driven face of one core Connection. The driver's service
 * round calls `pump`, which drains the core's events (connection/types.ts) into stream
 * callbacks, Node events and async iterators; API calls act on the core and ask for a service
 * round, which sends what they produced.
 */
import { EventEmitter } from 'node:events';
import type { Connection, ConnectionStats } from '../connection/connection.js';
import type { CloseInfo, ConnectionEvent } from '../connection/types.js';
import type { ClientSession, HandshakeInfo } from '../crypto/tls/engine.js';
import { wants, type QlogEvent, type QlogEventName } from '../qlog/events.js';
import type { SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { Channel } from './channel.js';
import { AbortError, QuicError, describeClose } from './errors.js';
import type { QlogFileSink } from './files.js';
import { QuicStream, type QuicStreamOptions, type StreamOwner } from './stream.js';

/** What a connection needs from whoever drives its endpoint. */
export interface ConnectionHost {
  now(): Instant;
  /** Ask for a service round (packets out, timer re-armed). */
  schedule(): void;
  /**
   * The connection is finished: `abandoned` when it never got established and the host may tear
   * down at once instead of waiting out the closing period. Resolves when the host let go
   * (for a client: its socket is closed).
   */
  connectionEnded(qc: QuicConnection, abandoned: boolean): Promise<void>;
  /** Binds one more local socket, for connection migration (RFC 9000 §9.2); absent: not supported. */
  addSocket?(o: { host: string; port?: number }): Promise<SocketAddress>;
}

/**
 * RFC 9000 §9: a path change. Server: the client's address changed (`address`, `previous`).
 * Client: we moved (`migrate`, or the server's preferred address, §9.6): `local` and `address`
 * are the path now used, `previousLocal` and `previous` the one before; 'reverted' when the new
 * path failed validation and the previous one is used again. 'probing': the preferred address
 * (`address`) is being validated before the client moves there (§9.6.1).
 */
export interface PathChange {
  address: SocketAddress;
  previous: SocketAddress;
  state: 'probing' | 'validating' | 'validated' | 'reverted';
  local?: SocketAddress;
  previousLocal?: SocketAddress;
  reason?: 'active' | 'preferred_address' | 'peer';
}

/**
 * A multipath path event: 'opened' (by us or the peer; validating), 'validated' (carries data),
 * 'failed' (validation failed; abandoned), 'abandoned' (PATH_ABANDON sent or received, or
 * failover), 'status' (the peer marked it backup or available).
 */
export type PathEvent =
  | { kind: 'opened'; pathId: number; local: SocketAddress; remote: SocketAddress; initiator: 'local' | 'remote' }
  | { kind: 'validated'; pathId: number }
  | { kind: 'failed'; pathId: number }
  | { kind: 'abandoned'; pathId: number; errorCode: number; initiator: 'local' | 'remote' }
  | { kind: 'status'; pathId: number; backup: boolean };

/** A completed 1-RTT key update (RFC 9001 §6). */
export interface KeyUpdate {
  /** 'local' when we started it (`updateKeys`, or before the AEAD limits, §6.6), 'remote' when the peer did. */
  initiator: 'local' | 'remote';
  /** Updates so far; the Key Phase bit is `generation & 1`. */
  generation: number;
}

/** The events of a QuicConnection, with their listener arguments. */
export interface QuicConnectionEvents {
  /** The handshake completed: the negotiated ALPN, cipher suite, group, peer certificates … */
  handshake: [info: HandshakeInfo];
  /**
   * The peer opened a stream. Streams opened before the first listener was attached are
   * emitted to it.
   */
  stream: [stream: QuicStream];
  /** A DATAGRAM payload arrived (RFC 9221). */
  datagram: [data: Uint8Array];
  /** A DATAGRAM we sent was declared lost (RFC 9221 §5.2); its payload length in bytes. */
  datagramLost: [length: number];
  /** RFC 9000 §9: the peer's address changed (e.g. a NAT rebinding). */
  pathChange: [change: PathChange];
  /**
   * RFC 9001 §6: the 1-RTT keys were updated; for an update we started, once the peer answered
   * in the new key phase.
   */
  keyUpdate: [update: KeyUpdate];
  /** Client: a session ticket to resume with later (RFC 9001 §4.5); `encodeSession` makes it storable text. */
  session: [session: ClientSession];
  /** Client: the server accepted or rejected our 0-RTT (RFC 9001 §4.6.2). */
  earlyData: [accepted: boolean];
  /** Multipath (draft-ietf-quic-multipath-21): a path opened, validated, failed, was abandoned or changed status. */
  path: [event: PathEvent];
  /** The connection stopped carrying data (closing or draining). */
  closing: [info: CloseInfo];
  /** The connection is gone. */
  close: [info: CloseInfo];
}

/** Options of `QuicConnection.openStream`: the stream's direction and buffers, and a cancel signal. */
export interface OpenStreamOptions extends QuicStreamOptions {
  /** Bidirectional (default) or unidirectional (write-only for us). */
  bidirectional?: boolean;
  /** Abandons the wait for stream credit (RFC 9000 §4.6 MAX_STREAMS). */
  signal?: AbortSignal;
}

interface OpenWaiter {
  resolve: (s: QuicStream) => void;
  reject: (e: Error) => void;
  options: OpenStreamOptions;
  onAbort?: () => void;
}

/**
 * A QUIC connection of the socket API, client or server (from `connect`, or a QuicServer's
 * 'connection' event and iterator): streams as QuicStreams (`openStream`, `incomingStreams`,
 * 'stream'), DATAGRAMs (RFC 9221), migration and multipath paths, key updates, statistics, and
 * `close`. Events are listed in QuicConnectionEvents; `closed` resolves when it is gone.
 */
export class QuicConnection extends EventEmitter<QuicConnectionEvents> implements StreamOwner {
  /** @internal The sans-IO connection (advanced use: qlog-free introspection, tests). */
  readonly core: Connection;
  readonly role: 'client' | 'server';
  /** The negotiated application protocol (after the handshake). */
  alpn: string | undefined;
  /** TLS details of the handshake (suite, group, peer certificates …). */
  handshakeInfo: HandshakeInfo | undefined;
  /** Resolves when the connection is gone, with how it ended (never rejects). */
  readonly closed: Promise<CloseInfo>;
  /** How the connection ended, once closing. */
  closeInfo: CloseInfo | undefined;

  private readonly host: ConnectionHost;
  private readonly streams = new Map<number, QuicStream>();
  /** Streams the peer opened; the application takes them from here (QuicStream.adopt). */
  private readonly incoming = new Channel<QuicStream>((s) => s.adopt());
  private readonly datagramQueue = new Channel<Uint8Array>();
  private readonly openWaiters: { bidi: OpenWaiter[]; uni: OpenWaiter[] } = { bidi: [], uni: [] };
  private resolveClosed!: (info: CloseInfo) => void;
  private ended = false;
  private readonly qlog: QlogFileSink | undefined;
  /** @internal Called once: on handshake completion, or with the error that ended it. */
  onHandshakeResult: ((err?: Error) => void) | undefined;

  /** @internal Created by the server or `connect`. */
  constructor(host: ConnectionHost, core: Connection, qlog?: QlogFileSink) {
    super();
    this.host = host;
    this.core = core;
    this.role = core.isClient ? 'client' : 'server';
    this.qlog = qlog;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    // Streams the peer opened before anyone listened — 0-RTT requests reach a server before its
    // 'connection' event (RFC 9001 §4.6) — go to the first 'stream' listener.
    (this as EventEmitter).on('newListener', (name: string | symbol) => {
      if (name !== 'stream' || this.incoming.size === 0) return;
      queueMicrotask(() => {
        if (this.listenerCount('stream') === 0) return;
        for (let s = this.incoming.take(); s !== undefined; s = this.incoming.take()) this.emit('stream', s);
      });
    });
  }

  /** The peer's address (it changes when the peer migrates). */
  get remoteAddress(): SocketAddress {
    return this.core.remote;
  }

  /**
   * The QUIC version the connection uses now (0x00000001 for v1, 0x6b3343cf for v2, RFC 9369):
   * the client's first version until compatible version negotiation (RFC 9368) switches it.
   */
  get version(): number {
    return this.core.version;
  }

  /** Our address on the path in use (it changes when we migrate). */
  get localAddress(): SocketAddress {
    return this.core.local;
  }

  /**
   * 0-RTT (RFC 9001 §4.6): undefined while unknown or not attempted; a client learns whether
   * the server accepted its early data, a server whether it accepted the client's.
   */
  get earlyDataAccepted(): boolean | undefined {
    return this.core.earlyDataAccepted;
  }

  /** Whether the handshake resumed a session (RFC 9001 §4.5); undefined before it completed. */
  get resumed(): boolean | undefined {
    return this.core.resumed;
  }

  /**
   * Whether the TLS handshake has completed at this end (RFC 9001 §4.1.1); it stays true once
   * set. The 'handshake' event fires when it becomes true.
   */
  get handshakeComplete(): boolean {
    return this.core.handshakeComplete;
  }

  /** The largest DATAGRAM payload `sendDatagram` accepts now (0 when the peer did not enable DATAGRAM). */
  get maxDatagramPayload(): number {
    return this.core.maxDatagramPayload();
  }

  /** The core's counters: RTT, congestion window, bytes and packets, losses, key updates. */
  stats(): ConnectionStats {
    return this.core.stats();
  }

  /**
   * Opens a stream. When the peer's stream limit (MAX_STREAMS) is reached, waits until the peer
   * raises it; rejects when the connection closes or `signal` aborts.
   */
  openStream(options: OpenStreamOptions = {}): Promise<QuicStream> {
    const bidi = options.bidirectional ?? true;
    if (options.signal?.aborted) return Promise.reject(new AbortError('openStream aborted', { cause: options.signal.reason }));
    if (this.closeInfo !== undefined) return Promise.reject(this.closedError());
    const queue = bidi ? this.openWaiters.bidi : this.openWaiters.uni;
    if (queue.length === 0) {
      const s = this.tryOpen(bidi, options);
      if (s !== undefined) return Promise.resolve(s);
    }
    return new Promise<QuicStream>((resolve, reject) => {
      const w: OpenWaiter = { resolve, reject, options };
      const signal = options.signal;
      if (signal !== undefined) {
        w.onAbort = () => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
          reject(new AbortError('openStream aborted', { cause: signal.reason }));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      queue.push(w);
    });
  }

  /**
   * Streams the peer opens, in order. Streams that arrive while nobody iterates and no 'stream'
   * listener is attached are kept for the next iterator (they cannot crash the process while
   * they wait: see QuicStream), and may come out already destroyed, with their error in
   * `errored`. Ends when the connection closes, once the kept streams were taken.
   */
  incomingStreams(): AsyncIterableIterator<QuicStream> {
    return this.incoming.iterator();
  }

  /** DATAGRAM payloads received (RFC 9221), buffered like `incomingStreams`. Ends on close. */
  datagrams(): AsyncIterableIterator<Uint8Array> {
    return this.datagramQueue.iterator();
  }

  /**
   * Queues an unreliable DATAGRAM (RFC 9221; the bytes are copied). False when the peer did not
   * enable DATAGRAM, the payload exceeds `maxDatagramPayload`, the send queue is full, or the
   * connection is closing.
   */
  sendDatagram(data: Uint8Array): boolean {
    const ok = this.core.sendDatagram(data);
    if (ok) this.host.schedule();
    return ok;
  }

  /**
   * Whether this connection's qlog records events of `name` (false without a qlog): build an
   * event for `qlogEvent` only when this holds.
   */
  qlogWants(name: QlogEventName): boolean {
    return wants(this.core.qlog, name);
  }

  /**
   * Writes an application-layer qlog event (e.g. `http3:frame_created`) into this connection's
   * qlog, stamped with the connection's clock; does nothing without a qlog.
   */
  qlogEvent(e: QlogEvent): void {
    const sink = this.core.qlog;
    if (wants(sink, e.name)) sink.event(this.host.now(), e);
  }

  /**
   * Client: moves the connection to a new local socket (RFC 9000 §9.2), by default a new
   * ephemeral port on the current local address: a new connection ID, packets from there at
   * once, path validation, and back to the old path if it fails. Resolves with the new local
   * address, or rejects when migrating is not possible (not a client, the handshake not
   * confirmed, the server sent disable_active_migration, a migration still being validated, or
   * no spare connection ID). 'pathChange' events follow.
   */
  async migrate(localAddress?: string, localPort = 0): Promise<SocketAddress> {
    if (this.role !== 'client') throw new QuicError('only a client migrates', 'ERR_QUIC_MIGRATION');
    if (this.host.addSocket === undefined) throw new QuicError('this connection cannot bind new sockets', 'ERR_QUIC_MIGRATION');
    const local = await this.host.addSocket({ host: localAddress ?? this.core.local.host, port: localPort });
    if (!this.core.migrate(this.host.now(), local)) throw new QuicError('migration not possible now', 'ERR_QUIC_MIGRATION');
    this.host.schedule();
    return local;
  }

  /**
   * Multipath (client, draft-ietf-quic-multipath-21 §3.1): binds a socket on `local` (port 0:
   * any) and opens a path from it to `remote` (default: the server's address). Resolves with
   * the path ID once it is opened (validation follows: a 'path' event 'validated' or 'failed').
   * Rejects when multipath was not negotiated or no path ID is available now.
   */
  async openPath(o: { local: { host: string; port?: number }; remote?: SocketAddress }): Promise<number> {
    if (this.role !== 'client') throw new QuicError('only a client opens paths', 'ERR_QUIC_PATH');
    if (this.core.mp === undefined) throw new QuicError('multipath was not negotiated', 'ERR_QUIC_PATH');
    if (this.host.addSocket === undefined) throw new QuicError('this connection cannot bind new sockets', 'ERR_QUIC_PATH');
    const local = await this.host.addSocket({ host: o.local.host, port: o.local.port ?? 0 });
    const id = this.core.openPath(this.host.now(), local, o.remote);
    if (id === undefined) throw new QuicError('no path can be opened now (no path ID or connection IDs left, or the handshake is not confirmed)', 'ERR_QUIC_PATH');
    this.host.schedule();
    return id;
  }

  /** Multipath (§3.4): abandons path `id`. False for an unknown path or the last one. */
  closePath(id: number, errorCode?: number): boolean {
    const ok = this.core.closePath(this.host.now(), id, errorCode);
    if (ok) this.host.schedule();
    return ok;
  }

  /** Multipath (§3.3): announces path `id` as 'backup' or 'available'. */
  setPathStatus(id: number, status: 'available' | 'backup'): boolean {
    const ok = this.core.setPathStatus(id, status);
    if (ok) this.host.schedule();
    return ok;
  }

  /**
   * Starts a 1-RTT key update (RFC 9001 §6.1): our packets go out under the next keys at once;
   * 'keyUpdate' follows once the peer answered in the new key phase. False when an update is not
   * permitted now (§6.1, §6.5): before the handshake is confirmed, before the peer acknowledged
   * a packet of the current key phase, while the previous update is still in progress or within
   * three PTOs of it, or when the connection is closing.
   */
  updateKeys(): boolean {
    const ok = this.core.initiateKeyUpdate(this.host.now());
    if (ok) this.host.schedule();
    return ok;
  }

  /**
   * Closes the connection (RFC 9000 §10.2) with an application error code (0: no error) and
   * resolves when it is gone.
   */
  close(code = 0, reason = ''): Promise<CloseInfo> {
    if (this.closeInfo === undefined && !this.ended) {
      this.core.close(this.host.now(), code, reason);
      this.host.schedule();
    }
    return this.closed;
  }

  // --- StreamOwner -----------------------------------------------------------------------------

  /** @internal */
  schedule(): void {
    this.host.schedule();
  }

  /** @internal */
  forgetStream(id: number): void {
    this.streams.delete(id);
  }

  // --- driven by the host ----------------------------------------------------------------------

  /** @internal Drains the core's events. */
  pump(): void {
    const core = this.core;
    for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) {
      try {
        this.dispatch(e);
      } catch (err) {
        // An application listener threw: report it as Node would (uncaught), after this round.
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }

  /**
   * @internal The host gives up on the connection (its endpoint is shutting down or it was
   * never established): streams and waiters fail, `closed` resolves with `info`.
   */
  abandon(info: CloseInfo): void {
    if (this.closeInfo === undefined) this.onClosing(info);
    this.finish(info, true);
  }

  private dispatch(e: ConnectionEvent): void {
    switch (e.type) {
      case 'handshake_complete': {
        this.handshakeInfo = e.info;
        this.alpn = e.info.alpn;
        this.retryOpens(true);
        this.retryOpens(false);
        const cb = this.onHandshakeResult;
        this.onHandshakeResult = undefined;
        cb?.();
        this.emit('handshake', e.info);
        break;
      }
      case 'handshake_confirmed':
        break;
      case 'session':
        this.emit('session', e.session);
        break;
      case 'early_data':
        this.emit('earlyData', e.accepted);
        break;
      case 'stream_opened': {
        const s = new QuicStream(this, e.id, false);
        this.streams.set(e.id, s);
        if (this.incoming.readers > 0 || this.listenerCount('stream') === 0) this.incoming.push(s);
        if (this.listenerCount('stream') > 0) {
          s.adopt();
          this.emit('stream', s);
        }
        break;
      }
      case 'stream_readable':
        this.streams.get(e.id)?.onReadable();
        break;
      case 'stream_writable':
        this.streams.get(e.id)?.onWritable();
        break;
      case 'stream_finished':
        this.streams.get(e.id)?.onFinished();
        break;
      case 'stream_reset':
        this.streams.get(e.id)?.onReset(e.code);
        break;
      case 'stream_stop_sending':
        this.streams.get(e.id)?.onStopSending(e.code);
        break;
      case 'streams_available':
        this.retryOpens(e.bidi);
        break;
      case 'datagram':
        if (this.datagramQueue.readers > 0 || this.listenerCount('datagram') === 0) this.datagramQueue.push(e.data);
        this.emit('datagram', e.data);
        break;
      case 'datagram_lost':
        this.emit('datagramLost', e.length);
        break;
      case 'peer_address_changed':
        this.emit('pathChange', { address: e.address, previous: e.previous, state: e.state, reason: 'peer' });
        break;
      case 'path_changed':
        this.emit('pathChange', {
          address: e.remote,
          previous: e.previousRemote,
          local: e.local,
          previousLocal: e.previousLocal,
          state: e.state === 'failed' ? 'reverted' : e.state,
          reason: e.reason,
        });
        break;
      case 'path_opened':
        this.emit('path', { kind: 'opened', pathId: e.pathId, local: e.local, remote: e.remote, initiator: e.initiator });
        break;
      case 'path_validated':
        this.emit('path', { kind: 'validated', pathId: e.pathId });
        break;
      case 'path_failed':
        this.emit('path', { kind: 'failed', pathId: e.pathId });
        break;
      case 'path_abandoned':
        this.emit('path', { kind: 'abandoned', pathId: e.pathId, errorCode: e.errorCode, initiator: e.initiator });
        break;
      case 'path_status':
        this.emit('path', { kind: 'status', pathId: e.pathId, backup: e.backup });
        break;
      case 'key_updated':
        this.emit('keyUpdate', { initiator: e.initiator, generation: e.generation });
        break;
      case 'closing':
        this.onClosing(e.info);
        break;
      case 'closed':
        if (this.closeInfo === undefined) this.onClosing(e.info);
        this.finish(this.closeInfo ?? e.info, false);
        break;
    }
  }

  private tryOpen(bidi: boolean, o: QuicStreamOptions): QuicStream | undefined {
    const id = this.core.openStream(bidi);
    if (id === undefined) {
      // The STREAMS_BLOCKED the core queued (RFC 9000 §19.14) goes out with the next round.
      this.host.schedule();
      return undefined;
    }
    const s = new QuicStream(this, id, true, o);
    this.streams.set(id, s);
    return s;
  }

  private retryOpens(bidi: boolean): void {
    const queue = bidi ? this.openWaiters.bidi : this.openWaiters.uni;
    while (queue.length > 0 && this.closeInfo === undefined) {
      const w = queue[0]!;
      const s = this.tryOpen(bidi, w.options);
      if (s === undefined) return;
      queue.shift();
      if (w.onAbort) w.options.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(s);
    }
  }

  private closedError(): QuicError {
    const info = this.closeInfo;
    return new QuicError(`connection ${info ? describeClose(info) : 'closed'}`, 'ERR_QUIC_CONNECTION_CLOSED', info);
  }

  private onClosing(info: CloseInfo): void {
    if (this.closeInfo !== undefined) return;
    this.closeInfo = info;
    const hs = this.onHandshakeResult;
    this.onHandshakeResult = undefined;
    hs?.(new QuicError(`handshake failed: connection ${describeClose(info)}`, info.kind === 'handshake_timeout' ? 'ERR_QUIC_HANDSHAKE_TIMEOUT' : 'ERR_QUIC_HANDSHAKE_FAILED', info));
    // Built only for waiters: an Error captures a stack, which every close would pay for.
    let err: QuicError | undefined;
    for (const q of [this.openWaiters.bidi, this.openWaiters.uni]) {
      for (const w of q.splice(0)) {
        err ??= this.closedError();
        if (w.onAbort) w.options.signal?.removeEventListener('abort', w.onAbort);
        w.reject(err);
      }
    }
    for (const s of [...this.streams.values()]) s.onConnectionClosed(info);
    this.streams.clear();
    this.incoming.end();
    this.datagramQueue.end();
    this.emit('closing', info);
    // A connection that never completed its handshake is not worth its closing period.
    if (!this.core.handshakeComplete) this.finish(info, true);
  }

  private finish(info: CloseInfo, abandoned: boolean): void {
    if (this.ended) return;
    this.ended = true;
    void this.host
      .connectionEnded(this, abandoned)
      .catch(() => {})
      .then(() => this.qlog?.close())
      .then(() => {
        this.resolveClosed(info);
        this.emit('close', info);
      });
  }
}
