/**
 * `tquic abuse`: live abuse of a running server over real UDP. A large number of random and
 * mutated datagrams (attack.ts, by category, from a seeded PRNG) go from several sockets (one
 * per category, so that the server's answers can be counted per category) to a tquic server
 * while a legitimate client downloads a file and checks it. The server is by default a child
 * process of this one (server-child.ts), which reports its memory and counters; `target`
 * attacks an external server instead (then without memory figures).
 *
 * The run:
 * 1. the server starts; a legitimate connection downloads the file once without the flood
 *    (the reference goodput) and closes;
 * 2. the flood starts; a new legitimate connection makes its handshake under the flood and
 *    downloads the file again and again (each download checked byte for byte and by SHA-256)
 *    until the flood has sent everything; `known-dcid` datagrams carry that connection's DCID;
 * 3. a last connection checks that the server still accepts handshakes; the server's
 *    connections drain (up to `settleMs`) and its memory is measured after a full GC.
 *
 * The verdict fails when a download failed or differed, the handshake under flood or the last
 * one failed, the server died (exit before it was told to stop, or a non-zero exit), its peak
 * memory (heapUsed + arrayBuffers) exceeded `maxHeapMb`, the endpoint threw on a datagram
 * (`receiveErrors`), or its answers amplified an attack: more bytes back than sent for
 * categories that cannot open a handshake (Version Negotiation and stateless resets must be
 * smaller than their trigger, RFC 9000 §6.1, §10.3.3), more than three times for those that
 * can (RFC 9000 §8.1).
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProvider } from '../crypto/index.js';
import { fetchHq, HQ_ALPN } from '../http/index.js';
import { connect, type QuicConnection } from '../io/index.js';
import { toHex } from '../util/bytes.js';
import { Prng } from '../util/prng.js';
import { AttackGenerator, CATEGORIES, DEFAULT_MIX, HANDSHAKE_CATEGORIES, initialTemplates, type Category } from './attack.js';
import type { MemorySample } from './memory.js';
import { ChildServer, type ServerCounters } from './server-child.js';

export const DEFAULT_DATAGRAMS = 1_000_000;
export const DEFAULT_BYTES = 10_000_000;
/**
 * Default bound on the server's peak memory (heapUsed + arrayBuffers), MiB. A tquic server
 * idles at about 10 MiB; the legitimate download holds up to its connection window (24 MiB,
 * DEFAULT_TRANSPORT.maxConnectionWindow) in flight; the rest is what the flood may cost, which a
 * server that bounds its half-open handshakes keeps to tens of MiB. 256 MiB leaves room for all
 * of that several times over and still catches state that grows with the number of datagrams
 * (1,000,000 datagrams of 1 KB each are 1 GB).
 */
export const DEFAULT_MAX_HEAP_MB = 256;
/** Datagrams generated and sent per event-loop turn, and the most whose send has not completed. */
export const DEFAULT_BATCH = 64;
const MAX_OUTSTANDING = 2048;
const FILE = 'abuse.bin';

export interface AbuseOptions {
  datagrams?: number;
  bytes?: number;
  seed?: number;
  /** Datagrams per second at most (default: as fast as the sockets take them, in batches). */
  rate?: number;
  mix?: Readonly<Record<Category, number>>;
  /** Attack this server instead of a child (no memory figures; the file is `path`). */
  target?: { host: string; port: number; path: string; sha256?: string };
  maxHeapMb?: number;
  crypto?: 'node' | 'noble';
  batch?: number;
  /** How long the server's connections may take to drain before the end figure, ms (default 15 s). */
  settleMs?: number;
  /** Passed to the child's `listen`. */
  maxConnections?: number;
  retry?: 'always' | 'auto' | 'never';
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface CategoryReport {
  sent: number;
  bytes: number;
  /** Datagrams and bytes the server sent back to this category's socket. */
  responses: number;
  responseBytes: number;
  /** responseBytes / bytes. */
  amplification: number;
  /** The bound on `amplification`: 1 (no handshake possible), 3 (RFC 9000 §8.1). */
  bound: number;
}

export interface TransferReport {
  /** Downloads completed, and how many were identical to the served file. */
  downloads: number;
  identical: number;
  /** Every download completed and was identical. */
  ok: boolean;
  bytes: number;
  seconds: number;
  goodputMbps: number;
  /** SHA-256 of the served file, and whether every download had it. */
  sha256: string;
  hashOk: boolean;
  error?: string;
}

export interface ServerReport {
  external: boolean;
  /** Still serving at the end: no early exit, and a final handshake succeeded. */
  alive: boolean;
  exit?: { code: number | null; signal: string | null; early: boolean };
  stderr?: string;
  baseline?: MemorySample;
  peak?: MemorySample;
  end?: MemorySample;
  samples: number;
  peakConnections?: number;
  peakEndpointConnections?: number;
  /** Server handshakes under way at most, when the endpoint counts them. */
  peakHandshakes?: number;
  endConnections?: number;
  endEndpointConnections?: number;
  counters?: ServerCounters;
}

export interface AbuseReport {
  seed: number;
  datagrams: number;
  mix: Record<Category, number>;
  rate?: number;
  elapsedSeconds: number;
  sendRate: number;
  sendErrors: number;
  categories: Record<Category, CategoryReport>;
  reference: TransferReport;
  underFlood: TransferReport;
  handshakeUnderFlood: { ok: boolean; ms: number; error?: string };
  finalHandshake: { ok: boolean; ms: number; error?: string };
  server: ServerReport;
  maxHeapMb: number;
  ok: boolean;
  failures: string[];
  replay: string;
}

/** One socket per category: sends its datagrams and counts what comes back. */
interface AttackSocket {
  socket: Socket;
  report: CategoryReport;
}

async function bindSocket(host: string): Promise<Socket> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', () => {});
  s.bind(0, host.includes(':') ? '::' : host === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0');
  await once(s, 'listening');
  try {
    s.setSendBufferSize(2 << 20);
    s.setRecvBufferSize(2 << 20);
  } catch {
    // The kernel's caps apply.
  }
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function transferReport(sha256: string, downloads: number, identical: number, hashOk: boolean, bytes: number, seconds: number, error?: string): TransferReport {
  return {
    downloads,
    identical,
    ok: downloads > 0 && identical === downloads && error === undefined,
    bytes,
    seconds,
    goodputMbps: seconds > 0 ? (bytes * 8) / seconds / 1e6 : 0,
    sha256,
    hashOk: downloads > 0 && hashOk,
    ...(error !== undefined ? { error } : {}),
  };
}

export async function runAbuse(o: AbuseOptions = {}): Promise<AbuseReport> {
  const log = o.log ?? (() => {});
  const datagrams = o.datagrams ?? DEFAULT_DATAGRAMS;
  const bytes = o.bytes ?? DEFAULT_BYTES;
  const seed = o.seed ?? 1;
  const mix = { ...(o.mix ?? DEFAULT_MIX) } as Record<Category, number>;
  const maxHeapMb = o.maxHeapMb ?? DEFAULT_MAX_HEAP_MB;
  const crypto = o.crypto ?? 'node';
  const batch = o.batch ?? DEFAULT_BATCH;
  const settleMs = o.settleMs ?? 15_000;
  const provider = getProvider(crypto);
  const replay = `tquic abuse --seed ${seed} --datagrams ${datagrams} --bytes ${bytes}${o.rate !== undefined ? ` --rate ${o.rate}` : ''}${o.mix !== undefined ? ` --mix ${CATEGORIES.filter((c) => mix[c] > 0).map((c) => `${c}=${mix[c]}`).join(',')}` : ''}`;

  // The served file: seeded bytes, the same on every run with this seed.
  let dir: string | undefined;
  let expected: Buffer | undefined;
  let sha256 = o.target?.sha256 ?? '';
  let child: ChildServer | undefined;
  let host: string;
  let port: number;
  let path: string;
  let ca: string | undefined;
  if (o.target === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'tquic-abuse-'));
    expected = Buffer.from(new Prng(seed ^ 0x0ab05e).bytes(bytes));
    writeFileSync(join(dir, FILE), expected);
    sha256 = toHex(provider.hash('sha256', expected));
    child = new ChildServer({ root: dir, crypto, sampleMs: 100, ...(o.maxConnections !== undefined ? { maxConnections: o.maxConnections } : {}), ...(o.retry !== undefined ? { retry: o.retry } : {}) });
    const ready = await child.next('ready', 30_000);
    if (ready === undefined) {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`abuse: the server child did not start${child.stderr ? `: ${child.stderr.trim()}` : ''}`);
    }
    host = '127.0.0.1';
    port = ready.port;
    path = `/${FILE}`;
    ca = ready.certPem;
    log(`abuse: server child pid ${child.proc.pid} on ${host}:${port}, baseline ${(ready.baseline.total / 2 ** 20).toFixed(1)} MiB (heapUsed + arrayBuffers)`);
  } else {
    ({ host, port, path } = o.target);
  }

  const sockets = new Map<Category, AttackSocket>();
  const connectTo = (handshakeTimeoutMs: number): Promise<QuicConnection> =>
    connect({
      host,
      port,
      alpn: [HQ_ALPN],
      crypto,
      handshakeTimeoutMs,
      ...(ca !== undefined ? { ca, serverName: 'localhost' } : { insecure: true }),
    });
  /** Downloads the file over `qc`; checks it against the served bytes or the given SHA-256. */
  const download = async (qc: QuicConnection): Promise<{ ok: boolean; identical: boolean; hashOk: boolean; bytes: number; error?: string }> => {
    const [r] = await fetchHq(qc, [path]);
    if (r === undefined || !r.ok || r.body === undefined) return { ok: false, identical: false, hashOk: false, bytes: r?.bytes ?? 0, error: r?.error ?? 'no result' };
    const got = toHex(provider.hash('sha256', r.body));
    const hashOk = sha256 === '' || got === sha256;
    const identical = expected !== undefined ? r.body.equals(expected) : hashOk;
    return { ok: true, identical, hashOk, bytes: r.body.length };
  };

  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, { sent: 0, bytes: 0, responses: 0, responseBytes: 0, amplification: 0, bound: HANDSHAKE_CATEGORIES.has(c) ? 3 : 1 }])) as Record<Category, CategoryReport>;
  let reference: TransferReport = transferReport(sha256, 0, 0, false, 0, 0, 'not run');
  let underFlood: TransferReport = transferReport(sha256, 0, 0, false, 0, 0, 'not run');
  let handshakeUnderFlood: AbuseReport['handshakeUnderFlood'] = { ok: false, ms: 0, error: 'not run' };
  let finalHandshake: AbuseReport['finalHandshake'] = { ok: false, ms: 0, error: 'not run' };
  let elapsed = 0;
  let sendErrors = 0;
  let end: MemorySample | undefined;
  let endCounters: ServerCounters | undefined;
  try {
    for (const c of CATEGORIES) {
      if (!(mix[c] > 0)) continue;
      const socket = await bindSocket(host);
      const report = categories[c];
      socket.on('message', (m: Buffer) => {
        report.responses++;
        report.responseBytes += m.length;
      });
      sockets.set(c, { socket, report });
    }

    // 1. The reference download, without the flood.
    {
      const qc = await connectTo(10_000);
      const t0 = performance.now();
      const r = await download(qc);
      const s = (performance.now() - t0) / 1e3;
      await qc.close();
      reference = transferReport(sha256, r.ok ? 1 : 0, r.identical ? 1 : 0, r.hashOk, r.bytes, s, r.error);
      log(`abuse: reference download ${(r.bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s (${reference.goodputMbps.toFixed(0)} Mbit/s) without the flood, ${r.identical ? 'identical' : 'DIFFERENT'}`);
    }

    // 2. The flood, and a legitimate connection downloading under it.
    let legit: QuicConnection | undefined;
    const templates = initialTemplates(provider, [HQ_ALPN], seed);
    const gen = new AttackGenerator({ seed, mix, templates, provider, target: { knownDcid: () => (legit !== undefined && legit.closeInfo === undefined ? legit.core.remoteCid : undefined) } });
    let sent = 0;
    let outstanding = 0;
    let floodDone = false;
    const t0 = performance.now();
    const onSent = (err: Error | null): void => {
      outstanding--;
      if (err) sendErrors++;
    };
    let nextLog = Math.max(1, Math.floor(datagrams / 10));
    const flood = new Promise<void>((resolve) => {
      const turn = (): void => {
        const now = performance.now();
        let n = batch;
        if (o.rate !== undefined) n = Math.min(n, Math.floor((o.rate * (now - t0)) / 1e3) - sent);
        n = Math.min(n, datagrams - sent, MAX_OUTSTANDING - outstanding);
        for (let i = 0; i < n; i++) {
          const cat = gen.pick();
          const d = gen.make(cat);
          const s = sockets.get(cat)!;
          s.report.sent++;
          s.report.bytes += d.length;
          outstanding++;
          s.socket.send(d, port, host, onSent);
        }
        sent += Math.max(0, n);
        if (sent >= nextLog) {
          const t = (performance.now() - t0) / 1e3;
          const srv = child?.last;
          log(`abuse: ${sent}/${datagrams} datagrams in ${t.toFixed(1)} s (${Math.round(sent / t)}/s)${child?.peak !== undefined && srv !== undefined ? `; server ${(child.peak.total / 2 ** 20).toFixed(0)} MiB peak, ${srv.connections} connections (endpoint ${srv.endpointConnections}), ${srv.datagramsReceived} datagrams received` : ''}`);
          nextLog += Math.max(1, Math.floor(datagrams / 10));
        }
        if (sent >= datagrams || (child !== undefined && !child.alive)) {
          floodDone = true;
          resolve();
          return;
        }
        if (o.rate !== undefined && n <= 0) setTimeout(turn, 1);
        else setImmediate(turn);
      };
      setImmediate(turn);
    });

    const legitRun = (async (): Promise<void> => {
      // Let the flood get going first.
      while (!floodDone && sent < Math.min(datagrams, 1000)) await sleep(5);
      const h0 = performance.now();
      try {
        legit = await connectTo(30_000);
        handshakeUnderFlood = { ok: true, ms: performance.now() - h0 };
      } catch (e) {
        handshakeUnderFlood = { ok: false, ms: performance.now() - h0, error: (e as Error).message };
        underFlood = transferReport(sha256, 0, 0, false, 0, 0, `no connection: ${(e as Error).message}`);
        return;
      }
      let n = 0;
      let same = 0;
      let hashOk = true;
      let got = 0;
      let error: string | undefined;
      const d0 = performance.now();
      do {
        const r = await download(legit);
        if (!r.ok) {
          error = r.error;
          break;
        }
        n++;
        if (r.identical) same++;
        hashOk &&= r.hashOk;
        got += r.bytes;
      } while (!floodDone);
      underFlood = transferReport(sha256, n, same, hashOk, got, (performance.now() - d0) / 1e3, error);
      await legit.close();
    })();

    await flood;
    elapsed = (performance.now() - t0) / 1e3;
    while (outstanding > 0) await new Promise((r) => setImmediate(r));
    log(`abuse: flood of ${sent} datagrams done in ${elapsed.toFixed(1)} s (${Math.round(sent / elapsed)}/s)`);
    await legitRun;

    // 3. Still serving?
    {
      const h0 = performance.now();
      try {
        const qc = await connectTo(10_000);
        finalHandshake = { ok: true, ms: performance.now() - h0 };
        await qc.close();
      } catch (e) {
        finalHandshake = { ok: false, ms: performance.now() - h0, error: (e as Error).message };
      }
    }
    // Answers still on their way.
    await sleep(200);
    if (child !== undefined) {
      const settleEnd = performance.now() + settleMs;
      while (child.alive && performance.now() < settleEnd && (child.last?.endpointConnections ?? 0) > 0) await sleep(100);
    }
  } finally {
    for (const s of sockets.values()) s.socket.close();
  }
  if (child !== undefined) {
    const measuring = child.next('measured', 30_000);
    child.send({ type: 'measure' });
    const m = await measuring;
    end = m?.mem;
    endCounters = m?.counters;
    await child.stop();
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });

  for (const c of CATEGORIES) {
    const r = categories[c];
    r.amplification = r.bytes > 0 ? r.responseBytes / r.bytes : 0;
  }
  const total = CATEGORIES.reduce((a, c) => a + categories[c].sent, 0);
  const server: ServerReport = {
    external: child === undefined,
    alive: finalHandshake.ok && (child === undefined || (child.exit !== undefined && !child.exit.early && child.exit.code === 0)),
    samples: child?.samples ?? 0,
  };
  if (child !== undefined) {
    if (child.exit !== undefined) server.exit = child.exit;
    if (child.exit?.early === true || (child.exit?.code ?? 0) !== 0) server.stderr = child.stderr;
    if (child.ready !== undefined) server.baseline = child.ready.baseline;
    if (child.peak !== undefined) server.peak = child.peak;
    if (end !== undefined) server.end = end;
    server.peakConnections = child.peakConnections;
    server.peakEndpointConnections = child.peakEndpointConnections;
    if (child.peakHandshakes !== undefined) server.peakHandshakes = child.peakHandshakes;
    const c = endCounters ?? child.last;
    if (c !== undefined) {
      server.endConnections = c.connections;
      server.endEndpointConnections = c.endpointConnections;
      server.counters = c;
    }
  }

  const failures: string[] = [];
  if (!reference.ok) failures.push(`the reference download failed: ${reference.error ?? 'content differs'}`);
  if (!handshakeUnderFlood.ok) failures.push(`the handshake under the flood failed: ${handshakeUnderFlood.error}`);
  if (!underFlood.ok) failures.push(`the download under the flood failed: ${underFlood.error ?? `${underFlood.downloads - underFlood.identical} of ${underFlood.downloads} differ`}`);
  else if (!underFlood.hashOk) failures.push('a download under the flood has the wrong SHA-256');
  if (!finalHandshake.ok) failures.push(`the server accepts no handshake after the flood: ${finalHandshake.error}`);
  if (child !== undefined && child.exit?.early === true) failures.push(`the server died: exit code ${child.exit.code}, signal ${child.exit.signal}`);
  else if (child !== undefined && child.exit !== undefined && child.exit.code !== 0) failures.push(`the server exited with code ${child.exit.code} when stopped`);
  if (server.peak !== undefined && server.peak.total > maxHeapMb * 2 ** 20) failures.push(`the server's peak memory ${(server.peak.total / 2 ** 20).toFixed(0)} MiB exceeds --max-heap-mb ${maxHeapMb}`);
  if ((server.counters?.receiveErrors ?? 0) > 0) failures.push(`the endpoint threw on ${server.counters!.receiveErrors} datagrams`);
  for (const c of CATEGORIES) {
    const r = categories[c];
    if (r.amplification > r.bound) failures.push(`${c}: the server answered ${r.responseBytes} bytes to ${r.bytes} (${r.amplification.toFixed(2)}×, bound ${r.bound}×)`);
  }
  return {
    seed,
    datagrams: total,
    mix,
    ...(o.rate !== undefined ? { rate: o.rate } : {}),
    elapsedSeconds: elapsed,
    sendRate: elapsed > 0 ? total / elapsed : 0,
    sendErrors,
    categories,
    reference,
    underFlood,
    handshakeUnderFlood,
    finalHandshake,
    server,
    maxHeapMb,
    ok: failures.length === 0,
    failures,
    replay,
  };
}

const MiB = (b: number | undefined): string => (b === undefined ? '-' : (b / 2 ** 20).toFixed(1));

/** The report as a table and a verdict line. */
export function formatAbuse(r: AbuseReport): string {
  const lines: string[] = [];
  lines.push(`tquic abuse: ${r.datagrams} datagrams in ${r.elapsedSeconds.toFixed(1)} s (${Math.round(r.sendRate)}/s${r.rate !== undefined ? `, --rate ${r.rate}` : ''}), seed ${r.seed}, ${r.sendErrors} send errors`);
  lines.push('');
  lines.push(`${'category'.padEnd(14)}${'sent'.padStart(10)}${'share'.padStart(8)}${'MB'.padStart(9)}${'answers'.padStart(10)}${'answer KB'.padStart(11)}${'ampl.'.padStart(8)}`);
  for (const c of CATEGORIES) {
    const x = r.categories[c];
    if (x.sent === 0) continue;
    lines.push(
      `${c.padEnd(14)}${String(x.sent).padStart(10)}${`${((100 * x.sent) / Math.max(1, r.datagrams)).toFixed(1)}%`.padStart(8)}${(x.bytes / 1e6).toFixed(1).padStart(9)}${String(x.responses).padStart(10)}${(x.responseBytes / 1e3).toFixed(1).padStart(11)}${`${x.amplification.toFixed(3)}×`.padStart(8)}`,
    );
  }
  lines.push('');
  const t = (name: string, x: TransferReport): string =>
    `${name}: ${x.downloads} download${x.downloads === 1 ? '' : 's'}, ${(x.bytes / 1e6).toFixed(1)} MB in ${x.seconds.toFixed(2)} s, ${x.goodputMbps.toFixed(0)} Mbit/s, ${x.identical}/${x.downloads} identical, SHA-256 ${x.hashOk ? 'ok' : 'NOT ok'}${x.error !== undefined ? ` — ${x.error}` : ''}`;
  lines.push(t('transfer without flood', r.reference));
  lines.push(t('transfer under flood  ', r.underFlood));
  lines.push(`handshake under flood: ${r.handshakeUnderFlood.ok ? `ok in ${r.handshakeUnderFlood.ms.toFixed(0)} ms` : `FAILED: ${r.handshakeUnderFlood.error}`}; after the flood: ${r.finalHandshake.ok ? `ok in ${r.finalHandshake.ms.toFixed(0)} ms` : `FAILED: ${r.finalHandshake.error}`}`);
  const s = r.server;
  if (s.external) {
    lines.push(`server (external): ${s.alive ? 'alive' : 'NOT answering'} at the end; no memory figures`);
  } else {
    lines.push(`server: ${s.alive ? 'alive' : 'DIED'}${s.exit !== undefined ? ` (exit ${s.exit.code ?? s.exit.signal}${s.exit.early ? ', before it was stopped' : ' when stopped'})` : ''}`);
    lines.push(
      `server memory (heapUsed + arrayBuffers, MiB): baseline ${MiB(s.baseline?.total)}, peak ${MiB(s.peak?.total)} (heap ${MiB(s.peak?.heapUsed)}, arrayBuffers ${MiB(s.peak?.arrayBuffers)}, rss ${MiB(s.peak?.rss)}), end ${MiB(s.end?.total)} after GC; bound ${r.maxHeapMb}`,
    );
    lines.push(`server connections: peak ${s.peakConnections ?? '-'} (endpoint ${s.peakEndpointConnections ?? '-'}), end ${s.endConnections ?? '-'} (endpoint ${s.endEndpointConnections ?? '-'})`);
    const c = s.counters;
    if (c !== undefined) {
      lines.push(`server datagrams: ${c.datagramsReceived} received (${(c.bytesReceived / 1e6).toFixed(1)} MB), ${c.datagramsSent} sent (${(c.bytesSent / 1e6).toFixed(1)} MB), ${c.receiveErrors} receive errors; handshakes ${c.established} completed, ${c.handshakeErrors} failed`);
      const list = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
      lines.push(`endpoint drops: ${list(c.dropped)}; refused: ${list(c.refused)}; stateless resets: ${list(c.statelessResets)}`);
      lines.push(`address validation: ${list(c.addressValidation)}; peak handshakes in progress ${s.peakHandshakes ?? '-'}`);
    }
  }
  lines.push('');
  lines.push(r.ok ? 'verdict: PASS — transfers complete and identical, server alive, memory bounded, no amplification' : `verdict: FAIL — ${r.failures.join('; ')}`);
  if (!r.ok) lines.push(`replay: ${r.replay}`);
  return lines.join('\n');
}
