/**
 * `weighted`: shares datagrams among the paths of the best tier (sched-common.ts) in proportion
 * to their estimated bandwidth, cwnd / srtt, by deficit round robin (Shreedhar & Varghese,
 * "Efficient fair queuing using deficit round robin", SIGCOMM 1995): every datagram sent on an
 * eligible path credits each eligible path with its bandwidth share of the datagram's bytes and
 * debits the sender by the whole datagram; `select` picks the path that can send with the most
 * credit. Over many datagrams each path's byte share then follows its bandwidth share (the
 * project decisions in specs/multipath.md name `weighted`, "share by estimated bandwidth";
 * picoquic and XQUIC have no such scheduler, TQUIC neither).
 *
 * Credit is clamped to ±max(`maxCredit`, 2 datagrams), so a path that was window-limited or
 * paced for a while does not hoard a burst, and a path that leaves the tier (unusable, backup
 * while another is usable, failed over) loses its credit. Shares are those of the latest
 * `select`. The connection must report every datagram through `onSent`.
 * Options: `failoverPtos`, `maxCredit` (bytes, default 65536).
 */
import type { Instant } from '../util/time.js';
import type { PacketScheduler, SchedPath, SchedulerOptions } from './scheduler.js';
import { OptionReader, TIER_UNUSABLE, activeTier, canSend, tierOf } from './sched-common.js';

/** Default credit clamp in bytes. */
export const DEFAULT_MAX_CREDIT = 65_536;

/** Per-path bookkeeping, allocated once per path ID. */
interface WeightState {
  readonly id: number;
  /** Bytes this path is owed (positive) or has sent beyond its share (negative). */
  credit: number;
  /** Its share of the tier's estimated bandwidth at the latest select; 0 when not eligible. */
  share: number;
}

/**
 * The `weighted` multipath scheduler: shares datagrams among the paths of the best tier in
 * proportion to their estimated bandwidth (cwnd / srtt), by deficit round robin. Options:
 * `failoverPtos`, and `maxCredit`, the credit clamp in bytes (default 65536).
 */
export class WeightedScheduler implements PacketScheduler {
  readonly name: string = 'weighted';
  private readonly failoverPtos: number;
  private readonly maxCredit: number;
  private readonly states: WeightState[] = [];
  private readonly byId = new Map<number, WeightState>();

  constructor(opts?: SchedulerOptions) {
    const r = new OptionReader('weighted', opts, ['failoverPtos', 'maxCredit']);
    this.failoverPtos = r.failoverPtos();
    this.maxCredit = r.number('maxCredit', DEFAULT_MAX_CREDIT, 1);
  }

  select(paths: readonly SchedPath[], now: Instant, bytes: number, out: number[]): SchedPath | undefined {
    out.length = 0;
    const fo = this.failoverPtos;
    const tier = activeTier(paths, fo);
    const states = this.states;
    for (let i = 0; i < states.length; i++) states[i]!.share = 0;
    if (tier === TIER_UNUSABLE) {
      for (let i = 0; i < states.length; i++) states[i]!.credit = 0;
      return undefined;
    }
    let total = 0;
    let count = 0;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      if (tierOf(p, fo) !== tier) continue;
      total += bandwidth(p);
      count++;
    }
    let best: SchedPath | undefined;
    let bestCredit = 0;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      if (tierOf(p, fo) !== tier) continue;
      const st = this.state(p.id);
      st.share = total > 0 ? bandwidth(p) / total : 1 / count;
      if (!canSend(p, now, bytes)) continue;
      if (best === undefined || st.credit > bestCredit || (st.credit === bestCredit && p.id < best.id)) {
        best = p;
        bestCredit = st.credit;
      }
    }
    for (let i = 0; i < states.length; i++) if (states[i]!.share === 0) states[i]!.credit = 0;
    return best;
  }

  onSent(id: number, bytes: number, _now: Instant): void {
    const sender = this.byId.get(id);
    if (sender === undefined || sender.share === 0) return; // not one of ours (a probe, a retransmission elsewhere)
    const cap = Math.max(this.maxCredit, 2 * bytes);
    const states = this.states;
    for (let i = 0; i < states.length; i++) {
      const st = states[i]!;
      if (st.share === 0) continue;
      let c = st.credit + bytes * st.share - (st === sender ? bytes : 0);
      if (c > cap) c = cap;
      else if (c < -cap) c = -cap;
      st.credit = c;
    }
  }

  onPathRemoved(id: number): void {
    const st = this.byId.get(id);
    if (st === undefined) return;
    this.byId.delete(id);
    const i = this.states.indexOf(st);
    const last = this.states.pop()!;
    if (last !== st) this.states[i] = last;
  }

  /** The credit path `id` holds (for tests and stats); 0 when unknown. */
  creditOf(id: number): number {
    return this.byId.get(id)?.credit ?? 0;
  }

  private state(id: number): WeightState {
    let st = this.byId.get(id);
    if (st === undefined) {
      st = { id, credit: 0, share: 0 }; // once per path ID, not per call
      this.byId.set(id, st);
      this.states.push(st);
    }
    return st;
  }
}

/** Estimated bandwidth in bytes per µs: cwnd / srtt (srtt floored at 1 µs). */
function bandwidth(p: SchedPath): number {
  return p.cwnd / (p.srtt > 1 ? p.srtt : 1);
}
