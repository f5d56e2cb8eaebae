/** Shared fixtures of the socket tests: a development certificate and handle accounting. */
import { createSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { generateDevCertificate, type PemCredentials } from '../../src/crypto/certgen.js';
import type { QuicConnection } from '../../src/io/connection.js';

let cert: Promise<PemCredentials> | undefined;
/** One ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1, shared by a test file. */
export function devCert(): Promise<PemCredentials> {
  cert ??= generateDevCertificate({ keyType: 'ecdsa-p256', hosts: ['localhost', '127.0.0.1', '::1'] });
  return cert;
}

/** Counts of libuv handles by kind (UDP sockets, timers …). */
export function handles(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

/** Waits until `cond` holds, polling every 10 ms; throws after `ms`. */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Deterministic bytes: a fixed pattern that varies with the offset and a seed. */
export function pattern(length: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Reads a stream to its end. */
export async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Runs `f` with uncaught exceptions collected instead of failing the run (the test runner's
 * own handlers are put back afterwards): what would have killed a plain Node process ends up
 * in `uncaught`. Waits a few event-loop turns after `f` so that errors emitted on
 * process.nextTick or setImmediate are caught too.
 */
export async function collectUncaught<T>(f: () => Promise<T>): Promise<{ result: T; uncaught: unknown[] }> {
  const uncaught: unknown[] = [];
  const saved = process.listeners('uncaughtException');
  const collect = (e: unknown): void => void uncaught.push(e);
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', collect);
  try {
    const result = await f();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    return { result, uncaught };
  } finally {
    process.off('uncaughtException', collect);
    for (const l of saved) process.on('uncaughtException', l);
  }
}

/**
 * Writes `body` on `st` and waits until the peer acknowledged it: a packet left after the write
 * (the service round that follows a write sends it) and nothing is in flight any more.
 */
export async function writeAcked(conn: QuicConnection, st: Writable, body: string | Uint8Array, ms = 2000): Promise<void> {
  const before = conn.stats().packetsSent;
  st.write(body);
  await until(() => conn.stats().packetsSent > before && conn.stats().bytesInFlight === 0, ms, 'data acknowledged');
}

/** Whether a UDP socket can be bound on `host`. */
export async function canBind(host: string): Promise<boolean> {
  const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, host, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      s.close();
    } catch {
      // never bound
    }
  }
}
