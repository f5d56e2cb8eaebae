/**
 * Bounds for the FEC decoders, which take untrusted input: symbol lengths, coefficient rows and
 * indices all come from REPAIR and SID frames (specs/fec.md B7 §3-4). Every decoder checks its
 * input against these caps before allocating anything and throws only `TransportError`.
 *
 * Defaults follow XQUIC (at most 48 source and 10 repair symbols per block,
 * `XQC_FEC_MAX_SYMBOL_NUM_PBLOCK`), a sliding window of at most 256 source symbols for RLC, and
 * the 16-bit symbol size of RFC 8681 §4.1.1 (E, 16 bits) and RFC 6865 §4.1.1.
 */
import { ErrorCode, TransportError } from '../util/transport-error.js';

/**
 * Caps on what the FEC decoders accept from the network (symbol counts, lengths, window, pending
 * equations), checked before anything is allocated.
 */
export interface FecLimits {
  /** Block codes: at most this many source symbols per block (k). */
  maxSourceSymbols: number;
  /** Block codes: at most this many repair symbols per block (r). */
  maxRepairSymbols: number;
  /** Every code: the longest symbol accepted, in bytes. */
  maxSymbolLength: number;
  /** RLC: at most this many source symbols in the decoding window (and NSS of a repair). */
  maxWindow: number;
  /** RLC: at most this many pending (not yet solved) repair equations held by the decoder. */
  maxEquations: number;
}

/**
 * The default caps: 48 source and 10 repair symbols per block (as XQUIC), 65535-byte symbols, an
 * RLC window of 256 source symbols and 64 pending equations.
 */
export const DEFAULT_FEC_LIMITS: Readonly<FecLimits> = Object.freeze({
  maxSourceSymbols: 48,
  maxRepairSymbols: 10,
  maxSymbolLength: 65535,
  maxWindow: 256,
  maxEquations: 64,
});

/** Absolute ceilings: a GF(2^8) block code has at most 255 symbols (RFC 5510 §8.2, n ≤ 2^m − 1). */
export const MAX_BLOCK_SYMBOLS = 255;
/** RFC 8681 §4.1.3: NSS is a 12-bit field. */
export const MAX_RLC_WINDOW = 4095;

/** Merges caller overrides with the defaults and checks them (a RangeError: a local configuration bug). */
export function resolveLimits(overrides?: Partial<FecLimits>): FecLimits {
  const l: FecLimits = { ...DEFAULT_FEC_LIMITS, ...overrides };
  const check = (name: keyof FecLimits, max: number): void => {
    const v = l[name];
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`FEC limit ${name} must be an integer in 1..${max}`);
  };
  check('maxSourceSymbols', MAX_BLOCK_SYMBOLS - 1);
  check('maxRepairSymbols', MAX_BLOCK_SYMBOLS - 1);
  if (l.maxSourceSymbols + l.maxRepairSymbols > MAX_BLOCK_SYMBOLS) throw new RangeError('FEC limits: k + r must not exceed 255');
  check('maxSymbolLength', 65535);
  check('maxWindow', MAX_RLC_WINDOW);
  check('maxEquations', MAX_RLC_WINDOW);
  return l;
}

/** A malformed FEC input: lengths, indices or coefficient rows that cannot be right. */
export function fecEncodingError(reason: string): TransportError {
  return new TransportError(ErrorCode.FRAME_ENCODING_ERROR, undefined, `FEC: ${reason}`);
}

/** A well-formed FEC input beyond what was negotiated (block size, window, symbol length). */
export function fecLimitError(reason: string): TransportError {
  return new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, `FEC: ${reason}`);
}

/**
 * The result of decoding a block: `symbols[i]` is source symbol i — as received, or recovered
 * (a new buffer, zero-padded at the tail to the block's symbol size), or undefined when it is
 * still missing. `recovered` lists the indices this call rebuilt, `missing` those it could
 * not: a code never guesses, so more erasures than it can fix show up here, never as wrong bytes.
 */
export interface BlockDecodeResult {
  symbols: (Uint8Array | undefined)[];
  recovered: number[];
  missing: number[];
}

/** A repair symbol of a block code together with its position and coefficient row. */
export interface BlockRepairSymbol {
  /**
   * Repair index within the block (the REPAIR frame's Repair Payload ID, specs/fec.md B7 §4).
   * Reed-Solomon uses it to derive the coefficient row only when `coefficients` is absent.
   */
  index?: number;
  /** The repair symbol's bytes. */
  data: Uint8Array;
  /**
   * Reed-Solomon: the k coefficient bytes carried as the Repair Key. Ignored by XOR (whose
   * coefficients are all 1).
   */
  coefficients?: Uint8Array;
}
