/**
 * http/ (layer 7): application protocols over the public stream API of io/. For now HTTP/0.9 as
 * the QUIC interop runner speaks it (ALPN "hq-interop"): a file server and a client.
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
