import { describe, expect, it } from 'vitest';
import { createScheduler, RedundantScheduler, RoundRobinScheduler } from '../../src/paths/index.js';
import { drive, path, pick } from './support.js';

const NOW = 1_000_000;

describe('roundrobin scheduler', () => {
  it('cycles through the usable paths in path-ID order, whatever their RTT or array order', () => {
    const s = createScheduler('roundrobin');
    expect(s).toBeInstanceOf(RoundRobinScheduler);
    const paths = [path(4, { srtt: 5_000 }), path(1, { srtt: 200_000 }), path(2)];
    expect(drive(s, paths, 7).order).toEqual([1, 2, 4, 1, 2, 4, 1]);
  });

  it('is fair over many calls: exactly one in n each', () => {
    const s = createScheduler('roundrobin');
    const r = drive(s, [path(0), path(1, { srtt: 300_000 }), path(2, { cwnd: 5_000 })], 9_999);
    expect([...r.count.entries()].sort()).toEqual([
      [0, 3_333],
      [1, 3_333],
      [2, 3_333],
    ]);
    expect(r.none).toBe(0);
  });

  it('advances only when a datagram was reported sent', () => {
    const s = createScheduler('roundrobin');
    const paths = [path(0), path(1)];
    expect(pick(s, paths)).toBe(0);
    expect(pick(s, paths)).toBe(0);
    s.onSent!(0, 1200, NOW);
    expect(pick(s, paths)).toBe(1);
  });

  it('skips a path without room or pacing credit for this turn', () => {
    const s = createScheduler('roundrobin');
    const a = path(0);
    const b = path(1, { bytesInFlight: 99_000 });
    const c = path(2, { pacingReadyAt: NOW + 1 });
    expect(drive(s, [a, b, c], 3).order).toEqual([0, 0, 0]);
    b.bytesInFlight = 0;
    expect(drive(s, [a, b, c], 4).order).toEqual([1, 0, 1, 0]);
    a.bytesInFlight = b.bytesInFlight = 100_000;
    expect(pick(s, [a, b, c])).toBeUndefined();
  });

  it('skips backup paths unless no other path is usable', () => {
    const s = createScheduler('roundrobin');
    const paths = [path(0), path(1, { backup: true }), path(2)];
    expect(drive(s, paths, 4).order).toEqual([0, 2, 0, 2]);
    paths[0]!.usable = false;
    paths[2]!.usable = false;
    expect(drive(s, paths, 2).order).toEqual([1, 1]);
  });

  it('gives no new data to a failed-over path while others are usable', () => {
    const s = createScheduler('roundrobin');
    const paths = [path(0), path(1, { ptoCount: 2 }), path(2)];
    expect(drive(s, paths, 4).order).toEqual([0, 2, 0, 2]);
    paths[1]!.ptoCount = 0; // it delivers again and rejoins the rotation after 2
    expect(drive(s, paths, 3).order).toEqual([0, 1, 2]);
    const t = createScheduler('roundrobin', { failoverPtos: 5 });
    paths[1]!.ptoCount = 4;
    expect(drive(t, paths, 3).order).toEqual([0, 1, 2]);
  });

  it('continues after a path disappears', () => {
    const s = createScheduler('roundrobin');
    expect(drive(s, [path(0), path(1), path(2)], 2).order).toEqual([0, 1]);
    expect(drive(s, [path(0), path(2)], 3).order).toEqual([2, 0, 2]);
  });
});

describe('redundant scheduler', () => {
  it('sends on the minrtt path and lists every other usable path with room in out', () => {
    const s = createScheduler('redundant');
    expect(s).toBeInstanceOf(RedundantScheduler);
    const out: number[] = [];
    const paths = [path(0, { srtt: 60_000 }), path(1, { srtt: 20_000 }), path(2, { srtt: 90_000 })];
    expect(s.select(paths, NOW, 1200, out)).toBe(paths[1]);
    expect(out).toEqual([0, 2]);
  });

  it('leaves out paths that are full, unusable, backup or failed over; a paced path still gets its copy (its pacer spaces it)', () => {
    const s = createScheduler('redundant');
    const out = [42];
    const paths = [
      path(0, { srtt: 10_000 }),
      path(1, { bytesInFlight: 99_500 }),
      path(2, { pacingReadyAt: NOW + 1 }),
      path(3, { usable: false }),
      path(4, { backup: true }),
      path(5, { ptoCount: 2 }),
      path(6),
    ];
    expect(s.select(paths, NOW, 1200, out)?.id).toBe(0);
    expect(out).toEqual([2, 6]);
  });

  it('copies to backup paths too with includeBackup', () => {
    const s = createScheduler('redundant', { includeBackup: true });
    const out: number[] = [];
    const paths = [path(0, { srtt: 10_000 }), path(1, { backup: true }), path(2, { backup: true, ptoCount: 2 }), path(3)];
    expect(s.select(paths, NOW, 1200, out)?.id).toBe(0);
    expect(out).toEqual([1, 3]);
  });

  it('among backup paths only, once no other is usable', () => {
    const s = createScheduler('redundant');
    const out: number[] = [];
    const paths = [path(0, { usable: false }), path(1, { backup: true, srtt: 80_000 }), path(2, { backup: true, srtt: 30_000 })];
    expect(s.select(paths, NOW, 1200, out)?.id).toBe(2);
    expect(out).toEqual([1]);
  });

  it('primary falls to the next path with room; nothing at all when no path can send', () => {
    const s = createScheduler('redundant');
    const out: number[] = [7];
    const paths = [path(0, { srtt: 10_000, bytesInFlight: 100_000 }), path(1, { srtt: 30_000 }), path(2, { srtt: 20_000 })];
    expect(s.select(paths, NOW, 1200, out)?.id).toBe(2);
    expect(out).toEqual([1]);
    paths[1]!.bytesInFlight = paths[2]!.bytesInFlight = 100_000;
    expect(s.select(paths, NOW, 1200, out)).toBeUndefined();
    expect(out).toEqual([]);
  });

  it('one path: no copies', () => {
    const out: number[] = [1, 2];
    expect(createScheduler('redundant').select([path(3)], NOW, 1200, out)?.id).toBe(3);
    expect(out).toEqual([]);
  });

  it('over many calls every usable path carries every packet', () => {
    const r = drive(createScheduler('redundant'), [path(0), path(1), path(2, { backup: true })], 1000);
    expect(r.count.get(0)).toBe(1000);
    expect(r.count.get(1)).toBe(1000);
    expect(r.count.get(2)).toBeUndefined();
  });
});
