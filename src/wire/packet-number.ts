/**
 * Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2 and A.3).
 *
 * Packet numbers are plain numbers: they are exact up to 2^53-1, far beyond what any connection
 * sends (RFC 9000 §12.3 caps them at 2^62-1; see util/varint.ts for the precision rule). All
 * arithmetic here avoids 32-bit bitwise operators on full packet numbers for that reason.
 */

/** Largest packet number allowed by RFC 9000 §12.3. */
export const MAX_PACKET_NUMBER = 2 ** 62 - 1;

/**
 * How many bytes (1..4) to use for the Packet Number field (RFC 9000 §17.1, Appendix A.2).
 *
 * `largestAcked` is the largest packet number the peer has acknowledged in this packet number
 * space, or undefined before any acknowledgment (then the full number must be representable,
 * RFC 9000 §17.1). The sender "MUST use a packet number size able to represent more than twice
 * as large a range as the difference between the largest acknowledged packet number and the
 * packet number being sent": this picks the smallest length with 2^(8·len) > 2·num_unacked,
 * which equals Appendix A.2's ceil((log2(num_unacked) + 1) / 8) except that at an exact power of
 * two it takes the longer encoding, as the "more than" requires.
 *
 * Throws a RangeError if even 4 bytes cannot represent the range (2^31 or more packets in
 * flight, a local bug).
 */
export function packetNumberLength(fullPn: number, largestAcked: number | undefined): 1 | 2 | 3 | 4 {
  const numUnacked = largestAcked === undefined ? fullPn + 1 : fullPn - largestAcked;
  if (!(numUnacked >= 1)) throw new RangeError(`packet number ${fullPn} not above largest acked ${largestAcked}`);
  const range = numUnacked * 2;
  if (range < 0x100) return 1;
  if (range < 0x10000) return 2;
  if (range < 0x1000000) return 3;
  if (range < 0x100000000) return 4;
  throw new RangeError(`packet number range too large to encode: ${numUnacked} unacknowledged`);
}

/** The `len` least significant bytes of `pn` (RFC 9000 §17.1: truncation). */
export function truncatePacketNumber(pn: number, len: 1 | 2 | 3 | 4): number {
  // `% 2^32` first keeps the value exact for pn ≥ 2^32 (bitwise operators would wrap at 2^31).
  const low32 = pn % 0x100000000;
  return len === 4 ? low32 : low32 % 2 ** (8 * len);
}

/**
 * Writes the `len` least significant bytes of `pn` big-endian at buf[offset]; returns the new
 * offset. This is the plaintext Packet Number field, before header protection (RFC 9001 §5.4).
 */
export function writePacketNumber(buf: Uint8Array, offset: number, pn: number, len: 1 | 2 | 3 | 4): number {
  const v = pn % 0x100000000;
  for (let i = len - 1; i >= 0; i--) {
    buf[offset + i] = (v / 2 ** (8 * (len - 1 - i))) & 0xff;
  }
  return offset + len;
}

/**
 * Reads a truncated packet number of `len` bytes at buf[offset] (after header protection has
 * been removed). The caller has checked the bounds: header protection removal needs at least
 * pnOffset + 4 + sample bytes (RFC 9001 §5.4.2), so the field is always there.
 */
export function readPacketNumber(buf: Uint8Array, offset: number, len: 1 | 2 | 3 | 4): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + buf[offset + i]!;
  return v;
}

/**
 * RFC 9000 Appendix A.3, exactly: recovers the full packet number from the truncated value.
 *
 * @param largestPn    largest packet number successfully processed in this packet number
 *                     space; pass -1 when none has been processed yet (expected_pn is then 0)
 * @param truncatedPn  the value of the Packet Number field
 * @param pnNbits      the field's size in bits: 8, 16, 24 or 32
 */
export function decodePacketNumber(largestPn: number, truncatedPn: number, pnNbits: 8 | 16 | 24 | 32): number {
  const expectedPn = largestPn + 1;
  const pnWin = 2 ** pnNbits;
  const pnHwin = pnWin / 2;
  // candidate_pn = (expected_pn & ~pn_mask) | truncated_pn, in exact arithmetic: clearing the low
  // pn_nbits bits is subtracting expected_pn mod pn_win.
  const candidatePn = expectedPn - (expectedPn % pnWin) + truncatedPn;
  if (candidatePn <= expectedPn - pnHwin && candidatePn < 2 ** 62 - pnWin) {
    return candidatePn + pnWin;
  }
  if (candidatePn > expectedPn + pnHwin && candidatePn >= pnWin) {
    return candidatePn - pnWin;
  }
  return candidatePn;
}
