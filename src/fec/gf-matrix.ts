/**
 * Small dense matrices over GF(2^8) (row-major Uint8Arrays): the Vandermonde construction and
 * inversion behind the systematic Reed-Solomon generator matrix of RFC 5510 §8.2, and the
 * Gauss-Jordan reduction the block decoder uses to pick which repair rows solve which erasure.
 * These run on coefficient rows (at most 255×255), never on symbol data.
 */
import { GF_MUL, gfInv, gfPow } from './gf256.js';

/** V[i][j] = i^j for i in 0..rows-1, j in 0..cols-1, the points being the field elements 0, 1, 2, … (RFC 5510 §8.2; XQUIC `xqc_build_vandermonde_matrix`). */
export function vandermonde(rows: number, cols: number): Uint8Array {
  const v = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) v[i * cols + j] = gfPow(i, j);
  return v;
}

/**
 * The inverse of the n×n matrix `m` (not modified), or undefined when it is singular.
 * Gauss-Jordan elimination with the first non-zero pivot of each column.
 */
export function invertMatrix(m: Uint8Array, n: number): Uint8Array | undefined {
  const a = m.slice(0, n * n);
  const inv = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let p = col;
    while (p < n && a[p * n + col] === 0) p++;
    if (p === n) return undefined;
    if (p !== col) {
      swapRows(a, n, p, col);
      swapRows(inv, n, p, col);
    }
    const f = gfInv(a[col * n + col]!) << 8;
    for (let j = 0; j < n; j++) {
      a[col * n + j] = GF_MUL[f | a[col * n + j]!]!;
      inv[col * n + j] = GF_MUL[f | inv[col * n + j]!]!;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const c = a[r * n + col]!;
      if (c === 0) continue;
      const row = c << 8;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = a[r * n + j]! ^ GF_MUL[row | a[col * n + j]!]!;
        inv[r * n + j] = inv[r * n + j]! ^ GF_MUL[row | inv[col * n + j]!]!;
      }
    }
  }
  return inv;
}

function swapRows(a: Uint8Array, n: number, r1: number, r2: number): void {
  for (let j = 0; j < n; j++) {
    const t = a[r1 * n + j]!;
    a[r1 * n + j] = a[r2 * n + j]!;
    a[r2 * n + j] = t;
  }
}

/** The row vector `v` (length n) times the n×cols matrix `m`: a new row of `cols` bytes. */
export function vecMulMatrix(v: Uint8Array, m: Uint8Array, n: number, cols: number): Uint8Array {
  const out = new Uint8Array(cols);
  for (let i = 0; i < n; i++) {
    const c = v[i]!;
    if (c === 0) continue;
    const row = c << 8;
    for (let j = 0; j < cols; j++) out[j] = out[j]! ^ GF_MUL[row | m[i * cols + j]!]!;
  }
  return out;
}

/**
 * Reduced row echelon form of the `rows`×`cols` matrix `a` in place, applying every row
 * operation also to the `rows`×`tcols` matrix `t` (the record of which original rows combine
 * into each reduced row). Returns the pivot column of each reduced row (length = rank).
 */
export function rref(a: Uint8Array, rows: number, cols: number, t: Uint8Array, tcols: number): number[] {
  const pivots: number[] = [];
  let r = 0;
  for (let col = 0; col < cols && r < rows; col++) {
    let p = r;
    while (p < rows && a[p * cols + col] === 0) p++;
    if (p === rows) continue;
    if (p !== r) {
      swapRows(a, cols, p, r);
      swapRows(t, tcols, p, r);
    }
    const f = gfInv(a[r * cols + col]!) << 8;
    for (let j = 0; j < cols; j++) a[r * cols + j] = GF_MUL[f | a[r * cols + j]!]!;
    for (let j = 0; j < tcols; j++) t[r * tcols + j] = GF_MUL[f | t[r * tcols + j]!]!;
    for (let o = 0; o < rows; o++) {
      if (o === r) continue;
      const c = a[o * cols + col]!;
      if (c === 0) continue;
      const row = c << 8;
      for (let j = 0; j < cols; j++) a[o * cols + j] = a[o * cols + j]! ^ GF_MUL[row | a[r * cols + j]!]!;
      for (let j = 0; j < tcols; j++) t[o * tcols + j] = t[o * tcols + j]! ^ GF_MUL[row | t[r * tcols + j]!]!;
    }
    pivots.push(col);
    r++;
  }
  return pivots;
}
