/** Test helpers for the packet schedulers: path records and a driver that sends what `select` picks. */
import { newSchedPath, type MutableSchedPath, type PacketScheduler, type SchedPath } from '../../src/paths/index.js';

/** A usable, non-backup, idle path with room and a ready pacer; `over` changes any field. */
export function path(id: number, over: Partial<MutableSchedPath> = {}): MutableSchedPath {
  return Object.assign(newSchedPath(id), {
    usable: true,
    srtt: 50_000,
    minRtt: 40_000,
    cwnd: 100_000,
    bytesInFlight: 0,
    pacingReadyAt: 0,
    ...over,
  });
}

/** The chosen path's ID, or undefined. */
export function pick(s: PacketScheduler, paths: readonly SchedPath[], now = 1_000_000, bytes = 1200, out: number[] = []): number | undefined {
  return s.select(paths, now, bytes, out)?.id;
}

/**
 * Calls `select` `n` times at `now` (advancing by `step` µs each call), reports each choice
 * (and copies) through `onSent`, and counts datagrams and bytes per path ID. Windows and pacing
 * are left as they are, so every call sees the same paths unless `each` changes them.
 */
export function drive(
  s: PacketScheduler,
  paths: readonly SchedPath[],
  n: number,
  opts: { now?: number; step?: number; bytes?: (i: number) => number; each?: (i: number) => void } = {},
): { count: Map<number, number>; bytes: Map<number, number>; order: (number | undefined)[]; none: number } {
  const count = new Map<number, number>();
  const bytes = new Map<number, number>();
  const order: (number | undefined)[] = [];
  const out: number[] = [];
  let now = opts.now ?? 1_000_000;
  let none = 0;
  for (let i = 0; i < n; i++) {
    opts.each?.(i);
    const b = opts.bytes?.(i) ?? 1200;
    const p = s.select(paths, now, b, out);
    order.push(p?.id);
    if (p === undefined) none++;
    else {
      for (const id of [p.id, ...out]) {
        count.set(id, (count.get(id) ?? 0) + 1);
        bytes.set(id, (bytes.get(id) ?? 0) + b);
        s.onSent?.(id, b, now);
      }
    }
    now += opts.step ?? 0;
  }
  return { count, bytes, order, none };
}
