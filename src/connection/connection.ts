/**
 * A QUIC connection (RFC 9000), sans-IO (DESIGN §1): datagrams and time in; datagrams,
 * deadlines and events out. This file holds the state machine, the public API and the receive
 * path; packet building is in builder.ts, the TLS glue in handshake.ts, frame dispatch in
 * frames.ts.
 *
 *   conn.handleDatagram(now, datagram)   conn.handleTimeout(now)
 *   conn.pollTransmit(now) → Datagram | undefined      (call until undefined)
 *   conn.pollTimeout() → Instant | undefined
 *   conn.pollEvent() → ConnectionEvent | undefined
 */
import { DirectionalKeys } from '../crypto/keys.js';
import { initialKeys } from '../crypto/initial.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { TlsClient } from '../crypto/tls/client.js';
import type { TlsServer } from '../crypto/tls/server.js';
import type { ClientSession, HandshakeInfo } from '../crypto/tls/engine.js';
import { LossRecovery, type SentPacket } from '../recovery/loss.js';
import { SentPacketPool } from '../recovery/sent-pool.js';
import { Pacer } from '../recovery/pacer.js';
import { Pmtud } from '../recovery/pmtud.js';
import { EcnValidator } from '../recovery/ecn.js';
import { RttEstimator } from '../recovery/rtt.js';
import type { QlogSink, PacketDroppedTrigger } from '../qlog/index.js';
import { keyTypeOf, qlogEndpoint, qlogPacketType } from '../qlog/common.js';
import { StreamManager, type StreamId } from '../streams/index.js';
import { toHex } from '../util/bytes.js';
import { DatagramPool, type Datagram, type SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Duration, Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { errorName } from '../wire/errors.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { createPacketHeader, type PacketHeader } from '../wire/header.js';
import type { Frame } from '../wire/frame.js';
import type { UnprotectedHeader } from '../crypto/packet-protection.js';
import type { TransportParameters } from '../wire/transport-params.js';
import { buildDatagram, TxScratch } from './builder.js';
import { configVersion, transportSettings, type ConnectionConfig, type TransportSettings } from './config.js';
import { createTls, drainTls, localTransportParameters } from './handshake.js';
import { VersionNegotiation, configuredVersions } from './version.js';
import { parametersSetEvent } from '../qlog/params.js';
import { PacketSpace } from './space.js';
import { APPDATA, HANDSHAKE, INITIAL, type CloseInfo, type ConnectionEvent, type RecoveryToken, type SpaceId } from './types.js';
import { onTokenAcked, onTokenLost, TokenPool } from './tokens.js';
import { KeyPhase, ReadKeys } from './key-update.js';
import { LocalCids, PeerCids, type CidHost } from './cids.js';
import { RetryState } from './retry.js';
import { takeStoredToken } from './address-token.js';
import { EarlyData } from './early-data.js';
import { pmtuOnAcked, pmtuOnLost } from './pmtu.js';
import { handleDatagram } from './receive.js';
import { closeWithError, enterClosing, enterDraining, finishClose } from './closing.js';
import { EventQueue, streamEventToConnection } from './events.js';
import { connectionStats, type ConnectionStats } from './stats.js';
import { handleTimeout, logRecovery, pollTimeout } from './timers.js';
import { newController, Path } from './path.js';
import { checkFecConfig, type FecState, type FecStats } from './fec.js';
import { largestPto, closePath, pollMultipath, openPath, pathStats, setPathStatus, type Multipath, type PathStats } from './multipath.js';
import { type PathProbe } from './path-probe.js';
import { encodePreferredAddress, maybeUsePreferredAddress, startClientMigration, ValidationBudget, type MigrationReason, type PathValidation } from './migration.js';
import type { PreferredAddress } from '../wire/transport-params.js';

const SPACE_PTYPE = ['initial', 'handshake', '1rtt'] as const;
const EMPTY_BYTES = new Uint8Array(0);


function onlyAckTokens(tokens: readonly RecoveryToken[]): boolean {
  for (let i = 0; i < tokens.length; i++) if (tokens[i]!.kind !== 'ack') return false;
  return true;
}

/**
 * A connection's life (RFC 9000 §10): handshake, established, then closing (we sent
 * CONNECTION_CLOSE) or draining (the peer did, or a stateless reset came), then closed.
 */
export type ConnectionState = 'handshake' | 'established' | 'closing' | 'draining' | 'closed';

export type { ConnectionStats } from './stats.js';

/** What the endpoint knows when it creates a connection. */
export interface ConnectionInit {
  isClient: boolean;
  config: ConnectionConfig;
  local: SocketAddress;
  remote: SocketAddress;
  /** Our connection ID (the SCID of our long headers). */
  localCid: Uint8Array;
  /** The DCID we send to: client: random (RFC 9000 §7.2); server: the client's SCID. */
  remoteCid: Uint8Array;
  /** Server: the DCID of the client's first Initial (original_destination_connection_id). */
  originalDcid?: Uint8Array;
  /**
   * Server, after a Retry whose token validated (RFC 9000 §8.1.2): the DCID of this Initial
   * (the Retry's SCID, which the Initial keys derive from) and the address counts as validated.
   */
  retry?: { initialDcid: Uint8Array; retrySourceCid: Uint8Array };
  /** Server: the client's address is validated already (a valid token, RFC 9000 §8.1.3). */
  addressValidated?: boolean;
  now: Instant;
  /** Transmit buffers, shared by an endpoint's connections (default: the connection's own). */
  pool?: DatagramPool;
  /** @internal Connection IDs and stateless reset tokens from the endpoint (RFC 9000 §5.1, §10.3); absent: none issued. */
  cidHost?: CidHost;
}

/**
 * A QUIC connection (RFC 9000), sans-IO (DESIGN §1): datagrams and time go in (`handleDatagram`,
 * `handleTimeout`); datagrams to send, the next deadline and events come out (`pollTransmit`,
 * `pollTimeout`, `pollEvent`). An Endpoint creates and drives connections; the stream, DATAGRAM,
 * migration, multipath and key-update calls are the application's.
 *
 * All times are Instants in µs.
 */
export class Connection {
  readonly isClient: boolean;
  readonly config: ConnectionConfig;
  state: ConnectionState = 'handshake';
  /** The version in use: the Negotiated Version once negotiation completed (RFC 9368 §4). */
  version: number;
  /** @internal Version negotiation state (version.ts). */
  readonly versionNegotiation: VersionNegotiation;
  readonly provider: CryptoProvider;
  readonly settings: TransportSettings;
  readonly prng: Prng;
  /** @internal Draws the skipped 1-RTT packet numbers (RFC 9000 §21.4; builder.ts), seeded from `config.seed`. */
  readonly skipPrng: Prng;
  readonly qlog: QlogSink | undefined;
  /** @internal The Initial, Handshake and Application Data packet number spaces (RFC 9000 §12.3; space.ts), by SpaceId. */
  readonly spaces: [PacketSpace, PacketSpace, PacketSpace];
  /** Replaced when a client restarts its handshake after Version Negotiation. */
  tls: TlsClient | TlsServer;
  /** @internal The path in use (path.ts): its addresses, loss recovery, pacer, PMTU discovery and ECN. */
  path: Path;
  /** @internal Loss recovery of the path in use (RFC 9002), with its RTT estimator and congestion controller. */
  get recovery(): LossRecovery<RecoveryToken> {
    return this.path.recovery;
  }
  /** @internal The pacer of the path in use (RFC 9002 §7.7; recovery/pacer.ts). */
  get pacer(): Pacer {
    return this.path.pacer;
  }
  /** @internal Path MTU discovery of the path in use (RFC 9000 §14.3; pmtu.ts). */
  get pmtud(): Pmtud {
    return this.path.pmtud;
  }
  /** @internal ECN marking and validation on the path in use (RFC 9000 §13.4.2), recovery/ecn.ts. */
  get ecn(): EcnValidator {
    return this.path.ecn;
  }
  /** Our address and the peer's on the path in use. */
  get local(): SocketAddress {
    return this.path.local;
  }
  /**
   * Replaces our address on the path in use, as migration does (RFC 9000 §9); applications migrate
   * with `migrate`.
   */
  set local(a: SocketAddress) {
    this.path.local = a;
  }
  /** The peer's address on the path in use. */
  get remote(): SocketAddress {
    return this.path.remote;
  }
  /** @internal Multipath state once negotiated (multipath.ts, draft-ietf-quic-multipath-21). */
  mp: Multipath | undefined;
  /** @internal Forward error correction, once negotiated (fec.ts); undefined: off. */
  fec: FecState | undefined = undefined;
  /** @internal The endpoint's connection-ID services (cids.ts). */
  readonly cidHost: CidHost | undefined;

  /** @internal The path with ID `id`, if the connection has it (multipath-21; 0 is the handshake path). */
  pathById(id: number): Path | undefined {
    if (this.mp !== undefined) return this.mp.paths.get(id);
    return id === this.path.id ? this.path : undefined;
  }

  /** @internal Multipath: the path in use (for single-path operations) becomes `p`. */
  switchPath(p: Path): void {
    this.path = p;
  }

  /**
   * Multipath (client, multipath-21 §3.1): opens a path from `local` to `remote` (default: the
   * server's address), validated by PATH_CHALLENGE. The path ID, or undefined when not possible
   * now (multipath not negotiated, handshake not confirmed, no path ID with connection IDs).
   */
  openPath(now: Instant, local: SocketAddress, remote?: SocketAddress): number | undefined {
    this.onWake?.();
    const id = openPath(this, now, local, remote);
    this.runPathManager(now);
    return id;
  }

  /** Multipath (§3.4): abandons path `id` with PATH_ABANDON. False for an unknown or the last path. */
  closePath(now: Instant, id: number, errorCode?: number): boolean {
    this.onWake?.();
    const ok = closePath(this, now, id, errorCode);
    this.runPathManager(now);
    return ok;
  }

  /** Multipath (§3.3): the status we announce for path `id`. */
  setPathStatus(id: number, status: 'available' | 'backup'): boolean {
    this.onWake?.();
    const ok = setPathStatus(this, id, status);
    this.runPathManager(this.lastNow);
    return ok;
  }

  /**
   * Multipath: the path manager's hooks that are due (path-control.ts), after the connection's
   * own processing; every caller woke the connection first.
   */
  private runPathManager(now: Instant): void {
    const pm = this.mp?.pm;
    if (pm !== undefined && pm.work) pm.run(now);
  }

  /** Multipath: every path with its statistics (one entry, path 0, without multipath). */
  pathStats(): PathStats[] {
    return this.mp !== undefined ? [...this.mp.paths.values()].map(pathStats) : [pathStats(this.path)];
  }
  /** The peer's connection ID we send to on the path in use. */
  get remoteCid(): Uint8Array {
    return this.path.dcid;
  }
  /**
   * Replaces the peer's connection ID we send to on the path in use (a Retry or the server's first
   * SCID, RFC 9000 §7.2; a new path, §9.5).
   */
  set remoteCid(cid: Uint8Array) {
    this.path.dcid = cid;
  }
  /**
   * Replaces the peer's address on the path in use, as migration and path validation do (RFC 9000
   * §9).
   */
  set remote(a: SocketAddress) {
    this.path.remote = a;
  }
  /** @internal The connection's streams: state machines, flow control, scheduling (streams/manager.ts). */
  readonly streams: StreamManager;

  readonly localCid: Uint8Array;
  /** Client: the DCID of its first Initial; server: the client's original DCID. */
  readonly originalDcid: Uint8Array;
  /** Client: the server's SCID has replaced our random DCID (RFC 9000 §7.2). */
  remoteCidSet = false;
  /** @internal Retry and address token state (retry.ts, address-token.ts). */
  readonly retry: RetryState;

  /** RFC 9000 §8.1: until the peer's address is validated a server sends at most 3× what it received. */
  addressValidated: boolean;
  bytesReceivedUnvalidated = 0;
  bytesSentUnvalidated = 0;

  handshakeComplete = false;
  handshakeConfirmed = false;
  handshakeDonePending = false;
  peerParams: TransportParameters | undefined;
  /** Peer's ack_delay_exponent and max_udp_payload_size (defaults until its parameters arrive). */
  peerAckDelayExponent = 3;
  peerMaxUdpPayload = 65527;
  /** RFC 9221 §3: the peer's max_datagram_frame_size (0: we may not send DATAGRAM frames). */
  peerMaxDatagramFrame = 0;
  /** @internal DATAGRAM payloads waiting for the packet builder (RFC 9221 §5). */
  readonly datagramQueue: Uint8Array[] = [];
  datagramsSent = 0;
  datagramsReceived = 0;
  datagramsLost = 0;
  /** Received packets that failed authentication, all keys together (RFC 9001 §6.6 integrity limit). */
  authFailures = 0;
  /** Queued DATAGRAMs dropped because they no longer fit (the path's datagram size shrank). */
  datagramsDropped = 0;
  /** Received DATAGRAMs dropped unread, the oldest first, at `datagramReceiveQueue` (RFC 9221 §5). */
  datagramsReceiveDropped = 0;
  /** Client: the latest session ticket received (also in the session store and a 'session' event). */
  session: ClientSession | undefined;
  /** @internal 0-RTT and resumption state (early-data.ts). */
  readonly early = new EarlyData();

  /** Idle timeout in µs once negotiated (RFC 9000 §10.1); 0 = none. */
  idleTimeout: Duration;
  idleDeadline: Instant | undefined;
  /** Until when the handshake may take (TransportSettings.handshakeTimeoutMs); cleared once it completes. */
  handshakeDeadline: Instant | undefined;
  /** An ack-eliciting packet was sent since the last packet was received (§10.1 timer restart rule). */
  sentElicitingSinceReceive = false;
  pacingDeadline: Instant | undefined;
  closeDeadline: Instant | undefined;
  closeInfo: CloseInfo | undefined;
  /** Send CONNECTION_CLOSE with the next datagram (closing state). */
  closePending = false;
  /**
   * RFC 9000 §9.3: validation of the peer's new address after it migrated (a NAT rebinding, as
   * far as this endpoint can tell), or of a client's own migration (migration.ts). Until the
   * PATH_RESPONSE, sending to it is limited to 3× what arrived from it (§9.3, §8.1); on failure
   * the previous address is restored (§9.3.2).
   * @internal
   */
  pathValidation: PathValidation | undefined;
  /** Peer address changes followed (stats). */
  migrations = 0;
  /** @internal Path validations the peer's new addresses may start (RFC 9000 §21.5.4; migration.ts). */
  readonly validationBudget: ValidationBudget;
  /** Data of PATH_CHALLENGE frames to answer (RFC 9000 §8.2.2). */
  readonly pathResponses: Uint8Array[] = [];
  /**
   * PATH_RESPONSE frames owed on another path than the current one, sent there (RFC 9000
   * §8.2.2), each in a datagram of at most `budget` bytes (1200, or 3× what arrived, §8.1).
   */
  readonly offPathResponses: { data: Uint8Array; local: SocketAddress; remote: SocketAddress; budget: number }[] = [];
  /** @internal Client: a path being probed before moving to it (the server's preferred address, RFC 9000 §9.6.1; path-probe.ts). */
  pathProbe: PathProbe | undefined;
  /** The first time the connection was driven (`pollTransmit` or `handleDatagram`): `config.timeMs` refers to it. */
  startedAt: Instant | undefined;
  /** Client: the server address before a probed move; its late packets are still accepted (§9.6.1). */
  formerRemote: SocketAddress | undefined;
  /** Server: another of our addresses the client's path was validated from, and one waiting for validation (§9.6.1). */
  validatedLocal: SocketAddress | undefined;
  pendingLocal: SocketAddress | undefined;
  /** @internal The addresses of the datagram being processed. */
  rxFrom: SocketAddress | undefined;
  /** @internal Multipath: the path of the packet being processed. */
  rxPath: Path | undefined;
  rxTo: SocketAddress | undefined;
  rxSize = 0;
  /** @internal Connection IDs we issued (RFC 9000 §5.1.1); cids.ts. */
  readonly localCids: LocalCids;
  /** @internal Connection IDs the peer issued (RFC 9000 §5.1.2); cids.ts. */
  readonly peerCids: PeerCids;
  /** @internal The Destination Connection ID of the packet being processed, by position (RETIRE_CONNECTION_ID check, §19.16). */
  /** @internal */
  rxDcidBuf: Uint8Array = EMPTY_BYTES;
  /** @internal */
  rxDcidAt = 0;
  /** @internal */
  rxDcidLength = 0;

  /** Transmit buffers (DESIGN §4 rule 2); see `releaseDatagram`. */
  readonly pool: DatagramPool;
  /** @internal The packet builder's reusable scratch. */
  readonly tx = new TxScratch();
  /**
   * @internal Sent-packet records and the STREAM/ACK tokens they carry, recycled (DESIGN §4
   * rule 2) at one point: `releaseSent`, once the tokens were handed over or dropped.
   */
  readonly sentPool = new SentPacketPool<RecoveryToken>();
  /** @internal 1-RTT key phases (RFC 9001 §6), once both 1-RTT keys are installed. */
  keyPhase: KeyPhase | undefined;
  /** @internal Recycled arrays of the recovery tokens a sent packet carries (tokens.ts). */
  readonly tokenPool = new TokenPool();
  /** Receive-path scratch: header, unprotected header and frame list, reused per packet. */
  /** @internal (receive.ts) */
  readonly rxHeader: PacketHeader = createPacketHeader();
  /** @internal (receive.ts) */
  readonly rxUnprotected: UnprotectedHeader = { firstByte: 0, pnLength: 1, headerLength: 0, pn: 0, keyPhase: 0 };
  /** @internal (receive.ts) */
  readonly rxFrames: Frame[] = [];
  /** @internal (receive.ts) */
  readonly rxDecoder = new FrameDecoder();
  /** @internal (receive.ts) */
  readonly rxOptions: { shortDcidLength: number; shortDcidView: boolean };

  private readonly events = new EventQueue();

  /**
   * @internal Set by the endpoint: called by every call that may give the connection something
   * to send or an event to report (the public API below, `handleDatagram`, `handleTimeout`), so
   * that the endpoint polls only connections that may have work (endpoint.ts).
   */
  onWake: (() => void) | undefined = undefined;

  /**
   * Tells the endpoint that this connection may have something to send: for code that changes
   * the connection's state other than through its methods (e.g. `streams.amendReset`).
   */
  wake(): void {
    this.onWake?.();
  }

  // Counters (DESIGN §4 rule 6: plain numbers on the owner).
  packetsSent = 0;
  packetsReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  packetsLost = 0;
  packetsDropped = 0;

  constructor(init: ConnectionInit) {
    const c = init.config;
    this.config = c;
    this.isClient = init.isClient;
    this.version = configVersion(c);
    this.versionNegotiation = new VersionNegotiation(init.isClient, this.version, configuredVersions(c, init.isClient, this.version));
    this.provider = c.provider;
    this.settings = transportSettings(c);
    if (c.fec !== undefined) checkFecConfig(c.fec);
    this.prng = new Prng(c.seed ?? 1);
    this.skipPrng = new Prng(((c.seed ?? 1) ^ 0x736b6970) >>> 0);
    this.validationBudget = new ValidationBudget(this.settings.pathValidationsPerSecond);
    this.qlog = c.qlog ?? c.qlogFor?.({ isClient: init.isClient, originalDcid: init.isClient ? init.remoteCid : (init.originalDcid ?? init.localCid) });
    this.pool = init.pool ?? new DatagramPool();
    this.localCid = init.localCid;
    this.rxOptions = { shortDcidLength: init.localCid.length, shortDcidView: false };
    this.originalDcid = init.isClient ? init.remoteCid : (init.originalDcid ?? init.localCid);
    this.addressValidated = init.isClient || init.addressValidated === true || init.retry !== undefined;
    this.retry = new RetryState(init.retry?.initialDcid ?? this.originalDcid, init.retry?.retrySourceCid);
    const maxAckDelay = this.settings.maxAckDelayMs * 1000;
    this.spaces = [new PacketSpace(INITIAL, maxAckDelay), new PacketSpace(HANDSHAKE, maxAckDelay), new PacketSpace(APPDATA, maxAckDelay)];
    const ik = initialKeys(this.provider, this.version, this.retry.initialDcid, !this.isClient);
    this.spaces[INITIAL].seal = ik.seal;
    this.spaces[INITIAL].open = ik.open;
    const rtt = new RttEstimator(this.settings.initialRtt);
    const pmtud = new Pmtud(this.settings.maxDatagramSize, this.settings.pmtud);
    const cc = newController(c, this.settings, pmtud.current, 0);
    const ecn = new EcnValidator(this.settings.ecn, (now, old, state) => {
      this.qlog?.event(now, { name: 'quic:ecn_state_updated', data: { ...(old !== undefined ? { old } : {}), new: state } });
    });
    this.path = new Path(0, init.local, init.remote, new LossRecovery<RecoveryToken>({ cc, rtt, isServer: !this.isClient }), new Pacer(pmtud.current), pmtud, ecn, this.spaces[APPDATA], init.remoteCid);
    const s = this.settings;
    this.streams = new StreamManager({
      isClient: this.isClient,
      limits: {
        maxStreamsBidi: s.maxStreamsBidi,
        maxStreamsUni: s.maxStreamsUni,
        initialMaxStreamDataBidiLocal: s.initialMaxStreamData,
        initialMaxStreamDataBidiRemote: s.initialMaxStreamData,
        initialMaxStreamDataUni: s.initialMaxStreamData,
        maxStreamWindow: s.maxStreamWindow,
        initialMaxData: s.initialMaxData,
        maxConnectionWindow: s.maxConnectionWindow,
        sendBufferSize: s.sendBufferSize,
        maxStreamChunks: s.maxStreamChunks,
        maxConnectionChunks: s.maxConnectionChunks,
      },
    });
    this.idleTimeout = s.maxIdleTimeoutMs * 1000;
    if (this.idleTimeout > 0) this.idleDeadline = init.now + this.idleTimeout;
    this.lastAckedAt = init.now;
    this.path.recovery.ptoCeiling = this.ptoCeiling();
    if (s.handshakeTimeoutMs > 0) this.handshakeDeadline = init.now + s.handshakeTimeoutMs * 1000;
    this.cidHost = init.cidHost;
    this.localCids = new LocalCids(this, init.cidHost, init.localCid);
    this.peerCids = new PeerCids(this, init.cidHost, init.remoteCid);
    // RFC 9000 §9.6: a server's preferred address comes with a connection ID of sequence 1.
    if (!this.isClient && c.preferredAddress !== undefined) {
      const issued = this.localCids.issuePreferred();
      if (issued !== undefined) this.preferredAddressParam = encodePreferredAddress(c.preferredAddress, issued.cid, issued.token);
    }
    // RFC 9000 §8.1.3: a client's first Initial carries a NEW_TOKEN token it kept, if any.
    takeStoredToken(this);
    this.tls = createTls(this);
    this.qlog?.event(init.now, {
      name: 'quic:connection_started',
      data: { local: qlogEndpoint(init.local, [this.localCid]), remote: qlogEndpoint(init.remote, [this.remoteCid]) },
    });
    if (this.qlog) this.qlog.event(init.now, parametersSetEvent(localTransportParameters(this), 'local'));
    if (this.ecn.state !== undefined) this.qlog?.event(init.now, { name: 'quic:ecn_state_updated', data: { new: this.ecn.state } });
    if (this.isClient) {
      (this.tls as TlsClient).start();
      drainTls(this, init.now);
    }
  }

  /** @internal Server: the preferred_address transport parameter we send (migration.ts). */
  preferredAddressParam: PreferredAddress | undefined;

  // ---------------------------------------------------------------------------------------------
  // Public API

  /**
   * Client: moves the connection to a new local address (RFC 9000 §9.2): a new connection ID of
   * the server's (§9.5), packets from `local` at once, and path validation; on failure the old
   * path is used again (§9.3.2). 'path_changed' events follow. False, changing nothing, when not
   * possible: not a client, the handshake not confirmed, the server sent
   * disable_active_migration, a migration still being validated, or no spare connection ID.
   */
  migrate(now: Instant, local: SocketAddress): boolean {
    this.lastNow = now;
    this.onWake?.();
    return startClientMigration(this, now, local, this.remote, 'active');
  }

  /** True once the connection reached the closed state: nothing more is sent or received. */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * 0-RTT (RFC 9001 §4.6): undefined while unknown or not attempted; client: whether the server
   * accepted our early data; server: whether we accepted the client's.
   */
  get earlyDataAccepted(): boolean | undefined {
    return this.early.accepted;
  }

  /** Whether the handshake resumed a session (RFC 9001 §4.5); undefined before it completed. */
  get resumed(): boolean | undefined {
    return this.handshakeInfo?.resumed;
  }

  /** @internal TLS details once the handshake completed. */
  handshakeInfo: HandshakeInfo | undefined;

  /**
   * The next event, or undefined when none is queued; call until undefined after each
   * `handleDatagram`, `handleTimeout` or API call.
   */
  pollEvent(): ConnectionEvent | undefined {
    let e = this.streams.pollEvent();
    // Taking stream events can forget finished streams, which raises MAX_STREAMS: output the
    // endpoint must know of.
    if (e !== undefined) this.onWake?.();
    for (; e; e = this.streams.pollEvent()) this.events.push(streamEventToConnection(e, this.qlog, this.lastNow));
    return this.events.poll();
  }

  /** @internal */
  emit(e: ConnectionEvent): void {
    this.events.push(e);
  }

  /** Received DATAGRAMs waiting in the event queue. */
  get datagramEventsQueued(): number {
    return this.events.datagrams;
  }

  /** Opens a stream; undefined when the peer's stream limit is reached (wait for 'streams_available'). */
  openStream(bidi = true): StreamId | undefined {
    this.checkUsable();
    this.onWake?.();
    return this.streams.open(bidi);
  }

  /** Queues data on a stream; returns the bytes accepted (less under backpressure). */
  streamWrite(id: StreamId, data: Uint8Array, fin = false): number {
    this.checkUsable();
    this.onWake?.();
    return this.streams.write(id, data, fin);
  }

  /**
   * Ends the sending side of a stream: FIN after the data queued so far. Throws RangeError once the
   * connection is closing.
   */
  streamFinish(id: StreamId): void {
    this.checkUsable();
    this.onWake?.();
    this.streams.finish(id);
  }

  /**
   * Reads up to `max` bytes of a stream in order, and whether the stream's end (FIN) was reached;
   * undefined when nothing is ready, the stream was reset or it is already closed. Reading returns
   * flow-control credit to the peer (RFC 9000 §4.2).
   */
  streamRead(id: StreamId, max?: number): { data: Uint8Array; fin: boolean } | undefined {
    // Reading frees flow-control credit: MAX_STREAM_DATA / MAX_DATA may follow (RFC 9000 §4.2).
    this.onWake?.();
    return this.streams.read(id, max);
  }

  /**
   * Abandons sending on a stream with RESET_STREAM and the application error `code` (RFC 9000 §3.1,
   * §19.4). Throws RangeError once the connection is closing.
   */
  streamReset(id: StreamId, code: number): void {
    this.checkUsable();
    this.onWake?.();
    this.streams.reset(id, code);
  }

  /**
   * Asks the peer to stop sending on a stream with STOP_SENDING and `code` (RFC 9000 §3.5, §19.5);
   * data buffered and still to come are discarded. Throws RangeError once the connection is
   * closing.
   */
  streamStopSending(id: StreamId, code: number): void {
    this.checkUsable();
    this.onWake?.();
    this.streams.stopSending(id, code);
  }

  /**
   * Sets a stream's urgency, 0 (first) to 7 (last), default 3 (as RFC 9218 §4.1): the send
   * scheduler serves more urgent streams first, round-robin within a level. RangeError outside
   * 0..7.
   */
  setStreamUrgency(id: StreamId, urgency: number): void {
    this.onWake?.();
    this.streams.setUrgency(id, urgency);
  }

  /**
   * Closes the connection (RFC 9000 §10.2): CONNECTION_CLOSE of the application type (0x1d) by
   * default, then the closing state for 3×PTO.
   */
  close(now: Instant, code = 0, reason = '', application = true): void {
    if (this.state === 'closing' || this.state === 'draining' || this.state === 'closed') return;
    this.onWake?.();
    enterClosing(this, now, { kind: application ? 'application' : 'transport', code, reason, initiator: 'local' });
  }

  /**
   * Replaces the congestion controller of every path with a new one of the registered `name`
   * (recovery/cc/registry.ts), starting from its initial window; paths opened later use it too.
   * For experiments (the simulator gives each flow its own controller this way); a RangeError
   * for an unknown name.
   */
  setCongestionController(name: string): void {
    newController(this.config, this.settings, 1200, 0, name); // an unknown name throws before anything changes
    this.settings.congestionControl = name;
    this.onWake?.();
    for (const p of this.mp?.paths.values() ?? [this.path]) p.recovery.cc = newController(this.config, this.settings, p.pmtud.current, p.id);
  }

  /** A snapshot of the connection's statistics. */
  stats(): ConnectionStats {
    return connectionStats(this);
  }

  // ---------------------------------------------------------------------------------------------
  // DATAGRAM (RFC 9221)

  /**
   * The largest DATAGRAM payload `sendDatagram` accepts now: bounded by the peer's
   * max_datagram_frame_size (the whole frame counts) and by what fits in one 1-RTT packet.
   * 0 when the peer did not advertise DATAGRAM support (or its parameters are not known yet).
   */
  maxDatagramPayload(): number {
    if (this.peerMaxDatagramFrame === 0) return 0;
    const packetRoom = Math.min(this.pmtud.current, this.peerMaxUdpPayload) - (1 + this.remoteCid.length + 4 + 16);
    const frameRoom = Math.min(this.peerMaxDatagramFrame, packetRoom);
    // type byte + Length varint + payload (RFC 9221 §4).
    let n = frameRoom - 1 - 1;
    if (n > 63) n = frameRoom - 1 - 2;
    if (n > 16383) n = frameRoom - 1 - 4;
    return n > 0 ? n : 0;
  }

  /**
   * Queues an unreliable DATAGRAM (RFC 9221). Returns false, queueing nothing, when the peer did
   * not negotiate DATAGRAM, the payload is larger than `maxDatagramPayload()`, the send queue is
   * full, or the connection cannot send. The bytes are copied. A lost DATAGRAM is not resent: a
   * `datagram_lost` event reports it.
   */
  sendDatagram(data: Uint8Array): boolean {
    if (this.state === 'closing' || this.state === 'draining' || this.state === 'closed') return false;
    if (data.length > this.maxDatagramPayload()) return false;
    if (this.datagramQueue.length >= this.settings.datagramSendQueue) return false;
    this.onWake?.();
    this.datagramQueue.push(data.slice());
    return true;
  }

  /** @internal A DATAGRAM frame arrived (already checked against our limit). */
  onDatagram(data: Uint8Array): void {
    this.datagramsReceived++;
    // RFC 9221 §5: a bounded receive queue (datagramReceiveQueue); the oldest waiting goes first.
    if (this.events.pushDatagram(data, this.settings.datagramReceiveQueue)) this.datagramsReceiveDropped++;
  }

  private checkUsable(): void {
    if (this.state === 'closing' || this.state === 'draining' || this.state === 'closed') throw new RangeError(`connection is ${this.state}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Receive path

  /**
   * Processes a received UDP datagram (all its coalesced packets, RFC 9000 §12.2). Malformed or
   * undecryptable packets are dropped; a protocol error closes the connection.
   */
  handleDatagram(now: Instant, d: Datagram): void {
    this.onWake?.();
    handleDatagram(this, now, d);
    this.runPathManager(now);
  }

  /** @internal Is `cid` the Destination Connection ID of the packet being processed? */
  packetArrivedOn(cid: Uint8Array): boolean {
    const b = this.rxDcidBuf;
    const at = this.rxDcidAt;
    if (cid.length !== this.rxDcidLength || at + cid.length > b.length) return false;
    for (let i = 0; i < cid.length; i++) if (b[at + i] !== cid[i]) return false;
    return true;
  }

  /**
   * RFC 9000 §10.3.1: a stateless reset for this connection arrived (detected here or by the
   * endpoint): the draining period, nothing more is sent.
   */
  onStatelessReset(now: Instant, length: number): void {
    if (this.state === 'draining' || this.state === 'closed') return;
    this.onWake?.();
    this.qlog?.event(now, { name: 'quic:packet_received', data: { header: { packet_type: 'stateless_reset' }, raw: { length } } });
    this.enterDraining(now, { kind: 'stateless_reset', code: 0, reason: 'stateless reset', initiator: 'remote' });
  }

  /**
   * A spare connection ID of the peer's for a new path (RFC 9000 §5.1.2, §9.5): it becomes the
   * Destination Connection ID from now on and the previous one is retired (RETIRE_CONNECTION_ID).
   * Undefined, changing nothing, when the peer supplied no unused one.
   */
  nextPeerCid(): Uint8Array | undefined {
    this.onWake?.();
    const cid = this.peerCids.next();
    if (cid !== undefined) this.remoteCid = cid;
    return cid;
  }

  /**
   * Asks the peer to replace every connection ID we issued (RFC 9000 §5.1.2): new ones go out
   * with Retire Prior To covering the current ones. False when not possible now.
   */
  rotateLocalCids(): boolean {
    if (this.state !== 'established') return false;
    this.onWake?.();
    return this.localCids.rotate();
  }

  /** @internal qlog + counter for a dropped packet. */
  drop(now: Instant, trigger: PacketDroppedTrigger, detail: string, length?: number): void {
    this.packetsDropped++;
    this.qlog?.event(now, {
      name: 'quic:packet_dropped',
      data: { trigger, ...(length !== undefined ? { raw: { length } } : {}), details: { reason: detail } },
    });
  }

  /** The ceiling on the backed-off PTO (µs) for every path's recovery: `TransportSettings.ptoCeilingMs`. */
  ptoCeiling(): Duration {
    const ms = this.settings.ptoCeilingMs;
    if (ms === 0) return Infinity;
    if (ms !== undefined) return ms * 1000;
    return this.idleTimeout > 0 ? this.idleTimeout / 8 : Infinity;
  }

  /** RFC 9000 §10.1: the idle timeout is at least 3×PTO. */
  effectiveIdleTimeout(): Duration {
    return Math.max(this.idleTimeout, 3 * this.recovery.rtt.pto(this.recovery.maxAckDelay, true));
  }

  // ---------------------------------------------------------------------------------------------
  // Keys and handshake state

  /** @internal Installs 1-RTT/Handshake keys from a TLS secret. */
  installKeys(space: SpaceId, direction: 'read' | 'write', keys: DirectionalKeys): void {
    const sp = this.spaces[space];
    if (direction === 'read') sp.open = keys;
    else sp.seal = keys;
    if (space === HANDSHAKE) this.recovery.hasHandshakeKeys = true;
    if (space === APPDATA && sp.open && sp.seal && this.keyPhase === undefined) this.keyPhase = new KeyPhase(sp.open, sp.seal);
  }

  /**
   * A 1-RTT packet opened with the keys `which` named: RFC 9001 §6.2, opening with the next
   * keys is the peer's update (we follow: our next packet, and the ACK of this one, go out
   * under the new keys) or its answer to ours.
   */
  /** @internal */
  onKeyPhaseOpened(now: Instant, kp: KeyPhase, which: ReadKeys, pn: number, pathId: number): void {
    if (which === ReadKeys.Previous) kp.checkPrevious(pn, pathId);
    // multipath-21 §2.5: the 3×PTO waits use the largest PTO among the paths.
    const change = kp.onOpened(now, which, pn, largestPto(this), pathId);
    if (change === 'none') return;
    const sp = this.spaces[APPDATA];
    sp.open = kp.read;
    sp.seal = kp.write;
    const initiator = change === 'peer_initiated' ? 'remote' : 'local';
    if (this.qlog) {
      const trigger = initiator === 'remote' ? 'remote_update' : 'local_update';
      // The read side changed now; on a peer-initiated update the write side with it.
      const peer = this.isClient ? 'server' : 'client';
      const self = this.isClient ? 'client' : 'server';
      this.qlog.event(now, { name: 'quic:key_updated', data: { key_type: keyTypeOf(peer, '1rtt'), key_phase: kp.readGen, trigger } });
      if (initiator === 'remote') this.qlog.event(now, { name: 'quic:key_updated', data: { key_type: keyTypeOf(self, '1rtt'), key_phase: kp.writeGen, trigger } });
    }
    this.emit({ type: 'key_updated', initiator, generation: kp.readGen });
  }

  /**
   * RFC 9001 §6.1: starts a 1-RTT key update. False when not permitted now: before the
   * handshake is confirmed, before the peer acknowledged a packet of the current key phase,
   * while the previous update is incomplete, or within 3×PTO of it (§6.5). The 'key_updated'
   * event follows once the peer answers in the new phase.
   */
  initiateKeyUpdate(now: Instant): boolean {
    const kp = this.keyPhase;
    if (kp === undefined || this.state !== 'established') return false;
    // multipath-21 §2.5: a packet of the current phase acknowledged on any path (per-path numbers).
    const largestAcked = this.mp === undefined ? (this.recovery.largestAcked(APPDATA) ?? -1) : (id: number) => this.mp?.paths.get(id)?.recovery.largestAcked(APPDATA) ?? -1;
    if (!kp.canInitiate(now, this.handshakeConfirmed, largestAcked)) return false;
    this.onWake?.();
    kp.initiate();
    this.spaces[APPDATA].seal = kp.write;
    const self = this.isClient ? 'client' : 'server';
    this.qlog?.event(now, { name: 'quic:key_updated', data: { key_type: keyTypeOf(self, '1rtt'), key_phase: kp.writeGen, trigger: 'local_update' } });
    return true;
  }

  /** @internal RFC 9001 §4.9: keys of a space are discarded along with its recovery state. */
  discardSpace(now: Instant, space: SpaceId): void {
    const sp = this.spaces[space];
    if (sp.discarded) return;
    sp.discard();
    // RFC 9002 §6.4: the packets' tokens are dropped with the space.
    const removed = this.recovery.discardSpace(space);
    for (let i = 0; i < removed.length; i++) this.releaseSent(removed[i]!);
    if (this.qlog) {
      const type = space === INITIAL ? 'initial' : 'handshake';
      for (const side of ['client', 'server'] as const) this.qlog.event(now, { name: 'quic:key_discarded', data: { key_type: keyTypeOf(side, type), trigger: 'tls' } });
    }
  }

  /** @internal RFC 9001 §4.1.2: handshake confirmed. */
  confirmHandshake(now: Instant): void {
    if (this.handshakeConfirmed) return;
    this.handshakeConfirmed = true;
    this.recovery.handshakeConfirmed = true;
    this.recovery.peerCompletedAddressValidation = true;
    this.discardSpace(now, HANDSHAKE);
    // RFC 9000 §14.3.1: DPLPMTUD's BASE state once the handshake is done; the search starts.
    this.pmtud.start();
    this.emit({ type: 'handshake_confirmed' });
    // Multipath is usable from now on: the path manager's onReady (path-control.ts).
    this.mp?.pm.handshakeConfirmed();
    // RFC 9000 §9.6.1 (migration.ts).
    maybeUsePreferredAddress(this, now);
  }

  // ---------------------------------------------------------------------------------------------
  // Closing (RFC 9000 §10)

  /** @internal A protocol error: close with the RFC's code and the frame type (closing.ts). */
  closeWithError(now: Instant, e: TransportError): void {
    closeWithError(this, now, e);
  }

  /** @internal The peer closed (CONNECTION_CLOSE received): draining (closing.ts). */
  enterDraining(now: Instant, info: CloseInfo): void {
    enterDraining(this, now, info);
  }

  /** @internal Closed at once, nothing sent (closing.ts). */
  finishClose(now: Instant, info: CloseInfo): void {
    finishClose(this, now, info);
  }

  // ---------------------------------------------------------------------------------------------
  // Timers (DESIGN §3: a table of deadlines; pollTimeout is the minimum)

  /**
   * The next deadline (idle, loss detection, PTO, ACK delay, pacing, closing…), or undefined when
   * there is none; call `handleTimeout` at that time.
   */
  pollTimeout(): Instant | undefined {
    return pollTimeout(this);
  }

  /** Runs the timers due at `now`; harmless when called early. */
  handleTimeout(now: Instant): void {
    this.onWake?.();
    handleTimeout(this, now);
    this.runPathManager(now);
  }

  /** @internal qlog recovery metrics and congestion state of the path in use (timers.ts). */
  logRecovery(now: Instant): void {
    logRecovery(this, now);
  }
  /** @internal Last logged recovery metrics and congestion state (timers.ts `logRecovery`). */
  readonly lastMetrics = { cwnd: -1, srtt: -1, inFlight: -1 };
  ccState = 'slow_start';

  /**
   * @internal Tokens of acknowledged packets go back to their owners; the packets' records are
   * released (they left the sent history for good).
   */
  onAcked(now: Instant, packets: ReadonlyArray<SentPacket<RecoveryToken>>, path: Path = this.path): void {
    if (packets.length > 0) this.lastAckedAt = now;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const tokens = p.tokens;
      for (let j = 0; j < tokens.length; j++) onTokenAcked(this, now, tokens[j]!);
      pmtuOnAcked(this, now, p, path);
      this.releaseSent(p);
    }
  }

  /** @internal Tokens of lost packets go back to their owners (RFC 9000 §13.3); records are released. */
  onLost(now: Instant, packets: ReadonlyArray<SentPacket<RecoveryToken>>, space: SpaceId, path: Path = this.path): void {
    if (packets.length > 0) path.ecn.onPacketsLost(now, packets);
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const tokens = p.tokens;
      // ACK-only packets come back as lost too; they carried nothing to repeat.
      if (p.inFlight || !onlyAckTokens(tokens)) {
        this.packetsLost++;
        path.packetsLost++;
        this.qlog?.event(now, { name: 'quic:packet_lost', data: { header: { packet_type: qlogPacketType(SPACE_PTYPE[space]), packet_number: p.pn } } });
        for (let j = 0; j < tokens.length; j++) onTokenLost(this, tokens[j]!);
      }
      if (p.inFlight) pmtuOnLost(this, now, p, path);
      this.releaseSent(p);
    }
  }

  /**
   * @internal The one point where a sent-packet record is recycled (see recovery/sent-pool.ts):
   * it left the sent history and its tokens were handed over or dropped.
   */
  releaseSent(p: SentPacket<RecoveryToken>): void {
    if (!this.sentPool.poison) this.tokenPool.recycle(p.tokens);
    this.sentPool.release(p);
  }

  // ---------------------------------------------------------------------------------------------
  // Transmit

  /**
   * The next datagram to send, or undefined when there is nothing (call until undefined). Its
   * bytes live in a pooled buffer: once they are sent (or handled by an in-memory peer), hand
   * the datagram back with `releaseDatagram` so the buffer is reused; not doing so is safe.
   */
  pollTransmit(now: Instant): Datagram | undefined {
    this.startedAt ??= now;
    if (this.state === 'closed' || this.state === 'draining') return undefined;
    // RFC 9001 §6.6: update the keys before the confidentiality limit; close if that is not
    // possible in time.
    const kp = this.keyPhase;
    if (kp !== undefined && this.state === 'established' && kp.nearConfidentialityLimit() && !this.initiateKeyUpdate(now)) {
      if (kp.write.packetsProtected >= kp.write.suite.confidentialityLimit) {
        this.closeWithError(now, new TransportError(ErrorCode.AEAD_LIMIT_REACHED, undefined, 'AEAD confidentiality limit reached'));
      }
    }
    const d = this.mp !== undefined && this.state === 'established' ? pollMultipath(this, now, this.mp) : buildDatagram(this, now);
    if (d && this.state === 'closing') this.closePending = false;
    return d;
  }

  /** Returns a datagram from `pollTransmit` to the buffer pool; it must not be used afterwards. */
  releaseDatagram(d: Datagram): void {
    this.pool.release(d);
  }

  /** @internal The latest time the connection was driven with, for events raised outside a call with `now`. */
  lastNow: Instant = 0;
  /** @internal When an ACK last acknowledged one of our packets (any path), or the connection's start. */
  lastAckedAt: Instant = 0;

  /** A short description for logs: role, our connection ID, state and close code. */
  toString(): string {
    return `Connection(${this.isClient ? 'client' : 'server'} ${toHex(this.localCid)} ${this.state}${this.closeInfo ? ` ${errorName(this.closeInfo.code)}` : ''})`;
  }
}
