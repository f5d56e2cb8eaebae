/**
 * QUIC versions: the constants tquic knows, the reserved (GREASE) version pattern, and the
 * version-specific mapping of long-header packet type bits (RFC 9000 §17.2 Table 5 for v1,
 * RFC 9369 §3.2 for v2).
 */
import type { Prng } from '../util/prng.js';
import type { PacketType } from './packet-type.js';

/** RFC 9000 §15: QUIC version 1. */
export const QUIC_V1 = 0x00000001;
/** RFC 9369 §3.1: QUIC version 2. */
export const QUIC_V2 = 0x6b3343cf;
/** RFC 9000 §17.2.1: the Version field of a Version Negotiation packet. */
export const VERSION_NEGOTIATION = 0x00000000;

/** The versions whose packet formats tquic parses and builds, in our order of preference. */
export const SUPPORTED_VERSIONS: readonly number[] = [QUIC_V1, QUIC_V2];

/** A long-header packet type: the frame-carrying ones plus Retry (RFC 9000 §17.2). */
export type LongPacketType = Exclude<PacketType, '1rtt'> | 'retry';

/**
 * RFC 9000 §15: versions of the form 0x?a?a?a?a are reserved to exercise version negotiation;
 * they are never selected (RFC 9368 §5).
 */
export function isReservedVersion(version: number): boolean {
  return ((version >>> 0) & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/** True when tquic can parse and build packets of this version (v1 or v2 by default). */
export function isSupportedVersion(version: number, supported: readonly number[] = SUPPORTED_VERSIONS): boolean {
  return supported.includes(version >>> 0);
}

/**
 * A random reserved version 0x?a?a?a?a (RFC 9000 §15, §6.3): for greasing Version Negotiation
 * lists and version_information Available Versions (RFC 9368 §5).
 */
export function greaseVersion(prng: Prng): number {
  return ((prng.nextU32() & 0xf0f0f0f0) | 0x0a0a0a0a) >>> 0;
}

// RFC 9000 §17.2 Table 5: v1 types 0 Initial, 1 0-RTT, 2 Handshake, 3 Retry.
const V1_TYPES: readonly LongPacketType[] = ['initial', '0rtt', 'handshake', 'retry'];
// RFC 9369 §3.2: v2 types 0b01 Initial, 0b10 0-RTT, 0b11 Handshake, 0b00 Retry.
const V2_TYPES: readonly LongPacketType[] = ['retry', 'initial', '0rtt', 'handshake'];

/**
 * The long packet type named by the two type bits (mask 0x30 of the first byte, passed here
 * already shifted down to 0..3) for a given version; undefined for a version whose packet types
 * tquic does not know.
 */
export function longPacketTypeFromBits(version: number, bits: number): LongPacketType | undefined {
  const v = version >>> 0;
  if (v === QUIC_V1) return V1_TYPES[bits & 3];
  if (v === QUIC_V2) return V2_TYPES[bits & 3];
  return undefined;
}

/**
 * The two type bits (0..3, not shifted) for a long packet type of a given version. Throws a
 * RangeError for a version tquic cannot build packets for (a local bug, never a peer's).
 */
export function longPacketTypeBits(version: number, type: LongPacketType): number {
  const v = version >>> 0;
  let bits: number;
  switch (type) {
    case 'initial':
      bits = 0;
      break;
    case '0rtt':
      bits = 1;
      break;
    case 'handshake':
      bits = 2;
      break;
    case 'retry':
      bits = 3;
      break;
  }
  if (v === QUIC_V1) return bits;
  // RFC 9369 §3.2: every v2 type is the v1 type plus one, modulo 4.
  if (v === QUIC_V2) return (bits + 1) & 3;
  throw new RangeError(`no long packet types known for version 0x${v.toString(16)}`);
}

/** A printable version name: "v1", "v2", "VN", "grease(0x1a2a3a4a)" or "0x…". */
export function versionName(version: number): string {
  const v = version >>> 0;
  if (v === QUIC_V1) return 'v1';
  if (v === QUIC_V2) return 'v2';
  if (v === VERSION_NEGOTIATION) return 'VN';
  const hex = `0x${v.toString(16).padStart(8, '0')}`;
  return isReservedVersion(v) ? `grease(${hex})` : hex;
}
