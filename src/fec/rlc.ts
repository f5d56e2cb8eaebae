/**
 * Sliding-window Random Linear Codes, RFC 8681: FEC scheme 10 (GF(2^8), m = 8) and scheme 9
 * (GF(2), m = 1) (specs/fec.md B6, B7 §2). This module holds the coefficient generation
 * (RFC 8681 §3.6) and the encoder; the decoder is in rlc-decoder.ts.
 *
 * A repair symbol covers the encoding window, the NSS most recent source symbols with ESIs
 * FSS_ESI … FSS_ESI + NSS − 1: repair = Σ_i cc[i] · source(FSS_ESI + i) over GF(2^m), the
 * coefficients cc drawn by TinyMT32 seeded with the 16-bit Repair_Key at density DT
 * (RFC 8681 §3.6, §4.1.3). ESIs are 32-bit and wrap. Sources of unequal length are zero-padded
 * at the tail (specs/fec.md B7 §4); a repair symbol is as long as the longest source it covers.
 */
import { mulAddRegion } from './gf256.js';
import { MAX_RLC_WINDOW } from './limits.js';
import { SymbolBuffer } from './symbol-buffer.js';
import { TinyMT32 } from './tinymt32.js';

/** The finite field parameter m of RFC 8681: 8 for GF(2^8) (scheme 10), 1 for GF(2) (scheme 9). */
export type RlcFieldSize = 1 | 8;

const prng = new TinyMT32(0);

/**
 * RFC 8681 §3.6 `generate_coding_coefs`: fills cc_tab[0..cc_nb) with the coding coefficients of
 * the repair symbol keyed `repairKey`.
 *
 * - m = 1, DT = 15: every coefficient is 1 (the PRNG is not used);
 * - m = 1, DT < 15: coefficient i is 1 when `rand16() ≤ DT`, else 0;
 * - m = 8, DT = 15: each coefficient is `rand256()`, drawn again while it is 0;
 * - m = 8, DT < 15: when `rand16() ≤ DT` a non-zero `rand256()` as above, else 0.
 *
 * So a coefficient is non-zero with probability (DT + 1)/16. Arguments out of range are a
 * local bug (RangeError): the decoder checks what comes off the wire first.
 */
export function generateCodingCoefs(repairKey: number, ccTab: Uint8Array, ccNb: number, dt: number, m: RlcFieldSize = 8): void {
  if (!Number.isInteger(repairKey) || repairKey < 0 || repairKey > 0xffff) throw new RangeError('RLC: repair_key must fit 16 bits');
  if (!Number.isInteger(dt) || dt < 0 || dt > 15) throw new RangeError('RLC: DT must be in 0..15');
  if (!Number.isInteger(ccNb) || ccNb < 0 || ccNb > ccTab.length) throw new RangeError('RLC: cc_nb exceeds the coefficient table');
  if (m === 1) {
    if (dt === 15) {
      ccTab.fill(1, 0, ccNb);
      return;
    }
    prng.init(repairKey);
    for (let i = 0; i < ccNb; i++) ccTab[i] = prng.rand16() <= dt ? 1 : 0;
    return;
  }
  if (m !== 8) throw new RangeError('RLC: m must be 1 or 8');
  prng.init(repairKey);
  if (dt === 15) {
    for (let i = 0; i < ccNb; i++) {
      let c: number;
      do c = prng.rand256();
      while (c === 0);
      ccTab[i] = c;
    }
    return;
  }
  for (let i = 0; i < ccNb; i++) {
    if (prng.rand16() <= dt) {
      let c: number;
      do c = prng.rand256();
      while (c === 0);
      ccTab[i] = c;
    } else {
      ccTab[i] = 0;
    }
  }
}

/** The smallest power of two ≥ n: ring sizes, so that ESI & (size − 1) survives 32-bit wrap. */
export function ringSize(n: number): number {
  let r = 1;
  while (r < n) r <<= 1;
  return r;
}

/** A repair symbol as produced by `RlcEncoder.repair`. */
export interface RlcRepair {
  /** ESI of the first source symbol of the encoding window (FSS_ESI, RFC 8681 §4.1.3). */
  fssEsi: number;
  /** Number of source symbols in the window (NSS). */
  nss: number;
  repairKey: number;
  dt: number;
  /** The repair symbol (a new buffer). */
  data: Uint8Array;
}

/**
 * RFC 8681 §3.4 encoder: keeps a copy of the last `maxWindow` source symbols (callers recycle
 * their packet buffers) in a ring of buffers that only grow, and computes repair symbols over
 * the most recent NSS of them, straight into the caller's packet buffer with `repairInto`.
 */
export class RlcEncoder {
  readonly maxWindow: number;
  readonly m: RlcFieldSize;
  private readonly mask: number;
  private readonly ring: SymbolBuffer[] = [];
  private readonly cc: Uint8Array;
  private next: number;
  private count = 0;

  /**
   * @param opts.maxWindow the largest encoding window (1..4095, default 256)
   * @param opts.m 8 (scheme 10, default) or 1 (scheme 9)
   * @param opts.firstEsi the ESI of the first source symbol (default 0)
   */
  constructor(opts: { maxWindow?: number; m?: RlcFieldSize; firstEsi?: number } = {}) {
    const w = opts.maxWindow ?? 256;
    if (!Number.isInteger(w) || w < 1 || w > MAX_RLC_WINDOW) throw new RangeError('RLC: maxWindow must be in 1..4095');
    this.maxWindow = w;
    this.m = opts.m ?? 8;
    const size = ringSize(w);
    this.mask = size - 1;
    for (let i = 0; i < size; i++) this.ring.push(new SymbolBuffer());
    this.cc = new Uint8Array(w);
    this.next = (opts.firstEsi ?? 0) >>> 0;
  }

  /** The ESI the next source symbol will get. */
  get nextEsi(): number {
    return this.next;
  }

  /** Source symbols currently in the window (at most maxWindow). */
  get windowSize(): number {
    return this.count;
  }

  /** Copies source symbol `src[off..off+len)` into the window and returns its ESI (RFC 8681 §4.1.2). */
  add(src: Uint8Array, off = 0, len = src.length - off): number {
    if (len > 65535) throw new RangeError('RLC: symbol longer than 65535 bytes');
    const esi = this.next;
    this.ring[esi & this.mask]!.assign(src, off, len);
    this.next = (esi + 1) >>> 0;
    if (this.count < this.maxWindow) this.count++;
    return esi;
  }

  /** Shrinks the window to start at `esi` (e.g. once the peer acknowledged older packets). */
  slideTo(esi: number): void {
    const keep = (this.next - (esi >>> 0)) >>> 0;
    if (keep < this.count) this.count = keep;
  }

  /** FSS_ESI of a repair symbol over the last `nss` source symbols. */
  windowStart(nss: number = this.count): number {
    return (this.next - nss) >>> 0;
  }

  /** The length of a repair symbol over the last `nss` source symbols (the longest of them). */
  repairLength(nss: number = this.count): number {
    this.checkNss(nss);
    let len = 0;
    for (let i = 0; i < nss; i++) len = Math.max(len, this.ring[(this.next - nss + i) & this.mask]!.length);
    return len;
  }

  /**
   * Writes the repair symbol keyed (repairKey, dt) over the last `nss` source symbols into
   * `out[off..)` and returns its length; FSS_ESI is `windowStart(nss)`. No allocation.
   */
  repairInto(out: Uint8Array, off: number, repairKey: number, dt: number, nss: number = this.count): number {
    const len = this.repairLength(nss);
    if (off < 0 || off + len > out.length) throw new RangeError('RLC: repair symbol does not fit the output buffer');
    generateCodingCoefs(repairKey, this.cc, nss, dt, this.m);
    out.fill(0, off, off + len);
    const first = this.next - nss;
    for (let i = 0; i < nss; i++) {
      const c = this.cc[i]!;
      if (c === 0) continue;
      const s = this.ring[(first + i) & this.mask]!;
      mulAddRegion(out, s.buf, c, off, 0, s.length);
    }
    return len;
  }

  /** A repair symbol over the last `nss` source symbols, in a new buffer. */
  repair(repairKey: number, dt: number, nss: number = this.count): RlcRepair {
    const data = new Uint8Array(this.repairLength(nss));
    this.repairInto(data, 0, repairKey, dt, nss);
    return { fssEsi: this.windowStart(nss), nss, repairKey, dt, data };
  }

  private checkNss(nss: number): void {
    if (!Number.isInteger(nss) || nss < 1 || nss > this.count) throw new RangeError(`RLC: NSS must be in 1..${this.count}`);
  }
}
