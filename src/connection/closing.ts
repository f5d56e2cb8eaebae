/**
 * Closing (RFC 9000 §10.2): an immediate close of ours (CONNECTION_CLOSE, then the closing
 * state), the peer's (the draining state), and the end without a word (idle timeout, stateless
 * reset). Closing and draining last 3×PTO, the largest PTO among paths with multipath
 * (draft-ietf-quic-multipath-21 §3.4).
 */
import type { QlogEventOf } from '../qlog/index.js';
import { transportErrorToQlog } from '../qlog/common.js';
import type { Instant } from '../util/time.js';
import type { TransportError } from '../util/transport-error.js';
import type { Connection } from './connection.js';
import { largestPto } from './multipath.js';
import type { CloseInfo } from './types.js';

/** @internal A protocol error: close with the RFC's code and the frame type. */
export function closeWithError(conn: Connection, now: Instant, e: TransportError): void {
  if (conn.state === 'closing' || conn.state === 'draining' || conn.state === 'closed') return;
  enterClosing(conn, now, { kind: 'transport', code: e.code, ...(e.frameType !== undefined ? { frameType: e.frameType } : {}), reason: e.reason, initiator: 'local' });
}

/** Our close (RFC 9000 §10.2.1): CONNECTION_CLOSE goes out, then the closing state. */
export function enterClosing(conn: Connection, now: Instant, info: CloseInfo): void {
  conn.state = 'closing';
  conn.closeInfo = info;
  conn.closePending = true;
  conn.closeDeadline = now + 3 * largestPto(conn);
  logClosed(conn, now, info);
  conn.emit({ type: 'closing', info });
}

function logClosed(conn: Connection, now: Instant, info: CloseInfo): void {
  if (!conn.qlog) return;
  const data: QlogEventOf<'quic:connection_closed'>['data'] = { initiator: info.initiator === 'none' ? 'local' : info.initiator, reason: info.reason };
  if (info.kind === 'transport') {
    const e = transportErrorToQlog(info.code);
    data.connection_error = e.error;
    if (e.error_code !== undefined) data.error_code = e.error_code;
    data.trigger = 'error';
  } else if (info.kind === 'application') {
    data.application_error = 'unknown';
    data.error_code = info.code;
    data.trigger = 'application';
  } else {
    data.trigger = info.kind === 'idle_timeout' || info.kind === 'handshake_timeout' ? 'idle_timeout' : info.kind === 'stateless_reset' ? 'stateless_reset' : 'unspecified';
  }
  conn.qlog.event(now, { name: 'quic:connection_closed', data });
}

/** @internal The peer closed (CONNECTION_CLOSE received): draining for 3×PTO (§10.2.2). */
export function enterDraining(conn: Connection, now: Instant, info: CloseInfo): void {
  if (conn.state === 'draining' || conn.state === 'closed') return;
  const wasClosing = conn.state === 'closing';
  conn.state = 'draining';
  conn.closePending = false;
  if (!wasClosing) {
    conn.closeInfo = info;
    conn.closeDeadline = now + 3 * largestPto(conn);
    logClosed(conn, now, info);
    conn.emit({ type: 'closing', info });
  }
}

/** @internal Closed at once, nothing sent (timeouts, an abandoned connection attempt). */
export function finishClose(conn: Connection, now: Instant, info: CloseInfo): void {
  if (conn.state === 'closed') return;
  if (conn.state !== 'closing' && conn.state !== 'draining') {
    conn.closeInfo = info;
    logClosed(conn, now, info);
    conn.emit({ type: 'closing', info });
  }
  conn.state = 'closed';
  conn.emit({ type: 'closed', info: conn.closeInfo ?? info });
}

