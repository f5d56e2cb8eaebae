/**
 * The XOR block code, FEC scheme 11 (XQUIC `xqc_xor.c`, specs/fec.md B1, B7 §2): k source
 * symbols give one repair symbol, their XOR (the single parity row of RFC 5510 §8 with all
 * coefficients 1; the REPAIR frame's Repair Key is empty). One erasure per block is recoverable.
 *
 * Sources of unequal length are zero-padded at the tail; the repair symbol is as long as the
 * longest source, and a recovered symbol comes back padded to that length (the caller carries
 * the real length, e.g. by re-parsing the QUIC payload, where zeros are PADDING frames).
 */
import { xorRegion } from './gf256.js';
import { fecEncodingError, fecLimitError, resolveLimits, type BlockDecodeResult, type FecLimits } from './limits.js';
import { SymbolBuffer } from './symbol-buffer.js';

/**
 * Incremental XOR encoder for one block at a time: `add` each source symbol as it is sent (no
 * copy is kept), then read `repair()` and `reset()` for the next block.
 */
export class XorEncoder {
  private readonly acc = new SymbolBuffer();
  private count = 0;

  /** @param k the number of source symbols per block (1..255). */
  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1 || k > 255) throw new RangeError('XOR: k must be in 1..255');
  }

  /** Source symbols added to the current block so far. */
  get sourceCount(): number {
    return this.count;
  }

  /** True once k source symbols were added. */
  get complete(): boolean {
    return this.count === this.k;
  }

  /** Adds source symbol `src[off..off+len)` and returns its index in the block. */
  add(src: Uint8Array, off = 0, len = src.length - off): number {
    if (this.count >= this.k) throw new RangeError('XOR: block already complete');
    if (len > 65535) throw new RangeError('XOR: symbol longer than 65535 bytes');
    this.acc.extend(len);
    xorRegion(this.acc.buf, src, 0, off, len);
    return this.count++;
  }

  /** The repair symbol so far, as a view valid until the next `add` or `reset`. */
  repair(): Uint8Array {
    return this.acc.view();
  }

  /** Starts the next block. */
  reset(): void {
    this.acc.clear();
    this.count = 0;
  }
}

/** The XOR repair symbol of a whole block (a new buffer as long as the longest source). */
export function xorEncode(sources: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const s of sources) len = Math.max(len, s.length);
  const out = new Uint8Array(len);
  for (const s of sources) xorRegion(out, s, 0, 0, s.length);
  return out;
}

/**
 * Decodes one XOR block. `sources[i]` is source symbol i or undefined when lost (the array's
 * length is k); `repair` is the block's repair symbol, if it arrived. Recovers a single erasure;
 * with more, or without the repair symbol, the lost indices are reported in `missing`.
 *
 * Throws TransportError on malformed input: k beyond the limit, a symbol longer than the limit,
 * or a received source longer than the repair symbol (which must cover the longest source).
 */
export function xorDecode(sources: readonly (Uint8Array | undefined)[], repair: Uint8Array | undefined, limits?: Partial<FecLimits>): BlockDecodeResult {
  const lim = resolveLimits(limits);
  const k = sources.length;
  if (k < 1) throw fecEncodingError('XOR block without source symbols');
  if (k > lim.maxSourceSymbols) throw fecLimitError(`XOR block of ${k} source symbols exceeds ${lim.maxSourceSymbols}`);
  const symbols = sources.slice();
  const missing: number[] = [];
  for (let i = 0; i < k; i++) {
    const s = sources[i];
    if (s === undefined) missing.push(i);
    else if (s.length > lim.maxSymbolLength) throw fecLimitError('source symbol exceeds the maximum symbol length');
  }
  if (missing.length === 0 || repair === undefined || missing.length > 1) return { symbols, recovered: [], missing };
  if (repair.length > lim.maxSymbolLength) throw fecLimitError('repair symbol exceeds the maximum symbol length');
  const out = repair.slice();
  for (let i = 0; i < k; i++) {
    const s = sources[i];
    if (s === undefined) continue;
    if (s.length > out.length) throw fecEncodingError('XOR repair symbol shorter than a source symbol of its block');
    xorRegion(out, s, 0, 0, s.length);
  }
  const lost = missing[0]!;
  symbols[lost] = out;
  return { symbols, recovered: [lost], missing: [] };
}
