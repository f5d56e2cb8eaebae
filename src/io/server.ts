/**
 * `listen`: a QUIC server on UDP sockets. Connections are handed to the application once their
 * handshake completed (RFC 9001 §4.1.1), as a 'connection' event and through async iteration.
 */
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Connection } from '../connection/connection.js';
import type { ConnectionConfig } from '../connection/config.js';
import type { SocketAddress } from '../util/datagram.js';
import { ErrorCode } from '../util/transport-error.js';
import { DEFAULT_MAX_CONNECTIONS, type Endpoint } from '../endpoint/endpoint.js';
import { Channel } from './channel.js';
import type { QuicConnection } from './connection.js';
import type { QuicError } from './errors.js';
import { keylogAppender, loadServerCredentials, QlogFileSink, type PemSource } from './files.js';
import { IoHost } from './host.js';
import { baseConfig, providerOf, type CommonOptions } from './options.js';
import type { DriverWarning } from './udp.js';

export interface ListenOptions extends CommonOptions {
  /** Local address to bind: an IP literal or a name to resolve (default '127.0.0.1'; '::' is dual-stack). */
  host?: string;
  /** UDP port; 0 (the default) picks an ephemeral one, see `server.address`. */
  port?: number;
  /** With an IPv6 `host`: refuse IPv4-mapped traffic (default false). */
  ipv6Only?: boolean;
  /** Certificate chain (leaf first) and private key: PEM text or file paths. */
  cert: PemSource;
  key: PemSource;
  /**
   * Connections (including those still in their handshake) beyond which new ones are refused
   * with CONNECTION_REFUSED (RFC 9000 §5.2.2), without creating state (default 10 000).
   */
  maxConnections?: number;
  /** Handshakes under way beyond which new connections are refused likewise (default 1000; RFC 9000 §21.2). */
  maxHandshakes?: number;
  /**
   * Address validation with Retry (RFC 9000 §8.1.2): 'always', 'auto' (the default: once
   * `retryAbove` handshakes are under way, default 100) or 'never'. Clients also get a
   * NEW_TOKEN token for their next connection (§8.1.3).
   */
  retry?: 'always' | 'never' | 'auto';
  retryAbove?: number;
  /**
   * Session tickets for resumption (RFC 9001 §4.5), sent after each handshake (default true);
   * `ticketKey` (16 bytes) seals them, random per server unless given (share it so that servers
   * resume each other's sessions).
   */
  sessionTickets?: boolean;
  ticketKey?: Uint8Array;
  /** Accept 0-RTT (RFC 9001 §4.6) with the tickets issued; replays are refused (default false). */
  earlyData?: boolean;
  /**
   * A preferred address (RFC 9000 §9.6): a second socket is bound there (an IP literal; port 0
   * picks an ephemeral one) and advertised to clients in preferred_address, which move to it
   * after the handshake.
   */
  preferredAddress?: { host: string; port?: number };
  /** Tell clients not to migrate on their own (disable_active_migration, RFC 9000 §18.2; default false). */
  disableActiveMigration?: boolean;
}

/** Options of `QuicServer.close`. */
export interface ServerCloseOptions {
  /**
   * How long the shutdown hooks (`onShutdown`) may run before the connections are closed
   * regardless, in ms (default 2000).
   */
  timeoutMs?: number;
}

/**
 * A shutdown hook (`QuicServer.onShutdown`): runs while the connections are still open. `signal`
 * aborts when the server goes on to close the connections (all hooks done, or their time up).
 */
export type ShutdownHook = (signal: AbortSignal) => Promise<void> | void;

/** Default bound on the shutdown hooks of `QuicServer.close`, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;

/** The events of a QuicServer, with their listener arguments. */
export interface QuicServerEvents {
  /**
   * `close()` was called: the server accepts no more connections; the shutdown hooks run next,
   * then the connections are closed.
   */
  closing: [];
  /** A connection completed its handshake. */
  connection: [connection: QuicConnection];
  /** A connection attempt failed during its handshake (bad ALPN, TLS alert, timeout …). */
  handshakeError: [error: QuicError, remote: SocketAddress];
  /** Non-fatal problems (socket buffers, send errors, malformed datagrams, shutdown hooks that failed or overran). */
  warning: [warning: DriverWarning];
  /** The server and its sockets are closed. */
  close: [];
}

/** `QuicServer.stats()`. */
export interface ServerStats {
  /** Connections the server holds (as `connectionCount`). */
  connections: number;
  /** Connections the endpoint routes datagrams to (also those refused and still closing). */
  endpointConnections: number;
  handshakesInProgress: number;
  dropped: Endpoint['dropped'];
  refused: Endpoint['refused'];
  statelessResets: Endpoint['statelessResets'];
  addressValidation: Endpoint['addressValidation'];
  datagramsReceived: number;
  datagramsSent: number;
  bytesReceived: number;
  bytesSent: number;
  /** Datagrams the endpoint threw on (dropped; a bug if ever non-zero). */
  receiveErrors: number;
  sendErrors: number;
}

/**
 * A QUIC server on UDP sockets, made by `listen`: it hands out each connection once its
 * handshake completed, as a 'connection' event and through async iteration (`for await`).
 * Events are listed in QuicServerEvents; `close` shuts down gracefully.
 */
export class QuicServer extends EventEmitter<QuicServerEvents> implements AsyncIterable<QuicConnection> {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: SocketAddress;
  private readonly host: IoHost;
  private readonly accepted = new Channel<QuicConnection>();
  private readonly maxConnections: number;
  private closing: Promise<void> | undefined;
  private readonly shutdownHooks = new Set<ShutdownHook>();

  private readonly onWarning: ((w: DriverWarning) => void) | undefined;

  /** @internal */
  constructor(host: IoHost, maxConnections: number, onWarning?: (w: DriverWarning) => void) {
    super();
    this.host = host;
    this.address = host.driver.locals[0]!;
    this.maxConnections = maxConnections;
    this.onWarning = onWarning;
  }

  /** Connections the server holds (handshaking, established or closing). */
  get connectionCount(): number {
    return this.host.connections.size;
  }

  /**
   * What the endpoint and its sockets have seen: datagrams dropped before reaching a connection
   * (RFC 9000 §5.2), new connections refused (§5.2.2), stateless resets (§10.3), address
   * validation (§8.1), handshakes under way, and the socket counters. A fresh object per call.
   */
  stats(): ServerStats {
    const ep = this.host.endpoint;
    const d = this.host.driver;
    return {
      connections: this.host.connections.size,
      endpointConnections: ep.connectionCount,
      handshakesInProgress: ep.handshakesInProgress,
      dropped: { ...ep.dropped },
      refused: { ...ep.refused },
      statelessResets: { ...ep.statelessResets },
      addressValidation: { ...ep.addressValidation },
      datagramsReceived: d.datagramsReceived,
      datagramsSent: d.datagramsSent,
      bytesReceived: d.bytesReceived,
      bytesSent: d.bytesSent,
      receiveErrors: d.receiveErrors,
      sendErrors: d.sendErrors,
    };
  }

  /** Whether the sockets are closed. */
  get isClosed(): boolean {
    return this.host.driver.isClosed;
  }

  /** Socket buffer sizes in effect, per socket. */
  get socketBuffers(): ReadonlyArray<{ local: SocketAddress; recv: number; send: number }> {
    return this.host.driver.socketBuffers;
  }

  /** Established connections, in order; ends when the server closes. */
  [Symbol.asyncIterator](): AsyncIterator<QuicConnection> {
    return this.accepted.iterator();
  }

  /**
   * Registers a hook that `close()` runs before it closes the connections, while they still carry
   * data: e.g. an HTTP/3 layer sends GOAWAY and lets the requests under way finish (RFC 9114
   * §5.2). The hooks run concurrently and are awaited for at most `timeoutMs` of `close()`; one
   * that throws or rejects is reported as a 'warning' and does not stop the shutdown. Returns a
   * function that removes the hook.
   */
  onShutdown(hook: ShutdownHook): () => void {
    this.shutdownHooks.add(hook);
    return () => void this.shutdownHooks.delete(hook);
  }

  /**
   * Shuts down: stops accepting (new connection attempts are refused with CONNECTION_REFUSED)
   * and emits 'closing'; runs the shutdown hooks (`onShutdown`) and waits for them, at most
   * `timeoutMs` (default 2000); then closes every connection with application code 0, waits
   * until they are gone (their closing period, RFC 9000 §10.2) and closes the sockets. Later
   * calls return the first call's promise.
   */
  close(o: ServerCloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const timeoutMs = o.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) return Promise.reject(new RangeError('timeoutMs must be a non-negative number of milliseconds'));
    // Set before anything runs, so that a 'closing' listener or a hook calling close() gets this promise.
    this.closing = Promise.resolve().then(() => this.shutdown(timeoutMs));
    this.accepted.end();
    try {
      this.emit('closing');
    } catch (err) {
      // A listener threw: reported as Node would (uncaught), the shutdown goes on.
      process.nextTick(() => {
        throw err;
      });
    }
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    await this.runShutdownHooks(timeoutMs);
    const all = [...this.host.connections.values()];
    await Promise.all(all.map((qc) => qc.close(0, 'server shutting down')));
    await this.host.close();
    // Connections refused while shutting down were never handed out; nothing waits for them.
    for (const qc of [...this.host.connections.values()]) qc.abandon({ kind: 'application', code: 0, reason: 'server closed', initiator: 'local' });
    this.emit('close');
  }

  /** Runs the shutdown hooks concurrently; resolves when all settled or after `timeoutMs`. */
  private async runShutdownHooks(timeoutMs: number): Promise<void> {
    const hooks = [...this.shutdownHooks];
    if (hooks.length === 0) return;
    const ac = new AbortController();
    const warn = (message: string, error?: unknown): void => {
      const w: DriverWarning = { kind: 'shutdown', message, ...(error !== undefined ? { error } : {}) };
      this.onWarning?.(w);
      this.emit('warning', w);
    };
    const runs = hooks.map(async (hook) => {
      try {
        await hook(ac.signal);
      } catch (error) {
        warn(`shutdown hook failed: ${(error as Error)?.message ?? String(error)}`, error);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      // setTimeout takes at most 2^31-1 ms.
      timer = setTimeout(() => resolve(true), Math.min(timeoutMs, 0x7fffffff));
    });
    const overran = await Promise.race([Promise.all(runs).then(() => false), expired]);
    clearTimeout(timer);
    if (overran) warn(`shutdown hooks still running after ${timeoutMs} ms; closing the connections`);
    ac.abort(new Error('server shutdown: closing the connections'));
  }

  /** @internal A server connection appeared on the endpoint. */
  incoming(core: Connection, qlog: QlogFileSink | undefined, qlogDir: string | undefined): void {
    const host = this.host;
    if (this.closing !== undefined || host.connections.size >= this.maxConnections) {
      // RFC 9000 §5.2.2: a server that does not accept a connection closes it with CONNECTION_REFUSED.
      core.close(host.now(), ErrorCode.CONNECTION_REFUSED, this.closing ? 'server shutting down' : 'server busy', false);
      void qlog?.close();
      return;
    }
    if (qlog !== undefined && qlogDir !== undefined) qlog.open(qlogDir, core.originalDcid, 'server', (t) => host.driver.clock.wallTime(t), host.now());
    const qc = host.adopt(core, qlog);
    qc.onHandshakeResult = (err) => {
      if (err !== undefined) {
        this.emit('handshakeError', err as QuicError, core.remote);
        return;
      }
      if (this.accepted.readers > 0 || this.listenerCount('connection') === 0) this.accepted.push(qc);
      this.emit('connection', qc);
    };
  }
}

/** Starts a QUIC server; resolves once the socket is bound. */
export async function listen(o: ListenOptions): Promise<QuicServer> {
  const base = baseConfig(o);
  const credentials = loadServerCredentials(o.cert, o.key);
  const maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!(maxConnections > 0)) throw new RangeError('maxConnections must be positive');
  if (o.maxHandshakes !== undefined && !(o.maxHandshakes > 0)) throw new RangeError('maxHandshakes must be positive');
  const bindHost = await resolveLocal(o.host ?? '127.0.0.1');
  const provider = providerOf(o.crypto);
  let server: QuicServer | undefined;
  const warn = (w: DriverWarning): void => void server?.emit('warning', w);
  if (o.ticketKey !== undefined && o.ticketKey.length !== 16) throw new RangeError('ticketKey must be 16 bytes');
  const config: ConnectionConfig = {
    ...base,
    credentials,
    ...(o.sessionTickets !== false ? { tickets: { key: o.ticketKey ?? provider.randomBytes(16) } } : {}),
    ...(o.earlyData === true ? { earlyData: true } : {}),
    ...(o.disableActiveMigration === true ? { disableActiveMigration: true } : {}),
    ...(o.keylog !== undefined ? { keylog: keylogAppender(o.keylog, (e) => warn({ kind: 'socket', message: `keylog: ${e.message}`, error: e })) } : {}),
  };
  if (o.preferredAddress !== undefined && isIP(o.preferredAddress.host) === 0) throw new RangeError(`preferredAddress.host must be an IP literal, got "${o.preferredAddress.host}"`);
  // The endpoint copies the server configuration for each new connection (`{ ...server }`), so
  // getters give every connection its own qlog file and the wall time of its start.
  let lastQlog: QlogFileSink | undefined;
  if (o.qlogDir !== undefined) {
    Object.defineProperty(config, 'qlog', {
      enumerable: true,
      get: () => (lastQlog = new QlogFileSink((e) => warn({ kind: 'socket', message: `qlog: ${e.message}`, error: e }))),
    });
  }
  Object.defineProperty(config, 'timeMs', { enumerable: true, get: () => Date.now() });
  const claimed = new WeakSet<QlogFileSink>();
  const host = await IoHost.create({
    sockets: [
      {
        host: bindHost,
        port: o.port ?? 0,
        ...(o.ipv6Only !== undefined ? { ipv6Only: o.ipv6Only } : {}),
        ...(o.recvBufferSize !== undefined ? { recvBufferSize: o.recvBufferSize } : {}),
        ...(o.sendBufferSize !== undefined ? { sendBufferSize: o.sendBufferSize } : {}),
      },
      // RFC 9000 §9.6: the preferred address is a second socket of the same endpoint.
      ...(o.preferredAddress !== undefined
        ? [
            {
              host: o.preferredAddress.host,
              port: o.preferredAddress.port ?? 0,
              ...(o.recvBufferSize !== undefined ? { recvBufferSize: o.recvBufferSize } : {}),
              ...(o.sendBufferSize !== undefined ? { sendBufferSize: o.sendBufferSize } : {}),
            },
          ]
        : []),
    ],
    endpoint: (locals) => ({
      local: locals[0]!,
      server: config,
      seed: seedFrom(provider.randomBytes(4)),
      ...(o.cidLength !== undefined ? { cidLength: o.cidLength } : {}),
      ...(o.retry !== undefined ? { retry: o.retry } : {}),
      ...(o.retryAbove !== undefined ? { retryAbove: o.retryAbove } : {}),
      maxConnections: Number.isFinite(maxConnections) ? maxConnections : Number.MAX_SAFE_INTEGER,
      ...(o.maxHandshakes !== undefined ? { maxHandshakes: o.maxHandshakes } : {}),
    }),
    onWarning: (w) => {
      o.onWarning?.(w);
      warn(w);
    },
    onIncoming: (core) => {
      // The sink made for this connection, unless it is shared (then no per-connection file).
      const sink = core.qlog instanceof QlogFileSink && core.qlog === lastQlog && !claimed.has(core.qlog) ? core.qlog : undefined;
      lastQlog = undefined;
      if (sink) claimed.add(sink);
      server!.incoming(core, sink, o.qlogDir);
    },
  });
  const preferred = o.preferredAddress !== undefined ? host.driver.locals[1] : undefined;
  // Connections made from now on advertise it (the bound port is known only now).
  if (preferred !== undefined) config.preferredAddress = isIP(preferred.host) === 6 ? { ipv6: preferred } : { ipv4: preferred };
  server = new QuicServer(host, maxConnections, o.onWarning);
  return server;
}

/** A bind address: an IP literal as is, a name resolved (the first address). */
export async function resolveLocal(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  return (await lookup(host)).address;
}

export function seedFrom(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
