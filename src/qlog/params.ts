/**
 * Transport parameters as a `quic:parameters_set` event (draft-ietf-quic-qlog-quic-events §5.3).
 *
 * One event per side: the draft requires `initiator` to hold for every setting in the event
 * ("local" for the parameters we send, "remote" for the peer's).
 */
import type { TransportParameters } from '../wire/transport-params.js';
import { qlogHex, qlogIpAddress, type Initiator } from './common.js';
import type { QlogEventOf, QuicParametersSet } from './events.js';

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The `data` of a parameters_set event for one side's transport parameters. */
export function parametersSetData(tp: TransportParameters, initiator: Initiator): QuicParametersSet {
  const d: QuicParametersSet = { initiator };
  if (tp.originalDestinationConnectionId !== undefined) d.original_destination_connection_id = qlogHex(tp.originalDestinationConnectionId);
  if (tp.initialSourceConnectionId !== undefined) d.initial_source_connection_id = qlogHex(tp.initialSourceConnectionId);
  if (tp.retrySourceConnectionId !== undefined) d.retry_source_connection_id = qlogHex(tp.retrySourceConnectionId);
  if (tp.statelessResetToken !== undefined) d.stateless_reset_token = qlogHex(tp.statelessResetToken);
  d.disable_active_migration = tp.disableActiveMigration;
  d.max_idle_timeout = tp.maxIdleTimeoutMs;
  d.max_udp_payload_size = tp.maxUdpPayloadSize;
  d.ack_delay_exponent = tp.ackDelayExponent;
  d.max_ack_delay = tp.maxAckDelayMs;
  d.active_connection_id_limit = tp.activeConnectionIdLimit;
  d.initial_max_data = tp.initialMaxData;
  d.initial_max_stream_data_bidi_local = tp.initialMaxStreamDataBidiLocal;
  d.initial_max_stream_data_bidi_remote = tp.initialMaxStreamDataBidiRemote;
  d.initial_max_stream_data_uni = tp.initialMaxStreamDataUni;
  d.initial_max_streams_bidi = tp.initialMaxStreamsBidi;
  d.initial_max_streams_uni = tp.initialMaxStreamsUni;
  const pa = tp.preferredAddress;
  if (pa !== undefined) {
    d.preferred_address = { connection_id: qlogHex(pa.connectionId), stateless_reset_token: qlogHex(pa.statelessResetToken) };
    // RFC 9000 §18.2: an all-zero address with port 0 means "no address of this family".
    if (!(isZero(pa.ipv4Address) && pa.ipv4Port === 0)) {
      d.preferred_address.ip_v4 = qlogIpAddress(pa.ipv4Address);
      d.preferred_address.port_v4 = pa.ipv4Port;
    }
    if (!(isZero(pa.ipv6Address) && pa.ipv6Port === 0)) {
      d.preferred_address.ip_v6 = qlogIpAddress(pa.ipv6Address);
      d.preferred_address.port_v6 = pa.ipv6Port;
    }
  }
  d.max_datagram_frame_size = tp.maxDatagramFrameSize;
  d.grease_quic_bit = tp.greaseQuicBit;
  if (tp.initialMaxPathId !== undefined) d.initial_max_path_id = tp.initialMaxPathId;
  if (tp.fecVersion) d.fec_version = true;
  if (tp.fecEncoderSchemes !== undefined) d.fec_encoder_schemes = [...tp.fecEncoderSchemes];
  if (tp.fecDecoderSchemes !== undefined) d.fec_decoder_schemes = [...tp.fecDecoderSchemes];
  if (tp.fecMaxSymbolNum !== undefined) d.fec_max_symbol_num = tp.fecMaxSymbolNum;
  return d;
}

/** A complete parameters_set event: `qlog?.event(now, parametersSetEvent(tp, 'remote'))`. */
export function parametersSetEvent(tp: TransportParameters, initiator: Initiator): QlogEventOf<'quic:parameters_set'> {
  return { name: 'quic:parameters_set', data: parametersSetData(tp, initiator) };
}
