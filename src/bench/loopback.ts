/**
 * `tquic bench loopback`: the whole stack on real UDP sockets over 127.0.0.1, with the client and
 * the server in this one process (one JavaScript thread serves both ends, so every figure is
 * the cost of both sides together):
 *
 * - download: one stream carries `--iterations N` MB (default 100; 1 MB = 10^6 bytes) from the
 *   server to the client, per crypto provider (noble moves a tenth of that, at least 1 MB but
 *   never more than node, and its row says how much), with datagrams of at most 1452 bytes
 *   (transport maxDatagramSize on both sides). Reports goodput, wall time and CPU time
 *   (process.cpuUsage, user + system, both ends) per MB, timed from opening the stream to the
 *   last byte read. Each provider first plays warm-up downloads for 1.5 s (`warmupMs`).
 * - handshakes: sequential connect + close against one server, per crypto provider (client
 *   and server on the same provider; ECDSA P-256 certificate verified against itself as CA;
 *   noble does a quarter of node's count, it is about ten times slower); the median of a few
 *   rounds, after 3 s of warm-up handshakes (the JIT needs about a thousand). These are the figures of the handshake goals (goals.ts: "against one server"), where
 *   `tquic bench handshake` times the TLS engines alone. close() is issued,
 *   not awaited: its closing period (3 × PTO, RFC 9000 §10.2) is a timer, not work, and runs on
 *   in the background while the next handshake goes ahead; every connection is awaited before
 *   the round's server closes.
 * - the ceiling: one node:dgram socket blasting 1452-byte datagrams at another for about a
 *   second, counting what arrives (the same process, the same 2 MiB socket buffers as the
 *   driver); the download rows give their goodput as a share of this receive rate.
 *
 * Every socket is closed before `run` resolves.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { generateDevCertificate, type PemCredentials } from '../crypto/certgen.js';
import { PROVIDER_NAMES } from '../crypto/index.js';
import { connect, listen, type QuicConnection, type QuicServer, type QuicStream } from '../io/index.js';
import { DEFAULT_SOCKET_BUFFER } from '../io/udp.js';
import { HQ_ALPN } from '../http/index.js';
import { ChildServer } from '../stress/server-child.js';
import { report, warmUpAsync, type BenchReport, type Measurement } from './harness.js';

const HOST = '127.0.0.1';
const ALPN = ['bench'];
/** The datagram size of every measurement: an Ethernet MTU (1500) less IPv6 and UDP headers. */
export const DATAGRAM = 1452;
const MB = 1_000_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const WARMUP_BYTES = 10 * MB;
const WARMUP_MS = 1500;
/** Handshakes take longer to warm up than a download: the JIT needs about a thousand. */
const HANDSHAKE_WARMUP_MS = 3000;

export const NOTE =
  'client and server run in this one process (one JavaScript thread for both ends) on real UDP sockets over 127.0.0.1; CPU time counts both ends';

export interface LoopbackOptions {
  iterations?: number;
  /** Download size with the node provider, bytes (default: iterations MB, else 100 MB). */
  downloadBytes?: number;
  /** Download size with noble, bytes (default: a tenth of the node size, at least 1 MB). */
  nobleBytes?: number;
  /** Warm-up downloads before each timed one, bytes each (default 10 MB, capped at the timed size). */
  warmupBytes?: number;
  /**
   * Warm-up time before each provider's timed download and handshake rounds, ms (default 1500
   * for downloads, 3000 for handshakes):
   * warm-up downloads and handshakes repeat until it has passed (at least one), so the timed
   * figures are of code the JIT has optimised. A handshake takes about a thousand repetitions
   * to reach its steady rate (300/s after 50, 460/s after 1500 on the development machine).
   */
  warmupMs?: number;
  /** Handshakes per round with node (default 200), with noble (default a quarter of that), and rounds (default 3). */
  handshakes?: number;
  nobleHandshakes?: number;
  handshakeRounds?: number;
  /** Duration of the node:dgram blast, ms (default 1000). */
  blastMs?: number;
  /**
   * Handshakes against the server process, with node (default 1000) and noble (default a
   * quarter), from `serverConcurrency` client loops (default 8); 0 leaves the rows out.
   */
  serverHandshakes?: number;
  serverConcurrency?: number;
}

export interface LoopbackReport extends BenchReport {
  note: string;
}

// --- node:dgram ceiling ----------------------------------------------------------------------

export interface BlastRun {
  seconds: number;
  sent: number;
  received: number;
  sendErrors: number;
}

async function bindUdp(): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('error', () => {});
  s.bind(0, HOST);
  await once(s, 'listening');
  s.setRecvBufferSize(DEFAULT_SOCKET_BUFFER);
  s.setSendBufferSize(DEFAULT_SOCKET_BUFFER);
  return s;
}

/**
 * Datagrams sent per event-loop turn, and the most whose send has not completed yet. libuv reads
 * at most 32 datagrams from a socket per poll phase, so a larger batch overflows the receive
 * buffer and arrives as fewer datagrams, not more.
 */
const BLAST_BATCH = 32;
const BLAST_OUTSTANDING = 256;

/**
 * One socket sends `DATAGRAM`-byte datagrams to another for `ms` milliseconds, a batch per
 * event-loop turn (setImmediate) with a bounded number of sends outstanding, so the receiving
 * socket gets its turn in every poll phase. Counts what arrived within the window.
 */
export async function blast(ms: number): Promise<BlastRun> {
  const rx = await bindUdp();
  const tx = await bindUdp();
  try {
    const port = rx.address().port;
    const payload = Buffer.alloc(DATAGRAM, 0x62);
    let received = 0;
    rx.on('message', () => void received++);
    let sent = 0;
    let sendErrors = 0;
    let outstanding = 0;
    const onSent = (err: Error | null): void => {
      outstanding--;
      if (err) sendErrors++;
      else sent++;
    };
    const t0 = performance.now();
    const end = t0 + ms;
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        if (performance.now() >= end) {
          resolve();
          return;
        }
        for (let i = 0; i < BLAST_BATCH && outstanding < BLAST_OUTSTANDING; i++) {
          outstanding++;
          tx.send(payload, port, HOST, onSent);
        }
        setImmediate(turn);
      };
      turn();
    });
    const seconds = (performance.now() - t0) / 1e3;
    const inWindow = received;
    // Let the last sends complete before the sockets close.
    while (outstanding > 0) await new Promise((r) => setImmediate(r));
    return { seconds, sent, received: inWindow, sendErrors };
  } finally {
    await Promise.all([new Promise<void>((r) => rx.close(() => r())), new Promise<void>((r) => tx.close(() => r()))]);
  }
}

// --- download ----------------------------------------------------------------------------------

export interface DownloadRun {
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  /** The server's packets and the bytes of its datagrams (including the handshake's). */
  packets: number;
  datagramBytes: number;
  packetsLost: number;
}

const transport = { maxDatagramSize: DATAGRAM };

/** Answers each stream's request ("<bytes>\n") with that many bytes, honouring backpressure. */
export function serveDownloads(server: QuicServer, conns: QuicConnection[]): void {
  server.on('connection', (qc) => {
    conns.push(qc);
    qc.on('stream', (s) => {
      void answer(s).catch(() => s.destroy());
    });
  });
}

async function answer(s: QuicStream): Promise<void> {
  const req = await new Promise<string>((resolve, reject) => {
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => (text += c));
    s.once('end', () => resolve(text));
    s.once('error', reject);
  });
  let left = Number(req.trim());
  if (!(Number.isInteger(left) && left >= 0)) throw new Error(`bad request ${JSON.stringify(req)}`);
  while (left > 0) {
    const c = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= c.length;
    if (!s.write(c)) await once(s, 'drain');
  }
  s.end();
}

/** Connects, downloads `bytes` over one stream and closes; the server must run `serveDownloads`. */
export async function download(server: QuicServer, conns: QuicConnection[], pem: PemCredentials, crypto: 'node' | 'noble', bytes: number): Promise<DownloadRun> {
  const qc = await connect({ host: HOST, port: server.address.port, serverName: 'localhost', ca: pem.certPem, alpn: ALPN, crypto, transport });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await qc.openStream();
    s.end(`${bytes}\n`);
    let got = 0;
    for await (const c of s) got += (c as Buffer).length;
    const seconds = (performance.now() - t0) / 1e3;
    const cpu = process.cpuUsage(cpu0);
    if (got !== bytes) throw new Error(`bench loopback: downloaded ${got} of ${bytes} bytes`);
    const sc = conns.find((c) => c.remoteAddress.port === qc.localAddress.port);
    const st = sc?.stats();
    return {
      bytes: got,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      packets: st?.packetsSent ?? 0,
      datagramBytes: st?.bytesSent ?? 0,
      packetsLost: st?.packetsLost ?? 0,
    };
  } finally {
    await qc.close();
  }
}

// --- handshakes --------------------------------------------------------------------------------

export interface HandshakeRound {
  seconds: number;
  cpuSeconds: number;
}

/** `n` sequential connect + close against `server`, timed until the last close was issued. */
export async function handshakes(server: QuicServer, pem: PemCredentials, n: number, crypto: 'node' | 'noble' = 'node'): Promise<HandshakeRound> {
  const closing: Promise<unknown>[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const qc = await connect({ host: HOST, port: server.address.port, serverName: 'localhost', ca: pem.certPem, alpn: ALPN, crypto, transport });
      closing.push(qc.close());
    }
    const seconds = (performance.now() - t0) / 1e3;
    const cpu = process.cpuUsage(cpu0);
    return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    await Promise.all(closing);
  }
}

// --- handshakes against a server process -------------------------------------------------------

export interface ServerHandshakeRun {
  /** Handshakes timed, and their wall time from the first connect to the last completing. */
  handshakes: number;
  seconds: number;
  /** The server process's CPU time in the window, s (its own process: no client work in it). */
  serverCpuSeconds: number;
  /** Handshakes that failed (they are not counted). */
  failed: number;
}

/**
 * `n` handshakes (connect, then close without waiting for it) against a tquic server in a
 * process of its own (stress/'s server child: `listen` and the HTTP/0.9 file server), from
 * `concurrency` client loops in this process, each one handshake at a time: the server's rate
 * with its own core, and its CPU time per handshake from its process's CPU clock. Warm-up
 * handshakes run first for `warmupMs`.
 */
export async function serverHandshakes(crypto: 'node' | 'noble', n: number, concurrency: number, warmupMs: number): Promise<ServerHandshakeRun> {
  const root = await mkdtemp(join(tmpdir(), 'tquic-bench-'));
  const child = new ChildServer({ root, crypto, sampleMs: 60_000 });
  try {
    const ready = await child.next('ready', 30_000);
    if (ready === undefined) throw new Error(`the server process did not start${child.stderr ? `: ${child.stderr.trim()}` : ''}`);
    const o = { host: HOST, port: ready.port, serverName: 'localhost', ca: ready.certPem, alpn: [HQ_ALPN], crypto, transport };
    const closing: Promise<unknown>[] = [];
    let failed = 0;
    /** Runs handshakes from `concurrency` loops while `more()` lets another start; returns those done. */
    const drive = async (more: () => boolean): Promise<number> => {
      let done = 0;
      const loop = async (): Promise<void> => {
        while (more()) {
          try {
            const qc = await connect(o);
            closing.push(qc.close());
            done++;
          } catch {
            failed++;
            if (failed > 100) throw new Error('bench loopback: over 100 handshakes against the server process failed');
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      return done;
    };
    const warmUntil = performance.now() + warmupMs;
    await drive(() => performance.now() < warmUntil);
    failed = 0;
    const c0 = await child.counters();
    const t0 = performance.now();
    let started = 0;
    const done = await drive(() => started++ < n);
    const seconds = (performance.now() - t0) / 1e3;
    const c1 = await child.counters();
    await Promise.all(closing);
    return { handshakes: done, seconds, serverCpuSeconds: (c1.cpuMicros - c0.cpuMicros) / 1e6, failed };
  } finally {
    await child.stop();
    await rm(root, { recursive: true, force: true });
  }
}

// --- the benchmark -----------------------------------------------------------------------------

/** The columns of the table, in order; a row leaves out what does not apply to it. */
const COLUMNS = ['provider', 'size', 'Mbit/s', 'handshakes/s', 'wall s', 'CPU ms/MB', 'vs dgram', 'note'] as const;
type Labels = Partial<Record<(typeof COLUMNS)[number], string>>;

/** Every column on every row (empty where it does not apply), so the table keeps its order. */
function labels(l: Labels): Record<string, string> {
  return Object.fromEntries(COLUMNS.map((k) => [k, l[k] ?? '']));
}

const fmt = (x: number, digits: number): string => x.toFixed(digits);

export async function run(opts: LoopbackOptions = {}): Promise<LoopbackReport> {
  const pem = await generateDevCertificate({ keyType: 'ecdsa-p256', hosts: ['localhost', HOST] });
  const nodeBytes = opts.downloadBytes ?? (opts.iterations ?? 100) * MB;
  const nobleBytes = opts.nobleBytes ?? Math.min(nodeBytes, Math.max(MB, Math.round(nodeBytes / 10 / MB) * MB));
  const results: Measurement[] = [];

  // The ceiling first, on a quiet process.
  const cpuBlast0 = process.cpuUsage();
  const b = await blast(opts.blastMs ?? 1000);
  const cpuBlast = process.cpuUsage(cpuBlast0);
  const blastMb = (b.received * DATAGRAM) / MB;
  const dgramMbps = (blastMb * 8) / b.seconds;
  results.push({
    name: 'node:dgram blast (ceiling), one process',
    labels: labels({
      provider: 'none (raw UDP)',
      size: `${b.received} × ${DATAGRAM} B`,
      'Mbit/s': fmt(dgramMbps, 0),
      'wall s': fmt(b.seconds, 2),
      'CPU ms/MB': fmt((cpuBlast.user + cpuBlast.system) / 1e3 / Math.max(blastMb, 1e-9), 1),
      'vs dgram': '100%',
      note: `${b.received} of ${b.sent} sent arrived, ${Math.round(b.received / b.seconds)} datagrams/s`,
    }),
    values: { 'Mbit/s': dgramMbps },
    usPerOp: (b.seconds * 1e6) / Math.max(1, b.received),
    opsPerSec: b.received / b.seconds,
    gbps: dgramMbps / 1e3,
    bytesPerOp: DATAGRAM,
    rounds: 1,
    opsPerRound: b.received,
  });

  for (const crypto of PROVIDER_NAMES) {
    const bytes = crypto === 'noble' ? nobleBytes : nodeBytes;
    const conns: QuicConnection[] = [];
    const server = await listen({ host: HOST, port: 0, cert: pem.certPem, key: pem.keyPem, alpn: ALPN, crypto, transport });
    try {
      serveDownloads(server, conns);
      await warmUpAsync(opts.warmupMs ?? WARMUP_MS, () => download(server, conns, pem, crypto, Math.min(bytes, opts.warmupBytes ?? WARMUP_BYTES)));
      const r = await download(server, conns, pem, crypto, bytes);
      const mbps = (r.bytes * 8) / r.seconds / 1e6;
      const mb = r.bytes / MB;
      results.push({
        name: 'download, 1 stream, one process',
        labels: labels({
          provider: crypto,
          size: `${mb >= 1 ? fmt(mb, 0) : fmt(mb, 3)} MB`,
          'Mbit/s': fmt(mbps, 0),
          'wall s': fmt(r.seconds, 2),
          'CPU ms/MB': fmt((r.cpuSeconds * 1e3) / mb, 1),
          'vs dgram': `${fmt((100 * mbps) / dgramMbps, 1)}%`,
          note: `server: ${r.packets} packets, ${fmt(r.datagramBytes / Math.max(1, r.packets), 0)} B avg, ${r.packetsLost} lost`,
        }),
        values: { 'Mbit/s': mbps, 'vs dgram': mbps / dgramMbps, 'CPU ms/MB': (r.cpuSeconds * 1e3) / mb },
        // One operation = one packet the server sent.
        usPerOp: (r.seconds * 1e6) / Math.max(1, r.packets),
        opsPerSec: r.packets / r.seconds,
        gbps: mbps / 1e3,
        bytesPerOp: r.bytes / Math.max(1, r.packets),
        rounds: 1,
        opsPerRound: r.packets,
      });
    } finally {
      await server.close();
    }
  }

  const rounds = opts.handshakeRounds ?? 3;
  for (const crypto of PROVIDER_NAMES) {
    const n = crypto === 'noble' ? (opts.nobleHandshakes ?? Math.max(1, Math.round((opts.handshakes ?? 200) / 4))) : (opts.handshakes ?? 200);
    const server = await listen({ host: HOST, port: 0, cert: pem.certPem, key: pem.keyPem, alpn: ALPN, crypto, transport });
    try {
      // Accepted connections are not kept: the server's queue would otherwise hold them all.
      server.on('connection', () => {});
      await warmUpAsync(opts.warmupMs ?? HANDSHAKE_WARMUP_MS, () => handshakes(server, pem, Math.min(n, 100), crypto));
      const all: HandshakeRound[] = [];
      for (let r = 0; r < rounds; r++) all.push(await handshakes(server, pem, n, crypto));
      all.sort((x, y) => x.seconds - y.seconds);
      const m = all[all.length >> 1]!;
      results.push({
        name: 'handshake: connect + close, one process',
        labels: labels({
          provider: crypto,
          size: `${rounds} rounds × ${n}`,
          'handshakes/s': fmt(n / m.seconds, 0),
          'wall s': fmt(m.seconds, 2),
          note: `sequential, ECDSA P-256 verified, median round; CPU ${fmt((m.cpuSeconds * 1e3) / n, 2)} ms per handshake`,
        }),
        values: { 'handshakes/s': n / m.seconds },
        usPerOp: (m.seconds * 1e6) / n,
        opsPerSec: n / m.seconds,
        rounds,
        opsPerRound: n,
      });
    } finally {
      await server.close();
    }
  }
  // Against a server in a process of its own: the rate the server serves, and its own CPU time.
  const serverN = opts.serverHandshakes ?? 1000;
  for (const crypto of serverN > 0 ? PROVIDER_NAMES : []) {
    const n = crypto === 'noble' ? Math.max(1, Math.round(serverN / 4)) : serverN;
    const concurrency = opts.serverConcurrency ?? 8;
    const h = await serverHandshakes(crypto, n, concurrency, opts.warmupMs ?? HANDSHAKE_WARMUP_MS);
    const cpuMs = (h.serverCpuSeconds * 1e3) / h.handshakes;
    results.push({
      name: 'handshake: against a server process',
      labels: labels({
        provider: crypto,
        size: `${h.handshakes} × ${concurrency} clients`,
        'handshakes/s': fmt(h.handshakes / h.seconds, 0),
        'wall s': fmt(h.seconds, 2),
        note: `server CPU ${fmt(cpuMs, 2)} ms per handshake (its capacity with a core of its own: ${fmt(1e3 / cpuMs, 0)}/s); clients in this process${h.failed > 0 ? `; ${h.failed} failed` : ''}`,
      }),
      values: { 'handshakes/s': h.handshakes / h.seconds, 'server CPU ms': cpuMs, 'server capacity /s': 1e3 / cpuMs },
      usPerOp: (h.seconds * 1e6) / h.handshakes,
      opsPerSec: h.handshakes / h.seconds,
      rounds: 1,
      opsPerRound: h.handshakes,
    });
  }


  return { ...report('loopback', results), note: NOTE };
}
