/**
 * The HTTP/0.9 ("hq-interop") client: many GET requests on one QUIC connection, each on its own
 * bidirectional stream (`GET /path\r\n` and the FIN), the response being the stream's bytes up
 * to the server's FIN. A RESET_STREAM or STOP_SENDING from the server fails that request only.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuicConnection } from '../io/connection.js';
import { QuicStreamError } from '../io/errors.js';
import type { QuicStream } from '../io/stream.js';
import { HqErrorCode } from './hq-server.js';

/**
 * Options of `fetchHq`: where bodies go, how many requests run at once, and cancellation and
 * progress callbacks.
 */
export interface HqFetchOptions {
  /** Write each body to `outputDir/<last path segment>` (default: keep bodies in memory, `HqResult.body`). */
  outputDir?: string;
  /** Requests in flight at once (default 100); the peer's stream limit may hold some back. */
  concurrency?: number;
  /** Cancels what is left: waiting requests fail, running ones are reset with REQUEST_CANCELLED. */
  signal?: AbortSignal;
  /** Body bytes as they arrive: `bytes` more for `path`. */
  onProgress?: (bytes: number, path: string) => void;
  /** One request finished (successfully or not). */
  onDone?: (result: HqResult) => void;
}

/** The outcome of one request. */
export interface HqResult {
  path: string;
  /** The whole body arrived (the server's FIN) and, with `outputDir`, was written. */
  ok: boolean;
  /** Body bytes received. */
  bytes: number;
  /** From opening the stream to the end of the body (or the failure), in ms. */
  durationMs: number;
  /** The body, when no `outputDir` was given and the request succeeded. */
  body?: Buffer;
  /** The file written, with `outputDir` (removed again when the request failed). */
  file?: string;
  /** Why the request failed. */
  error?: string;
  /** The application error code of the server's RESET_STREAM / STOP_SENDING (see HqErrorCode). */
  errorCode?: number;
}

const DEFAULT_CONCURRENCY = 100;

/**
 * Downloads `paths` over `connection`, at most `concurrency` at a time. Never rejects: every
 * path gets an HqResult, in the order of `paths`.
 */
export async function fetchHq(connection: QuicConnection, paths: readonly string[], o: HqFetchOptions = {}): Promise<HqResult[]> {
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new RangeError('concurrency must be a positive integer');
  const results = new Array<HqResult>(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const r = await fetchOne(connection, paths[i]!, o);
      results[i] = r;
      o.onDone?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return results;
}

/**
 * The file name a path's body is saved under: its last segment, percent-decoded. Undefined when
 * that would not be a plain name inside the output directory.
 */
export function outputFileName(path: string): string | undefined {
  const end = path.search(/[?#]/);
  const p = end >= 0 ? path.slice(0, end) : path;
  const last = p.slice(p.lastIndexOf('/') + 1);
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  if (name === '' || name === '.' || name === '..' || /[\0/\\]/.test(name)) return undefined;
  return name;
}

async function fetchOne(qc: QuicConnection, path: string, o: HqFetchOptions): Promise<HqResult> {
  const t0 = performance.now();
  let bytes = 0;
  const fail = (error: string, errorCode?: number): HqResult => ({
    path,
    ok: false,
    bytes,
    durationMs: performance.now() - t0,
    error,
    ...(errorCode !== undefined ? { errorCode } : {}),
  });
  // The request line must stay one line of one target.
  if (typeof path !== 'string' || path.length === 0 || /[\x00-\x20\x7f]/.test(path)) return fail('invalid path: empty, or contains whitespace or control characters');
  let file: string | undefined;
  if (o.outputDir !== undefined) {
    const name = outputFileName(path);
    if (name === undefined) return fail('invalid path: no file name in its last segment');
    file = join(o.outputDir, name);
  }
  if (o.signal?.aborted) return fail('aborted', HqErrorCode.REQUEST_CANCELLED);

  let st: QuicStream;
  try {
    st = await qc.openStream(o.signal !== undefined ? { signal: o.signal } : {});
  } catch (e) {
    return fail((e as Error).message);
  }

  const chunks: Buffer[] = [];
  let ws: WriteStream | undefined;
  const cancel = (reason: string): void => {
    if (!st.destroyed) st.destroy(new QuicStreamError(reason, 'ERR_QUIC_STREAM_RESET', HqErrorCode.REQUEST_CANCELLED, st.id));
  };
  const onAbort = (): void => cancel('aborted');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (file !== undefined) {
      ws = createWriteStream(file);
      await once(ws, 'open');
    }
    await new Promise<void>((resolve, reject) => {
      st.on('error', reject);
      st.once('end', resolve);
      // Destroyed without an error (the connection closed cleanly) and without the whole body.
      st.once('close', () => reject(new Error('stream closed before the response ended')));
      ws?.on('error', (e) => {
        cancel(`cannot write ${file}: ${e.message}`);
        reject(e);
      });
      st.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        o.onProgress?.(chunk.length, path);
        if (ws === undefined) chunks.push(chunk);
        else if (!ws.write(chunk)) {
          st.pause();
          ws.once('drain', () => st.resume());
        }
      });
      st.end(`GET ${path}\r\n`);
    });
    if (ws !== undefined) {
      ws.end();
      await once(ws, 'close');
    }
  } catch (e) {
    cancel('request failed');
    if (ws !== undefined) {
      if (!ws.closed) {
        ws.destroy();
        await once(ws, 'close').catch(() => {});
      }
      await rm(file!, { force: true }).catch(() => {});
    }
    const code = (e as Partial<QuicStreamError>).errorCode;
    return fail((e as Error).message, e instanceof QuicStreamError ? code : undefined);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  return {
    path,
    ok: true,
    bytes,
    durationMs: performance.now() - t0,
    ...(file !== undefined ? { file } : { body: Buffer.concat(chunks, bytes) }),
  };
}
