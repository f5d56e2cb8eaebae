/**
 * Path MTU discovery in the connection (RFC 9000 §14.2–§14.4 with RFC 8899; the state machine
 * is recovery/pmtud.ts). This module decides when a probe may go out, sees each acknowledged
 * and lost packet, and applies size changes: the congestion controller's max_datagram_size
 * (RFC 9002 §7.2) and the qlog `mtu_updated` event.
 */
import type { SentPacket } from '../recovery/history.js';
import { BASE_PLPMTU, type PmtuChange } from '../recovery/pmtud.js';
import type { Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import { APPDATA, type RecoveryToken } from './types.js';
import type { Path } from './path.js';

/** Applies a change of `path`'s maximum datagram size. */
export function applyPmtuChange(conn: Connection, now: Instant, c: PmtuChange | undefined, path: Path = conn.path): void {
  if (c === undefined) return;
  if (c.new !== c.old) path.recovery.cc.setMaxDatagramSize?.(c.new);
  conn.qlog?.event(now, { name: 'quic:mtu_updated', data: { old: c.old, new: c.new, done: c.done } });
  if (c.blackHole) conn.emit({ type: 'pmtu_black_hole', size: c.old });
}

/** The peer's max_udp_payload_size (RFC 9000 §18.2), from its parameters or remembered ones. */
export function setPeerMaxUdpPayload(conn: Connection, now: Instant, size: number): void {
  conn.peerMaxUdpPayload = size;
  applyPmtuChange(conn, now, conn.pmtud.setPeerMax(size));
}

/**
 * The size of a PMTU probe to build now, or 0. Probes go on a validated path of a confirmed
 * connection (RFC 9000 §14.3.1) that is not closing, not running a PTO, and has room in its
 * congestion window for a datagram of the current size (probes consume the window, §14.4; a
 * probe may overshoot it by the difference, else a window kept full by bulk data would leave
 * no room for a probe for a long time).
 */
export function mtuProbeSize(conn: Connection, path: Path, now: Instant): number {
  if (!conn.handshakeConfirmed || conn.pathValidation !== undefined || conn.state !== 'established') return 0;
  if (conn.spaces[APPDATA].seal === undefined || path.space.probes > 0) return 0;
  const size = path.pmtud.probeSize(now);
  if (size === 0 || size > conn.peerMaxUdpPayload) return 0;
  const rec = path.recovery;
  if (rec.cc.cwnd - rec.bytesInFlight < path.pmtud.current) return 0;
  if (path.pacer.nextSendTime(now, size, rec.cc.cwnd, rec.rtt, rec.cc.pacingRate?.(rec.rtt)) > now) return 0;
  return size;
}

/**
 * RFC 8899 §4.3: after two PTOs in a row on a path whose datagram size grew past BASE_PLPMTU,
 * PTO probes go at BASE_PLPMTU, so a path that stopped carrying large datagrams still gets
 * acknowledgements and its losses are declared (black-hole detection, pmtud.ts).
 */
export function ptoProbeLimit(path: Path, limit: number): number {
  return path.recovery.ptoCount >= 2 && path.pmtud.current > BASE_PLPMTU ? Math.min(limit, BASE_PLPMTU) : limit;
}

/** An acknowledged packet of `path`. */
export function pmtuOnAcked(conn: Connection, now: Instant, p: SentPacket<RecoveryToken>, path: Path = conn.path): void {
  if (p.mtuProbe === true) applyPmtuChange(conn, now, path.pmtud.onProbeAcked(now, p.size), path);
  else path.pmtud.onPacketAcked(p.size, p.timeSent);
}

/** A packet of `path` declared lost. */
export function pmtuOnLost(conn: Connection, now: Instant, p: SentPacket<RecoveryToken>, path: Path = conn.path): void {
  if (p.mtuProbe === true) applyPmtuChange(conn, now, path.pmtud.onProbeLost(now, p.size), path);
  else applyPmtuChange(conn, now, path.pmtud.onPacketLost(p.size, p.timeSent), path);
}

/** A new path (RFC 9000 §9.4, §14.2: the PMTU belongs to an address pair): search again. */
export function pmtuNewPath(conn: Connection, now: Instant): void {
  applyPmtuChange(conn, now, conn.pmtud.reset());
  if (conn.handshakeConfirmed) conn.pmtud.start();
}
