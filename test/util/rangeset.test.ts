import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { RangeSet } from '../../src/util/rangeset.js';

/** Reference model: a plain Set of integers. */
function ranges(set: Set<number>): Array<[number, number]> {
  const sorted = [...set].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === v) last[1] = v + 1;
    else out.push([v, v + 1]);
  }
  return out;
}

describe('RangeSet', () => {
  it('merges adjacent and overlapping ranges', () => {
    const s = new RangeSet();
    s.addRange(10, 20);
    s.addRange(30, 40);
    expect(s.addRange(20, 30)).toBe(10);
    expect(s.toArray()).toEqual([[10, 40]]);
    expect(s.addRange(5, 45)).toBe(10);
    expect(s.toArray()).toEqual([[5, 45]]);
    expect(s.has(5)).toBe(true);
    expect(s.has(45)).toBe(false);
    expect(s.min).toBe(5);
    expect(s.max).toBe(44);
  });

  it('matches a Set model under random adds and removes', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('add' as const), s: fc.nat(200), n: fc.nat(20) }),
      fc.record({ t: fc.constant('rm' as const), s: fc.nat(200), n: fc.nat(20) }),
      fc.record({ t: fc.constant('below' as const), s: fc.nat(200), n: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const model = new Set<number>();
        const s = new RangeSet();
        for (const o of ops) {
          if (o.t === 'add') {
            let fresh = 0;
            for (let v = o.s; v < o.s + o.n; v++) if (!model.has(v)) { model.add(v); fresh++; }
            expect(s.addRange(o.s, o.s + o.n)).toBe(fresh);
          } else if (o.t === 'rm') {
            for (let v = o.s; v < o.s + o.n; v++) model.delete(v);
            s.removeRange(o.s, o.s + o.n);
          } else {
            for (const v of [...model]) if (v < o.s) model.delete(v);
            s.removeBelow(o.s);
          }
          expect(s.toArray()).toEqual(ranges(model));
        }
        expect([...s.descending()]).toEqual(ranges(model).reverse());
        for (let v = 0; v < 230; v += 7) expect(s.has(v)).toBe(model.has(v));
      }),
    );
  });

  it('bounds memory by dropping the lowest ranges', () => {
    const s = new RangeSet(4);
    for (let i = 0; i < 10; i++) s.add(i * 2);
    expect(s.rangeCount).toBe(4);
    expect(s.min).toBe(12);
    expect(s.max).toBe(18);
  });

  it('reports the contiguous end from an offset', () => {
    const s = new RangeSet();
    s.addRange(0, 100);
    s.addRange(200, 300);
    expect(s.contiguousEnd(0)).toBe(100);
    expect(s.contiguousEnd(150)).toBe(150);
    expect(s.contiguousEnd(250)).toBe(300);
  });
});
