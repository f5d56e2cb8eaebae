/**
 * Data types shared by qlog events and frames, with the small conversions from tquic's own
 * representations (draft-ietf-quic-qlog-quic-events §8, draft-ietf-quic-qlog-main-schema §10).
 *
 * Field names are the drafts' names verbatim (snake_case, lowercase: main-schema §11.1 says all
 * field names MUST be lowercase when serialised). Units are the drafts' units: durations in
 * qlog data are milliseconds (float), byte counts are bytes; tquic's Instant/Duration are µs, so
 * producers convert with `toMs`.
 *
 * Section numbers: "events §N" is draft-ietf-quic-qlog-quic-events (the editor's copy after
 * -12, /work/shared/rfc), "main §N" is draft-ietf-quic-qlog-main-schema.
 */
import { toHex } from '../util/bytes.js';
import type { Duration } from '../util/time.js';
import type { PacketType as WirePacketType } from '../wire/packet-type.js';
import type { HeaderType } from '../wire/header.js';

/** main §1.2: lowercase hex of raw bytes, no prefix. */
export type Hexstring = string;
/** events §8.1: QuicVersion = hexstring (tquic writes the 4 version bytes, e.g. "00000001"). */
export type QuicVersion = Hexstring;
/** events §8.2 */
export type ConnectionID = Hexstring;
/** main §7.2: identifies a network four-tuple; "" is the handshake tuple. */
export type TupleID = string;
/** main §7.3 */
export type GroupID = string;
/** events §8.3 */
export type Initiator = 'local' | 'remote';
/** events §8.4: a readable address ("127.0.0.1", "2001:0db8:…") or raw bytes as hex. */
export type IPAddress = string;
/** events §5.13 */
export type StreamType = 'unidirectional' | 'bidirectional';
/** events §8.12: ECN codepoints of the IP header. */
export type ECN = 'Not-ECT' | 'ECT(1)' | 'ECT(0)' | 'CE';

/** main §10 RawInfo. tquic never fills `data` for frames (no payload bytes in logs). */
export interface RawInfo {
  /** Full byte length of the entity; for frames with an on-the-wire Length field, that field (see frames.ts). */
  length?: number;
  /** Byte length of the entity's payload. */
  payload_length?: number;
  /** The (possibly truncated) contents, as hex. */
  data?: Hexstring;
}

/** events §8.5: one half of a four-tuple. */
export interface TupleEndpointInfo {
  ip_v4?: IPAddress;
  port_v4?: number;
  ip_v6?: IPAddress;
  port_v6?: number;
  connection_ids?: ConnectionID[];
}

/** events §8.6 */
export type PacketType = 'initial' | 'handshake' | '0RTT' | '1RTT' | 'retry' | 'version_negotiation' | 'stateless_reset' | 'unknown';

/** events §8.7 */
export type PacketNumberSpace = 'initial' | 'handshake' | 'application_data';

/** events §8.9 Token. tquic logs the token's length only (`raw.length`), never its bytes. */
export interface Token {
  type?: 'retry' | 'resumption';
  details?: Record<string, unknown>;
  raw?: RawInfo;
}

/** events §8.8 PacketHeader. */
export interface PacketHeader {
  packet_type: PacketType;
  /** Only when packet_type is "unknown": the raw type value. */
  packet_type_bytes?: number;
  /** 1-RTT only. */
  spin_bit?: boolean;
  /** 1-RTT only: the full key phase (RFC 9001 §6), when known. */
  key_phase?: number;
  /** 1-RTT only, when key_phase is not set. */
  key_phase_bit?: boolean;
  packet_number_length?: number;
  packet_number?: number;
  /** Initial and Retry only. */
  token?: Token;
  /** Long headers with a packet number: the Length field (packet number plus payload). */
  length?: number;
  version?: QuicVersion;
  scil?: number;
  dcil?: number;
  scid?: ConnectionID;
  dcid?: ConnectionID;
}

/** events §8.10: always 16 bytes. */
export type StatelessResetToken = Hexstring;

/** events §8.11 */
export type KeyType =
  | 'server_initial_secret'
  | 'client_initial_secret'
  | 'server_handshake_secret'
  | 'client_handshake_secret'
  | 'server_0rtt_secret'
  | 'client_0rtt_secret'
  | 'server_1rtt_secret'
  | 'client_1rtt_secret';

/** events §8.13.24: `$TransportError` (RFC 9000 §20.1 codes 0x00..0x10, by index). */
export const TRANSPORT_ERROR_NAMES = [
  'no_error',
  'internal_error',
  'connection_refused',
  'flow_control_error',
  'stream_limit_error',
  'stream_state_error',
  'final_size_error',
  'frame_encoding_error',
  'transport_parameter_error',
  'connection_id_limit_error',
  'protocol_violation',
  'invalid_token',
  'application_error',
  'crypto_buffer_exceeded',
  'key_update_error',
  'aead_limit_reached',
  'no_viable_path',
] as const;
/**
 * A transport error code as qlog names it (events §8.13.24): the snake_case name of an RFC 9000
 * §20.1 code, or 'unknown'.
 */
export type TransportErrorName = (typeof TRANSPORT_ERROR_NAMES)[number] | 'unknown';
/** events §8.13.26: "crypto_error_0x100" … "crypto_error_0x1ff". */
export type CryptoErrorName = `crypto_error_0x1${string}`;
/** events §8.13.25: the QUIC schema defines only "unknown"; applications extend it. */
export type ApplicationErrorName = 'unknown';

/**
 * A wire transport error code as qlog's `error` (+ `error_code` when "unknown"), events §4.3 and
 * §8.13.20. Codes the draft does not name (RFC 9368 VERSION_NEGOTIATION_ERROR, multipath and FEC
 * codes) are logged as "unknown" with the numeric `error_code`.
 */
export function transportErrorToQlog(code: number): { error: TransportErrorName | CryptoErrorName; error_code?: number } {
  if (Number.isInteger(code) && code >= 0 && code < TRANSPORT_ERROR_NAMES.length) return { error: TRANSPORT_ERROR_NAMES[code]! };
  if (code >= 0x100 && code <= 0x1ff) return { error: `crypto_error_0x${code.toString(16)}` as CryptoErrorName };
  return { error: 'unknown', error_code: code };
}

/** tquic's packet/header type → events §8.6 PacketType. */
export function qlogPacketType(t: WirePacketType | HeaderType | 'stateless_reset'): PacketType {
  switch (t) {
    case '0rtt':
      return '0RTT';
    case '1rtt':
      return '1RTT';
    case 'unsupported_version':
      return 'unknown';
    default:
      return t;
  }
}

/** events §8.7: the packet number space a frame-carrying packet type belongs to (RFC 9000 §12.3). */
export function packetNumberSpaceOf(t: WirePacketType): PacketNumberSpace {
  return t === 'initial' ? 'initial' : t === 'handshake' ? 'handshake' : 'application_data';
}

/** events §8.11: the secret a side uses for a packet type's keys. */
export function keyTypeOf(side: 'client' | 'server', t: WirePacketType): KeyType {
  return `${side}_${t}_secret`;
}

/** events §8.1: a version as its four bytes in hex, e.g. 0x00000001 → "00000001". */
export function qlogVersion(v: number): QuicVersion {
  return (v >>> 0).toString(16).padStart(8, '0');
}

/** events §8.2: a connection ID (or any short byte string the draft logs as hexstring). */
export function qlogHex(b: Uint8Array): Hexstring {
  return toHex(b);
}

/** A tquic Duration (µs) as qlog milliseconds with µs precision, e.g. 12345 → 12.345. */
export function toMs(d: Duration): number {
  return Math.round(d) / 1000;
}

/** events §8.4: an address from raw network-order bytes: dotted IPv4, or full-form IPv6. */
export function qlogIpAddress(addr: Uint8Array): IPAddress {
  if (addr.length === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (addr.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((addr[i]! << 8) | addr[i + 1]!).toString(16).padStart(4, '0'));
    return groups.join(':');
  }
  return toHex(addr);
}

/**
 * events §8.5: a socket address (`host` as text, IPv6 when it contains ':') as one half of a
 * tuple, optionally with the connection IDs used towards it.
 */
export function qlogEndpoint(addr: { host: string; port: number }, connectionIds?: readonly Uint8Array[]): TupleEndpointInfo {
  const out: TupleEndpointInfo = addr.host.includes(':') ? { ip_v6: addr.host, port_v6: addr.port } : { ip_v4: addr.host, port_v4: addr.port };
  if (connectionIds !== undefined && connectionIds.length > 0) out.connection_ids = connectionIds.map(toHex);
  return out;
}
