/**
 * Typed qlog events (DESIGN §2 layer 1, §3 "qlog as the observable truth").
 *
 * `QlogEvent` is a closed tagged union keyed by `name` ("namespace:event_type", main §8), with
 * `data` typed per draft-ietf-quic-qlog-quic-events using its field names verbatim. It covers
 * every event of the quic namespace (events §3 table), the generic loglevel and simulation
 * namespaces (main §9), and tquic's own multipath path event (`tquic:path_updated`, see
 * below). Where tquic needs more, it uses the drafts' extension sockets (`$$quic-…-extension`,
 * main §8.2): `path_id` on packet and recovery events (multipath has no qlog draft).
 *
 * Deliberate omissions: key material (`old`/`new`/`key` of key_updated/key_discarded) is never
 * typed, so it cannot be logged — secrets belong in the keylog, not in qlog (main §14).
 *
 * Sans-IO (DESIGN §1, §4 rule 7): producers hold an optional `QlogSink` and build an event only
 * when one is attached (`conn.qlog?.event(now, {...})`); `wants` lets a sink refuse whole event
 * names up front so producers skip building them.
 */
import type { Instant } from '../util/time.js';
import type {
  ApplicationErrorName,
  ConnectionID,
  CryptoErrorName,
  ECN,
  GroupID,
  Hexstring,
  Initiator,
  IPAddress,
  KeyType,
  PacketHeader,
  PacketNumberSpace,
  QuicVersion,
  RawInfo,
  StatelessResetToken,
  StreamType,
  TransportErrorName,
  TupleEndpointInfo,
  TupleID,
} from './common.js';
import type { QlogFrame } from './frames.js';
import type { H3EventDataMap } from './h3.js';

// ---------------------------------------------------------------------------------------------
// Connectivity events (events §4)

/** events §4.1 */
export interface QuicServerListening {
  ip_v4?: IPAddress;
  port_v4?: number;
  ip_v6?: IPAddress;
  port_v6?: number;
  retry_required?: boolean;
}
/** events §4.2 */
export interface QuicConnectionStarted {
  local: TupleEndpointInfo;
  remote: TupleEndpointInfo;
}
/** events §4.3 */
export interface QuicConnectionClosed {
  initiator?: Initiator;
  connection_error?: TransportErrorName | CryptoErrorName;
  application_error?: ApplicationErrorName;
  /** When connection_error or application_error is "unknown". */
  error_code?: number;
  internal_code?: number;
  reason?: string;
  trigger?: 'idle_timeout' | 'application' | 'error' | 'version_mismatch' | 'stateless_reset' | 'aborted' | 'unspecified';
}
/** events §4.4 */
export interface QuicConnectionIdUpdated {
  initiator: Initiator;
  old?: ConnectionID;
  new?: ConnectionID;
}
/** events §4.5 */
export interface QuicSpinBitUpdated {
  state: boolean;
}
/** events §4.6: base and granular states (tools accept custom ones; tquic keeps to these). */
export type ConnectionState =
  | 'attempted'
  | 'handshake_started'
  | 'handshake_complete'
  | 'closed'
  | 'peer_validated'
  | 'early_write'
  | 'handshake_confirmed'
  | 'closing'
  | 'draining';
/** Data of quic:connection_state_updated (events §4.6). */
export interface QuicConnectionStateUpdated {
  old?: ConnectionState;
  new: ConnectionState;
}
/** events §4.7 */
export interface QuicTupleAssigned {
  tuple_id: TupleID;
  tuple_remote?: TupleEndpointInfo;
  tuple_local?: TupleEndpointInfo;
}
/** events §4.8 */
export interface QuicMtuUpdated {
  old?: number;
  new: number;
  done?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Transport events (events §5)

/** events §5.1 */
export interface QuicVersionInformation {
  server_versions?: QuicVersion[];
  client_versions?: QuicVersion[];
  chosen_version?: QuicVersion;
}
/** events §5.2 */
export interface AlpnIdentifier {
  byte_value?: Hexstring;
  string_value?: string;
}
/** Data of quic:alpn_information (events §5.2): the ALPNs each side offered and the one chosen. */
export interface QuicAlpnInformation {
  server_alpns?: AlpnIdentifier[];
  client_alpns?: AlpnIdentifier[];
  chosen_alpn?: AlpnIdentifier;
}
/** events §5.3 */
export interface PreferredAddress {
  ip_v4?: IPAddress;
  port_v4?: number;
  ip_v6?: IPAddress;
  port_v6?: number;
  connection_id: ConnectionID;
  stateless_reset_token: StatelessResetToken;
}
/**
 * A transport parameter the receiver does not know, in quic:parameters_set (events §5.3): its ID
 * and value.
 */
export interface UnknownParameter {
  id: number;
  value?: Hexstring;
}
/** events §5.3. The last block is tquic's `$$quic-parametersset-extension`. */
export interface QuicParametersSet {
  initiator?: Initiator;
  resumption_allowed?: boolean;
  early_data_enabled?: boolean;
  tls_cipher?: string;
  original_destination_connection_id?: ConnectionID;
  initial_source_connection_id?: ConnectionID;
  retry_source_connection_id?: ConnectionID;
  stateless_reset_token?: StatelessResetToken;
  disable_active_migration?: boolean;
  /** ms */
  max_idle_timeout?: number;
  max_udp_payload_size?: number;
  ack_delay_exponent?: number;
  /** ms */
  max_ack_delay?: number;
  active_connection_id_limit?: number;
  initial_max_data?: number;
  initial_max_stream_data_bidi_local?: number;
  initial_max_stream_data_bidi_remote?: number;
  initial_max_stream_data_uni?: number;
  initial_max_streams_bidi?: number;
  initial_max_streams_uni?: number;
  preferred_address?: PreferredAddress;
  unknown_parameters?: UnknownParameter[];
  max_datagram_frame_size?: number;
  grease_quic_bit?: boolean;
  reset_stream_at?: boolean;
  // extension: multipath-21 §2.1 and specs/fec.md B7 item 1
  initial_max_path_id?: number;
  fec_version?: boolean;
  fec_encoder_schemes?: number[];
  fec_decoder_schemes?: number[];
  fec_max_symbol_num?: number;
}
/** events §5.4 */
export interface QuicParametersRestored {
  disable_active_migration?: boolean;
  max_idle_timeout?: number;
  max_udp_payload_size?: number;
  active_connection_id_limit?: number;
  initial_max_data?: number;
  initial_max_stream_data_bidi_local?: number;
  initial_max_stream_data_bidi_remote?: number;
  initial_max_stream_data_uni?: number;
  initial_max_streams_bidi?: number;
  initial_max_streams_uni?: number;
  max_datagram_frame_size?: number;
  grease_quic_bit?: boolean;
}
/** Extension fields tquic adds to packet-level events (`$$quic-packet…-extension`). */
export interface PathExtension {
  /** multipath-21: the path (and packet number space) the packet belongs to. */
  path_id?: number;
}
/** events §5.5 */
export interface QuicPacketSent extends PathExtension {
  header: PacketHeader;
  frames?: QlogFrame[];
  stateless_reset_token?: StatelessResetToken;
  supported_versions?: QuicVersion[];
  raw?: RawInfo;
  datagram_payload_checksum?: number;
  is_mtu_probe_packet?: boolean;
  trigger?: 'retransmit_reordered' | 'retransmit_timeout' | 'pto_probe' | 'retransmit_crypto' | 'cc_bandwidth_probe';
}
/** events §5.6 */
export interface QuicPacketReceived extends PathExtension {
  header: PacketHeader;
  frames?: QlogFrame[];
  stateless_reset_token?: StatelessResetToken;
  supported_versions?: QuicVersion[];
  raw?: RawInfo;
  datagram_payload_checksum?: number;
  trigger?: 'keys_available';
}
/** events §5.7 */
export type PacketDroppedTrigger =
  | 'internal_error'
  | 'rejected'
  | 'unsupported'
  | 'invalid'
  | 'duplicate'
  | 'connection_unknown'
  | 'decryption_failure'
  | 'key_unavailable'
  | 'general';
export interface QuicPacketDropped extends PathExtension {
  header?: PacketHeader;
  raw?: RawInfo;
  datagram_payload_checksum?: number;
  details?: Record<string, string | number | boolean>;
  trigger?: PacketDroppedTrigger;
}
/** events §5.8 */
export interface QuicPacketBuffered extends PathExtension {
  header?: PacketHeader;
  raw?: RawInfo;
  datagram_payload_checksum?: number;
  trigger?: 'backpressure' | 'keys_unavailable';
}
/** events §5.9 */
export interface QuicPacketsAcked extends PathExtension {
  packet_number_space?: PacketNumberSpace;
  packet_numbers?: number[];
}
/** events §5.10 / §5.11 */
export interface QuicUdpDatagrams {
  count?: number;
  raw?: RawInfo[];
  ecn?: ECN[];
  datagram_payload_checksums?: number[];
}
/** events §5.12 */
export interface QuicUdpDatagramDropped {
  raw?: RawInfo;
}
/** events §5.13 */
export type StreamState =
  | 'idle'
  | 'open'
  | 'closed'
  | 'half_closed_local'
  | 'half_closed_remote'
  | 'ready'
  | 'send'
  | 'data_sent'
  | 'reset_sent'
  | 'reset_received'
  | 'receive'
  | 'size_known'
  | 'data_read'
  | 'reset_read'
  | 'data_received'
  | 'destroyed';
/** Data of quic:stream_state_updated (events §5.13): a state change of one side of a stream. */
export interface QuicStreamStateUpdated {
  stream_id: number;
  stream_type?: StreamType;
  old?: StreamState;
  new: StreamState;
  stream_side: 'sending' | 'receiving';
  trigger?: Initiator;
}
/** events §5.14.1 / §5.14.2 */
export interface QuicFramesCreatedOrParsed extends PathExtension {
  frames: QlogFrame[];
  packet_numbers?: number[];
}
/** events §5.15 */
export type DataLocation = 'application' | 'transport' | 'network';
/**
 * Data of quic:stream_data_moved (events §5.15): stream bytes moved between the application, the
 * transport and the network.
 */
export interface QuicStreamDataMoved {
  stream_id?: number;
  offset?: number;
  from?: DataLocation;
  to?: DataLocation;
  additional_info?: 'fin_set' | 'stream_reset';
  raw?: RawInfo;
}
/** events §5.16 */
export interface QuicDatagramDataMoved {
  from?: DataLocation;
  to?: DataLocation;
  raw?: RawInfo;
}
/** events §5.17 */
export type BlockedState = 'blocked' | 'unblocked';
/**
 * Why sending was blocked, in quic:data_blocked_updated and quic:stream_data_blocked_updated
 * (events §5.17).
 */
export type BlockedReason =
  | 'scheduling'
  | 'pacing'
  | 'amplification_protection'
  | 'congestion_control'
  | 'connection_flow_control'
  | 'stream_flow_control'
  | 'stream_id'
  | 'application';
export interface QuicDataBlockedUpdated extends PathExtension {
  old?: BlockedState;
  new: BlockedState;
  reason?: BlockedReason;
}
/** events §5.18 */
export interface QuicStreamDataBlockedUpdated extends QuicDataBlockedUpdated {
  stream_id: number;
}
/** events §5.20 */
export type MigrationState =
  | 'probing_started'
  | 'probing_abandoned'
  | 'probing_successful'
  | 'migration_started'
  | 'migration_abandoned'
  | 'migration_complete';
/**
 * Data of quic:migration_state_updated (events §5.20): a step of path probing or migration, with
 * the network tuple concerned.
 */
export interface QuicMigrationStateUpdated {
  old?: MigrationState;
  new: MigrationState;
  tuple_id?: TupleID;
  tuple_remote?: TupleEndpointInfo;
  tuple_local?: TupleEndpointInfo;
}
/** events §5.21 */
export type TimerType = 'ack' | 'pto' | 'loss_timeout' | 'path_validation' | 'handshake_timeout' | 'idle_timeout';
export interface QuicTimerUpdated extends PathExtension {
  timer_type?: TimerType;
  timer_id?: number;
  packet_number_space?: PacketNumberSpace;
  event_type: 'set' | 'expired' | 'cancelled';
  /** ms from this event until the timer fires (event_type "set"). */
  delta?: number;
}

// ---------------------------------------------------------------------------------------------
// Security events (events §6). Key material fields are intentionally absent.

/**
 * What caused a key change in quic:key_updated (events §6.1): the TLS handshake, or a key update by
 * the peer or by us.
 */
export type KeyTrigger = 'tls' | 'remote_update' | 'local_update';
/** events §6.1 */
export interface QuicKeyUpdated {
  key_type: KeyType;
  key_phase?: number;
  trigger?: KeyTrigger;
}
/** events §6.2 */
export interface QuicKeyDiscarded {
  key_type: KeyType;
  key_phase?: number;
  trigger?: KeyTrigger;
}

// ---------------------------------------------------------------------------------------------
// Recovery events (events §7)

/** Values the recovery drafts allow beyond the listed fields ("any number of unspecified fields"). */
type RecoveryExtra = { [field: string]: number | string | boolean | undefined };

/** events §7.1 */
export interface QuicRecoveryParametersSet extends RecoveryExtra {
  reordering_threshold?: number;
  time_threshold?: number;
  /** ms */
  timer_granularity: number;
  /** ms */
  initial_rtt?: number;
  max_datagram_size?: number;
  initial_congestion_window?: number;
  minimum_congestion_window?: number;
  loss_reduction_factor?: number;
  persistent_congestion_threshold?: number;
  path_id?: number;
  /** tquic: the congestion controller's registry name ("newreno", "cubic", "bbr3", "prague"). */
  congestion_control?: string;
}
/** events §7.2: at least one metric; RTTs in ms, pacing_rate in bits per second. */
export interface QuicRecoveryMetricsUpdated extends RecoveryExtra {
  min_rtt?: number;
  smoothed_rtt?: number;
  latest_rtt?: number;
  rtt_variance?: number;
  pto_count?: number;
  congestion_window?: number;
  bytes_in_flight?: number;
  ssthresh?: number;
  packets_in_flight?: number;
  pacing_rate?: number;
  path_id?: number;
}
/** events §7.3: states are controller-specific text. */
export interface QuicCongestionStateUpdated extends PathExtension {
  old?: string;
  new: string;
  trigger?: string;
}
/** events §7.4 */
export interface QuicPacketLost extends PathExtension {
  header?: PacketHeader;
  frames?: QlogFrame[];
  is_mtu_probe_packet?: boolean;
  trigger?: 'reordering_threshold' | 'time_threshold' | 'pto_expired';
}
/** events §7.5 */
export interface QuicMarkedForRetransmit extends PathExtension {
  frames: QlogFrame[];
}
/** events §7.6 */
export type EcnState = 'testing' | 'unknown' | 'failed' | 'capable';
export interface QuicEcnStateUpdated extends PathExtension {
  old?: EcnState;
  new: EcnState;
}

// ---------------------------------------------------------------------------------------------
// Generic events (main §9)

/** main §9.1.1 / §9.1.2 */
export interface LogLevelErrorOrWarning {
  code?: number;
  message?: string;
}
/** main §9.1.3 - §9.1.5 */
export interface LogLevelMessage {
  message: string;
}
/** main §9.2.1 */
export interface SimulationScenario {
  name?: string;
  details?: Record<string, unknown>;
}
/** main §9.2.2 */
export interface SimulationMarker {
  type?: string;
  message?: string;
}

// ---------------------------------------------------------------------------------------------
// tquic extension events (a private namespace; main §8 lets a trace hold events of schemas it
// does not list). Multipath has no qlog draft; path lifecycle gets one explicit event.

/** FEC (specs/fec.md): a REPAIR frame went out (its block or window start, index, symbol length, path). */
export interface TquicFecRepairSent {
  fss_esi: number;
  repair_payload_id: number;
  length: number;
  path_id?: number;
}
/**
 * FEC: a lost packet's payload was rebuilt from repair symbols: its Source Payload ID, length
 * and the frames applied from it (those a recovered packet ignores are left out).
 */
export interface TquicFecPacketRecovered {
  source_payload_id: number;
  length: number;
  frames: QlogFrame[];
}

/** The states of a multipath path in tquic:path_updated. */
export type PathState = 'validating' | 'validated' | 'available' | 'backup' | 'abandoned' | 'closed' | 'failed';
/**
 * Data of tquic:path_updated, tquic's own event for the life of a multipath path (multipath has no
 * qlog draft): its state change, network tuple and trigger.
 */
export interface TquicPathUpdated {
  path_id: number;
  old?: PathState;
  new: PathState;
  /** The TupleID this path uses (see quic:tuple_assigned). */
  tuple_id?: TupleID;
  tuple_local?: TupleEndpointInfo;
  tuple_remote?: TupleEndpointInfo;
  /** e.g. "path_challenge_timeout", "peer_abandon", "scheduler". */
  trigger?: string;
  /** The PATH_ABANDON error code, when abandoned. */
  error_code?: number;
}

// ---------------------------------------------------------------------------------------------
// The union

/** Every event name and its `data` type (the http3 namespace comes from h3.ts). */
export interface QlogEventDataMap extends H3EventDataMap {
  'quic:server_listening': QuicServerListening;
  'quic:connection_started': QuicConnectionStarted;
  'quic:connection_closed': QuicConnectionClosed;
  'quic:connection_id_updated': QuicConnectionIdUpdated;
  'quic:spin_bit_updated': QuicSpinBitUpdated;
  'quic:connection_state_updated': QuicConnectionStateUpdated;
  'quic:tuple_assigned': QuicTupleAssigned;
  'quic:mtu_updated': QuicMtuUpdated;
  'quic:version_information': QuicVersionInformation;
  'quic:alpn_information': QuicAlpnInformation;
  'quic:parameters_set': QuicParametersSet;
  'quic:parameters_restored': QuicParametersRestored;
  'quic:packet_sent': QuicPacketSent;
  'quic:packet_received': QuicPacketReceived;
  'quic:packet_dropped': QuicPacketDropped;
  'quic:packet_buffered': QuicPacketBuffered;
  'quic:packets_acked': QuicPacketsAcked;
  'quic:udp_datagrams_sent': QuicUdpDatagrams;
  'quic:udp_datagrams_received': QuicUdpDatagrams;
  'quic:udp_datagram_dropped': QuicUdpDatagramDropped;
  'quic:stream_state_updated': QuicStreamStateUpdated;
  'quic:frames_created': QuicFramesCreatedOrParsed;
  'quic:frames_parsed': QuicFramesCreatedOrParsed;
  'quic:stream_data_moved': QuicStreamDataMoved;
  'quic:datagram_data_moved': QuicDatagramDataMoved;
  'quic:connection_data_blocked_updated': QuicDataBlockedUpdated;
  'quic:stream_data_blocked_updated': QuicStreamDataBlockedUpdated;
  'quic:datagram_data_blocked_updated': QuicDataBlockedUpdated;
  'quic:migration_state_updated': QuicMigrationStateUpdated;
  'quic:timer_updated': QuicTimerUpdated;
  'quic:key_updated': QuicKeyUpdated;
  'quic:key_discarded': QuicKeyDiscarded;
  'quic:recovery_parameters_set': QuicRecoveryParametersSet;
  'quic:recovery_metrics_updated': QuicRecoveryMetricsUpdated;
  'quic:congestion_state_updated': QuicCongestionStateUpdated;
  'quic:packet_lost': QuicPacketLost;
  'quic:marked_for_retransmit': QuicMarkedForRetransmit;
  'quic:ecn_state_updated': QuicEcnStateUpdated;
  'loglevel:error': LogLevelErrorOrWarning;
  'loglevel:warning': LogLevelErrorOrWarning;
  'loglevel:info': LogLevelMessage;
  'loglevel:debug': LogLevelMessage;
  'loglevel:verbose': LogLevelMessage;
  'simulation:scenario': SimulationScenario;
  'simulation:marker': SimulationMarker;
  'tquic:path_updated': TquicPathUpdated;
  'tquic:fec_repair_sent': TquicFecRepairSent;
  'tquic:fec_packet_recovered': TquicFecPacketRecovered;
}

/** Every event name tquic logs, "namespace:event_type" (main §8). */
export type QlogEventName = keyof QlogEventDataMap;

/** main §7: the per-event fields besides `time` (which the sink receives separately). */
export type QlogEventOf<N extends QlogEventName> = {
  name: N;
  data: QlogEventDataMap[N];
  /** main §7.2: the network tuple this event belongs to ("" or absent: the handshake tuple). */
  tuple?: TupleID;
  /** main §7.3 */
  group_id?: GroupID;
};

/** One qlog event, discriminated by `name`. */
export type QlogEvent = { [N in QlogEventName]: QlogEventOf<N> }[QlogEventName];

/**
 * Where events go. `time` is the connection's Instant (µs, DESIGN §1), passed down from the
 * edge; a sink never reads a clock. Sinks must not keep references into `e` that they mutate,
 * and producers must not mutate an event after handing it over.
 */
export interface QlogSink {
  /** Takes one event at `time`, the connection's Instant (µs). */
  event(time: Instant, e: QlogEvent): void;
  /**
   * Optional: false when the sink would discard every event of this name, so the producer can
   * skip building it (DESIGN §4 rule 7). Absent means "wants everything".
   */
  wants?(name: QlogEventName): boolean;
}

/** Whether to build an event for `sink` at all: `if (wants(conn.qlog, 'quic:packet_sent')) …`. */
export function wants(sink: QlogSink | undefined, name: QlogEventName): sink is QlogSink {
  return sink !== undefined && (sink.wants === undefined || sink.wants(name));
}

/** Fans events out to several sinks (e.g. a MemorySink for tests and a JsonSeqWriter for files). */
export class TeeSink implements QlogSink {
  private readonly sinks: readonly QlogSink[];
  constructor(...sinks: QlogSink[]) {
    this.sinks = sinks;
  }
  /** Passes the event to every sink that wants its name. */
  event(time: Instant, e: QlogEvent): void {
    for (const s of this.sinks) if (s.wants === undefined || s.wants(e.name)) s.event(time, e);
  }
  wants(name: QlogEventName): boolean {
    return this.sinks.some((s) => s.wants === undefined || s.wants(name));
  }
}
