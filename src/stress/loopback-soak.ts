/**
 * `tquic soak --loopback`: many concurrent connections over real UDP on 127.0.0.1. The server is
 * a child process (server-child.ts, as in `tquic abuse`: `listen` and the HTTP/0.9 file server
 * `serveHq`, reporting its memory and counters over IPC), so that it has a core of its own and
 * its heap holds nothing but the server; the N client connections (default 1000) stay in this
 * process — on one shared client endpoint and socket (an IoHost of io/, the default) or one
 * `connect` and socket each — and each downloads `bytes` (default 1 MB) over one stream,
 * checking every byte as it arrives.
 *
 * A round opens the connections first, at most `handshakeConcurrency` (default 100) handshakes
 * at a time, and starts the downloads once all of them are open, so all N are open together
 * during the transfers; then every connection closes and the round ends when neither process
 * holds a connection (their closing and draining periods, RFC 9000 §10.2).
 *
 * The served files: `files` files of `bytes` bytes each, file k read from a seeded 1 MiB pattern
 * at its own offset (wrapping); connection i asks for file i mod `files` and checks what arrives
 * against the pattern, so data delivered at the wrong offset or from another file is caught
 * without keeping anything.
 *
 * Memory (heapUsed + arrayBuffers), in both processes: the baseline after a warm-up round
 * (`warmup` connections, by default as many as a round, of the same size) and full GCs. The
 * warm-up is a full round because V8 keeps the optimised code of the paths that only get hot at
 * that scale: at 1000 connections about 2.3 MB of code objects (code, deoptimisation data,
 * relocation info, in a heap snapshot diff), which is no leak but would otherwise count as one
 * (a 20-connection warm-up left the end at 115% of such a baseline); the peak while a round runs (sampled,
 * garbage included); each round's end once every connection of the round is closed and
 * forgotten, after full GCs. The acceptance applies to the server: every download of every
 * round complete and identical, and every round's end within `heapTolerance` (default 10%) of
 * the baseline. The client's figures are reported alongside. With `rounds` > 1 each round's end
 * is reported, so growth from round to round (a leak) shows as the difference of the ends.
 *
 * The kernel's UDP receive-buffer drops (RcvbufErrors of /proc/net/snmp, all sockets of the
 * host) are taken before and after the rounds, and each socket's own drops (/proc/net/udp) after
 * each round, where Linux provides them.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionConfig } from '../connection/config.js';
import { HQ_ALPN } from '../http/index.js';
import { IoHost } from '../io/host.js';
import { connect, type QuicConnection } from '../io/index.js';
import { baseConfig, trustAnchors } from '../io/options.js';
import type { SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import { diagnose, formatDiagnosis, type ConnectionDiagnosis } from './diagnose.js';
import { sampleMemory, settledMemory, type MemorySample } from './memory.js';
import { ChildServer, type ServerCounters } from './server-child.js';

export const DEFAULT_CONNECTIONS = 1000;
export const DEFAULT_SOAK_BYTES = 1_000_000;
export const DEFAULT_HEAP_TOLERANCE = 0.1;
export const DEFAULT_HANDSHAKE_CONCURRENCY = 100;
export const DEFAULT_FILES = 16;
const PATTERN = 1 << 20;

export interface LoopbackSoakOptions {
  connections?: number;
  bytes?: number;
  /** 'shared': one client endpoint and socket for all (default); 'per-connection': `connect` each. */
  clientSockets?: 'shared' | 'per-connection';
  crypto?: 'node' | 'noble';
  /** Every round's server end heap may exceed the baseline by this fraction (default 0.1). */
  heapTolerance?: number;
  /** Client handshakes under way at most while the connections are opened (default 100). */
  handshakeConcurrency?: number;
  /** Full rounds of `connections` after the warm-up (default 1). */
  rounds?: number;
  /** Connections of the warm-up round before the baseline (default: `connections`; 0: none). */
  warmup?: number;
  /** Distinct files served (default 16). */
  files?: number;
  /** Seed of the content pattern (default 1). */
  seed?: number;
  /** Bound on one round's downloads, ms (default 600 s). */
  timeoutMs?: number;
  /** How long closed connections may take to be forgotten by both processes, ms (default 30 s). */
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

/** One round: its downloads, its peaks and its end figures. */
export interface SoakRound {
  round: number;
  completed: number;
  failed: number;
  /** Failures grouped by message, with their count. */
  errors: Array<{ error: string; count: number }>;
  totalBytes: number;
  /** From the first connect to the last download checked. */
  elapsedSeconds: number;
  /** From the first connect until every connection was open (or had failed to), s. */
  openSeconds: number;
  /** From the last download until every connection was closed and forgotten by both processes. */
  closeSeconds: number;
  /** The slowest handshake, ms. */
  slowestHandshakeMs: number;
  goodputMbps: number;
  serverPeak: MemorySample;
  serverEnd: MemorySample;
  clientPeak: MemorySample;
  clientEnd: MemorySample;
  /** serverEnd.total / the server's baseline total. */
  ratio: number;
  /** What was still held at the end figure. */
  held: Holdings;
  /** Kernel drops for want of receive-buffer space during the round (RcvbufErrors), if known. */
  rcvbufErrors?: number;
  /** The drops counted on the server's and the shared client's socket so far (/proc/net/udp), if known. */
  socketDrops?: { server: number; client?: number };
}

export interface LoopbackSoakReport {
  connections: number;
  bytesPerConnection: number;
  clientSockets: 'shared' | 'per-connection';
  handshakeConcurrency: number;
  warmupConnections: number;
  files: number;
  /** The transport settings the soak sets on the clients (the server runs `listen`'s defaults). */
  clientTransport: Record<string, number | string | boolean>;
  serverPid: number | undefined;
  /** Summed over the rounds. */
  completed: number;
  failed: number;
  errors: Array<{ error: string; count: number }>;
  totalBytes: number;
  /** Of the first round. */
  elapsedSeconds: number;
  closeSeconds: number;
  slowestHandshakeMs: number;
  openSeconds: number;
  goodputMbps: number;
  /** The server's heap: baseline (after the warm-up), peak of all rounds, end of the last round. */
  baseline: MemorySample;
  peak: MemorySample;
  end: MemorySample;
  /** The largest round end over the baseline. */
  ratio: number;
  client: { baseline: MemorySample; peak: MemorySample; end: MemorySample; ratio: number };
  rounds: SoakRound[];
  heapTolerance: number;
  /** What was still held at the last end figure. */
  held: Holdings;
  /** RcvbufErrors of /proc/net/snmp before the warm-up and after the last round, if known. */
  rcvbufErrors?: { before: number; after: number };
  /**
   * The failed client connections (the first 10), and the server connections that ended
   * abnormally (timeouts, resets, errors; the first 100 of `serverAbnormal`), warm-up included.
   */
  diagnoses: { clients: ConnectionDiagnosis[]; servers: ConnectionDiagnosis[]; serverAbnormal: number };
  ok: boolean;
  failures: string[];
}

/** The content pattern: seeded bytes every file is read from. */
function pattern(seed: number): Buffer {
  return Buffer.from(new Prng(seed).bytes(PATTERN));
}

/** File k's offset into the pattern. */
const fileOffset = (k: number): number => (k * 2654435761) % PATTERN;

/** `bytes` bytes of the pattern from `off`, wrapping. */
function slice(p: Buffer, off: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; ) {
    const n = Math.min(bytes - i, PATTERN - off);
    p.copy(out, i, off, off + n);
    i += n;
    off = (off + n) % PATTERN;
  }
  return out;
}

/** Downloads `/f<k>.bin` over hq-interop and checks each chunk against the pattern; resolves with the bytes received. */
async function fetchChecked(qc: QuicConnection, k: number, bytes: number, p: Buffer): Promise<number> {
  const s = await qc.openStream();
  s.end(`GET /f${k}.bin\r\n`);
  let got = 0;
  let off = fileOffset(k);
  for await (const chunk of s) {
    const c = chunk as Buffer;
    if (got + c.length > bytes) throw new Error(`more than ${bytes} bytes`);
    let i = 0;
    while (i < c.length) {
      const n = Math.min(c.length - i, PATTERN - off);
      if (!c.subarray(i, i + n).equals(p.subarray(off, off + n))) throw new Error(`content differs at byte ${got + i}`);
      i += n;
      off = (off + n) % PATTERN;
    }
    got += c.length;
  }
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`);
  return got;
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

/** RcvbufErrors of the Udp line of /proc/net/snmp (undefined where there is none). */
export function rcvbufErrors(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf('RcvbufErrors');
    return i < 0 ? undefined : Number(values[i]);
  } catch {
    return undefined;
  }
}

/** The drops of the IPv4 UDP socket bound to 127.0.0.1:`port` (/proc/net/udp), if listed. */
export function socketDrops(port: number): number | undefined {
  try {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1] === local) return Number(f[f.length - 1]);
    }
  } catch {
    // Not Linux.
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = (b: number): string => (b / 2 ** 20).toFixed(1);
const larger = (a: MemorySample, b: MemorySample | undefined): MemorySample => (b !== undefined && b.total > a.total ? b : a);

export async function runLoopbackSoak(o: LoopbackSoakOptions = {}): Promise<LoopbackSoakReport> {
  const log = o.log ?? (() => {});
  const n = o.connections ?? DEFAULT_CONNECTIONS;
  const bytes = o.bytes ?? DEFAULT_SOAK_BYTES;
  const mode = o.clientSockets ?? 'shared';
  const crypto = o.crypto ?? 'node';
  const tolerance = o.heapTolerance ?? DEFAULT_HEAP_TOLERANCE;
  const concurrency = Math.max(1, o.handshakeConcurrency ?? DEFAULT_HANDSHAKE_CONCURRENCY);
  const rounds = Math.max(1, o.rounds ?? 1);
  const warmup = Math.max(0, o.warmup ?? n);
  const fileCount = Math.max(1, Math.min(o.files ?? DEFAULT_FILES, n));
  const timeoutMs = o.timeoutMs ?? 600_000;
  const drainMs = o.drainMs ?? 30_000;
  const p = pattern(o.seed ?? 1);

  const dir = mkdtempSync(join(tmpdir(), 'tquic-soak-'));
  for (let k = 0; k < fileCount; k++) writeFileSync(join(dir, `f${k}.bin`), slice(p, fileOffset(k), bytes));
  const child = new ChildServer({ root: dir, crypto, sampleMs: 100 });
  let shared: IoHost | undefined;
  const cleanup = async (): Promise<void> => {
    await shared?.close();
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ready = await child.next('ready', 30_000);
    if (ready === undefined) throw new Error(`soak: the server child did not start${child.stderr ? `: ${child.stderr.trim()}` : ''}`);
    const remote = { host: '127.0.0.1', port: ready.port };
    const handshakeTimeoutMs = Math.max(60_000, Math.min(timeoutMs, 300_000));
    const clientTransport = { handshakeTimeoutMs };
    const config: ConnectionConfig = {
      ...baseConfig({ alpn: [HQ_ALPN], crypto, transport: clientTransport }),
      serverName: 'localhost',
      verify: { mode: 'ca', ca: trustAnchors(ready.certPem) },
      timeMs: Date.now(),
    };
    let clientLocal: SocketAddress | undefined;
    if (mode === 'shared') {
      shared = await IoHost.create({
        sockets: [{ host: '127.0.0.1', port: 0 }],
        endpoint: (locals) => {
          clientLocal = locals[0]!;
          return { local: locals[0]!, seed: o.seed ?? 1 };
        },
      });
    }
    const open = (): Promise<QuicConnection> =>
      shared !== undefined
        ? connectShared(shared, config, remote, handshakeTimeoutMs)
        : connect({ host: remote.host, port: remote.port, serverName: 'localhost', ca: ready.certPem, alpn: [HQ_ALPN], crypto, handshakeTimeoutMs });
    const host = shared;
    let perConnection = 0;
    const held = (): Holdings => ({
      serverConnections: child.last?.connections ?? 0,
      serverEndpointConnections: child.last?.endpointConnections ?? 0,
      clientHostConnections: host?.connections.size ?? perConnection,
      clientEndpointConnections: host?.endpoint.connectionCount ?? 0,
    });
    const count = (h: Holdings): number => h.serverConnections + h.serverEndpointConnections + h.clientHostConnections + h.clientEndpointConnections;
    /** Waits until neither process holds a connection (or `ms` passed); returns what is still held. */
    const drained = async (ms: number): Promise<Holdings> => {
      const until = performance.now() + ms;
      let h = held();
      while (performance.now() < until && count(h) > 0 && !!child.alive) {
        await sleep(100);
        h = held();
      }
      return h;
    };

    /** One round of `count` connections: open all, download on all, close all and wait until forgotten. */
    const diagnoses: ConnectionDiagnosis[] = [];
    const round = async (label: string, conns: number, onSecond?: (elapsed: number, done: number, failed: number, total: number) => void) => {
      const closing: Array<Promise<unknown>> = [];
      let done = 0;
      let failed = 0;
      let total = 0;
      let slowest = 0;
      const errors = new Map<string, number>();
      const fail = (e: unknown): void => {
        failed++;
        const msg = (e as Error)?.message ?? String(e);
        errors.set(msg, (errors.get(msg) ?? 0) + 1);
      };
      const t0 = performance.now();
      let openSeconds = 0;
      const progress = onSecond === undefined ? undefined : setInterval(() => onSecond((performance.now() - t0) / 1e3, done, failed, total), 5000);
      const runs = (async (): Promise<void> => {
        const opened = new Array<QuicConnection | undefined>(conns).fill(undefined);
        let next = 0;
        const opener = async (): Promise<void> => {
          for (let i = next++; i < conns; i = next++) {
            const h0 = performance.now();
            try {
              opened[i] = await open();
              if (host === undefined) perConnection++;
              slowest = Math.max(slowest, performance.now() - h0);
            } catch (e) {
              fail(e);
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, conns) }, opener));
        openSeconds = (performance.now() - t0) / 1e3;
        if (onSecond !== undefined) log(`soak: ${label}: ${conns - failed} of ${conns} connections open in ${openSeconds.toFixed(1)} s (at most ${concurrency} handshakes at a time, slowest ${slowest.toFixed(0)} ms); downloading`);
        await Promise.all(
          opened.map(async (qc, i) => {
            if (qc === undefined) return;
            try {
              const got = await fetchChecked(qc, i % fileCount, bytes, p);
              total += got;
              done++;
            } catch (e) {
              fail(e);
              if (diagnoses.length < 10) diagnoses.push(diagnose(qc, qc.closeInfo));
            } finally {
              closing.push(
                qc.close().finally(() => {
                  if (host === undefined) perConnection--;
                }),
              );
            }
          }),
        );
      })();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([runs.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
      clearTimeout(timer);
      clearInterval(progress);
      const elapsed = (performance.now() - t0) / 1e3;
      if (timedOut) errors.set(`still running after ${timeoutMs / 1000} s`, conns - done - failed);
      const c0 = performance.now();
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closing), new Promise<void>((r) => (drainTimer = setTimeout(r, drainMs)))]);
      clearTimeout(drainTimer);
      const h = await drained(Math.max(0, drainMs - (performance.now() - c0)));
      return {
        completed: done,
        failed: conns - done,
        errors: [...errors].map(([error, n]) => ({ error, count: n })).sort((a, b) => b.count - a.count),
        totalBytes: total,
        elapsedSeconds: elapsed,
        openSeconds,
        closeSeconds: (performance.now() - c0) / 1e3,
        slowestHandshakeMs: slowest,
        goodputMbps: (total * 8) / elapsed / 1e6,
        held: h,
      };
    };

    const snmpBefore = rcvbufErrors();
    // Warm-up, then the baselines with nothing held.
    if (warmup > 0) {
      const w = await round('warm-up', Math.min(warmup, n));
      if (w.failed > 0) log(`soak: warm-up: ${w.failed} of ${Math.min(warmup, n)} failed (${w.errors.map((e) => `${e.count}× ${e.error}`).join('; ')})`);
    }
    const baseline = await child.measure();
    const clientBaseline = await settledMemory();
    log(
      `soak: server child pid ${child.proc.pid} on 127.0.0.1:${remote.port}; after a warm-up of ${Math.min(warmup, n)} connections: server baseline ${MiB(baseline.total)} MiB, client baseline ${MiB(clientBaseline.total)} MiB; ${rounds} round(s) of ${n} connections × ${bytes} bytes, client sockets ${mode}`,
    );

    const results: SoakRound[] = [];
    for (let r = 1; r <= rounds && !!child.alive; r++) {
      child.peak = undefined;
      let clientPeak = sampleMemory();
      const sampler = setInterval(() => (clientPeak = larger(clientPeak, sampleMemory())), 100);
      const drop0 = rcvbufErrors();
      const res = await round(`round ${r}`, n, (s, done, failed, total) =>
        log(`soak: round ${r}: ${done} complete, ${failed} failed, ${n - done - failed} running, ${s.toFixed(1)} s, ${(total / 1e6).toFixed(0)} MB; server ${MiB(child.peak?.total ?? 0)} MiB peak, holds ${child.last?.connections ?? 0}; client ${MiB(clientPeak.total)} MiB peak`),
      );
      clearInterval(sampler);
      const drop1 = rcvbufErrors();
      const serverPeak = larger(baseline, child.peak);
      const serverEnd = await child.measure();
      const clientEnd = await settledMemory();
      const serverDrops = socketDrops(remote.port);
      const clientDrops = clientLocal !== undefined ? socketDrops(clientLocal.port) : undefined;
      const one: SoakRound = {
        round: r,
        ...res,
        held: held(),
        serverPeak,
        serverEnd,
        clientPeak,
        clientEnd,
        ratio: serverEnd.total / baseline.total,
        ...(drop0 !== undefined && drop1 !== undefined ? { rcvbufErrors: drop1 - drop0 } : {}),
        ...(serverDrops !== undefined ? { socketDrops: { server: serverDrops, ...(clientDrops !== undefined ? { client: clientDrops } : {}) } } : {}),
      };
      results.push(one);
      log(`soak: round ${r}: ${one.completed}/${n} complete in ${one.elapsedSeconds.toFixed(1)} s, closed in ${one.closeSeconds.toFixed(1)} s; server end ${MiB(serverEnd.total)} MiB (${(100 * one.ratio).toFixed(1)}%), client end ${MiB(clientEnd.total)} MiB`);
    }
    const snmpAfter = rcvbufErrors();
    const last = results[results.length - 1]!;
    const first = results[0]!;
    const errors = new Map<string, number>();
    for (const r of results) for (const e of r.errors) errors.set(e.error, (errors.get(e.error) ?? 0) + e.count);
    const ratio = Math.max(...results.map((r) => r.ratio));
    const clientPeak = results.reduce((a, r) => larger(a, r.clientPeak), clientBaseline);
    const failures: string[] = [];
    if (!child.alive) failures.push(`the server child exited${child.stderr ? `: ${child.stderr.trim()}` : ''}`);
    if (results.length < rounds) failures.push(`${results.length} of ${rounds} rounds ran`);
    for (const r of results) {
      const tag = rounds > 1 ? `round ${r.round}: ` : '';
      if (r.failed > 0) failures.push(`${tag}${r.failed} of ${n} connections failed: ${r.errors.map((e) => `${e.count}× ${e.error}`).join('; ')}`);
      if (r.ratio > 1 + tolerance) failures.push(`${tag}the server's end heap is ${(100 * r.ratio).toFixed(1)}% of its baseline (bound ${(100 * (1 + tolerance)).toFixed(0)}%)`);
      if (count(r.held) > 0) {
        const h = r.held;
        failures.push(`${tag}connections still held ${drainMs / 1000} s after the downloads: server ${h.serverConnections}, server endpoint ${h.serverEndpointConnections}, client host ${h.clientHostConnections}, client endpoint ${h.clientEndpointConnections}`);
      }
    }
    return {
      connections: n,
      bytesPerConnection: bytes,
      clientSockets: mode,
      handshakeConcurrency: concurrency,
      warmupConnections: Math.min(warmup, n),
      files: fileCount,
      clientTransport,
      serverPid: child.proc.pid,
      completed: results.reduce((a, r) => a + r.completed, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      errors: [...errors].map(([error, c]) => ({ error, count: c })).sort((a, b) => b.count - a.count),
      totalBytes: results.reduce((a, r) => a + r.totalBytes, 0),
      elapsedSeconds: first.elapsedSeconds,
      closeSeconds: first.closeSeconds,
      slowestHandshakeMs: first.slowestHandshakeMs,
      openSeconds: first.openSeconds,
      goodputMbps: first.goodputMbps,
      baseline,
      peak: results.reduce((a, r) => larger(a, r.serverPeak), baseline),
      end: last.serverEnd,
      ratio,
      client: { baseline: clientBaseline, peak: clientPeak, end: last.clientEnd, ratio: last.clientEnd.total / clientBaseline.total },
      rounds: results,
      heapTolerance: tolerance,
      held: last.held,
      ...(snmpBefore !== undefined && snmpAfter !== undefined ? { rcvbufErrors: { before: snmpBefore, after: snmpAfter } } : {}),
      diagnoses: { clients: diagnoses, servers: child.abnormal, serverAbnormal: child.abnormalCount },
      ok: failures.length === 0,
      failures,
    };
  } finally {
    await cleanup();
  }
}

const mem = (m: MemorySample): string => `${MiB(m.total)} (${MiB(m.heapUsed)} + ${MiB(m.arrayBuffers)})`;

export function formatLoopbackSoak(r: LoopbackSoakReport): string {
  const transport = Object.entries(r.clientTransport)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  const lines = [
    `tquic soak --loopback: ${r.connections} concurrent connections × ${r.bytesPerConnection} bytes over UDP on 127.0.0.1 (client sockets: ${r.clientSockets}; server: child process ${r.serverPid ?? '?'}, hq-interop, ${r.files} files)`,
    `client transport settings: ${transport} (the rest defaults; the server runs listen's defaults)`,
    `warm-up: ${r.warmupConnections} connections × ${r.bytesPerConnection} bytes before the baselines`,
    `opened ${r.connections} connections in ${r.openSeconds.toFixed(1)} s, at most ${r.handshakeConcurrency} handshakes at a time, before the downloads started; slowest handshake ${r.slowestHandshakeMs.toFixed(0)} ms`,
    `completed ${r.completed}, failed ${r.failed}${r.rounds.length > 1 ? ` over ${r.rounds.length} rounds` : ''}; round 1: ${(r.rounds[0]!.totalBytes / 1e6).toFixed(1)} MB in ${r.elapsedSeconds.toFixed(1)} s (opening included), aggregate goodput ${r.goodputMbps.toFixed(0)} Mbit/s; all closed and forgotten ${r.closeSeconds.toFixed(1)} s later`,
    ...r.errors.map((e) => `  ${e.count}× ${e.error}`),
    `server heap (heapUsed + arrayBuffers, MiB): baseline ${mem(r.baseline)}, peak ${mem(r.peak)}, end ${mem(r.end)}; largest end/baseline ${(100 * r.ratio).toFixed(1)}% (bound ${(100 * (1 + r.heapTolerance)).toFixed(0)}%)`,
    `client heap (MiB, informational): baseline ${mem(r.client.baseline)}, peak ${mem(r.client.peak)}, end ${mem(r.client.end)}; end/baseline ${(100 * r.client.ratio).toFixed(1)}%`,
    ...(r.rounds.length > 1
      ? r.rounds.map(
          (x) =>
            `  round ${x.round}: ${x.completed}/${r.connections} complete, ${x.elapsedSeconds.toFixed(1)} s, ${x.goodputMbps.toFixed(0)} Mbit/s; server end ${MiB(x.serverEnd.total)} MiB (${(100 * x.ratio).toFixed(1)}%${x.round > 1 ? `, ${x.serverEnd.total >= r.rounds[0]!.serverEnd.total ? '+' : ''}${((x.serverEnd.total - r.rounds[0]!.serverEnd.total) / 1024).toFixed(0)} KiB vs round 1` : ''}), client end ${MiB(x.clientEnd.total)} MiB`,
        )
      : []),
    ...(r.rcvbufErrors !== undefined
      ? [`UDP receive-buffer drops (RcvbufErrors, whole host): +${r.rcvbufErrors.after - r.rcvbufErrors.before}${r.rounds.map((x) => (x.rcvbufErrors !== undefined ? `; round ${x.round} +${x.rcvbufErrors}` : '')).join('')}${r.rounds[r.rounds.length - 1]!.socketDrops !== undefined ? `; socket drops: server ${r.rounds[r.rounds.length - 1]!.socketDrops!.server}${r.rounds[r.rounds.length - 1]!.socketDrops!.client !== undefined ? `, client ${r.rounds[r.rounds.length - 1]!.socketDrops!.client}` : ''}` : ''}`]
      : []),
    ...(r.diagnoses.clients.length > 0 || r.diagnoses.serverAbnormal > 0
      ? [
          `failed client connections (${r.diagnoses.clients.length} shown) and server connections that ended abnormally (${r.diagnoses.serverAbnormal}, ${r.diagnoses.servers.length} shown; warm-up included):`,
          ...r.diagnoses.clients.map((d) => `  ${formatDiagnosis(d)}`),
          ...r.diagnoses.servers.map((d) => `  ${formatDiagnosis(d)}`),
        ]
      : []),
    `held at the end: server ${r.held.serverConnections} connections (endpoint ${r.held.serverEndpointConnections}), client host ${r.held.clientHostConnections} (endpoint ${r.held.clientEndpointConnections})`,
    r.ok ? "verdict: PASS — all downloads complete and identical, the server's heap back within the bound" : `verdict: FAIL — ${r.failures.join('; ')}`,
  ];
  return lines.join('\n');
}
