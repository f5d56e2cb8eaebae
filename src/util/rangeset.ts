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

  /**
   * Values below this were in ranges dropped at the `maxRanges` cap: whether one of them is a
   * member is no longer known (0 until the cap dropped a range).
   */
  forgottenBelow = 0;

  constructor(readonly maxRanges: number = Infinity) {}

  /** Number of disjoint ranges held. */
  get rangeCount(): number {
    return this.r.length >> 1;
  }

  /** True when the set has no member. */
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
  /** Exclusive end of range i, counting from the lowest. */
  end(i: number): number {
    return this.r[2 * i + 1]!;
  }

  /** Whether `v` is a member. */
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
    // Fast paths: append above the top range, or extend it (in-order arrival, the common case).
    if (n === 0 || start > r[n - 1]!) {
      r.push(start, end);
      this.trim();
      return end - start;
    }
    if (start >= r[n - 2]!) {
      const top = r[n - 1]!;
      if (end <= top) return 0;
      r[n - 1] = end;
      return end - top;
    }
    // General case: find the first range whose end >= start (touching ranges merge).
    const i = this.findFirstEndAtOrAfter(start);
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
    this.replace(i, j, 1, newStart, newEnd, 0, 0);
    this.trim();
    return end - start - covered;
  }

  /** Removes every value below `v`. */
  removeBelow(v: number): void {
    const r = this.r;
    let i = 0;
    while (i < r.length && r[i + 1]! <= v) i += 2;
    if (i > 0) this.replace(0, i, 0, 0, 0, 0, 0);
    if (r.length > 0 && r[0]! < v) r[0] = v;
  }

  /** Removes [start, end). */
  removeRange(start: number, end: number): void {
    if (!(end > start)) return;
    const r = this.r;
    const i = this.findFirstEndAfter(start);
    if (i >= r.length || r[i]! >= end) return;
    // Ranges i .. j-2 overlap [start, end); at most a left and a right remainder survive.
    let j = i;
    while (j < r.length && r[j]! < end) j += 2;
    const s = r[i]!;
    const e = r[j - 1]!;
    if (s < start && e > end) this.replace(i, j, 2, s, start, end, e);
    else if (s < start) this.replace(i, j, 1, s, start, 0, 0);
    else if (e > end) this.replace(i, j, 1, end, e, 0, 0);
    else this.replace(i, j, 0, 0, 0, 0, 0);
  }

  /** Iterates ranges from highest to lowest as [start, end) pairs (the order ACK frames use). */
  *descending(): IterableIterator<[number, number]> {
    for (let i = this.r.length - 2; i >= 0; i -= 2) yield [this.r[i]!, this.r[i + 1]!];
  }

  /** Iterates ranges from lowest to highest as [start, end) pairs. */
  *[Symbol.iterator](): IterableIterator<[number, number]> {
    for (let i = 0; i < this.r.length; i += 2) yield [this.r[i]!, this.r[i + 1]!];
  }

  /** The end of the contiguous range starting at `from` (or `from` if `from` is absent). */
  contiguousEnd(from: number): number {
    const i = this.findFirstEndAfter(from);
    if (i < this.r.length && this.r[i]! <= from) return this.r[i + 1]!;
    return from;
  }

  /** An independent copy, with the same `maxRanges` and `forgottenBelow`. */
  clone(): RangeSet {
    const c = new RangeSet(this.maxRanges);
    c.r = this.r.slice();
    c.forgottenBelow = this.forgottenBelow;
    return c;
  }

  /** Removes every range and resets `forgottenBelow` to 0. */
  clear(): void {
    this.r.length = 0;
    this.forgottenBelow = 0;
  }

  /** The ranges as [start, end) pairs, lowest first. */
  toArray(): Array<[number, number]> {
    return [...this];
  }

  private trim(): void {
    const excess = this.r.length / 2 - this.maxRanges;
    if (excess > 0) {
      this.replace(0, 2 * excess, 0, 0, 0, 0, 0);
      this.forgottenBelow = this.r[0]!;
    }
  }

  /**
   * Replaces the flat entries [i, j) by `count` (0–2) ranges, shifting the rest in place: unlike
   * `splice`, no array of removed elements is allocated (DESIGN §4 rule 2, this runs per packet).
   */
  private replace(i: number, j: number, count: number, s0: number, e0: number, s1: number, e1: number): void {
    const r = this.r;
    const n = r.length;
    const delta = 2 * count - (j - i);
    if (delta < 0) {
      for (let m = j; m < n; m++) r[m + delta] = r[m]!;
      r.length = n + delta;
    } else if (delta > 0) {
      // Grow with push first, so the array never gets holes (a slower elements kind).
      for (let k = 0; k < delta; k++) r.push(0);
      for (let m = n - 1; m >= j; m--) r[m + delta] = r[m]!;
    }
    if (count > 0) {
      r[i] = s0;
      r[i + 1] = e0;
    }
    if (count > 1) {
      r[i + 2] = s1;
      r[i + 3] = e1;
    }
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
