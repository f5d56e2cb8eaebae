import { describe, expect, it } from 'vitest';
import { BackupScheduler, createScheduler, DEFAULT_PROBE_INTERVAL } from '../../src/paths/index.js';
import { drive, path, pick } from './support.js';

const SEC = 1_000_000;
const T0 = 10 * SEC;

describe('backup scheduler', () => {
  it('probes a backup path that has never carried anything, then uses minrtt', () => {
    const s = createScheduler('backup');
    expect(s).toBeInstanceOf(BackupScheduler);
    expect(DEFAULT_PROBE_INTERVAL).toBe(SEC);
    const paths = [path(0, { srtt: 90_000 }), path(1, { srtt: 30_000 }), path(2, { backup: true, srtt: 5_000 })];
    expect(drive(s, paths, 4, { now: T0 }).order).toEqual([2, 1, 1, 1]);
  });

  it('probes again once the backup path has been idle for probeInterval', () => {
    const s = createScheduler('backup');
    const paths = [path(0), path(1, { backup: true })];
    // One call every 100 ms for 3.05 s: probes at 0, 1 s, 2 s, 3 s.
    const r = drive(s, paths, 31, { now: T0, step: 100_000 });
    expect(r.order.flatMap((id, i) => (id === 1 ? [i] : []))).toEqual([0, 10, 20, 30]);
    expect(r.none).toBe(0);
  });

  it('also counts sends the connection reports through lastSentAt', () => {
    const s = createScheduler('backup', { probeInterval: 500_000 });
    const b = path(1, { backup: true, lastSentAt: T0 - 400_000 });
    expect(pick(s, [path(0), b], T0)).toBe(0);
    expect(pick(s, [path(0), b], T0 + 100_000)).toBe(1);
    b.lastSentAt = T0 + 100_000; // the connection sent the probe and recorded it, without onSent
    expect(pick(s, [path(0), b], T0 + 200_000)).toBe(0);
    expect(pick(s, [path(0), b], T0 + 600_000)).toBe(1);
  });

  it('does not probe a backup path without room or pacing credit, nor a failed-over one', () => {
    const s = createScheduler('backup');
    expect(pick(s, [path(0), path(1, { backup: true, bytesInFlight: 100_000 })], T0)).toBe(0);
    expect(pick(s, [path(0), path(1, { backup: true, pacingReadyAt: T0 + 1 })], T0)).toBe(0);
    expect(pick(s, [path(0), path(1, { backup: true, ptoCount: 2 })], T0)).toBe(0);
    expect(pick(s, [path(0), path(1, { backup: true, usable: false })], T0)).toBe(0);
  });

  it('a probe goes out even while the active paths are window-limited', () => {
    const s = createScheduler('backup');
    const paths = [path(0, { bytesInFlight: 100_000 }), path(1, { backup: true })];
    expect(pick(s, paths, T0)).toBe(1);
    s.onSent!(1, 1200, T0);
    expect(pick(s, paths, T0 + 1)).toBeUndefined(); // no spill-over onto the backup path
  });

  it('probes the longest-idle backup path first', () => {
    const s = createScheduler('backup');
    const paths = [path(0), path(5, { backup: true, lastSentAt: T0 - 3 * SEC }), path(3, { backup: true, lastSentAt: T0 - 2 * SEC }), path(4, { backup: true, lastSentAt: T0 - 2 * SEC })];
    expect(drive(s, paths, 5, { now: T0 }).order).toEqual([5, 3, 4, 0, 0]);
  });

  it('uses backup paths as ordinary paths (lowest srtt) once no non-backup path is usable', () => {
    const s = createScheduler('backup');
    const paths = [path(0, { ptoCount: 2 }), path(1, { backup: true, srtt: 80_000 }), path(2, { backup: true, srtt: 20_000 })];
    expect(drive(s, paths, 3, { now: T0 }).order).toEqual([2, 2, 2]);
    // The primary recovered: backups stand by again; 2 carried data just now, 1 never did (probe).
    paths[0]!.ptoCount = 0;
    expect(drive(s, paths, 3, { now: T0 + 1 }).order).toEqual([1, 0, 0]);
  });

  it('never probes with probeInterval Infinity', () => {
    const s = createScheduler('backup', { probeInterval: Infinity });
    expect(drive(s, [path(0), path(1, { backup: true })], 50, { now: T0, step: SEC }).count.get(1)).toBeUndefined();
  });

  it('forgets a removed path', () => {
    const s = createScheduler('backup');
    const paths = [path(0), path(1, { backup: true })];
    expect(drive(s, paths, 2, { now: T0 }).order).toEqual([1, 0]);
    s.onPathRemoved!(1);
    expect(pick(s, paths, T0 + 1)).toBe(1); // a new path 1 (lastSentAt -Infinity) is probed at once
  });
});
