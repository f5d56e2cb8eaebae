import { describe, expect, it } from 'vitest';
import { createScheduler, MinRttScheduler } from '../../src/paths/index.js';
import { path, pick } from './support.js';

const NOW = 1_000_000;

describe('minrtt scheduler', () => {
  it('is the default kind of choice: the lowest smoothed RTT', () => {
    const s = createScheduler('minrtt');
    expect(s).toBeInstanceOf(MinRttScheduler);
    expect(s.name).toBe('minrtt');
    expect(pick(s, [path(0, { srtt: 80_000 }), path(1, { srtt: 30_000 }), path(2, { srtt: 50_000 })])).toBe(1);
  });

  it('breaks srtt ties by the lower path ID, whatever the array order', () => {
    const s = createScheduler('minrtt');
    expect(pick(s, [path(7, { srtt: 30_000 }), path(3, { srtt: 30_000 }), path(5, { srtt: 90_000 })])).toBe(3);
    expect(pick(s, [path(3, { srtt: 30_000 }), path(7, { srtt: 30_000 })])).toBe(3);
  });

  it('returns the very object it was given', () => {
    const paths = [path(0, { srtt: 80_000 }), path(1, { srtt: 30_000 })];
    expect(createScheduler('minrtt').select(paths, NOW, 1200, [])).toBe(paths[1]);
  });

  it('skips a path whose window lacks room for the datagram (room == bytes is enough)', () => {
    const s = createScheduler('minrtt');
    const fast = path(0, { srtt: 10_000, cwnd: 12_000, bytesInFlight: 10_801 }); // room 1199
    const slow = path(1, { srtt: 90_000 });
    expect(pick(s, [fast, slow], NOW, 1200)).toBe(1);
    fast.bytesInFlight = 10_800; // room 1200
    expect(pick(s, [fast, slow], NOW, 1200)).toBe(0);
    expect(pick(s, [fast, slow], NOW, 1201)).toBe(1);
  });

  it('returns undefined when every window is full', () => {
    const s = createScheduler('minrtt');
    expect(pick(s, [path(0, { bytesInFlight: 100_000 }), path(1, { cwnd: 1000 })])).toBeUndefined();
  });

  it('skips a path whose pacer is not ready (ready when pacingReadyAt <= now)', () => {
    const s = createScheduler('minrtt');
    const fast = path(0, { srtt: 10_000, pacingReadyAt: NOW + 1 });
    const slow = path(1, { srtt: 90_000 });
    expect(pick(s, [fast, slow], NOW)).toBe(1);
    fast.pacingReadyAt = NOW;
    expect(pick(s, [fast, slow], NOW)).toBe(0);
    slow.pacingReadyAt = NOW + 5;
    fast.pacingReadyAt = NOW + 5;
    expect(pick(s, [fast, slow], NOW)).toBeUndefined();
    expect(pick(s, [fast, slow], NOW + 5)).toBe(0);
  });

  it('ignores unusable paths, and has nothing to offer without a usable one', () => {
    const s = createScheduler('minrtt');
    expect(pick(s, [path(0, { srtt: 1, usable: false }), path(1)])).toBe(1);
    expect(pick(s, [path(0, { usable: false })])).toBeUndefined();
    expect(pick(s, [])).toBeUndefined();
  });

  describe('backup paths (multipath-21 §3.3)', () => {
    it('leaves a faster backup path alone while a non-backup path is usable', () => {
      const s = createScheduler('minrtt');
      expect(pick(s, [path(0, { srtt: 10_000, backup: true }), path(1, { srtt: 90_000 })])).toBe(1);
    });

    it('waits for the usable non-backup path rather than spill over when its window is full', () => {
      const s = createScheduler('minrtt');
      expect(pick(s, [path(0, { backup: true }), path(1, { bytesInFlight: 100_000 })])).toBeUndefined();
      expect(pick(s, [path(0, { backup: true }), path(1, { pacingReadyAt: NOW + 1 })])).toBeUndefined();
    });

    it('falls back to backup paths, lowest srtt first, once no non-backup path is usable', () => {
      const s = createScheduler('minrtt');
      const paths = [path(0, { usable: false }), path(1, { backup: true, srtt: 70_000 }), path(2, { backup: true, srtt: 40_000 })];
      expect(pick(s, paths)).toBe(2);
      paths[2]!.bytesInFlight = 100_000;
      expect(pick(s, paths)).toBe(1);
    });
  });

  describe('failover (ptoCount >= failoverPtos)', () => {
    it('gives no new data to a path with two consecutive PTOs while another is usable', () => {
      const s = createScheduler('minrtt');
      const fast = path(0, { srtt: 10_000, ptoCount: 1 });
      const slow = path(1, { srtt: 90_000 });
      expect(pick(s, [fast, slow])).toBe(0);
      fast.ptoCount = 2;
      expect(pick(s, [fast, slow])).toBe(1);
      fast.ptoCount = 0; // it delivered again
      expect(pick(s, [fast, slow])).toBe(0);
    });

    it('fails over to a healthy backup path before a failed non-backup one', () => {
      const s = createScheduler('minrtt');
      expect(pick(s, [path(0, { srtt: 10_000, ptoCount: 3 }), path(1, { backup: true, srtt: 90_000 })])).toBe(1);
    });

    it('still uses failed paths when nothing else is usable: non-backup first, then lowest srtt', () => {
      const s = createScheduler('minrtt');
      expect(pick(s, [path(0, { srtt: 90_000, ptoCount: 2 }), path(1, { srtt: 10_000, ptoCount: 5 }), path(2, { backup: true, srtt: 1, ptoCount: 2 })])).toBe(1);
      expect(pick(s, [path(2, { backup: true, ptoCount: 2 }), path(3, { usable: false })])).toBe(2);
    });

    it('takes failoverPtos as an option (Infinity: never fail over)', () => {
      const paths = [path(0, { srtt: 10_000, ptoCount: 2 }), path(1, { srtt: 90_000 })];
      expect(pick(createScheduler('minrtt', { failoverPtos: 3 }), paths)).toBe(0);
      expect(pick(createScheduler('minrtt', { failoverPtos: Infinity }), paths)).toBe(0);
      expect(pick(createScheduler('minrtt', { failoverPtos: 1 }), [path(0, { srtt: 10_000, ptoCount: 1 }), path(1)])).toBe(1);
    });
  });

  it('clears out: minrtt never asks for copies', () => {
    const out = [9, 9, 9];
    createScheduler('minrtt').select([path(0), path(1)], NOW, 1200, out);
    expect(out).toEqual([]);
  });
});
