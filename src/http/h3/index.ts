/**
 * HTTP/3 (RFC 9114) over the public stream API of io/: frames, the per-connection session
 * (control and QPACK streams, SETTINGS, GOAWAY), the message layer, a file server and a client.
 */
export { H3ErrorCode, H3Error, h3ErrorName, isReservedId } from './errors.js';
export {
  FrameType,
  SettingId,
  StreamType,
  HTTP2_FRAME_TYPES,
  HTTP2_SETTINGS,
  FrameReader,
  encodeFrame,
  encodeRawFrame,
  encodeDataHeader,
  frameHeaderLength,
  decodePayload,
  greaseValue,
  DEFAULT_MAX_FIELD_SECTION_PAYLOAD,
  DEFAULT_MAX_SETTINGS_PAYLOAD,
  type H3Frame,
  type Setting,
  type ReaderEvent,
  type FrameReaderOptions,
} from './frames.js';
export {
  parseRequestHead,
  parseResponseHead,
  parseTrailers,
  fieldSectionSize,
  fieldsToRecord,
  type FieldLine,
  type RequestHead,
  type ResponseHead,
} from './fields.js';
export {
  H3Session,
  H3_ALPN,
  DEFAULT_H3_MAX_FIELD_SECTION_SIZE,
  DEFAULT_QPACK_MAX_TABLE_CAPACITY,
  DEFAULT_QPACK_BLOCKED_STREAMS,
  type H3SessionOptions,
  type H3SessionEvents,
  type H3PeerSettings,
} from './session.js';
export { MessageReader, type MessageHandlers } from './message.js';
export { serveH3, H3Server, type H3ServerOptions, type H3ServerStats } from './server.js';
export { fetchH3, type H3FetchOptions, type H3Result } from './client.js';
export { frameToQlog, fieldsToQlog, settingsToQlog, streamTypeToQlog } from './qlog.js';
