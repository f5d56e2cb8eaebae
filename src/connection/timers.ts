/**
 * The connection's timers (DESIGN §3: a table of deadlines, `pollTimeout` is the earliest):
 * closing and idle deadlines (RFC 9000 §10), delayed ACKs, pacing, path validation, old key
 * phases (RFC 9001 §6.5), loss detection and PTO (RFC 9002 §6) with its probes, and the
 * multipath paths' timers; plus the qlog of recovery metrics they and ACKs change.
 */
import { toMs } from '../qlog/common.js';
import type { Instant } from '../util/time.js';
import type { Connection } from './connection.js';
import { onValidationTimeout, validationTimeout } from './migration.js';
import { failoverRequeue, multipathTimeout, onMultipathTimeout } from './multipath.js';
import { onFecTimeout } from './fec.js';
import { isResendable, onTokenLost } from './tokens.js';
import { APPDATA, HANDSHAKE, INITIAL, type SpaceId } from './types.js';

/**
 * The earliest deadline. Called for every connection of an endpoint on every service round, so
 * it allocates nothing (no closure per call; DESIGN §4 rule 2).
 */
export function pollTimeout(conn: Connection): Instant | undefined {
  if (conn.state === 'closed') return undefined;
  if (conn.state === 'closing' || conn.state === 'draining') return conn.closeDeadline;
  let t = earlier(conn.closeDeadline, conn.idleDeadline);
  t = earlier(t, conn.handshakeDeadline);
  t = earlier(t, conn.recovery.timeout());
  for (let i = 0; i < 3; i++) if (!conn.spaces[i]!.discarded) t = earlier(t, conn.spaces[i]!.ack.deadline);
  t = earlier(t, conn.pacingDeadline);
  // RFC 9000 §8.2: path validation and probes (their deadlines and PATH_CHALLENGE re-sends).
  if (conn.pathValidation !== undefined || conn.pathProbe !== undefined) t = earlier(t, validationTimeout(conn));
  t = earlier(t, multipathTimeout(conn));
  t = earlier(t, conn.fec?.blockDeadline);
  if (conn.keyPhase !== undefined && conn.keyPhase.hasPrevious) t = earlier(t, conn.keyPhase.previousUntil);
  return t;
}

/** The earlier of two optional deadlines (undefined = none). */
function earlier(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  return b === undefined || (a !== undefined && a <= b) ? a : b;
}

export function handleTimeout(conn: Connection, now: Instant): void {
  conn.lastNow = now;
  if (conn.state === 'closed') return;
  if (conn.closeDeadline !== undefined && now >= conn.closeDeadline) {
    conn.finishClose(now, conn.closeInfo ?? { kind: 'transport', code: 0, reason: '', initiator: 'none' });
    return;
  }
  if (conn.state === 'closing' || conn.state === 'draining') return;
  if (conn.idleDeadline !== undefined && now >= conn.idleDeadline) {
    // RFC 9000 §10.1: the connection is silently closed.
    conn.finishClose(now, { kind: 'idle_timeout', code: 0, reason: 'idle timeout', initiator: 'none' });
    return;
  }
  if (conn.handshakeConfirmed && conn.idleTimeout > 0 && now - conn.lastAckedAt >= conn.effectiveIdleTimeout() && probing(conn)) {
    // Probes that arrive keep the peer's idle timer going, and its ACKs ours, even when none of
    // them acknowledges anything (say, each end still sends on a path the other has abandoned):
    // with the PTO ceiling (after confirmation) they would go on for ever. A confirmed
    // connection whose PTO has fired and that has had nothing acknowledged for a whole idle
    // timeout ends as if idle (RFC 9000 §10.1). Handshakes have their own timeout.
    conn.finishClose(now, { kind: 'idle_timeout', code: 0, reason: 'nothing acknowledged for the idle timeout', initiator: 'none' });
    return;
  }
  if (conn.handshakeDeadline !== undefined && now >= conn.handshakeDeadline) {
    // A handshake that has not completed in time ends silently like an idle timeout: a peer
    // sending a packet now and then cannot hold a half-open connection (RFC 9000 §21.6).
    conn.finishClose(now, { kind: 'handshake_timeout', code: 0, reason: 'handshake not complete in time', initiator: 'none' });
    return;
  }
  for (let i = 0; i < 3; i++) if (!conn.spaces[i]!.discarded) conn.spaces[i]!.ack.onTimeout(now);
  if (conn.pacingDeadline !== undefined && now >= conn.pacingDeadline) conn.pacingDeadline = undefined;
  if (conn.pathValidation !== undefined || conn.pathProbe !== undefined) onValidationTimeout(conn, now);
  // RFC 9001 §6.5: the previous read keys go 3×PTO after the update.
  conn.keyPhase?.onTimeout(now);
  if (conn.fec !== undefined) onFecTimeout(conn, now);
  if (conn.mp !== undefined) {
    for (const p of conn.mp.paths.values()) p.space.ack.onTimeout(now);
    onMultipathTimeout(conn, now);
  }
  const lt = conn.recovery.timeout();
  if (lt !== undefined && now >= lt) {
    const r = conn.recovery.onTimeout(now);
    conn.onLost(now, r.lost, r.lostSpace as SpaceId);
    logRecovery(conn, now);
    if (r.probe) {
      armProbe(conn, r.probe.space as SpaceId, r.probe.count);
      conn.ecn.onPto(now);
      if (conn.mp !== undefined && r.probe.space === APPDATA) failoverRequeue(conn, conn.path);
    }
  }
}

/** RFC 9002 §6.2.4: probes carry new or previously sent data, else PING. */
function armProbe(conn: Connection, space: SpaceId, count: number): void {
  const sp = conn.spaces[space];
  if (sp.discarded || !sp.seal) {
    // The client's anti-deadlock probe goes in whatever space it can send (RFC 9002 §6.2.2.1).
    const alt = conn.spaces[HANDSHAKE].seal && !conn.spaces[HANDSHAKE].discarded ? HANDSHAKE : INITIAL;
    if (conn.spaces[alt].seal && !conn.spaces[alt].discarded) conn.spaces[alt].probes = count;
    return;
  }
  // 1-RTT probes belong to the packet-number space of the path whose PTO fired (the builder
  // counts them down there): with multipath, the path in use may no longer be path 0, whose
  // space is the connection's (multipath-21 §2.1).
  (space === APPDATA ? conn.path.space : sp).probes = count;
  if (space !== APPDATA) sp.cryptoSend.requeueUnacked();
  else if (!conn.streams.hasPendingData()) {
    // RFC 9002 §6.2.4: with no new data, the probes carry data still unacknowledged, so a
    // probe that gets through delivers something even if every ACK for it is lost. Its
    // packets stay in flight; an ACK for either copy settles the data.
    for (const p of conn.recovery.takeUnackedForProbe(APPDATA, count)) {
      for (const t of p.tokens) if (isResendable(t)) onTokenLost(conn, t);
    }
  }
}


/**
 * @internal qlog recovery_metrics_updated when cwnd, RTT or bytes in flight changed, and
 * congestion_state_updated on a controller state change (DESIGN §4 rule 7: only with a sink).
 */
export function logRecovery(conn: Connection, now: Instant): void {
  if (!conn.qlog) return;
  const r = conn.recovery;
  const m = conn.lastMetrics;
  if (r.cc.cwnd !== m.cwnd || r.rtt.smoothed !== m.srtt || r.bytesInFlight !== m.inFlight) {
    m.cwnd = r.cc.cwnd;
    m.srtt = r.rtt.smoothed;
    m.inFlight = r.bytesInFlight;
    conn.qlog.event(now, {
      name: 'quic:recovery_metrics_updated',
      data: {
        min_rtt: toMs(r.rtt.min),
        smoothed_rtt: toMs(r.rtt.smoothed),
        latest_rtt: toMs(r.rtt.latest),
        rtt_variance: toMs(r.rtt.rttvar),
        pto_count: r.ptoCount,
        congestion_window: r.cc.cwnd,
        bytes_in_flight: r.bytesInFlight,
        ...(Number.isFinite(r.cc.ssthresh) ? { ssthresh: r.cc.ssthresh } : {}),
      },
    });
  }
  const state = r.cc.inRecovery ? 'recovery' : r.cc.inSlowStart ? 'slow_start' : 'congestion_avoidance';
  if (state !== conn.ccState) {
    conn.qlog.event(now, { name: 'quic:congestion_state_updated', data: { old: conn.ccState, new: state } });
    conn.ccState = state;
  }
}

/** Some path's PTO fired and nothing was acknowledged on it since (its pto_count is not 0). */
function probing(conn: Connection): boolean {
  if (conn.mp === undefined) return conn.recovery.ptoCount > 0;
  for (const p of conn.mp.paths.values()) if (p.state !== 'closing' && p.recovery.ptoCount > 0) return true;
  return false;
}
