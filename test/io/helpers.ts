/** Shared fixtures of the socket tests: a development certificate and handle accounting. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { generateDevCertificate, type PemCredentials } from '../../src/crypto/certgen.js';

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
