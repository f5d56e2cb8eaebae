/**
 * An HTTP/3 file server (RFC 9114) on a QuicServer: GET and HEAD of the regular files below a
 * root, with the same safety as the HTTP/0.9 server (files.ts): nothing outside the root is
 * ever opened.
 *
 * Each request is read completely (its content is discarded, Content-Length checked, RFC 9114
 * §4.1.2) before the response: 200 with content-length and content-type, 404 for a missing
 * file, 400 for a path that cannot name one, 405 (with allow) for other methods — those are
 * answered at once, and the rest of the request is refused with STOP_SENDING H3_NO_ERROR
 * (§4.1). The body is one DATA frame read from the file only as fast as the client takes it.
 *
 * `close()` shuts down gracefully (RFC 9114 §5.2): GOAWAY on every connection, requests under
 * way finish, then CONNECTION_CLOSE with H3_NO_ERROR.
 */
import type { FileHandle } from 'node:fs/promises';
import type { QuicConnection } from '../../io/connection.js';
import type { QuicServer } from '../../io/server.js';
import type { QuicStream } from '../../io/stream.js';
import { contentType, FileRefusal, FileRoot, READ_CHUNK, resolveTargetPath } from '../files.js';
import { H3ErrorCode, h3ErrorName } from './errors.js';
import type { FieldLine, RequestHead } from './fields.js';
import { MessageReader } from './message.js';
import { H3_ALPN, H3Session, type H3SessionOptions } from './session.js';

/**
 * Options of `serveH3`: the directory served, logging, accepted ALPNs, the request timeout and the
 * HTTP/3 session settings.
 */
export interface H3ServerOptions {
  /** Directory whose regular files are served; must exist. */
  root: string;
  /** One line per request (and per refused request, with the reason) and per connection error. */
  log?: (line: string) => void;
  /** Serve only connections whose negotiated ALPN is one of these (default ['h3']). */
  alpn?: string[];
  /** A request not complete after this many ms is refused with H3_REQUEST_INCOMPLETE (default 10 000; 0 disables). */
  requestTimeoutMs?: number;
  /** SETTINGS and limits of each connection's HTTP/3 session. */
  session?: Omit<H3SessionOptions, 'log'>;
}

/** Counters of a running HTTP/3 server. */
export interface H3ServerStats {
  connections: number;
  /** Request streams opened by clients. */
  requests: number;
  /** 2xx responses sent completely, their FIN acknowledged. */
  served: number;
  /** Requests answered with a 4xx status or ended with a stream error. */
  refused: number;
  /** File bytes handed to streams. */
  bytesSent: number;
}

/** Per-connection state: the session and the requests under way. */
interface Served {
  session: H3Session;
  active: number;
  /** Resolves when `active` drops to 0 (set while a shutdown waits). */
  onIdle: (() => void) | undefined;
}

const SERVER_NAME = 'tquic';

export class H3Server {
  readonly root: string;
  readonly stats: H3ServerStats = { connections: 0, requests: 0, served: 0, refused: 0, bytesSent: 0 };
  private readonly files: FileRoot;
  private readonly server: QuicServer;
  private readonly log: ((line: string) => void) | undefined;
  private readonly alpn: readonly string[];
  private readonly requestTimeoutMs: number;
  private readonly sessionOptions: H3SessionOptions;
  private readonly served = new Map<QuicConnection, Served>();
  private stopped = false;
  private closing: Promise<void> | undefined;
  private readonly onConnection = (qc: QuicConnection): void => this.serveConnection(qc);

  constructor(server: QuicServer, o: H3ServerOptions) {
    this.files = new FileRoot(o.root, 'h3');
    this.root = this.files.root;
    this.server = server;
    this.log = o.log;
    this.alpn = o.alpn ?? [H3_ALPN];
    this.requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
    this.sessionOptions = { ...(o.session ?? {}), ...(o.log !== undefined ? { log: o.log } : {}) };
    server.on('connection', this.onConnection);
    // QuicServer.close() runs this before it closes the connections: GOAWAY and a drain.
    server.onShutdown(() => this.close({ timeoutMs: DEFAULT_SHUTDOWN_DRAIN_MS }));
  }

  /** The HTTP/3 sessions being served. */
  get sessions(): H3Session[] {
    return [...this.served.values()].map((s) => s.session);
  }

  /**
   * Serves one connection (also usable for connections accepted elsewhere), if its ALPN is one
   * of ours. Must be called as soon as the connection is established, before its streams are read.
   */
  serveConnection(qc: QuicConnection): void {
    if (this.stopped || this.served.has(qc) || qc.closeInfo !== undefined) return;
    if (qc.alpn === undefined || !this.alpn.includes(qc.alpn)) return;
    const session = H3Session.for(qc, this.sessionOptions);
    const s: Served = { session, active: 0, onIdle: undefined };
    this.served.set(qc, s);
    this.stats.connections++;
    session.on('request', (st) => this.onRequest(s, st));
    void qc.closed.then(() => {
      this.served.delete(qc);
      s.onIdle?.();
    });
  }

  /**
   * Stops taking new connections, and new requests on the connections it serves (GOAWAY, RFC
   * 9114 §5.2); responses under way run to their end.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.server.off('connection', this.onConnection);
    for (const s of this.served.values()) if (s.session.connection.closeInfo === undefined) s.session.goaway();
  }

  /**
   * Graceful shutdown (RFC 9114 §5.2): GOAWAY on every connection, then each connection is
   * closed with H3_NO_ERROR once its requests under way are done, or after `timeoutMs`
   * (default 5000). `QuicServer.close()` calls it (bounded by its shutdown timeout) before it
   * closes the connections; call it directly for a longer drain.
   */
  close(o: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      this.stop();
      const timeoutMs = o.timeoutMs ?? 5000;
      await Promise.all([...this.served.values()].map((s) => this.shutdown(s, timeoutMs)));
    })();
    return this.closing;
  }

  private async shutdown(s: Served, timeoutMs: number): Promise<void> {
    const qc = s.session.connection;
    if (qc.closeInfo !== undefined) return;
    if (s.active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        s.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // One service round for the GOAWAY to leave before the CONNECTION_CLOSE.
    await new Promise((r) => setImmediate(r));
    await s.session.close('server shutting down');
  }

  private onRequest(s: Served, st: QuicStream): void {
    const session = s.session;
    const qc = session.connection;
    const who = `${session.who} stream ${st.id}`;
    this.stats.requests++;
    s.active++;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      s.active--;
      if (s.active === 0) s.onIdle?.();
    };
    st.on('close', release);
    let head: RequestHead | undefined;
    let responded = false;
    const timer =
      this.requestTimeoutMs > 0
        ? setTimeout(() => {
            if (!reader.complete) reader.streamError(H3ErrorCode.H3_REQUEST_INCOMPLETE, 'request timed out');
          }, this.requestTimeoutMs)
        : undefined;
    timer?.unref();
    const reader: MessageReader<RequestHead> = new MessageReader<RequestHead>(session, st, 'request', {
      onHead: (h) => {
        head = h;
        if (h.method !== 'GET' && h.method !== 'HEAD') {
          // RFC 9114 §4.1: answer now and refuse the rest of the request with H3_NO_ERROR.
          if (timer !== undefined) clearTimeout(timer);
          responded = true;
          reader.stopReading(H3ErrorCode.H3_NO_ERROR);
          this.sendSimple(session, st, who, describe(h), 405, 'method not allowed\n', h.method, [['allow', 'GET, HEAD']]);
        }
      },
      onData: () => {
        // Request content is not used: it is read (flow credit returns to the client) and dropped.
      },
      onEnd: () => {
        if (timer !== undefined) clearTimeout(timer);
        if (responded || head === undefined) return;
        responded = true;
        void this.respond(session, st, who, head).catch((e: unknown) => {
          this.log?.(`h3 ${who}: internal error: ${(e as Error).message}`);
          if (!st.destroyed) st.reset(H3ErrorCode.H3_INTERNAL_ERROR);
        });
      },
      onError: (err, code) => {
        if (timer !== undefined) clearTimeout(timer);
        if (responded) return;
        this.stats.refused++;
        const closed = qc.closeInfo !== undefined;
        this.log?.(`h3 ${who}${head ? ` ${describe(head)}` : ''}: ${closed ? 'connection closed' : `ended with ${code !== undefined ? h3ErrorName(code) : 'an error'}`}: ${err.message}`);
        release();
      },
    });
  }

  private async respond(session: H3Session, st: QuicStream, who: string, head: RequestHead): Promise<void> {
    const what = describe(head);
    const target = resolveTargetPath(head.path ?? '');
    if (!Array.isArray(target)) {
      this.sendSimple(session, st, who, what, 400, `bad request: ${target.reason}\n`, head.method, [], target.reason);
      return;
    }
    let handle: FileHandle;
    let size: number;
    try {
      const opened = await this.files.open(target);
      handle = opened.handle;
      size = opened.stats.size;
    } catch (e) {
      const bad = e instanceof FileRefusal && e.kind === 'bad_request';
      this.sendSimple(session, st, who, what, bad ? 400 : 404, bad ? 'bad request\n' : 'not found\n', head.method, [], (e as Error).message);
      return;
    }
    if (st.destroyed || !st.writable) {
      await handle.close().catch(() => {});
      this.log?.(`h3 ${who} ${what}: stream gone before the response`);
      return;
    }
    const fields: FieldLine[] = [
      [':status', '200'],
      ['content-length', String(size)],
      ['content-type', contentType(target[target.length - 1]!)],
      ['server', SERVER_NAME],
    ];
    if (!this.writeHead(session, st, who, what, fields)) {
      await handle.close().catch(() => {});
      return;
    }
    if (head.method === 'HEAD' || size === 0) {
      await handle.close().catch(() => {});
      st.on('finish', () => {
        this.stats.served++;
        this.log?.(`h3 ${who} ${what}: 200, ${head.method === 'HEAD' ? 'headers only' : '0 bytes'}`);
      });
      st.end();
      return;
    }
    this.sendFile(session, st, who, what, handle, size);
  }

  /** Writes the response's HEADERS frame; false (and the stream reset) if it cannot be encoded. */
  private writeHead(session: H3Session, st: QuicStream, who: string, what: string, fields: FieldLine[]): boolean {
    let frame: Uint8Array;
    try {
      frame = session.headersFrame(st.id, fields);
    } catch (e) {
      this.log?.(`h3 ${who} ${what}: cannot send the response header: ${(e as Error).message}`);
      st.reset(H3ErrorCode.H3_INTERNAL_ERROR);
      return false;
    }
    st.write(frame);
    return true;
  }

  /** A short response (errors): HEADERS, one DATA frame unless HEAD, FIN. */
  private sendSimple(session: H3Session, st: QuicStream, who: string, what: string, status: number, body: string, method: string, extra: FieldLine[] = [], reason?: string): void {
    this.stats.refused++;
    this.log?.(`h3 ${who} ${what}: ${status}${reason !== undefined ? `: ${reason}` : ''}`);
    if (st.destroyed || !st.writable) return;
    const bytes = Buffer.from(body);
    const fields: FieldLine[] = [[':status', String(status)], ['content-type', 'text/plain; charset=utf-8'], ['content-length', String(bytes.length)], ...extra, ['server', SERVER_NAME]];
    if (!this.writeHead(session, st, who, what, fields)) return;
    if (method !== 'HEAD' && bytes.length > 0) {
      st.write(session.dataHeader(st.id, bytes.length));
      st.write(bytes);
    }
    st.end();
  }

  /**
   * The file as one DATA frame (RFC 9114 §7.2.1), read only as fast as the stream accepts it
   * (pipe pauses the file while write() returns false); exactly `size` bytes or a reset.
   */
  private sendFile(session: H3Session, st: QuicStream, who: string, what: string, handle: FileHandle, size: number): void {
    st.write(session.dataHeader(st.id, size));
    const rs = handle.createReadStream({ highWaterMark: READ_CHUNK, autoClose: true, start: 0, end: size - 1 });
    let sent = 0;
    let failed = false;
    const abort = (why: string): void => {
      failed = true;
      rs.unpipe(st);
      rs.destroy();
      this.stats.refused++;
      this.log?.(`h3 ${who} ${what}: ${why}`);
      if (!st.destroyed) st.reset(H3ErrorCode.H3_INTERNAL_ERROR);
    };
    rs.on('data', (chunk: string | Buffer) => {
      sent += chunk.length;
      this.stats.bytesSent += chunk.length;
    });
    rs.on('error', (e) => abort(`read failed after ${sent} bytes: ${e.message}`));
    rs.on('end', () => {
      // The file shrank while being sent: the response cannot match its content-length.
      if (sent !== size) abort(`file ended after ${sent} of ${size} bytes`);
      else if (!st.destroyed) st.end();
    });
    rs.pipe(st, { end: false });
    st.on('finish', () => {
      this.stats.served++;
      this.log?.(`h3 ${who} ${what}: 200, sent ${sent} bytes`);
    });
    st.on('close', () => {
      if (!st.writableFinished && !failed) {
        this.log?.(`h3 ${who} ${what}: ${sent === size ? `all ${size} bytes sent, stream closed before the FIN was acknowledged` : `stream closed after ${sent} of ${size} bytes`}`);
      }
      rs.destroy();
    });
  }
}

function describe(h: RequestHead): string {
  const p = h.path ?? h.authority ?? '';
  return `${h.method} ${JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p)}`;
}

/**
 * The drain of a QuicServer shutdown: as long as the server's own bound on its shutdown hooks
 * (`close({ timeoutMs })`) allows, which ends it first.
 */
const DEFAULT_SHUTDOWN_DRAIN_MS = 600_000;

/** Serves files under `o.root` over HTTP/3 on every connection `server` accepts with ALPN h3. */
export function serveH3(server: QuicServer, o: H3ServerOptions): H3Server {
  return new H3Server(server, o);
}
