/**
 * The packet builder (RFC 9000 §12.2, §13, §14; DESIGN §4 rule 1): one datagram at a time,
 * coalescing Initial, Handshake and 1-RTT packets. Frames are written straight into the
 * datagram buffer — stream and CRYPTO bytes copied once, from the send buffer — in the order
 * ACK, CRYPTO, control frames, stream data; then every packet is sealed in place.
 *
 * Limits applied: the peer's max_udp_payload_size; anti-amplification (3× received before
 * address validation, §8.1); the congestion window and pacer for ack-eliciting packets (RFC 9002
 * §7), except PTO probes; client Initials padded to 1200 bytes (§14.1).
 */
import { protectPacket } from '../crypto/packet-protection.js';
import { ByteWriter } from '../util/bytes.js';
import { sameAddress, type Datagram, type SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { varintLength } from '../util/varint.js';
import { ErrorCode } from '../util/transport-error.js';
import { encodeFrame, encodeStreamHeader, frameLength, streamHeaderLength } from '../wire/frame-codec.js';
import type { Frame } from '../wire/frame.js';
import { patchLongHeaderLength, writeLongHeader, writeShortHeader } from '../wire/header.js';
import { packetNumberLength } from '../wire/packet-number.js';
import type { SentPacket } from '../recovery/history.js';
import { framesToQlog } from '../qlog/frames.js';
import { wants } from '../qlog/events.js';
import { qlogVersion } from '../qlog/common.js';
import type { Connection } from './connection.js';
import { APPDATA, HANDSHAKE, INITIAL, type RecoveryToken, type SpaceId } from './types.js';
import { zeroRttWriteKeys } from './early-data.js';
import { mtuProbeSize, ptoProbeLimit } from './pmtu.js';
import { hasMultipathFrames, onPathChallengeSent, pathFailing, writeMultipathFrames } from './multipath.js';
import type { Path } from './path.js';
import { onValidationChallengeSent } from './migration.js';
import { challengeSent } from './path-probe.js';
import type { PacketSpace } from './space.js';
import { logRepairSent, onProtectedPacket, protecting, repairsFor, sidFrame, sidLength, takeSymbolAck, writeRepairs } from './fec.js';

const TAG = 16;
const NO_TOKEN = new Uint8Array(0);
/** RFC 9000 §14.1 */
const MIN_INITIAL_DATAGRAM = 1200;
/** Smallest room worth opening a packet for. */
const MIN_PACKET_ROOM = 24;
const PACKET_TYPES = ['initial', 'handshake', '1RTT'] as const;

/** A packet being built (one reusable record per space, see `TxScratch`). */
export interface Built {
  space: SpaceId;
  start: number;
  pnOffset: number;
  payloadEnd: number;
  pn: number;
  long: boolean;
  lengthFieldSize: 2 | 4;
  /**
   * The packet's record for the sent history, taken from the connection's pool when the packet
   * is opened. Its token array is reused: tokens are written by index up to `tokenCount`, and
   * the array is cut to that length when the packet is sealed.
   */
  sent: SentPacket<RecoveryToken>;
  tokenCount: number;
  ackEliciting: boolean;
  frames: Frame[] | undefined;
  /** A 0-RTT packet (RFC 9000 §17.2.3): application space, sealed with the 0-RTT keys. */
  zeroRtt: boolean;
}

/** Per-connection scratch of the builder, reused for every datagram (DESIGN §4 rule 2). */
export class TxScratch {
  readonly writer = new ByteWriter(new Uint8Array(0));
  readonly frameWriter = new ByteWriter(new Uint8Array(0));
  /** The packets of the datagram being built: built[0, builtCount). */
  readonly built: Built[] = [];
  builtCount = 0;
  /** The short header's fields, refilled per packet (no literal per packet). */
  readonly shortHeader = { dcid: new Uint8Array(0) as Uint8Array, packetNumber: 0, pnLength: 1 as 1 | 2 | 3 | 4, keyPhase: 0 as 0 | 1 };
  /** The datagram being built carries a PATH_CHALLENGE (padded, §8.2.1). */
  pathChallengeSent = false;
  readonly packets: [Built, Built, Built] = [newBuilt(INITIAL), newBuilt(HANDSHAKE), newBuilt(APPDATA)];
  /**
   * The path the datagram being built goes on (path.ts): its addresses, connection ID,
   * 1-RTT packet-number space, loss recovery, pacer, ECN and PMTU. Set by `buildDatagram`.
   */
  path: Path | undefined = undefined;
  /** The record of the last 1-RTT packet sent (redundant scheduling copies its content). */
  lastAppSent: SentPacket<RecoveryToken> | undefined = undefined;
  /** The packet being written carries STREAM or DATAGRAM frames (FEC protects it, fec.ts). */
  protectable = false;
}

/** The packet-number space of `space` on the path being built (1-RTT: the path's own). */
function pnSpace(conn: Connection, space: SpaceId): PacketSpace {
  return space === APPDATA ? conn.tx.path!.space : conn.spaces[space];
}

/** Placeholder record of a packet record not opened yet. */
const UNSET: SentPacket<RecoveryToken> = { pn: -1, timeSent: 0, size: 0, ackEliciting: false, inFlight: false, tokens: [] };

function newBuilt(space: SpaceId): Built {
  return { space, start: 0, pnOffset: 0, payloadEnd: 0, pn: 0, long: false, lengthFieldSize: 2, sent: UNSET, tokenCount: 0, ackEliciting: false, frames: undefined, zeroRtt: false };
}

/**
 * A path whose 3× limit towards an unvalidated peer address leaves no room: as during the
 * handshake (RFC 9002 §6.2.2.1), no PTO is armed until the peer's next datagram raises the
 * limit, since a probe could not be sent and the backoff would only grow. Not with multipath:
 * there a path's PTO also moves its data to the other paths (failover) and counts towards
 * abandoning it, whether or not a probe can go out.
 */
function blocked(conn: Connection, path: Path): undefined {
  if (conn.mp === undefined) path.recovery.amplificationLimited = true;
  return undefined;
}

export function buildDatagram(conn: Connection, now: Instant, path: Path = conn.path): Datagram | undefined {
  // RFC 9000 §8.2: PATH_CHALLENGE / PATH_RESPONSE owed on another path go first (in the
  // packet-number space of path 0: these are RFC 9000 paths, not multipath ones).
  if (conn.offPathResponses.length > 0 || conn.pathProbe?.challengePending === true) {
    conn.tx.path = conn.path;
    const d = buildOffPathDatagram(conn, now);
    if (d !== undefined) return d;
  }
  conn.tx.path = path;
  // RFC 9000 §14: the path's current maximum datagram size (PMTU discovery, pmtu.ts).
  let limit = Math.min(path.pmtud.current, conn.peerMaxUdpPayload);
  // RFC 9000 §8.1: anti-amplification before the client's address is validated.
  if (!conn.isClient && !conn.addressValidated) {
    const budget = 3 * conn.bytesReceivedUnvalidated - conn.bytesSentUnvalidated;
    path.recovery.amplificationLimited = budget < MIN_INITIAL_DATAGRAM;
    if (budget < MIN_INITIAL_DATAGRAM) return undefined;
    limit = Math.min(limit, budget);
  } else {
    path.recovery.amplificationLimited = false;
  }
  // multipath-21 §3.1: a server sends at most 3× what arrived on a path it has not validated
  // (§3.1.2: nor to a path's new peer address after a migration, `ampLimited`).
  if (!conn.isClient && path.ampLimited) {
    const budget = 3 * path.ampReceived - path.ampSent;
    if (budget < MIN_PACKET_ROOM + TAG + 32) return blocked(conn, path);
    limit = Math.min(limit, budget);
  }
  // RFC 9000 §9.3: the same 3× limit towards a new peer address until it is validated (the
  // address of the connection's own path: with multipath, the other paths are not limited).
  const pv = path === conn.path ? conn.pathValidation : undefined;
  if (pv !== undefined && pv.previousLocal === undefined) {
    const budget = 3 * pv.received - pv.sent;
    if (budget < MIN_PACKET_ROOM + TAG + 32) return blocked(conn, path);
    limit = Math.min(limit, budget);
  }

  const closing = conn.state === 'closing';
  if (closing && !conn.closePending) return undefined;

  const rec = path.recovery;
  let probing = false;
  for (let i = 0; i < 3; i++) {
    const ps = pnSpace(conn, i as SpaceId);
    if (ps.probes > 0 && !conn.spaces[i]!.discarded) probing = true;
  }
  if (probing) limit = ptoProbeLimit(path, limit);
  // RFC 9000 §14.4: a PMTU probe, PING and PADDING in a datagram of exactly the probed size.
  // (Only on a validated path: RFC 9000 §14.3.1; a probe would also override the 3× limit of
  // an unvalidated multipath path, `ampLimited`.)
  const mtuProbe = probing || closing || path.ampLimited ? 0 : mtuProbeSize(conn, path, now);
  if (mtuProbe > 0) limit = mtuProbe;
  // RFC 9002 §7: ack-eliciting packets only within the congestion window (probes excepted).
  let elicitingRoom = probing ? limit : Math.min(limit, rec.cc.cwnd - rec.bytesInFlight);
  const work = hasElicitingWork(conn);
  // RFC 9002 §7.8: the window is not the limit when there is room but nothing to send.
  rec.appLimited = !work && rec.cc.cwnd - rec.bytesInFlight >= limit;
  if (!probing && mtuProbe === 0 && elicitingRoom >= MIN_PACKET_ROOM && work) {
    // RFC 9002 §7.7: pacing.
    const t = path.pacer.nextSendTime(now, limit, rec.cc.cwnd, rec.rtt, rec.cc.pacingRate?.(rec.rtt));
    if (t > now) {
      conn.pacingDeadline = t;
      elicitingRoom = 0;
    } else {
      conn.pacingDeadline = undefined;
    }
  }

  // DESIGN §4 rule 2: the buffer comes from the pool, writers and packet records are reused.
  const ab = conn.pool.take(Math.max(limit, MIN_INITIAL_DATAGRAM));
  const buf = conn.pool.bytes(ab);
  const tx = conn.tx;
  tx.pathChallengeSent = false;
  const w = tx.writer.reset(buf, 0, limit);
  const built = tx.built;
  let nBuilt = 0;
  const logFrames = wants(conn.qlog, 'quic:packet_sent');
  for (let i = INITIAL as number; i <= APPDATA; i++) {
    const space = i as SpaceId;
    const sp = conn.spaces[space];
    // RFC 9001 §4.6.1: before the 1-RTT keys a client may send application data in 0-RTT.
    if (sp.discarded || (!sp.seal && (closing || space !== APPDATA || zeroRttWriteKeys(conn) === undefined))) continue;
    if (limit - w.offset < MIN_PACKET_ROOM + TAG + 1 + 4 + 2 + 2 * 21) break;
    let p: Built | undefined;
    if (closing) p = writeClosePacket(conn, w, space, logFrames);
    else if (mtuProbe > 0) p = space === APPDATA ? writeMtuProbe(conn, w, logFrames) : undefined;
    else p = writePacket(conn, now, w, space, elicitingRoom > MIN_PACKET_ROOM, logFrames);
    if (p) {
      // Indexed writes, never `length = 0` + push: the array keeps its storage (DESIGN §4 rule 2).
      if (nBuilt < built.length) built[nBuilt] = p;
      else built.push(p);
      nBuilt++;
      if (p.ackEliciting && !probing) elicitingRoom -= p.payloadEnd + TAG - p.start;
    }
  }
  tx.builtCount = nBuilt;
  if (nBuilt === 0) {
    conn.pool.give(ab);
    return undefined;
  }

  // RFC 9000 §14.1: datagrams with a client Initial, or a server's ack-eliciting Initial, are
  // padded to 1200 bytes — inside the last packet, as PADDING frames.
  let hasInitial = false;
  let anyEliciting = false;
  let hasHandshake = false;
  for (let i = 0; i < nBuilt; i++) {
    const p = built[i]!;
    if (p.space === INITIAL && (conn.isClient || p.ackEliciting)) hasInitial = true;
    if (p.space === HANDSHAKE) hasHandshake = true;
    if (p.ackEliciting) anyEliciting = true;
  }
  const last = built[nBuilt - 1]!;
  let end = last.payloadEnd + TAG;
  // RFC 9000 §8.2.1: a datagram with PATH_CHALLENGE is expanded to 1200 bytes too, as far as
  // the anti-amplification limit allows.
  const padTo = hasInitial ? MIN_INITIAL_DATAGRAM : tx.pathChallengeSent ? Math.min(MIN_INITIAL_DATAGRAM, limit) : 0;
  if (end < padTo) {
    const extra = padTo - end;
    buf.fill(0, last.payloadEnd, last.payloadEnd + extra);
    last.payloadEnd += extra;
    end += extra;
  }

  // RFC 9000 §13.4.2: one ECN codepoint for the whole datagram; ECT(1) for a scalable (L4S)
  // congestion controller (RFC 9331 §4.1).
  const ect = path.ecn.marking;
  if (ect) path.ecn.codepoint = rec.cc.ecnCodepoint ?? 'ect0';
  for (let i = 0; i < nBuilt; i++) {
    const p = built[i]!;
    const sp = conn.spaces[p.space];
    const ps = pnSpace(conn, p.space);
    if (p.long) patchLongHeaderLength(buf, p.start, p.pnOffset, p.payloadEnd + TAG, p.lengthFieldSize);
    // multipath-21 §2.4: the path ID enters the 1-RTT nonce (0 gives RFC 9001's).
    const size = protectPacket(p.zeroRtt ? zeroRttWriteKeys(conn)! : sp.seal!, p.start === 0 ? buf : buf.subarray(p.start, p.payloadEnd + TAG), p.pnOffset, p.payloadEnd - p.start, p.pn, p.space === APPDATA ? path.id : 0);
    if (p.zeroRtt) conn.early.packetsSent++;
    else if (p.space === APPDATA) {
      // multipath-21 §2.5: every path's packets count for the key update (per-path numbers).
      conn.keyPhase?.onSealed(p.pn, path.id);
      if (path.id === 0) conn.early.firstOneRttPn ??= p.pn;
    }
    const inFlight = p.ackEliciting || (hasInitial && p === last);
    const sent = p.sent;
    p.sent = UNSET;
    sent.pn = p.pn;
    sent.timeSent = now;
    sent.size = size;
    sent.ackEliciting = p.ackEliciting;
    sent.inFlight = inFlight;
    sent.resent = false;
    sent.ect = ect;
    sent.mtuProbe = mtuProbe > 0;
    if (sent.tokens.length !== p.tokenCount) sent.tokens.length = p.tokenCount;
    rec.onPacketSent(now, p.space, sent);
    if (p.space === APPDATA) tx.lastAppSent = sent;
    if (ect) path.ecn.onPacketSent(now, p.space, sent);
    if (inFlight) path.pacer.onPacketSent(now, size);
    conn.packetsSent++;
    if (p.ackEliciting && ps.probes > 0) ps.probes--;
    if (logFrames) {
      conn.qlog!.event(now, {
        name: 'quic:packet_sent',
        data: {
          header: {
            packet_type: p.zeroRtt ? '0RTT' : PACKET_TYPES[p.space],
            packet_number: p.pn,
            ...(p.long ? { version: qlogVersion(conn.version) } : {}),
            ...(p.space === INITIAL && conn.retry.token.length > 0 ? { token: { raw: { length: conn.retry.token.length } } } : {}),
          },
          raw: { length: size },
          ...(conn.mp !== undefined && p.space === APPDATA ? { path_id: path.id } : {}),
          ...(mtuProbe > 0 ? { is_mtu_probe_packet: true } : {}),
          frames: framesToQlog(p.frames!),
        },
      });
    }
  }
  conn.bytesSent += end;
  path.datagramsSent++;
  path.bytesSent += end;
  if (path.ampLimited) path.ampSent += end;
  if (anyEliciting) path.lastSentAt = now;
  if (mtuProbe > 0) path.pmtud.onProbeSent(end);
  if (pv !== undefined) pv.sent += end;
  if (!conn.addressValidated) conn.bytesSentUnvalidated += end;
  if (anyEliciting) {
    // RFC 9000 §10.1: sending the first ack-eliciting packet since the last receive restarts the idle timer.
    if (!conn.sentElicitingSinceReceive && conn.idleTimeout > 0) conn.idleDeadline = now + conn.effectiveIdleTimeout();
    conn.sentElicitingSinceReceive = true;
  }
  // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
  if (conn.isClient && hasHandshake) conn.discardSpace(now, INITIAL);
  const d = conn.pool.datagram(ab, end, path.local, path.remote);
  if (ect) d.ecn = path.ecn.codepoint;
  return d;
}

function hasElicitingWork(conn: Connection): boolean {
  for (let i = 0; i < 3; i++) {
    const sp = conn.spaces[i]!;
    if (!sp.discarded && sp.seal && sp.cryptoSend.hasData) return true;
  }
  const app = conn.spaces[APPDATA];
  if (!app.seal && zeroRttWriteKeys(conn) === undefined) return false;
  const tp = conn.tx.path;
  return (
    conn.handshakeDonePending ||
    conn.retry.newTokenPending !== undefined ||
    conn.pathResponses.length > 0 ||
    conn.pathValidation?.challengePending === true ||
    (tp !== undefined && (tp.challengePending || tp.responses.length > 0)) ||
    hasMultipathFrames(conn) ||
    (tp !== undefined && repairsFor(conn, tp)) ||
    conn.localCids.pending.length > 0 ||
    conn.peerCids.retirePending.length > 0 ||
    conn.datagramQueue.length > 0 ||
    conn.streams.hasPendingData()
  );
}

function openPacket(conn: Connection, w: ByteWriter, space: SpaceId, dcid: Uint8Array = conn.tx.path!.dcid): Built {
  const sp = conn.spaces[space];
  const ps = pnSpace(conn, space);
  const pn = space === APPDATA && sp.seal !== undefined ? nextOneRttPn(conn, ps) : ps.nextPn++;
  const pnLength = packetNumberLength(pn, conn.tx.path!.recovery.largestAcked(space));
  const start = w.offset;
  const zeroRtt = space === APPDATA && !sp.seal;
  const long = space !== APPDATA || zeroRtt;
  const lengthFieldSize: 2 | 4 = w.end - start > 16000 ? 4 : 2;
  const pnOffset = long
    ? writeLongHeader(w, {
        type: space === INITIAL ? 'initial' : zeroRtt ? '0rtt' : 'handshake',
        version: conn.version,
        dcid: conn.remoteCid,
        scid: conn.localCid,
        // RFC 9000 §17.2.2: a client's Initials carry its Retry or NEW_TOKEN token (retry.ts).
        token: space === INITIAL ? conn.retry.token : NO_TOKEN,
        packetNumber: pn,
        pnLength,
        lengthFieldSize,
      })
    : writeShortHeader(w, shortHeader(conn, pn, pnLength, dcid));
  const b = conn.tx.packets[space];
  b.space = space;
  b.start = start;
  b.pnOffset = pnOffset;
  b.payloadEnd = 0;
  b.pn = pn;
  b.long = long;
  b.lengthFieldSize = lengthFieldSize;
  // The record goes to the sent-packet history with the packet (recycled by Connection.releaseSent).
  b.sent = conn.sentPool.acquire();
  b.tokenCount = 0;
  b.ackEliciting = false;
  b.frames = undefined;
  b.zeroRtt = zeroRtt;
  return b;
}

/**
 * The number of the next 1-RTT packet of the path being built for. RFC 9000 §21.4 (optimistic
 * ACK): now and then one number is skipped, never sent, and registered with the path's loss
 * recovery, for which an ACK of it is a PROTOCOL_VIOLATION. The intervals are drawn uniformly
 * from [period, 8·period) (`skipPacketNumberPeriod`) with the connection's seeded PRNG, so a
 * peer cannot predict them; each path (multipath) has its own schedule in its own space.
 */
function nextOneRttPn(conn: Connection, ps: PacketSpace): number {
  let pn = ps.nextPn;
  const period = conn.settings.skipPacketNumberPeriod;
  if (period > 0) {
    if (ps.skipPn < 0) {
      ps.skipPn = pn + period + conn.skipPrng.nextInt(7 * period);
    } else if (pn >= ps.skipPn) {
      conn.tx.path!.recovery.skipPacketNumber(APPDATA, pn);
      pn++;
      ps.skipPn = pn + period + conn.skipPrng.nextInt(7 * period);
    }
  }
  ps.nextPn = pn + 1;
  return pn;
}

/** Finishes a packet's payload, or undoes it when nothing was written. */
function closePacket(conn: Connection, w: ByteWriter, p: Built, payloadStart: number): Built | undefined {
  if (w.offset === payloadStart) {
    w.offset = p.start;
    pnSpace(conn, p.space).nextPn--;
    // Nothing was written, so no token either: the record goes straight back.
    conn.sentPool.release(p.sent);
    p.sent = UNSET;
    return undefined;
  }
  // RFC 9001 §5.4.2: packet number + payload must leave room for the header-protection sample.
  const minEnd = p.start + p.pnOffset + 4;
  if (w.offset < minEnd) w.zeros(minEnd - w.offset);
  p.payloadEnd = w.offset;
  w.offset += TAG;
  return p;
}

function shortHeader(conn: Connection, pn: number, pnLength: 1 | 2 | 3 | 4, dcid: Uint8Array): { dcid: Uint8Array; packetNumber: number; pnLength: 1 | 2 | 3 | 4; keyPhase: 0 | 1 } {
  const h = conn.tx.shortHeader;
  h.dcid = dcid;
  // RFC 9001 §6: the Key Phase bit of the keys this packet is sealed with.
  h.keyPhase = conn.keyPhase?.writePhase ?? 0;
  h.packetNumber = pn;
  h.pnLength = pnLength;
  return h;
}

function addToken(p: Built, token: RecoveryToken): void {
  const tokens = p.sent.tokens;
  if (p.tokenCount < tokens.length) tokens[p.tokenCount] = token;
  else tokens.push(token);
  p.tokenCount++;
}

function put(w: ByteWriter, p: Built, f: Frame, token: RecoveryToken | undefined, eliciting: boolean): void {
  encodeFrame(w, f);
  if (token) addToken(p, token);
  if (eliciting) p.ackEliciting = true;
  if (p.frames) p.frames.push(f);
}

function writePacket(conn: Connection, now: Instant, w: ByteWriter, space: SpaceId, elicitingAllowed: boolean, logFrames: boolean): Built | undefined {
  const sp = conn.spaces[space];
  const ps = pnSpace(conn, space);
  const probe = ps.probes > 0;
  const canElicit = elicitingAllowed || probe;
  const app = space === APPDATA;
  // RFC 9000 §12.5, §17.2.3: 0-RTT carries no ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN,
  // PATH_RESPONSE or RETIRE_CONNECTION_ID frames (wire/legality.ts).
  const zeroRtt = app && !sp.seal;
  // RFC 9002 §6.2.4: every probe of a handshake space carries the unacknowledged CRYPTO data
  // (the same data in both probes), not just the first one, so either copy completes the flight.
  if (probe && !app && !sp.cryptoSend.hasData && !sp.cryptoSend.allAcked) sp.cryptoSend.requeueUnacked();
  const work =
    canElicit &&
    (probe || sp.cryptoSend.hasData || (app && hasElicitingWork(conn)));
  const wantAck = !zeroRtt && ps.ack.hasRanges && (ps.ack.ackNow || (work && ps.ack.newSinceAck));
  if (!work && !wantAck) return undefined;

  const p = openPacket(conn, w, space);
  if (logFrames) p.frames = [];
  const payloadStart = w.offset;
  // Frames must leave room for the AEAD tag.
  const fw = conn.tx.frameWriter.reset(w.buf, w.offset, w.end - TAG);

  // specs/fec.md B7 item 6: the packets rebuilt since the last packet, ahead of the ACK so that
  // the sender settles their data before the ACK declares them lost.
  if (app && !zeroRtt && conn.fec !== undefined && conn.fec.symbolAcksPending.length > 0) {
    const sa = takeSymbolAck(conn.fec);
    if (sa !== undefined && frameLength(sa) <= fw.remaining) put(fw, p, sa, undefined, false);
  }
  if (wantAck) {
    const ack = ps.ack.buildFrame(now, app ? conn.settings.ackDelayExponent : 3);
    if (frameLength(ack) <= fw.remaining) {
      put(fw, p, ack, conn.tokenPool.ack(space, ack.ranges[0]!.largest, app ? conn.tx.path!.id : 0), false);
      ps.ack.onAckSent();
    }
  }
  if (work) {
    // specs/fec.md B7 §4: REPAIR frames in packets of their own (an ACK may ride along).
    if (app && !zeroRtt && repairsFor(conn, conn.tx.path!)) {
      const tp = conn.tx.path!;
      writeRepairs(conn, now, fw, fw.end - payloadStart, (f, sources) => {
        put(fw, p, f, { kind: 'fec_repair', sources }, true);
        if (f.kind === 'repair' && conn.qlog !== undefined) logRepairSent(conn, now, f, tp.id);
      });
      if (p.ackEliciting) {
        w.offset = fw.offset;
        return closePacket(conn, w, p, payloadStart);
      }
    }
    if (app && !zeroRtt) {
      if (conn.handshakeDonePending && !conn.isClient && fw.remaining >= 1) {
        put(fw, p, { kind: 'handshake_done' }, { kind: 'handshake_done' }, true);
        conn.handshakeDonePending = false;
      }
      const tp = conn.tx.path!;
      if (tp === conn.path) {
        const pv = conn.pathValidation;
        if (pv !== undefined && pv.challengePending && fw.remaining >= 9) {
          put(fw, p, { kind: 'path_challenge', data: pv.challenge }, { kind: 'path_challenge', data: pv.challenge }, true);
          conn.tx.pathChallengeSent = true;
          // RFC 9000 §8.2.1, §9.4: a new one on a PTO timer unless a PATH_RESPONSE arrives (migration.ts).
          onValidationChallengeSent(conn, now);
        }
        while (conn.pathResponses.length > 0 && fw.remaining >= 9) {
          put(fw, p, { kind: 'path_response', data: conn.pathResponses.shift()! }, undefined, true);
        }
      }
      // multipath-21 §3.1: a path's own PATH_CHALLENGE and the PATH_RESPONSEs owed on it.
      if (tp.challengePending && tp.challenge !== undefined && fw.remaining >= 9) {
        put(fw, p, { kind: 'path_challenge', data: tp.challenge }, { kind: 'path_challenge', data: tp.challenge }, true);
        tp.challengePending = false;
        conn.tx.pathChallengeSent = true;
        onPathChallengeSent(conn, now, tp);
      }
      while (tp.responses.length > 0 && fw.remaining >= 9) {
        put(fw, p, { kind: 'path_response', data: tp.responses.shift()! }, undefined, true);
        conn.tx.pathChallengeSent = true;
      }
      if (conn.mp !== undefined) {
        writeMultipathFrames(
          conn,
          () => fw.remaining,
          (f, t) => put(fw, p, f, t, true),
        );
      } else if (conn.localCids.pending.length > 0 || conn.peerCids.retirePending.length > 0) writeCidFrames(conn, fw, p);
      const nt = conn.retry.newTokenPending;
      if (nt !== undefined && !conn.isClient && fw.remaining >= nt.length + 8) {
        // RFC 9000 §19.7: NEW_TOKEN, resent when lost (tokens.ts).
        put(fw, p, { kind: 'new_token', token: nt }, { kind: 'new_token', token: nt }, true);
        conn.retry.newTokenPending = undefined;
      }
    }
    // CRYPTO (RFC 9000 §19.6).
    while (!zeroRtt) {
      const room = fw.remaining - 1 - 8 - 4;
      if (room <= 0) break;
      const d = sp.cryptoSend.next(room);
      if (!d) break;
      put(fw, p, { kind: 'crypto', offset: d.offset, data: d.data }, { kind: 'crypto', space, offset: d.offset, length: d.data.length }, true);
      sp.cryptoSend.onSent(d.offset, d.data.length);
    }
    // multipath-21 §3.1: no data on a path before it is validated; and none on a path that
    // stopped delivering while another still does (its PTO probes are PINGs; failover).
    if (app && conn.tx.path!.usable && !pathFailing(conn, conn.tx.path!)) {
      // specs/fec.md B7 §3: room for the SID frame that ends a protected packet.
      let fec = zeroRtt ? undefined : protecting(conn);
      // And for the repair frame's own fields: a repair of full packets fits a full packet.
      const sidRoom = fec !== undefined ? Math.max(sidLength(fec), fec.repairOverhead) : 0;
      if (fec !== undefined && fw.remaining > sidRoom + 8) fw.end -= sidRoom;
      else fec = undefined;
      conn.tx.protectable = false;
      const ctrl = conn.streams.pendingControl(now, conn.recovery.rtt.smoothed);
      for (let i = 0; i < ctrl.length; i++) {
        const c = ctrl[i]!;
        if (frameLength(c.frame) > fw.remaining) continue;
        put(fw, p, c.frame, c.token, true);
        conn.streams.onControlSent(c.token);
      }
      writeDatagrams(conn, fw, p);
      writeStreamData(conn, fw, p);
      if (fec !== undefined) {
        fw.end += sidRoom;
        if (conn.tx.protectable) {
          const sidStart = fw.offset;
          put(fw, p, sidFrame(fec), undefined, false);
          onProtectedPacket(conn, now, fw.buf, payloadStart, sidStart, p.sent.tokens, p.tokenCount);
        }
      }
    }
    if (probe && !p.ackEliciting && fw.remaining >= 1) put(fw, p, { kind: 'ping' }, { kind: 'ping' }, true);
  }
  w.offset = fw.offset;
  return closePacket(conn, w, p, payloadStart);
}

/**
 * A datagram on another path than the current one (RFC 9000 §8.2): the probe path's
 * PATH_CHALLENGE (path-probe.ts), or PATH_RESPONSE frames owed where their challenge came from
 * (§8.2.2), one 1-RTT packet padded to 1200 bytes (§8.2.1, §8.2.2; a response to an
 * unvalidated address only up to 3× what arrived, §8.1). Such packets are not in flight: they
 * do not count against the current path's congestion window, and their loss is no congestion
 * signal there. Undefined when the 1-RTT keys are not available.
 */
function buildOffPathDatagram(conn: Connection, now: Instant): Datagram | undefined {
  const sp = conn.spaces[APPDATA];
  if (sp.seal === undefined || sp.discarded || conn.state !== 'established') {
    conn.offPathResponses.length = 0;
    return undefined;
  }
  const probe = conn.pathProbe;
  let local: SocketAddress;
  let remote: SocketAddress;
  let dcid: Uint8Array;
  let limit: number;
  let challenge: Uint8Array | undefined;
  let response: Uint8Array | undefined;
  if (probe !== undefined && probe.challengePending) {
    ({ local, remote, cid: dcid } = probe);
    challenge = probe.challenge;
    // RFC 9000 §8.2.1, §9.4: a new one on a PTO timer unless a PATH_RESPONSE arrives (path-probe.ts).
    challengeSent(probe, now);
    limit = MIN_INITIAL_DATAGRAM;
    // A response owed on the same path rides along.
    const i = conn.offPathResponses.findIndex((r) => sameAddress(r.remote, remote) && sameAddress(r.local, local));
    if (i >= 0) response = conn.offPathResponses.splice(i, 1)[0]!.data;
  } else {
    const r = conn.offPathResponses.shift()!;
    local = r.local;
    remote = r.remote;
    // §9.5: the probe's own connection ID on the probed path.
    dcid = probe !== undefined && sameAddress(probe.remote, remote) ? probe.cid : conn.remoteCid;
    response = r.data;
    limit = Math.max(r.budget, MIN_PACKET_ROOM + TAG + 32);
  }
  const ab = conn.pool.take(MIN_INITIAL_DATAGRAM);
  const buf = conn.pool.bytes(ab);
  const w = conn.tx.writer.reset(buf, 0, Math.min(limit, MIN_INITIAL_DATAGRAM));
  const logFrames = wants(conn.qlog, 'quic:packet_sent');
  const p = openPacket(conn, w, APPDATA, dcid);
  if (logFrames) p.frames = [];
  const payloadStart = w.offset;
  const fw = conn.tx.frameWriter.reset(w.buf, w.offset, w.end - TAG);
  if (challenge !== undefined) put(fw, p, { kind: 'path_challenge', data: challenge }, { kind: 'path_challenge', data: challenge }, true);
  if (response !== undefined) put(fw, p, { kind: 'path_response', data: response }, undefined, true);
  const pad = fw.remaining;
  if (pad > 0) {
    fw.zeros(pad);
    if (p.frames) p.frames.push({ kind: 'padding', length: pad });
  }
  w.offset = fw.offset;
  closePacket(conn, w, p, payloadStart);
  const size = protectPacket(sp.seal, buf.subarray(0, p.payloadEnd + TAG), p.pnOffset, p.payloadEnd - p.start, p.pn);
  conn.keyPhase?.onSealed(p.pn);
  const sent = p.sent;
  p.sent = UNSET;
  sent.pn = p.pn;
  sent.timeSent = now;
  sent.size = size;
  sent.ackEliciting = true;
  sent.inFlight = false;
  sent.resent = false;
  sent.ect = false;
  sent.mtuProbe = false;
  if (sent.tokens.length !== p.tokenCount) sent.tokens.length = p.tokenCount;
  conn.recovery.onPacketSent(now, APPDATA, sent);
  conn.packetsSent++;
  conn.bytesSent += size;
  if (logFrames) {
    conn.qlog!.event(now, { name: 'quic:packet_sent', data: { header: { packet_type: '1RTT', packet_number: p.pn }, raw: { length: size }, frames: framesToQlog(p.frames!) } });
  }
  return conn.pool.datagram(ab, size, local, remote);
}

/**
 * RFC 9000 §14.4: a PMTU probe: PING and PADDING filling the datagram to the probed size, so
 * its loss costs no data.
 */
function writeMtuProbe(conn: Connection, w: ByteWriter, logFrames: boolean): Built | undefined {
  const p = openPacket(conn, w, APPDATA);
  if (logFrames) p.frames = [];
  const payloadStart = w.offset;
  const fw = conn.tx.frameWriter.reset(w.buf, w.offset, w.end - TAG);
  put(fw, p, { kind: 'ping' }, { kind: 'ping' }, true);
  const pad = fw.remaining;
  if (pad > 0) {
    fw.zeros(pad);
    if (p.frames) p.frames.push({ kind: 'padding', length: pad });
  }
  w.offset = fw.offset;
  return closePacket(conn, w, p, payloadStart);
}

/** RFC 9000 §19.15, §19.16: NEW_CONNECTION_ID and RETIRE_CONNECTION_ID frames waiting to be sent. */
function writeCidFrames(conn: Connection, fw: ByteWriter, p: Built): void {
  const issue = conn.localCids.pending;
  while (issue.length > 0) {
    const seq = issue[0]!;
    const f = conn.localCids.frame(seq);
    if (f !== undefined && frameLength(f) > fw.remaining) break;
    issue.shift();
    if (f !== undefined) put(fw, p, f, { kind: 'new_connection_id', seq }, true);
  }
  const retire = conn.peerCids.retirePending;
  while (retire.length > 0) {
    const seq = retire[0]!;
    const f: Frame = { kind: 'retire_connection_id', sequence: seq };
    if (frameLength(f) > fw.remaining) break;
    retire.shift();
    put(fw, p, f, { kind: 'retire_connection_id', seq }, true);
  }
}

/** STREAM frames, bytes copied once from the send buffer into the datagram (DESIGN §4 rule 1). */
function writeStreamData(conn: Connection, fw: ByteWriter, p: Built): void {
  for (;;) {
    const room = fw.remaining;
    if (room < 8) return;
    const d = conn.streams.nextStreamData(room - 3);
    if (!d) return;
    const { id, offset, buf, start, fin } = d;
    const length = d.length;
    let len = length;
    let hdr = streamHeaderLength(id, offset, len, true);
    if (hdr + len > room) {
      len = room - hdr;
      if (len <= 0) return;
      hdr = streamHeaderLength(id, offset, len, true);
      if (hdr + len > room) len = room - hdr;
      if (len <= 0) return;
    }
    const sendFin = fin && len === length;
    encodeStreamHeader(fw, id, offset, len, sendFin, true);
    // The one copy, through the one view of exactly the bytes sent (DESIGN §4 rules 1, 2).
    if (len > 0) fw.bytes(start === 0 && len === buf.length ? buf : buf.subarray(start, start + len));
    conn.streams.onStreamDataSent(id, offset, len, sendFin);
    addToken(p, conn.tokenPool.stream(id, offset, len, sendFin));
    p.ackEliciting = true;
    conn.tx.protectable = true;
    if (p.frames) p.frames.push({ kind: 'stream', streamId: id, offset, fin: sendFin, hasLength: true, data: buf.subarray(start, start + len) });
  }
}

/**
 * RFC 9221 §5: queued DATAGRAMs, ahead of stream data (they are usually latency-sensitive);
 * congestion controlled, never retransmitted. One that can never fit any more (the packet size
 * shrank) is dropped; one that does not fit this packet waits for the next.
 */
function writeDatagrams(conn: Connection, fw: ByteWriter, p: Built): void {
  const q = conn.datagramQueue;
  while (q.length > 0) {
    const data = q[0]!;
    if (data.length > conn.maxDatagramPayload()) {
      q.shift();
      conn.datagramsDropped++;
      continue;
    }
    const f: Frame = { kind: 'datagram', hasLength: true, data };
    if (frameLength(f) > fw.remaining) return;
    q.shift();
    put(fw, p, f, { kind: 'datagram', length: data.length }, true);
    conn.datagramsSent++;
    conn.tx.protectable = true;
  }
}

/** RFC 9000 §10.2.3: CONNECTION_CLOSE; an application close becomes APPLICATION_ERROR before 1-RTT. */
function writeClosePacket(conn: Connection, w: ByteWriter, space: SpaceId, logFrames: boolean): Built | undefined {
  const info = conn.closeInfo!;
  const reason = new TextEncoder().encode(info.reason.slice(0, 200));
  let f: Frame;
  if (info.kind === 'application' && space === APPDATA) {
    f = { kind: 'application_close', errorCode: info.code, reason };
  } else if (info.kind === 'application') {
    f = { kind: 'connection_close', errorCode: ErrorCode.APPLICATION_ERROR, frameType: 0, reason: new Uint8Array(0) };
  } else {
    f = { kind: 'connection_close', errorCode: info.code, frameType: info.frameType ?? 0, reason };
  }
  if (frameLength(f) + 40 + varintLength(0) > w.end - w.offset) return undefined;
  const p = openPacket(conn, w, space);
  if (logFrames) p.frames = [];
  const payloadStart = w.offset;
  const fw = conn.tx.frameWriter.reset(w.buf, w.offset, w.end - TAG);
  put(fw, p, f, { kind: 'connection_close' }, false);
  w.offset = fw.offset;
  return closePacket(conn, w, p, payloadStart);
}
