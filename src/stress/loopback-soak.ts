/**
 * `tquic soak --loopback`: many concurrent connections over real UDP on 127.0.0.1, all in this
 * process (so that the heap measured is the one holding every connection, both ends). One
 * server (`listen`); N client connections (default 1000) — on one shared client endpoint and
 * socket (an IoHost of io/, the default) or one `connect` and socket each — each download
 * `bytes` (default 1 MB) over one stream and check every byte as it arrives.
 *
 * Each connection asks for its own content: the request `<key> <bytes>\n` is answered with
 * `bytes` bytes of a seeded 1 MiB pattern read from offset `key` (wrapping), so data delivered
 * to the wrong connection or at the wrong offset is caught without keeping anything.
 *
 * Memory (heapUsed + arrayBuffers): the baseline once the server and the client endpoint are up
 * and a few warm-up connections (JIT, lazily built tables) came and went, after full GCs; the
 * peak while the downloads run (sampled, garbage included); the end after every connection
 * closed and was forgotten by both endpoints (their closing and draining periods, RFC 9000
 * §10.2), after full GCs. The acceptance: every download complete and identical, and the end
 * within `heapTolerance` (default 10%) of the baseline. When connections fail or memory does
 * not come back, the report says what is still held: connections in the server, in each
 * endpoint's maps, in the client host.
 */
import { generateDevCertificate } from '../crypto/certgen.js';
import type { ConnectionConfig } from '../connection/config.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { IoHost } from '../io/host.js';
import { connect, listen, type QuicConnection, type QuicServer, type QuicStream } from '../io/index.js';
import { baseConfig, trustAnchors } from '../io/options.js';
import { Prng } from '../util/prng.js';
import { sampleMemory, settledMemory, type MemorySample } from './memory.js';

export const DEFAULT_CONNECTIONS = 1000;
export const DEFAULT_SOAK_BYTES = 1_000_000;
export const DEFAULT_HEAP_TOLERANCE = 0.1;
const ALPN = ['tquic-soak'];
const PATTERN = 1 << 20;
const CHUNK = 64 * 1024;
const WARMUP_CONNECTIONS = 20;

export interface LoopbackSoakOptions {
  connections?: number;
  bytes?: number;
  /** 'shared': one client endpoint and socket for all (default); 'per-connection': `connect` each. */
  clientSockets?: 'shared' | 'per-connection';
  crypto?: 'node' | 'noble';
  /** The end heap may exceed the baseline by this fraction (default 0.1). */
  heapTolerance?: number;
  /** Seed of the content pattern (default 1). */
  seed?: number;
  /** Bound on the whole run's downloads, ms (default 600 s). */
  timeoutMs?: number;
  /** How long closed connections may take to be forgotten by both endpoints, ms (default 30 s). */
  drainMs?: number;
  log?: (line: string) => void;
}

/** What is still held (connections by holder) when a figure is taken. */
export interface Holdings {
  serverConnections: number;
  serverEndpointConnections: number;
  clientHostConnections: number;
  clientEndpointConnections: number;
}

export interface LoopbackSoakReport {
  connections: number;
  bytesPerConnection: number;
  clientSockets: 'shared' | 'per-connection';
  completed: number;
  failed: number;
  /** Failures grouped by message, with their count. */
  errors: Array<{ error: string; count: number }>;
  totalBytes: number;
  /** From the first connect to the last download checked. */
  elapsedSeconds: number;
  /** From then until every connection was closed and forgotten (closing and draining periods). */
  closeSeconds: number;
  /** Handshakes: the slowest one, ms. */
  slowestHandshakeMs: number;
  goodputMbps: number;
  baseline: MemorySample;
  peak: MemorySample;
  end: MemorySample;
  /** end.total / baseline.total. */
  ratio: number;
  heapTolerance: number;
  /** What was still held at the end figure. */
  held: Holdings;
  ok: boolean;
  failures: string[];
}

/** The content pattern: seeded bytes every response is read from. */
function pattern(seed: number): Buffer {
  return Buffer.from(new Prng(seed).bytes(PATTERN));
}

/** Serves `<key> <bytes>\n` requests: `bytes` bytes of the pattern from offset `key`, honouring backpressure. */
function serve(server: QuicServer, p: Buffer): void {
  server.on('connection', (qc) => {
    qc.on('stream', (s: QuicStream) => void answer(s, p).catch(() => s.destroy()));
  });
}

async function answer(s: QuicStream, p: Buffer): Promise<void> {
  const req = await new Promise<string>((resolve, reject) => {
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => (text += c));
    s.once('end', () => resolve(text));
    s.once('error', reject);
  });
  const m = /^(\d+) (\d+)\n$/.exec(req);
  if (m === null) throw new Error(`bad request ${JSON.stringify(req)}`);
  let off = Number(m[1]) % PATTERN;
  let left = Number(m[2]);
  while (left > 0) {
    const n = Math.min(left, CHUNK, PATTERN - off);
    const ok = s.write(p.subarray(off, off + n));
    off = (off + n) % PATTERN;
    left -= n;
    if (!ok) await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        s.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        s.off('drain', onDrain);
        reject(new Error('stream closed'));
      };
      s.once('drain', onDrain);
      s.once('close', onClose);
    });
  }
  s.end();
}

/** Requests `bytes` from offset `key` and checks each chunk against the pattern; resolves with the bytes received. */
async function fetchChecked(qc: QuicConnection, key: number, bytes: number, p: Buffer): Promise<number> {
  const s = await qc.openStream();
  s.end(`${key} ${bytes}\n`);
  let got = 0;
  let off = key % PATTERN;
  for await (const chunk of s) {
    const c = chunk as Buffer;
    let i = 0;
    while (i < c.length) {
      const n = Math.min(c.length - i, PATTERN - off);
      if (!c.subarray(i, i + n).equals(p.subarray(off, off + n))) throw new Error(`content differs at byte ${got + i}`);
      i += n;
      off = (off + n) % PATTERN;
    }
    got += c.length;
    if (got > bytes) throw new Error(`more than ${bytes} bytes`);
  }
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`);
  return got;
}

/** The endpoint behind a QuicServer (which keeps its host private). */
function serverEndpoint(srv: QuicServer): Endpoint {
  return (srv as unknown as { host: IoHost }).host.endpoint;
}

/** Connects over a shared client host: `connect` without a socket of its own. */
function connectShared(host: IoHost, config: ConnectionConfig, remote: { host: string; port: number }, timeoutMs: number): Promise<QuicConnection> {
  const core = host.endpoint.connect(host.now(), remote, config);
  const qc = host.adopt(core);
  host.schedule();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      qc.onHandshakeResult = undefined;
      void qc.close(0, 'handshake timeout');
      reject(new Error(`no handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    qc.onHandshakeResult = (err) => {
      clearTimeout(timer);
      if (err === undefined) resolve(qc);
      else reject(err);
    };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runLoopbackSoak(o: LoopbackSoakOptions = {}): Promise<LoopbackSoakReport> {
  const log = o.log ?? (() => {});
  const n = o.connections ?? DEFAULT_CONNECTIONS;
  const bytes = o.bytes ?? DEFAULT_SOAK_BYTES;
  const mode = o.clientSockets ?? 'shared';
  const crypto = o.crypto ?? 'node';
  const tolerance = o.heapTolerance ?? DEFAULT_HEAP_TOLERANCE;
  const timeoutMs = o.timeoutMs ?? 600_000;
  const drainMs = o.drainMs ?? 30_000;
  const p = pattern(o.seed ?? 1);
  const pem = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });
  const server = await listen({ host: '127.0.0.1', port: 0, cert: pem.certPem, key: pem.keyPem, alpn: ALPN, crypto });
  serve(server, p);
  const remote = { host: '127.0.0.1', port: server.address.port };
  const handshakeTimeoutMs = Math.max(60_000, Math.min(timeoutMs, 300_000));
  const config: ConnectionConfig = {
    ...baseConfig({ alpn: ALPN, crypto, transport: { handshakeTimeoutMs } }),
    serverName: 'localhost',
    verify: { mode: 'ca', ca: trustAnchors(pem.certPem) },
    timeMs: Date.now(),
  };
  const shared = mode === 'shared' ? await IoHost.create({ sockets: [{ host: '127.0.0.1', port: 0 }], endpoint: (locals) => ({ local: locals[0]!, seed: o.seed ?? 1 }) }) : undefined;
  const open = (): Promise<QuicConnection> =>
    shared !== undefined ? connectShared(shared, config, remote, handshakeTimeoutMs) : connect({ host: remote.host, port: remote.port, serverName: 'localhost', ca: pem.certPem, alpn: ALPN, crypto, handshakeTimeoutMs });
  const held = (): Holdings => ({
    serverConnections: server.connectionCount,
    serverEndpointConnections: serverEndpoint(server).connectionCount,
    clientHostConnections: shared?.connections.size ?? 0,
    clientEndpointConnections: shared?.endpoint.connectionCount ?? 0,
  });
  /** Waits until neither side holds a connection (or `ms` passed); returns what is still held. */
  const drained = async (ms: number): Promise<Holdings> => {
    const until = performance.now() + ms;
    let h = held();
    while (performance.now() < until && h.serverConnections + h.serverEndpointConnections + h.clientHostConnections + h.clientEndpointConnections > 0) {
      await sleep(50);
      h = held();
    }
    return h;
  };
  /**
   * One connection's life: handshake, checked download, close. Resolves once the download is
   * checked; the close (and its closing period, RFC 9000 §10.2: three PTOs) goes on in
   * `closing`, which the end figure waits for.
   */
  const closing: Promise<unknown>[] = [];
  const one = async (key: number, size: number, t0: number): Promise<{ bytes: number; handshakeMs: number }> => {
    const qc = await open();
    const handshakeMs = performance.now() - t0;
    try {
      return { bytes: await fetchChecked(qc, key, size, p), handshakeMs };
    } finally {
      closing.push(qc.close());
    }
  };

  let peak: MemorySample;
  let report: Omit<LoopbackSoakReport, 'closeSeconds' | 'baseline' | 'peak' | 'end' | 'ratio' | 'held' | 'ok' | 'failures' | 'heapTolerance'>;
  let baseline: MemorySample;
  try {
    // Warm-up, then the baseline with both endpoints up and nothing held.
    const w0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(WARMUP_CONNECTIONS, n) }, (_, i) => one(i * 7919, Math.min(bytes, 64 * 1024), w0)));
    await Promise.all(closing.splice(0));
    await drained(drainMs);
    baseline = await settledMemory();
    peak = baseline;
    log(`soak: baseline ${(baseline.total / 2 ** 20).toFixed(1)} MiB (heapUsed ${(baseline.heapUsed / 2 ** 20).toFixed(1)} + arrayBuffers ${(baseline.arrayBuffers / 2 ** 20).toFixed(1)}); ${n} connections × ${bytes} bytes, client sockets ${mode}`);

    const sampler = setInterval(() => {
      const m = sampleMemory();
      if (m.total > peak.total) peak = m;
    }, 100);
    const t0 = performance.now();
    let done = 0;
    let failed = 0;
    const errors = new Map<string, number>();
    let slowest = 0;
    let total = 0;
    const progress = setInterval(() => {
      const s = (performance.now() - t0) / 1e3;
      log(`soak: ${done} complete, ${failed} failed, ${n - done - failed} running, ${s.toFixed(1)} s, ${(total / 1e6).toFixed(0)} MB, heap peak ${(peak.total / 2 ** 20).toFixed(0)} MiB; server holds ${server.connectionCount}`);
    }, 5000);
    let timer: NodeJS.Timeout | undefined;
    const runs = Promise.all(
      Array.from({ length: n }, (_, i) =>
        one((i * 2654435761) >>> 0, bytes, t0).then(
          (r) => {
            done++;
            total += r.bytes;
            slowest = Math.max(slowest, r.handshakeMs);
          },
          (e: unknown) => {
            failed++;
            const msg = (e as Error)?.message ?? String(e);
            errors.set(msg, (errors.get(msg) ?? 0) + 1);
          },
        ),
      ),
    );
    const timedOut = await Promise.race([runs.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    const elapsed = (performance.now() - t0) / 1e3;
    clearInterval(progress);
    if (timedOut) errors.set(`still running after ${timeoutMs / 1000} s`, n - done - failed);
    report = {
      connections: n,
      bytesPerConnection: bytes,
      clientSockets: mode,
      completed: done,
      failed: n - done,
      errors: [...errors].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count),
      totalBytes: total,
      elapsedSeconds: elapsed,
      slowestHandshakeMs: slowest,
      goodputMbps: (total * 8) / elapsed / 1e6,
    };
    log(`soak: ${done}/${n} complete in ${elapsed.toFixed(1)} s; waiting for the connections to close and be forgotten`);
    clearInterval(sampler);
  } catch (e) {
    await shared?.close();
    await server.close();
    throw e;
  }
  // Everything closed and forgotten, then the end figure.
  const c0 = performance.now();
  await Promise.race([Promise.all(closing.splice(0)), sleep(drainMs)]);
  const h = await drained(Math.max(0, drainMs - (performance.now() - c0)));
  const closeSeconds = (performance.now() - c0) / 1e3;
  const end = await settledMemory();
  await shared?.close();
  await server.close();
  const ratio = end.total / baseline.total;
  const failures: string[] = [];
  if (report.failed > 0) failures.push(`${report.failed} of ${n} connections failed: ${report.errors.map((e) => `${e.count}× ${e.error}`).join('; ')}`);
  if (ratio > 1 + tolerance) failures.push(`the end heap is ${(100 * ratio).toFixed(1)}% of the baseline (bound ${(100 * (1 + tolerance)).toFixed(0)}%)`);
  const stillHeld = h.serverConnections + h.serverEndpointConnections + h.clientHostConnections + h.clientEndpointConnections;
  if (stillHeld > 0) failures.push(`connections still held ${drainMs / 1000} s after the downloads: server ${h.serverConnections}, server endpoint ${h.serverEndpointConnections}, client host ${h.clientHostConnections}, client endpoint ${h.clientEndpointConnections}`);
  return { ...report, closeSeconds, baseline, peak, end, ratio, heapTolerance: tolerance, held: h, ok: failures.length === 0, failures };
}

const MiB = (b: number): string => (b / 2 ** 20).toFixed(1);

export function formatLoopbackSoak(r: LoopbackSoakReport): string {
  const lines = [
    `tquic soak --loopback: ${r.connections} concurrent connections × ${r.bytesPerConnection} bytes over UDP on 127.0.0.1 (client sockets: ${r.clientSockets})`,
    `completed ${r.completed}, failed ${r.failed}; ${(r.totalBytes / 1e6).toFixed(1)} MB in ${r.elapsedSeconds.toFixed(1)} s, aggregate goodput ${r.goodputMbps.toFixed(0)} Mbit/s; slowest handshake ${r.slowestHandshakeMs.toFixed(0)} ms; all closed and forgotten ${r.closeSeconds.toFixed(1)} s later`,
    ...r.errors.map((e) => `  ${e.count}× ${e.error}`),
    `heap (heapUsed + arrayBuffers, MiB): baseline ${MiB(r.baseline.total)} (${MiB(r.baseline.heapUsed)} + ${MiB(r.baseline.arrayBuffers)}), peak ${MiB(r.peak.total)} (${MiB(r.peak.heapUsed)} + ${MiB(r.peak.arrayBuffers)}), end ${MiB(r.end.total)} (${MiB(r.end.heapUsed)} + ${MiB(r.end.arrayBuffers)}); end/baseline ${(100 * r.ratio).toFixed(1)}% (bound ${(100 * (1 + r.heapTolerance)).toFixed(0)}%)`,
    `held at the end: server ${r.held.serverConnections} connections (endpoint ${r.held.serverEndpointConnections}), client host ${r.held.clientHostConnections} (endpoint ${r.held.clientEndpointConnections})`,
    r.ok ? 'verdict: PASS — all downloads complete and identical, heap back within the bound' : `verdict: FAIL — ${r.failures.join('; ')}`,
  ];
  return lines.join('\n');
}
