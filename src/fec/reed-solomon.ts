/**
 * Systematic Reed-Solomon block code over GF(2^8), FEC scheme 8 (RFC 5510 §8, RFC 6865 with
 * m = 8; XQUIC `xqc_reed_solomon.c`, specs/fec.md B1, B6, B7 §2).
 *
 * Generator: the n×k Vandermonde matrix V[i][j] = i^j (points 0, 1, …, n−1 of GF(2^8)) made
 * systematic as GM = V · V_top⁻¹, V_top being its first k rows (XQUIC
 * `xqc_build_generator_matrix`). The first k rows of GM are the identity (the source symbols
 * themselves); row k + j gives repair symbol j = Σ_i GM[k+j][i] · source_i. Any k rows of GM are
 * linearly independent (n ≤ 255 distinct points), so any k of the n symbols rebuild the block
 * (MDS). Repair j's coefficient row (k bytes) is what the REPAIR frame's Repair Key carries
 * (specs/fec.md B7 §4), so a decoder needs no knowledge of how the encoder built it.
 *
 * Symbols of unequal length are zero-padded at the tail to the longest; repair symbols are as
 * long as the longest source, and recovered symbols come back at that length. The caller
 * carries each symbol's real length (QUIC re-parses the payload: the padding reads as PADDING
 * frames, as XQUIC does); `prefixLength` in payload-id.ts embeds it otherwise.
 */
import { gfMul, mulAdd2Region, mulAddRegion } from './gf256.js';
import { invertMatrix, rref, vandermonde, vecMulMatrix } from './gf-matrix.js';
import { fecEncodingError, fecLimitError, MAX_BLOCK_SYMBOLS, resolveLimits, type BlockDecodeResult, type BlockRepairSymbol, type FecLimits } from './limits.js';
import { SymbolBuffer } from './symbol-buffer.js';

/** V_top⁻¹ per k, and the repair coefficient rows per (k, j): both deterministic, computed once. */
const topInverse = new Map<number, Uint8Array>();
const rowCache = new Map<number, Uint8Array>();

function coefficientRow(k: number, j: number): Uint8Array {
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(j) || j < 0 || k + j > MAX_BLOCK_SYMBOLS - 1) {
    throw new RangeError(`Reed-Solomon: no repair row ${j} for k = ${k} (k + j must stay below 255)`);
  }
  const key = k * 256 + j;
  let row = rowCache.get(key);
  if (row === undefined) {
    let inv = topInverse.get(k);
    if (inv === undefined) {
      inv = invertMatrix(vandermonde(k, k), k)!; // distinct points: never singular
      topInverse.set(k, inv);
    }
    // Row k + j of V, times V_top⁻¹ (RFC 5510 §8.2).
    const v = vandermonde(k + j + 1, k).subarray((k + j) * k);
    row = vecMulMatrix(v, inv, k, k);
    rowCache.set(key, row);
  }
  return row;
}

/**
 * The k coefficients of repair symbol j of a block of k source symbols: the REPAIR frame's
 * Repair Key (a new buffer; k + j ≤ 254, so that n = k + j + 1 ≤ 255).
 */
export function rsRepairCoefficients(k: number, j: number): Uint8Array {
  return coefficientRow(k, j).slice();
}

/**
 * Incremental Reed-Solomon encoder, one block at a time: `add` each source symbol as it is sent
 * (it is multiplied into the r repair accumulators at once, no copy is kept), then read
 * `repair(j)` with `coefficients(j)` and `reset()` for the next block.
 */
export class RsEncoder {
  private readonly rows: Uint8Array[];
  private readonly acc: SymbolBuffer[];
  private count = 0;

  /** @param k source symbols per block, @param r repair symbols per block (k + r ≤ 255). */
  constructor(
    readonly k: number,
    readonly r: number,
  ) {
    if (!Number.isInteger(k) || k < 1 || !Number.isInteger(r) || r < 1 || k + r > MAX_BLOCK_SYMBOLS) {
      throw new RangeError('Reed-Solomon: need k ≥ 1, r ≥ 1, k + r ≤ 255');
    }
    this.rows = [];
    this.acc = [];
    for (let j = 0; j < r; j++) {
      this.rows.push(coefficientRow(k, j));
      this.acc.push(new SymbolBuffer());
    }
  }

  /** Source symbols added to the current block. */
  get sourceCount(): number {
    return this.count;
  }

  /** True when the block holds all k source symbols, so its repairs are final. */
  get complete(): boolean {
    return this.count === this.k;
  }

  /** Adds source symbol `src[off..off+len)` and returns its index in the block. */
  add(src: Uint8Array, off = 0, len = src.length - off): number {
    const i = this.count;
    if (i >= this.k) throw new RangeError('Reed-Solomon: block already complete');
    if (len > 65535) throw new RangeError('Reed-Solomon: symbol longer than 65535 bytes');
    const r = this.r;
    for (let j = 0; j < r; j++) this.acc[j]!.extend(len);
    let j = 0;
    for (; j + 1 < r; j += 2) mulAdd2Region(this.acc[j]!.buf, this.acc[j + 1]!.buf, src, this.rows[j]![i]!, this.rows[j + 1]![i]!, 0, off, len);
    if (j < r) mulAddRegion(this.acc[j]!.buf, src, this.rows[j]![i]!, 0, off, len);
    this.count = i + 1;
    return i;
  }

  /** Repair symbol j of the current block, a view valid until the next `add` or `reset`. */
  repair(j: number): Uint8Array {
    const a = this.acc[j];
    if (a === undefined) throw new RangeError('Reed-Solomon: no such repair index');
    return a.view();
  }

  /** Repair symbol j's coefficient row (k bytes, shared: do not modify; copy it into the frame). */
  coefficients(j: number): Uint8Array {
    const row = this.rows[j];
    if (row === undefined) throw new RangeError('Reed-Solomon: no such repair index');
    return row;
  }

  /** Starts the next block. */
  reset(): void {
    for (const a of this.acc) a.clear();
    this.count = 0;
  }
}

/** The r repair symbols of a whole block (new buffers, as long as the longest source). */
export function rsEncode(sources: readonly Uint8Array[], r: number): Uint8Array[] {
  const enc = new RsEncoder(sources.length, r);
  for (const s of sources) enc.add(s);
  const out: Uint8Array[] = [];
  for (let j = 0; j < r; j++) out.push(enc.repair(j).slice());
  return out;
}

/**
 * Decodes one Reed-Solomon block. `sources[i]` is source symbol i or undefined when lost (the
 * array's length is k; a receiver learns k from the Repair Key's length, as XQUIC does);
 * `repairs` are the block's repair symbols that arrived, each with its coefficient row (k bytes,
 * from the Repair Key) or, failing that, its repair index.
 *
 * Solves for the erasures over GF(2^8) (Gauss-Jordan on the repair rows restricted to the lost
 * columns): every lost symbol that the received rows determine is recovered, the others are
 * reported in `missing` — with honest rows, all of them once there are as many repairs as
 * erasures, none before.
 *
 * Throws TransportError on malformed input: k or the repair count beyond the limits, a
 * coefficient row not k bytes long, a repair index outside the code, a symbol longer than the
 * limit, or a received source longer than a repair symbol (which covers the longest source).
 */
export function rsDecode(sources: readonly (Uint8Array | undefined)[], repairs: readonly BlockRepairSymbol[], limits?: Partial<FecLimits>): BlockDecodeResult {
  const lim = resolveLimits(limits);
  const k = sources.length;
  if (k < 1) throw fecEncodingError('Reed-Solomon block without source symbols');
  if (k > lim.maxSourceSymbols) throw fecLimitError(`Reed-Solomon block of ${k} source symbols exceeds ${lim.maxSourceSymbols}`);
  if (repairs.length > lim.maxRepairSymbols) throw fecLimitError(`${repairs.length} repair symbols exceed ${lim.maxRepairSymbols}`);

  const symbols = sources.slice();
  const missing: number[] = [];
  let longestSource = 0;
  for (let i = 0; i < k; i++) {
    const s = sources[i];
    if (s === undefined) missing.push(i);
    else longestSource = Math.max(longestSource, s.length);
  }
  if (longestSource > lim.maxSymbolLength) throw fecLimitError('source symbol exceeds the maximum symbol length');

  const nr = repairs.length;
  const coefs: Uint8Array[] = [];
  let size = 0;
  for (const rep of repairs) {
    if (rep.data.length > lim.maxSymbolLength) throw fecLimitError('repair symbol exceeds the maximum symbol length');
    if (rep.data.length < longestSource) throw fecEncodingError('repair symbol shorter than a source symbol of its block');
    size = Math.max(size, rep.data.length);
    if (rep.coefficients !== undefined) {
      if (rep.coefficients.length !== k) throw fecEncodingError(`Reed-Solomon repair key of ${rep.coefficients.length} bytes for k = ${k}`);
      coefs.push(rep.coefficients);
    } else {
      const j = rep.index;
      if (j === undefined || !Number.isInteger(j) || j < 0 || k + j > MAX_BLOCK_SYMBOLS - 1) throw fecEncodingError('Reed-Solomon repair index outside the code');
      coefs.push(coefficientRow(k, j));
    }
  }
  const e = missing.length;
  if (e === 0 || nr === 0) return { symbols, recovered: [], missing };

  // A (nr × e): the repair rows restricted to the lost columns; T (nr × nr) records the row
  // operations, so that reduced row i = Σ_j T[i][j] · (repair_j − known sources' share).
  const a = new Uint8Array(nr * e);
  const t = new Uint8Array(nr * nr);
  for (let j = 0; j < nr; j++) {
    for (let m = 0; m < e; m++) a[j * e + m] = coefs[j]![missing[m]!]!;
    t[j * nr + j] = 1;
  }
  const pivots = rref(a, nr, e, t, nr);
  const isPivot = new Uint8Array(e);
  for (const p of pivots) isPivot[p] = 1;

  // Each solved row i gives lost = Σ_j T[i][j]·repair_j + Σ_{s received} (Σ_j T[i][j]·c_j[s])·source_s:
  // first the weights, then the symbol data, two erasures per pass over the inputs.
  const recovered: number[] = [];
  const rowT: number[] = [];
  const srcW: Uint8Array[] = [];
  for (let i = 0; i < pivots.length; i++) {
    // Row i determines its pivot erasure only if no still-free erasure appears in it.
    let free = false;
    for (let m = 0; m < e; m++) if (isPivot[m] === 0 && a[i * e + m] !== 0) free = true;
    if (free) continue;
    const weights = new Uint8Array(k);
    for (let j = 0; j < nr; j++) {
      const w = t[i * nr + j]!;
      if (w === 0) continue;
      const c = coefs[j]!;
      for (let s = 0; s < k; s++) if (sources[s] !== undefined) weights[s] = weights[s]! ^ gfMul(w, c[s]!);
    }
    recovered.push(missing[pivots[i]!]!);
    rowT.push(i * nr);
    srcW.push(weights);
  }
  const outs = recovered.map(() => new Uint8Array(size));
  for (let q = 0; q < recovered.length; q += 2) {
    const outA = outs[q]!;
    const tA = rowT[q]!;
    const wA = srcW[q]!;
    if (q + 1 < recovered.length) {
      const outB = outs[q + 1]!;
      const tB = rowT[q + 1]!;
      const wB = srcW[q + 1]!;
      for (let j = 0; j < nr; j++) {
        const d = repairs[j]!.data;
        mulAdd2Region(outA, outB, d, t[tA + j]!, t[tB + j]!, 0, 0, d.length);
      }
      for (let s = 0; s < k; s++) {
        const src = sources[s];
        if (src !== undefined) mulAdd2Region(outA, outB, src, wA[s]!, wB[s]!, 0, 0, src.length);
      }
    } else {
      for (let j = 0; j < nr; j++) {
        const d = repairs[j]!.data;
        mulAddRegion(outA, d, t[tA + j]!, 0, 0, d.length);
      }
      for (let s = 0; s < k; s++) {
        const src = sources[s];
        if (src !== undefined) mulAddRegion(outA, src, wA[s]!, 0, 0, src.length);
      }
    }
  }
  recovered.forEach((lost, q) => (symbols[lost] = outs[q]!));
  recovered.sort((x, y) => x - y);
  return { symbols, recovered, missing: missing.filter((m) => symbols[m] === undefined) };
}
