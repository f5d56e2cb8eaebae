/**
 * `connect`: a QUIC client connection on its own UDP socket. Resolves once the handshake is
 * complete (RFC 9001 §4.1.1); rejects with a readable error when the handshake fails (the TLS
 * alert or the peer's close reason), times out, or is aborted.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ConnectionConfig } from '../connection/config.js';
import type { SessionStore } from '../connection/session-cache.js';
import { decodeSession, type ClientSession } from '../crypto/tls/engine.js';
import type { SocketAddress } from '../util/datagram.js';
import { addressKey } from '../util/datagram.js';
import { ErrorCode } from '../util/transport-error.js';
import type { QuicConnection } from './connection.js';
import { AbortError, QuicError } from './errors.js';
import { keylogAppender, QlogFileSink, type PemSource } from './files.js';
import { IoHost } from './host.js';
import { baseConfig, checkVersion, providerOf, trustAnchors, type CommonOptions } from './options.js';
import { seedFrom } from './server.js';

export interface ConnectOptions extends CommonOptions {
  /** Server host: an IP literal or a name to resolve. */
  host: string;
  port: number;
  /** Name to verify the certificate against and to send as SNI (default: `host`). */
  serverName?: string;
  /** Trust anchors (PEM text or file paths); default: Node's bundled root certificates. */
  ca?: PemSource | PemSource[];
  /** Skip certificate verification (the CertificateVerify signature is still checked). For tests only. */
  insecure?: boolean;
  /** Local address to bind (default: the wildcard of the server's family) and port (default ephemeral). */
  localAddress?: string;
  localPort?: number;
  /** Give up when the handshake has not completed after this many ms (default 10 000). */
  handshakeTimeoutMs?: number;
  /** Abandons the connection attempt (CONNECTION_CLOSE if packets were sent); no effect once connected. */
  signal?: AbortSignal;
  /** QUIC version of the first flight (default v1; RFC 9368 §2.5); `versions` lists what else may be negotiated. */
  version?: number;
  /**
   * A session to resume (RFC 9001 §4.5): from a QuicConnection 'session' event, or its
   * `encodeSession` text. Without it, one is taken from `sessionStore` if given.
   */
  session?: ClientSession | string;
  /** Where sessions are taken from (single use) and new ones stored, by server name. */
  sessionStore?: SessionStore;
  /**
   * Send 0-RTT (RFC 9001 §4.6) with the resumed session when its ticket allows: `connect` then
   * resolves at once, streams opened before the handshake completes go out in 0-RTT, and
   * `earlyDataAccepted` / the 'earlyData' event tell whether the server took them (rejected
   * data is sent again in 1-RTT).
   */
  earlyData?: boolean;
  /** Move to the server's preferred address when it offers one (RFC 9000 §9.6.1; default true). */
  usePreferredAddress?: boolean;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Opens a client connection: resolves `host`, binds a UDP socket of its own (closed when the
 * connection ends), runs the handshake and resolves with the established connection — or at
 * once with `earlyData` and a session whose ticket allows 0-RTT (RFC 9001 §4.6.1). Rejects
 * on a handshake failure (the peer's CONNECTION_CLOSE or a certificate error), after
 * `handshakeTimeoutMs` (default 10 s) or when `signal` aborts, once the socket is closed.
 */
export async function connect(o: ConnectOptions): Promise<QuicConnection> {
  const signal = o.signal;
  const abortError = (): AbortError => new AbortError(`connect to ${o.host}:${o.port} aborted`, { cause: signal?.reason });
  if (signal?.aborted) throw abortError();
  if (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535) throw new RangeError(`port must be 1..65535, got ${o.port}`);
  const timeoutMs = o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError('handshakeTimeoutMs must be positive');
  const base = baseConfig(o);
  const provider = providerOf(o.crypto);
  const serverName = o.serverName ?? o.host;
  if (o.version !== undefined) checkVersion(o.version, 'version');
  const config: ConnectionConfig = {
    ...base,
    // The core's handshake deadline backs up the timer below (which a 0-RTT connection clears
    // when it settles early).
    transport: { handshakeTimeoutMs: timeoutMs, ...base.transport },
    ...(o.version !== undefined ? { version: o.version } : {}),
    serverName,
    verify: o.insecure === true ? { mode: 'insecure' } : { mode: 'ca', ca: trustAnchors(o.ca) },
    timeMs: Date.now(),
    ...(o.session !== undefined ? { session: typeof o.session === 'string' ? decodeSession(o.session) : o.session } : {}),
    ...(o.sessionStore !== undefined ? { sessionStore: o.sessionStore } : {}),
    ...(o.earlyData === true ? { earlyData: true } : {}),
    ...(o.usePreferredAddress === false ? { usePreferredAddress: false } : {}),
  };
  const warn = o.onWarning ?? (() => {});
  if (o.keylog !== undefined) config.keylog = keylogAppender(o.keylog, (e) => warn({ kind: 'socket', message: `keylog: ${e.message}`, error: e }));
  const qlog = o.qlogDir !== undefined ? new QlogFileSink((e) => warn({ kind: 'socket', message: `qlog: ${e.message}`, error: e })) : undefined;
  if (qlog) config.qlog = qlog;

  // With an IPv4 local address only an IPv4 server address can be reached.
  const remote = await resolveRemote(o.host, o.port, o.localAddress !== undefined && isIP(o.localAddress) === 4 ? 4 : undefined);
  if (signal?.aborted) throw abortError();
  const v6 = isIP(remote.host) === 6;
  const host: IoHost = await IoHost.create({
    sockets: [
      {
        host: o.localAddress ?? (v6 ? '::' : '0.0.0.0'),
        port: o.localPort ?? 0,
        ...(o.recvBufferSize !== undefined ? { recvBufferSize: o.recvBufferSize } : {}),
        ...(o.sendBufferSize !== undefined ? { sendBufferSize: o.sendBufferSize } : {}),
      },
    ],
    endpoint: (locals) => ({ local: locals[0]!, seed: seedFrom(provider.randomBytes(4)), ...(o.cidLength !== undefined ? { cidLength: o.cidLength } : {}) }),
    onWarning: warn,
    // The client's endpoint serves this one connection: its end closes the socket, after the
    // service round that sends its CONNECTION_CLOSE.
    onEnded: async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await host.close();
    },
  });
  if (signal?.aborted) {
    await host.close();
    throw abortError();
  }
  const now = host.now();
  let qc: QuicConnection;
  try {
    const core = host.endpoint.connect(now, remote, config);
    qlog?.open(o.qlogDir!, core.originalDcid, 'client', (t) => host.driver.clock.wallTime(t), now);
    qc = host.adopt(core, qlog);
  } catch (e) {
    await host.close();
    throw e;
  }
  host.schedule();

  const target = `${addressKey(remote)}${serverName !== o.host || isIP(o.host) === 0 ? ` (${serverName})` : ''}`;
  return new Promise<QuicConnection>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve(qc);
      // A failed connection tears down at once (it was never established); reject once its
      // socket is closed, so nothing of it outlives the rejection.
      else void qc.closed.then(() => reject(err));
    };
    /** Gives up: CONNECTION_CLOSE (RFC 9000 §10.2), then the socket closes. */
    const giveUp = (err: Error, reason: string): void => {
      settle(err);
      qc.onHandshakeResult = undefined;
      try {
        qc.core.close(host.now(), ErrorCode.NO_ERROR, reason, false);
      } catch {
        // already closing
      }
      host.schedule();
    };
    const onAbort = (): void => giveUp(abortError(), 'connect aborted');
    const timer = setTimeout(
      () => giveUp(new QuicError(`connect to ${target} failed: no handshake within ${timeoutMs} ms`, 'ERR_QUIC_HANDSHAKE_TIMEOUT'), 'handshake timeout'),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    // RFC 9001 §4.6.1: with 0-RTT keys the application may send at once.
    if (qc.core.early.keys !== undefined) settle();
    qc.onHandshakeResult = (err) => {
      if (err === undefined) settle();
      else settle(new QuicError(`connect to ${target} failed: ${err.message}`, (err as QuicError).code ?? 'ERR_QUIC_HANDSHAKE_FAILED', (err as QuicError).closeInfo, { cause: err }));
    };
  });
}

/** The server's address: an IP literal as is, a name resolved (the first address, of `family` if given). */
async function resolveRemote(host: string, port: number, family: 4 | undefined): Promise<SocketAddress> {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(h) !== 0) return { host: h, port };
  try {
    return { host: (await lookup(h, family !== undefined ? { family } : {})).address, port };
  } catch (e) {
    throw new Error(`connect: cannot resolve "${host}": ${(e as Error).message}`, { cause: e });
  }
}
