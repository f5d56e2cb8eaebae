/**
 * HTTP/3 qlog events (draft-ietf-quic-qlog-h3-events, "h3 events §N" below): the `http3`
 * namespace with its data types, field names verbatim. tquic produces parameters_set,
 * stream_type_set, frame_created and frame_parsed; the other event types are typed so that
 * traces from other tools read back.
 */
import type { Hexstring, Initiator, RawInfo } from './common.js';

/**
 * h3 events §2.1: the schema URI of this draft's events. The local copy is the editor's copy
 * after -12 (its change log lists "since -12"), i.e. -13.
 */
export const HTTP3_EVENT_SCHEMA = 'urn:ietf:params:qlog:events:http3-13';

/** h3 events §4.2: a field line; `name`/`value` for text, `*_bytes` for what is not safe as text. */
export interface HTTP3HTTPField {
  name?: string;
  name_bytes?: Hexstring;
  value?: string;
  value_bytes?: Hexstring;
}

/** h3 events §4.2.8 */
export type HTTP3SettingsName =
  | 'settings_qpack_max_table_capacity'
  | 'settings_max_field_section_size'
  | 'settings_qpack_blocked_streams'
  | 'settings_enable_connect_protocol'
  | 'settings_h3_datagram'
  | 'reserved'
  | 'unknown';

/**
 * One HTTP/3 setting in http3:parameters_set and in a SETTINGS frame (h3 events §4.2.8): its name,
 * or its identifier when qlog has no name for it, and its value.
 */
export interface HTTP3Setting {
  name?: HTTP3SettingsName;
  /** Only when name is "unknown" (or "reserved"): the identifier. */
  name_bytes?: number;
  value: number;
}

/** h3 events §4.2 $HTTP3Frame: the frame types of the core protocol. */
export type HTTP3Frame =
  | { frame_type: 'data'; raw?: RawInfo }
  | { frame_type: 'headers'; headers: HTTP3HTTPField[]; raw?: RawInfo }
  | { frame_type: 'cancel_push'; push_id: number; raw?: RawInfo }
  | { frame_type: 'settings'; settings: HTTP3Setting[]; raw?: RawInfo }
  | { frame_type: 'push_promise'; push_id: number; headers: HTTP3HTTPField[]; raw?: RawInfo }
  | { frame_type: 'goaway'; id: number; raw?: RawInfo }
  | { frame_type: 'max_push_id'; push_id: number; raw?: RawInfo }
  | { frame_type: 'reserved'; frame_type_bytes: number; raw?: RawInfo }
  | { frame_type: 'unknown'; frame_type_bytes: number; raw?: RawInfo };

/** h3 events §3.1. Reserved and unknown settings may be added as extra fields. */
export interface HTTP3ParametersSet {
  initiator?: Initiator;
  max_field_section_size?: number;
  max_table_capacity?: number;
  blocked_streams_count?: number;
  extended_connect?: number;
  h3_datagram?: number;
  /** Whether this implementation waits for the peer's SETTINGS before processing requests. */
  waits_for_settings?: boolean;
  [extension: string]: number | boolean | string | undefined;
}

/** h3 events §3.2 */
export interface HTTP3ParametersRestored {
  max_field_section_size?: number;
  max_table_capacity?: number;
  blocked_streams_count?: number;
  extended_connect?: number;
  h3_datagram?: number;
}

/** h3 events §3.3 */
export type HTTP3StreamType = 'request' | 'control' | 'push' | 'reserved' | 'unknown' | 'qpack_encode' | 'qpack_decode';
/** Data of http3:stream_type_set (h3 events §3.3): what a stream carries. */
export interface HTTP3StreamTypeSet {
  initiator?: Initiator;
  stream_id: number;
  stream_type: HTTP3StreamType;
  /** Only when stream_type is "unknown" (or "reserved"): the type's value. */
  stream_type_bytes?: number;
  /** Only when stream_type is "push". */
  associated_push_id?: number;
}

/** h3 events §3.4 */
export interface HTTP3PriorityUpdated {
  stream_id?: number;
  push_id?: number;
  old?: string;
  new: string;
  trigger?: 'client_signal_received' | 'local' | 'other';
  reason?: 'client_signal_only' | 'client_server_merged' | 'local_policy' | 'other';
}

/** h3 events §3.5 / §3.6 */
export interface HTTP3FrameCreatedOrParsed {
  stream_id: number;
  frame: HTTP3Frame;
}

/** h3 events §3.7 / §3.8 */
export interface HTTP3DatagramCreatedOrParsed {
  quarter_stream_id: number;
  raw?: RawInfo;
}

/** h3 events §3.9 */
export interface HTTP3PushResolved {
  push_id?: number;
  stream_id?: number;
  decision: 'claimed' | 'abandoned';
}

/** Every http3 event name and its `data` type (merged into the qlog event union). */
export interface H3EventDataMap {
  'http3:parameters_set': HTTP3ParametersSet;
  'http3:parameters_restored': HTTP3ParametersRestored;
  'http3:stream_type_set': HTTP3StreamTypeSet;
  'http3:priority_updated': HTTP3PriorityUpdated;
  'http3:frame_created': HTTP3FrameCreatedOrParsed;
  'http3:frame_parsed': HTTP3FrameCreatedOrParsed;
  'http3:datagram_created': HTTP3DatagramCreatedOrParsed;
  'http3:datagram_parsed': HTTP3DatagramCreatedOrParsed;
  'http3:push_resolved': HTTP3PushResolved;
}

/** h3 events §2 table: the importance of each http3 event. */
export const H3_EVENT_IMPORTANCE = {
  'http3:parameters_set': 'base',
  'http3:parameters_restored': 'base',
  'http3:stream_type_set': 'base',
  'http3:priority_updated': 'base',
  'http3:frame_created': 'core',
  'http3:frame_parsed': 'core',
  'http3:datagram_created': 'base',
  'http3:datagram_parsed': 'base',
  'http3:push_resolved': 'extra',
} as const satisfies { readonly [N in keyof H3EventDataMap]: 'core' | 'base' | 'extra' };
