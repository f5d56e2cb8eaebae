/** recovery/sent-pool.ts: recycled sent-packet records (DESIGN §4 rule 2). */
import { describe, expect, it } from 'vitest';
import { SentPacketPool } from '../../src/recovery/sent-pool.js';

describe('SentPacketPool', () => {
  it('reuses a released record and its token array', () => {
    const pool = new SentPacketPool<number>();
    const a = pool.acquire();
    a.tokens.push(1, 2);
    const tokens = a.tokens;
    pool.release(a);
    expect(pool.outstanding).toBe(0);
    const b = pool.acquire();
    expect(b).toBe(a);
    expect(b.tokens).toBe(tokens);
    expect(b.released).toBe(false);
    expect(pool.acquire()).not.toBe(b);
    expect(pool.outstanding).toBe(2);
  });

  it('refuses to release a record twice', () => {
    const pool = new SentPacketPool<number>();
    const a = pool.acquire();
    pool.release(a);
    expect(() => pool.release(a)).toThrow(RangeError);
  });

  it('poison mode: a released record is never reused and any use of it fails loudly', () => {
    const pool = new SentPacketPool<number>();
    pool.poison = true;
    const a = pool.acquire();
    a.pn = 7;
    a.size = 1200;
    a.tokens.push(7);
    pool.release(a);
    expect(a.pn).toBeNaN();
    expect(a.size).toBeNaN();
    expect(() => a.tokens.length).toThrow(/released sent-packet record/);
    expect(() => a.tokens[0]).toThrow(/released sent-packet record/);
    expect(pool.acquire()).not.toBe(a);
  });
});
