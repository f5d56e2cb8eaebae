/**
 * The RFC 8681 sliding-window RLC decoder (schemes 10 and 9; RFC 8681 §3.4 describes the
 * linear system, leaving the solver to the implementation).
 *
 * It keeps the source symbols of a bounded window (the `maxWindow` ESIs up to the highest seen)
 * and a bounded set of repair equations. Each equation is reduced against the known source
 * symbols, so that only unknown (lost) symbols appear in it, and the set is kept in reduced
 * row echelon form over GF(2^8) by incremental Gauss-Jordan elimination. An equation left with
 * a single unknown yields that source symbol: the decoder recovers whatever the rank of the
 * system allows, as soon as it allows it, and never guesses (GF(2) coefficients of scheme 9
 * are GF(2^8) elements too, and rank does not change under field extension).
 *
 * Symbols that slide out of the window are forgotten, and so are equations that still involve
 * one of them. Memory is bounded by (ringSize(maxWindow) + maxEquations) × maxSymbolLength
 * bytes; buffers only grow, so in steady state no call allocates except for what it recovers.
 */
import { GF_MUL, gfInv, mulAddRegion, mulRegion } from './gf256.js';
import { fecEncodingError, fecLimitError, resolveLimits, type FecLimits } from './limits.js';
import { generateCodingCoefs, ringSize, type RlcFieldSize } from './rlc.js';
import { SymbolBuffer } from './symbol-buffer.js';

/** A source symbol rebuilt by the decoder, zero-padded at the tail to its equation's length. */
export interface RlcRecovered {
  esi: number;
  data: Uint8Array;
}

/** One equation: Σ coef[col] · unknown(col) = data. */
interface Row {
  coef: Uint8Array;
  data: SymbolBuffer;
  /** The column whose coefficient is 1 and 0 in every other active row; -1 while unplaced. */
  pivot: number;
}

const NONE: readonly RlcRecovered[] = Object.freeze([]);

/**
 * The sliding-window RLC decoder of RFC 8681 (schemes 10 and 9): keeps the source symbols of a
 * bounded window and the repair equations in reduced row echelon form over GF(2^8), and recovers a
 * lost source symbol as soon as the system's rank allows. Memory is bounded by the FecLimits.
 */
export class RlcDecoder {
  readonly limits: FecLimits;
  readonly m: RlcFieldSize;
  private readonly window: number;
  private readonly mask: number;
  private readonly size: number;
  private readonly known: Uint8Array;
  private readonly source: SymbolBuffer[] = [];
  private readonly pivotRow: (Row | undefined)[];
  private readonly active: Row[] = [];
  private readonly pool: Row[] = [];
  private readonly cc: Uint8Array;
  private started = false;
  private hi = 0;
  private out: RlcRecovered[] | undefined;

  constructor(opts: { limits?: Partial<FecLimits>; m?: RlcFieldSize } = {}) {
    this.limits = resolveLimits(opts.limits);
    this.m = opts.m ?? 8;
    if (this.m !== 1 && this.m !== 8) throw new RangeError('RLC: m must be 1 or 8');
    this.window = this.limits.maxWindow;
    this.size = ringSize(this.window);
    this.mask = this.size - 1;
    this.known = new Uint8Array(this.size);
    this.pivotRow = new Array<Row | undefined>(this.size).fill(undefined);
    for (let i = 0; i < this.size; i++) this.source.push(new SymbolBuffer());
    this.cc = new Uint8Array(this.window);
  }

  /** The highest ESI seen (meaningless before the first symbol). */
  get highestEsi(): number {
    return this.hi;
  }

  /** The first ESI of the decoding window. */
  get windowStart(): number {
    return this.started ? (this.hi - this.window + 1) >>> 0 : 0;
  }

  /** Repair equations held that are not solved yet. */
  get pendingEquations(): number {
    return this.active.length;
  }

  /** True when source symbol `esi` is in the window and known (received or recovered). */
  has(esi: number): boolean {
    return this.live(esi >>> 0) && this.known[esi & this.mask] === 1;
  }

  /** The known source symbol `esi` (a view, valid until the window moves on), or undefined. */
  get(esi: number): Uint8Array | undefined {
    return this.has(esi) ? this.source[esi & this.mask]!.view() : undefined;
  }

  /** The ESIs among fss … fss + nss − 1 that are in the window and still unknown. */
  missingIn(fss: number, nss: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < nss; i++) {
      const esi = (fss + i) >>> 0;
      if (this.live(esi) && this.known[esi & this.mask] === 0) out.push(esi);
    }
    return out;
  }

  /**
   * A source symbol arrived (SID frame, ESI = its Source Payload ID). Returns the symbols this
   * makes recoverable. Throws TransportError if it is longer than the limit, or longer than a
   * pending repair symbol that covers it (an encoder pads repairs to the longest source).
   */
  addSource(esi: number, src: Uint8Array, off = 0, len = src.length - off): readonly RlcRecovered[] {
    if (!Number.isInteger(esi) || esi < 0 || esi > 0xffffffff) throw fecEncodingError('RLC ESI exceeds 32 bits');
    if (len > this.limits.maxSymbolLength) throw fecLimitError('source symbol exceeds the maximum symbol length');
    if (!this.started) {
      this.started = true;
      this.hi = esi;
    } else if (this.ahead(esi)) {
      this.advance(esi);
    } else if (!this.live(esi)) {
      return NONE;
    }
    const col = esi & this.mask;
    if (this.known[col] === 1) return NONE;
    for (const row of this.active) {
      if (row.coef[col] !== 0 && row.data.length < len) throw fecEncodingError('RLC source symbol longer than a repair symbol covering it');
    }
    this.source[col]!.assign(src, off, len);
    this.known[col] = 1;
    this.out = undefined;
    this.substitute(col);
    return this.takeOut();
  }

  /**
   * A repair symbol arrived (RFC 8681 §4.1.3: FSS_ESI, NSS, Repair_Key, DT). Returns the source
   * symbols it makes recoverable. A repair whose window starts before the decoding window is
   * ignored. Throws TransportError on malformed fields (NSS = 0 or beyond maxWindow, DT > 15,
   * an empty or over-long symbol, a known source longer than the repair symbol).
   */
  addRepair(fssEsi: number, nss: number, repairKey: number, dt: number, data: Uint8Array, off = 0, len = data.length - off): readonly RlcRecovered[] {
    if (!Number.isInteger(fssEsi) || fssEsi < 0 || fssEsi > 0xffffffff) throw fecEncodingError('RLC FSS_ESI exceeds 32 bits');
    if (!Number.isInteger(nss) || nss < 1) throw fecEncodingError('RLC repair with NSS = 0');
    if (nss > this.window) throw fecLimitError(`RLC repair window of ${nss} symbols exceeds ${this.window}`);
    if (!Number.isInteger(repairKey) || repairKey < 0 || repairKey > 0xffff) throw fecEncodingError('RLC Repair_Key exceeds 16 bits');
    if (!Number.isInteger(dt) || dt < 0 || dt > 15) throw fecEncodingError('RLC DT exceeds 15');
    if (len < 1) throw fecEncodingError('empty RLC repair symbol');
    if (len > this.limits.maxSymbolLength) throw fecLimitError('repair symbol exceeds the maximum symbol length');
    if (off < 0 || off + len > data.length) throw new RangeError('RLC: repair symbol outside its buffer');

    const last = (fssEsi + nss - 1) >>> 0;
    if (!this.started) {
      this.started = true;
      this.hi = last;
    } else if (this.ahead(last)) {
      this.advance(last);
    }
    if (!this.live(fssEsi)) return NONE;

    const cc = this.cc;
    generateCodingCoefs(repairKey, cc, nss, dt, this.m);
    let unknowns = 0;
    for (let i = 0; i < nss; i++) {
      if (cc[i] === 0) continue;
      const col = (fssEsi + i) & this.mask;
      if (this.known[col] === 1) {
        if (this.source[col]!.length > len) throw fecEncodingError('RLC repair symbol shorter than a source symbol it covers');
      } else {
        unknowns++;
      }
    }
    if (unknowns === 0) return NONE; // nothing lost in its window: redundant

    const row = this.takeRow();
    row.data.assign(data, off, len);
    for (let i = 0; i < nss; i++) {
      const c = cc[i]!;
      if (c === 0) continue;
      const col = (fssEsi + i) & this.mask;
      if (this.known[col] === 1) {
        const s = this.source[col]!;
        mulAddRegion(row.data.buf, s.buf, c, 0, 0, s.length);
      } else {
        row.coef[col] = c;
      }
    }
    this.out = undefined;
    this.insert(row);
    this.solve();
    return this.takeOut();
  }

  /** Forgets everything (a new connection or flow). */
  reset(): void {
    for (const row of this.active) this.recycle(row);
    this.active.length = 0;
    this.pivotRow.fill(undefined);
    this.known.fill(0);
    this.started = false;
    this.hi = 0;
  }

  // --- window ---

  private live(esi: number): boolean {
    return this.started && ((this.hi - esi) >>> 0) < this.window;
  }

  private ahead(esi: number): boolean {
    const d = (esi - this.hi) >>> 0;
    return d !== 0 && d < 0x80000000;
  }

  /** Moves the window's end to `newHi`, forgetting the symbols and equations that fall out. */
  private advance(newHi: number): void {
    const steps = (newHi - this.hi) >>> 0;
    if (steps >= this.window) {
      this.reset();
      this.started = true;
    } else {
      for (let s = 1; s <= steps; s++) this.evict((this.hi - this.window + s) & this.mask);
    }
    this.hi = newHi;
  }

  private evict(col: number): void {
    if (this.known[col] === 1) {
      this.known[col] = 0;
      return;
    }
    // An unknown symbol leaves: the equations that still need it can no longer be solved.
    for (let i = this.active.length - 1; i >= 0; i--) {
      const row = this.active[i]!;
      if (row.coef[col] !== 0) this.removeActive(i);
    }
  }

  // --- elimination ---

  /** Source `col` became known: take it out of every equation. */
  private substitute(col: number): void {
    const s = this.source[col]!;
    const p = this.pivotRow[col];
    if (p !== undefined) {
      // Its own equation now speaks about the other unknowns only: place it afresh.
      mulAddRegion(p.data.buf, s.buf, p.coef[col]!, 0, 0, s.length);
      p.coef[col] = 0;
      this.detach(this.active.indexOf(p));
      this.insert(p);
    } else {
      for (const row of this.active) {
        const c = row.coef[col]!;
        if (c === 0) continue;
        row.data.extend(s.length);
        mulAddRegion(row.data.buf, s.buf, c, 0, 0, s.length);
        row.coef[col] = 0;
      }
    }
    this.solve();
  }

  /** Places `row` (coefficients only on unknown columns) into the reduced echelon set. */
  private insert(row: Row): void {
    const n = this.size;
    const coef = row.coef;
    // Eliminate every existing pivot from the new row.
    for (const other of this.active) {
      const c = coef[other.pivot]!;
      if (c !== 0) this.subtract(row, other, c);
    }
    let p = -1;
    for (let j = 0; j < n; j++) {
      if (coef[j] !== 0) {
        p = j;
        break;
      }
    }
    if (p < 0 || this.active.length >= this.limits.maxEquations) {
      this.recycle(row); // linearly dependent on what we have, or no room left
      return;
    }
    const f = gfInv(coef[p]!);
    if (f !== 1) {
      const r = f << 8;
      for (let j = 0; j < n; j++) coef[j] = GF_MUL[r | coef[j]!]!;
      mulRegion(row.data.buf, row.data.buf, f, 0, 0, row.data.length);
    }
    // Keep the set reduced: no other row mentions the new pivot.
    for (const other of this.active) {
      const c = other.coef[p]!;
      if (c !== 0) this.subtract(other, row, c);
    }
    row.pivot = p;
    this.pivotRow[p] = row;
    this.active.push(row);
  }

  /** dst −= c · src (coefficients and data). */
  private subtract(dst: Row, src: Row, c: number): void {
    const n = this.size;
    const r = c << 8;
    const dc = dst.coef;
    const sc = src.coef;
    for (let j = 0; j < n; j++) {
      const v = sc[j]!;
      if (v !== 0) dc[j] = dc[j]! ^ GF_MUL[r | v]!;
    }
    dst.data.extend(src.data.length);
    mulAddRegion(dst.data.buf, src.data.buf, c, 0, 0, src.data.length);
  }

  /** Every equation left with its pivot alone gives that source symbol. */
  private solve(): void {
    const n = this.size;
    for (let i = this.active.length - 1; i >= 0; i--) {
      const row = this.active[i]!;
      let alone = true;
      for (let j = 0; j < n; j++) {
        if (j !== row.pivot && row.coef[j] !== 0) {
          alone = false;
          break;
        }
      }
      if (!alone) continue;
      const col = row.pivot;
      const esi = (this.hi - ((this.hi - col) & this.mask)) >>> 0;
      // Kept without its zero tail: padding adds nothing to an equation, and a shorter
      // repair covering this symbol later must not look malformed.
      let len = row.data.length;
      while (len > 0 && row.data.buf[len - 1] === 0) len--;
      this.source[col]!.assign(row.data.buf, 0, len);
      this.known[col] = 1;
      (this.out ??= []).push({ esi, data: row.data.copy() });
      this.removeActive(i);
      // The set is reduced, so no other row mentions `col`: nothing to substitute.
    }
  }

  // --- rows ---

  private removeActive(i: number): void {
    this.recycle(this.detach(i));
  }

  /** Takes row i out of the active set (its content kept, its pivot forgotten). */
  private detach(i: number): Row {
    const row = this.active[i]!;
    const last = this.active.pop()!;
    if (last !== row) this.active[i] = last;
    if (this.pivotRow[row.pivot] === row) this.pivotRow[row.pivot] = undefined;
    row.pivot = -1;
    return row;
  }

  private takeRow(): Row {
    return this.pool.pop() ?? { coef: new Uint8Array(this.size), data: new SymbolBuffer(), pivot: -1 };
  }

  private recycle(row: Row): void {
    row.coef.fill(0);
    row.data.clear();
    row.pivot = -1;
    this.pool.push(row);
  }

  private takeOut(): readonly RlcRecovered[] {
    const o = this.out;
    this.out = undefined;
    return o ?? NONE;
  }
}
