/**
 * Protecting and unprotecting whole packets in place (RFC 9001 §5.3 AEAD, §5.4 header
 * protection), the transmit and receive hot paths (DESIGN §4 rule 1: the packet builder writes
 * the plaintext straight into the datagram buffer and it is sealed where it lies).
 *
 * A packet here is a Uint8Array view that starts at the packet's first byte. Offsets are
 * relative to that view. For coalesced packets the caller passes `datagram.subarray(start, end)`.
 */
import { decodePacketNumber, readPacketNumber } from '../wire/packet-number.js';
import type { DirectionalKeys } from './keys.js';
import { AEAD_TAG_LENGTH, HP_SAMPLE_LENGTH, type HeaderProtection } from './provider.js';

/** RFC 9001 §5.4.2: the sample starts 4 bytes after the start of the Packet Number field. */
const SAMPLE_OFFSET = 4;

/** Scratch for the 5-byte mask; protection is synchronous, so one buffer serves every call. */
const MASK = new Uint8Array(5);

/** RFC 9001 §5.4.1: 4 protected low bits in long headers, 5 in short headers. */
function firstByteMask(first: number): number {
  return (first & 0x80) !== 0 ? 0x0f : 0x1f;
}

/**
 * The smallest `payloadEnd - pnOffset` that leaves room for the header protection sample:
 * pnOffset + 4 + 16 ≤ payloadEnd + 16 (RFC 9001 §5.4.2). The packet builder pads short payloads
 * (PADDING frames or a longer packet number encoding) up to this.
 */
export const MIN_PN_AND_PAYLOAD_LENGTH = SAMPLE_OFFSET + HP_SAMPLE_LENGTH - AEAD_TAG_LENGTH;

/**
 * Protects one packet in place: AEAD-seals the payload with the header as associated data
 * (RFC 9001 §5.3), appends the tag, then applies header protection (§5.4.1).
 *
 * @param keys        the sending keys of the packet's space (and key phase)
 * @param packet      view from the packet's first byte; the header is complete and unprotected
 *                    (first byte with its Packet Number Length bits, Length field of long headers
 *                    already counting the tag, truncated packet number written at pnOffset),
 *                    the plaintext payload follows it and 16 bytes of room follow the payload
 * @param pnOffset    offset of the Packet Number field
 * @param payloadEnd  offset just past the plaintext payload (the tag goes here)
 * @param pn          the full packet number (for the nonce)
 * @param pathId      draft-ietf-quic-multipath-21 §2.4: the path ID for 1-RTT packets once
 *                    multipath is negotiated; omit (or 0) for the RFC 9001 nonce
 * @returns the protected packet length, payloadEnd + 16
 * @throws RangeError on a caller bug: no room for the tag, or payload too short to sample
 */
export function protectPacket(
  keys: DirectionalKeys,
  packet: Uint8Array,
  pnOffset: number,
  payloadEnd: number,
  pn: number,
  pathId = 0,
): number {
  const pnLength = (packet[0]! & 0x03) + 1;
  const headerLength = pnOffset + pnLength;
  if (pnOffset < 1 || headerLength > payloadEnd) throw new RangeError('protectPacket: bad header bounds');
  if (payloadEnd - pnOffset < MIN_PN_AND_PAYLOAD_LENGTH) {
    throw new RangeError(`protectPacket: packet number + payload must be at least ${MIN_PN_AND_PAYLOAD_LENGTH} bytes`);
  }
  // RFC 9001 §5.3: AAD is the header, from the first byte up to and including the packet number
  // (passed as offsets: no view per packet, DESIGN §4 rule 2).
  const end = headerLength + keys.aead.sealPacket(keys.nonce(pn, pathId), packet, 0, headerLength, payloadEnd - headerLength);
  keys.packetsProtected++;
  applyMask(keys.hp, packet, pnOffset, pnLength);
  return end;
}

/** RFC 9001 §5.4.1 (sending side): mask the first byte's low bits and the pn bytes. */
function applyMask(hp: HeaderProtection, packet: Uint8Array, pnOffset: number, pnLength: number): void {
  const sampleStart = pnOffset + SAMPLE_OFFSET;
  const mask = hp.mask(packet, MASK, sampleStart);
  const first = packet[0]!;
  packet[0] = first ^ (mask[0]! & firstByteMask(first));
  for (let i = 0; i < pnLength; i++) packet[pnOffset + i]! ^= mask[1 + i]!;
}

/** What header protection removal reveals. */
export interface UnprotectedHeader {
  /** The first byte with header protection removed. */
  firstByte: number;
  /** Packet Number Length: (firstByte & 0x03) + 1. */
  pnLength: 1 | 2 | 3 | 4;
  /** pnOffset + pnLength: the AAD length and the payload's offset. */
  headerLength: number;
  /** The full packet number, decoded against the largest received (RFC 9000 Appendix A.3). */
  pn: number;
  /** RFC 9001 §6: the Key Phase bit (0x04) of a short header; 0 for long headers. */
  keyPhase: 0 | 1;
}

/** A packet whose protection has been removed, in place. */
export interface UnprotectedPacket extends UnprotectedHeader {
  /** View of the unprotected header: packet[0, headerLength). */
  header: Uint8Array;
  /** View of the plaintext payload, in place after the header (the tag is excluded). */
  payload: Uint8Array;
}

function newHeader(): UnprotectedHeader {
  return { firstByte: 0, pnLength: 1, headerLength: 0, pn: 0, keyPhase: 0 };
}

/**
 * Removes header protection in place (RFC 9001 §5.4.1, receiving side) and decodes the packet
 * number. Returns null, touching nothing, when the packet is too short to hold the sample
 * (RFC 9001 §5.4.2: such a packet is dropped). Reserved bits are not checked here: RFC 9000
 * §17.2 requires that only after the payload authenticates.
 *
 * @param largestPn  the largest packet number received in this space, -1 if none
 * @param out        optional result object to reuse (DESIGN §4 rule 2)
 */
export function removeHeaderProtection(
  hp: HeaderProtection,
  packet: Uint8Array,
  pnOffset: number,
  largestPn: number,
  out: UnprotectedHeader = newHeader(),
): UnprotectedHeader | null {
  const sampleStart = pnOffset + SAMPLE_OFFSET;
  if (!(pnOffset >= 1) || sampleStart + HP_SAMPLE_LENGTH > packet.length) return null;
  const mask = hp.mask(packet, MASK, sampleStart);
  const protectedFirst = packet[0]!;
  const first = protectedFirst ^ (mask[0]! & firstByteMask(protectedFirst));
  packet[0] = first;
  const pnLength = ((first & 0x03) + 1) as 1 | 2 | 3 | 4;
  for (let i = 0; i < pnLength; i++) packet[pnOffset + i]! ^= mask[1 + i]!;
  const truncated = readPacketNumber(packet, pnOffset, pnLength);
  out.firstByte = first;
  out.pnLength = pnLength;
  out.headerLength = pnOffset + pnLength;
  out.pn = decodePacketNumber(largestPn, truncated, (pnLength * 8) as 8 | 16 | 24 | 32);
  out.keyPhase = (first & 0x80) === 0 ? (((first >>> 2) & 1) as 0 | 1) : 0;
  return out;
}

/**
 * Re-applies header protection after `removeHeaderProtection` (for example when the payload did
 * not authenticate and the packet should be handed on unchanged). The pn length is read from the
 * unprotected first byte before that byte is masked again.
 */
export function reapplyHeaderProtection(hp: HeaderProtection, packet: Uint8Array, pnOffset: number): void {
  applyMask(hp, packet, pnOffset, (packet[0]! & 0x03) + 1);
}

/**
 * Opens the payload in place after header protection removal (RFC 9001 §5.3). Returns a view of
 * the plaintext, or null when it does not authenticate (RFC 9001 §5.5: the packet is discarded;
 * not an error). On failure the payload bytes are unchanged, so another key can be tried, and
 * `keys.authFailures` counts it (RFC 9001 §6.6).
 */
export function decryptPayload(
  keys: DirectionalKeys,
  packet: Uint8Array,
  headerLength: number,
  pn: number,
  pathId = 0,
): Uint8Array | null {
  const n = openPayload(keys, packet, headerLength, pn, pathId);
  return n < 0 ? null : packet.subarray(headerLength, headerLength + n);
}

/**
 * `decryptPayload` without the view: the plaintext is packet[headerLength, headerLength + n)
 * for the returned n, or -1 when it does not authenticate (the receive hot path, DESIGN §4
 * rule 2). The AAD is the header, passed as offsets (RFC 9001 §5.3).
 */
export function openPayload(keys: DirectionalKeys, packet: Uint8Array, headerLength: number, pn: number, pathId = 0): number {
  const n = keys.aead.openPacket(keys.nonce(pn, pathId), packet, 0, headerLength, packet.length - headerLength);
  if (n < 0) keys.authFailures++;
  return n;
}

/**
 * Removes all protection from one packet in place with one set of keys: header protection,
 * packet number decoding, AEAD open. Returns null (never throws) when the packet is too short
 * to sample or does not authenticate; on authentication failure the header protection is put
 * back, so the packet bytes are exactly as received.
 *
 * For 1-RTT packets whose key depends on the Key Phase bit, use `removeHeaderProtection`, pick
 * the keys by `keyPhase`, then `decryptPayload`.
 *
 * @param packet     exactly one packet (for long headers: up to the end given by Length)
 * @param pnOffset   offset of the Packet Number field (from the header parser)
 * @param largestPn  the largest packet number received in this space, -1 if none
 * @param pathId     multipath path ID for the nonce (draft-ietf-quic-multipath-21 §2.4)
 */
export function unprotectPacket(
  keys: DirectionalKeys,
  packet: Uint8Array,
  pnOffset: number,
  largestPn: number,
  pathId = 0,
): UnprotectedPacket | null {
  const h = removeHeaderProtection(keys.hp, packet, pnOffset, largestPn);
  if (h === null) return null;
  const payload = decryptPayload(keys, packet, h.headerLength, h.pn, pathId);
  if (payload === null) {
    reapplyHeaderProtection(keys.hp, packet, pnOffset);
    return null;
  }
  return {
    firstByte: h.firstByte,
    pnLength: h.pnLength,
    headerLength: h.headerLength,
    pn: h.pn,
    keyPhase: h.keyPhase,
    header: packet.subarray(0, h.headerLength),
    payload,
  };
}
