import { describe, expect, it } from 'vitest';
import { DatagramPool, type Datagram } from '../../src/util/datagram.js';

const A = { host: '10.0.0.1', port: 1 };
const B = { host: '10.0.0.2', port: 2 };
const dg = (ab: ArrayBuffer, n: number): Datagram => ({ data: new Uint8Array(ab, 0, n), from: A, to: B });

describe('DatagramPool', () => {
  it('reuses released buffers and allocates only when empty', () => {
    const pool = new DatagramPool(1500, 4);
    const a = pool.take(1200);
    expect(a.byteLength).toBe(1500);
    pool.release(dg(a, 100));
    expect(pool.size).toBe(1);
    expect(pool.take(1452)).toBe(a);
    expect(pool.size).toBe(0);
    const b = pool.take(1200);
    expect(b).not.toBe(a);
    expect(pool.allocated).toBe(2);
    expect(pool.taken).toBe(3);
  });

  it('ignores double releases, foreign buffers and oversized requests', () => {
    const pool = new DatagramPool(1500, 4);
    const a = pool.take(1000);
    pool.release(dg(a, 10));
    pool.release(dg(a, 10));
    expect(pool.size).toBe(1);
    pool.release({ data: new Uint8Array(1500), from: A, to: B });
    expect(pool.size).toBe(1);
    const big = pool.take(9000);
    expect(big.byteLength).toBe(9000);
    pool.release(dg(big, 9000));
    expect(pool.size).toBe(1);
    // Two takes after one release: the second is a fresh buffer, never the same one twice.
    const x = pool.take(1);
    const y = pool.take(1);
    expect(x).not.toBe(y);
  });

  it('keeps at most maxFree buffers', () => {
    const pool = new DatagramPool(64, 2);
    const bufs = [pool.take(1), pool.take(1), pool.take(1)];
    for (const b of bufs) pool.release(dg(b, 1));
    expect(pool.size).toBe(2);
  });
});
