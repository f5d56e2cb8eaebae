/**
 * Which frame types may appear in which packet type: the one place for RFC 9000 §12.4 Table 3
 * and its extensions (DESIGN §3).
 *
 * | frames                                                            | I | H | 0 | 1 |
 * |-------------------------------------------------------------------|---|---|---|---|
 * | PADDING, PING, CONNECTION_CLOSE 0x1c                              | ✓ | ✓ | ✓ | ✓ |
 * | ACK, ACK_ECN, CRYPTO                                              | ✓ | ✓ |   | ✓ |
 * | RESET_STREAM, STOP_SENDING, STREAM, MAX_*, *_BLOCKED,             |   |   | ✓ | ✓ |
 * |   NEW_CONNECTION_ID, PATH_CHALLENGE, CONNECTION_CLOSE 0x1d,       |   |   |   |   |
 * |   DATAGRAM (RFC 9221 §4)                                          |   |   |   |   |
 * | NEW_TOKEN, PATH_RESPONSE, HANDSHAKE_DONE, RETIRE_CONNECTION_ID,   |   |   |   | ✓ |
 * |   multipath frames (multipath-21 §4), FEC SID / REPAIR            |   |   |   |   |
 *
 * RETIRE_CONNECTION_ID is marked "__01" in Table 3, but RFC 9000 §12.5 lists it among the frames
 * that cannot be sent in 0-RTT (ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE,
 * RETIRE_CONNECTION_ID) and lets a server treat them as PROTOCOL_VIOLATION; tquic does, for all
 * six. The FEC frames are 1-RTT only because FEC is negotiated by transport parameters and
 * protects 1-RTT payloads (specs/fec.md B7).
 */
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { FrameType, frameTypeName } from './frame.js';
import type { PacketType } from './packet-type.js';

export type { PacketType } from './packet-type.js';

// One bit per packet type.
const I = 1;
const H = 2;
const Z = 4; // 0-RTT
const O = 8; // 1-RTT
const ALL = I | H | Z | O;
const IH_1 = I | H | O;
const APP = Z | O;

function bit(pt: PacketType): number {
  switch (pt) {
    case 'initial':
      return I;
    case 'handshake':
      return H;
    case '0rtt':
      return Z;
    case '1rtt':
      return O;
  }
}

/** RFC 9000 §12.4 Table 3 for the single-byte types 0x00-0x1e, plus DATAGRAM. */
const SMALL = new Uint8Array(0x40);
SMALL[FrameType.PADDING] = ALL;
SMALL[FrameType.PING] = ALL;
SMALL[FrameType.ACK] = IH_1;
SMALL[FrameType.ACK_ECN] = IH_1;
SMALL[FrameType.RESET_STREAM] = APP;
SMALL[FrameType.STOP_SENDING] = APP;
SMALL[FrameType.CRYPTO] = IH_1;
SMALL[FrameType.NEW_TOKEN] = O;
for (let t = FrameType.STREAM; t <= FrameType.STREAM_MAX; t++) SMALL[t] = APP;
SMALL[FrameType.MAX_DATA] = APP;
SMALL[FrameType.MAX_STREAM_DATA] = APP;
SMALL[FrameType.MAX_STREAMS_BIDI] = APP;
SMALL[FrameType.MAX_STREAMS_UNI] = APP;
SMALL[FrameType.DATA_BLOCKED] = APP;
SMALL[FrameType.STREAM_DATA_BLOCKED] = APP;
SMALL[FrameType.STREAMS_BLOCKED_BIDI] = APP;
SMALL[FrameType.STREAMS_BLOCKED_UNI] = APP;
SMALL[FrameType.NEW_CONNECTION_ID] = APP;
SMALL[FrameType.RETIRE_CONNECTION_ID] = O; // §12.5, see above
SMALL[FrameType.PATH_CHALLENGE] = APP;
SMALL[FrameType.PATH_RESPONSE] = O;
SMALL[FrameType.CONNECTION_CLOSE] = ALL; // "ih": only type 0x1c in Initial/Handshake
SMALL[FrameType.APPLICATION_CLOSE] = APP;
SMALL[FrameType.HANDSHAKE_DONE] = O;
SMALL[FrameType.DATAGRAM] = APP; // RFC 9221 §4: protected with 0-RTT or 1-RTT keys
SMALL[FrameType.DATAGRAM_LEN] = APP;
SMALL[FrameType.PATH_ACK] = O; // multipath-21 §4: 1-RTT only
SMALL[FrameType.PATH_ACK_ECN] = O;

/** Packet types allowed for a frame type, as bits; 0 for an unknown type. */
function allowedBits(frameType: number): number {
  if (frameType < 0x40) return SMALL[frameType] ?? 0;
  switch (frameType) {
    // draft-ietf-quic-multipath-21 §4: "MUST only be sent in 1-RTT packets"
    case FrameType.PATH_ABANDON:
    case FrameType.PATH_STATUS_BACKUP:
    case FrameType.PATH_STATUS_AVAILABLE:
    case FrameType.PATH_NEW_CONNECTION_ID:
    case FrameType.PATH_RETIRE_CONNECTION_ID:
    case FrameType.MAX_PATH_ID:
    case FrameType.PATHS_BLOCKED:
    case FrameType.PATH_CIDS_BLOCKED:
    // specs/fec.md B7
    case FrameType.SID:
    case FrameType.REPAIR:
    case FrameType.SYMBOL_ACK:
      return O;
    default:
      return 0;
  }
}

/** True if a frame of numeric type `frameType` may appear in a packet of type `packetType`. */
export function isFrameAllowed(frameType: number, packetType: PacketType): boolean {
  return (allowedBits(frameType) & bit(packetType)) !== 0;
}

/** True if tquic knows the frame type at all. */
export function isKnownFrameType(frameType: number): boolean {
  return allowedBits(frameType) !== 0;
}

/**
 * Throws TransportError(PROTOCOL_VIOLATION, frameType) if the frame may not appear in this
 * packet type (RFC 9000 §12.4). An unknown type throws FRAME_ENCODING_ERROR instead (§12.4),
 * though the decoder has already rejected those.
 */
export function checkFrameAllowed(frameType: number, packetType: PacketType): void {
  const bits = allowedBits(frameType);
  if ((bits & bit(packetType)) !== 0) return;
  if (bits === 0) {
    throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, frameType, `unknown frame type 0x${frameType.toString(16)}`);
  }
  throw new TransportError(
    ErrorCode.PROTOCOL_VIOLATION,
    frameType,
    `${frameTypeName(frameType)} frame not allowed in ${packetType} packet`,
  );
}
