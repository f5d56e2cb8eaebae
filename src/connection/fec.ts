/**
 * Forward error correction in the connection (specs/fec.md B7): negotiation by transport
 * parameters, the SID frame on protected packets, REPAIR frames in their own packets, and
 * recovered packets re-parsed with a "recovered" flag. The codes and the redundancy policies
 * are in fec/; this module is the glue.
 *
 * - Negotiation (B1, B7 §1): fec_version 0xfec002 (empty), encoder schemes 0xfece01, decoder
 *   schemes 0xfecd02, max_symbol_num 0xfecb02. An endpoint configured with `fec` offers its own
 *   scheme as encoder and every scheme it decodes (its own first). The server picks the first
 *   of its encoder schemes in the client's decoder list and the first of its decoder schemes in
 *   the client's encoder list and echoes exactly one per list; a client that gets more than
 *   one, or a scheme it did not offer, runs without FEC. So does anyone whose peer sent no
 *   fec_version: FEC is then off cleanly, and SID or REPAIR frames from the peer are a
 *   PROTOCOL_VIOLATION (frames.ts).
 * - Sender: 1-RTT packets with STREAM or DATAGRAM frames end with a SID frame; the payload
 *   before it is the source symbol. Repairs go in their own packets (an ACK may ride along),
 *   ack-eliciting and congestion-controlled, never retransmitted. With multipath they may go on
 *   another path (`repairPath`).
 * - Receiver (B7 §5): recovered payloads are parsed as 1-RTT payloads; STREAM, DATAGRAM and
 *   the other frames that are idempotent apply, ACK, PATH_* and the path-validation frames are
 *   ignored. The recovered packet is never acknowledged (it has no packet number here), so the
 *   sender still sees the loss and its congestion controller reacts (RFC 9265 §2, §4). A
 *   DATAGRAM of a packet that was recovered and then arrives late is not delivered twice.
 */
import type { Instant } from '../util/time.js';
import type { ByteWriter } from '../util/bytes.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import {
  DEFAULT_FEC_LIMITS,
  FEC_SCHEMES,
  FecReceiver,
  FecScheme,
  FecSender,
  adaptivePolicy,
  createFecPolicy,
  fixedPolicy,
  isKnownFecScheme,
  parseRatio,
  type AdaptiveOptions,
  type FecPolicy,
  type FecRecoveredPacket,
  type FecSchemeId,
} from '../fec/index.js';
import { frameLength } from '../wire/frame-codec.js';
import { framesToQlog } from '../qlog/frames.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { checkFrameAllowed } from '../wire/legality.js';
import { frameTypeOf, type AckRange, type Frame, type RepairFrame, type SymbolAckFrame } from '../wire/frame.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { Connection } from './connection.js';
import type { Path } from './path.js';
import type { RecoveryToken } from './types.js';

/** Scheme names for options and the CLI. */
export type FecSchemeName = 'xor' | 'rs' | 'rlc' | 'rlc2';

/**
 * Forward error correction options of a connection (ConnectionConfig.fec; specs/fec.md): the scheme
 * we encode with and the redundancy policy.
 */
export interface FecConfig {
  /** The code we encode with (default 'rs'); we decode every scheme. */
  scheme?: FecSchemeName;
  /** Fixed redundancy "k:r" (default "10:2"): r repairs per k source packets. */
  ratio?: string | [number, number];
  /**
   * Adaptive redundancy instead of a fixed ratio: repairs per block chosen from the measured
   * loss rate to reach a residual loss `target` (true: the defaults of `adaptivePolicy`).
   */
  adaptive?: boolean | AdaptiveOptions;
  /** A registered policy by name (fec/policy.ts), or a policy object; 'off' sends no repairs. */
  policy?: string | FecPolicy;
  /** Options for the factory of a `policy` given by name (a plug-in's, say); plain data. */
  policyOptions?: Record<string, unknown>;
  /**
   * Multipath: where repair packets go. 'same' (default): wherever the scheduler sends;
   * 'other': a usable path other than the one that carries the most data (path 0 first);
   * 'backup': a path the peer or we marked backup (XQUIC's backup FEC), else as 'same'.
   */
  repairPath?: 'same' | 'other' | 'backup';
  /**
   * The longest a block waits for more sources while more data is queued behind it (held by the
   * congestion window or pacing) before it is closed with its share of repairs (µs; default half
   * the smoothed RTT). A block is closed at once when nothing more is waiting to be sent, so
   * sparse traffic gets its repairs right after its last packet, whatever this delay.
   */
  maxDelay?: number;
  /**
   * Feedback (specs/fec.md B7 item 6; default true): advertise fec_symbol_ack (0xfec003); when
   * the peer does too, the receiver reports the packets it rebuilt in SYMBOL_ACK frames and the
   * sender does not retransmit their data (the loss still counts for congestion control).
   */
  feedback?: boolean;
  /** max_symbol_num we advertise: sources per block or RLC window we decode (1..245, default 48). */
  maxSymbols?: number;
}

/** Repairs waiting at most (their blocks are long past when more wait). */
const MAX_QUEUED_REPAIRS = 64;
/** Sender: protected packets whose data a SYMBOL_ACK may settle, at most. */
const MAX_REMEMBERED = 4096;
/** Receiver: ranges per SYMBOL_ACK at most (older IDs are not reported: their data gets retransmitted). */
const MAX_SYMBOL_ACK_RANGES = 32;

const SCHEME_IDS: Readonly<Record<FecSchemeName, FecSchemeId>> = { xor: FecScheme.XOR, rs: FecScheme.REED_SOLOMON, rlc: FecScheme.RLC_GF256, rlc2: FecScheme.RLC_GF2 };
/** Decoders we implement, in our order of preference. */
const ALL_SCHEMES: readonly FecSchemeId[] = [FecScheme.REED_SOLOMON, FecScheme.RLC_GF256, FecScheme.XOR, FecScheme.RLC_GF2];

/** The scheme ID of a name; a RangeError for an unknown one. */
export function fecSchemeId(name: string): FecSchemeId {
  const id = SCHEME_IDS[name as FecSchemeName];
  if (id === undefined) throw new RangeError(`unknown FEC scheme "${name}" (xor, rs, rlc, rlc2)`);
  return id;
}

/** The policy a configuration asks for (checked when the connection is created). */
export function fecPolicyOf(c: FecConfig): FecPolicy {
  if (typeof c.policy === 'object') return c.policy;
  if (typeof c.policy === 'string' && c.policy !== 'fixed' && c.policy !== 'adaptive') return createFecPolicy(c.policy, c.policyOptions ?? {});
  if (c.adaptive !== undefined && c.adaptive !== false) {
    const base: AdaptiveOptions = c.ratio !== undefined ? { k: parseRatio(c.ratio)[0], maxRepair: Math.max(1, parseRatio(c.ratio)[1]) } : {};
    return adaptivePolicy({ ...base, ...(typeof c.adaptive === 'object' ? c.adaptive : {}) });
  }
  if (c.policy === 'adaptive') return adaptivePolicy();
  return fixedPolicy(...parseRatio(c.ratio ?? '10:2'));
}

/** Checks a configuration up front (a RangeError names what is wrong). */
export function checkFecConfig(c: FecConfig): void {
  fecSchemeId(c.scheme ?? 'rs');
  fecPolicyOf(c);
  const m = c.maxSymbols ?? DEFAULT_FEC_LIMITS.maxSourceSymbols;
  // A block of maxSymbols sources and its repairs (at most 10) must fit a code of 255 symbols.
  if (!Number.isInteger(m) || m < 1 || m > 245) throw new RangeError('fec.maxSymbols must be an integer in 1..245');
  if (c.maxDelay !== undefined && !(Number.isFinite(c.maxDelay) && c.maxDelay >= 0)) throw new RangeError('fec.maxDelay must be a non-negative number of µs');
  if (c.repairPath !== undefined && !['same', 'other', 'backup'].includes(c.repairPath)) throw new RangeError('fec.repairPath must be same, other or backup');
}

/** FEC figures of a connection (stats().fec). */
export interface FecStats {
  /** Schemes in use: what we encode with and what we decode. */
  encoder: string;
  decoder: string;
  policy: string;
  /** SYMBOL_ACK feedback in use (both ends advertised it). */
  feedback: boolean;
  /** Our packets the peer reported rebuilt (SYMBOL_ACK), whose data we then did not retransmit. */
  peerRecovered: number;
  /** Packets we sent with a SID frame, REPAIR frames sent / acknowledged / lost. */
  sourcesSent: number;
  repairsSent: number;
  repairsAcked: number;
  repairsLost: number;
  /** Protected packets and REPAIR frames received, packets rebuilt from them. */
  sourcesReceived: number;
  repairsReceived: number;
  packetsRecovered: number;
  /** The loss rate the sender measures (what an adaptive policy works from). */
  lossRate: number;
}

/** The FEC state of a connection once negotiated. */
export class FecState {
  readonly sender: FecSender;
  readonly receiver: FecReceiver;
  readonly repairPath: 'same' | 'other' | 'backup';
  /** SYMBOL_ACK feedback negotiated. */
  readonly feedback: boolean;
  /** Receiver: IDs rebuilt and not reported yet (SYMBOL_ACK). */
  readonly symbolAcksPending: number[] = [];
  /**
   * Sender, with feedback: the stream data of recent protected packets by Source Payload ID, as
   * (stream ID, offset, length, fin) quadruples, so that a SYMBOL_ACK settles it.
   */
  readonly protectedData = new Map<number, number[]>();
  peerRecovered = 0;
  repairsSent = 0;
  repairsAcked = 0;
  repairsLost = 0;
  repairsDropped = 0;
  /** Payloads rebuilt while a packet was processed, handled after it. */
  readonly recoveredQueue: FecRecoveredPacket[] = [];
  /** The packet being processed was recovered before it arrived: its DATAGRAMs were delivered. */
  skipDatagrams = false;
  /** When the open block is closed if it has not filled by then (`maxDelay`). */
  blockDeadline: Instant | undefined = undefined;
  readonly decoder = new FrameDecoder();
  readonly frames: Frame[] = [];
  private lossEstimate = 0;
  private lastSent = 0;
  private lastLost = 0;

  constructor(sender: FecSender, receiver: FecReceiver, repairPath: 'same' | 'other' | 'backup', feedback: boolean) {
    this.sender = sender;
    this.receiver = receiver;
    this.repairPath = repairPath;
    this.feedback = feedback;
  }

  /** The loss rate measured over the connection's paths, smoothed over windows of 100 packets. */
  lossRate(conn: Connection): number {
    const sent = conn.packetsSent;
    const lost = conn.packetsLost;
    const ds = sent - this.lastSent;
    if (ds >= 100) {
      const sample = Math.min(1, (lost - this.lastLost) / ds);
      this.lossEstimate = this.lastSent === 0 ? sample : 0.75 * this.lossEstimate + 0.25 * sample;
      this.lastSent = sent;
      this.lastLost = lost;
    }
    return this.lossEstimate;
  }

  stats(): FecStats {
    return {
      encoder: FEC_SCHEMES[this.sender.scheme],
      decoder: FEC_SCHEMES[this.receiver.scheme],
      policy: this.sender.policyName,
      feedback: this.feedback,
      peerRecovered: this.peerRecovered,
      sourcesSent: this.sender.sourcesProtected,
      repairsSent: this.repairsSent,
      repairsAcked: this.repairsAcked,
      repairsLost: this.repairsLost,
      sourcesReceived: this.receiver.sourcesReceived,
      repairsReceived: this.receiver.repairsReceived,
      packetsRecovered: this.receiver.recovered,
      lossRate: this.lossEstimate,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Negotiation

function ownEncoder(c: FecConfig): FecSchemeId {
  return fecSchemeId(c.scheme ?? 'rs');
}

function ownDecoders(c: FecConfig): FecSchemeId[] {
  const own = ownEncoder(c);
  return [own, ...ALL_SCHEMES.filter((s) => s !== own)];
}

/** Server: the schemes chosen from the client's offer (first of ours in theirs), or undefined. */
function serverChoice(c: FecConfig, client: TransportParameters): { encoder: FecSchemeId; decoder: FecSchemeId } | undefined {
  if (!client.fecVersion) return undefined;
  const theirDecoders = client.fecDecoderSchemes ?? [];
  const theirEncoders = client.fecEncoderSchemes ?? [];
  const encoder = [ownEncoder(c)].find((s) => theirDecoders.includes(s));
  const decoder = ownDecoders(c).find((s) => theirEncoders.includes(s));
  if (encoder === undefined || decoder === undefined) return undefined;
  return { encoder, decoder };
}

/**
 * Our FEC transport parameters. A client offers; a server answers the client's offer (its
 * parameters are written after the ClientHello's), with nothing when there is nothing in common.
 */
export function addFecParameters(conn: Connection, tp: TransportParameters, client: TransportParameters | undefined): void {
  const c = conn.config.fec;
  if (c === undefined) return;
  const maxSymbols = c.maxSymbols ?? DEFAULT_FEC_LIMITS.maxSourceSymbols;
  if (conn.isClient) {
    tp.fecVersion = true;
    tp.fecEncoderSchemes = [ownEncoder(c)];
    tp.fecDecoderSchemes = ownDecoders(c);
    tp.fecMaxSymbolNum = maxSymbols;
    tp.fecSymbolAck = c.feedback !== false;
    return;
  }
  const choice = client === undefined ? undefined : serverChoice(c, client);
  if (choice === undefined) return;
  tp.fecVersion = true;
  tp.fecEncoderSchemes = [choice.encoder];
  tp.fecDecoderSchemes = [choice.decoder];
  tp.fecMaxSymbolNum = maxSymbols;
  tp.fecSymbolAck = c.feedback !== false;
}

/** With the peer's parameters: FEC on (conn.fec) when both sides agree, else off. */
export function negotiateFec(conn: Connection, peer: TransportParameters): void {
  conn.fec = undefined;
  const c = conn.config.fec;
  if (c === undefined || !peer.fecVersion) return;
  let encoder: FecSchemeId;
  let decoder: FecSchemeId;
  if (conn.isClient) {
    // B1: the server echoes exactly one scheme per list, among those we offered.
    const enc = peer.fecDecoderSchemes ?? [];
    const dec = peer.fecEncoderSchemes ?? [];
    if (enc.length !== 1 || dec.length !== 1) return;
    if (!isKnownFecScheme(enc[0]!) || !isKnownFecScheme(dec[0]!)) return;
    if (enc[0] !== ownEncoder(c) || !ownDecoders(c).includes(dec[0])) return;
    encoder = enc[0];
    decoder = dec[0];
  } else {
    const choice = serverChoice(c, peer);
    if (choice === undefined) return;
    ({ encoder, decoder } = choice);
  }
  const ours = c.maxSymbols ?? DEFAULT_FEC_LIMITS.maxSourceSymbols;
  const limits = { maxSourceSymbols: ours, maxWindow: ours };
  const sender = new FecSender(encoder, fecPolicyOf(c), { maxSymbols: Math.max(1, Math.min(peer.fecMaxSymbolNum ?? DEFAULT_FEC_LIMITS.maxSourceSymbols, 254)) });
  conn.fec = new FecState(sender, new FecReceiver(decoder, limits), c.repairPath ?? 'same', c.feedback !== false && peer.fecSymbolAck);
}

// ---------------------------------------------------------------------------------------------
// Sending

/** The FEC sender when this connection protects what it sends (negotiated and not 'off'). */
export function protecting(conn: Connection): FecSender | undefined {
  const f = conn.fec;
  return f !== undefined && f.sender.active ? f.sender : undefined;
}

/** Bytes the SID frame of the next protected packet takes. */
export function sidLength(sender: FecSender): number {
  return frameLength({ kind: 'sid', flowId: 0, sourcePayloadId: sender.nextSourceId });
}

/** The SID frame of the next protected packet. */
export function sidFrame(sender: FecSender): Frame {
  return { kind: 'sid', flowId: 0, sourcePayloadId: sender.nextSourceId };
}

/**
 * After a protected packet's SID was written: its payload `buf[start, end)` becomes a source
 * symbol. The open block is closed at once — so that repairs follow the burst rather than
 * wait for packets that may not come — when nothing more waits to be sent, or when the
 * sender was in that state within the last two round trips: sparse traffic (messages) whose
 * next packet is held by the congestion window is not bulk traffic, and its repair should not
 * wait for the window to open.
 */
export function onProtectedPacket(conn: Connection, now: Instant, buf: Uint8Array, start: number, end: number, tokens: readonly RecoveryToken[], tokenCount: number): void {
  const fec = conn.fec!;
  const rate = fec.lossRate(conn);
  if (fec.feedback) rememberData(fec, fec.sender.nextSourceId, tokens, tokenCount);
  fec.sender.addSource(buf, start, end - start, rate);
  if (conn.datagramQueue.length === 0 && !conn.streams.hasPendingData()) fec.sender.flush(rate);
  if (fec.sender.pending === 0) fec.blockDeadline = undefined;
  else fec.blockDeadline ??= now + fecMaxDelay(conn);
  stampRepairs(fec, now);
}

/** Sender, with feedback: the packet's stream data, by its Source Payload ID (bounded). */
function rememberData(fec: FecState, id: number, tokens: readonly RecoveryToken[], n: number): void {
  let data: number[] | undefined;
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'stream') continue;
    (data ??= []).push(t.id, t.offset, t.length, t.fin ? 1 : 0);
  }
  if (data === undefined) return;
  fec.protectedData.set(id, data);
  if (fec.protectedData.size > MAX_REMEMBERED) fec.protectedData.delete(fec.protectedData.keys().next().value!);
}

/**
 * SYMBOL_ACK (B7 item 6): the peer rebuilt these packets. Their stream data count as delivered,
 * so the packets' loss (still declared, and still a congestion signal, RFC 9265) requeues
 * nothing. Without feedback negotiated the frame is a PROTOCOL_VIOLATION.
 */
export function onSymbolAck(conn: Connection, f: SymbolAckFrame): void {
  const fec = conn.fec;
  if (fec === undefined || !fec.feedback) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameTypeOf(f), 'SYMBOL_ACK without fec_symbol_ack negotiated');
  const known = fec.protectedData;
  // The ranges are walked only as far as we remember packets (bounded work for any frame).
  let budget = known.size;
  for (const r of f.ranges) {
    if (r.largest - r.smallest + 1 > budget) {
      for (const [id, data] of known) if (id >= r.smallest && id <= r.largest) settle(conn, fec, id, data);
      continue;
    }
    for (let id = r.smallest; id <= r.largest; id++) {
      budget--;
      const data = known.get(id);
      if (data !== undefined) settle(conn, fec, id, data);
    }
  }
}

function settle(conn: Connection, fec: FecState, id: number, data: number[]): void {
  fec.protectedData.delete(id);
  fec.peerRecovered++;
  for (let i = 0; i < data.length; i += 4) conn.streams.onAcked({ kind: 'stream', id: data[i]!, offset: data[i + 1]!, length: data[i + 2]!, fin: data[i + 3] === 1 });
}

/** Receiver, with feedback: the SYMBOL_ACK frame for the IDs rebuilt so far (then forgotten). */
export function takeSymbolAck(fec: FecState): SymbolAckFrame | undefined {
  const ids = fec.symbolAcksPending;
  if (ids.length === 0) return undefined;
  ids.sort((a, b) => b - a);
  const ranges: AckRange[] = [];
  for (const id of ids) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && (id === last.smallest || id === last.smallest - 1)) last.smallest = id;
    else if (ranges.length < MAX_SYMBOL_ACK_RANGES) ranges.push({ smallest: id, largest: id });
  }
  ids.length = 0;
  return { kind: 'symbol_ack', ackDelay: 0, ranges, ecn: undefined };
}

/** Stamps newly queued repairs with the time, and keeps the queue bounded. */
function stampRepairs(fec: FecState, now: Instant): void {
  const q = fec.sender.queue;
  for (let i = q.length - 1; i >= 0 && q[i]!.queuedAt === undefined; i--) q[i]!.queuedAt = now;
  // Repairs that could not go out for so long are stale: the oldest give way.
  while (q.length > MAX_QUEUED_REPAIRS) {
    q.shift();
    fec.repairsDropped++;
  }
}

/** How long a block may wait to fill: `fec.maxDelay`, by default half the smoothed RTT. */
export function fecMaxDelay(conn: Connection): number {
  const d = conn.config.fec?.maxDelay;
  return d !== undefined ? d : conn.recovery.rtt.smoothed / 2;
}

/**
 * The block timer (timers.ts): the open block is closed with its share of repairs — unless
 * data waits to be sent (the window holds it), which will fill the block.
 */
export function onFecTimeout(conn: Connection, now: Instant): void {
  const fec = conn.fec;
  if (fec === undefined || fec.blockDeadline === undefined || now < fec.blockDeadline) return;
  if (conn.datagramQueue.length > 0 || conn.streams.hasPendingData()) {
    fec.blockDeadline = now + fecMaxDelay(conn);
    return;
  }
  fec.blockDeadline = undefined;
  fec.sender.flush(fec.lossRate(conn));
  stampRepairs(fec, now);
}

/** Repairs are waiting to be sent on `path` (the repair path, when one is configured). */
export function repairsFor(conn: Connection, path: Path): boolean {
  const fec = conn.fec;
  if (fec === undefined || fec.sender.queue.length === 0 || !path.usable) return false;
  const target = repairPathOf(conn);
  return target === undefined || target === path;
}

/** Multipath: the path repairs should take, or undefined for "any". */
export function repairPathOf(conn: Connection): Path | undefined {
  const fec = conn.fec;
  const mp = conn.mp;
  if (fec === undefined || mp === undefined || fec.repairPath === 'same' || mp.paths.size < 2) return undefined;
  let best: Path | undefined;
  for (const p of mp.paths.values()) {
    if (!p.usable) continue;
    if (fec.repairPath === 'backup' ? p.localBackup || p.peerBackup : p !== conn.path) {
      if (best === undefined || p.id < best.id) best = p;
    }
  }
  return best;
}

/**
 * Writes queued REPAIR frames while they fit. A repair too large for an empty packet on this
 * path (`maxRoom`: the path's MTU shrank) is dropped: repairs are never worth a retransmission.
 * Repairs of blocks closed early (sparse traffic) yield to data waiting to be sent, and are
 * dropped once older than a quarter of the smoothed RTT (the window is the bottleneck then, and
 * a late repair would only delay the data it protects, which retransmission recovers): extra
 * protection must not starve the traffic it protects when the congestion window is small.
 */
export function writeRepairs(conn: Connection, now: Instant, fw: ByteWriter, maxRoom: number, put: (f: Frame, sources: number) => void): void {
  const fec = conn.fec!;
  const q = fec.sender.queue;
  const dataWaits = conn.datagramQueue.length > 0 || conn.streams.hasPendingData();
  const stale = now - conn.recovery.rtt.smoothed / 4;
  let i = 0;
  while (i < q.length) {
    const r = q[i]!;
    if (r.partial && (r.queuedAt ?? now) < stale) {
      q.splice(i, 1);
      fec.repairsDropped++;
      continue;
    }
    if (r.partial && dataWaits) {
      i++;
      continue;
    }
    const f: RepairFrame = { kind: 'repair', flowId: 0, fssEsi: r.fssEsi, repairPayloadId: r.repairPayloadId, repairKey: r.repairKey, repairSymbol: r.repairSymbol };
    const len = frameLength(f);
    if (len > maxRoom) {
      q.splice(i, 1);
      fec.repairsDropped++;
      continue;
    }
    if (len > fw.remaining) return;
    q.splice(i, 1);
    put(f, r.sources);
    fec.repairsSent++;
  }
}

export function logRepairSent(conn: Connection, now: Instant, f: RepairFrame, pathId: number): void {
  conn.qlog?.event(now, {
    name: 'tquic:fec_repair_sent',
    data: { fss_esi: f.fssEsi, repair_payload_id: f.repairPayloadId, length: f.repairSymbol.length, path_id: pathId },
  });
}

// ---------------------------------------------------------------------------------------------
// Receiving

/**
 * Before a 1-RTT packet's frames are handled: a SID frame (at payload offset `sidAt`, -1 when
 * none) makes the payload before it a source symbol. SID must be the last frame but for
 * PADDING (B7 §3).
 */
export function onPacketSources(conn: Connection, frames: readonly Frame[], buf: Uint8Array, payloadStart: number, sidAt: number): void {
  const fec = conn.fec;
  let sid = -1;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.kind === 'sid') {
      if (sid >= 0) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameTypeOf(f), 'two SID frames in a packet');
      sid = i;
    } else if (sid >= 0 && f.kind !== 'padding') {
      throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameTypeOf(frames[sid]!), 'SID frame not the last frame of its packet');
    }
  }
  if (sid < 0) return;
  const f = frames[sid] as Extract<Frame, { kind: 'sid' }>;
  // Without FEC negotiated the frame handler reports the violation.
  if (fec === undefined || sidAt < 0) return;
  if (f.flowId !== 0) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameTypeOf(f), 'SID frame with a Flow ID other than 0');
  fec.skipDatagrams = fec.receiver.wasRecovered(f.sourcePayloadId);
  const out = fec.receiver.onSource(f.sourcePayloadId, buf, payloadStart, sidAt);
  for (let i = 0; i < out.length; i++) fec.recoveredQueue.push(out[i]!);
}

/** A REPAIR frame (frames.ts). */
export function onRepairFrame(conn: Connection, f: RepairFrame): void {
  const fec = conn.fec!;
  if (f.flowId !== 0) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameTypeOf(f), 'REPAIR frame with a Flow ID other than 0');
  const out = fec.receiver.onRepair(f.fssEsi, f.repairPayloadId, f.repairKey, f.repairSymbol);
  for (let i = 0; i < out.length; i++) fec.recoveredQueue.push(out[i]!);
}

/** Frames of a recovered payload that are applied; the others are ignored (B7 §5). */
function appliesWhenRecovered(f: Frame): boolean {
  switch (f.kind) {
    case 'stream':
    case 'datagram':
    case 'reset_stream':
    case 'stop_sending':
    case 'max_data':
    case 'max_stream_data':
    case 'max_streams':
    case 'data_blocked':
    case 'stream_data_blocked':
    case 'streams_blocked':
    case 'crypto':
    case 'new_token':
    case 'handshake_done':
      return true;
    default:
      return false;
  }
}

/**
 * After a packet: the payloads it let us rebuild, parsed and applied as recovered packets.
 * `handle` is the frame dispatcher (frames.ts).
 */
export function processRecovered(conn: Connection, now: Instant, handle: (f: Frame) => void): void {
  const fec = conn.fec;
  if (fec === undefined) return;
  const q = fec.recoveredQueue;
  while (q.length > 0) {
    const r = q.shift()!;
    if (fec.feedback && fec.symbolAcksPending.length < 256) {
      fec.symbolAcksPending.push(r.id);
      // Reported at once, with an immediate ACK of the packet that completed the decoding.
      (conn.rxPath ?? conn.path).space.ack.ackNow = true;
    }
    const frames = fec.decoder.decode(r.payload, 0, r.payload.length, fec.frames);
    for (let i = 0; i < frames.length; i++) checkFrameAllowed(frameTypeOf(frames[i]!), '1rtt');
    if (conn.qlog !== undefined) {
      conn.qlog.event(now, { name: 'tquic:fec_packet_recovered', data: { source_payload_id: r.id, length: r.payload.length, frames: framesToQlog(frames.filter(appliesWhenRecovered)) } });
    }
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (!appliesWhenRecovered(f)) continue;
      handle(f);
      if (conn.state === 'draining' || conn.state === 'closed') return;
    }
  }
}
