/** Connection options with their defaults, and the transport parameters they produce. */
import type { CipherSuite, CryptoProvider } from '../crypto/provider.js';
import type { TlsCredentials } from '../crypto/tls/certificates.js';
import type { ClientSession } from '../crypto/tls/engine.js';
import type { QlogSink } from '../qlog/index.js';
import type { TokenStore } from './address-token.js';
import type { StrikeRegister } from './early-data.js';
import type { SessionStore } from './session-cache.js';
import { QUIC_V1 } from '../wire/version.js';
import type { SocketAddress } from '../util/datagram.js';
import type { MultipathConfig } from './multipath.js';
import type { FecConfig } from './fec.js';

/**
 * The transport settings of a connection: every field with its default (DEFAULT_TRANSPORT),
 * overridable through `ConnectionConfig.transport`. Most become our transport parameters (RFC 9000
 * §18.2).
 */
export interface TransportSettings {
  /** Our max_idle_timeout (ms); 0 disables our side's timeout (RFC 9000 §10.1). */
  maxIdleTimeoutMs: number;
  /** Connection-level receive window: initial_max_data, and its auto-tuning cap. */
  initialMaxData: number;
  maxConnectionWindow: number;
  /** Per-stream receive windows (initial_max_stream_data_*), and their auto-tuning cap. */
  initialMaxStreamData: number;
  maxStreamWindow: number;
  /** Concurrent streams the peer may open (initial_max_streams_bidi / _uni). */
  maxStreamsBidi: number;
  maxStreamsUni: number;
  /** Bytes the application may queue per stream before write() pushes back. */
  sendBufferSize: number;
  /**
   * Largest UDP payload we send (before the peer's max_udp_payload_size is applied): the ceiling
   * of path MTU discovery (MAX_PLPMTU, RFC 8899 §5.1.2). Default 1452, what a 1500-byte
   * Ethernet MTU carries under IPv6 and UDP headers. With `pmtud` off, datagrams have this size
   * from the start (the path is trusted to carry it).
   */
  maxDatagramSize: number;
  /**
   * Path MTU discovery (DPLPMTUD, RFC 9000 §14.3, RFC 8899; recovery/pmtud.ts): datagrams start
   * at 1200 bytes and grow, after the handshake, to what acknowledged probes show the path
   * carries, up to `maxDatagramSize`. Default true.
   */
  pmtud: boolean;
  /** max_udp_payload_size we advertise (what we can receive). */
  maxUdpPayloadSize: number;
  ackDelayExponent: number;
  maxAckDelayMs: number;
  /** active_connection_id_limit we advertise. */
  activeConnectionIdLimit: number;
  /** Congestion controller by registry name (recovery/cc): 'newreno', 'cubic', … */
  congestionControl: string;
  /**
   * HyStart++ (RFC 9406, recovery/cc/hystart.ts) in the initial slow start of 'newreno' and
   * 'cubic': a rise of the per-round minimum RTT ends slow start before the bottleneck queue
   * overflows, through Conservative Slow Start. Other controllers ignore it. Default true.
   */
  hystart: boolean;
  /** Initial RTT before the first sample (µs), RFC 9002 §6.2.2. */
  initialRtt: number;
  /**
   * RFC 9221 §3: max_datagram_frame_size we advertise (the largest DATAGRAM frame we accept);
   * 0 (the default) does not advertise it, and DATAGRAM frames from the peer are then an error.
   */
  maxDatagramFrameSize: number;
  /** DATAGRAMs queued for sending at most; `sendDatagram` refuses more (RFC 9221 §5). */
  datagramSendQueue: number;
  /**
   * Mark our packets ECT(0) and validate the path's ECN (RFC 9000 §13.4.2). Off by default: the
   * sender must be able to set the IP header's ECN bits (the simulator can, node:dgram cannot).
   * ECN counts of received packets are reported either way (§13.4.1).
   */
  ecn: boolean;
  /**
   * The handshake must complete within this many ms of the connection's start, else the
   * connection is closed silently, like an idle timeout (a slow or stalled peer cannot hold a
   * half-open connection with a packet now and then; RFC 9000 §21.6). 0 disables. Default 10 s.
   */
  handshakeTimeoutMs: number;
  /**
   * Optimistic-ACK defence (RFC 9000 §21.4): one 1-RTT packet number (per path with multipath)
   * is skipped, never sent, at intervals drawn uniformly from [period, 8·period) packets with
   * the connection's seeded PRNG; an ACK of a skipped number is a PROTOCOL_VIOLATION
   * (recovery/loss.ts). 0 disables. Default 128 (a skip every 128–1023 packets).
   */
  skipPacketNumberPeriod: number;
  /**
   * Path validations the peer can make us start (RFC 9000 §9.3, §21.5.4 "Request Forgery with
   * Spoofed Migration"): following a new peer address, on the connection's path or, with
   * multipath, on any path, takes a token from a bucket of this many that refills at this many
   * per second. When it is empty the packet is processed but the address is not followed (a
   * later packet from it may be, §9.3 lets an endpoint decline to migrate). 0: no limit.
   * Default 4.
   */
  pathValidationsPerSecond: number;
  /**
   * Out-of-order STREAM data chunks buffered per stream (RFC 9000 §21.7): beyond it adjacent
   * chunks are merged, and if that leaves more than half of it (so many gaps), the connection
   * closes with FLOW_CONTROL_ERROR (streams/reassembly.ts). Default 2048.
   */
  maxStreamChunks: number;
  /**
   * Out-of-order STREAM data chunks buffered across all streams of the connection (RFC 9000
   * §21.7: flow control bounds the bytes, not the number of fragments they arrive in, nor the
   * per-fragment overhead). Beyond it the stream receiving data merges its adjacent chunks, and
   * if the total is still above it the connection closes with FLOW_CONTROL_ERROR. Default 16384.
   */
  maxConnectionChunks: number;
  /**
   * Received DATAGRAM frames (RFC 9221 §5) waiting as 'datagram' events for the application at
   * most; a new one beyond this drops the oldest (DATAGRAMs are unreliable, §5: "an endpoint
   * MAY drop"). Counted in `datagramsReceiveDropped`. 0: no limit. Default 128.
   */
  datagramReceiveQueue: number;
  /**
   * Ceiling on the backed-off probe timeout of Application Data once the handshake is confirmed
   * (ms): RFC 9002 §6.2.1 doubles the PTO on every expiry, without bound; once it passes the
   * idle timeout the next probe never comes (RFC 9000 §10.1 wants several PTOs to fit in the
   * idle period). Later probes are then spaced by the ceiling (never less than the un-backed-off
   * PTO). Undefined (the default): an eighth of the effective idle timeout (3.75 s at 30 s), none
   * without an idle timeout; 0: none (unbounded doubling, as RFC 9002 writes it).
   */
  ptoCeilingMs?: number;
}

export const DEFAULT_TRANSPORT: Readonly<TransportSettings> = {
  maxIdleTimeoutMs: 30_000,
  initialMaxData: 1 << 20,
  maxConnectionWindow: 24 << 20,
  initialMaxStreamData: 512 << 10,
  maxStreamWindow: 16 << 20,
  maxStreamsBidi: 100,
  maxStreamsUni: 100,
  sendBufferSize: 1 << 20,
  maxDatagramSize: 1452,
  pmtud: true,
  maxUdpPayloadSize: 65527,
  ackDelayExponent: 3,
  maxAckDelayMs: 25,
  activeConnectionIdLimit: 4,
  congestionControl: 'cubic',
  hystart: true,
  initialRtt: 333_000,
  maxDatagramFrameSize: 0,
  datagramSendQueue: 64,
  ecn: false,
  handshakeTimeoutMs: 10_000,
  skipPacketNumberPeriod: 128,
  pathValidationsPerSecond: 4,
  maxStreamChunks: 2048,
  maxConnectionChunks: 16384,
  datagramReceiveQueue: 128,
};

/**
 * How to make a connection: crypto provider, role-specific TLS material (client: server name, trust
 * anchors, session; server: credentials, tickets), ALPN, versions, transport settings, qlog and key
 * log, multipath and FEC. One server configuration serves every connection an Endpoint accepts.
 */
export interface ConnectionConfig {
  provider: CryptoProvider;
  /** Client: the QUIC version of its first flight (default v1). */
  version?: number;
  /**
   * Versions in preference order (RFC 9368). Client: those it can use, offered in its
   * version_information (default: `version`, then v1 and v2); server: those it accepts, lists
   * in Version Negotiation and version_information, and picks from the client's offer with
   * compatible negotiation (default v1, v2). Versions tquic cannot build are skipped.
   */
  versions?: number[];
  /** Application protocols in preference order (RFC 9001 §8.1 requires ALPN). */
  alpn: string[];
  transport?: Partial<TransportSettings>;
  /** Length of the connection IDs we issue (0–20, default 8; RFC 9000 §5.1). */
  cidLength?: number;
  /** Seed of the connection's PRNG (connection IDs, packet-number skips); tests fix it. */
  seed?: number;
  qlog?: QlogSink;
  /**
   * A qlog sink per connection, when `qlog` is not set: called once as the connection is created
   * (a server's configuration serves every connection it accepts, so each can get its own file).
   * `originalDcid` is the Destination Connection ID of the client's first Initial, the usual
   * qlog file name (draft-ietf-quic-qlog-main-schema: group_id).
   */
  qlogFor?: (info: { isClient: boolean; originalDcid: Uint8Array }) => QlogSink | undefined;
  /** Wall-clock ms for certificate checks and tickets (DESIGN §1: passed in, never read). */
  timeMs?: number;
  /**
   * Receives NSS key-log lines (SSLKEYLOGFILE format) as TLS secrets are derived, for decrypting
   * captures.
   */
  keylog?: (line: string) => void;
  /**
   * TLS cipher suites in preference order: those a client offers, those a server accepts
   * (default AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305).
   */
  cipherSuites?: CipherSuite[];
  // client
  serverName?: string;
  verify?: { mode: 'insecure' } | { mode: 'ca'; ca: Uint8Array[] };
  session?: ClientSession;
  /**
   * Client: where sessions (tickets) are kept: one is taken (single use) when `session` is not
   * given, and new ones are stored as they arrive (RFC 9001 §4.5). An Endpoint supplies an
   * in-memory one by default.
   */
  sessionStore?: SessionStore;
  /**
   * Client: send 0-RTT with a resumed session when its ticket allows it (RFC 9001 §4.6.1).
   * Server: issue tickets that allow 0-RTT and accept it (needs `tickets`).
   */
  earlyData?: boolean;
  /**
   * Client: NEW_TOKEN tokens (RFC 9000 §8.1.3) by server, taken for the first Initial and
   * filled from NEW_TOKEN frames. An Endpoint supplies an in-memory one by default.
   */
  tokenStore?: TokenStore;
  /**
   * Client: move to the server's preferred_address once the handshake is confirmed (RFC 9000
   * §9.6.1; default true).
   */
  usePreferredAddress?: boolean;
  // server
  credentials?: TlsCredentials;
  /**
   * Server: advertise a preferred address (RFC 9000 §9.6, §18.2), with a connection ID and
   * reset token of its own. The endpoint must also receive datagrams sent there.
   */
  preferredAddress?: { ipv4?: SocketAddress; ipv6?: SocketAddress };
  /**
   * Send disable_active_migration (RFC 9000 §18.2): the peer must not move to a new address on
   * its own (a NAT rebinding is still followed, §9). Default false.
   */
  disableActiveMigration?: boolean;
  tickets?: { key: Uint8Array; lifetimeSeconds?: number; earlyData?: boolean };
  /** Server: the 0-RTT anti-replay register (default: one per `tickets` object). */
  antiReplay?: StrikeRegister;
  /**
   * Multipath (draft-ietf-quic-multipath-21): send initial_max_path_id; with a peer that does
   * too, paths are opened with `openPath` (clients) and accepted (servers), and each datagram
   * goes on the path the scheduler picks. Absent: single-path RFC 9000.
   */
  multipath?: MultipathConfig;
  /**
   * Forward error correction (specs/fec.md, connection/fec.ts): offered by transport
   * parameters; with a peer that offers it too, packets with STREAM or DATAGRAM frames are
   * protected by repair packets of `scheme` at the policy's redundancy, and lost packets are
   * rebuilt from the peer's repairs. Absent: no FEC.
   */
  fec?: FecConfig;
}

export function transportSettings(c: ConnectionConfig): TransportSettings {
  const t = { ...DEFAULT_TRANSPORT, ...(c.transport ?? {}) };
  if (t.maxDatagramSize < 1200 || t.maxDatagramSize > 65527) throw new RangeError('maxDatagramSize must be 1200..65527 (RFC 9000 §14)');
  if (t.maxUdpPayloadSize < 1200) throw new RangeError('maxUdpPayloadSize must be at least 1200');
  if (!(Number.isInteger(t.maxDatagramFrameSize) && t.maxDatagramFrameSize >= 0)) throw new RangeError('maxDatagramFrameSize must be a non-negative integer');
  if (t.activeConnectionIdLimit < 2) throw new RangeError('activeConnectionIdLimit must be at least 2');
  for (const k of ['skipPacketNumberPeriod', 'pathValidationsPerSecond', 'datagramReceiveQueue'] as const) {
    if (!(Number.isInteger(t[k]) && t[k] >= 0)) throw new RangeError(`${k} must be a non-negative integer`);
  }
  if (t.skipPacketNumberPeriod > 1 << 24) throw new RangeError('skipPacketNumberPeriod must be at most 2^24');
  for (const k of ['maxStreamChunks', 'maxConnectionChunks'] as const) {
    if (!(Number.isInteger(t[k]) && t[k] >= 1)) throw new RangeError(`${k} must be a positive integer`);
  }
  return t;
}

export function configVersion(c: ConnectionConfig): number {
  return c.version ?? QUIC_V1;
}
