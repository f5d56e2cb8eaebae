/**
 * A client and a server endpoint joined by an in-memory network in virtual time: the clock
 * jumps to the earliest deadline (a delivery or a timer). A seeded modifier may drop, delay,
 * reorder, duplicate or corrupt datagrams. Every run checks the anti-amplification rule.
 */
import { Endpoint, type EndpointOptions } from '../../src/endpoint/endpoint.js';
import type { Connection } from '../../src/connection/connection.js';
import type { ConnectionConfig } from '../../src/connection/config.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import type { Datagram, Ecn, SocketAddress } from '../../src/util/datagram.js';
import { Prng } from '../../src/util/prng.js';
import { concatBytes } from '../../src/util/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../../src/crypto/tls/certificates.js';
import { MemorySink } from '../../src/qlog/memory.js';

export const CLIENT_ADDR = { host: '10.0.0.1', port: 50000 };
export const SERVER_ADDR = { host: '10.0.0.2', port: 443 };

let creds: TlsCredentials | undefined;
export async function testCredentials(): Promise<TlsCredentials> {
  if (!creds) {
    const c = await generateDevCertificate({ notBefore: new Date(Date.UTC(2026, 0, 1)), days: 3650 });
    creds = loadCredentials(c.certPem, c.keyPem);
  }
  return creds;
}

export interface LinkOptions {
  /** One-way delay in µs (default 10 ms). */
  delay?: number;
  /** One-way delay in µs of one datagram (e.g. one multipath path slower); undefined: `delay`. */
  delayOf?: (d: Datagram, from: 'client' | 'server') => number | undefined;
  /** Extra random delay up to this many µs (reordering). */
  jitter?: number;
  loss?: number;
  duplicate?: number;
  corrupt?: number;
  /** Drop datagrams for which this returns true (after the random impairments). */
  dropIf?: (d: Datagram, index: number, from: 'client' | 'server') => boolean;
  /** Rewrites the ECN codepoint a datagram arrives with (CE marking, bleaching); undefined keeps it. */
  ecn?: (d: Datagram, index: number, from: 'client' | 'server') => Ecn | undefined;
  /** A NAT in front of the client: its datagrams arrive from this address instead. */
  clientSource?: SocketAddress;
  /**
   * Rewrites the source address a datagram arrives with (e.g. a NAT rebinding of one multipath
   * path: only datagrams from one client address); undefined keeps it (after `clientSource`).
   */
  rewriteFrom?: (d: Datagram, index: number, from: 'client' | 'server') => SocketAddress | undefined;
}

interface InFlight {
  at: number;
  seq: number;
  d: Datagram;
  to: 'client' | 'server';
}

export interface PairOptions {
  provider: CryptoProvider;
  seed?: number;
  link?: LinkOptions;
  client?: Partial<ConnectionConfig>;
  server?: Partial<ConnectionConfig>;
  /** Extra options of the server endpoint (e.g. statelessResetKey). */
  serverEndpoint?: Partial<EndpointOptions>;
  clientEndpoint?: Partial<EndpointOptions>;
  qlog?: boolean;
}

export class Pair {
  now = 0;
  readonly prng: Prng;
  readonly client: Endpoint;
  server: Endpoint;
  readonly clientConn: Connection;
  serverConn: Connection | undefined;
  readonly clientEvents: ConnectionEvent[] = [];
  readonly serverEvents: ConnectionEvent[] = [];
  readonly clientQlog = new MemorySink();
  readonly serverQlog = new MemorySink();
  private queue: InFlight[] = [];
  private seq = 0;
  private sentIndex = { client: 0, server: 0 };
  /** Bytes the server sent / received before it validated the client's address. */
  serverSentUnvalidated = 0;
  serverReceivedUnvalidated = 0;
  amplificationViolations = 0;
  datagrams = { client: 0, server: 0 };

  constructor(
    readonly opts: PairOptions,
    credentials: TlsCredentials,
  ) {
    this.prng = new Prng(opts.seed ?? 1);
    const base = { provider: opts.provider, alpn: ['test'], timeMs: Date.UTC(2026, 10, 23) };
    this.server = new Endpoint({
      local: SERVER_ADDR,
      seed: this.prng.nextU32(),
      server: { ...base, credentials, ...(opts.qlog ? { qlog: this.serverQlog } : {}), ...opts.server },
      // Every pair checks that a connection with something to send was woken (endpoint.ts).
      checkWakes: true,
      ...opts.serverEndpoint,
    });
    this.serverBase = { ...base, credentials };
    this.client = new Endpoint({ local: CLIENT_ADDR, seed: this.prng.nextU32(), checkWakes: true, ...opts.clientEndpoint });
    this.clientConn = this.client.connect(this.now, SERVER_ADDR, { ...base, serverName: 'localhost', ...(opts.qlog ? { qlog: this.clientQlog } : {}), ...opts.client });
  }

  private readonly serverBase: ConnectionConfig;

  /**
   * The server host "restarts": a fresh endpoint (no connections) takes the old one's place at
   * the same address; the old server connection is forgotten.
   */
  replaceServer(options: Partial<EndpointOptions> = {}): Endpoint {
    this.server = new Endpoint({ local: SERVER_ADDR, seed: this.prng.nextU32(), server: { ...this.serverBase, ...this.opts.server }, checkWakes: true, ...options });
    this.serverConn = undefined;
    this.replaced = true;
    return this.server;
  }

  private replaced = false;

  static async create(opts: PairOptions): Promise<Pair> {
    return new Pair(opts, await testCredentials());
  }

  private send(from: 'client' | 'server', d: Datagram): void {
    const link = this.opts.link ?? {};
    const idx = this.sentIndex[from]++;
    this.datagrams[from]++;
    if (from === 'server' && this.serverConn && !this.serverConn.addressValidated) {
      this.serverSentUnvalidated += d.data.length;
      if (this.serverSentUnvalidated > 3 * this.serverReceivedUnvalidated) this.amplificationViolations++;
    }
    // Every path below copies the bytes, so the buffer goes straight back to the sender's pool:
    // any code that kept a reference to a sent datagram would see it overwritten.
    const release = (): void => (from === 'client' ? this.client : this.server).releaseDatagram(d);
    if (link.loss && this.prng.chance(link.loss)) return release();
    if (link.dropIf?.(d, idx, from)) return release();
    const ecn = link.ecn?.(d, idx, from) ?? d.ecn;
    const copies = link.duplicate && this.prng.chance(link.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const data = d.data.slice();
      if (link.corrupt && this.prng.chance(link.corrupt)) data[this.prng.nextInt(data.length)]! ^= 1 << this.prng.nextInt(8);
      const delay = (link.delayOf?.(d, from) ?? link.delay ?? 10_000) + (link.jitter ? this.prng.nextInt(link.jitter) : 0);
      const src = link.rewriteFrom?.(d, idx, from) ?? (from === 'client' && link.clientSource ? link.clientSource : d.from);
      this.queue.push({ at: this.now + delay, seq: this.seq++, d: { ...d, data, from: src, ...(ecn !== undefined ? { ecn } : {}) }, to: from === 'client' ? 'server' : 'client' });
    }
    release();
  }

  private flush(): void {
    for (let d = this.client.pollTransmit(this.now); d; d = this.client.pollTransmit(this.now)) this.send('client', d);
    for (let d = this.server.pollTransmit(this.now); d; d = this.server.pollTransmit(this.now)) this.send('server', d);
    for (let e = this.clientConn.pollEvent(); e; e = this.clientConn.pollEvent()) this.clientEvents.push(e);
    for (let e = this.server.pollEvent(); e; e = this.server.pollEvent()) if (!this.serverConn && !this.replaced) this.serverConn = e.connection;
    if (this.serverConn) for (let e = this.serverConn.pollEvent(); e; e = this.serverConn.pollEvent()) this.serverEvents.push(e);
  }

  /** When the next delivery or timer is due. */
  nextEventTime(): number | undefined {
    this.flush();
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    let t = this.queue[0]?.at;
    for (const x of [this.client.pollTimeout(), this.server.pollTimeout()]) if (x !== undefined && (t === undefined || x < t)) t = x;
    return t;
  }

  /** Runs everything due within the next `duration` µs, then sets the clock to its end. */
  runFor(duration: number): void {
    const end = this.now + duration;
    for (let t = this.nextEventTime(); t !== undefined && t <= end; t = this.nextEventTime()) this.step();
    this.now = end;
  }

  /** One step: deliver or fire the earliest thing. Returns false when nothing is left to do. */
  step(): boolean {
    const t = this.nextEventTime();
    if (t === undefined) return false;
    if (t > this.now) this.now = t;
    while (this.queue.length > 0 && this.queue[0]!.at <= this.now) {
      const q = this.queue.shift()!;
      if (q.to === 'server') {
        if (!this.serverConn || !this.serverConn.addressValidated) this.serverReceivedUnvalidated += q.d.data.length;
        this.server.handleDatagram(this.now, q.d);
      } else {
        this.client.handleDatagram(this.now, q.d);
      }
      this.flush();
    }
    this.client.handleTimeout(this.now);
    this.server.handleTimeout(this.now);
    this.flush();
    return true;
  }

  /** Steps until `done` holds or `maxTime` (µs of virtual time) passes. */
  runUntil(done: () => boolean, maxTime = 60_000_000): boolean {
    const deadline = this.now + maxTime;
    while (!done()) {
      if (this.now > deadline) return false;
      if (!this.step()) return done();
    }
    return true;
  }

  /**
   * Runs until `to` has read stream `id` up to its FIN (calling `each` before every check, e.g.
   * to keep writing); returns the bytes read, or undefined when the FIN did not come within
   * `maxTime` µs. A stream the peer opened is read once its first frame arrived.
   */
  receiveAll(to: Connection, id: number, each?: () => void, maxTime = 10_000_000): Uint8Array | undefined {
    const parts: Uint8Array[] = [];
    let fin = false;
    const ok = this.runUntil(() => {
      each?.();
      try {
        for (let r = to.streamRead(id); r && !fin; r = fin ? undefined : to.streamRead(id)) {
          parts.push(r.data.slice());
          if (r.fin) fin = true;
        }
      } catch {
        // not opened yet at `to`
      }
      return fin;
    }, maxTime);
    if (!ok) return undefined;
    return concatBytes(...parts);
  }

  handshakeDone(): boolean {
    return this.clientConn.handshakeConfirmed && this.serverConn?.handshakeComplete === true;
  }
}

/**
 * The server sends `n` bytes on a stream the client opened: `step` pumps (true once the client
 * has everything), `received` returns the bytes and throws if they differ from those sent.
 */
export function download(pair: Pair, n: number): { step: () => boolean; received: () => Uint8Array; id: number } {
  const c = pair.clientConn;
  const id = c.openStream(true)!;
  c.streamWrite(id, new TextEncoder().encode('GET'), true);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
  let written = 0;
  const parts: Uint8Array[] = [];
  let fin = false;
  return {
    id,
    step: () => {
      const s = pair.serverConn as Connection | undefined;
      if (s !== undefined && written < n) {
        try {
          written += s.streamWrite(id, data.subarray(written), false);
          if (written === n) s.streamFinish(id);
        } catch {
          // not opened on the server yet
        }
      }
      for (let r = c.streamRead(id); r && !fin; r = fin ? undefined : c.streamRead(id)) {
        parts.push(r.data.slice());
        if (r.fin) fin = true;
      }
      return fin;
    },
    received: () => {
      const out = new Uint8Array(parts.reduce((k, p) => k + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      if (out.length !== data.length || out.some((b, i) => b !== data[i])) throw new Error('download: the bytes received differ from those sent');
      return out;
    },
  };
}
