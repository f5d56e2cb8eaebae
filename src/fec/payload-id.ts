/**
 * Identifiers and small framing helpers shared by the codes.
 *
 * - Block codes (XOR, Reed-Solomon): Source Payload ID = `block << 8 | index`, a 24-bit source
 *   block number and an 8-bit symbol index, the split of RFC 5510 §5.1 (m = 8) and of XQUIC's
 *   SID frame (specs/fec.md B1, B7 §3).
 * - RLC: the 4-byte Repair Key field `Repair_Key (16) ‖ DT (4) ‖ NSS (12)` of RFC 8681 §4.1.3
 *   (specs/fec.md B7 §4).
 * - Symbols of unequal length are zero-padded at the tail (specs/fec.md B7 §4), so a recovered
 *   symbol carries its padding. A QUIC receiver re-parses it and the padding reads as PADDING
 *   frames (as XQUIC does); a user of these codes that needs the exact length can carry it inside
 *   the symbol with `prefixLength` / `stripLengthPrefix`.
 */
import { fecEncodingError } from './limits.js';

/** Largest block number of a 24-bit Source Block Number (RFC 5510 §5.1, m = 8). */
export const MAX_SOURCE_BLOCK = 0xffffff;

/** RFC 5510 §5.1 / XQUIC: Source Payload ID = block (24 bits) ‖ index (8 bits). */
export function sourcePayloadId(block: number, index: number): number {
  if (!Number.isInteger(block) || block < 0 || block > MAX_SOURCE_BLOCK) throw new RangeError('source block number out of range');
  if (!Number.isInteger(index) || index < 0 || index > 0xff) throw new RangeError('symbol index out of range');
  // Multiplication instead of `<<` keeps the result a non-negative number for blocks ≥ 2^23.
  return block * 256 + index;
}

/** The block number of a Source Payload ID read from the wire (a TransportError if over 32 bits). */
export function payloadIdBlock(id: number): number {
  checkPayloadId(id);
  return Math.floor(id / 256);
}

/** The symbol index of a Source Payload ID read from the wire. */
export function payloadIdIndex(id: number): number {
  checkPayloadId(id);
  return id & 0xff;
}

/** Both parts of a Source Payload ID. */
export function splitSourcePayloadId(id: number): { block: number; index: number } {
  checkPayloadId(id);
  return { block: Math.floor(id / 256), index: id & 0xff };
}

function checkPayloadId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw fecEncodingError('source payload ID exceeds 32 bits');
}

/** RFC 8681 §4.1.3: the parameters packed into an RLC REPAIR frame's 4-byte Repair Key. */
export interface RlcRepairKey {
  /** Repair_Key, 16 bits: the TinyMT32 seed of the coefficients (RFC 8681 §3.6). */
  repairKey: number;
  /** DT, 4 bits: density threshold, 15 = dense (RFC 8681 §3.6). */
  dt: number;
  /** NSS, 12 bits: number of source symbols in the encoding window. */
  nss: number;
}

/** Packs Repair_Key ‖ DT ‖ NSS into 4 bytes at `out[off..off+4)` (RFC 8681 §4.1.3). */
export function writeRlcRepairKey(out: Uint8Array, off: number, key: RlcRepairKey): void {
  const { repairKey, dt, nss } = key;
  if (!Number.isInteger(repairKey) || repairKey < 0 || repairKey > 0xffff) throw new RangeError('Repair_Key must fit 16 bits');
  if (!Number.isInteger(dt) || dt < 0 || dt > 15) throw new RangeError('DT must be in 0..15');
  if (!Number.isInteger(nss) || nss < 1 || nss > 0xfff) throw new RangeError('NSS must be in 1..4095');
  out[off] = repairKey >>> 8;
  out[off + 1] = repairKey & 0xff;
  out[off + 2] = (dt << 4) | (nss >>> 8);
  out[off + 3] = nss & 0xff;
}

/** Reads the 4-byte RLC Repair Key field (untrusted: NSS = 0 is a TransportError). */
export function readRlcRepairKey(buf: Uint8Array, off = 0, len = buf.length - off): RlcRepairKey {
  if (len !== 4 || off < 0 || off + 4 > buf.length) throw fecEncodingError('RLC repair key must be 4 bytes');
  const nss = ((buf[off + 2]! & 0x0f) << 8) | buf[off + 3]!;
  if (nss === 0) throw fecEncodingError('RLC repair key with NSS = 0');
  return { repairKey: (buf[off]! << 8) | buf[off + 1]!, dt: buf[off + 2]! >>> 4, nss };
}

/** Writes `payload` behind a 2-byte big-endian length into a new buffer (for callers that need exact lengths back). */
export function prefixLength(payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError('payload longer than 65535 bytes');
  const out = new Uint8Array(payload.length + 2);
  out[0] = payload.length >>> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** The payload of a (possibly zero-padded, possibly recovered) length-prefixed symbol, as a view. */
export function stripLengthPrefix(symbol: Uint8Array): Uint8Array {
  if (symbol.length < 2) throw fecEncodingError('length-prefixed symbol shorter than its prefix');
  const n = (symbol[0]! << 8) | symbol[1]!;
  if (n + 2 > symbol.length) throw fecEncodingError('length prefix exceeds the symbol');
  return symbol.subarray(2, 2 + n);
}
