/**
 * The built-in packet schedulers (specs/multipath.md, project decisions and A12): `minrtt`
 * (default), `roundrobin`, `redundant`, `backup`, and `weighted` (sched-weighted.ts). All share
 * the tier rule of sched-common.ts: backup paths (multipath-21 §3.3) and failed-over paths
 * (ptoCount >= `failoverPtos`, option, default 2) get new data only while no better path is
 * usable. Every `select` clears `out` first, allocates nothing, reads no clock and draws no
 * randomness.
 */
import type { Duration, Instant } from '../util/time.js';
import { MICROS_PER_SECOND } from '../util/time.js';
import type { PacketScheduler, SchedPath, SchedulerFactory, SchedulerOptions } from './scheduler.js';
import { OptionReader, TIER_UNUSABLE, activeTier, canSend, lowestRtt, tierOf } from './sched-common.js';
import { WeightedScheduler } from './sched-weighted.js';

/**
 * `minrtt`: among the paths of the best tier that have window room for the datagram and a ready
 * pacer, the one with the lowest smoothed RTT. The default in Tencent TQUIC
 * (`MultipathAlgorithm::MinRtt`) and XQUIC (`xqc_minrtt_scheduler_cb`: lowest srtt among active
 * paths with congestion-window room); unlike XQUIC's minrtt, backup paths are used only when no
 * non-backup path is usable (multipath-21 §3.3).
 * Options: `failoverPtos`.
 */
export class MinRttScheduler implements PacketScheduler {
  readonly name: string = 'minrtt';
  private readonly failoverPtos: number;

  constructor(opts?: SchedulerOptions) {
    this.failoverPtos = new OptionReader('minrtt', opts, ['failoverPtos']).failoverPtos();
  }

  select(paths: readonly SchedPath[], now: Instant, bytes: number, out: number[]): SchedPath | undefined {
    out.length = 0;
    const tier = activeTier(paths, this.failoverPtos);
    if (tier === TIER_UNUSABLE) return undefined;
    return lowestRtt(paths, tier, this.failoverPtos, now, bytes);
  }
}

/**
 * `roundrobin`: the paths of the best tier that can send take turns in path-ID order, whatever
 * their RTT; a path without room or pacing credit is skipped for this turn. Tencent TQUIC's
 * `RoundRobin` ("for testing only"); picoquic's data-path rule (the least-recently-sent path
 * allowed by pacing and cwnd) has much the same effect. The turn advances in `onSent`, so the
 * connection must report each datagram sent.
 * Options: `failoverPtos`.
 */
export class RoundRobinScheduler implements PacketScheduler {
  readonly name: string = 'roundrobin';
  private readonly failoverPtos: number;
  /** The ID of the path that sent last; the next turn goes to the next higher ID that can send. */
  private lastId = -1;

  constructor(opts?: SchedulerOptions) {
    this.failoverPtos = new OptionReader('roundrobin', opts, ['failoverPtos']).failoverPtos();
  }

  select(paths: readonly SchedPath[], now: Instant, bytes: number, out: number[]): SchedPath | undefined {
    out.length = 0;
    const tier = activeTier(paths, this.failoverPtos);
    if (tier === TIER_UNUSABLE) return undefined;
    let next: SchedPath | undefined; // lowest ID above lastId
    let first: SchedPath | undefined; // lowest ID overall (wrap-around)
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      if (tierOf(p, this.failoverPtos) !== tier || !canSend(p, now, bytes)) continue;
      if (first === undefined || p.id < first.id) first = p;
      if (p.id > this.lastId && (next === undefined || p.id < next.id)) next = p;
    }
    return next ?? first;
  }

  onSent(id: number, _bytes: number, _now: Instant): void {
    this.lastId = id;
  }
}

/**
 * `redundant`: the `minrtt` choice carries the datagram and every other path of the same tier
 * that can send carries a copy (listed in `out`): each ack-eliciting packet on every usable
 * path, trading capacity for latency and resilience. Tencent TQUIC's `Redundant`; picoquic's
 * preemptive repeat (`picoquic_set_preemptive_repeat_policy`) is the retransmission-only form.
 * Copies skip backup paths (multipath-21 §3.3) unless `includeBackup` is true, and never go to
 * a failed-over path while a delivering one is usable.
 * Options: `failoverPtos`, `includeBackup` (default false).
 */
export class RedundantScheduler implements PacketScheduler {
  readonly name: string = 'redundant';
  private readonly failoverPtos: number;
  private readonly includeBackup: boolean;

  constructor(opts?: SchedulerOptions) {
    const r = new OptionReader('redundant', opts, ['failoverPtos', 'includeBackup']);
    this.failoverPtos = r.failoverPtos();
    this.includeBackup = r.boolean('includeBackup', false);
  }

  select(paths: readonly SchedPath[], now: Instant, bytes: number, out: number[]): SchedPath | undefined {
    out.length = 0;
    const tier = activeTier(paths, this.failoverPtos);
    if (tier === TIER_UNUSABLE) return undefined;
    const primary = lowestRtt(paths, tier, this.failoverPtos, now, bytes);
    if (primary === undefined) return undefined;
    // With includeBackup, delivering backup paths (tier 1) take copies alongside tier 0.
    const copyTierMax = this.includeBackup && tier === 0 ? 1 : tier;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      if (p === primary) continue;
      const t = tierOf(p, this.failoverPtos);
      // Copies need window room only: they are for latency, and the path's pacer spaces them.
      if (t >= tier && t <= copyTierMax && p.cwnd - p.bytesInFlight >= bytes) out.push(p.id);
    }
    return primary;
  }
}

/** Default interval after which an idle backup path gets a probe datagram (1 s). */
export const DEFAULT_PROBE_INTERVAL: Duration = MICROS_PER_SECOND;

/**
 * `backup`: `minrtt` over the best tier (so backup paths carry data only while no non-backup
 * path is usable), and while they stand by, a backup path that has carried nothing for
 * `probeInterval` and can send gets the next datagram (a probe), so its RTT and liveness stay
 * known for a quick failover. XQUIC's `xqc_backup_scheduler_cb` (skips standby paths while an
 * available path exists; probes them after `standby_path_probe_timeout`). The probe is one
 * ordinary ack-eliciting datagram; with several idle backup paths the longest idle goes first.
 * Failed-over backup paths are not probed (their PTO probes already are).
 * Options: `failoverPtos`, `probeInterval` (µs, default 1 s; Infinity: never probe).
 */
export class BackupScheduler implements PacketScheduler {
  readonly name: string = 'backup';
  private readonly failoverPtos: number;
  private readonly probeInterval: Duration;
  /** Last ack-eliciting send per path ID seen through `onSent` (in case `lastSentAt` lags). */
  private readonly lastSent = new Map<number, Instant>();

  constructor(opts?: SchedulerOptions) {
    const r = new OptionReader('backup', opts, ['failoverPtos', 'probeInterval']);
    this.failoverPtos = r.failoverPtos();
    this.probeInterval = r.number('probeInterval', DEFAULT_PROBE_INTERVAL, 1, { allowInfinity: true });
  }

  select(paths: readonly SchedPath[], now: Instant, bytes: number, out: number[]): SchedPath | undefined {
    out.length = 0;
    const tier = activeTier(paths, this.failoverPtos);
    if (tier === TIER_UNUSABLE) return undefined;
    if (tier === 0 && this.probeInterval !== Infinity) {
      // Backup paths are standing by: probe the one idle longest, if any is due.
      let probe: SchedPath | undefined;
      let probeLast = 0;
      for (let i = 0; i < paths.length; i++) {
        const p = paths[i]!;
        if (tierOf(p, this.failoverPtos) !== 1 || !canSend(p, now, bytes)) continue;
        const mine = this.lastSent.get(p.id);
        const last = mine !== undefined && mine > p.lastSentAt ? mine : p.lastSentAt;
        if (now - last < this.probeInterval) continue;
        if (probe === undefined || last < probeLast || (last === probeLast && p.id < probe.id)) {
          probe = p;
          probeLast = last;
        }
      }
      if (probe !== undefined) return probe;
    }
    return lowestRtt(paths, tier, this.failoverPtos, now, bytes);
  }

  onSent(id: number, _bytes: number, now: Instant): void {
    this.lastSent.set(id, now);
  }

  onPathRemoved(id: number): void {
    this.lastSent.delete(id);
  }
}

/** The built-in factories, in the order `schedulerNames()` lists them. */
export const BUILTIN_SCHEDULERS: ReadonlyArray<readonly [string, SchedulerFactory]> = [
  ['minrtt', (o) => new MinRttScheduler(o)],
  ['roundrobin', (o) => new RoundRobinScheduler(o)],
  ['redundant', (o) => new RedundantScheduler(o)],
  ['backup', (o) => new BackupScheduler(o)],
  ['weighted', (o) => new WeightedScheduler(o)],
];
