/**
 * http/ (layer 7): application protocols over the public stream API of io/: HTTP/0.9 as the QUIC
 * interop runner speaks it (ALPN "hq-interop") and HTTP/3 (ALPN "h3", RFC 9114) with QPACK
 * (RFC 9204), each as a file server and a client, sharing the file-serving code (files.ts).
 */
export {
  serveHq,
  HqServer,
  HqErrorCode,
  HQ_ALPN,
  DEFAULT_MAX_REQUEST_LINE,
  parseRequestLine,
  resolveTarget,
  type HqServerOptions,
  type HqServerStats,
  type TargetRefusal,
} from './hq-server.js';
export { fetchHq, outputFileName, type HqFetchOptions, type HqResult } from './hq-client.js';
export { FileRoot, FileRefusal, resolveTargetPath, contentType, type FileRefusalKind } from './files.js';

/** HTTP/3: `serveH3` (a file server on a QuicServer) and `fetchH3` (GET/HEAD many URLs on one connection). */
export {
  /** The ALPN of HTTP/3, "h3" (RFC 9114 §3.1). */
  H3_ALPN,
  /** Serves files below a root over HTTP/3 on every h3 connection of a QuicServer. */
  serveH3,
  H3Server,
  /** Downloads paths or https URLs over one HTTP/3 connection; never rejects. */
  fetchH3,
  /** The HTTP/3 session of a QuicConnection: control and QPACK streams, SETTINGS, GOAWAY. */
  H3Session,
  /** Reads one HTTP/3 message (HEADERS, DATA, trailers) from a request stream. */
  MessageReader,
  /** RFC 9114 §8.1 error codes, and their names. */
  H3ErrorCode,
  h3ErrorName,
  H3Error,
  /** HTTP/3 frame codec (RFC 9114 §7) and the incremental frame reader. */
  FrameType,
  SettingId,
  StreamType,
  FrameReader,
  encodeFrame,
  encodeRawFrame,
  encodeDataHeader,
  greaseValue,
  isReservedId,
  /** RFC 9114 §4.2–§4.3 message validation. */
  parseRequestHead,
  parseResponseHead,
  parseTrailers,
  fieldSectionSize,
  type H3ServerOptions,
  type H3ServerStats,
  type H3FetchOptions,
  type H3Result,
  type H3SessionOptions,
  type H3SessionEvents,
  type H3PeerSettings,
  type MessageHandlers,
  type H3Frame,
  type Setting,
  type ReaderEvent,
  type FrameReaderOptions,
  type FieldLine,
  type RequestHead,
  type ResponseHead,
} from './h3/index.js';
