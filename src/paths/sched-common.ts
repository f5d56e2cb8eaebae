/**
 * What every built-in scheduler shares: which paths may take new data now (the "tier" rule for
 * backup status and failover), whether a path has room and is paced ready, and option parsing.
 *
 * Tiers, best first; a scheduler only ever uses the best tier that has a usable path, so a
 * worse tier gets no new data while a better one exists, even when the better tier's windows
 * are full at the moment (the caller waits for an ACK or the pacer instead):
 *   0 usable, not backup, delivering        (the normal case)
 *   1 usable, backup, delivering            (multipath-21 §3.3: backup only while no other usable path)
 *   2 usable, not backup, failed over       (ptoCount >= failoverPtos: it stopped delivering)
 *   3 usable, backup, failed over
 *   4 not usable
 * A failed-over path thus gets new data only when no delivering path is usable at all; its own
 * PTO probes (sent by loss recovery, outside the scheduler) find out whether it recovers.
 */
import type { Instant } from '../util/time.js';
import type { SchedPath, SchedulerOptions } from './scheduler.js';

export const TIER_UNUSABLE = 4;

/** Default consecutive PTOs after which a path gets no new data while another is usable. */
export const DEFAULT_FAILOVER_PTOS = 2;

/** The tier of `p` (see the module comment). */
export function tierOf(p: SchedPath, failoverPtos: number): number {
  if (!p.usable) return TIER_UNUSABLE;
  return (p.ptoCount >= failoverPtos ? 2 : 0) + (p.backup ? 1 : 0);
}

/** The best tier among `paths`; TIER_UNUSABLE when none is usable. */
export function activeTier(paths: readonly SchedPath[], failoverPtos: number): number {
  let best = TIER_UNUSABLE;
  for (let i = 0; i < paths.length; i++) {
    const t = tierOf(paths[i]!, failoverPtos);
    if (t < best) best = t;
  }
  return best;
}

/** `p` may send a datagram of `bytes` at `now`: window room (cwnd - bytesInFlight >= bytes) and the pacer ready. */
export function canSend(p: SchedPath, now: Instant, bytes: number): boolean {
  return p.cwnd - p.bytesInFlight >= bytes && p.pacingReadyAt <= now;
}

/**
 * Among paths of tier `tier` that can send `bytes` at `now`, the lowest srtt (ties: the lower
 * path ID, so the choice does not depend on the array's order).
 */
export function lowestRtt(paths: readonly SchedPath[], tier: number, failoverPtos: number, now: Instant, bytes: number): SchedPath | undefined {
  let best: SchedPath | undefined;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i]!;
    if (tierOf(p, failoverPtos) !== tier || !canSend(p, now, bytes)) continue;
    if (best === undefined || p.srtt < best.srtt || (p.srtt === best.srtt && p.id < best.id)) best = p;
  }
  return best;
}

/** Reads and validates a scheduler's options: unknown keys and bad values are RangeErrors. */
export class OptionReader {
  constructor(
    private readonly scheduler: string,
    private readonly opts: SchedulerOptions | undefined,
    allowed: readonly string[],
  ) {
    if (opts === undefined) return;
    if (opts === null || typeof opts !== 'object') throw new RangeError(`scheduler "${scheduler}": options must be an object`);
    for (const k of Object.keys(opts)) {
      if (!allowed.includes(k)) {
        const known = allowed.length === 0 ? 'none' : allowed.join(', ');
        throw new RangeError(`scheduler "${scheduler}": unknown option "${k}" (known: ${known})`);
      }
    }
  }

  /** A number option >= min (Infinity allowed when `allowInfinity`), or `def` when absent. */
  number(key: string, def: number, min: number, opts: { integer?: boolean; allowInfinity?: boolean } = {}): number {
    const v = this.opts?.[key];
    if (v === undefined) return def;
    const ok =
      typeof v === 'number' &&
      !Number.isNaN(v) &&
      v >= min &&
      (Number.isFinite(v) ? !opts.integer || Number.isInteger(v) : opts.allowInfinity === true && v > 0);
    if (!ok) {
      const what = `${opts.integer ? 'an integer' : 'a number'} >= ${min}${opts.allowInfinity ? ' or Infinity' : ''}`;
      throw new RangeError(`scheduler "${this.scheduler}": option "${key}" must be ${what}, got ${String(v)}`);
    }
    return v;
  }

  boolean(key: string, def: boolean): boolean {
    const v = this.opts?.[key];
    if (v === undefined) return def;
    if (typeof v !== 'boolean') throw new RangeError(`scheduler "${this.scheduler}": option "${key}" must be a boolean, got ${String(v)}`);
    return v;
  }

  /** The shared `failoverPtos` option (an integer >= 1, or Infinity to never fail over). */
  failoverPtos(): number {
    return this.number('failoverPtos', DEFAULT_FAILOVER_PTOS, 1, { integer: true, allowInfinity: true });
  }
}
