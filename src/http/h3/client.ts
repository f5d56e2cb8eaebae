/**
 * The HTTP/3 client (RFC 9114): many GET or HEAD requests on one QUIC connection, each on its
 * own request stream (HEADERS and the FIN), the response read as HEADERS, DATA and optional
 * trailers. A stream error or reset fails that request only.
 *
 * After a GOAWAY (RFC 9114 §5.2) no new request is sent, and requests on streams at or above its
 * ID are cancelled: the server will not process them, so they are reported `retryable`, as are
 * requests the server rejected with H3_REQUEST_REJECTED (§4.1.1).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuicConnection } from '../../io/connection.js';
import type { QuicStream } from '../../io/stream.js';
import { outputFileName, type HqResult } from '../hq-client.js';
import { H3ErrorCode, h3ErrorName } from './errors.js';
import { fieldsToRecord, type FieldLine, type ResponseHead } from './fields.js';
import { MessageReader } from './message.js';
import { H3_ALPN, H3Session, type H3SessionOptions } from './session.js';

/**
 * Options of `fetchH3`: where bodies go, how many requests run at once, cancellation and progress
 * callbacks, the method, authority and extra header fields, and the HTTP/3 session settings.
 */
export interface H3FetchOptions {
  /** Write each 2xx body to `outputDir/<last path segment>` (default: keep bodies in memory, `H3Result.body`). */
  outputDir?: string;
  /** Requests in flight at once (default 100); the peer's stream limit may hold some back. */
  concurrency?: number;
  /** Cancels what is left: waiting requests fail, running ones are reset with H3_REQUEST_CANCELLED. */
  signal?: AbortSignal;
  /** Body bytes as they arrive: `bytes` more for `path`. */
  onProgress?: (bytes: number, path: string) => void;
  /** One request finished (successfully or not). */
  onDone?: (result: H3Result) => void;
  /** GET (default) or HEAD. */
  method?: 'GET' | 'HEAD';
  /** :authority for targets given as paths (default: the server's address, host:port). */
  authority?: string;
  /** More request fields (lower-case names; no pseudo-headers). */
  headers?: readonly FieldLine[];
  /** The session's SETTINGS, used if this call creates the connection's HTTP/3 session. */
  session?: Omit<H3SessionOptions, 'log'>;
  /** Connection-level events (errors, GOAWAY) of a session this call creates. */
  log?: (line: string) => void;
}

/** The outcome of one request. */
export interface H3Result extends HqResult {
  /** The final response's status code, once it arrived. */
  status?: number;
  /** The final response's fields (repeated ones joined with ", "). */
  headers?: Record<string, string>;
  /** The trailer fields, if the response had any. */
  trailers?: Record<string, string>;
  /** The server did not process the request (GOAWAY, H3_REQUEST_REJECTED): it may be retried elsewhere. */
  retryable?: boolean;
}

const DEFAULT_CONCURRENCY = 100;
/** Most bytes of a non-2xx body kept in memory for the result. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Downloads `targets` (paths like "/a.txt" or https URLs) over `connection`, whose ALPN must be
 * h3, at most `concurrency` at a time. Never rejects: every target gets an H3Result, in order.
 * `ok` means a 2xx response whose content matched its content-length, written out completely.
 */
export async function fetchH3(connection: QuicConnection, targets: readonly string[], o: H3FetchOptions = {}): Promise<H3Result[]> {
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new RangeError('concurrency must be a positive integer');
  const method = o.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') throw new RangeError('method must be GET or HEAD');
  const results = new Array<H3Result>(targets.length);
  if (connection.alpn !== undefined && connection.alpn !== H3_ALPN) {
    targets.forEach((path, i) => {
      results[i] = { path, ok: false, bytes: 0, durationMs: 0, error: `the connection's ALPN is ${connection.alpn}, not ${H3_ALPN}` };
      o.onDone?.(results[i]!);
    });
    return results;
  }
  const session = H3Session.for(connection, { ...(o.session ?? {}), ...(o.log !== undefined ? { log: o.log } : {}) });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const r = await fetchOne(session, targets[i]!, method, o);
      results[i] = r;
      o.onDone?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return results;
}

/** :authority and :path of a target: a path, or an https URL. */
function parseTarget(target: string, qc: QuicConnection, o: H3FetchOptions): { authority: string; path: string } | string {
  if (typeof target !== 'string' || target.length === 0) return 'empty target';
  if (target.startsWith('/')) {
    if (/[\x00-\x20\x7f]/.test(target)) return 'invalid path: contains whitespace or control characters';
    const r = qc.remoteAddress;
    return { authority: o.authority ?? `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`, path: target };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'invalid URL';
  }
  if (url.protocol !== 'https:') return `scheme ${url.protocol} is not https:`;
  if (url.username !== '' || url.password !== '') return 'URL with userinfo';
  return { authority: o.authority ?? url.host, path: (url.pathname || '/') + url.search };
}

async function fetchOne(session: H3Session, target: string, method: 'GET' | 'HEAD', o: H3FetchOptions): Promise<H3Result> {
  const qc = session.connection;
  const t0 = performance.now();
  let bytes = 0;
  let status: number | undefined;
  let headers: Record<string, string> | undefined;
  let trailers: Record<string, string> | undefined;
  const fail = (error: string, errorCode?: number, retryable?: boolean): H3Result => ({
    path: target,
    ok: false,
    bytes,
    durationMs: performance.now() - t0,
    error,
    ...(errorCode !== undefined ? { errorCode } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(headers !== undefined ? { headers } : {}),
    ...(retryable === true ? { retryable } : {}),
  });
  const t = parseTarget(target, qc, o);
  if (typeof t === 'string') return fail(t);
  let file: string | undefined;
  if (o.outputDir !== undefined) {
    const name = outputFileName(t.path);
    if (name === undefined) return fail('invalid path: no file name in its last segment');
    file = join(o.outputDir, name);
  }
  if (o.signal?.aborted) return fail('aborted', H3ErrorCode.H3_REQUEST_CANCELLED);
  // RFC 9114 §5.2: no new requests after GOAWAY.
  if (session.goawayReceived !== undefined) return fail(`not sent: the server sent GOAWAY ${session.goawayReceived}`, undefined, true);
  if (session.error !== undefined || qc.closeInfo !== undefined) return fail('connection closed');

  let st: QuicStream;
  try {
    st = await qc.openStream(o.signal !== undefined ? { signal: o.signal } : {});
  } catch (e) {
    return fail((e as Error).message, o.signal?.aborted ? H3ErrorCode.H3_REQUEST_CANCELLED : undefined);
  }
  if (session.goawayReceived !== undefined && st.id >= session.goawayReceived) {
    st.destroy();
    return fail(`not sent: the server sent GOAWAY ${session.goawayReceived}`, undefined, true);
  }

  session.requestOpened(st.id);
  const fields: FieldLine[] = [
    [':method', method],
    [':scheme', 'https'],
    [':authority', t.authority],
    [':path', t.path],
    ...(o.headers ?? []),
    ['user-agent', 'tquic'],
  ];
  let frame: Uint8Array;
  try {
    frame = session.headersFrame(st.id, fields);
  } catch (e) {
    st.destroy();
    return fail(`request not sent: ${(e as Error).message}`);
  }

  const chunks: Buffer[] = [];
  let ws: WriteStream | undefined;
  let contentLength: number | undefined;
  let retryable = false;
  let reader: MessageReader<ResponseHead> | undefined;
  const cancel = (reason: string): void => reader?.streamError(H3ErrorCode.H3_REQUEST_CANCELLED, reason);
  const onAbort = (): void => cancel('aborted');
  const onGoaway = (id: number): void => {
    // RFC 9114 §5.2: the server will not process this request.
    if (st.id >= id) {
      retryable = true;
      cancel(`the server sent GOAWAY ${id}`);
    }
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  session.on('goaway', onGoaway);
  try {
    await new Promise<void>((resolve, reject) => {
      reader = new MessageReader<ResponseHead>(
        session,
        st,
        'response',
        {
          onHead: (h) => {
            if (h.status < 200) return;
            status = h.status;
            headers = fieldsToRecord(h.fields);
            contentLength = h.contentLength;
            if (file !== undefined && method === 'GET' && status >= 200 && status < 300) {
              ws = createWriteStream(file);
              ws.on('error', (e) => {
                cancel(`cannot write ${file}: ${e.message}`);
                reject(e);
              });
            }
          },
          onData: (b) => {
            bytes += b.length;
            o.onProgress?.(b.length, target);
            const chunk = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
            if (ws !== undefined) {
              if (!ws.write(chunk)) {
                reader?.pause();
                ws.once('drain', () => reader?.resume());
              }
            } else if (status !== undefined && status >= 200 && status < 300) chunks.push(chunk);
            else if (bytes <= MAX_ERROR_BODY) chunks.push(chunk);
          },
          onTrailers: (f) => {
            trailers = fieldsToRecord(f);
          },
          onEnd: resolve,
          onError: (err, code) => reject(Object.assign(err, { h3Code: code })),
        },
        // RFC 9114 §4.1.2: responses to HEAD, and 204 / 304, carry no content whatever their content-length.
        { noContentFor: (s) => method === 'HEAD' || s === 204 || s === 304 },
      );
      st.end(frame);
    });
    if (ws !== undefined) {
      const w = ws;
      w.end();
      if (!w.closed) await once(w, 'close');
    }
  } catch (e) {
    if (ws !== undefined) {
      const w = ws;
      if (!w.closed) {
        w.destroy();
        await once(w, 'close').catch(() => {});
      }
      await rm(file!, { force: true }).catch(() => {});
    }
    const code = (e as { h3Code?: number }).h3Code;
    if (code === H3ErrorCode.H3_REQUEST_REJECTED) retryable = true;
    // A connection that ends after GOAWAY has not processed requests at or above its ID.
    if (session.goawayReceived !== undefined && st.id >= session.goawayReceived) retryable = true;
    const named = code !== undefined && !(e as Error).message.includes(h3ErrorName(code)) ? ` (${h3ErrorName(code)})` : '';
    return fail(`${(e as Error).message}${named}`, code, retryable);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    session.off('goaway', onGoaway);
  }
  const success = status !== undefined && status >= 200 && status < 300;
  const result: H3Result = {
    path: target,
    ok: success,
    bytes,
    durationMs: performance.now() - t0,
    ...(status !== undefined ? { status } : {}),
    ...(headers !== undefined ? { headers } : {}),
    ...(trailers !== undefined ? { trailers } : {}),
  };
  if (file !== undefined && ws !== undefined) result.file = file;
  else result.body = Buffer.concat(chunks);
  if (!success) result.error = `HTTP status ${status ?? '-'}`;
  else if (method === 'GET' && contentLength !== undefined && bytes !== contentLength) {
    // Checked by the message reader already; kept as a last guard on the result.
    result.ok = false;
    result.error = `content-length ${contentLength} but ${bytes} bytes`;
  }
  return result;
}
