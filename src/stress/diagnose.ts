/**
 * What a stress tool reports about a connection that failed (or ended abnormally): its figures
 * (RTT, congestion, counters, PTO count), its idle deadline against the clock, flow control at
 * both levels, and each stream's send and receive progress. Read from the sans-IO core, so the
 * same object describes a client in this process and a server connection in the child (sent over
 * IPC as JSON), and the two sides of one connection are matched by the original DCID.
 */
import type { CloseInfo } from '../connection/types.js';
import type { QuicConnection } from '../io/index.js';
import { toHex } from '../util/bytes.js';

export interface StreamDiagnosis {
  id: number;
  send?: { state: string; written: number; sent: number; acked: number; credit: number; buffered: number; finSent: boolean; finAcked: boolean };
  recv?: { state: string; received: number; consumed: number; limit: number };
}

export interface ConnectionDiagnosis {
  role: 'client' | 'server';
  odcid: string;
  close?: CloseInfo;
  state: string;
  srttMs: number;
  rttvarMs: number;
  ptoCount: number;
  cwnd: number;
  bytesInFlight: number;
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  /** ms until the idle deadline (negative: passed), from the connection's latest event. */
  idleInMs?: number;
  /** ms until the loss-detection (PTO) timer. */
  lossTimerInMs?: number;
  connSend: { limit: number; used: number };
  connRecv: { limit: number; received: number; consumed: number };
  streams: StreamDiagnosis[];
}

/** A snapshot of `qc`; deadlines are relative to the time of the connection's latest event. */
export function diagnose(qc: QuicConnection, close?: CloseInfo): ConnectionDiagnosis {
  const c = qc.core;
  const now = c.lastNow;
  const st = c.stats();
  const streams: StreamDiagnosis[] = [];
  for (const id of c.streams.streamIds()) {
    const s = c.streams.sendStream(id);
    const r = c.streams.recvStream(id);
    if (s === undefined && r === undefined) continue;
    streams.push({
      id,
      ...(s !== undefined
        ? { send: { state: s.state, written: s.writeOffset, sent: s.sentOffset, acked: s.ackedEnd, credit: s.credit.limit, buffered: s.buffered, finSent: s.finSent, finAcked: s.finAcked } }
        : {}),
      ...(r !== undefined ? { recv: { state: r.state, received: r.window.received, consumed: r.window.consumed, limit: r.window.limit } } : {}),
    });
  }
  const cs = c.streams.connectionSendCredit;
  const cr = c.streams.connectionRecvWindow;
  const loss = c.recovery.timeout();
  return {
    role: qc.role,
    odcid: toHex(c.originalDcid),
    ...(close !== undefined ? { close } : {}),
    state: st.state,
    srttMs: st.smoothedRtt / 1000,
    rttvarMs: c.recovery.rtt.rttvar / 1000,
    ptoCount: st.ptoCount,
    cwnd: st.cwnd,
    bytesInFlight: st.bytesInFlight,
    packetsSent: st.packetsSent,
    packetsReceived: st.packetsReceived,
    packetsLost: st.packetsLost,
    ...(c.idleDeadline !== undefined ? { idleInMs: (c.idleDeadline - now) / 1000 } : {}),
    ...(loss !== undefined ? { lossTimerInMs: (loss - now) / 1000 } : {}),
    connSend: { limit: cs.limit, used: cs.used },
    connRecv: { limit: cr.limit, received: cr.received, consumed: cr.consumed },
    streams,
  };
}

/** One line per connection diagnosis, for logs. */
export function formatDiagnosis(d: ConnectionDiagnosis): string {
  const close = d.close === undefined ? '' : ` closed ${d.close.kind}${d.close.code ? ` 0x${d.close.code.toString(16)}` : ''}${d.close.reason ? ` "${d.close.reason}"` : ''} (${d.close.initiator})`;
  const streams = d.streams
    .map((s) => {
      const snd = s.send ? ` send ${s.send.state} written ${s.send.written} sent ${s.send.sent} acked ${s.send.acked} credit ${s.send.credit}${s.send.finSent ? ' fin' : ''}${s.send.finAcked ? ' fin-acked' : ''}` : '';
      const rcv = s.recv ? ` recv ${s.recv.state} received ${s.recv.received} consumed ${s.recv.consumed} limit ${s.recv.limit}` : '';
      return `[${s.id}${snd}${rcv}]`;
    })
    .join(' ');
  const t = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(0)} ms`);
  return (
    `${d.role} ${d.odcid}:${close} state ${d.state}, srtt ${d.srttMs.toFixed(1)} ms ± ${d.rttvarMs.toFixed(1)}, pto_count ${d.ptoCount}, cwnd ${d.cwnd}, in flight ${d.bytesInFlight}, ` +
    `packets sent ${d.packetsSent} received ${d.packetsReceived} lost ${d.packetsLost}; idle in ${t(d.idleInMs)}, loss timer in ${t(d.lossTimerInMs)}; ` +
    `MAX_DATA ours ${d.connRecv.limit} (received ${d.connRecv.received}, consumed ${d.connRecv.consumed}), theirs ${d.connSend.limit} (used ${d.connSend.used}); ${streams}`
  );
}
