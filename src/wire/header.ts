/**
 * QUIC packet headers (RFC 9000 §17, RFC 8999, RFC 9369 §3.2): parsing received packets up to
 * the protected part, writing our own, Version Negotiation and Retry, and splitting a datagram
 * into coalesced packets (RFC 9000 §12.2).
 *
 * What is parsed here is only what header protection leaves readable (RFC 9001 §5.4): the
 * header form, Fixed Bit, long packet type, spin bit, version, connection IDs, token, Length.
 * The low bits of the first byte (reserved bits, key phase, packet number length) and the
 * packet number itself are read after header protection has been removed, with the helpers at
 * the end of this file and in packet-number.ts.
 *
 * Offsets: `pnOffset` is always relative to the first byte of the packet (as in RFC 9001
 * §5.4.2, where the sample starts at pnOffset + 4), so that `buf.subarray(start, start +
 * packetLength)` plus `pnOffset` is everything header protection needs.
 *
 * Errors: parsing throws only TransportError, and a thrown error means "drop this packet" (RFC
 * 9000 §5.2, §12.2), never "close the connection". Truncation and impossible lengths carry
 * FRAME_ENCODING_ERROR, rule violations (Fixed Bit, connection ID length) PROTOCOL_VIOLATION.
 * Writing our own packets throws RangeError on a local bug (oversized CID, missing space).
 */
import { ByteWriter, equalBytes } from '../util/bytes.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { readVarintAt, writeVarintAt } from '../util/varint.js';
import { writePacketNumber } from './packet-number.js';
import type { PacketType } from './packet-type.js';
import { MAX_CID_LENGTH } from './frame.js';
import { QUIC_V1, QUIC_V2, VERSION_NEGOTIATION, longPacketTypeBits, longPacketTypeFromBits } from './version.js';

// RFC 9000 §17.2: connection IDs of v1 (and v2) are at most 20 bytes (MAX_CID_LENGTH, frame.ts).
/** RFC 8999 §5.1: other versions may use up to 255 bytes (the length is one byte). */
export const MAX_INVARIANT_CID_LENGTH = 255;
/** RFC 9001 §5.8: the Retry Integrity Tag is 128 bits. */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

/**
 * What a parsed header is: a frame-carrying packet type, a Retry, a Version Negotiation packet
 * (Version 0), or a long header of a version whose format tquic does not know (only the
 * invariant fields of RFC 8999 §5.1 are parsed; a server answers it with Version Negotiation).
 */
export type HeaderType = PacketType | 'retry' | 'version_negotiation' | 'unsupported_version';

/** How to parse packet headers: what this endpoint knows that the header does not say. */
export interface ParseHeaderOptions {
  /**
   * Length of the Destination Connection ID in short-header packets: the length of the
   * connection IDs this endpoint issues (RFC 9000 §5.1, §17.3: the header does not encode it).
   */
  shortDcidLength: number;
  /**
   * RFC 9287 §3: we advertised grease_quic_bit, so the peer may send a zero Fixed Bit. Without
   * it a zero Fixed Bit makes the packet invalid (RFC 9000 §17.2, §17.3.1).
   */
  allowZeroFixedBit?: boolean;
  /**
   * false: leave `dcid` empty for short headers and give its place only (`dcidOffset`,
   * `dcidLength`). The receive path of an established connection, which already knows its own
   * connection ID, then parses a 1-RTT header without creating a view (DESIGN §4 rule 2).
   */
  shortDcidView?: boolean;
}

/**
 * A parsed header. Byte fields are views into the datagram (no copy): copy what must outlive it.
 * The object may be reused across parses (`parsePacketHeaderInto`).
 */
export interface PacketHeader {
  form: 'long' | 'short';
  type: HeaderType;
  /** The first byte as received; for protected packets its low bits are still masked. */
  firstByte: number;
  /** The Version field; 0 for short headers (which have none) and Version Negotiation. */
  version: number;
  dcid: Uint8Array;
  /** Absolute offset of the DCID in the datagram, and its length (always set, see `shortDcidView`). */
  dcidOffset: number;
  dcidLength: number;
  /** Empty for short headers. */
  scid: Uint8Array;
  /** Initial (RFC 9000 §17.2.2) and Retry (§17.2.5) token; empty otherwise. */
  token: Uint8Array;
  /** Retry only (RFC 9000 §17.2.5): the 16-byte Retry Integrity Tag; empty otherwise. */
  retryTag: Uint8Array;
  /** Version Negotiation only (RFC 9000 §17.2.1): the Supported Version list; empty otherwise. */
  versions: readonly number[];
  /** Short headers (RFC 9000 §17.4): the latency spin bit, which header protection leaves clear. */
  spinBit: boolean;
  /** Absolute offset of the packet's first byte in the datagram. */
  start: number;
  /**
   * Offset of the Packet Number field relative to `start`; -1 for packets without one (Retry,
   * Version Negotiation, unsupported version).
   */
  pnOffset: number;
  /** The declared Length field (long headers with a packet number); -1 otherwise. */
  length: number;
  /** Bytes of this packet in the datagram: to the end of the datagram unless Length says less. */
  packetLength: number;
}

const EMPTY = new Uint8Array(0);
const NO_VERSIONS: readonly number[] = Object.freeze([]);

/** A blank header object for `parsePacketHeaderInto`. */
export function createPacketHeader(): PacketHeader {
  return {
    form: 'short',
    type: '1rtt',
    firstByte: 0,
    version: 0,
    dcid: EMPTY,
    dcidOffset: 0,
    dcidLength: 0,
    scid: EMPTY,
    token: EMPTY,
    retryTag: EMPTY,
    versions: NO_VERSIONS,
    spinBit: false,
    start: 0,
    pnOffset: -1,
    length: -1,
    packetLength: 0,
  };
}

function truncated(what: string): never {
  throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, `packet header: ${what}`);
}

function violation(what: string): never {
  throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, `packet header: ${what}`);
}

/**
 * Parses the header of the packet starting at buf[offset] into `out` (and returns it). The
 * packet extends at most to buf.length. Throws TransportError only (the packet is to be dropped);
 * after a throw the contents of `out` are unspecified.
 */
export function parsePacketHeaderInto(
  buf: Uint8Array,
  offset: number,
  opts: ParseHeaderOptions,
  out: PacketHeader,
): PacketHeader {
  const end = buf.length;
  if (offset >= end) truncated('empty packet');
  const first = buf[offset]!;
  out.firstByte = first;
  out.start = offset;
  out.scid = EMPTY;
  out.token = EMPTY;
  out.retryTag = EMPTY;
  out.versions = NO_VERSIONS;
  out.spinBit = false;
  out.pnOffset = -1;
  out.length = -1;
  const fixedOk = (first & 0x40) !== 0 || opts.allowZeroFixedBit === true;

  if ((first & 0x80) === 0) {
    // RFC 9000 §17.3.1: 1-RTT packet; the DCID length is known only to the receiver.
    const dcidLen = opts.shortDcidLength;
    if (!Number.isInteger(dcidLen) || dcidLen < 0 || dcidLen > MAX_CID_LENGTH) {
      throw new RangeError(`shortDcidLength ${dcidLen}`);
    }
    if (!fixedOk) violation('fixed bit is zero');
    if (offset + 1 + dcidLen > end) truncated('short header DCID');
    out.form = 'short';
    out.type = '1rtt';
    out.version = 0;
    out.dcid = opts.shortDcidView === false ? EMPTY : buf.subarray(offset + 1, offset + 1 + dcidLen);
    out.dcidOffset = offset + 1;
    out.dcidLength = dcidLen;
    out.spinBit = (first & 0x20) !== 0; // RFC 9000 §17.4
    out.pnOffset = 1 + dcidLen;
    out.packetLength = end - offset;
    return out;
  }

  // RFC 8999 §5.1 / RFC 9000 §17.2: the version-independent part of a long header.
  out.form = 'long';
  if (offset + 6 > end) truncated('long header');
  const version = ((buf[offset + 1]! << 24) | (buf[offset + 2]! << 16) | (buf[offset + 3]! << 8) | buf[offset + 4]!) >>> 0;
  out.version = version;
  const known = version === QUIC_V1 || version === QUIC_V2;
  const maxCid = known ? MAX_CID_LENGTH : MAX_INVARIANT_CID_LENGTH;
  let p = offset + 5;
  const dcidLen = buf[p++]!;
  // RFC 9000 §17.2: a v1 long header with a CID length above 20 MUST be dropped.
  if (dcidLen > maxCid) violation(`DCID length ${dcidLen}`);
  if (p + dcidLen + 1 > end) truncated('DCID');
  out.dcid = buf.subarray(p, p + dcidLen);
  out.dcidOffset = p;
  out.dcidLength = dcidLen;
  p += dcidLen;
  const scidLen = buf[p++]!;
  if (scidLen > maxCid) violation(`SCID length ${scidLen}`);
  if (p + scidLen > end) truncated('SCID');
  out.scid = buf.subarray(p, p + scidLen);
  p += scidLen;
  out.packetLength = end - offset;

  if (version === VERSION_NEGOTIATION) {
    // RFC 9000 §17.2.1: the Unused bits (including 0x40) are ignored; the rest of the datagram
    // is a list of 32-bit versions.
    out.type = 'version_negotiation';
    if ((end - p) % 4 !== 0) truncated('Version Negotiation list not a multiple of 4 bytes');
    const versions: number[] = [];
    for (; p < end; p += 4) {
      versions.push(((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0);
    }
    out.versions = versions;
    return out;
  }
  if (!known) {
    out.type = 'unsupported_version';
    return out;
  }
  if (!fixedOk) violation('fixed bit is zero');
  const type = longPacketTypeFromBits(version, (first >> 4) & 3)!;
  out.type = type;

  if (type === 'retry') {
    // RFC 9000 §17.2.5: Retry Token (..), Retry Integrity Tag (128) to the end of the datagram.
    // (A client discards a Retry with an empty token, §17.2.5.2; that is the caller's check.)
    if (end - p < RETRY_INTEGRITY_TAG_LENGTH) truncated('Retry Integrity Tag');
    out.token = buf.subarray(p, end - RETRY_INTEGRITY_TAG_LENGTH);
    out.retryTag = buf.subarray(end - RETRY_INTEGRITY_TAG_LENGTH, end);
    return out;
  }
  if (type === 'initial') {
    // RFC 9000 §17.2.2: Token Length (i), Token (..).
    const tokenLen = readVarintAt(buf, p, end);
    p += 1 << (buf[p]! >> 6);
    if (tokenLen > end - p) truncated('token');
    out.token = buf.subarray(p, p + tokenLen);
    p += tokenLen;
  }
  // RFC 9000 §17.2: Length (i) covers the Packet Number and the payload.
  const length = readVarintAt(buf, p, end);
  p += 1 << (buf[p]! >> 6);
  if (length > end - p) truncated(`Length ${length} exceeds the datagram`);
  out.length = length;
  out.pnOffset = p - offset;
  out.packetLength = p - offset + length;
  return out;
}

/** Convenience form of `parsePacketHeaderInto` returning a fresh object. */
export function parsePacketHeader(buf: Uint8Array, opts: ParseHeaderOptions, offset = 0): PacketHeader {
  return parsePacketHeaderInto(buf, offset, opts, createPacketHeader());
}

// ---------------------------------------------------------------------------------------------
// Coalesced packets (RFC 9000 §12.2)

/**
 * The result of `splitCoalescedPackets`: the headers of the packets of one datagram (RFC 9000
 * §12.2) and what was dropped.
 */
export interface CoalescedPackets {
  /** Headers of the packets that parsed, in datagram order. */
  packets: PacketHeader[];
  /** Packets skipped because their DCID differs from the first packet's (RFC 9000 §12.2). */
  ignored: number;
  /** Why the rest of the datagram was dropped, if it was. */
  error: TransportError | undefined;
  /** Absolute offset from which the datagram was dropped (datagram.length when nothing was). */
  droppedFrom: number;
}

/**
 * Splits a datagram into its coalesced packets (RFC 9000 §12.2): long-header packets with a
 * Length field are walked one after another; a short-header, Retry, Version Negotiation or
 * unsupported-version packet extends to the end of the datagram. A packet that fails to parse
 * (e.g. a Length beyond the datagram) drops the rest of the datagram: the packets before it are
 * returned with `error` set. Receivers SHOULD ignore later packets whose DCID differs from the
 * first packet's; they are skipped and counted in `ignored`. Never throws.
 */
export function splitCoalescedPackets(datagram: Uint8Array, opts: ParseHeaderOptions): CoalescedPackets {
  const result: CoalescedPackets = { packets: [], ignored: 0, error: undefined, droppedFrom: datagram.length };
  let offset = 0;
  while (offset < datagram.length) {
    let h: PacketHeader;
    try {
      h = parsePacketHeaderInto(datagram, offset, opts, createPacketHeader());
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      result.error = e;
      result.droppedFrom = offset;
      break;
    }
    const firstPacket = result.packets[0];
    if (firstPacket !== undefined && !equalBytes(firstPacket.dcid, h.dcid)) result.ignored++;
    else result.packets.push(h);
    offset += h.packetLength;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Writing our own packets

/**
 * The fields of a long header `writeLongHeader` writes (Initial, 0-RTT or Handshake; RFC 9000
 * §17.2).
 */
export interface LongHeaderParams {
  type: 'initial' | '0rtt' | 'handshake';
  /** QUIC_V1 or QUIC_V2: the type bits differ (RFC 9369 §3.2). */
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial only (RFC 9000 §17.2.2); empty when absent. */
  token?: Uint8Array;
  /** The full packet number; its `pnLength` low bytes are written. */
  packetNumber: number;
  pnLength: 1 | 2 | 3 | 4;
  /** Size of the Length field reserved before the payload is known (default 2). */
  lengthFieldSize?: 2 | 4;
  /** RFC 9287 §3: false only when the peer sent grease_quic_bit. Default true. */
  fixedBit?: boolean;
}

function checkCid(cid: Uint8Array, max: number, what: string): void {
  if (cid.length > max) throw new RangeError(`${what} length ${cid.length} > ${max}`);
}

/**
 * Writes a long header (RFC 9000 §17.2) with a placeholder Length field and the plaintext
 * packet number at w.offset; returns pnOffset relative to the packet start. The first byte
 * carries the packet number length and zero reserved bits (RFC 9000 §17.2), to be masked by
 * header protection. After writing the payload (and reserving the AEAD tag), fill in the Length
 * with `patchLongHeaderLength`.
 */
export function writeLongHeader(w: ByteWriter, h: LongHeaderParams): number {
  checkCid(h.dcid, MAX_CID_LENGTH, 'DCID');
  checkCid(h.scid, MAX_CID_LENGTH, 'SCID');
  const token = h.token ?? EMPTY;
  if (token.length > 0 && h.type !== 'initial') throw new RangeError(`token in a ${h.type} packet`);
  const start = w.offset;
  const fixed = h.fixedBit === false ? 0 : 0x40;
  w.u8(0x80 | fixed | (longPacketTypeBits(h.version, h.type) << 4) | (h.pnLength - 1));
  w.u32(h.version >>> 0);
  w.u8(h.dcid.length).bytes(h.dcid);
  w.u8(h.scid.length).bytes(h.scid);
  if (h.type === 'initial') w.varint(token.length).bytes(token);
  w.varint(0, h.lengthFieldSize ?? 2); // RFC 9000 §17.2 Length, patched later
  const pnOffset = w.offset - start;
  if (w.remaining < h.pnLength) throw new RangeError('ByteWriter overflow: packet number');
  w.offset = writePacketNumber(w.buf, w.offset, h.packetNumber, h.pnLength);
  return pnOffset;
}

/**
 * Fills in the Length field of a long header written by `writeLongHeader`: Length covers the
 * packet number and payload up to `packetEnd` (absolute; include the AEAD tag). Throws a
 * RangeError if the value does not fit the reserved field size.
 */
export function patchLongHeaderLength(
  buf: Uint8Array,
  packetStart: number,
  pnOffset: number,
  packetEnd: number,
  lengthFieldSize: 2 | 4 = 2,
): void {
  const pnAbs = packetStart + pnOffset;
  writeVarintAt(buf, pnAbs - lengthFieldSize, packetEnd - pnAbs, lengthFieldSize);
}

/** The fields of a 1-RTT short header `writeShortHeader` writes (RFC 9000 §17.3.1). */
export interface ShortHeaderParams {
  dcid: Uint8Array;
  packetNumber: number;
  pnLength: 1 | 2 | 3 | 4;
  /** RFC 9000 §17.4: the latency spin bit. */
  spinBit?: boolean;
  /** RFC 9001 §6: the key phase bit. */
  keyPhase?: 0 | 1;
  /** RFC 9287 §3: false only when the peer sent grease_quic_bit. Default true. */
  fixedBit?: boolean;
}

/**
 * Writes a short header (RFC 9000 §17.3.1) and the plaintext packet number at w.offset; returns
 * pnOffset relative to the packet start. Reserved bits are zero.
 */
export function writeShortHeader(w: ByteWriter, h: ShortHeaderParams): number {
  checkCid(h.dcid, MAX_CID_LENGTH, 'DCID');
  const start = w.offset;
  const fixed = h.fixedBit === false ? 0 : 0x40;
  w.u8(fixed | (h.spinBit === true ? 0x20 : 0) | ((h.keyPhase ?? 0) << 2) | (h.pnLength - 1));
  w.bytes(h.dcid);
  const pnOffset = w.offset - start;
  if (w.remaining < h.pnLength) throw new RangeError('ByteWriter overflow: packet number');
  w.offset = writePacketNumber(w.buf, w.offset, h.packetNumber, h.pnLength);
  return pnOffset;
}

/** The fields of a Retry packet `writeRetry` writes (RFC 9000 §17.2.5). */
export interface RetryParams {
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  token: Uint8Array;
  /**
   * RFC 9001 §5.8: the tag, computed over the Retry pseudo-packet (the original DCID followed
   * by this packet without the tag). Omit it to write the packet without the tag, compute the
   * tag over what was written, then append it with `w.bytes(tag)`.
   */
  integrityTag?: Uint8Array;
  /** The 4 Unused bits (RFC 9000 §17.2.5); default 0. */
  unusedBits?: number;
}

/** Writes a Retry packet (RFC 9000 §17.2.5, RFC 9369 §3.2 for the v2 type bits). */
export function writeRetry(w: ByteWriter, r: RetryParams): void {
  checkCid(r.dcid, MAX_CID_LENGTH, 'DCID');
  checkCid(r.scid, MAX_CID_LENGTH, 'SCID');
  if (r.integrityTag !== undefined && r.integrityTag.length !== RETRY_INTEGRITY_TAG_LENGTH) {
    throw new RangeError(`Retry Integrity Tag length ${r.integrityTag.length}`);
  }
  w.u8(0xc0 | (longPacketTypeBits(r.version, 'retry') << 4) | ((r.unusedBits ?? 0) & 0x0f));
  w.u32(r.version >>> 0);
  w.u8(r.dcid.length).bytes(r.dcid);
  w.u8(r.scid.length).bytes(r.scid);
  w.bytes(r.token);
  if (r.integrityTag !== undefined) w.bytes(r.integrityTag);
}

/** The fields of a Version Negotiation packet (RFC 9000 §17.2.1). */
export interface VersionNegotiationParams {
  /** The client's SCID, echoed (RFC 9000 §17.2.1); up to 255 bytes. */
  dcid: Uint8Array;
  /** The client's DCID, echoed; up to 255 bytes. */
  scid: Uint8Array;
  versions: readonly number[];
  /** The 7 Unused bits (e.g. random); 0x40 is always set (RFC 9000 §17.2.1 SHOULD). */
  unusedBits?: number;
}

/** Writes a Version Negotiation packet (RFC 9000 §17.2.1). */
export function writeVersionNegotiation(w: ByteWriter, p: VersionNegotiationParams): void {
  checkCid(p.dcid, MAX_INVARIANT_CID_LENGTH, 'DCID');
  checkCid(p.scid, MAX_INVARIANT_CID_LENGTH, 'SCID');
  w.u8(0x80 | 0x40 | ((p.unusedBits ?? 0) & 0x3f));
  w.u32(VERSION_NEGOTIATION);
  w.u8(p.dcid.length).bytes(p.dcid);
  w.u8(p.scid.length).bytes(p.scid);
  for (const v of p.versions) w.u32(v >>> 0);
}

/** A Version Negotiation packet as a fresh byte array. */
export function encodeVersionNegotiation(p: VersionNegotiationParams): Uint8Array {
  const len = 7 + p.dcid.length + p.scid.length + 4 * p.versions.length;
  const buf = new Uint8Array(len);
  writeVersionNegotiation(new ByteWriter(buf), p);
  return buf;
}

/**
 * Decodes a datagram that must be a Version Negotiation packet (RFC 9000 §17.2.1); the Unused
 * bits are ignored. Throws TransportError if it is anything else or malformed.
 */
export function decodeVersionNegotiation(datagram: Uint8Array): {
  dcid: Uint8Array;
  scid: Uint8Array;
  versions: readonly number[];
} {
  if (datagram.length === 0 || (datagram[0]! & 0x80) === 0) truncated('not a long header');
  const h = parsePacketHeader(datagram, { shortDcidLength: 0 });
  if (h.type !== 'version_negotiation') violation('not a Version Negotiation packet');
  return { dcid: h.dcid, scid: h.scid, versions: h.versions };
}

// ---------------------------------------------------------------------------------------------
// First-byte fields readable after header protection is removed (RFC 9001 §5.4.1)

/** RFC 9000 §17.2, §17.3.1: Packet Number Length bits + 1. */
export function pnLengthFromFirstByte(firstByte: number): 1 | 2 | 3 | 4 {
  return ((firstByte & 0x03) + 1) as 1 | 2 | 3 | 4;
}

/** RFC 9000 §17.3.1: the Key Phase bit of a short header. */
export function keyPhaseFromFirstByte(firstByte: number): 0 | 1 {
  return ((firstByte >> 2) & 1) as 0 | 1;
}

/**
 * RFC 9000 §17.2 (mask 0x0c) and §17.3.1 (mask 0x18): the reserved bits, which MUST be zero
 * after removing protection, else PROTOCOL_VIOLATION. Returns the masked bits (0 when valid).
 */
export function reservedBitsFromFirstByte(firstByte: number, form: 'long' | 'short'): number {
  return form === 'long' ? firstByte & 0x0c : firstByte & 0x18;
}
