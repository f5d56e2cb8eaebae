/** FEC scheme IDs and names (specs/fec.md B7 §2). */

/** FEC scheme IDs (specs/fec.md B7 §2; XQUIC `xquic.h`, RFC 6865, RFC 8681 §5). */
export const FecScheme = {
  /** Systematic Reed-Solomon over GF(2^8), block code (RFC 6865 FEC Encoding ID 8; XQUIC). */
  REED_SOLOMON: 8,
  /** RLC over GF(2), sliding window (RFC 8681 FEC Encoding ID 9). */
  RLC_GF2: 9,
  /** RLC over GF(2^8), sliding window (RFC 8681 FEC Encoding ID 10). */
  RLC_GF256: 10,
  /** XOR, block code with one repair symbol (XQUIC). */
  XOR: 11,
} as const;
/**
 * A FEC scheme ID this layer implements: 8 (Reed-Solomon), 9 (RLC over GF(2)), 10 (RLC over
 * GF(2^8)) or 11 (XOR).
 */
export type FecSchemeId = (typeof FecScheme)[keyof typeof FecScheme];

/** Short names of the schemes this layer implements, by scheme ID. */
export const FEC_SCHEMES: Readonly<Record<FecSchemeId, 'rs' | 'rlc2' | 'rlc' | 'xor'>> = Object.freeze({
  8: 'rs',
  9: 'rlc2',
  10: 'rlc',
  11: 'xor',
});

/** Whether a scheme ID read from a transport parameter is one we implement (unknown IDs are skipped, specs/fec.md B1). */
export function isKnownFecScheme(id: number): id is FecSchemeId {
  return id === 8 || id === 9 || id === 10 || id === 11;
}

/** The scheme's short name, or undefined for an ID we do not implement. */
export function fecSchemeName(id: number): string | undefined {
  return isKnownFecScheme(id) ? FEC_SCHEMES[id] : undefined;
}

/** Block codes group source symbols into blocks with `block << 8 | index` IDs; sliding-window codes number them with a 32-bit ESI. */
export function isBlockScheme(id: FecSchemeId): boolean {
  return id === 8 || id === 11;
}
