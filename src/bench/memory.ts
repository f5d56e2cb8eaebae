/**
 * `tquic bench memory`: what connections cost in memory, with the node crypto provider, in
 * memory (no sockets), like `tquic bench core`:
 *
 * - idle connections: N client connections (default 10,000; `--iterations N`) from one client
 *   endpoint to one server endpoint, handshakes completed in batches and every datagram and
 *   timer handled until nothing is left to do (HANDSHAKE_DONE, NEW_CONNECTION_ID, NEW_TOKEN,
 *   session tickets, path MTU probes, ACKs), every event drained. Then, after a full GC, the
 *   memory in use above the baseline (taken after a warm-up, with the server endpoint already
 *   built) divided by N: first with both endpoints alive ("client + server"), then again once
 *   the client endpoint and its connections are dropped ("server"). Memory in use = V8's
 *   `heapUsed` plus `arrayBuffers` (the backing stores of typed arrays, which live outside the
 *   V8 heap; receive buffers and keys are there), both reported. The goal (goals.ts: ≤ 40 KB per
 *   idle connection at 10,000) applies to the server's figure. Handshakes stop at a time budget
 *   (default 120 s); the row then says how many connections it reached.
 * - GC share: after a full GC (earlier benchmarks' garbage is not the transfer's), a bulk
 *   transfer over one stream (core.ts `transfer`, default 100 MB, 1452-byte datagrams) while a PerformanceObserver sums the durations of the 'gc' entries: GC time as a
 *   share of the transfer's wall time (the goal: < 5%; the transfer is one busy thread, so wall
 *   time is its CPU time) and of its CPU time (process.cpuUsage, which also counts V8's helper
 *   threads), and the heap allocated per packet (V8's GC profiler, as in the core bench).
 *
 * Measuring needs a callable GC: `global.gc` when node runs with --expose-gc, else the flag is
 * set at run time (`v8.setFlagsFromString`) and `gc` fetched from a fresh context.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getProvider, type CryptoProvider } from '../crypto/index.js';
import { generateDevCertificate } from '../crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../crypto/tls/certificates.js';
import { Endpoint } from '../endpoint/endpoint.js';
import type { Connection } from '../connection/connection.js';
import type { ConnectionConfig } from '../connection/config.js';
import { transfer } from './core.js';
import { report, type BenchReport, type Measurement } from './harness.js';

const CLIENT = { host: '127.0.0.1', port: 1 };
const SERVER = { host: '127.0.0.1', port: 2 };
const ALPN = ['bench'];
const DATAGRAM = 1452;
/** Connections started per batch of handshakes. */
const BATCH = 250;
/** Timers further away than this (virtual µs) are left alone: idle timeouts, PMTU re-probes. */
const HORIZON = 1_000_000;

export const NOTE =
  "memory = V8 heapUsed + ArrayBuffer backing stores, above a baseline, after a full GC, per connection; the goal applies to the 'server' row; GC % = PerformanceObserver 'gc' durations / wall time of an in-memory bulk transfer";

export interface MemoryOptions {
  /** Idle connections (default 10,000). */
  iterations?: number;
  /** Seconds the handshakes may take before the figure is taken at the count reached (default 120). */
  budgetSeconds?: number;
  /** Bytes of the GC-share transfer (default 100 MB). */
  gcBytes?: number;
}

export interface MemoryReport extends BenchReport {
  note: string;
}

/** A callable full GC: global.gc if exposed, else --expose-gc set at run time. */
export function getGc(): () => void {
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return g as () => void;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

interface Usage {
  heap: number;
  arrayBuffers: number;
}

function usage(gc: () => void): Usage {
  // Twice: the first pass may leave weak and finalised objects to the second.
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

export interface IdleRun {
  requested: number;
  connections: number;
  /** Wall seconds of the handshakes. */
  seconds: number;
  /** Bytes per connection above the baseline, both endpoints alive. */
  both: Usage;
  /** Bytes per connection above the baseline, the server endpoint alone. */
  server: Usage;
  /** The time budget stopped the handshakes before `requested`. */
  truncated: boolean;
}

/** Delivers datagrams both ways and fires timers until nothing is due within HORIZON. */
function settle(client: Endpoint, server: Endpoint, now: number, conns: Connection[]): number {
  for (;;) {
    let moved = false;
    for (let d = client.pollTransmit(now); d; d = client.pollTransmit(now)) {
      server.handleDatagram(now, d);
      client.releaseDatagram(d);
      moved = true;
    }
    for (let d = server.pollTransmit(now); d; d = server.pollTransmit(now)) {
      client.handleDatagram(now, d);
      server.releaseDatagram(d);
      moved = true;
    }
    for (let e = server.pollEvent(); e; e = server.pollEvent()) conns.push(e.connection);
    if (moved) continue;
    const a = client.pollTimeout();
    const b = server.pollTimeout();
    const t = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    if (t === undefined || t > now + HORIZON) return now;
    now = Math.max(now, t);
    client.handleTimeout(now);
    server.handleTimeout(now);
  }
}

function drainEvents(conns: readonly Connection[]): void {
  for (const c of conns) while (c.pollEvent());
}

function serverEndpoint(provider: CryptoProvider, credentials: TlsCredentials): Endpoint {
  // No Retry: 'auto' (the default) would answer most of a batch of 250 Initials with Retry, and
  // the replies beyond the endpoint's bounded queue of stateless packets are dropped, leaving
  // those clients to their 1 s PTO. Address validation is not what this measures.
  return new Endpoint({ local: SERVER, retry: 'never', server: { provider, alpn: ALPN, credentials, transport: { maxDatagramSize: DATAGRAM } } });
}

function clientConfig(provider: CryptoProvider): ConnectionConfig {
  return { provider, alpn: ALPN, serverName: 'localhost', transport: { maxDatagramSize: DATAGRAM } };
}

/** A throwaway pair with a few connections, so JIT code and lazily built tables are in the baseline. */
function warmUp(provider: CryptoProvider, credentials: TlsCredentials): void {
  const server = serverEndpoint(provider, credentials);
  const client = new Endpoint({ local: CLIENT });
  const conns: Connection[] = [];
  for (let i = 0; i < 20; i++) conns.push(client.connect(0, SERVER, clientConfig(provider)));
  settle(client, server, 0, conns);
  drainEvents(conns);
}

interface ClientSide {
  client: Endpoint;
  conns: Connection[];
  seconds: number;
  truncated: boolean;
}

/**
 * Opens up to `n` connections to `server`, a batch at a time, each batch settled; stops early
 * after `budgetSeconds`. A function of its own, so that none of its temporaries (the last batch)
 * outlives it in the caller's frame.
 */
function openIdle(provider: CryptoProvider, server: Endpoint, n: number, budgetSeconds: number): ClientSide {
  const client = new Endpoint({ local: CLIENT });
  const config = clientConfig(provider);
  const conns: Connection[] = [];
  const serverConns: Connection[] = [];
  let now = 0;
  const t0 = performance.now();
  let truncated = false;
  while (conns.length < n) {
    if ((performance.now() - t0) / 1e3 > budgetSeconds) {
      truncated = true;
      break;
    }
    const batch: Connection[] = [];
    for (let i = 0; i < BATCH && conns.length + batch.length < n; i++) batch.push(client.connect(now, SERVER, config));
    now = settle(client, server, now, serverConns);
    for (const c of batch) if (c.state !== 'established') throw new Error(`bench memory: a handshake did not complete (${c.state})`);
    conns.push(...batch);
  }
  drainEvents(conns);
  drainEvents(serverConns);
  return { client, conns, seconds: (performance.now() - t0) / 1e3, truncated };
}

/**
 * `n` idle connections between a client and a server endpoint in memory; memory per connection
 * with both endpoints, then with the server alone.
 */
export function idleConnections(provider: CryptoProvider, credentials: TlsCredentials, n: number, budgetSeconds = 120): IdleRun {
  const gc = getGc();
  warmUp(provider, credentials);
  const server = serverEndpoint(provider, credentials);
  const base = usage(gc);
  let side: ClientSide | undefined = openIdle(provider, server, n, budgetSeconds);
  const { seconds, truncated } = side;
  const count = side.conns.length;
  const both = usage(gc);
  // The server's connections hold nothing of the client's: dropping the client side leaves the
  // server's share.
  side = undefined;
  const serverOnly = usage(gc);
  if (server.connectionCount < count) throw new Error(`bench memory: the server holds ${server.connectionCount} of ${count} connections`);
  const per = (u: Usage): Usage => ({ heap: (u.heap - base.heap) / count, arrayBuffers: (u.arrayBuffers - base.arrayBuffers) / count });
  return { requested: n, connections: count, seconds, both: per(both), server: per(serverOnly), truncated };
}

export interface GcRun {
  bytes: number;
  packets: number;
  wallMs: number;
  cpuMs: number;
  gcMs: number;
  gcCount: number;
  allocatedBytes: number;
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A bulk transfer of `bytes` in memory with the 'gc' performance entries summed over it. */
export async function gcShare(provider: CryptoProvider, credentials: TlsCredentials, bytes: number): Promise<GcRun> {
  const gc = getGc();
  transfer(provider, credentials, Math.min(bytes, 1 << 20), DATAGRAM); // warm-up
  // Start from a clean heap: the garbage of earlier benchmarks in this process is not this
  // transfer's to collect.
  usage(gc);
  let gcMs = 0;
  let gcCount = 0;
  let from = Infinity;
  let to = -Infinity;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.startTime < from || e.startTime > to) continue;
      gcMs += e.duration;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  try {
    // The observer takes effect, and its entries arrive, on later event-loop turns.
    await tick(5);
    const cpu0 = process.cpuUsage();
    from = performance.now();
    to = Infinity;
    const r = transfer(provider, credentials, bytes, DATAGRAM);
    to = performance.now();
    const cpu = process.cpuUsage(cpu0);
    await tick(50);
    return { bytes: r.bytes, packets: r.packets, wallMs: to - from, cpuMs: (cpu.user + cpu.system) / 1e3, gcMs, gcCount, allocatedBytes: r.allocatedBytes };
  } finally {
    obs.disconnect();
  }
}

const kb = (b: number): string => (b / 1024).toFixed(1);

/** The columns of the table, in order; a row leaves out what does not apply to it. */
const COLUMNS = ['provider', 'connections', 'MB', 'KB/conn', 'heap KB/conn', 'ArrayBuffer KB/conn', 'GC % wall', 'GC % CPU', 'alloc B/packet', 'note'] as const;

/** Every column on every row (empty where it does not apply), so the table keeps its order. */
function labels(l: Partial<Record<(typeof COLUMNS)[number], string>>): Record<string, string> {
  return Object.fromEntries(COLUMNS.map((k) => [k, l[k] ?? '']));
}

export async function run(opts: MemoryOptions = {}): Promise<MemoryReport> {
  const provider = getProvider('node');
  const pem = await generateDevCertificate({ keyType: 'ecdsa-p256' });
  const credentials = loadCredentials(pem.certPem, pem.keyPem);
  const results: Measurement[] = [];

  const g = await gcShare(provider, credentials, opts.gcBytes ?? 100_000_000);
  const gcPct = (100 * g.gcMs) / g.wallMs;
  const gcCpuPct = (100 * g.gcMs) / Math.max(g.cpuMs, 1e-9);
  const perPacket = g.allocatedBytes / Math.max(1, g.packets);
  results.push({
    name: 'bulk transfer: GC share',
    labels: labels({
      provider: 'node',
      connections: '1',
      MB: (g.bytes / 1e6).toFixed(g.bytes >= 1e6 ? 0 : 3),
      'GC % wall': gcPct.toFixed(2),
      'GC % CPU': gcCpuPct.toFixed(2),
      'alloc B/packet': perPacket.toFixed(0),
      note: `${g.gcCount} GCs, ${g.gcMs.toFixed(0)} ms of ${g.wallMs.toFixed(0)} ms wall, ${g.cpuMs.toFixed(0)} ms CPU`,
    }),
    values: { 'GC % wall': gcPct, 'GC % CPU': gcCpuPct, 'alloc B/packet': perPacket, 'GC ms': g.gcMs, 'wall ms': g.wallMs },
    // One operation = one packet (both directions).
    usPerOp: (g.wallMs * 1e3) / Math.max(1, g.packets),
    opsPerSec: g.packets / (g.wallMs / 1e3),
    rounds: 1,
    opsPerRound: g.packets,
  });

  const n = opts.iterations ?? 10_000;
  const idle = idleConnections(provider, credentials, n, opts.budgetSeconds);
  const reached = idle.truncated ? `, stopped by the time budget at ${idle.connections} of ${idle.requested}` : '';
  for (const [side, u] of [
    ['server', idle.server],
    ['client + server', idle.both],
  ] as const) {
    const total = u.heap + u.arrayBuffers;
    results.push({
      name: `idle connection: ${side}`,
      labels: labels({
        provider: 'node',
        connections: String(idle.connections),
        'KB/conn': kb(total),
        'heap KB/conn': kb(u.heap),
        'ArrayBuffer KB/conn': kb(u.arrayBuffers),
        note: `${(idle.connections / idle.seconds).toFixed(0)} handshakes/s in memory${reached}`,
      }),
      values: { 'KB/conn': total / 1024, 'heap KB/conn': u.heap / 1024, 'ArrayBuffer KB/conn': u.arrayBuffers / 1024, connections: idle.connections },
      // One operation = one handshake (in memory, both ends).
      usPerOp: (idle.seconds * 1e6) / Math.max(1, idle.connections),
      opsPerSec: idle.connections / idle.seconds,
      rounds: 1,
      opsPerRound: idle.connections,
    });
  }
  return { ...report('memory', results), note: NOTE };
}
