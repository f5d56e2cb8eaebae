/**
 * Scenarios as plain data (JSON-compatible: numbers, strings, arrays, objects) and the runner
 * that plays one: a client and a server host joined point-to-point by two one-way links, a
 * workload on one stream, and the results.
 *
 * Determinism: every random choice in the network and the endpoints comes from `seed`, and the
 * crypto provider's `randomBytes` is replaced by a seeded generator inside the simulation (TLS
 * randoms, tokens). Ephemeral key pairs still come from the provider, so packet contents differ
 * between runs, but their sizes do not; with an Ed25519 (or RSA) certificate the signatures have
 * a fixed size and the same seed gives identical results. ECDSA signatures vary in DER length
 * by a byte or two, which can shift timings.
 */
import type { SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Duration, Instant } from '../util/time.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { TlsCredentials } from '../crypto/tls/certificates.js';
import type { ConnectionConfig, TransportSettings } from '../connection/config.js';
import type { Connection, ConnectionStats } from '../connection/connection.js';
import type { QlogSink } from '../qlog/index.js';
import { Endpoint } from '../endpoint/endpoint.js';
import { Network } from './network.js';
import type { LinkConfig, LinkCounters } from './link.js';

/** Bulk transfer of `bytes` on one bidirectional stream opened by the client. */
export interface BulkWorkload {
  type: 'bulk';
  bytes: number;
  /** 'download': server → client after a small request (default); 'upload': client → server. */
  direction?: 'download' | 'upload';
}

export type Workload = BulkWorkload;

export interface Scenario {
  name: string;
  description?: string;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Client → server link. */
  toServer: LinkConfig;
  /** Server → client link. */
  toClient: LinkConfig;
  workload: Workload;
  /** Give up after this much virtual time (µs, default 300 s). */
  maxTime?: Duration;
  client?: { transport?: Partial<TransportSettings> };
  server?: { transport?: Partial<TransportSettings> };
}

export interface RunOptions {
  provider: CryptoProvider;
  credentials: TlsCredentials;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Keep the provider's own random source (default false: seeded, for reproducibility). */
  secureRandom?: boolean;
  clientQlog?: QlogSink;
  serverQlog?: QlogSink;
  /** Record every delivery in `trace` of the result. */
  trace?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  seed: number;
  /** The receiver got every byte and the FIN within maxTime. */
  completed: boolean;
  /** Virtual µs from the start until the receiver had everything (or when the run stopped). */
  completionTime: Instant;
  /** When the client's handshake completed (µs), if it did. */
  handshakeTime: Instant | undefined;
  /** Application bytes received, and whether they matched what was sent. */
  bytes: number;
  expectedBytes: number;
  dataIntact: boolean;
  /** Application bits per second over the whole run (bytes·8 / completionTime). */
  goodput: number;
  /** Packets the sender declared lost (and so retransmitted the data of). */
  retransmissions: number;
  client: ConnectionStats | undefined;
  server: ConnectionStats | undefined;
  links: { toServer: LinkCounters; toClient: LinkCounters };
  unroutable: number;
  events: number;
  trace?: { at: number; link: string; index: number; size: number }[];
}

export const CLIENT_ADDRESS: SocketAddress = { host: '10.0.0.1', port: 50000 };
export const SERVER_ADDRESS: SocketAddress = { host: '10.0.0.2', port: 443 };

/** Byte `i` of the workload's payload: cheap to produce and to check, and shift-sensitive. */
export function payloadByte(i: number): number {
  return (i + ((i >>> 8) * 7) + ((i >>> 16) * 13) + ((i >>> 24) * 29)) & 0xff;
}

function payload(offset: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = payloadByte(offset + i);
  return b;
}

const REQUEST = new TextEncoder().encode('GET /bulk\r\n');
const WRITE_CHUNK = 64 * 1024;

/** Sends `total` payload bytes on a stream as flow control allows. */
class Sender {
  written = 0;
  finished = false;
  constructor(
    readonly total: number,
    readonly id: number,
  ) {}
  pump(conn: Connection): void {
    while (!this.finished && conn.state === 'established') {
      if (this.written < this.total) {
        const len = Math.min(WRITE_CHUNK, this.total - this.written);
        const n = conn.streamWrite(this.id, payload(this.written, len));
        this.written += n;
        if (n < len) return;
      }
      if (this.written === this.total) {
        conn.streamFinish(this.id);
        this.finished = true;
      }
    }
  }
}

/** Reads a stream, counting bytes and checking them against the payload pattern. */
class Receiver {
  bytes = 0;
  fin = false;
  intact = true;
  constructor(
    readonly id: number,
    readonly checkPayload: boolean,
  ) {}
  pump(conn: Connection): void {
    for (let r = conn.streamRead(this.id); r; r = conn.streamRead(this.id)) {
      if (this.checkPayload) {
        const d = r.data;
        for (let i = 0; i < d.length; i++) if (d[i] !== payloadByte(this.bytes + i)) this.intact = false;
      }
      this.bytes += r.data.length;
      if (r.fin) this.fin = true;
    }
  }
}

function cloneCounters(c: LinkCounters): LinkCounters {
  return { ...c, dropped: { ...c.dropped } };
}

function seededProvider(p: CryptoProvider, prng: Prng): CryptoProvider {
  return { ...p, randomBytes: (n: number) => prng.bytes(n) };
}

/** Plays a scenario to completion (or maxTime) and reports what happened. */
export function runScenario(scenario: Scenario, opts: RunOptions): ScenarioResult {
  const seed = opts.seed ?? scenario.seed ?? 1;
  const w = scenario.workload;
  if (w.type !== 'bulk') throw new RangeError(`unknown workload ${(w as { type: string }).type}`);
  if (!(Number.isInteger(w.bytes) && w.bytes >= 0)) throw new RangeError('bulk.bytes must be a non-negative integer');
  const download = (w.direction ?? 'download') === 'download';
  const prng = new Prng(seed);
  const net = new Network({ seed: prng.nextU32(), ...(opts.trace ? { trace: true } : {}) });
  const provider = opts.secureRandom ? opts.provider : seededProvider(opts.provider, prng.fork());
  const base = { provider, alpn: ['sim'], timeMs: Date.UTC(2026, 0, 2) };
  const serverConfig: ConnectionConfig = {
    ...base,
    credentials: opts.credentials,
    ...(scenario.server?.transport ? { transport: scenario.server.transport } : {}),
    ...(opts.serverQlog ? { qlog: opts.serverQlog } : {}),
  };
  const clientConfig: ConnectionConfig = {
    ...base,
    serverName: 'localhost',
    ...(scenario.client?.transport ? { transport: scenario.client.transport } : {}),
    ...(opts.clientQlog ? { qlog: opts.clientQlog } : {}),
  };

  const serverEp = new Endpoint({ local: SERVER_ADDRESS, seed: prng.nextU32(), server: serverConfig });
  const clientEp = new Endpoint({ local: CLIENT_ADDRESS, seed: prng.nextU32() });

  let clientConn: Connection | undefined;
  let serverConn: Connection | undefined;
  let handshakeTime: Instant | undefined;
  let streamId: number | undefined;
  let sender: Sender | undefined;
  let receiver: Receiver | undefined;
  let requestReader: Receiver | undefined;
  let doneAt: Instant | undefined;

  const finishCheck = (): void => {
    if (doneAt === undefined && receiver && receiver.fin && receiver.bytes === w.bytes) doneAt = net.engine.now;
  };

  const clientActivity = (): void => {
    const c = clientConn;
    if (!c) return;
    for (let e = c.pollEvent(); e; e = c.pollEvent()) {
      if (e.type === 'handshake_complete' && handshakeTime === undefined) handshakeTime = net.engine.now;
    }
    if (streamId === undefined && c.state === 'established') {
      const id = c.openStream(true);
      if (id === undefined) return;
      streamId = id;
      if (download) {
        c.streamWrite(id, REQUEST, true);
        receiver = new Receiver(id, true);
      } else {
        sender = new Sender(w.bytes, id);
      }
    }
    if (download) receiver?.pump(c);
    else sender?.pump(c);
    finishCheck();
  };

  const serverActivity = (): void => {
    for (let e = serverEp.pollEvent(); e; e = serverEp.pollEvent()) serverConn ??= e.connection;
    const s = serverConn;
    if (!s) return;
    for (let e = s.pollEvent(); e; e = s.pollEvent()) {
      if (e.type === 'stream_opened' && streamId !== undefined && e.id === streamId) {
        if (download) requestReader = new Receiver(e.id, false);
        else receiver = new Receiver(e.id, true);
      }
    }
    if (download) {
      requestReader?.pump(s);
      if (requestReader?.fin && !sender) sender = new Sender(w.bytes, requestReader.id);
      sender?.pump(s);
    } else {
      receiver?.pump(s);
    }
    finishCheck();
  };

  const serverHost = net.addHost('server', serverEp, serverActivity);
  const clientHost = net.addHost('client', clientEp, clientActivity);
  const { forward, reverse } = net.connect(clientHost, serverHost, scenario.toServer, scenario.toClient);
  clientConn = clientEp.connect(net.engine.now, SERVER_ADDRESS, clientConfig);

  const maxTime = scenario.maxTime ?? 300_000_000;
  const completed = net.engine.runUntil(() => doneAt !== undefined, maxTime);
  const completionTime = doneAt ?? net.engine.now;
  const bytes = receiver?.bytes ?? 0;
  const senderConn = download ? serverConn : clientConn;
  const result: ScenarioResult = {
    scenario: scenario.name,
    seed,
    completed,
    completionTime,
    handshakeTime,
    bytes,
    expectedBytes: w.bytes,
    dataIntact: receiver?.intact ?? w.bytes === 0,
    goodput: completionTime > 0 ? (bytes * 8 * 1_000_000) / completionTime : 0,
    retransmissions: senderConn?.stats().packetsLost ?? 0,
    client: clientConn.stats(),
    server: serverConn?.stats(),
    links: { toServer: cloneCounters(forward.counters), toClient: cloneCounters(reverse.counters) },
    unroutable: net.unroutable,
    events: net.engine.eventsRun,
  };
  if (opts.trace) result.trace = net.trace;
  return result;
}
