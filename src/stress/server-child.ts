/**
 * The server under attack in `tquic abuse`: a child process (so that a crash is a visible exit
 * and its heap is its own) running the same stack as `tquic server` — `listen` and the
 * HTTP/0.9 file server (`serveHq`) on 127.0.0.1, a fresh certificate — and reporting over the
 * IPC channel: 'ready' with its port, certificate and baseline memory (after a full GC), then a
 * 'sample' every `sampleMs` (memory in use, connections, the endpoint's drop counters, the
 * driver's datagram counters and its CPU time), a 'measured' figure after a full GC when the
 * parent sends 'measure', the counters at once on 'counters', and 'closed' after 'stop' (the server closed; the process then exits with 0).
 *
 * The parent starts it with `childCommand()`: node on the built module (dist/stress/), with the
 * configuration in the TQUIC_STRESS_CHILD environment variable.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateDevCertificate } from '../crypto/certgen.js';
import { serveHq, HQ_ALPN } from '../http/index.js';
import { listen, type QuicServer } from '../io/index.js';
import { diagnose, type ConnectionDiagnosis } from './diagnose.js';
import { sampleMemory, settledMemory, type MemorySample } from './memory.js';

/** The child's configuration (JSON in TQUIC_STRESS_CHILD). */
export interface ChildConfig {
  /** Directory whose files are served over hq-interop. */
  root: string;
  crypto: 'node' | 'noble';
  /** ListenOptions.maxConnections, if set. */
  maxConnections?: number;
  /** ListenOptions.retry, if set. */
  retry?: 'always' | 'auto' | 'never';
  /** Period of the 'sample' messages, ms. */
  sampleMs: number;
}

/** The server's counters, as the child reports them. */
export interface ServerCounters {
  /** Connections the QuicServer holds (handshaking, established, closing). */
  connections: number;
  /** Connections the endpoint routes to (includes those refused and still closing). */
  endpointConnections: number;
  /** Server handshakes under way. */
  handshakesInProgress: number;
  /** The endpoint's drops before any connection (RFC 9000 §5.2), by reason. */
  dropped: Record<string, number>;
  /** New connections refused at the endpoint's limits (CONNECTION_REFUSED). */
  refused: Record<string, number>;
  /** Stateless resets sent and withheld (RFC 9000 §10.3.3). */
  statelessResets: Record<string, number>;
  /** Address validation (RFC 9000 §8.1): Retry packets sent, tokens accepted and rejected. */
  addressValidation: Record<string, number>;
  datagramsReceived: number;
  datagramsSent: number;
  bytesReceived: number;
  bytesSent: number;
  /** Datagrams the endpoint threw on (a bug: the core must drop, never throw). */
  receiveErrors: number;
  /** Handshakes completed and failed (QuicServer 'connection' and 'handshakeError'). */
  established: number;
  handshakeErrors: number;
  /** The child's CPU time so far (process.cpuUsage, user + system), µs. */
  cpuMicros: number;
}

export type ChildMessage =
  | { type: 'ready'; port: number; certPem: string; baseline: MemorySample; counters: ServerCounters }
  | { type: 'sample'; mem: MemorySample; counters: ServerCounters }
  | { type: 'measured'; mem: MemorySample; counters: ServerCounters }
  /** The answer to 'counters': the counters now. */
  | { type: 'counters'; counters: ServerCounters }
  | { type: 'closed'; counters: ServerCounters }
  /** A connection that ended other than by a close with code 0 (timeouts, resets, errors). */
  | { type: 'abnormal'; diagnosis: ConnectionDiagnosis };

export type ParentMessage = { type: 'measure' } | { type: 'counters' } | { type: 'stop' };

export const CHILD_ENV = 'TQUIC_STRESS_CHILD';

/**
 * The command that starts the child: node on this module as built in dist/ (beside this module
 * when it runs from dist/, dist/stress/ seen from src/stress/ when it runs from the sources).
 */
export function childCommand(): { cmd: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const candidates = here.endsWith('.js') ? [here] : [fileURLToPath(new URL('../../dist/stress/server-child.js', import.meta.url))];
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`abuse: ${candidates[0]} is missing (run npm run build)`);
  return { cmd: process.execPath, args: [file] };
}

function cpuMicros(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

function counters(srv: QuicServer, hs: { established: number; errors: number }): ServerCounters {
  const st = srv.stats();
  return {
    connections: st.connections,
    endpointConnections: st.endpointConnections,
    handshakesInProgress: st.handshakesInProgress,
    dropped: st.dropped,
    refused: st.refused,
    statelessResets: st.statelessResets,
    addressValidation: st.addressValidation,
    datagramsReceived: st.datagramsReceived,
    datagramsSent: st.datagramsSent,
    bytesReceived: st.bytesReceived,
    bytesSent: st.bytesSent,
    receiveErrors: st.receiveErrors,
    established: hs.established,
    handshakeErrors: hs.errors,
    cpuMicros: cpuMicros(),
  };
}

/** The child's main: serve, report, stop on 'stop' (or when the parent goes away). */
export async function childMain(config: ChildConfig): Promise<void> {
  const send = (m: ChildMessage): void => {
    if (process.connected) process.send!(m);
  };
  const pem = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });
  const srv = await listen({
    host: '127.0.0.1',
    port: 0,
    cert: pem.certPem,
    key: pem.keyPem,
    alpn: [HQ_ALPN],
    crypto: config.crypto,
    ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}),
    ...(config.retry !== undefined ? { retry: config.retry } : {}),
  });
  serveHq(srv, { root: config.root, alpn: [HQ_ALPN] });
  const hs = { established: 0, errors: 0 };
  srv.on('connection', (qc) => {
    hs.established++;
    qc.once('closing', (info) => {
      const clean = (info.kind === 'transport' || info.kind === 'application') && info.code === 0;
      if (!clean) send({ type: 'abnormal', diagnosis: diagnose(qc, info) });
    });
  });
  srv.on('handshakeError', () => void hs.errors++);
  // Warnings (malformed datagrams, send errors) are counted by the driver; nothing to print.
  srv.on('warning', () => {});
  const baseline = await settledMemory();
  send({ type: 'ready', port: srv.address.port, certPem: pem.certPem, baseline, counters: counters(srv, hs) });
  const timer = setInterval(() => send({ type: 'sample', mem: sampleMemory(), counters: counters(srv, hs) }), config.sampleMs);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await srv.close({ timeoutMs: 1000 });
    send({ type: 'closed', counters: counters(srv, hs) });
    process.disconnect?.();
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'measure') void settledMemory().then((mem) => send({ type: 'measured', mem, counters: counters(srv, hs) }));
    else if (m.type === 'counters') send({ type: 'counters', counters: counters(srv, hs) });
    else if (m.type === 'stop') void stop();
  });
  // The parent went away: nothing to serve for.
  process.on('disconnect', () => void stop());
}

const env = process.env[CHILD_ENV];
if (env !== undefined && process.send !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) void childMain(JSON.parse(env) as ChildConfig);

/**
 * The parent's handle on a server child: its messages, latest counters, peak memory (since
 * `peak` was last cleared) and exit; `measure` asks for its memory after forced GCs.
 */
export class ChildServer {
  readonly proc: ChildProcess;
  ready: Extract<ChildMessage, { type: 'ready' }> | undefined;
  peak: MemorySample | undefined;
  peakConnections = 0;
  peakEndpointConnections = 0;
  peakHandshakes: number | undefined;
  last: ServerCounters | undefined;
  samples = 0;
  /** The server connections that ended abnormally (the first 100 of `abnormalCount`). */
  abnormal: ConnectionDiagnosis[] = [];
  abnormalCount = 0;
  exit: { code: number | null; signal: string | null; early: boolean } | undefined;
  stderr = '';
  private stopping = false;
  private waiters: Array<{ type: ChildMessage['type']; resolve: (m: ChildMessage) => void }> = [];
  readonly exited: Promise<void>;

  constructor(config: ChildConfig) {
    const { args } = childCommand();
    this.proc = fork(args[0]!, [], { execArgv: [], env: { ...process.env, [CHILD_ENV]: JSON.stringify(config) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    this.proc.on('message', (m: ChildMessage) => this.onMessage(m));
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exit = { code, signal, early: !this.stopping };
        for (const w of this.waiters) w.resolve({ type: 'closed', counters: this.last! });
        this.waiters = [];
        resolve();
      });
    });
  }

  private onMessage(m: ChildMessage): void {
    if (m.type === 'abnormal') {
      if (this.abnormal.length < 100) this.abnormal.push(m.diagnosis);
      this.abnormalCount++;
      return;
    }
    if (m.type !== 'closed' && m.type !== 'counters') {
      const mem = m.type === 'ready' ? m.baseline : m.mem;
      if (this.peak === undefined || mem.total > this.peak.total) this.peak = mem;
    }
    this.last = m.counters;
    this.peakConnections = Math.max(this.peakConnections, m.counters.connections);
    this.peakEndpointConnections = Math.max(this.peakEndpointConnections, m.counters.endpointConnections);
    if (m.counters.handshakesInProgress !== undefined) this.peakHandshakes = Math.max(this.peakHandshakes ?? 0, m.counters.handshakesInProgress);
    if (m.type === 'ready') this.ready = m;
    if (m.type === 'sample') this.samples++;
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
  }

  /** The next message of `type` (a 'closed' stand-in if the child exits first). */
  next<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }> | undefined> {
    if (this.exit !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (m: ChildMessage) => {
          clearTimeout(timer);
          resolve(m.type === type ? (m as Extract<ChildMessage, { type: T }>) : undefined);
        },
      };
      this.waiters.push(waiter);
    });
  }

  send(m: ParentMessage): void {
    if (m.type === 'stop') this.stopping = true;
    if (this.proc.connected) this.proc.send(m);
  }

  /** Sends `request` and waits for the child's `reply`; throws, saying `what` failed, without one. */
  private async ask<T extends ChildMessage['type']>(request: ParentMessage, reply: T, timeoutMs: number, what: string): Promise<Extract<ChildMessage, { type: T }>> {
    const answer = this.next(reply, timeoutMs);
    this.send(request);
    const m = await answer;
    if (m === undefined) throw new Error(`the server child did not ${what}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
    return m;
  }

  /** The child's memory after full GCs. */
  async measure(): Promise<MemorySample> {
    return (await this.ask({ type: 'measure' }, 'measured', 30_000, 'measure its memory')).mem;
  }

  /** The child's counters now (its CPU time included). */
  async counters(): Promise<ServerCounters> {
    return (await this.ask({ type: 'counters' }, 'counters', 10_000, 'report its counters')).counters;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  async stop(): Promise<void> {
    this.send({ type: 'stop' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}
