/** A connection's statistics (`Connection.stats()`): RTT, congestion, counters, key updates, PMTU, paths, FEC. */
import type { Duration } from '../util/time.js';
import type { Connection, ConnectionState } from './connection.js';
import type { PathStats } from './multipath.js';
import type { FecStats } from './fec.js';

/**
 * A snapshot of a connection (`Connection.stats()`): state, RTT, congestion, packet and byte
 * counters, key updates, PMTU, paths and FEC. RTT fields are Durations in µs.
 */
export interface ConnectionStats {
  state: ConnectionState;
  smoothedRtt: Duration;
  minRtt: Duration;
  latestRtt: Duration;
  cwnd: number;
  /** The congestion controller's registry name (of the main path). */
  congestionControl: string;
  bytesInFlight: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  packetsLost: number;
  packetsDropped: number;
  ptoCount: number;
  datagramsSent: number;
  datagramsReceived: number;
  datagramsLost: number;
  /** Received DATAGRAMs dropped unread, the oldest first, beyond `datagramReceiveQueue` (RFC 9221 §5). */
  datagramsReceiveDropped: number;
  /** RFC 9001 §6: 1-RTT key updates completed, started by us and by the peer. */
  keyUpdates: { local: number; remote: number };
  /**
   * Path MTU discovery (RFC 9000 §14.3): the current maximum datagram size, probes sent and
   * lost, black holes detected, and the search state.
   */
  pmtu: { current: number; state: string; probesSent: number; probesLost: number; blackHoles: number };
  /** Multipath (draft-ietf-quic-multipath-21): every path with its own figures; absent without multipath. */
  paths?: PathStats[];
  /** Forward error correction (specs/fec.md): absent when not negotiated. */
  fec?: FecStats;
}

/** The figures of `conn` now (a fresh object). */
export function connectionStats(conn: Connection): ConnectionStats {
  const rtt = conn.recovery.rtt;
  return {
    state: conn.state,
    smoothedRtt: rtt.smoothed,
    minRtt: rtt.min,
    latestRtt: rtt.latest,
    cwnd: conn.recovery.cc.cwnd,
    congestionControl: conn.recovery.cc.name,
    bytesInFlight: conn.recovery.bytesInFlight,
    packetsSent: conn.packetsSent,
    packetsReceived: conn.packetsReceived,
    bytesSent: conn.bytesSent,
    bytesReceived: conn.bytesReceived,
    packetsLost: conn.packetsLost,
    packetsDropped: conn.packetsDropped,
    ptoCount: conn.recovery.ptoCount,
    datagramsSent: conn.datagramsSent,
    datagramsReceived: conn.datagramsReceived,
    datagramsLost: conn.datagramsLost,
    datagramsReceiveDropped: conn.datagramsReceiveDropped,
    keyUpdates: { local: conn.keyPhase?.localUpdates ?? 0, remote: conn.keyPhase?.remoteUpdates ?? 0 },
    pmtu: { current: conn.pmtud.current, state: conn.pmtud.state, probesSent: conn.pmtud.probesSent, probesLost: conn.pmtud.probesLost, blackHoles: conn.pmtud.blackHoles },
    ...(conn.mp !== undefined ? { paths: conn.pathStats() } : {}),
    ...(conn.fec !== undefined ? { fec: conn.fec.stats() } : {}),
  };
}
