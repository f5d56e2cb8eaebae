import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/util/prng.js';
import { createScheduler, WeightedScheduler } from '../../src/paths/index.js';
import { drive, path, pick } from './support.js';

const NOW = 1_000_000;

function shares(bytes: Map<number, number>): Map<number, number> {
  let total = 0;
  for (const b of bytes.values()) total += b;
  return new Map([...bytes].map(([id, b]) => [id, b / total]));
}

describe('weighted scheduler', () => {
  it('shares converge to the bandwidth ratio (cwnd/srtt) within 5% over 10,000 calls', () => {
    const s = createScheduler('weighted');
    expect(s).toBeInstanceOf(WeightedScheduler);
    // Bandwidths 3 : 1 : 2 bytes/µs → shares 1/2, 1/6, 1/3.
    const paths = [path(0, { cwnd: 60_000, srtt: 20_000 }), path(1, { cwnd: 100_000, srtt: 100_000 }), path(2, { cwnd: 120_000, srtt: 60_000 })];
    const r = drive(s, paths, 10_000);
    const got = shares(r.bytes);
    const want = [1 / 2, 1 / 6, 1 / 3];
    for (let id = 0; id < 3; id++) expect(Math.abs(got.get(id)! / want[id]! - 1)).toBeLessThan(0.05);
    expect(r.none).toBe(0);
  });

  it('converges by bytes, not datagrams, with datagram sizes varying (seeded)', () => {
    const s = createScheduler('weighted');
    const rng = new Prng(7);
    const paths = [path(0, { cwnd: 200_000, srtt: 40_000 }), path(1, { cwnd: 50_000, srtt: 40_000 })]; // 4 : 1
    const r = drive(s, paths, 10_000, { bytes: () => rng.nextRange(40, 1452) });
    const got = shares(r.bytes);
    expect(Math.abs(got.get(0)! / 0.8 - 1)).toBeLessThan(0.05);
    expect(Math.abs(got.get(1)! / 0.2 - 1)).toBeLessThan(0.05);
  });

  it('follows the bandwidth estimate as it changes', () => {
    const s = createScheduler('weighted');
    const a = path(0, { cwnd: 100_000, srtt: 50_000 });
    const b = path(1, { cwnd: 100_000, srtt: 50_000 });
    const even = shares(drive(s, [a, b], 2_000).bytes);
    expect(even.get(0)).toBeCloseTo(0.5, 2);
    b.srtt = 150_000; // b's bandwidth drops to a third: shares 3/4, 1/4
    const r = shares(drive(s, [a, b], 8_000).bytes);
    expect(Math.abs(r.get(0)! / 0.75 - 1)).toBeLessThan(0.05);
  });

  it('equal bandwidths alternate', () => {
    expect(drive(createScheduler('weighted'), [path(0), path(1)], 6).order).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('skips a path without room or pacing credit; undefined when none can send', () => {
    const s = createScheduler('weighted');
    const a = path(0, { bytesInFlight: 100_000 });
    const b = path(1, { pacingReadyAt: NOW + 1 });
    const c = path(2);
    expect(drive(s, [a, b, c], 3).order).toEqual([2, 2, 2]);
    c.bytesInFlight = 100_000;
    expect(pick(s, [a, b, c])).toBeUndefined();
  });

  it('bounds the credit a window-limited path builds (no burst of more than maxCredit afterwards)', () => {
    const s = createScheduler('weighted', { maxCredit: 6_000 }) as WeightedScheduler;
    const a = path(0, { bytesInFlight: 100_000 });
    const b = path(1);
    drive(s, [a, b], 1_000); // a is window-limited; b carries everything
    expect(s.creditOf(0)).toBe(6_000);
    expect(s.creditOf(1)).toBe(-6_000);
    a.bytesInFlight = 0;
    const r = drive(s, [a, b], 20);
    // a catches up for ~maxCredit bytes, then they alternate again.
    expect(r.order.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(r.count.get(0)! - r.count.get(1)!).toBeLessThanOrEqual(12);
  });

  it('uses backup paths only when no other is usable, and failed-over paths last', () => {
    const s = createScheduler('weighted');
    const paths = [path(0), path(1, { backup: true, cwnd: 1_000_000 }), path(2, { ptoCount: 2, cwnd: 1_000_000 })];
    expect(drive(s, paths, 5).order).toEqual([0, 0, 0, 0, 0]);
    paths[0]!.usable = false;
    expect(drive(s, paths, 3).order).toEqual([1, 1, 1]);
    paths[1]!.usable = false;
    expect(drive(s, paths, 2).order).toEqual([2, 2]);
    expect(pick(s, [path(0, { usable: false })])).toBeUndefined();
  });

  it('a path that leaves the tier loses its credit; reports for other paths are ignored', () => {
    const s = createScheduler('weighted') as WeightedScheduler;
    const a = path(0);
    const b = path(1, { cwnd: 300_000 });
    drive(s, [a, b], 3);
    expect(s.creditOf(0)).not.toBe(0);
    a.usable = false;
    drive(s, [a, b], 1);
    expect(s.creditOf(0)).toBe(0);
    const before = s.creditOf(1);
    s.onSent!(99, 1200, NOW); // e.g. a PTO probe on a path the scheduler did not choose
    s.onSent!(0, 1200, NOW); // a is not eligible
    expect(s.creditOf(1)).toBe(before);
  });

  it('forgets a removed path', () => {
    const s = createScheduler('weighted') as WeightedScheduler;
    const paths = [path(0), path(1), path(2)];
    drive(s, paths, 4);
    s.onPathRemoved!(1);
    s.onPathRemoved!(1);
    expect(s.creditOf(1)).toBe(0);
    const r = drive(s, [paths[0]!, paths[2]!], 100);
    expect(Math.abs(r.count.get(0)! - r.count.get(2)!)).toBeLessThanOrEqual(1);
  });

  it('cwnd 0 everywhere: equal shares rather than NaN', () => {
    const s = createScheduler('weighted');
    const paths = [path(0, { cwnd: 0 }), path(1, { cwnd: 0 })];
    expect(pick(s, paths, NOW, 0)).toBe(0);
  });
});
