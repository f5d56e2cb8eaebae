/**
 * HTTP/0.9 over QUIC ("hq-interop", the protocol of the QUIC interop runner): the client opens
 * one bidirectional stream per request and sends `GET /path\r\n` and its FIN; the server answers
 * with the file's bytes and its FIN on the same stream — no status line, no headers. A request
 * that cannot be served is answered with RESET_STREAM and STOP_SENDING (RFC 9000 §19.4, §19.5)
 * carrying one of the `HqErrorCode`s; the connection stays up for the other requests.
 *
 * The server serves regular files below `root` only. The request target is percent-decoded and
 * its dot segments resolved (RFC 3986 §5.2.4) before anything touches the file system; a target
 * that climbs above the root, contains an empty segment (`//x`), a NUL, a backslash or an
 * encoded slash is refused. The resolved file is then checked with realpath, so a symbolic link
 * leading outside the root is refused too, and opened with O_NOFOLLOW and compared (device,
 * inode) with what was checked. That file handling is shared with the HTTP/3 server (files.ts).
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { QuicConnection } from '../io/connection.js';
import type { QuicServer } from '../io/server.js';
import type { QuicStream } from '../io/stream.js';
import { FileRefusal, FileRoot, READ_CHUNK, resolveTargetPath } from './files.js';

/** The ALPN of HTTP/0.9 as the interop runner speaks it. */
export const HQ_ALPN = 'hq-interop';

/**
 * Application error codes of RESET_STREAM / STOP_SENDING on an hq request stream. HTTP/0.9 over
 * QUIC defines none; these are tquic's.
 */
export const HqErrorCode = {
  /** The request is malformed: no `GET`, too long a request line, a bad escape, or a path that leaves the root. */
  BAD_REQUEST: 0x1,
  /** No regular file of that name below the root: missing, a directory or special file, unreadable, or a link leading outside. */
  NOT_FOUND: 0x2,
  /** Reading the file failed after the response had started. */
  INTERNAL_ERROR: 0x3,
  /** The client gave up on the request (aborted, or its output file failed). */
  REQUEST_CANCELLED: 0x4,
} as const;
export type HqErrorCode = (typeof HqErrorCode)[keyof typeof HqErrorCode];

/** The default bound on the request line (bytes before its LF). */
export const DEFAULT_MAX_REQUEST_LINE = 8 * 1024;

/**
 * Options of `serveHq`: the directory served, logging, accepted ALPNs, the request-line bound and
 * the request timeout.
 */
export interface HqServerOptions {
  /** Directory whose regular files are served; must exist. */
  root: string;
  /** One line per request (and per refused request, with the reason). */
  log?: (line: string) => void;
  /** Serve only connections whose negotiated ALPN is one of these (default: every connection). */
  alpn?: string[];
  /** Most bytes of a request line before its LF (default 8 KiB); longer requests are refused. */
  maxRequestLine?: number;
  /** A request line not complete after this many ms is refused (default 10 000; 0 disables). */
  requestTimeoutMs?: number;
}

/** Counters of a running hq server. */
export interface HqServerStats {
  connections: number;
  requests: number;
  /** Responses whose file was sent completely and whose FIN was acknowledged. */
  served: number;
  /** Requests answered with a reset (any HqErrorCode). */
  refused: number;
  /** File bytes handed to streams. */
  bytesSent: number;
}

/** A target that cannot be served, and why. */
export interface TargetRefusal {
  code: HqErrorCode;
  reason: string;
}

/**
 * Parses a request line (without its line ending) into the path segments it names below the
 * root: `GET /a/b%20c.txt` → ['a', 'b c.txt']. Returns a refusal for anything else.
 */
export function parseRequestLine(line: string): string[] | TargetRefusal {
  const parts = line.split(' ');
  // HTTP/0.9: `GET SP target`; a trailing HTTP version token and trailing spaces are tolerated.
  while (parts.length > 2 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 3 && /^HTTP\/\d\.\d$/.test(parts[2]!)) parts.pop();
  if (parts.length !== 2 || parts[0] !== 'GET') return bad('request line is not "GET <path>"');
  return resolveTarget(parts[1]!);
}

/**
 * The path segments a request target names below the root, or a refusal. Query and fragment
 * (`?…`, `#…`) are dropped; segments are percent-decoded (UTF-8) and then dot segments resolved.
 */
export function resolveTarget(target: string): string[] | TargetRefusal {
  const r = resolveTargetPath(target);
  return Array.isArray(r) ? r : bad(r.reason);
}

function bad(reason: string): TargetRefusal {
  return { code: HqErrorCode.BAD_REQUEST, reason };
}

function isRefusal(x: string[] | TargetRefusal): x is TargetRefusal {
  return !Array.isArray(x);
}

/** Thrown inside the server's request handling: the request ends with this code. */
class Refused extends Error {
  constructor(
    readonly code: HqErrorCode,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * An HTTP/0.9 file server on a QuicServer: every connection the server accepts (optionally
 * filtered by ALPN) is served, each request stream independently.
 */
export class HqServer {
  readonly root: string;
  readonly stats: HqServerStats = { connections: 0, requests: 0, served: 0, refused: 0, bytesSent: 0 };
  private readonly files: FileRoot;
  private readonly server: QuicServer;
  private readonly log: ((line: string) => void) | undefined;
  private readonly alpn: string[] | undefined;
  private readonly maxLine: number;
  private readonly requestTimeoutMs: number;
  private readonly connections = new Map<QuicConnection, (st: QuicStream) => void>();
  private stopped = false;
  private readonly onConnection = (qc: QuicConnection): void => this.serveConnection(qc);

  constructor(server: QuicServer, o: HqServerOptions) {
    // Startup only: the root must exist and be a directory.
    this.files = new FileRoot(o.root, 'hq');
    this.root = this.files.root;
    this.server = server;
    this.log = o.log;
    this.alpn = o.alpn;
    this.maxLine = o.maxRequestLine ?? DEFAULT_MAX_REQUEST_LINE;
    if (!(Number.isInteger(this.maxLine) && this.maxLine > 0)) throw new RangeError('maxRequestLine must be a positive integer');
    this.requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
    server.on('connection', this.onConnection);
  }

  /** Stops taking new connections and requests; responses under way run to their end. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.server.off('connection', this.onConnection);
    for (const [qc, onStream] of this.connections) qc.off('stream', onStream);
    this.connections.clear();
  }

  /** Serves one connection's request streams (also usable for connections accepted elsewhere). */
  serveConnection(qc: QuicConnection): void {
    if (this.stopped || this.connections.has(qc)) return;
    if (this.alpn !== undefined && (qc.alpn === undefined || !this.alpn.includes(qc.alpn))) return;
    const onStream = (st: QuicStream): void => this.serveStream(qc, st);
    this.connections.set(qc, onStream);
    this.stats.connections++;
    qc.on('stream', onStream);
    void qc.closed.then(() => this.connections.delete(qc));
  }

  private serveStream(qc: QuicConnection, st: QuicStream): void {
    const who = `${qc.remoteAddress.host}:${qc.remoteAddress.port} stream ${st.id}`;
    st.on('error', () => {
      // Peer resets and connection closes end the request; the 'close' handlers clean up.
    });
    if (!st.bidirectional) {
      // hq uses bidirectional streams only: a peer's unidirectional stream is not read.
      st.stopSending(HqErrorCode.BAD_REQUEST);
      return;
    }
    let buffered: Buffer[] = [];
    let length = 0;
    let state: 'line' | 'after' = 'line';
    let extra = 0;
    const timer =
      this.requestTimeoutMs > 0
        ? setTimeout(() => {
            if (state === 'line') finishLine(undefined, 'request line timed out');
          }, this.requestTimeoutMs)
        : undefined;
    timer?.unref();

    const finishLine = (line: Buffer | undefined, failure?: string): void => {
      state = 'after';
      if (timer !== undefined) clearTimeout(timer);
      buffered = [];
      this.stats.requests++;
      if (line === undefined) {
        this.refuse(st, who, '', HqErrorCode.BAD_REQUEST, failure ?? 'no request');
        return;
      }
      void this.respond(st, who, line);
    };

    st.on('data', (chunk: Buffer) => {
      if (state === 'after') {
        // Bytes after the request line are read and dropped; a peer that keeps sending is stopped.
        extra += chunk.length;
        if (extra > this.maxLine) st.stopSending(HqErrorCode.BAD_REQUEST);
        return;
      }
      const lf = chunk.indexOf(0x0a);
      if (lf < 0) {
        buffered.push(chunk);
        length += chunk.length;
        if (length > this.maxLine) finishLine(undefined, `request line longer than ${this.maxLine} bytes`);
        return;
      }
      if (length + lf > this.maxLine + 1) {
        finishLine(undefined, `request line longer than ${this.maxLine} bytes`);
        return;
      }
      buffered.push(chunk.subarray(0, lf));
      extra = chunk.length - lf - 1;
      let line = Buffer.concat(buffered);
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > this.maxLine) finishLine(undefined, `request line longer than ${this.maxLine} bytes`);
      else finishLine(line);
    });
    st.on('end', () => {
      // A request ended by its FIN alone (no line ending) is taken as it is.
      if (state === 'line') finishLine(length > 0 ? Buffer.concat(buffered) : undefined, 'stream ended without a request');
    });
    st.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
    });
  }

  private async respond(st: QuicStream, who: string, lineBytes: Buffer): Promise<void> {
    let line: string;
    try {
      line = new TextDecoder('utf-8', { fatal: true }).decode(lineBytes);
    } catch {
      this.refuse(st, who, '', HqErrorCode.BAD_REQUEST, 'request line is not UTF-8');
      return;
    }
    const printable = JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
    const segments = parseRequestLine(line);
    if (isRefusal(segments)) {
      this.refuse(st, who, printable, segments.code, segments.reason);
      return;
    }
    let handle: FileHandle | undefined;
    let size: number;
    try {
      const opened = await this.openFile(segments);
      handle = opened.handle;
      size = opened.stats.size;
    } catch (e) {
      const r = e instanceof Refused ? e : new Refused(HqErrorCode.NOT_FOUND, (e as Error).message);
      this.refuse(st, who, printable, r.code, r.message);
      return;
    }
    if (st.destroyed || !st.writable) {
      await handle.close().catch(() => {});
      this.log?.(`hq ${who} ${printable}: stream gone before the response`);
      return;
    }
    this.sendFile(st, who, printable, handle, size);
  }

  /** Opens the regular file the segments name below the root (see FileRoot.open). */
  private async openFile(segments: string[]): Promise<{ handle: FileHandle; stats: Stats }> {
    try {
      return await this.files.open(segments);
    } catch (e) {
      if (e instanceof FileRefusal) throw new Refused(e.kind === 'bad_request' ? HqErrorCode.BAD_REQUEST : HqErrorCode.NOT_FOUND, e.message);
      throw e;
    }
  }

  /** Streams the file into the request stream, honouring its backpressure, then the FIN. */
  private sendFile(st: QuicStream, who: string, printable: string, handle: FileHandle, size: number): void {
    const rs = handle.createReadStream({ highWaterMark: READ_CHUNK, autoClose: true });
    let sent = 0;
    let failed = false;
    rs.on('data', (chunk: string | Buffer) => {
      sent += chunk.length;
      this.stats.bytesSent += chunk.length;
    });
    rs.on('error', (e) => {
      failed = true;
      rs.unpipe(st);
      this.refuse(st, who, printable, HqErrorCode.INTERNAL_ERROR, `read failed after ${sent} bytes: ${e.message}`);
    });
    // pipe: write() → false pauses the file until 'drain'; the file's end ends the stream (FIN).
    rs.pipe(st);
    st.on('finish', () => {
      this.stats.served++;
      this.log?.(`hq ${who} ${printable}: sent ${sent} bytes`);
    });
    st.on('close', () => {
      if (!st.writableFinished && !failed) this.log?.(`hq ${who} ${printable}: stream closed after ${sent} of ${size} bytes`);
      rs.destroy();
    });
  }

  /** Ends a request with RESET_STREAM and, if its request is still arriving, STOP_SENDING. */
  private refuse(st: QuicStream, who: string, printable: string, code: HqErrorCode, reason: string): void {
    this.stats.refused++;
    this.log?.(`hq ${who} ${printable || '(no request)'}: refused with code ${code}: ${reason}`);
    st.reset(code);
    if (!st.destroyed) st.stopSending(code);
  }
}

/** Serves files under `o.root` over HTTP/0.9 on every connection `server` accepts. */
export function serveHq(server: QuicServer, o: HqServerOptions): HqServer {
  return new HqServer(server, o);
}
