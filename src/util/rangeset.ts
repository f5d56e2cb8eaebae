/**
 * A set of non-negative integers kept as sorted, disjoint, non-adjacent half-open ranges
 * [start, end). Used for ACK ranges (received packet numbers) and stream/CRYPTO reassembly
 * (received byte offsets).
 *
 * Ranges live in one flat array [s0, e0, s1, e1, ...] sorted ascending, so iteration and the
 * common case (append at the top, RFC 9000 packets mostly arrive in order) allocate nothing.
 * `maxRanges` bounds memory against a peer that creates many gaps: when exceeded, the lowest
 * ranges are dropped (for ACK tracking that forgets the oldest gaps, RFC 9000 §13.2.3 allows
 * it; reassembly checks `rangeCount` before inserting instead).
 */
export class RangeSet {
  private r: number[] = [];

  constructor(readonly maxRanges: number = Infinity) {}

  get rangeCount(): number {
    return this.r.length >> 1;
  }

  get isEmpty(): boolean {
    return this.r.length === 0;
  }

  /** Smallest member, or undefined. */
  get min(): number | undefined {
    return this.r[0];
  }

  /** Largest member, or undefined. */
  get max(): number | undefined {
    const n = this.r.length;
    return n === 0 ? undefined : this.r[n - 1]! - 1;
  }

  /** Start and (exclusive) end of range i, counting from the lowest. */
  start(i: number): number {
    return this.r[2 * i]!;
  }
  end(i: number): number {
    return this.r[2 * i + 1]!;
  }

  has(v: number): boolean {
    const i = this.findFirstEndAfter(v);
    return i < this.r.length && this.r[i]! <= v;
  }

  /** Adds one value. Returns true if it was not present. */
  add(v: number): boolean {
    return this.addRange(v, v + 1) > 0;
  }

  /**
   * Adds [start, end). Returns how many values were newly added.
   */
  addRange(start: number, end: number): number {
    if (!(end > start)) return 0;
    const r = this.r;
    const n = r.length;
    // Fast path: append at or after the top range.
    if (n === 0 || start > r[n - 1]!) {
      r.push(start, end);
      this.trim();
      return end - start;
    }
    if (start >= r[n - 2]! && end <= r[n - 1]!) return 0;
    // General case: find the first range whose end >= start (touching ranges merge).
    let i = this.findFirstEndAtOrAfter(start);
    let newStart = start;
    let newEnd = end;
    let covered = 0;
    let j = i;
    while (j < r.length && r[j]! <= end) {
      const s = r[j]!;
      const e = r[j + 1]!;
      covered += Math.min(e, end) - Math.max(s, start) > 0 ? Math.min(e, end) - Math.max(s, start) : 0;
      if (s < newStart) newStart = s;
      if (e > newEnd) newEnd = e;
      j += 2;
    }
    r.splice(i, j - i, newStart, newEnd);
    this.trim();
    return end - start - covered;
  }

  /** Removes every value below `v`. */
  removeBelow(v: number): void {
    const r = this.r;
    let i = 0;
    while (i < r.length && r[i + 1]! <= v) i += 2;
    if (i > 0) r.splice(0, i);
    if (r.length > 0 && r[0]! < v) r[0] = v;
  }

  /** Removes [start, end). */
  removeRange(start: number, end: number): void {
    if (!(end > start)) return;
    const r = this.r;
    const out: number[] = [];
    for (let i = 0; i < r.length; i += 2) {
      const s = r[i]!;
      const e = r[i + 1]!;
      if (e <= start || s >= end) {
        out.push(s, e);
        continue;
      }
      if (s < start) out.push(s, start);
      if (e > end) out.push(end, e);
    }
    this.r = out;
  }

  /** Iterates ranges from highest to lowest as [start, end) pairs (the order ACK frames use). */
  *descending(): IterableIterator<[number, number]> {
    for (let i = this.r.length - 2; i >= 0; i -= 2) yield [this.r[i]!, this.r[i + 1]!];
  }

  *[Symbol.iterator](): IterableIterator<[number, number]> {
    for (let i = 0; i < this.r.length; i += 2) yield [this.r[i]!, this.r[i + 1]!];
  }

  /** The end of the contiguous range starting at `from` (or `from` if `from` is absent). */
  contiguousEnd(from: number): number {
    const i = this.findFirstEndAfter(from);
    if (i < this.r.length && this.r[i]! <= from) return this.r[i + 1]!;
    return from;
  }

  clone(): RangeSet {
    const c = new RangeSet(this.maxRanges);
    c.r = this.r.slice();
    return c;
  }

  clear(): void {
    this.r.length = 0;
  }

  toArray(): Array<[number, number]> {
    return [...this];
  }

  private trim(): void {
    const excess = this.r.length / 2 - this.maxRanges;
    if (excess > 0) this.r.splice(0, 2 * excess);
  }

  /** Index (even) of the first range with end > v, or r.length. Binary search. */
  private findFirstEndAfter(v: number): number {
    let lo = 0;
    let hi = this.r.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.r[2 * mid + 1]! > v) hi = mid;
      else lo = mid + 1;
    }
    return 2 * lo;
  }

  /** Index (even) of the first range with end >= v (so a range ending at v merges). */
  private findFirstEndAtOrAfter(v: number): number {
    let lo = 0;
    let hi = this.r.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.r[2 * mid + 1]! >= v) hi = mid;
      else lo = mid + 1;
    }
    return 2 * lo;
  }
}
