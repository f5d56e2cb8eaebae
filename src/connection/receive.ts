/**
 * The receive path (RFC 9000 §12.2, §17, §9.3; RFC 9001 §5, §6; multipath-21 §2.2): a datagram is
 * split into its coalesced packets, each one's protection removed with the keys of its space,
 * key phase and path, duplicates and packets from unknown addresses dropped, its frames
 * checked for legality and handled (frames.ts), and the path's received-packet tracking
 * updated. Any TransportError closes the connection with its code.
 */
import { peerMigrated } from './migration.js';
import { openPayload, reapplyHeaderProtection, removeHeaderProtection } from '../crypto/packet-protection.js';
import { wants } from '../qlog/events.js';
import { framesToQlog } from '../qlog/frames.js';
import { qlogPacketType, qlogVersion } from '../qlog/common.js';
import { sameAddress, type Datagram } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { frameTypeOf, isAckEliciting } from '../wire/frame-codec.js';
import type { Frame } from '../wire/frame.js';
import { parsePacketHeaderInto, reservedBitsFromFirstByte, type PacketHeader } from '../wire/header.js';
import { checkFrameAllowed, type PacketType } from '../wire/legality.js';
import type { Connection, ConnectionState } from './connection.js';
import { onOneRttReceived, zeroRttReadKeys } from './early-data.js';
import { handleFrame } from './frames.js';
import { onPacketSources, processRecovered } from './fec.js';
import { restartHandshake } from './handshake.js';
import { ReadKeys } from './key-update.js';
import { acceptPath, onPathAddressChange, packetPathId } from './multipath.js';
import type { Path } from './path.js';
import { serverLocalChange } from './path-probe.js';
import { onRetry } from './retry.js';
import { APPDATA, HANDSHAKE, INITIAL, SPACE_NAMES, type SpaceId } from './types.js';
import { onOtherVersionOpened, onVersionNegotiation, otherVersionReadKeys } from './version.js';

const EMPTY_BYTES = new Uint8Array(0);

/** RFC 9000 §9.1: probing frames are PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING. */
function onlyProbing(frames: readonly Frame[]): boolean {
  for (let i = 0; i < frames.length; i++) {
    const k = frames[i]!.kind;
    if (k !== 'path_challenge' && k !== 'path_response' && k !== 'new_connection_id' && k !== 'padding') return false;
  }
  return true;
}

/** buf[a, a + aLength) and buf[b, b + bLength) hold the same bytes. */
function sameBytesAt(buf: Uint8Array, a: number, aLength: number, b: number, bLength: number): boolean {
  if (aLength !== bLength) return false;
  for (let i = 0; i < aLength; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

export function handleDatagram(conn: Connection, now: Instant, d: Datagram): void {
  conn.startedAt ??= now;
  conn.lastNow = now;
  if (conn.state === 'closed' || conn.state === 'draining') return;
  conn.bytesReceived += d.data.length;
  if (!conn.addressValidated) conn.bytesReceivedUnvalidated += d.data.length;
  // RFC 9000 §12.2: walk the coalesced packets; one that fails to parse drops the rest, and
  // packets whose DCID differs from the first one's are ignored.
  const data = d.data;
  const h = conn.rxHeader;
  const opts = conn.rxOptions;
  // The first packet's DCID, by position (no view, DESIGN §4 rule 2).
  let firstDcidAt = -1;
  let firstDcidLength = 0;
  const receivedBefore = conn.packetsReceived;
  for (let offset = 0; offset < data.length; offset += h.packetLength) {
    if ((conn.state as ConnectionState) === 'closed' || (conn.state as ConnectionState) === 'draining') return;
    try {
      parsePacketHeaderInto(data, offset, opts, h);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      conn.drop(now, 'invalid', e.reason, data.length - offset);
      break;
    }
    if (firstDcidAt < 0) {
      firstDcidAt = h.dcidOffset;
      firstDcidLength = h.dcidLength;
    } else if (!sameBytesAt(data, firstDcidAt, firstDcidLength, h.dcidOffset, h.dcidLength)) continue;
    try {
      handlePacket(conn, now, d, h);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      conn.rxDcidBuf = EMPTY_BYTES;
      conn.closeWithError(now, e);
      return;
    }
  }
  // RFC 9000 §10.3.1: a datagram of which no packet could be processed may be a stateless reset.
  if (conn.packetsReceived === receivedBefore && (conn.state as ConnectionState) !== 'draining' && conn.peerCids.isStatelessReset(data, d.from, conn.remote)) {
    conn.onStatelessReset(now, data.length);
    return;
  }
  // RFC 9000 §10.2.1: in the closing state, answer incoming packets with CONNECTION_CLOSE.
  if (conn.state === 'closing') conn.closePending = true;
}

function handlePacket(conn: Connection, now: Instant, d: Datagram, h: PacketHeader): void {
  let space: SpaceId;
  let ptype: PacketType;
  switch (h.type) {
    case 'initial':
      space = INITIAL;
      ptype = 'initial';
      break;
    case 'handshake':
      space = HANDSHAKE;
      ptype = 'handshake';
      break;
    case '1rtt':
      space = APPDATA;
      ptype = '1rtt';
      break;
    case '0rtt':
      // RFC 9001 §4.6.1: only a server reads 0-RTT, and only with the keys of accepted early
      // data, in the client's version (RFC 9000 §12.3: the application packet number space).
      if (zeroRttReadKeys(conn, now) === undefined || h.version !== conn.version) return conn.drop(now, 'key_unavailable', '0-RTT not accepted', h.packetLength);
      space = APPDATA;
      ptype = '0rtt';
      break;
    case 'version_negotiation': {
      // RFC 9000 §6.2: a client may restart with a version from the list.
      const v = onVersionNegotiation(conn, now, h);
      if (v !== undefined) restartHandshake(conn, now, v);
      return;
    }
    case 'retry':
      // RFC 9000 §17.2.5.2 (retry.ts).
      return onRetry(conn, now, d, h);
    default:
      // Unsupported versions: not for an established connection.
      return conn.drop(now, 'unsupported', h.type, h.packetLength);
  }
  const sp = conn.spaces[space];
  // RFC 9369 §4: another version's long header is dropped, but for compatible negotiation.
  const otherVersion = h.form === 'long' && h.version !== conn.version;
  const zeroRtt = ptype === '0rtt';
  const keys = zeroRtt ? conn.early.keys : otherVersion ? otherVersionReadKeys(conn, h.version, space) : sp.open;
  if (otherVersion && keys === undefined) return conn.drop(now, 'unsupported', 'version mismatch', h.packetLength);
  if (sp.discarded || !keys) return conn.drop(now, 'key_unavailable', `${SPACE_NAMES[space]} keys`, h.packetLength);
  // multipath-21 §2.2: the Destination Connection ID names the path, hence the packet-number
  // space and the nonce.
  let path: Path | undefined = conn.path;
  let pathId = 0;
  if (conn.mp !== undefined && ptype === '1rtt') {
    pathId = packetPathId(conn, d.data, h.dcidOffset, h.dcidLength);
    if (pathId < 0) return conn.drop(now, 'rejected', 'closed or unknown path', h.packetLength);
    path = conn.mp.paths.get(pathId);
  }
  const ps = space === APPDATA && path !== undefined ? path.space : sp;
  const packet = h.start === 0 && h.packetLength === d.data.length ? d.data : d.data.subarray(h.start, h.start + h.packetLength);
  const hp = removeHeaderProtection(keys.hp, packet, h.pnOffset, path !== undefined ? (ps.ack.largest ?? -1) : -1, conn.rxUnprotected);
  if (hp === null) return conn.drop(now, 'invalid', 'too short', h.packetLength);
  // RFC 9001 §6.3: a 1-RTT packet's Key Phase bit and number pick the current, next or
  // previous read keys (the header protection key never changes).
  const kp = space === APPDATA && !zeroRtt ? conn.keyPhase : undefined;
  // (multipath-21 §2.5: one key phase, packet numbers per path.)
  const which = kp !== undefined ? kp.select(hp.keyPhase, hp.pn, pathId) : ReadKeys.Current;
  const aeadKeys = kp !== undefined ? kp.keys(which) : keys;
  const payloadLength = aeadKeys !== undefined ? openPayload(aeadKeys, packet, hp.headerLength, hp.pn, pathId) : -1;
  if (payloadLength < 0) {
    reapplyHeaderProtection(keys.hp, packet, h.pnOffset);
    // RFC 9001 §6.6: packets failing authentication are counted over the connection's whole life
    // and all keys; beyond the AEAD's integrity limit the connection closes at once.
    if (aeadKeys !== undefined && ++conn.authFailures > aeadKeys.suite.integrityLimit) {
      throw new TransportError(ErrorCode.AEAD_LIMIT_REACHED, undefined, 'AEAD integrity limit reached');
    }
    return conn.drop(now, aeadKeys !== undefined ? 'decryption_failure' : 'key_unavailable', `${SPACE_NAMES[space]} packet`, h.packetLength);
  }
  if (kp !== undefined) conn.onKeyPhaseOpened(now, kp, which, hp.pn, pathId);
  // RFC 9000 §17.2 / §17.3.1: reserved bits must be zero once protection is removed.
  if (reservedBitsFromFirstByte(hp.firstByte, h.form) !== 0) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, 'reserved header bits set');
  if (path !== undefined && ps.ack.isDuplicate(hp.pn)) return conn.drop(now, 'duplicate', `pn ${hp.pn}`, h.packetLength);
  if (path === undefined) {
    // multipath-21 §3.1: an authenticated packet on an unused path ID: the peer opened a path.
    path = acceptPath(conn, now, pathId, d.from, d.to);
    if (path === undefined) return conn.drop(now, 'rejected', `no connection ID for path ${pathId}`, h.packetLength);
  }
  const pathSpace = space === APPDATA ? path.space : sp;
  path.datagramsReceived++;
  path.bytesReceived += h.packetLength;
  if (path.ampLimited) path.ampReceived += d.data.length;
  // RFC 9002 §6.2.2.1: the peer sent more, so a PTO held back by a 3× limit may be armed again
  // (the builder sets the flag anew if the limit still leaves no room).
  path.recovery.amplificationLimited = false;
  conn.rxPath = path;
  // RFC 9000 §9: only 1-RTT packets after the handshake may come from a new peer address; a
  // client never follows a server to a new address (§9.6 preferred address aside).
  const newAddress = path === conn.path && !sameAddress(d.from, conn.remote);
  const fromProbe = space === APPDATA && ((conn.pathProbe !== undefined && sameAddress(d.from, conn.pathProbe.remote)) || (conn.formerRemote !== undefined && sameAddress(d.from, conn.formerRemote)));
  if (newAddress && !fromProbe && (conn.isClient || space !== APPDATA || !conn.handshakeConfirmed)) return conn.drop(now, 'rejected', 'packet from an unknown peer address', h.packetLength);
  // multipath-21 §3.1.2: another multipath path's packet from a new peer address is a
  // migration of that path (followed below, onPathAddressChange); a client drops it (§9).
  const pathNewAddress = path !== conn.path && !sameAddress(d.from, path.remote);
  if (pathNewAddress && conn.isClient) return conn.drop(now, 'rejected', `packet from an unknown peer address on path ${path.id}`, h.packetLength);
  const largestBefore = pathSpace.ack.largest ?? -1;

  if (otherVersion) onOtherVersionOpened(conn, now, h.version);
  if (zeroRtt) conn.early.packetsReceived++;
  else if (ptype === '1rtt') onOneRttReceived(conn, now);
  if (conn.isClient && !conn.remoteCidSet && h.form === 'long') {
    // RFC 9000 §7.2: the client switches to the server's chosen connection ID.
    conn.remoteCid = h.scid.slice();
    conn.remoteCidSet = true;
  }
  if (!conn.isClient && space === HANDSHAKE) {
    // RFC 9000 §8.1: a Handshake packet from the client validates its address;
    // RFC 9001 §4.9.1: the server discards Initial keys on first processing one.
    conn.addressValidated = true;
    conn.recovery.peerCompletedAddressValidation = true;
    conn.discardSpace(now, INITIAL);
  }
  conn.packetsReceived++;
  conn.rxDcidBuf = d.data;
  conn.rxFrom = d.from;
  conn.rxTo = d.to;
  conn.rxSize = d.data.length;
  conn.rxDcidAt = h.dcidOffset;
  conn.rxDcidLength = h.dcidLength;
  // Frames are scratch objects pointing into the packet (DESIGN §4 rule 2); handlers copy what they keep.
  const frames = conn.rxDecoder.decode(packet, hp.headerLength, hp.headerLength + payloadLength, conn.rxFrames);
  // RFC 9000 §12.4: a packet without frames is a PROTOCOL_VIOLATION.
  if (frames.length === 0) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, 'packet without frames');
  let ackEliciting = false;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    checkFrameAllowed(frameTypeOf(f), ptype);
    if (isAckEliciting(f)) ackEliciting = true;
  }
  if (wants(conn.qlog, 'quic:packet_received')) {
    conn.qlog!.event(now, {
      name: 'quic:packet_received',
      data: {
        header: { packet_type: qlogPacketType(ptype), packet_number: hp.pn, ...(h.form === 'long' ? { version: qlogVersion(h.version) } : {}) },
        raw: { length: h.packetLength },
        ...(conn.mp !== undefined && space === APPDATA ? { path_id: path.id } : {}),
        frames: framesToQlog(frames),
      },
    });
  }
  // specs/fec.md B7 §3: a protected packet's payload before its SID frame is a source symbol.
  if (ptype === '1rtt') onPacketSources(conn, frames, packet, hp.headerLength, conn.rxDecoder.sidAt);
  for (let i = 0; i < frames.length; i++) {
    handleFrame(conn, now, space, frames[i]!);
    if (conn.state === 'draining' || conn.state === 'closed') break;
  }
  // B7 §5: what the packet's source or repair symbols rebuilt, as recovered packets.
  if (conn.fec !== undefined) {
    conn.fec.skipDatagrams = false;
    if (conn.fec.recoveredQueue.length > 0 && conn.state !== 'draining' && conn.state !== 'closed') processRecovered(conn, now, (f) => handleFrame(conn, now, APPDATA, f));
  }
  conn.rxDcidBuf = EMPTY_BYTES;
  if (sp.discarded) return;
  if (!conn.isClient && newAddress && hp.pn > largestBefore && (conn.state as ConnectionState) === 'established' && !onlyProbing(frames)) peerMigrated(conn, now, d.from);
  if (!conn.isClient && pathNewAddress && hp.pn > largestBefore && (conn.state as ConnectionState) === 'established' && !onlyProbing(frames)) onPathAddressChange(conn, now, path, d.from, d.data.length);
  // RFC 9000 §9.6: the client moved to another of our addresses (the preferred address): answer from there.
  if (!conn.isClient && path === conn.path && space === APPDATA && conn.handshakeConfirmed && hp.pn > largestBefore && !sameAddress(d.to, conn.local) && !onlyProbing(frames)) serverLocalChange(conn, now, d.to);
  const pv = conn.pathValidation;
  if (pv !== undefined && sameAddress(d.from, conn.remote)) pv.received += d.data.length;
  pathSpace.ack.onPacketReceived(now, hp.pn, ackEliciting, d.ecn);
  // RFC 9000 §10.1: any processed packet restarts the idle timer.
  if (conn.idleTimeout > 0) conn.idleDeadline = now + conn.effectiveIdleTimeout();
  conn.sentElicitingSinceReceive = false;
}

