/**
 * The simulator's invariant checker: reads the qlog events of both endpoints of one connection
 * (the `events` of a client and a server `MemorySink`) and reports every violation of six
 * transport invariants. It reads exactly what users see in their qlog files, so a violation
 * found here can be inspected in any qlog viewer.
 *
 *   const v = checkConnection({ client: clientSink.events, server: serverSink.events });
 *   if (v.length > 0) throw new Error(formatViolations(v, seed));
 *
 * The invariants (`Violation.invariant`):
 *
 * - `data` — RFC 9000 §2.2, §4.5: per stream and direction, the byte ranges of the STREAM frames
 *   in the receiver's `packet_received` events (deduplicated) are a subset of those the sender's
 *   `packet_sent` events carried, never extend past the final size, and — once the sender has
 *   sent a FIN and did not reset the stream — cover exactly [0, final size), FIN included
 *   (`requireDelivery`). Every STREAM frame with FIN and every RESET_STREAM of a stream, sent or
 *   received, carries the same final size, and no data is sent past it. qlog frames carry no
 *   payload bytes (qlog/frames.ts), so ranges and final sizes are checked, not contents.
 * - `flow_control` — RFC 9000 §4.1, §4.6: walking the sender's events in order, the highest
 *   stream offset it sends (STREAM end or RESET_STREAM final size) never exceeds the stream's
 *   limit, their sum over all streams never exceeds the connection limit, and every stream it
 *   initiates has an index below the peer's stream limit of that type. Limits start at the
 *   peer's transport parameters (the sender's `parameters_set` with initiator "remote", else
 *   its `parameters_restored`, else the peer's `parameters_set` with initiator "local"; with
 *   none, every limit is 0, RFC 9000 §18.2) and only grow with the MAX_DATA, MAX_STREAM_DATA
 *   and MAX_STREAMS frames in the sender's `packet_received` events.
 * - `amplification` — RFC 9000 §8.1: until the server has received a Handshake packet from the
 *   client, the bytes it has sent never exceed three times the bytes it has received. See
 *   `checkAmplification` for how bytes are counted from the qlog.
 * - `packet_number` — RFC 9000 §12.3: in each endpoint's `packet_sent` events, packet numbers
 *   strictly increase per packet number space (keyed by `path_id` too, when present, for
 *   draft-ietf-quic-multipath-21 §2.3 per-path spaces).
 * - `frame_legality` — RFC 9000 §12.4 (Table 3) and §12.5, through `isFrameAllowed` of
 *   wire/legality.ts: every frame in a sent or received packet is allowed in its packet type,
 *   every frame-carrying packet has at least one frame, and packets that carry no frames
 *   (Retry, Version Negotiation, Stateless Reset) list none.
 * - `recovery` — RFC 9002 §7.2: in `recovery_metrics_updated`, `bytes_in_flight` and
 *   `packets_in_flight` are never negative and `congestion_window` is never below the minimum
 *   window, 2 × `maxDatagramSize`.
 *
 * The checker is a pure function of its input: no clock, no randomness, no mutation.
 */
import type { QlogEvent } from '../qlog/events.js';
import type { QlogFrame } from '../qlog/frames.js';
import type { PacketHeader, QuicParametersSet, QuicParametersRestored } from '../qlog/index.js';
import type { LoggedEvent } from '../qlog/memory.js';
import { RangeSet } from '../util/rangeset.js';
import type { Instant } from '../util/time.js';
import { FrameType } from '../wire/frame.js';
import { isFrameAllowed, isKnownFrameType, type PacketType } from '../wire/legality.js';

/**
 * What the checker verifies from the two qlogs of a connection (the module comment has the
 * details): received stream ranges match what was sent (data), limits held (flow_control), the
 * server's 3× limit held (amplification, RFC 9000 §8.1), packet numbers only grew per space
 * (packet_number), frames were legal in their packet types (frame_legality, RFC 9000 Table 3),
 * and bytes in flight and the congestion window stayed in range (recovery, RFC 9002 §7.2).
 */
export type Invariant = 'data' | 'flow_control' | 'amplification' | 'packet_number' | 'frame_legality' | 'recovery';
/** Which half of the connection an event or violation belongs to. */
export type Side = 'client' | 'server';

/** The invariants in the order `checkConnection` evaluates them. */
export const INVARIANTS: readonly Invariant[] = ['data', 'flow_control', 'amplification', 'packet_number', 'frame_legality', 'recovery'];

/** One broken invariant, as plain data. */
export interface Violation {
  invariant: Invariant;
  /** The endpoint whose behaviour broke it (for `data`: the receiver, unless the sender's own frames disagree). */
  side: Side;
  /** The time (µs, the sinks' Instant) of the event that shows the violation. */
  time: Instant;
  message: string;
}

export interface CheckInput {
  /** The client's qlog events in logging order (`MemorySink.events`). */
  client: readonly LoggedEvent[];
  /** The server's qlog events in logging order. */
  server: readonly LoggedEvent[];
  /** Max datagram size for the minimum congestion window, RFC 9002 §7.2 (default 1200). */
  maxDatagramSize?: number;
  /**
   * Require every stream the sender finished (FIN sent, no RESET_STREAM) to be fully received,
   * FIN included (default true). Set false for runs that stop before delivery completes; the
   * subset and final-size checks still apply.
   */
  requireDelivery?: boolean;
}

/** Checks every invariant; the violations are ordered by time (stable within one time). */
export function checkConnection(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  const mds = input.maxDatagramSize ?? 1200;
  const requireDelivery = input.requireDelivery ?? true;
  const sides = [
    { side: 'client' as const, own: input.client, peer: input.server },
    { side: 'server' as const, own: input.server, peer: input.client },
  ];
  for (const s of sides) checkData(s.side, s.own, s.peer, requireDelivery, out);
  for (const s of sides) checkFlowControl(s.side, s.own, s.peer, out);
  checkAmplification(input.server, mds, out);
  for (const s of sides) checkPacketNumbers(s.side, s.own, out);
  for (const s of sides) checkFrameLegality(s.side, s.own, out);
  for (const s of sides) checkRecovery(s.side, s.own, mds, out);
  // Array.prototype.sort is stable (ES2019), so equal times keep the evaluation order.
  return out.sort((a, b) => a.time - b.time);
}

/**
 * The violations as text, one per line, at most `limit` of them, headed by the seed so the run
 * can be replayed (`tquic sim --seed N`, or `runScenario(..., { seed: N })`).
 */
export function formatViolations(v: readonly Violation[], seed?: number, limit = 50): string {
  const where = seed === undefined ? '' : ` (seed ${seed}; replay with this seed)`;
  if (v.length === 0) return `no invariant violations${where}`;
  const lines = [`${v.length} invariant violation${v.length === 1 ? '' : 's'}${where}:`];
  for (const x of v.slice(0, limit)) lines.push(`  [${x.invariant}] ${x.side} @ ${x.time} µs: ${x.message}`);
  if (v.length > limit) lines.push(`  … and ${v.length - limit} more`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Reading the events

type PacketEvent = QlogEvent & { name: 'quic:packet_sent' | 'quic:packet_received' };

function isPacket(e: QlogEvent): e is PacketEvent {
  return e.name === 'quic:packet_sent' || e.name === 'quic:packet_received';
}

/** events §8.13.9: a STREAM frame's data length (tquic logs it in `raw.length` and `raw.payload_length`). */
function dataLength(f: { raw?: { length?: number; payload_length?: number } }): number {
  return f.raw?.payload_length ?? f.raw?.length ?? 0;
}

/** RFC 9000 §2.1: bit 0 of a stream ID is the initiator (1 = server), bit 1 the direction (1 = uni). */
function initiator(id: number): Side {
  return id % 2 === 1 ? 'server' : 'client';
}
function isUni(id: number): boolean {
  return Math.floor(id / 2) % 2 === 1;
}

/** True if the set holds every value of [start, end). */
function covers(set: RangeSet, start: number, end: number): boolean {
  if (end <= start) return true;
  for (const [s, e] of set) {
    if (s > start) break;
    if (end <= e) return true;
  }
  return false;
}

/** The first gap of `set` within [0, size), if any, as [start, end). */
function firstGap(set: RangeSet, size: number): [number, number] | undefined {
  let at = 0;
  for (const [s, e] of set) {
    if (at >= size) break;
    if (s > at) return [at, Math.min(s, size)];
    at = Math.max(at, e);
  }
  return at < size ? [at, size] : undefined;
}

// ---------------------------------------------------------------------------------------------
// data: RFC 9000 §2.2, §4.5

interface StreamView {
  ranges: RangeSet;
  /** Final size and when it was first seen. */
  final: { size: number; time: Instant } | undefined;
  highest: number;
  reset: boolean;
}

function streamView(map: Map<number, StreamView>, id: number): StreamView {
  let s = map.get(id);
  if (!s) {
    s = { ranges: new RangeSet(), final: undefined, highest: 0, reset: false };
    map.set(id, s);
  }
  return s;
}

/**
 * Collects one endpoint's STREAM / RESET_STREAM frames of one event name per stream, reporting
 * final-size disagreements and data past the final size among them (RFC 9000 §4.5).
 */
/**
 * The frames an event shows arriving or leaving: `name`'s packets, and on the receiving side
 * also packets rebuilt by FEC (`tquic:fec_packet_recovered`, whose frames were applied).
 */
function eventFrames(event: QlogEvent, name: 'quic:packet_sent' | 'quic:packet_received'): readonly QlogFrame[] | undefined {
  if (event.name === name) return event.data.frames;
  if (name === 'quic:packet_received' && event.name === 'tquic:fec_packet_recovered') return event.data.frames;
  return undefined;
}

function collectStreams(side: Side, events: readonly LoggedEvent[], name: 'quic:packet_sent' | 'quic:packet_received', out: Violation[]): Map<number, StreamView> {
  const map = new Map<number, StreamView>();
  const verb = name === 'quic:packet_sent' ? 'sent' : 'received';
  const setFinal = (id: number, s: StreamView, size: number, time: Instant, what: string): void => {
    if (s.final === undefined) {
      s.final = { size, time };
      if (s.highest > size) out.push({ invariant: 'data', side, time, message: `stream ${id}: ${what} ${verb} with final size ${size}, but data up to ${s.highest} was ${verb}` });
    } else if (s.final.size !== size) {
      out.push({ invariant: 'data', side, time, message: `stream ${id}: ${what} ${verb} with final size ${size}, but the final size was ${s.final.size}` });
    }
  };
  for (const { time, event } of events) {
    const frames = eventFrames(event, name);
    if (frames === undefined) continue;
    for (const f of frames) {
      if (f.frame_type === 'stream') {
        const s = streamView(map, f.stream_id);
        const start = f.offset ?? 0;
        const end = start + dataLength(f);
        s.ranges.addRange(start, end);
        if (end > s.highest) {
          s.highest = end;
          if (s.final !== undefined && end > s.final.size) {
            out.push({ invariant: 'data', side, time, message: `stream ${f.stream_id}: STREAM data [${start}, ${end}) ${verb} beyond the final size ${s.final.size}` });
          }
        }
        if (f.fin === true) setFinal(f.stream_id, s, end, time, 'STREAM frame with FIN');
      } else if (f.frame_type === 'reset_stream' || f.frame_type === 'reset_stream_at') {
        const s = streamView(map, f.stream_id);
        s.reset = true;
        setFinal(f.stream_id, s, f.final_size, time, f.frame_type.toUpperCase());
      }
    }
  }
  return map;
}

/** The `data` invariant for the direction peer → `receiver`. */
function checkData(receiver: Side, received: readonly LoggedEvent[], senderEvents: readonly LoggedEvent[], requireDelivery: boolean, out: Violation[]): void {
  const sender: Side = receiver === 'client' ? 'server' : 'client';
  const sent = collectStreams(sender, senderEvents, 'quic:packet_sent', out);
  const got = collectStreams(receiver, received, 'quic:packet_received', out);
  // Bytes received that the sender never sent, or a final size other than the sender's.
  for (const { time, event } of received) {
    const frames = eventFrames(event, 'quic:packet_received');
    if (frames === undefined) continue;
    for (const f of frames) {
      if (f.frame_type !== 'stream' && f.frame_type !== 'reset_stream' && f.frame_type !== 'reset_stream_at') continue;
      const s = sent.get(f.stream_id);
      if (f.frame_type === 'stream') {
        const start = f.offset ?? 0;
        const end = start + dataLength(f);
        if (s === undefined || !covers(s.ranges, start, end)) {
          out.push({ invariant: 'data', side: receiver, time, message: `stream ${f.stream_id}: received data [${start}, ${end}) that the ${sender} never sent` });
        }
        if (f.fin === true && s?.final?.size !== end) {
          out.push({ invariant: 'data', side: receiver, time, message: `stream ${f.stream_id}: received FIN at final size ${end}, the ${sender} sent final size ${s?.final?.size ?? 'none'}` });
        }
      } else if (s?.final?.size !== f.final_size) {
        out.push({ invariant: 'data', side: receiver, time, message: `stream ${f.stream_id}: received ${f.frame_type.toUpperCase()} with final size ${f.final_size}, the ${sender} sent final size ${s?.final?.size ?? 'none'}` });
      }
    }
  }
  if (!requireDelivery) return;
  // RFC 9000 §2.2: a finished stream's bytes are all delivered, exactly once each, in order.
  const endTime = received.length > 0 ? received[received.length - 1]!.time : 0;
  for (const [id, s] of sent) {
    if (s.final === undefined || s.reset) continue;
    const g = got.get(id);
    if (g?.reset) continue;
    const size = s.final.size;
    const gap = firstGap(g?.ranges ?? new RangeSet(), size);
    if (gap !== undefined) {
      out.push({ invariant: 'data', side: receiver, time: endTime, message: `stream ${id}: bytes [${gap[0]}, ${gap[1]}) of final size ${size} were never received` });
    } else if (g?.final === undefined) {
      out.push({ invariant: 'data', side: receiver, time: endTime, message: `stream ${id}: the FIN (final size ${size}) was never received` });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// flow_control: RFC 9000 §4.1, §4.6

interface PeerLimits {
  maxData: number;
  bidiLocal: number;
  bidiRemote: number;
  uni: number;
  streamsBidi: number;
  streamsUni: number;
}

function limitsFrom(p: QuicParametersSet | QuicParametersRestored): PeerLimits {
  return {
    maxData: p.initial_max_data ?? 0,
    bidiLocal: p.initial_max_stream_data_bidi_local ?? 0,
    bidiRemote: p.initial_max_stream_data_bidi_remote ?? 0,
    uni: p.initial_max_stream_data_uni ?? 0,
    streamsBidi: p.initial_max_streams_bidi ?? 0,
    streamsUni: p.initial_max_streams_uni ?? 0,
  };
}

/** The peer's limits known before the sender logs its own view (see the header comment). */
function fallbackLimits(own: readonly LoggedEvent[], peer: readonly LoggedEvent[]): PeerLimits {
  for (const { event } of own) if (event.name === 'quic:parameters_restored') return limitsFrom(event.data);
  for (const { event } of peer) if (event.name === 'quic:parameters_set' && event.data.initiator === 'local') return limitsFrom(event.data);
  return limitsFrom({});
}

/** The `flow_control` invariant for data `side` sends. */
function checkFlowControl(side: Side, own: readonly LoggedEvent[], peer: readonly LoggedEvent[], out: Violation[]): void {
  let lim = fallbackLimits(own, peer);
  let maxData = lim.maxData;
  const maxStreamData = new Map<number, number>();
  let maxStreamsBidi = lim.streamsBidi;
  let maxStreamsUni = lim.streamsUni;
  /** Highest offset sent per stream (RFC 9000 §4.1 counts it, or the final size once reset). */
  const highest = new Map<number, number>();
  let sum = 0;
  const reported = new Set<string>();
  const report = (key: string, time: Instant, message: string): void => {
    if (reported.has(key)) return;
    reported.add(key);
    out.push({ invariant: 'flow_control', side, time, message });
  };
  /** RFC 9000 §18.2: which of the peer's initial_max_stream_data_* applies to a stream we send on. */
  const streamLimit = (id: number): number => {
    const raised = maxStreamData.get(id);
    const mine = initiator(id) === side;
    const initial = isUni(id) ? (mine ? lim.uni : 0) : mine ? lim.bidiRemote : lim.bidiLocal;
    return raised === undefined ? initial : Math.max(raised, initial);
  };
  const onOffset = (id: number, end: number, time: Instant, what: string): void => {
    // RFC 9000 §4.6: a stream this endpoint initiates must be within the peer's MAX_STREAMS.
    if (initiator(id) === side) {
      const index = Math.floor(id / 4);
      const limit = isUni(id) ? maxStreamsUni : maxStreamsBidi;
      if (index >= limit) report(`streams ${id} ${limit}`, time, `stream ${id} used, but the peer allows ${limit} ${isUni(id) ? 'unidirectional' : 'bidirectional'} streams`);
    }
    const prev = highest.get(id) ?? 0;
    if (end <= prev) return;
    highest.set(id, end);
    sum += end - prev;
    const sl = streamLimit(id);
    if (end > sl) report(`stream ${id} ${sl}`, time, `stream ${id}: ${what} reaches offset ${end}, beyond the stream limit ${sl}`);
    if (sum > maxData) report(`conn ${maxData}`, time, `connection: ${sum} bytes of stream data sent, beyond the connection limit ${maxData}`);
  };
  for (const { time, event } of own) {
    if (event.name === 'quic:parameters_set' && event.data.initiator === 'remote') {
      lim = limitsFrom(event.data);
      // Limits only grow (RFC 9000 §4.1): frames received earlier keep their effect.
      maxData = Math.max(maxData, lim.maxData);
      maxStreamsBidi = Math.max(maxStreamsBidi, lim.streamsBidi);
      maxStreamsUni = Math.max(maxStreamsUni, lim.streamsUni);
      continue;
    }
    if (!isPacket(event) || !event.data.frames) continue;
    if (event.name === 'quic:packet_received') {
      for (const f of event.data.frames) {
        if (f.frame_type === 'max_data') maxData = Math.max(maxData, f.maximum);
        else if (f.frame_type === 'max_stream_data') maxStreamData.set(f.stream_id, Math.max(maxStreamData.get(f.stream_id) ?? 0, f.maximum));
        else if (f.frame_type === 'max_streams') {
          if (f.stream_type === 'bidirectional') maxStreamsBidi = Math.max(maxStreamsBidi, f.maximum);
          else maxStreamsUni = Math.max(maxStreamsUni, f.maximum);
        }
      }
      continue;
    }
    for (const f of event.data.frames) {
      if (f.frame_type === 'stream') onOffset(f.stream_id, (f.offset ?? 0) + dataLength(f), time, 'STREAM data');
      else if (f.frame_type === 'reset_stream' || f.frame_type === 'reset_stream_at') onOffset(f.stream_id, f.final_size, time, `${f.frame_type.toUpperCase()} final size`);
      else if (f.frame_type === 'stream_data_blocked') onOffset(f.stream_id, 0, time, 'STREAM_DATA_BLOCKED');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// amplification: RFC 9000 §8.1

function sumRaw(raw: readonly { length?: number }[] | undefined): number {
  let n = 0;
  for (const r of raw ?? []) n += r.length ?? 0;
  return n;
}

/**
 * The `amplification` invariant. The server's qlog gives its bytes as follows:
 *
 * - Sent: `udp_datagrams_sent` raw lengths when the trace has such events, else the sum of
 *   `packet_sent` `raw.length` — exact for tquic, whose datagrams are their packets end to end
 *   (client padding lives inside the last packet as PADDING frames).
 * - Received: `udp_datagrams_received` raw lengths when the trace has such events, else
 *   `packet_received` `raw.length` plus, for each `packet_dropped`, its `raw.length` or, when
 *   absent, `maxDatagramSize`. The last is an estimate (an undecryptable packet's size is not
 *   logged) and errs towards a larger budget, so it can hide a marginal violation in runs with
 *   corrupted or undecryptable packets but never reports a false one there.
 * - Validated: at the first `packet_received` of type handshake (RFC 9000 §8.1: a Handshake
 *   packet proves the client processed the server's Initial) or 1RTT (which needs the same
 *   proof), or at a logged Retry (the connection was created by an Initial carrying its valid
 *   token, RFC 9000 §8.1.2). Address validation by NEW_TOKEN is not visible in the qlog.
 *
 * Checked after each sent event: sent ≤ 3 × received.
 */
function checkAmplification(server: readonly LoggedEvent[], mds: number, out: Violation[]): void {
  const datagramsSent = server.some((l) => l.event.name === 'quic:udp_datagrams_sent');
  const datagramsReceived = server.some((l) => l.event.name === 'quic:udp_datagrams_received');
  let sent = 0;
  let received = 0;
  let over = false;
  const onSent = (n: number, time: Instant): void => {
    sent += n;
    if (sent > 3 * received && !over) {
      over = true;
      out.push({ invariant: 'amplification', side: 'server', time, message: `sent ${sent} bytes before address validation, more than 3 × ${received} received` });
    }
  };
  const onReceived = (n: number): void => {
    received += n;
    if (sent <= 3 * received) over = false;
  };
  for (const { time, event } of server) {
    switch (event.name) {
      case 'quic:udp_datagrams_received':
        onReceived(sumRaw(event.data.raw));
        break;
      case 'quic:udp_datagrams_sent':
        onSent(sumRaw(event.data.raw), time);
        break;
      case 'quic:packet_dropped':
        if (!datagramsReceived) onReceived(event.data.raw?.length ?? mds);
        break;
      case 'quic:packet_received': {
        if (!datagramsReceived) onReceived(event.data.raw?.length ?? 0);
        const t = event.data.header.packet_type;
        if (t === 'handshake' || t === '1RTT') return;
        break;
      }
      case 'quic:packet_sent':
        // A server connection whose log opens with its Retry exists only because the client's
        // next Initial returned a valid Retry token: its address is validated (RFC 9000 §8.1.2).
        if (event.data.header.packet_type === 'retry') return;
        if (!datagramsSent) onSent(event.data.raw?.length ?? 0, time);
        break;
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// packet_number: RFC 9000 §12.3

/** RFC 9000 §12.3 / events §8.7: the space of a packet type; undefined for types without one. */
function spaceOf(h: PacketHeader): string | undefined {
  switch (h.packet_type) {
    case 'initial':
      return 'initial';
    case 'handshake':
      return 'handshake';
    case '0RTT':
    case '1RTT':
      return 'application_data';
    default:
      return undefined;
  }
}

/** The `packet_number` invariant for the packets `side` sends. */
function checkPacketNumbers(side: Side, own: readonly LoggedEvent[], out: Violation[]): void {
  const last = new Map<string, number>();
  for (const { time, event } of own) {
    if (event.name !== 'quic:packet_sent') continue;
    const pn = event.data.header.packet_number;
    const space = spaceOf(event.data.header);
    if (pn === undefined || space === undefined) continue;
    // draft-ietf-quic-multipath-21 §2.3: one application data space per path.
    const key = event.data.path_id === undefined ? space : `${space} path ${event.data.path_id}`;
    const prev = last.get(key);
    if (prev !== undefined && pn <= prev) {
      out.push({ invariant: 'packet_number', side, time, message: `${key}: packet number ${pn} sent after ${prev}` });
    }
    last.set(key, prev === undefined ? pn : Math.max(prev, pn));
  }
}

// ---------------------------------------------------------------------------------------------
// frame_legality: RFC 9000 §12.4, §12.5

/** A numeric frame type with the legality of a qlog frame (events §8.13); undefined if unknowable. */
export function frameTypeOfQlog(f: QlogFrame): number | undefined {
  switch (f.frame_type) {
    case 'padding':
      return FrameType.PADDING;
    case 'ping':
      return FrameType.PING;
    case 'ack':
      return FrameType.ACK;
    case 'reset_stream':
    // draft-ietf-quic-reliable-stream-reset §4: RESET_STREAM_AT goes where RESET_STREAM may.
    case 'reset_stream_at':
      return FrameType.RESET_STREAM;
    case 'stop_sending':
      return FrameType.STOP_SENDING;
    case 'crypto':
      return FrameType.CRYPTO;
    case 'new_token':
      return FrameType.NEW_TOKEN;
    case 'stream':
      return FrameType.STREAM;
    case 'max_data':
      return FrameType.MAX_DATA;
    case 'max_stream_data':
      return FrameType.MAX_STREAM_DATA;
    case 'max_streams':
      return f.stream_type === 'unidirectional' ? FrameType.MAX_STREAMS_UNI : FrameType.MAX_STREAMS_BIDI;
    case 'data_blocked':
      return FrameType.DATA_BLOCKED;
    case 'stream_data_blocked':
      return FrameType.STREAM_DATA_BLOCKED;
    case 'streams_blocked':
      return f.stream_type === 'unidirectional' ? FrameType.STREAMS_BLOCKED_UNI : FrameType.STREAMS_BLOCKED_BIDI;
    case 'new_connection_id':
      return FrameType.NEW_CONNECTION_ID;
    case 'retire_connection_id':
      return FrameType.RETIRE_CONNECTION_ID;
    case 'path_challenge':
      return FrameType.PATH_CHALLENGE;
    case 'path_response':
      return FrameType.PATH_RESPONSE;
    case 'connection_close':
      // RFC 9000 §19.19: 0x1d (application) is 0-RTT/1-RTT only; 0x1c goes anywhere.
      return f.error_space === 'application' ? FrameType.APPLICATION_CLOSE : FrameType.CONNECTION_CLOSE;
    case 'handshake_done':
      return FrameType.HANDSHAKE_DONE;
    case 'datagram':
      return FrameType.DATAGRAM;
    case 'unknown':
      return f.frame_type_bytes;
    default:
      return undefined;
  }
}

/** events §8.6 packet types that carry frames, as wire/legality.ts names them. */
function wirePacketType(t: PacketHeader['packet_type']): PacketType | undefined {
  switch (t) {
    case 'initial':
      return 'initial';
    case 'handshake':
      return 'handshake';
    case '0RTT':
      return '0rtt';
    case '1RTT':
      return '1rtt';
    default:
      return undefined;
  }
}

/** The `frame_legality` invariant for the packets `side` sends and receives. */
function checkFrameLegality(side: Side, own: readonly LoggedEvent[], out: Violation[]): void {
  for (const { time, event } of own) {
    if (!isPacket(event)) continue;
    const frames = event.data.frames;
    if (frames === undefined) continue;
    const verb = event.name === 'quic:packet_sent' ? 'sent' : 'received';
    const h = event.data.header;
    const what = `${verb} ${h.packet_type} packet${h.packet_number === undefined ? '' : ` ${h.packet_number}`}`;
    const pt = wirePacketType(h.packet_type);
    if (pt === undefined) {
      if (frames.length > 0) out.push({ invariant: 'frame_legality', side, time, message: `${what} lists ${frames.length} frames; this packet type carries none` });
      continue;
    }
    // RFC 9000 §12.4: a packet carries at least one frame.
    if (frames.length === 0) out.push({ invariant: 'frame_legality', side, time, message: `${what} has no frames` });
    for (const f of frames) {
      const type = frameTypeOfQlog(f);
      if (type === undefined || !isKnownFrameType(type)) {
        const name = f.frame_type === 'unknown' ? `unknown frame type 0x${f.frame_type_bytes.toString(16)}` : `frame ${f.frame_type}`;
        out.push({ invariant: 'frame_legality', side, time, message: `${what} carries ${name}, which has no known packet types` });
      } else if (!isFrameAllowed(type, pt)) {
        const name = 'frame_name' in f && f.frame_name !== undefined ? f.frame_name : f.frame_type;
        out.push({ invariant: 'frame_legality', side, time, message: `${what} carries a ${name} frame, not allowed in ${h.packet_type} packets` });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// recovery: RFC 9002 §7.2

/** The `recovery` invariant for `side`'s recovery metrics. */
function checkRecovery(side: Side, own: readonly LoggedEvent[], mds: number, out: Violation[]): void {
  const minWindow = 2 * mds;
  for (const { time, event } of own) {
    if (event.name !== 'quic:recovery_metrics_updated') continue;
    const d = event.data;
    const path = d.path_id === undefined ? '' : ` (path ${d.path_id})`;
    if (d.bytes_in_flight !== undefined && d.bytes_in_flight < 0) out.push({ invariant: 'recovery', side, time, message: `bytes_in_flight ${d.bytes_in_flight} is negative${path}` });
    if (d.packets_in_flight !== undefined && d.packets_in_flight < 0) out.push({ invariant: 'recovery', side, time, message: `packets_in_flight ${d.packets_in_flight} is negative${path}` });
    if (d.congestion_window !== undefined && d.congestion_window < minWindow) {
      out.push({ invariant: 'recovery', side, time, message: `congestion_window ${d.congestion_window} is below the minimum window ${minWindow} (2 × ${mds})${path}` });
    }
  }
}
