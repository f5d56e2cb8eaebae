/**
 * `tquic demo` (what `npm start` runs): a real QUIC transfer over UDP on this machine, needing
 * nothing else. A server listens on 127.0.0.1 (an ephemeral port, a freshly generated
 * certificate) and serves a generated file over HTTP/0.9 (hq-interop); a client that trusts
 * only that certificate downloads it, checks its SHA-256 and prints a summary, and both sides
 * leave one qlog file per connection for qvis. The connection is multipath
 * (draft-ietf-quic-multipath-21): the client opens a second path from 127.0.0.2 (when that
 * address can be bound) and the summary shows what each path carried.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevCertificate } from '../crypto/certgen.js';
import { getProvider, PROVIDER_NAMES } from '../crypto/index.js';
import { toHex } from '../util/bytes.js';
import { connect, listen, type PathEvent, type QuicConnection } from '../io/index.js';
import { fetchHq, serveHq } from '../http/index.js';
import { Prng } from '../util/prng.js';

const DEFAULT_BYTES = 20 * 1000 * 1000;

/** Opens a path from 127.0.0.2 once the handshake is confirmed; its ID once validated, or undefined. */
async function secondPath(conn: QuicConnection): Promise<number | undefined> {
  const deadline = performance.now() + 2000;
  while (!conn.core.handshakeConfirmed && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  if (conn.core.mp === undefined) return undefined;
  let id: number;
  try {
    id = await conn.openPath({ local: { host: '127.0.0.2' } });
  } catch {
    return undefined;
  }
  const validated = new Promise<boolean>((resolve) => {
    const on = (e: PathEvent): void => {
      if (e.pathId !== id || (e.kind !== 'validated' && e.kind !== 'failed' && e.kind !== 'abandoned')) return;
      conn.off('path', on);
      resolve(e.kind === 'validated');
    };
    conn.on('path', on);
    setTimeout(() => resolve(false), 2000).unref();
  });
  return (await validated) ? id : undefined;
}

export default async function demo(values: Record<string, unknown>): Promise<number> {
  const log = (s: string): void => void process.stdout.write(s + '\n');
  const crypto = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (crypto !== 'node' && crypto !== 'noble') {
    process.stderr.write(`tquic demo: unknown crypto provider '${crypto}' (choose ${PROVIDER_NAMES.join(' or ')})\n`);
    return 2;
  }
  const bytes = typeof values.bytes === 'string' ? Number(values.bytes) : DEFAULT_BYTES;
  if (!Number.isInteger(bytes) || bytes < 0) {
    process.stderr.write('tquic demo: --bytes must be a non-negative integer\n');
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tquic-demo-'));
  const www = join(dir, 'www');
  const downloads = join(dir, 'downloads');
  const qlogDir = join(dir, 'qlog');
  mkdirSync(www);
  mkdirSync(downloads);

  // A file of seeded pseudo-random bytes (the same on every run).
  const data = new Prng(2026).bytes(bytes);
  writeFileSync(join(www, 'demo.bin'), data);
  const sha256 = (b: Uint8Array): string => toHex(getProvider('node').hash('sha256', b));
  const expected = sha256(data);
  const pem = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });

  const multipath = { maxPathId: 2 };
  const server = await listen({ host: '127.0.0.1', port: 0, cert: pem.certPem, key: pem.keyPem, alpn: ['hq-interop'], crypto, qlogDir, multipath });
  const hq = serveHq(server, { root: www });
  const { host, port } = server.address;
  log(`tquic demo: server listening on ${host}:${port} (UDP), serving ${(bytes / 1e6).toFixed(1)} MB over HTTP/0.9 (hq-interop), crypto '${crypto}'`);
  let ok = false;
  try {
    const t0 = performance.now();
    const conn = await connect({ host, port, serverName: 'localhost', ca: pem.certPem, alpn: ['hq-interop'], crypto, qlogDir, multipath });
    const handshakeMs = performance.now() - t0;
    log(`client: TLS 1.3 handshake with ${host}:${port} done in ${handshakeMs.toFixed(1)} ms (certificate verified against the generated CA)`);
    // Multipath: a second path from 127.0.0.2, validated before the download starts.
    const second = await secondPath(conn);
    log(second === undefined ? 'client: one path (127.0.0.2 cannot be bound here, or multipath was refused)' : `client: path ${second} opened from 127.0.0.2 and validated (multipath, draft-ietf-quic-multipath-21)`);
    const t1 = performance.now();
    const [result] = await fetchHq(conn, ['/demo.bin'], { outputDir: downloads });
    const seconds = (performance.now() - t1) / 1000;
    const stats = conn.stats();
    await conn.close(0, 'done');
    if (!result?.ok) {
      log(`client: download failed: ${result?.error ?? 'no result'}`);
    } else {
      const got = sha256(readFileSync(join(downloads, 'demo.bin')));
      ok = got === expected;
      log(
        `client: downloaded ${(result.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s: ` +
          `${((result.bytes * 8) / seconds / 1e6).toFixed(0)} Mbit/s, RTT ${(stats.smoothedRtt / 1000).toFixed(2)} ms, ` +
          `${stats.packetsSent} packets sent, ${stats.packetsReceived} received, ${stats.packetsLost} lost`,
      );
      for (const p of stats.paths ?? []) log(`client: path ${p.id} ${p.local.host} -> ${p.remote.host}:${p.remote.port}: ${p.datagramsReceived} datagrams received, RTT ${(p.smoothedRtt / 1000).toFixed(2)} ms`);
      log(`client: SHA-256 ${got} ${ok ? 'matches' : 'DOES NOT match'} the served file`);
    }
  } catch (e) {
    log(`tquic demo: ${(e as Error).message}`);
  } finally {
    void hq;
    await server.close();
    rmSync(www, { recursive: true, force: true });
    rmSync(downloads, { recursive: true, force: true });
  }
  let qlogs: string[] = [];
  try {
    qlogs = readdirSync(qlogDir);
  } catch {
    // no qlog written
  }
  log(`qlog: ${qlogs.length} files in ${qlogDir} (open them in qvis: https://qvis.quictools.info)`);
  log(ok ? 'demo passed' : 'demo FAILED');
  return ok ? 0 : 1;
}
