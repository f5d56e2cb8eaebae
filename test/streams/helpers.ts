/** Test helpers: limits, peer parameters, frame dispatch and a lossy in-memory link between managers. */
import { StreamManager, type StreamEvent, type StreamLimits, type StreamToken } from '../../src/streams/index.js';
import type { Frame } from '../../src/wire/frame.js';

export const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + seed * 7) & 0xff);

export function limits(o: Partial<StreamLimits> = {}): StreamLimits {
  return {
    maxStreamsBidi: 10,
    maxStreamsUni: 10,
    initialMaxStreamDataBidiLocal: 1000,
    initialMaxStreamDataBidiRemote: 1000,
    initialMaxStreamDataUni: 1000,
    maxStreamWindow: 8000,
    initialMaxData: 4000,
    maxConnectionWindow: 32_000,
    sendBufferSize: 10_000,
    ...o,
  };
}

export function peerParams(l: StreamLimits) {
  return {
    initialMaxData: l.initialMaxData,
    initialMaxStreamDataBidiLocal: l.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: l.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: l.initialMaxStreamDataUni,
    initialMaxStreamsBidi: l.maxStreamsBidi,
    initialMaxStreamsUni: l.maxStreamsUni,
  };
}

/** A client and a server manager that know each other's limits. */
export function pair(cl: Partial<StreamLimits> = {}, sl: Partial<StreamLimits> = {}): { client: StreamManager; server: StreamManager } {
  const cLimits = limits(cl);
  const sLimits = limits(sl);
  const client = new StreamManager({ isClient: true, limits: cLimits });
  const server = new StreamManager({ isClient: false, limits: sLimits });
  client.setPeerParams(peerParams(sLimits));
  server.setPeerParams(peerParams(cLimits));
  return { client, server };
}

/** Hands an incoming frame to the manager (what the connection's dispatch does). */
export function deliver(m: StreamManager, f: Frame): void {
  switch (f.kind) {
    case 'stream': return m.onStreamFrame(f);
    case 'reset_stream': return m.onResetStream(f);
    case 'stop_sending': return m.onStopSending(f);
    case 'max_data': return m.onMaxData(f);
    case 'max_stream_data': return m.onMaxStreamData(f);
    case 'max_streams': return m.onMaxStreams(f);
    case 'data_blocked': return m.onDataBlocked(f);
    case 'stream_data_blocked': return m.onStreamDataBlocked(f);
    case 'streams_blocked': return m.onStreamsBlocked(f);
    default: throw new Error(`unexpected frame ${f.kind}`);
  }
}

export interface Sent {
  frame: Frame;
  token: StreamToken;
}

/** Collects what `m` would send now: control frames, then up to `maxFrames` STREAM frames of ≤ `mtu` bytes. */
export function collect(m: StreamManager, now = 0, rtt = 10_000, mtu = 1000, maxFrames = 1000): Sent[] {
  const out: Sent[] = [];
  for (const c of m.pendingControl(now, rtt)) {
    m.onControlSent(c.token);
    out.push({ frame: c.frame, token: c.token });
  }
  for (let i = 0; i < maxFrames; i++) {
    const s = m.nextStreamData(mtu);
    if (s === undefined) break;
    const data = s.buf.slice(s.start, s.start + s.length); // the connection's one copy, into the datagram
    m.onStreamDataSent(s.id, s.offset, data.length, s.fin);
    out.push({
      frame: { kind: 'stream', streamId: s.id, offset: s.offset, data, fin: s.fin, hasLength: true },
      token: { kind: 'stream', id: s.id, offset: s.offset, length: data.length, fin: s.fin },
    });
  }
  return out;
}

/** Delivers and acknowledges everything in `sent` (a loss-free link). */
export function flush(from: StreamManager, to: StreamManager, sent: Sent[]): void {
  for (const s of sent) deliver(to, s.frame);
  for (const s of sent) from.onAcked(s.token);
}

export function events(m: StreamManager): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (let e = m.pollEvent(); e !== undefined; e = m.pollEvent()) out.push(e);
  return out;
}

/** Reads everything readable on `id`. */
export function drain(m: StreamManager, id: number): { data: number[]; fin: boolean } {
  const data: number[] = [];
  let fin = false;
  for (let r = m.read(id); r !== undefined; r = m.read(id)) {
    data.push(...r.data);
    fin ||= r.fin;
    if (r.fin) break;
  }
  return { data, fin };
}
