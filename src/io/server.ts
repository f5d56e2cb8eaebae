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
  /** Connections (including those still in their handshake) beyond which new ones are refused with CONNECTION_REFUSED (RFC 9000 §5.2.2). */
  maxConnections?: number;
}

export interface QuicServerEvents {
  /** A connection completed its handshake. */
  connection: [connection: QuicConnection];
  /** A connection attempt failed during its handshake (bad ALPN, TLS alert, timeout …). */
  handshakeError: [error: QuicError, remote: SocketAddress];
  /** Non-fatal problems (socket buffers, send errors, malformed datagrams). */
  warning: [warning: DriverWarning];
  /** The server and its sockets are closed. */
  close: [];
}

export class QuicServer extends EventEmitter<QuicServerEvents> implements AsyncIterable<QuicConnection> {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: SocketAddress;
  private readonly host: IoHost;
  private readonly accepted = new Channel<QuicConnection>();
  private readonly maxConnections: number;
  private closing: Promise<void> | undefined;

  /** @internal */
  constructor(host: IoHost, maxConnections: number) {
    super();
    this.host = host;
    this.address = host.driver.locals[0]!;
    this.maxConnections = maxConnections;
  }

  /** Connections the server holds (handshaking, established or closing). */
  get connectionCount(): number {
    return this.host.connections.size;
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
   * Stops accepting, closes every connection with application code 0 and waits until they are
   * gone (their closing period, RFC 9000 §10.2), then closes the sockets.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.accepted.end();
      const all = [...this.host.connections.values()];
      await Promise.all(all.map((qc) => qc.close(0, 'server shutting down')));
      await this.host.close();
      // Connections refused while shutting down were never handed out; nothing waits for them.
      for (const qc of [...this.host.connections.values()]) qc.abandon({ kind: 'application', code: 0, reason: 'server closed', initiator: 'local' });
      this.emit('close');
    })();
    return this.closing;
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
  const maxConnections = o.maxConnections ?? Infinity;
  if (!(maxConnections > 0)) throw new RangeError('maxConnections must be positive');
  const bindHost = await resolveLocal(o.host ?? '127.0.0.1');
  const provider = providerOf(o.crypto);
  let server: QuicServer | undefined;
  const warn = (w: DriverWarning): void => void server?.emit('warning', w);
  const config: ConnectionConfig = {
    ...base,
    credentials,
    ...(o.keylog !== undefined ? { keylog: keylogAppender(o.keylog, (e) => warn({ kind: 'socket', message: `keylog: ${e.message}`, error: e })) } : {}),
  };
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
    ],
    endpoint: (locals) => ({
      local: locals[0]!,
      server: config,
      seed: seedFrom(provider.randomBytes(4)),
      ...(o.cidLength !== undefined ? { cidLength: o.cidLength } : {}),
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
  server = new QuicServer(host, maxConnections);
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
