/**
 * A QUIC endpoint (RFC 9000 §5.2): routes datagrams to connections by destination connection
 * ID, creates server connections for valid Initials, answers unknown versions with Version
 * Negotiation (§6), and drops what §5.2 says to drop. Sans-IO like the connection: the same
 * handleDatagram / pollTransmit / pollTimeout / handleTimeout / pollEvent loop.
 */
import { DatagramPool, type Datagram, type SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import { ErrorCode } from '../util/transport-error.js';
import type { Instant } from '../util/time.js';
import { Connection } from '../connection/connection.js';
import type { ConnectionConfig } from '../connection/config.js';
import type { CidHost } from '../connection/cids.js';
import { encodeVersionNegotiation } from '../wire/header.js';
import { DEFAULT_STATELESS_RESET_RATE, StatelessReset } from './stateless-reset.js';
import { SUPPORTED_VERSIONS, greaseVersion, longPacketTypeFromBits } from '../wire/version.js';
import { MemoryTokenStore, queueNewToken } from '../connection/address-token.js';
import { AddressValidation, initialTokenOf, statelessInitialClose, logRetrySent, type AddressValidationStats, type RetryMode } from './retry.js';
import { MemorySessionStore } from '../connection/session-cache.js';
import { ConnectionSlot, DeadlineHeap, SlotQueue } from './slots.js';

/**
 * How to make an Endpoint: its local address, the server configuration (absent: client only),
 * connection ID length, versions, and the server's defences: Retry, stateless resets, address
 * tokens, connection and handshake limits.
 */
export interface EndpointOptions {
  local: SocketAddress;
  /** Server connections are created from this configuration; absent = a client-only endpoint. */
  server?: ConnectionConfig;
  /** Length of our connection IDs, 0–20 (default 8; RFC 9000 §5.1). */
  cidLength?: number;
  /** Seed for connection IDs and per-connection PRNG seeds. */
  seed?: number;
  /**
   * Versions we accept, listed in Version Negotiation packets (RFC 9000 §6.1; default: the server
   * configuration's `versions`, else v1 and v2). Versions tquic cannot build are ignored.
   */
  versions?: number[];
  /**
   * The static key stateless reset tokens derive from (RFC 9000 §10.3.2), at least 16 bytes and
   * secret. An endpoint restarted with the same key can reset connections it forgot; default:
   * random from the crypto provider. Endpoints sharing a key must not share connection IDs (§10.3.2).
   */
  statelessResetKey?: Uint8Array;
  /** Stateless resets sent per second at most (token bucket, RFC 9000 §10.3.3; default 10; 0: none). */
  statelessResetRate?: number;
  /**
   * Server: when to answer an Initial without a valid token with a Retry (RFC 9000 §8.1.2):
   * 'always', 'auto' (default: once `retryAbove` handshakes are under way, so a flood of
   * Initials from spoofed addresses costs no state, §21.2) or 'never'.
   */
  retry?: RetryMode;
  /** 'auto' Retry threshold: server handshakes under way (default 100). */
  retryAbove?: number;
  /**
   * Server: connections held at most (default 10 000). An Initial that would create one more is
   * answered, without creating state, with CONNECTION_CLOSE (CONNECTION_REFUSED, RFC 9000
   * §5.2.2). Client connections count too.
   */
  maxConnections?: number;
  /**
   * Server: handshakes under way at most, validated or not (default 1000; RFC 9000 §21.2).
   * Beyond it a new Initial is refused like one beyond `maxConnections`; below it, 'auto'
   * Retry (`retryAbove`) makes the unvalidated ones prove their address first.
   */
  maxHandshakes?: number;
  /**
   * Server: the secret address validation tokens (Retry and NEW_TOKEN, RFC 9000 §8.1) are
   * encrypted and authenticated with, at least 16 bytes; default: random from the crypto provider.
   */
  addressTokenKey?: Uint8Array;
  /** Lifetimes of Retry tokens (default 10 s) and NEW_TOKEN tokens (default 24 h), in µs. */
  retryTokenLifetime?: number;
  newTokenLifetime?: number;
  /** Server: send a NEW_TOKEN frame once each handshake is confirmed (RFC 9000 §8.1.3; default true). */
  newTokens?: boolean;
  /**
   * Keep the queue `pollActive` drains: the connections that were driven or woken since they
   * were last returned, the only ones with possibly new events (for a driver that reacts to
   * events of many connections, io/host.ts). Default false.
   */
  trackActive?: boolean;
  /**
   * A check for tests: whenever `pollTransmit` has no connection left to poll, every other
   * connection without a due timer is polled too, and one that had a datagram to send throws:
   * a call that gave it work did not wake it (`Connection.onWake`). Costs O(connections).
   */
  checkWakes?: boolean;
}

/**
 * What an endpoint reports through `pollEvent`: a server connection was created for a client's
 * Initial.
 */
export type EndpointEvent = { type: 'connection'; connection: Connection };

/** RFC 9000 §14.1: a server drops Initial packets in datagrams below 1200 bytes. */
const MIN_INITIAL_DATAGRAM = 1200;
/**
 * Stateless replies (Version Negotiation, Retry, refusals) waiting to be sent, at most. At least
 * a whole receive batch's worth (libuv reads up to 32 datagrams a turn), so a burst of new
 * clients above the 'auto' Retry threshold all get their Retry instead of waiting out a PTO.
 */
const MAX_VN_QUEUE = 64;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_MAX_HANDSHAKES = 1000;

/**
 * A QUIC endpoint (RFC 9000 §5.2), sans-IO like the connection: routes datagrams to connections by
 * destination connection ID, creates server connections for valid Initials, answers unknown
 * versions with Version Negotiation (§6), sends Retry and stateless resets, and drops what §5.2
 * says to drop. Drive it with `handleDatagram`, `pollTransmit`, `pollTimeout`, `handleTimeout` and
 * `pollEvent`; it drives its connections.
 */
export class Endpoint {
  readonly local: SocketAddress;
  readonly cidLength: number;
  private readonly prng: Prng;
  private readonly versions: number[];
  private readonly byCid = new Map<string, Connection>();
  /** Every connection held, with its routing IDs and scheduling state (slots.ts). */
  private readonly slots = new Map<Connection, ConnectionSlot>();
  private readonly events: EndpointEvent[] = [];
  private readonly stateless: Datagram[] = [];
  /**
   * The connections that may have something to send, in round-robin order: `pollTransmit`
   * takes the first, and puts it back at the end when it produced a datagram. A connection
   * joins when woken (a datagram, a due timer, an application call: `Connection.onWake`) and
   * leaves when its `pollTransmit` returns nothing, so a service round costs what the
   * connections with work cost, not what all connections cost.
   */
  private readonly ready = new SlotQueue();
  /** Connections by their next deadline (`pollTimeout`, `handleTimeout`). */
  private readonly deadlines = new DeadlineHeap();
  /** Connections with possibly new events (`trackActive`). */
  private readonly active = new SlotQueue();
  private readonly trackActive: boolean;
  private readonly checkWakes: boolean;
  /** Scratch for `handleTimeout`: the slots due at once. */
  private readonly due: ConnectionSlot[] = [];
  /** Transmit buffers shared by this endpoint's connections (DESIGN §4 rule 2). */
  readonly pool = new DatagramPool();
  /** Client sessions (tickets) of connections that name no store of their own (RFC 9001 §4.5). */
  readonly sessions = new MemorySessionStore();
  /** Client NEW_TOKEN tokens of connections that name no store of their own (RFC 9000 §8.1.3). */
  readonly tokens = new MemoryTokenStore();
  /** Server address validation: Retry, tokens (RFC 9000 §8.1; retry.ts). */
  private readonly validation: AddressValidation;
  /** Server connections whose handshake is under way (for `maxHandshakes` and 'auto' Retry). */
  private readonly handshaking = new Set<Connection>();
  private readonly maxConnections: number;
  private readonly maxHandshakes: number;
  /** Server connections that get a NEW_TOKEN frame once their handshake is confirmed. */
  private readonly awaitingToken = new Set<Connection>();
  /** The connection of the last short-header datagram and its CID: most datagrams repeat it. */
  private lastConn: Connection | undefined;
  private lastCid = new Uint8Array(0);
  /** Datagrams dropped before reaching a connection (§5.2), by reason. */
  readonly dropped = { short: 0, unknownConnection: 0, unsupportedVersion: 0, malformed: 0 };
  /** New connections refused with CONNECTION_REFUSED: at `maxConnections`, at `maxHandshakes`. */
  readonly refused = { connections: 0, handshakes: 0 };
  /** Stateless reset (RFC 9000 §10.3): tokens, resets sent, resets detected. */
  private readonly reset: StatelessReset;
  /** What connections ask of the endpoint about connection IDs (connection/cids.ts). */
  private readonly cidHost: CidHost = {
    issue: (owner) => {
      if (this.cidLength === 0) return undefined;
      const cid = this.newCid();
      this.addCid(owner, cidKey(cid));
      return cid;
    },
    retire: (owner, cid) => this.removeCid(owner, cid),
    resetToken: (cid) => this.reset.token(cid),
    watch: (owner, token) => this.reset.watch(owner, token),
    unwatch: (owner, token) => this.reset.unwatch(owner, token),
  };

  constructor(private readonly opts: EndpointOptions) {
    this.local = opts.local;
    this.cidLength = opts.cidLength ?? 8;
    if (!Number.isInteger(this.cidLength) || this.cidLength < 0 || this.cidLength > 20) throw new RangeError('cidLength must be 0..20');
    this.prng = new Prng(opts.seed ?? 0x5eed);
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxHandshakes = opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
    this.trackActive = opts.trackActive ?? false;
    this.checkWakes = opts.checkWakes ?? false;
    if (!(this.maxConnections >= 1)) throw new RangeError('maxConnections must be at least 1');
    if (!(this.maxHandshakes >= 1)) throw new RangeError('maxHandshakes must be at least 1');
    this.reset = new StatelessReset(opts.statelessResetKey, opts.statelessResetRate ?? DEFAULT_STATELESS_RESET_RATE);
    this.validation = new AddressValidation({
      ...(opts.retry !== undefined ? { mode: opts.retry } : {}),
      ...(opts.retryAbove !== undefined ? { retryAbove: opts.retryAbove } : {}),
      ...(opts.addressTokenKey !== undefined ? { key: opts.addressTokenKey } : {}),
      ...(opts.retryTokenLifetime !== undefined ? { retryLifetime: opts.retryTokenLifetime } : {}),
      ...(opts.newTokenLifetime !== undefined ? { newTokenLifetime: opts.newTokenLifetime } : {}),
      ...(opts.newTokens !== undefined ? { newTokens: opts.newTokens } : {}),
    });
    if (opts.server) {
      this.reset.useProvider(opts.server.provider);
      this.validation.tokens.useProvider(opts.server.provider);
    }
    this.versions = (opts.versions ?? opts.server?.versions ?? [...SUPPORTED_VERSIONS]).filter((v) => SUPPORTED_VERSIONS.includes(v >>> 0));
  }

  /** Starts a client connection to `remote`. */
  connect(now: Instant, remote: SocketAddress, config: ConnectionConfig): Connection {
    // RFC 9000 §7.2: the client's first DCID is unpredictable and at least 8 bytes.
    const dcid = this.prng.bytes(Math.max(8, this.cidLength));
    this.reset.useProvider(config.provider);
    const conn = new Connection({
      isClient: true,
      config: { ...config, seed: config.seed ?? this.prng.nextU32(), sessionStore: config.sessionStore ?? this.sessions, tokenStore: config.tokenStore ?? this.tokens },
      local: this.local,
      remote,
      localCid: this.newCid(),
      remoteCid: dcid,
      now,
      pool: this.pool,
      cidHost: this.cidHost,
    });
    this.register(conn, [conn.localCid]);
    return conn;
  }

  /** Connections held, client and server; a connection is let go once it is closed. */
  get connectionCount(): number {
    return this.slots.size;
  }

  /**
   * Routes a received datagram to its connection by destination connection ID, or handles it
   * statelessly: a new server connection, Version Negotiation, Retry, a stateless reset, or a drop
   * (counted in `dropped`).
   */
  handleDatagram(now: Instant, d: Datagram): void {
    const b = d.data;
    if (b.length === 0) return void this.dropped.malformed++;
    const long = (b[0]! & 0x80) !== 0;
    let dcid: Uint8Array;
    if (long) {
      if (b.length < 7) return void this.dropped.malformed++;
      const dlen = b[5]!;
      if (6 + dlen + 1 > b.length) return void this.dropped.malformed++;
      dcid = b.subarray(6, 6 + dlen);
    } else {
      if (1 + this.cidLength > b.length) return void this.dropped.malformed++;
      // DESIGN §4 rule 4: the common case, the same connection as last time, without a Map key.
      const last = this.lastConn;
      if (last !== undefined && sameCidAt(b, 1, this.lastCid)) {
        last.handleDatagram(now, d);
        this.afterActivity(last);
        return;
      }
      dcid = b.subarray(1, 1 + this.cidLength);
    }
    const conn = this.byCid.get(cidKey(dcid));
    if (conn && !long) {
      this.lastConn = conn;
      this.lastCid = dcid.slice();
    }
    if (conn) {
      conn.handleDatagram(now, d);
      this.afterActivity(conn);
      return;
    }
    // RFC 9000 §10.3.1: a stateless reset's connection ID is random, so it reaches no connection by it.
    const reset = this.reset.detect(b, d.from);
    if (reset !== undefined) {
      reset.onStatelessReset(now, b.length);
      this.wake(reset);
      this.afterActivity(reset);
      return;
    }
    if (!long) {
      // §5.2.2, §10.3: a short header for no connection of ours gets a stateless reset.
      this.dropped.unknownConnection++;
      if (this.stateless.length < MAX_VN_QUEUE) {
        const r = this.reset.respond(now, b, this.cidLength, this.prng);
        if (r !== undefined) this.stateless.push({ data: r, from: this.local, to: d.from });
      }
      return;
    }
    const version = ((b[1]! << 24) | (b[2]! << 16) | (b[3]! << 8) | b[4]!) >>> 0;
    if (version === 0) return void this.dropped.malformed++; // a Version Negotiation packet for no connection
    const server = this.opts.server;
    if (!server) return void this.dropped.unknownConnection++;
    if (!this.versions.includes(version)) {
      // §6.1: answer with Version Negotiation (only for datagrams that could carry an Initial).
      if (b.length < MIN_INITIAL_DATAGRAM) return void this.dropped.short++;
      this.dropped.unsupportedVersion++;
      const slen = b[6 + dcid.length]!;
      if (7 + dcid.length + slen > b.length || this.stateless.length >= MAX_VN_QUEUE) return;
      const scid = b.subarray(7 + dcid.length, 7 + dcid.length + slen);
      const vn = encodeVersionNegotiation({ dcid: scid, scid: dcid, versions: [...this.versions, greaseVersion(this.prng)], unusedBits: this.prng.nextU32() & 0x7f });
      this.stateless.push({ data: vn, from: this.local, to: d.from });
      return;
    }
    // §5.2.2: only an Initial in a datagram of at least 1200 bytes creates a connection.
    if (longPacketTypeFromBits(version, (b[0]! >> 4) & 0x03) !== 'initial') return void this.dropped.unknownConnection++;
    if (b.length < MIN_INITIAL_DATAGRAM) return void this.dropped.short++;
    // §7.2: the client's DCID must be at least 8 bytes.
    if (dcid.length < 8) return void this.dropped.malformed++;
    const slen = b[6 + dcid.length]!;
    if (7 + dcid.length + slen > b.length || slen > 20 || dcid.length > 20) return void this.dropped.malformed++;
    const scid = b.slice(7 + dcid.length, 7 + dcid.length + slen);
    // RFC 9000 §8.1: address validation by token, or a Retry (retry.ts).
    const token = initialTokenOf(b, dcid.length, slen);
    if (token === undefined) return void this.dropped.malformed++;
    const decision = this.validation.decide(now, d.from, dcid, token, () => this.handshaking.size);
    if (decision.action !== 'accept') {
      if (this.stateless.length >= MAX_VN_QUEUE) return;
      const reply =
        decision.action === 'retry'
          ? this.validation.retryPacket(server.provider, now, version, d.from, dcid, scid, this.newCid(), this.prng)
          : statelessInitialClose(server.provider, version, dcid, scid, ErrorCode.INVALID_TOKEN, decision.reason);
      this.stateless.push({ data: reply, from: this.local, to: d.from });
      return;
    }
    // RFC 9000 §5.2.2, §21.2: refuse, statelessly, what would exceed the endpoint's limits.
    const full = this.slots.size >= this.maxConnections;
    if (full || this.handshaking.size >= this.maxHandshakes) {
      if (full) this.refused.connections++;
      else this.refused.handshakes++;
      if (this.stateless.length < MAX_VN_QUEUE) {
        const reply = statelessInitialClose(server.provider, version, dcid, scid, ErrorCode.CONNECTION_REFUSED, full ? 'server busy' : 'too many handshakes');
        this.stateless.push({ data: reply, from: this.local, to: d.from });
      }
      return;
    }
    const retry = decision.validated ? decision.retry : undefined;
    const c = new Connection({
      isClient: false,
      // RFC 9368 §2.3: the connection starts in the client's Chosen Version (the packet's).
      config: { ...server, version, versions: server.versions ?? this.versions, seed: server.seed ?? this.prng.nextU32() },
      local: this.local,
      remote: d.from,
      localCid: this.newCid(),
      remoteCid: scid,
      // §7.3: after a Retry, original_destination_connection_id is the DCID of the first Initial.
      originalDcid: retry !== undefined ? retry.originalDcid : dcid.slice(),
      ...(retry !== undefined ? { retry: { initialDcid: dcid.slice(), retrySourceCid: retry.retryScid } } : {}),
      ...(decision.validated ? { addressValidated: true } : {}),
      now,
      pool: this.pool,
      cidHost: this.cidHost,
    });
    // The client keeps sending to its original DCID (after a Retry: the Retry's SCID) until it
    // sees our SCID (§7.2).
    this.register(c, [c.localCid, c.retry.initialDcid]);
    this.handshaking.add(c);
    if (retry !== undefined) logRetrySent(c, now, version, scid, retry.retryScid, token.length);
    if (this.validation.newTokens) this.awaitingToken.add(c);
    c.handleDatagram(now, d);
    this.events.push({ type: 'connection', connection: c });
    this.afterActivity(c);
  }

  /** The next datagram from any connection (round robin), or a stateless reply. */
  pollTransmit(now: Instant): Datagram | undefined {
    if (this.stateless.length > 0) return this.stateless.shift();
    for (let s = this.ready.shift(); s !== undefined; s = this.ready.shift()) {
      s.ready = false;
      if (s.removed) continue;
      const c = s.conn;
      let d: Datagram | undefined;
      try {
        d = c.pollTransmit(now);
      } catch (e) {
        this.wakeSlot(s);
        throw e;
      }
      // Building may raise events (e.g. a close on the AEAD limit).
      this.markActive(s);
      if (d !== undefined) {
        // Back at the end of the queue: one datagram per connection in turn.
        if (!s.ready) {
          s.ready = true;
          this.ready.push(s);
        }
        return d;
      }
      // Nothing more to send: its deadline may have moved since it was queued.
      if (!s.ready) {
        this.deadlines.set(s, deadlineOf(c));
        this.afterActivity(c);
      }
    }
    if (this.checkWakes) return this.checkUnwoken(now);
    return undefined;
  }

  /** `checkWakes`: a connection that was not woken must have nothing to send. */
  private checkUnwoken(now: Instant): undefined {
    for (const s of this.slots.values()) {
      if (s.ready || s.removed) continue;
      const t = s.conn.pollTimeout();
      if (t !== undefined && t <= now) continue; // its timer will wake it
      const d = s.conn.pollTransmit(now);
      if (d !== undefined) throw new Error(`${String(s.conn)} had a datagram to send at ${now} but was not woken`);
    }
    return undefined;
  }

  /**
   * The next connection that was driven (a datagram, a timer, transmit) or woken by an
   * application call since it was last returned: only these can have new events (`pollEvent`).
   * Closed connections come out too, for their last events. Needs `trackActive`.
   */
  pollActive(): Connection | undefined {
    const s = this.active.shift();
    if (s === undefined) return undefined;
    s.active = false;
    return s.conn;
  }

  /** Connections `pollActive` has yet to return. */
  get activeCount(): number {
    return this.active.size;
  }

  /**
   * Returns a datagram from `pollTransmit` to the transmit buffer pool once its bytes are sent
   * (or handled by an in-memory peer). It must not be used afterwards. Optional.
   */
  releaseDatagram(d: Datagram): void {
    this.pool.release(d);
  }

  /**
   * The earliest deadline of all connections, or undefined when none has one; call `handleTimeout`
   * then.
   */
  pollTimeout(): Instant | undefined {
    this.refreshReady();
    const top = this.deadlines.peek();
    return top === undefined ? undefined : top.deadline;
  }

  /** Runs the timers of every connection due at `now`. */
  handleTimeout(now: Instant): void {
    this.refreshReady();
    // The due connections first, then their timers: one that is still due afterwards (e.g.
    // waiting for transmit) must not be handled twice in one call.
    const due = this.due;
    for (let s = this.deadlines.popDue(now); s !== undefined; s = this.deadlines.popDue(now)) due.push(s);
    let i = 0;
    try {
      for (; i < due.length; i++) {
        const s = due[i]!;
        if (s.removed) continue;
        const c = s.conn;
        c.handleTimeout(now);
        this.wakeSlot(s);
        this.deadlines.set(s, deadlineOf(c));
        this.afterActivity(c);
      }
    } finally {
      // After a throw, the rest keep their deadlines (and the one that threw is retried).
      for (let j = i; j < due.length; j++) {
        const s = due[j]!;
        if (!s.removed) this.deadlines.set(s, deadlineOf(s.conn));
      }
      due.length = 0;
    }
  }

  /** The deadlines of queued connections, which may have changed since they were queued. */
  private refreshReady(): void {
    const q = this.ready;
    for (let i = 0; i < q.size; i++) {
      const s = q.at(i);
      if (!s.removed) this.deadlines.set(s, deadlineOf(s.conn));
    }
  }

  /** Queues `conn` for `pollTransmit` and the application's turn (`Connection.onWake`). */
  private wake(conn: Connection): void {
    const s = this.slots.get(conn);
    if (s !== undefined) this.wakeSlot(s);
  }

  /** The slot of `conn`, made at its first connection ID (which may be issued while it is built). */
  private slotOf(conn: Connection): ConnectionSlot {
    let s = this.slots.get(conn);
    if (s === undefined) this.slots.set(conn, (s = new ConnectionSlot(conn)));
    return s;
  }

  private wakeSlot(s: ConnectionSlot): void {
    if (s.removed) return;
    if (!s.ready) {
      s.ready = true;
      this.ready.push(s);
    }
    this.markActive(s);
  }

  private markActive(s: ConnectionSlot): void {
    if (this.trackActive && !s.active) {
      s.active = true;
      this.active.push(s);
    }
  }

  /** The next endpoint event (a new server connection), or undefined. */
  pollEvent(): EndpointEvent | undefined {
    return this.events.shift();
  }

  private newCid(): Uint8Array {
    for (;;) {
      const cid = this.prng.bytes(this.cidLength);
      if (!this.byCid.has(cidKey(cid))) return cid;
    }
  }

  /** Stateless resets sent, rate-limited, too short to answer, and detected (RFC 9000 §10.3). */
  get statelessResets(): Readonly<{ sent: number; rateLimited: number; tooShort: number; detected: number }> {
    return this.reset.stats;
  }

  /** The connection `cid` routes to, if any (RFC 9000 §5.2). */
  connectionFor(cid: Uint8Array): Connection | undefined {
    return this.byCid.get(cidKey(cid));
  }

  private addCid(conn: Connection, key: string): void {
    this.byCid.set(key, conn);
    this.slotOf(conn).cids.add(key);
  }

  /** RFC 9000 §5.1.2: a retired connection ID no longer routes to its connection. */
  private removeCid(conn: Connection, cid: Uint8Array): void {
    const key = cidKey(cid);
    if (this.byCid.get(key) === conn) this.byCid.delete(key);
    this.slots.get(conn)?.cids.delete(key);
    if (this.lastConn === conn && this.lastCid.length === cid.length && sameCidAt(cid, 0, this.lastCid)) this.lastConn = undefined;
  }

  private register(conn: Connection, cids: Uint8Array[]): void {
    const s = this.slotOf(conn);
    for (const c of cids) this.addCid(conn, cidKey(c));
    conn.onWake = () => this.wakeSlot(s);
    this.wakeSlot(s);
  }

  /** Server handshakes under way (`maxHandshakes`, the 'auto' Retry threshold). */
  get handshakesInProgress(): number {
    return this.handshaking.size;
  }

  /** Address validation counters (RFC 9000 §8.1): Retry packets sent, tokens accepted and rejected. */
  get addressValidation(): Readonly<AddressValidationStats> {
    return this.validation.stats;
  }

  /** Forgets connections that reached the closed state; gives confirmed ones their NEW_TOKEN. */
  private afterActivity(conn: Connection): void {
    if (this.handshaking.size > 0 && (conn.handshakeComplete || conn.isClosed)) this.handshaking.delete(conn);
    if (this.awaitingToken.size > 0 && conn.handshakeConfirmed && this.awaitingToken.delete(conn) && !conn.isClosed && conn.state === 'established') {
      // RFC 9000 §8.1.3: a token for future connections from this client's address.
      queueNewToken(conn, this.validation.tokens.newToken(conn.lastNow, conn.remote));
      this.validation.stats.newTokensIssued++;
    }
    if (!conn.isClosed) return;
    const s = this.slots.get(conn);
    if (s === undefined) return;
    this.awaitingToken.delete(conn);
    if (this.lastConn === conn) this.lastConn = undefined;
    for (const k of s.cids) if (this.byCid.get(k) === conn) this.byCid.delete(k);
    conn.peerCids.unwatchAll();
    this.slots.delete(conn);
    // Left in the queues, skipped there; still reported once by `pollActive` for its last events.
    s.removed = true;
    this.deadlines.remove(s);
    conn.onWake = undefined;
  }
}

function sameCidAt(b: Uint8Array, at: number, cid: Uint8Array): boolean {
  const n = cid.length;
  if (n === 0 || at + n > b.length) return false;
  for (let i = 0; i < n; i++) if (b[at + i] !== cid[i]) return false;
  return true;
}

/** A compact Map key for a connection ID (DESIGN §4 rule 4). */
function cidKey(cid: Uint8Array): string {
  let s = '';
  for (let i = 0; i < cid.length; i++) s += String.fromCharCode(cid[i]!);
  return s;
}

/** A connection's next deadline as a heap key (Infinity: none). */
function deadlineOf(c: Connection): number {
  const t = c.pollTimeout();
  return t === undefined || !Number.isFinite(t) ? Infinity : t;
}
