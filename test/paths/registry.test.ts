import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  DEFAULT_SCHEDULER,
  registerScheduler,
  schedulerNames,
  type PacketScheduler,
  type SchedPath,
  type SchedulerOptions,
} from '../../src/paths/index.js';
import { drive, path, pick } from './support.js';

const BUILTINS = ['minrtt', 'roundrobin', 'redundant', 'backup', 'weighted'];

describe('scheduler registry', () => {
  it('has the five built-ins, minrtt the default; each carries its name', () => {
    expect(schedulerNames().slice(0, 5)).toEqual(BUILTINS);
    expect(DEFAULT_SCHEDULER).toBe('minrtt');
    for (const n of BUILTINS) expect(createScheduler(n).name).toBe(n);
  });

  it('creates a fresh instance each time', () => {
    expect(createScheduler('roundrobin')).not.toBe(createScheduler('roundrobin'));
  });

  it('rejects an unknown name with a RangeError listing the known ones', () => {
    expect(() => createScheduler('lowlat')).toThrow(RangeError);
    expect(() => createScheduler('lowlat')).toThrow(/unknown scheduler "lowlat".*minrtt, roundrobin, redundant, backup, weighted/);
  });

  it('rejects duplicate names, built-in or not', () => {
    expect(() => registerScheduler('minrtt', () => createScheduler('roundrobin'))).toThrow(RangeError);
    registerScheduler('dup-test', () => createScheduler('minrtt'));
    expect(() => registerScheduler('dup-test', () => createScheduler('minrtt'))).toThrow(/already registered/);
    expect(createScheduler('minrtt').name).toBe('minrtt'); // unchanged
  });

  it('rejects invalid names and non-function factories', () => {
    for (const bad of ['', ' x', 'a b', '-x', '.x', 'x/y', 'é']) expect(() => registerScheduler(bad, () => createScheduler('minrtt')), bad).toThrow(RangeError);
    expect(() => registerScheduler(42 as unknown as string, () => createScheduler('minrtt'))).toThrow(RangeError);
    expect(() => registerScheduler('nofactory', 'x' as unknown as () => PacketScheduler)).toThrow(TypeError);
    expect(schedulerNames()).not.toContain('nofactory');
  });

  it('rejects bad options with RangeErrors', () => {
    expect(() => createScheduler('minrtt', { probeInterval: 5 })).toThrow(/unknown option "probeInterval".*failoverPtos/);
    expect(() => createScheduler('minrtt', { failoverPtos: 0 })).toThrow(RangeError);
    expect(() => createScheduler('minrtt', { failoverPtos: 1.5 })).toThrow(RangeError);
    expect(() => createScheduler('roundrobin', { failoverPtos: '2' })).toThrow(RangeError);
    expect(() => createScheduler('roundrobin', { failoverPtos: NaN })).toThrow(RangeError);
    expect(() => createScheduler('backup', { probeInterval: -1 })).toThrow(RangeError);
    expect(() => createScheduler('backup', { probeInterval: 0 })).toThrow(RangeError);
    expect(() => createScheduler('redundant', { includeBackup: 'yes' })).toThrow(RangeError);
    expect(() => createScheduler('weighted', { maxCredit: 0 })).toThrow(RangeError);
    expect(() => createScheduler('weighted', { maxCredit: Infinity })).toThrow(RangeError);
    expect(() => createScheduler('weighted', null as unknown as SchedulerOptions)).toThrow(RangeError);
    // and accepts good ones
    expect(() => createScheduler('backup', { failoverPtos: 3, probeInterval: 250_000 })).not.toThrow();
    expect(() => createScheduler('redundant', { includeBackup: true, failoverPtos: Infinity })).not.toThrow();
    expect(() => createScheduler('weighted', { maxCredit: 12_000 })).not.toThrow();
  });

  it('accepts a user scheduler, passes it the options, and lists it', () => {
    /** Always the highest path ID that can send; counts what it was told about. */
    class HighestId implements PacketScheduler {
      readonly name = 'highest-id';
      sent = 0;
      constructor(readonly minBytes: number) {}
      select(paths: readonly SchedPath[], now: number, bytes: number, out: number[]): SchedPath | undefined {
        out.length = 0;
        if (bytes < this.minBytes) return undefined;
        let best: SchedPath | undefined;
        for (const p of paths) if (p.usable && p.cwnd - p.bytesInFlight >= bytes && p.pacingReadyAt <= now && (best === undefined || p.id > best.id)) best = p;
        return best;
      }
      onSent(): void {
        this.sent++;
      }
    }
    registerScheduler('highest-id', (o) => new HighestId(typeof o?.minBytes === 'number' ? o.minBytes : 0));
    expect(schedulerNames()).toContain('highest-id');
    expect(schedulerNames().slice(0, 5)).toEqual(BUILTINS);
    const s = createScheduler('highest-id', { minBytes: 100 }) as HighestId;
    expect(s.name).toBe('highest-id');
    const paths = [path(0), path(3), path(2, { usable: false })];
    expect(pick(s, paths, 0, 99)).toBeUndefined();
    expect(drive(s, paths, 3).order).toEqual([3, 3, 3]);
    expect(s.sent).toBe(3);
  });
});
