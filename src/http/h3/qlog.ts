/**
 * HTTP/3 frames, settings and fields in their qlog form (draft-ietf-quic-qlog-h3-events §4).
 */
import type { HTTP3Frame, HTTP3HTTPField, HTTP3Setting, HTTP3SettingsName, HTTP3StreamType } from '../../qlog/h3.js';
import type { RawInfo } from '../../qlog/common.js';
import { isReservedId } from './errors.js';
import type { FieldLine } from './fields.js';
import { SettingId, StreamType, type H3Frame, type Setting } from './frames.js';

const SETTING_NAMES = new Map<number, HTTP3SettingsName>([
  [SettingId.QPACK_MAX_TABLE_CAPACITY, 'settings_qpack_max_table_capacity'],
  [SettingId.MAX_FIELD_SECTION_SIZE, 'settings_max_field_section_size'],
  [SettingId.QPACK_BLOCKED_STREAMS, 'settings_qpack_blocked_streams'],
  [SettingId.ENABLE_CONNECT_PROTOCOL, 'settings_enable_connect_protocol'],
  [SettingId.H3_DATAGRAM, 'settings_h3_datagram'],
]);

/** h3 events §4.2.8: known settings by name, others as "reserved"/"unknown" with their identifier. */
export function settingsToQlog(settings: readonly Setting[]): HTTP3Setting[] {
  return settings.map(({ id, value }) => {
    const name = SETTING_NAMES.get(id);
    if (name !== undefined) return { name, value };
    return { name: isReservedId(id) ? 'reserved' : 'unknown', name_bytes: id, value };
  });
}

/** Printable ASCII is logged as text; anything else as hex bytes (h3 events §4.2.2). */
const TEXT_SAFE = /^[\x20-\x7e]*$/;

function hex(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}

/** h3 events §4.2.2 */
export function fieldsToQlog(fields: readonly FieldLine[]): HTTP3HTTPField[] {
  return fields.map(([name, value]) => ({
    ...(TEXT_SAFE.test(name) ? { name } : { name_bytes: hex(name) }),
    ...(TEXT_SAFE.test(value) ? { value } : { value_bytes: hex(value) }),
  }));
}

/**
 * A frame in its qlog form; `fields` are the decoded header fields of a HEADERS or PUSH_PROMISE
 * frame (the encoded section is not logged).
 */
export function frameToQlog(f: H3Frame, headerLength: number, payloadLength: number, fields: readonly FieldLine[] = []): HTTP3Frame {
  const raw: RawInfo = { length: headerLength + payloadLength, payload_length: payloadLength };
  switch (f.type) {
    case 'data':
      return { frame_type: 'data', raw };
    case 'headers':
      return { frame_type: 'headers', headers: fieldsToQlog(fields), raw };
    case 'cancel_push':
      return { frame_type: 'cancel_push', push_id: f.pushId, raw };
    case 'settings':
      return { frame_type: 'settings', settings: settingsToQlog(f.settings), raw };
    case 'push_promise':
      return { frame_type: 'push_promise', push_id: f.pushId, headers: fieldsToQlog(fields), raw };
    case 'goaway':
      return { frame_type: 'goaway', id: f.id, raw };
    case 'max_push_id':
      return { frame_type: 'max_push_id', push_id: f.pushId, raw };
    case 'reserved':
      return { frame_type: 'reserved', frame_type_bytes: f.frameType, raw };
    case 'unknown':
      return { frame_type: 'unknown', frame_type_bytes: f.frameType, raw };
  }
}

/** h3 events §3.3: the qlog name of a unidirectional stream type. */
export function streamTypeToQlog(type: number): HTTP3StreamType {
  switch (type) {
    case StreamType.CONTROL:
      return 'control';
    case StreamType.PUSH:
      return 'push';
    case StreamType.QPACK_ENCODER:
      return 'qpack_encode';
    case StreamType.QPACK_DECODER:
      return 'qpack_decode';
    default:
      return isReservedId(type) ? 'reserved' : 'unknown';
  }
}
