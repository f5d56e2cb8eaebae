/**
 * The UDP driver: a sans-IO Endpoint on node:dgram sockets with the real clock and one re-armed
 * timer — the same loop the simulator runs in virtual time (sim/engine.ts), here on sockets.
 *
 * - Sockets: IPv4, IPv6 and dual-stack (an IPv6 wildcard with `ipv6Only: false`); one or more
 *   per endpoint. A transmitted datagram leaves through the socket bound to its `from` address
 *   (a multipath client binds one socket per local address), else through the first socket of
 *   a compatible family.
 * - Addresses: IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) that a dual-stack socket reports
 *   reach the core as plain IPv4, and are mapped back when sending through an IPv6 socket, so a
 *   peer has one address whichever socket family carries it.
 * - Time: the clock is read once per event (a receive, the timer, a service round) and passed
 *   down (DESIGN §1, §4 rule 3).
 * - Batching (DESIGN §4 rule 5): each received datagram goes to the endpoint at once; one
 *   service round per event-loop turn (setImmediate, which runs after every datagram that
 *   poll phase read) lets the application react, drains `pollTransmit` fully and re-arms the
 *   timer. A timer firing is serviced at once.
 * - Transmit buffers go back to the endpoint's pool (`releaseDatagram`) in each send's
 *   callback, through reused send-request objects: no closure per datagram (DESIGN §4 rule 2).
 * - Timer: one deadline, `pollTimeout()`. Node timers have millisecond granularity, so a
 *   deadline less than 1 ms away (pacing gaps) is served from setImmediate instead; a deadline
 *   that stays in the past without producing anything falls back to a 1 ms timer rather than
 *   spinning.
 * - ECN: node:dgram can neither set the ECN bits of outgoing packets nor report those of
 *   incoming ones (no IP_TOS / IP_RECVTOS control messages), so received datagrams carry no
 *   `ecn` and the core's ECN validation (RFC 9000 §13.4.2) never succeeds on sockets; it falls
 *   back to loss-based congestion signals, as §13.4.2.2 prescribes for paths without ECN.
 * - Hostile input: nothing a datagram contains can throw out of the socket handler; an
 *   exception from the endpoint is counted and reported as a warning.
 */
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Endpoint } from '../endpoint/endpoint.js';
import type { Datagram, SocketAddress } from '../util/datagram.js';
import { addressKey } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { Clock } from './clock.js';

/** Default socket send buffer size and least default receive buffer size (bytes), applied after bind. */
export const DEFAULT_SOCKET_BUFFER = 2 << 20;
/** The largest default receive buffer asked for. */
export const MAX_DEFAULT_RECV_BUFFER = 16 << 20;

let systemRecvMax: number | undefined;

/**
 * The default receive buffer: what the system allows (Linux: net.core.rmem_max) up to
 * MAX_DEFAULT_RECV_BUFFER, at least DEFAULT_SOCKET_BUFFER. Many connections sharing a socket
 * each keep at least a minimum congestion window in flight (RFC 9002 §7.2), and a buffer that
 * cannot hold their sum drops datagrams however well they back off.
 */
export function defaultRecvBufferSize(): number {
  if (systemRecvMax === undefined) {
    systemRecvMax = 0;
    try {
      systemRecvMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'latin1').trim()) || 0;
    } catch {
      // Not Linux, or not readable: the fixed default.
    }
  }
  return Math.max(DEFAULT_SOCKET_BUFFER, Math.min(systemRecvMax, MAX_DEFAULT_RECV_BUFFER));
}

/** One local socket of a driver. */
export interface UdpSocketOptions {
  /** A local IP literal: '127.0.0.1', '0.0.0.0', '::1', '::' … */
  host: string;
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  /**
   * For an IPv6 `host`: accept IPv6 only (true) or IPv4 as well through IPv4-mapped addresses
   * (false, the default: a dual-stack socket when `host` is '::').
   */
  ipv6Only?: boolean;
  /**
   * SO_RCVBUF / SO_SNDBUF in bytes (default: receive what net.core.rmem_max allows, 2–16 MiB,
   * `defaultRecvBufferSize`; send 2 MiB). The kernel may cap them (Linux: net.core.rmem_max / wmem_max).
   */
  recvBufferSize?: number;
  sendBufferSize?: number;
}

/** Something that went wrong without stopping the driver (or, 'shutdown', a server's close). */
export interface DriverWarning {
  kind: 'socket_buffer' | 'send' | 'receive' | 'socket' | 'shutdown';
  message: string;
  error?: unknown;
}

/** Options of `UdpDriver.bind`: the sockets to bind, the endpoint to build, and the callbacks. */
export interface UdpDriverOptions {
  sockets: UdpSocketOptions[];
  /** Builds the endpoint once the sockets are bound (ephemeral ports known). */
  createEndpoint: (locals: SocketAddress[]) => Endpoint;
  /** The application's turn: after each receive batch or timer and before transmit is drained. */
  onActivity?: (now: Instant) => void;
  /**
   * Receives what went wrong without stopping the driver: buffer sizes the kernel capped, send
   * failures, datagrams or timers the endpoint threw on, socket errors, a throwing `onActivity`.
   * Default: ignored.
   */
  onWarning?: (w: DriverWarning) => void;
  /** The clock to read (default: a new Clock, whose Instant 0 is its construction). */
  clock?: Clock;
}

/** A bound socket with what the driver needs to route through it. */
interface BoundSocket {
  readonly socket: Socket;
  readonly local: SocketAddress;
  readonly v6: boolean;
  /** An IPv6 socket that also carries IPv4 (IPv4-mapped addresses). */
  readonly dualStack: boolean;
  recvBufferSize: number;
  sendBufferSize: number;
}

/** A reusable send request: one bound callback per object, not one closure per datagram. */
class SendRequest {
  d: Datagram | undefined = undefined;
  readonly done: (err: Error | null) => void;
  constructor(driver: UdpDriver) {
    this.done = (err) => driver.onSent(this, err);
  }
}

/** Consecutive timer firings at a past deadline with nothing sent before falling back to a 1 ms timer. */
const MAX_IDLE_SPINS = 8;
const MAPPED_V4 = '::ffff:';

/**
 * A sans-IO Endpoint on node:dgram sockets with the real clock: received datagrams go to the
 * endpoint at once, and a service round per event-loop turn (or timer firing) gives the
 * application its turn (`onActivity`), sends everything `pollTransmit` gives and re-arms the
 * one timer at `pollTimeout()`. Created bound with `UdpDriver.bind`.
 */
export class UdpDriver {
  readonly clock: Clock;
  readonly endpoint: Endpoint;
  /** Local addresses of the sockets, in the order given (then those added by `addSocket`). */
  readonly locals: SocketAddress[];
  private readonly sockets: BoundSocket[];
  private readonly byLocal = new Map<string, BoundSocket>();
  private readonly onActivity: ((now: Instant) => void) | undefined;
  private readonly warn: (w: DriverWarning) => void;

  private closed = false;
  private closing: Promise<void> | undefined;
  private serviceScheduled: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerImmediate: NodeJS.Immediate | undefined;
  private armedAt: Instant | undefined;
  private idleSpins = 0;
  private servicing = false;
  private readonly freeRequests: SendRequest[] = [];
  /**
   * The last route: source address object, destination host and socket (DESIGN §4 rule 4: a
   * connection reuses its address objects, so most datagrams skip the Map lookup).
   */
  private lastFrom: SocketAddress | undefined;
  private lastTo: string | undefined;
  private lastSocket: BoundSocket | undefined;

  // Counters (DESIGN §4 rule 6).
  datagramsReceived = 0;
  datagramsSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  sendErrors = 0;
  /** Datagrams the endpoint threw on (they are dropped). */
  receiveErrors = 0;
  /** Datagrams without a socket that can reach their destination. */
  unroutable = 0;

  private readonly serviceFn = (): void => {
    this.serviceScheduled = undefined;
    if (!this.closed) this.service(this.clock.now());
  };
  private readonly fireFn = (): void => this.fire();

  private constructor(sockets: BoundSocket[], o: UdpDriverOptions, clock: Clock) {
    this.clock = clock;
    this.sockets = sockets;
    this.locals = sockets.map((s) => s.local);
    for (const s of sockets) this.byLocal.set(addressKey(s.local), s);
    this.onActivity = o.onActivity;
    this.warn = o.onWarning ?? (() => {});
    this.endpoint = o.createEndpoint(this.locals.slice());
    for (const s of sockets) {
      s.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.receive(s, msg, rinfo));
    }
  }

  /** Binds every socket, applies buffer sizes, then builds the endpoint. Rejects if a bind fails. */
  static async bind(o: UdpDriverOptions): Promise<UdpDriver> {
    if (o.sockets.length === 0) throw new RangeError('a UDP driver needs at least one socket');
    const warn = o.onWarning ?? (() => {});
    const bound: BoundSocket[] = [];
    try {
      for (const so of o.sockets) bound.push(await bindSocket(so, warn));
    } catch (e) {
      await Promise.all(bound.map((b) => closeSocket(b.socket)));
      throw e;
    }
    return new UdpDriver(bound, o, o.clock ?? new Clock());
  }

  /**
   * Binds one more socket (e.g. a client moving to a new local port, RFC 9000 §9.2); datagrams
   * from its address leave through it and those it receives go to the endpoint. Returns its
   * local address.
   */
  async addSocket(o: UdpSocketOptions): Promise<SocketAddress> {
    if (this.closed) throw new Error('the UDP driver is closed');
    const s = await bindSocket(o, this.warn);
    if (this.closed) {
      await closeSocket(s.socket);
      throw new Error('the UDP driver is closed');
    }
    this.sockets.push(s);
    this.locals.push(s.local);
    this.byLocal.set(addressKey(s.local), s);
    this.lastFrom = undefined;
    s.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.receive(s, msg, rinfo));
    return s.local;
  }

  /** Socket buffer sizes in effect (as the kernel reports them), per socket. */
  get socketBuffers(): ReadonlyArray<{ local: SocketAddress; recv: number; send: number }> {
    return this.sockets.map((s) => ({ local: s.local, recv: s.recvBufferSize, send: s.sendBufferSize }));
  }

  /** Whether `close` has been called (the sockets may still be closing). */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Asks for a service round in this event-loop turn's check phase: call after using the
   * connection API (writes, opens, closes) so their packets go out, batched with others.
   */
  schedule(): void {
    // During a round the drain that follows the application's turn picks the work up.
    if (this.closed || this.serviceScheduled !== undefined || this.servicing) return;
    this.serviceScheduled = setImmediate(this.serviceFn);
  }

  /** Closes the sockets and cancels the timer. Connections still open are abandoned. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.disarm();
    if (this.serviceScheduled !== undefined) clearImmediate(this.serviceScheduled);
    this.serviceScheduled = undefined;
    this.closing = Promise.all(this.sockets.map((s) => closeSocket(s.socket))).then(() => undefined);
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------------

  private receive(s: BoundSocket, msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.datagramsReceived++;
    this.bytesReceived += msg.length;
    // A plain Uint8Array view (no copy): Buffer#slice makes views, Uint8Array#slice copies,
    // and the core copies what it keeps with slice().
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    let host = rinfo.address;
    if (s.v6 && host.startsWith(MAPPED_V4) && isIP(host.slice(MAPPED_V4.length)) === 4) host = host.slice(MAPPED_V4.length);
    try {
      this.endpoint.handleDatagram(now, { data, from: { host, port: rinfo.port }, to: s.local });
    } catch (error) {
      this.receiveErrors++;
      this.warn({ kind: 'receive', message: `datagram from ${host}:${rinfo.port} (${msg.length} bytes) dropped: ${(error as Error)?.message ?? String(error)}`, error });
    }
    this.schedule();
  }

  private fire(): void {
    const deadline = this.armedAt;
    this.timer = undefined;
    this.timerImmediate = undefined;
    this.armedAt = undefined;
    if (this.closed) return;
    const now = this.clock.now();
    if (deadline !== undefined && now < deadline) {
      // Early: a setImmediate waiting out a sub-millisecond gap, or a timer measured from
      // libuv's cached loop time. The core is only called once a deadline is due.
      this.rearm(now);
      return;
    }
    try {
      this.endpoint.handleTimeout(now);
    } catch (error) {
      this.warn({ kind: 'receive', message: `timer handling failed: ${(error as Error)?.message ?? String(error)}`, error });
    }
    const sent = this.service(now);
    const t = this.endpoint.pollTimeout();
    this.idleSpins = sent === 0 && t !== undefined && t <= now ? this.idleSpins + 1 : 0;
  }

  /** The application's turn, then transmit drained and the timer re-armed. Returns datagrams sent. */
  private service(now: Instant): number {
    if (this.servicing) return 0;
    this.servicing = true;
    let sent = 0;
    try {
      if (this.onActivity) {
        try {
          this.onActivity(now);
        } catch (error) {
          this.warn({ kind: 'socket', message: `application handler threw: ${(error as Error)?.message ?? String(error)}`, error });
        }
      }
      const ep = this.endpoint;
      for (let d = ep.pollTransmit(now); d !== undefined; d = ep.pollTransmit(now)) {
        this.send(d);
        sent++;
        if (this.closed) break;
      }
      this.rearm(now);
    } finally {
      this.servicing = false;
    }
    return sent;
  }

  private send(d: Datagram): void {
    const s = this.route(d);
    if (s === undefined) {
      this.unroutable++;
      this.endpoint.releaseDatagram(d);
      return;
    }
    let host = d.to.host;
    if (s.dualStack && isIP(host) === 4) host = MAPPED_V4 + host;
    const req = this.freeRequests.pop() ?? new SendRequest(this);
    req.d = d;
    try {
      // node:dgram looks the address up with dns.lookup, which answers an IP literal through a
      // process.nextTick, so the send syscall happens after this service round's JS. Answering
      // at once (a custom `lookup`) measured slower: 250 -> 236 Mbit/s for one loopback download.
      s.socket.send(d.data, d.to.port, host, req.done);
      this.datagramsSent++;
      this.bytesSent += d.data.length;
    } catch (error) {
      // Synchronous failures: a closed socket, an invalid port.
      req.d = undefined;
      this.freeRequests.push(req);
      this.endpoint.releaseDatagram(d);
      this.sendErrors++;
      this.warn({ kind: 'send', message: `send to ${d.to.host}:${d.to.port} failed: ${(error as Error).message}`, error });
    }
  }

  /** @internal The socket is done with a datagram's bytes. */
  onSent(req: SendRequest, err: Error | null): void {
    const d = req.d;
    req.d = undefined;
    this.freeRequests.push(req);
    if (d !== undefined) {
      if (err) {
        this.sendErrors++;
        this.warn({ kind: 'send', message: `send to ${d.to.host}:${d.to.port} failed: ${err.message}`, error: err });
      }
      this.endpoint.releaseDatagram(d);
    }
  }

  private route(d: Datagram): BoundSocket | undefined {
    const from = d.from;
    const to = d.to.host;
    if (from === this.lastFrom && to === this.lastTo) return this.lastSocket;
    let s = this.byLocal.get(addressKey(from));
    if (s === undefined || !compatible(s, to)) s = this.sockets.find((x) => compatible(x, to));
    this.lastFrom = from;
    this.lastTo = to;
    this.lastSocket = s;
    return s;
  }

  private rearm(now: Instant): void {
    if (this.closed) return;
    const t = this.endpoint.pollTimeout();
    if (t === undefined || !Number.isFinite(t)) {
      this.disarm();
      return;
    }
    if (t === this.armedAt && (this.timer !== undefined || this.timerImmediate !== undefined)) return;
    this.disarm();
    this.armedAt = t;
    const delay = t - now;
    if (delay >= 1000) this.timer = setTimeout(this.fireFn, Math.ceil(delay / 1000));
    else if (delay > 0 || this.idleSpins < MAX_IDLE_SPINS) this.timerImmediate = setImmediate(this.fireFn);
    else this.timer = setTimeout(this.fireFn, 1);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.timerImmediate !== undefined) clearImmediate(this.timerImmediate);
    this.timer = undefined;
    this.timerImmediate = undefined;
    this.armedAt = undefined;
  }
}

/** Whether socket `s` can send to `host`. */
function compatible(s: BoundSocket, host: string): boolean {
  return isIP(host) === 6 ? s.v6 : !s.v6 || s.dualStack;
}

async function bindSocket(o: UdpSocketOptions, warn: (w: DriverWarning) => void): Promise<BoundSocket> {
  const family = isIP(o.host);
  if (family === 0) throw new RangeError(`local address must be an IP literal, got "${o.host}"`);
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
  const v6 = family === 6;
  const ipv6Only = v6 ? (o.ipv6Only ?? false) : false;
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only, reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      socket.close();
      reject(new Error(`cannot bind UDP ${v6 ? `[${o.host}]` : o.host}:${port}: ${e.message}`, { cause: e }));
    };
    socket.once('error', onError);
    socket.bind({ address: o.host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  // Errors after bind (e.g. ICMP-reported failures on some platforms) must not crash the process.
  socket.on('error', (e) => warn({ kind: 'socket', message: `UDP socket error: ${e.message}`, error: e }));
  const a = socket.address();
  const local: SocketAddress = { host: a.address, port: a.port };
  const b: BoundSocket = {
    socket,
    local,
    v6,
    dualStack: v6 && !ipv6Only && (a.address === '::' || a.address.startsWith(MAPPED_V4)),
    recvBufferSize: 0,
    sendBufferSize: 0,
  };
  const want = { recv: o.recvBufferSize ?? defaultRecvBufferSize(), send: o.sendBufferSize ?? DEFAULT_SOCKET_BUFFER };
  try {
    if (want.recv > 0) socket.setRecvBufferSize(want.recv);
  } catch (error) {
    warn({ kind: 'socket_buffer', message: `cannot set the receive buffer of ${addressKey(local)} to ${want.recv} bytes: ${(error as Error).message}`, error });
  }
  try {
    if (want.send > 0) socket.setSendBufferSize(want.send);
  } catch (error) {
    warn({ kind: 'socket_buffer', message: `cannot set the send buffer of ${addressKey(local)} to ${want.send} bytes: ${(error as Error).message}`, error });
  }
  try {
    b.recvBufferSize = socket.getRecvBufferSize();
    b.sendBufferSize = socket.getSendBufferSize();
  } catch {
    // Reported as 0 where the platform cannot tell.
  }
  // The kernel caps silently (Linux: net.core.rmem_max / wmem_max; it reports twice the size
  // it granted): say so, as a small receive buffer drops bursts.
  if (b.recvBufferSize > 0 && b.recvBufferSize < want.recv) {
    warn({ kind: 'socket_buffer', message: `receive buffer of ${addressKey(local)} is ${b.recvBufferSize} bytes, ${want.recv} asked (raise net.core.rmem_max)` });
  }
  if (b.sendBufferSize > 0 && b.sendBufferSize < want.send) {
    warn({ kind: 'socket_buffer', message: `send buffer of ${addressKey(local)} is ${b.sendBufferSize} bytes, ${want.send} asked (raise net.core.wmem_max)` });
  }
  return b;
}

/**
 * Closes a socket; resolves once libuv released the handle. dgram's close callback runs before
 * the handle's close phase, so the promise waits one more event-loop iteration.
 */
function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const released = (): void => void setImmediate(() => setImmediate(resolve));
    try {
      socket.close(released);
    } catch {
      resolve(); // already closed
    }
  });
}
