/**
 * A growable, zero-initialised byte buffer holding one symbol (a repair accumulator or a stored
 * source symbol). Symbols of unequal length are zero-padded at the tail (specs/fec.md B7 §4),
 * so growing only ever appends zeros. The capacity only grows, so in steady state (packets of
 * similar sizes) no call allocates (DESIGN §4 rule 2).
 */
export class SymbolBuffer {
  /** The backing store; bytes at and beyond `length` are zero. */
  buf: Uint8Array;
  /** The symbol's length (the longest contribution so far). */
  length = 0;

  constructor(initialCapacity = 0) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Makes the symbol at least `n` bytes long (new bytes are zero). */
  extend(n: number): void {
    if (n <= this.length) return;
    if (n > this.buf.length) {
      const grown = new Uint8Array(Math.max(n, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.length = n;
  }

  /** Empties the symbol, keeping the capacity (and restoring the all-zero invariant). */
  clear(): void {
    this.buf.fill(0, 0, this.length);
    this.length = 0;
  }

  /** Replaces the content with `src[off..off+len)`. */
  assign(src: Uint8Array, off: number, len: number): void {
    const old = this.length;
    if (len > this.buf.length) this.buf = new Uint8Array(Math.max(len, this.buf.length * 2));
    else if (old > len) this.buf.fill(0, len, old);
    // A memcpy; the view is a short-lived object, as in streams/reassembly.ts.
    this.buf.set(off === 0 && len === src.length ? src : src.subarray(off, off + len));
    this.length = len;
  }

  /** The symbol as a view (no copy). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** The symbol as a new buffer of exactly `length` bytes. */
  copy(length = this.length): Uint8Array {
    const out = new Uint8Array(length);
    out.set(this.buf.subarray(0, Math.min(length, this.length)));
    return out;
  }
}
