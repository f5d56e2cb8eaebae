/**
 * Event importance levels (draft-ietf-quic-qlog-main-schema §8.3), as each event's definition
 * in draft-ietf-quic-qlog-quic-events §3 (and main §9) assigns them. Sinks use them to refuse
 * low-importance events up front (`QlogSink.wants`).
 */
import type { QlogEventName } from './events.js';
import { H3_EVENT_IMPORTANCE } from './h3.js';

/** main §8.3 importance levels. */
export type Importance = 'core' | 'base' | 'extra';

/** main §8.3: each event's importance as the drafts define it (tquic's own event: base). */
export const EVENT_IMPORTANCE: { readonly [N in QlogEventName]: Importance } = {
  'quic:server_listening': 'extra',
  'quic:connection_started': 'base',
  'quic:connection_closed': 'base',
  'quic:connection_id_updated': 'base',
  'quic:spin_bit_updated': 'base',
  'quic:connection_state_updated': 'base',
  'quic:tuple_assigned': 'base',
  'quic:mtu_updated': 'extra',
  'quic:version_information': 'core',
  'quic:alpn_information': 'core',
  'quic:parameters_set': 'core',
  'quic:parameters_restored': 'base',
  'quic:packet_sent': 'core',
  'quic:packet_received': 'core',
  'quic:packet_dropped': 'base',
  'quic:packet_buffered': 'base',
  'quic:packets_acked': 'extra',
  'quic:udp_datagrams_sent': 'extra',
  'quic:udp_datagrams_received': 'extra',
  'quic:udp_datagram_dropped': 'extra',
  'quic:stream_state_updated': 'base',
  'quic:frames_created': 'extra',
  'quic:frames_parsed': 'extra',
  'quic:stream_data_moved': 'base',
  'quic:datagram_data_moved': 'base',
  'quic:connection_data_blocked_updated': 'extra',
  'quic:stream_data_blocked_updated': 'extra',
  'quic:datagram_data_blocked_updated': 'extra',
  'quic:migration_state_updated': 'extra',
  'quic:timer_updated': 'extra',
  'quic:key_updated': 'base',
  'quic:key_discarded': 'base',
  'quic:recovery_parameters_set': 'base',
  'quic:recovery_metrics_updated': 'core',
  'quic:congestion_state_updated': 'base',
  'quic:packet_lost': 'core',
  'quic:marked_for_retransmit': 'extra',
  'quic:ecn_state_updated': 'extra',
  'loglevel:error': 'core',
  'loglevel:warning': 'base',
  'loglevel:info': 'extra',
  'loglevel:debug': 'extra',
  'loglevel:verbose': 'extra',
  'simulation:scenario': 'extra',
  'simulation:marker': 'extra',
  'tquic:path_updated': 'base',
  'tquic:fec_repair_sent': 'extra',
  'tquic:fec_packet_recovered': 'base',
  ...H3_EVENT_IMPORTANCE,
};

const RANK: Record<Importance, number> = { core: 0, base: 1, extra: 2 };

/** Whether an event of `name` is at least as important as `level` ("extra" admits everything). */
export function isAtLeast(name: QlogEventName, level: Importance): boolean {
  return RANK[EVENT_IMPORTANCE[name]] <= RANK[level];
}
