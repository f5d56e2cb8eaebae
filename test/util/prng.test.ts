import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/util/prng.js';
import { Duration, earliest } from '../../src/util/time.js';

describe('Prng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('draws within bounds and roughly uniformly', () => {
    const p = new Prng(7);
    const counts = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = p.nextInt(10);
      if (v < 0 || v >= 10 || !Number.isInteger(v)) outOfRange++;
      else counts[v]!++;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
    for (let i = 0; i < 1000; i++) {
      const f = p.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });

  it('fills byte arrays of any length', () => {
    const p = new Prng(1);
    for (const n of [0, 1, 3, 4, 5, 20]) expect(p.bytes(n).length).toBe(n);
    expect(() => p.nextInt(0)).toThrow(RangeError);
  });
});

describe('time', () => {
  it('converts and formats microsecond durations', () => {
    expect(Duration.fromMillis(25)).toBe(25_000);
    expect(Duration.toSeconds(1_500_000)).toBe(1.5);
    expect(Duration.format(1_500_000)).toBe('1.500s');
    expect(Duration.format(2_500)).toBe('2.500ms');
    expect(Duration.format(12)).toBe('12µs');
    expect(earliest(undefined, 5)).toBe(5);
    expect(earliest(3, 5)).toBe(3);
    expect(earliest(undefined, undefined)).toBeUndefined();
  });
});
