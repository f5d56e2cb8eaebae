/**
 * File I/O of the io/ edge (DESIGN §2: the core formats, the edge writes): PEM credentials
 * given as text or paths, qlog JSON-SEQ files per connection, and NSS key log files.
 */
import { appendFileSync, createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { loadCertificateChain, loadCredentials, type TlsCredentials } from '../crypto/tls/certificates.js';
import { JsonSeqWriter } from '../qlog/jsonseq.js';
import type { QlogEvent, QlogEventName, QlogSink } from '../qlog/events.js';
import type { Instant } from '../util/time.js';
import { toHex } from '../util/bytes.js';

/** PEM text, a path to a PEM file, or the file's bytes. */
export type PemSource = string | Uint8Array;

/** The PEM text of a source: text containing "-----BEGIN" is PEM itself, any other string a path. */
export function readPem(src: PemSource, what: string): string {
  if (typeof src !== 'string') return Buffer.from(src.buffer, src.byteOffset, src.byteLength).toString('utf8');
  if (src.includes('-----BEGIN')) return src;
  try {
    return readFileSync(src, 'utf8');
  } catch (e) {
    throw new Error(`${what}: cannot read "${src}": ${(e as Error).message}`, { cause: e });
  }
}

/** Our certificate chain and key from PEM text or files. */
export function loadServerCredentials(cert: PemSource, key: PemSource): TlsCredentials {
  return loadCredentials(readPem(cert, 'cert'), readPem(key, 'key'));
}

/** DER trust anchors from PEM sources (each may hold several certificates). */
export function loadTrustAnchors(ca: PemSource | readonly PemSource[]): Uint8Array[] {
  const list = Array.isArray(ca) ? (ca as readonly PemSource[]) : [ca as PemSource];
  if (list.length === 0) throw new RangeError('ca: no certificate given');
  return list.flatMap((c) => loadCertificateChain(readPem(c, 'ca')));
}

/** A keylog callback appending NSS key log lines to `path` (the SSLKEYLOGFILE format). */
export function keylogAppender(path: string, onError: (e: Error) => void): (line: string) => void {
  let failed = false;
  return (line) => {
    if (failed) return;
    try {
      // Synchronous and unbuffered: a handful of lines per handshake, visible to a capture
      // tool (Wireshark) as soon as the keys exist.
      appendFileSync(path, line + '\n');
    } catch (e) {
      failed = true;
      onError(e as Error);
    }
  };
}

/**
 * A qlog sink writing one JSON-SEQ `.sqlog` file (qlog main §11.2). Events before the file is
 * named (the connection's original DCID is not known when its first events are produced) are
 * buffered and written when `open` is called.
 */
export class QlogFileSink implements QlogSink {
  private writer: JsonSeqWriter | undefined;
  private stream: WriteStream | undefined;
  private pending: Array<[Instant, QlogEvent]> | undefined = [];
  private ended: Promise<void> | undefined;
  /** Closed or failed: events are discarded. */
  private dead = false;
  /** The file written, once opened. */
  path: string | undefined;

  constructor(private readonly onError: (e: Error) => void) {}

  wants(_name: QlogEventName): boolean {
    return !this.dead;
  }

  event(time: Instant, e: QlogEvent): void {
    if (this.writer !== undefined) this.writer.event(time, e);
    else this.pending?.push([time, e]);
  }

  /**
   * Creates `<dir>/<odcid hex>_<role>.sqlog` (events §1.1 naming) and writes the header and the
   * buffered events. Time 0 is the first event's Instant; `wallTime` converts it to the
   * wall-clock reference time of the header (main §7.1).
   */
  open(dir: string, odcid: Uint8Array, role: 'client' | 'server', wallTime: (t: Instant) => number, now: Instant): void {
    if (this.writer !== undefined || this.dead) return;
    const hex = toHex(odcid);
    const path = join(dir, `${hex}_${role}.sqlog`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    const stream = createWriteStream(path);
    stream.on('error', (e) => this.fail(e));
    this.stream = stream;
    this.path = path;
    const referenceInstant = this.pending?.[0]?.[0] ?? now;
    this.writer = new JsonSeqWriter({
      write: (chunk) => void stream.write(chunk),
      vantagePoint: role,
      title: `tquic ${role} ${hex}`,
      odcid: hex,
      referenceInstant,
      referenceTime: wallTime(referenceInstant),
    });
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const [t, e] of pending) this.writer.event(t, e);
  }

  /** Flushes and closes the file; later events are discarded. */
  close(): Promise<void> {
    if (this.ended) return this.ended;
    this.dead = true;
    this.pending = undefined;
    const stream = this.stream;
    this.writer = undefined;
    this.ended =
      stream === undefined || stream.destroyed
        ? Promise.resolve()
        : new Promise((resolve) => {
            stream.once('close', () => resolve());
            stream.end();
          });
    return this.ended;
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.writer = undefined;
    this.pending = undefined;
    this.onError(e);
  }
}
