/**
 * DualQ Coupled AQM (RFC 9332) for the link model: the DualPI2 example of RFC 9332 Appendix A,
 * with the overload handling of A.2. Two queues share the link's transmitter:
 *
 * - the L4S queue takes ECT(1) and CE datagrams (RFC 9332 §2.3, RFC 9331 §5.1). A datagram is
 *   CE-marked when its own queueing delay exceeds `l4sThreshold` with more than Th_len = 1 other
 *   datagram queued (the native step AQM, §2.5.1 / A.1 with a step instead of a ramp) or,
 *   otherwise, with the coupled probability
 *   p_CL = min(k·p', 1) (§2.4, A.1 Figure 4: p_L = max(p'_L, p_CL));
 * - the Classic queue takes everything else and drops (or, for ECT(0), CE-marks) with
 *   p_C = (p')² (§2.4, A.1 Figure 4);
 * - p' is the PI2 base probability (A.1 Figure 6, A.2 Figure 8), updated every `tupdate` from
 *   the queueing delay of the head packet: p' += α·(curq − target) + β·(curq − prevq), clamped to
 *   [0, 1], with curq = max(Classic head delay, L4S head delay) (A.2: so that an overloaded L4S
 *   queue also drives p').
 * - Overload (A.2): once p_CL saturates at 1 (p' ≥ 1/k), L4S datagrams are dropped with p_C and
 *   marked otherwise; once p_C reaches p_Cmax = min(1/k², 1), Classic ECN datagrams are dropped
 *   instead of marked.
 *
 * Parameters (A.1 Figure 2, and the Linux dualpi2 defaults): target 15 ms, Tupdate 16 ms, the PI
 * gains α = 0.16 Hz and β = 3.2 Hz (the values given for Tupdate = 16 ms and RTT_max = 100 ms,
 * from α = 0.1·Tupdate/RTT_max², β ≈ 0.3/RTT_max), k = 2, and a 1 ms step threshold for the L4S
 * queue (the native L4S AQM of §2.5.1 as a step; Linux dualpi2's default step is 1 ms).
 *
 * How it maps onto the link model. The link decides every datagram's fate and departure time
 * when the datagram is offered (the network schedules its arrival at once). A FIFO allows that
 * exactly; a scheduler that lets later L4S arrivals overtake queued Classic datagrams does not,
 * because a Classic datagram's departure then depends on arrivals that have not happened yet.
 * The model keeps the one property the two queues exist for — L4S datagrams never wait behind
 * the Classic backlog — and the link's capacity over time, with this bookkeeping:
 *
 * - `horizon`: when the transmitter would finish all the work committed so far (both queues),
 *   back to back. A Classic datagram starts at max(now, horizon): it waits for every datagram
 *   committed before it, L4S ones included.
 * - `l4sBusy`: when the L4S queue's last datagram finishes. An L4S datagram starts at
 *   max(now, l4sBusy, the end of the Classic datagram in transmission at `now`) — it overtakes
 *   the waiting Classic datagrams, but never pre-empts one being sent — and pushes `horizon`
 *   by its own serialisation time.
 *
 * So the work an L4S datagram takes ahead of the waiting Classic datagrams delays the Classic
 * datagrams committed after it instead of those already committed: the Classic queue delay is
 * the work ahead at arrival, where a real DualQ would add the L4S work arriving during the
 * wait. In a steady state both are the same amount on average; the departures of the two
 * queues can overlap for a while (the link briefly sends faster than its rate) and the
 * following Classic datagrams repay it. The RFC's bound on the L4S priority (WRR or
 * time-shifted FIFO, §4.2.2, A.1) is there to keep an overloaded L4S queue from starving the
 * Classic one; here the Classic queue is never starved, because L4S work always pushes the
 * shared horizon, which the PI2 controller then holds near `target` with drops on both queues.
 *
 * Every decision is taken when a datagram is offered, with the probabilities in force then:
 * the Classic drop/mark at enqueue instead of dequeue (p' moves slowly, Tupdate ≈ target), the
 * L4S step with the datagram's exact queueing delay. A dropped datagram never occupies the
 * queue (a drop at dequeue frees the transmitter at once, so other datagrams' timing is the
 * same). The PI2 updates run at multiples of `tupdate` in simulated time, each from the queue
 * as it stood then (head = the oldest datagram waiting, not the one being sent), caught up
 * whenever the link is used. Random draws come from the `rand` the link passes in (its seeded
 * Prng), one per probabilistic decision and none when the probability is 0.
 */
import type { Duration, Instant } from '../util/time.js';

/** DualQ Coupled AQM (RFC 9332) on the link's queue. Plain data, times in µs. */
export interface DualQConfig {
  type: 'dualq';
  /** PI2 queueing-delay target of the Classic queue (RFC 9332 A.1: 15 ms). */
  target?: Duration;
  /** L4S step-marking threshold on the L4S queueing delay (default 1 ms). */
  l4sThreshold?: Duration;
  /** Coupling factor k: p_CL = k·p' (RFC 9332 §2.4: default 2). */
  k?: number;
  /** PI2 update interval (RFC 9332 A.1 Tupdate; default 16 ms, as Linux dualpi2). */
  tupdate?: Duration;
  /** PI2 integral gain α in Hz (default 0.16). */
  alpha?: number;
  /** PI2 proportional gain β in Hz (default 3.2). */
  beta?: number;
}

/** RFC 9332 A.1: target = 15 ms. */
export const DUALQ_TARGET: Duration = 15_000;
/** The L4S step threshold: 1 ms. */
export const DUALQ_L4S_THRESHOLD: Duration = 1_000;
/** RFC 9332 §2.4: k = 2. */
export const DUALQ_K = 2;
/** Tupdate = 16 ms (RFC 9332 A.1 derives min(target, RTT_max/3); Linux dualpi2 uses 16 ms). */
export const DUALQ_TUPDATE: Duration = 16_000;
/** PI integral gain α = 0.1·Tupdate/RTT_max² with Tupdate 16 ms, RTT_max 100 ms: 0.16 Hz. */
export const DUALQ_ALPHA = 0.16;
/** PI proportional gain β (≈ 0.3/RTT_max): 3.2 Hz, as in RFC 9332 A.1's defaults and Linux dualpi2. */
export const DUALQ_BETA = 3.2;

/** RFC 9332 A.1 Th_len: no step marking with at most this many other datagrams in the L4S queue. */
export const L4S_TH_LEN = 1;

export type DualQVerdict = 'send' | 'mark' | 'drop';

/** What the DualQ decided for one datagram (a reused object, valid until the next call). */
export interface DualQDecision {
  verdict: DualQVerdict;
  /** The datagram went to the L4S queue. */
  l4s: boolean;
  /** When its serialisation starts (for a drop: when it was dropped). */
  start: Instant;
  /** When its serialisation ends (= start for a drop). */
  finish: Instant;
}

/** Counters of the DualQ's own decisions (the link counts the same marks and drops as ceMarked / dropped.aqm). */
export interface DualQStats {
  l4sPackets: number;
  classicPackets: number;
  /** L4S datagrams CE-marked by the step (queueing delay above the threshold). */
  l4sStepMarks: number;
  /** L4S datagrams CE-marked by the coupled probability (or in saturation). */
  l4sCoupledMarks: number;
  /** L4S datagrams dropped in overload (p_CL saturated). */
  l4sDrops: number;
  classicMarks: number;
  classicDrops: number;
  /** PI2 updates run. */
  updates: number;
}

/** One queued datagram: arrival, serialisation start and end, size. */
interface Entry {
  arrival: Instant;
  start: Instant;
  finish: Instant;
  size: number;
}

/** A FIFO of committed datagrams (start and finish non-decreasing), drained by finish time. */
class Lane {
  items: Entry[] = [];
  head = 0;
  bytes = 0;
  /** Scan position for the PI2 updates (the first entry not started at the last update instant). */
  scan = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(e: Entry): void {
    this.items.push(e);
    this.bytes += e.size;
  }

  first(): Entry | undefined {
    return this.items[this.head];
  }

  /** Removes the datagrams whose serialisation ended by `now`. */
  drain(now: Instant): void {
    const items = this.items;
    while (this.head < items.length && items[this.head]!.finish <= now) {
      this.bytes -= items[this.head]!.size;
      this.head++;
    }
    if (this.scan < this.head) this.scan = this.head;
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.scan -= this.head;
      this.head = 0;
    }
  }

  /** Queueing delay at `u` of the oldest datagram waiting then (arrived, not yet started), or 0. */
  headDelay(u: Instant): Duration {
    const items = this.items;
    while (this.scan < items.length && items[this.scan]!.start <= u) this.scan++;
    const e = items[this.scan];
    return e !== undefined && e.arrival <= u ? u - e.arrival : 0;
  }
}

export class DualQ {
  readonly target: Duration;
  readonly l4sThreshold: Duration;
  readonly k: number;
  readonly tupdate: Duration;
  readonly alpha: number;
  readonly beta: number;
  /** RFC 9332 A.2 p_Cmax = min(1/k², 1): from there on Classic ECN datagrams are dropped, not marked. */
  readonly pCmax: number;
  /** The PI2 base probability p'. */
  pBase = 0;
  /** Coupled L4S marking probability p_CL = min(k·p', 1). */
  pCL = 0;
  /** Classic drop/mark probability p_C = p'². */
  pC = 0;
  readonly stats: DualQStats = { l4sPackets: 0, classicPackets: 0, l4sStepMarks: 0, l4sCoupledMarks: 0, l4sDrops: 0, classicMarks: 0, classicDrops: 0, updates: 0 };
  /** prevq of A.1 Figure 6, µs. */
  private prevq: Duration = 0;
  /** The next PI2 update instant. */
  private nextUpdate: Instant;
  private readonly classic = new Lane();
  private readonly l4s = new Lane();
  /** When all committed work (both queues) would be done, back to back. */
  private horizon: Instant = 0;
  /** When the L4S queue's last committed datagram finishes. */
  private l4sBusy: Instant = 0;
  private last: Instant = 0;
  private readonly decision: DualQDecision = { verdict: 'send', l4s: false, start: 0, finish: 0 };

  /** Throws RangeError for invalid parameters. `rand` draws uniformly from [0, 1). */
  constructor(
    config: DualQConfig,
    private readonly rand: () => number,
  ) {
    this.target = config.target ?? DUALQ_TARGET;
    this.l4sThreshold = config.l4sThreshold ?? DUALQ_L4S_THRESHOLD;
    this.k = config.k ?? DUALQ_K;
    this.tupdate = config.tupdate ?? DUALQ_TUPDATE;
    this.alpha = config.alpha ?? DUALQ_ALPHA;
    this.beta = config.beta ?? DUALQ_BETA;
    if (!(this.target >= 0)) throw new RangeError('dualq: target must be >= 0');
    if (!(this.l4sThreshold >= 0)) throw new RangeError('dualq: l4sThreshold must be >= 0');
    if (!(this.k > 0) || this.k === Infinity) throw new RangeError('dualq: k must be a positive number');
    if (!(this.tupdate > 0) || this.tupdate === Infinity) throw new RangeError('dualq: tupdate must be > 0');
    if (!(this.alpha >= 0) || !(this.beta >= 0) || this.alpha === Infinity || this.beta === Infinity) throw new RangeError('dualq: alpha and beta must be >= 0');
    this.pCmax = Math.min(1 / (this.k * this.k), 1);
    this.nextUpdate = this.tupdate;
  }

  /** Datagrams queued at `now` in each queue, including one being serialised. */
  backlog(now: Instant): { packets: number; bytes: number; l4sPackets: number; classicPackets: number } {
    this.advance(now);
    const c = this.classic;
    const l = this.l4s;
    return { packets: c.length + l.length, bytes: c.bytes + l.bytes, l4sPackets: l.length, classicPackets: c.length };
  }

  /**
   * A datagram of `size` bytes, `ser` µs of serialisation, arrives at `now` with codepoint `ecn`
   * (after any bleaching on the way): classify it, decide its fate and, unless dropped, commit
   * its transmission.
   */
  enqueue(now: Instant, size: number, ser: Duration, ecn: 'not-ect' | 'ect0' | 'ect1' | 'ce' | undefined): DualQDecision {
    this.advance(now);
    const d = this.decision;
    const s = this.stats;
    // RFC 9332 §2.3 / A.1 Figure 3: ECT(1) and CE go to the L4S queue.
    const l4s = ecn === 'ect1' || ecn === 'ce';
    d.l4s = l4s;
    if (!l4s) {
      s.classicPackets++;
      const start = Math.max(now, this.horizon);
      // A.1 Figure 4 / A.2 Figure 7: p_C = p'² (drawn as one uniform against p'²).
      if (this.pC > 0 && this.rand() < this.pC) {
        if (ecn === 'ect0' && this.pC < this.pCmax) {
          s.classicMarks++;
          d.verdict = 'mark';
        } else {
          s.classicDrops++;
          d.verdict = 'drop';
          d.start = d.finish = start;
          return d;
        }
      } else {
        d.verdict = 'send';
      }
      const finish = start + ser;
      this.classic.push({ arrival: now, start, finish, size });
      this.horizon = finish;
      d.start = start;
      d.finish = finish;
      return d;
    }
    s.l4sPackets++;
    let start = Math.max(now, this.l4sBusy);
    // Never pre-empt the Classic datagram being sent at `now`.
    const c = this.classic.first();
    if (c !== undefined && c.start <= now && c.finish > start) start = c.finish;
    const sojourn = start - now;
    if (this.pCL < 1) {
      // A.2 Figure 7: p_L = max(p'_L, p_CL), the native step suppressed unless the L4S queue
      // holds more than Th_len = 1 other datagram (so a lone datagram behind a slow transmission,
      // or a pair sent back to back, is no queue at rates where one datagram takes ~1 ms). The
      // RFC counts what is left behind the datagram at its dequeue; the model counts what was
      // ahead of it on arrival (the same in a steady queue).
      if (sojourn > this.l4sThreshold && this.l4s.length > L4S_TH_LEN) {
        s.l4sStepMarks++;
        d.verdict = 'mark';
      } else if (this.pCL > 0 && this.rand() < this.pCL) {
        s.l4sCoupledMarks++;
        d.verdict = 'mark';
      } else {
        d.verdict = 'send';
      }
    } else if (this.rand() < this.pC) {
      // A.2: L4S saturation (overload): revert to Classic drop, mark the rest.
      s.l4sDrops++;
      d.verdict = 'drop';
      d.start = d.finish = start;
      return d;
    } else {
      s.l4sCoupledMarks++;
      d.verdict = 'mark';
    }
    const finish = start + ser;
    this.l4s.push({ arrival: now, start, finish, size });
    this.l4sBusy = finish;
    this.horizon = Math.max(this.horizon, now) + ser;
    d.start = start;
    d.finish = finish;
    return d;
  }

  /** Runs the PI2 updates due by `now`, then forgets the datagrams sent by then. */
  private advance(now: Instant): void {
    if (now < this.last) return;
    this.last = now;
    while (this.nextUpdate <= now) {
      const u = this.nextUpdate;
      if (this.pBase === 0 && this.prevq === 0 && this.classic.scan >= this.classic.items.length && this.l4s.scan >= this.l4s.items.length) {
        // Nothing waiting from here to `now` and nothing to decay: skip to the next instant after now.
        this.nextUpdate = u + Math.ceil((now - u + 1) / this.tupdate) * this.tupdate;
        break;
      }
      this.update(u);
      this.nextUpdate = u + this.tupdate;
    }
    this.classic.drain(now);
    this.l4s.drain(now);
  }

  /** RFC 9332 A.2 Figure 8 (dualpi2_update), at the instant `u`. */
  private update(u: Instant): void {
    const curq = Math.max(this.classic.headDelay(u), this.l4s.headDelay(u));
    let p = this.pBase + (this.alpha * (curq - this.target) + this.beta * (curq - this.prevq)) * 1e-6;
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    this.pBase = p;
    this.pCL = Math.min(this.k * p, 1);
    this.pC = p * p;
    this.prevq = curq;
    this.stats.updates++;
  }
}
