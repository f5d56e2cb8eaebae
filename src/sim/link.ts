/**
 * A one-way link: what happens to a datagram between two hosts. Checks run in this order, and
 * each drop is counted under its cause: link down, drop list, MTU, random loss, Gilbert-Elliott
 * burst loss, then the drop-tail queue in front of a transmitter of `rate` bits/s
 * (serialisation delay = size·8/rate), then an optional AQM on that queue: CoDel (RFC 8289) at
 * its head, or the DualQ Coupled AQM (RFC 9332, dualq.ts), which splits it into an L4S and a
 * Classic queue. A queued datagram may be CE-marked (ECN) when the queue is above a threshold or
 * by the AQM, duplicated and corrupted, then it arrives after the propagation delay plus jitter.
 * Jitter never reorders unless `reorder` is set: without it, an arrival is held back behind the
 * previous one (with DualQ: behind the previous one of the same queue, since L4S datagrams
 * overtake Classic ones).
 *
 * Pure model: `offer(now, d)` returns the deliveries (time + datagram); the network schedules
 * them. All randomness comes from the link's seeded Prng.
 */
import type { Datagram } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Duration, Instant } from '../util/time.js';
import { DualQ, type DualQConfig } from './dualq.js';

export type { DualQConfig } from './dualq.js';

/** Gilbert-Elliott two-state loss: a good and a bad state with their own loss probabilities. */
export interface GilbertElliott {
  /** Probability of moving good → bad after a packet. */
  p: number;
  /** Probability of moving bad → good after a packet (mean burst length 1/r packets). */
  r: number;
  /** Loss probability in the bad state (default 1). */
  lossBad?: number;
  /** Loss probability in the good state (default 0). */
  lossGood?: number;
}

/** A Gilbert-Elliott model with a given mean loss rate and mean burst length (lossBad = 1). */
export function burstLoss(meanLoss: number, meanBurst: number): GilbertElliott {
  if (!(meanLoss > 0 && meanLoss < 1) || !(meanBurst >= 1)) throw new RangeError('burstLoss: 0 < meanLoss < 1, meanBurst >= 1');
  const r = 1 / meanBurst;
  return { p: (meanLoss * r) / (1 - meanLoss), r };
}

/**
 * A scheduled change to a link, applied by the network at virtual time `at` (µs): the link goes
 * down (every datagram offered is dropped) or up again, or its `rate` (bit/s, 0 = infinite),
 * propagation `delay` and `jitter` (µs), random `loss` probability or `mtu` (bytes) changes.
 * Datagrams already queued or in flight keep the timing they were given when offered.
 */
export type LinkEvent =
  | { at: Instant; type: 'down' }
  | { at: Instant; type: 'up' }
  | { at: Instant; type: 'rate'; rate: number }
  | { at: Instant; type: 'delay'; delay: Duration; jitter?: Duration }
  | { at: Instant; type: 'loss'; loss: number }
  /** The largest datagram the link carries from now on (a route change, a tunnel; PMTU black holes). */
  | { at: Instant; type: 'mtu'; mtu: number | undefined };

/**
 * CoDel active queue management (RFC 8289) on the link's queue. Plain data, times in µs.
 * Only meaningful with a finite `rate` (an infinite-rate link has no queue).
 */
export interface CoDelConfig {
  type: 'codel';
  /** Acceptable standing queue delay (RFC 8289 §4.3: TARGET, default 5 ms). */
  target?: Duration;
  /** Sliding window for the minimum sojourn time (RFC 8289 §4.4: INTERVAL, default 100 ms). */
  interval?: Duration;
  /** CE-mark ECN-capable datagrams instead of dropping them (RFC 8289 §5.5). Default false. */
  ecn?: boolean;
}

/**
 * The active queue management of a link with a finite `rate`: CoDel (RFC 8289), or the DualQ
 * Coupled AQM (RFC 9332: DualPI2 with an L4S step, `{ type: 'dualq', target?, l4sThreshold?, k? }`,
 * see dualq.ts), where ECT(1) and CE datagrams take the L4S queue, CE-marked above
 * `l4sThreshold` (default 1 ms) or with k·p', and the rest the Classic queue, dropped (ECT(0):
 * marked) with p'², p' from a PI controller holding the queue near `target` (default 15 ms).
 */
export type AqmConfig = CoDelConfig | DualQConfig;

/** Plain-data link parameters (all times in µs). */
export interface LinkConfig {
  /** Propagation delay. */
  delay: Duration;
  /** Extra uniform random delay in [0, jitter]. */
  jitter?: Duration;
  /** Let jitter reorder datagrams (default false: arrivals stay FIFO, per queue with DualQ). */
  reorder?: boolean;
  /** Bits per second; absent or 0 = infinite (no serialisation delay, no queue). */
  rate?: number;
  /** Drop-tail queue limit, counting the datagram being serialised. Default: unbounded. */
  queuePackets?: number;
  queueBytes?: number;
  /** Independent random loss probability. */
  loss?: number;
  /** Gilbert-Elliott burst loss. */
  burst?: GilbertElliott;
  /** Drop exactly these datagrams, by 0-based index in the order offered to the link. */
  dropList?: number[];
  /** Probability a datagram is delivered twice. */
  duplicate?: number;
  /** Probability a delivered copy has one bit flipped. */
  corrupt?: number;
  /** Largest datagram payload carried; larger ones are dropped. */
  mtu?: number;
  /** Mark ECT datagrams CE when this many datagrams are already queued. */
  ecnThreshold?: number;
  /** Clear the ECN codepoint of every datagram to not-ECT (a path that bleaches ECN, RFC 9000 §13.4.2). */
  ecnBleach?: boolean;
  /**
   * Active queue management on the queue (needs a finite `rate`): CoDel at its head, or DualQ
   * (two queues; the drop-tail limits apply to their sum). See `AqmConfig`.
   */
  aqm?: AqmConfig;
  /** Scheduled changes (applied by the network at their time). */
  events?: LinkEvent[];
}

/**
 * What a link did with the datagrams offered to it: deliveries, drops by cause (`dropped`, in
 * the order the checks run), duplicates, corruptions, CE marks and the largest queue seen
 * (datagrams and bytes, counting the one being serialised).
 */
export interface LinkCounters {
  /** Datagrams offered to the link. */
  sent: number;
  /** Copies handed to the far end (duplicates count twice). */
  delivered: number;
  bytesDelivered: number;
  dropped: { down: number; dropList: number; mtu: number; random: number; burst: number; queue: number; aqm: number };
  duplicated: number;
  corrupted: number;
  /** CE marks, by the queue threshold or by the AQM. */
  ceMarked: number;
  maxQueuePackets: number;
  maxQueueBytes: number;
}

/**
 * One copy of a datagram arriving at the far end of a link: when (`at`, µs) and the datagram
 * as it arrives (its own copy of the bytes, possibly corrupted, with the ECN codepoint after
 * bleaching and CE marking).
 */
export interface Delivery {
  at: Instant;
  d: Datagram;
  /** Index of the datagram in the order offered (copies share it). */
  index: number;
}

/**
 * A one-way link built from a LinkConfig and a seed: `offer` applies loss, the queue, the AQM,
 * ECN marking, duplication, corruption and delay to a datagram and returns its deliveries; the
 * network schedules them and applies the config's LinkEvents (`apply`). The current `rate`,
 * `delay`, `jitter`, `loss` and `mtu` start from the config, `up` as true, and change with events.
 */
export class Link {
  readonly counters: LinkCounters = {
    sent: 0,
    delivered: 0,
    bytesDelivered: 0,
    dropped: { down: 0, dropList: 0, mtu: 0, random: 0, burst: 0, queue: 0, aqm: 0 },
    duplicated: 0,
    corrupted: 0,
    ceMarked: 0,
    maxQueuePackets: 0,
    maxQueueBytes: 0,
  };
  up = true;
  rate: number;
  delay: Duration;
  jitter: Duration;
  loss: number;
  /** Largest datagram carried (undefined: any). */
  mtu: number | undefined;
  private readonly prng: Prng;
  private readonly dropSet: Set<number>;
  private geBad = false;
  private index = 0;
  /** When the transmitter finishes the last queued datagram. */
  private busyUntil = 0;
  /** Finish times and sizes of queued datagrams (FIFO). */
  private queue: { finish: number; size: number }[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private lastArrival = 0;
  /** With DualQ, the last arrival of the L4S queue's datagrams (`lastArrival` is the Classic queue's). */
  private lastArrivalL4s = 0;
  private readonly codel: CoDel | undefined;
  /** The DualQ Coupled AQM (RFC 9332), when configured: its state (p', p_CL, p_C) and counters. */
  readonly dualq: DualQ | undefined;

  constructor(
    readonly config: LinkConfig,
    seed: number,
  ) {
    if (!(config.delay >= 0)) throw new RangeError('link delay must be >= 0');
    this.prng = new Prng(seed);
    this.rate = config.rate ?? 0;
    this.delay = config.delay;
    this.jitter = config.jitter ?? 0;
    this.loss = config.loss ?? 0;
    this.mtu = config.mtu;
    this.dropSet = new Set(config.dropList ?? []);
    const aqm = config.aqm;
    if (aqm !== undefined) {
      if (aqm.type === 'codel') {
        const target = aqm.target ?? CODEL_TARGET;
        const interval = aqm.interval ?? CODEL_INTERVAL;
        if (!(target >= 0) || !(interval > 0)) throw new RangeError('codel: target must be >= 0 and interval > 0');
        this.codel = new CoDel(target, interval, config.mtu ?? CODEL_MAX_PACKET, aqm.ecn ?? false);
      } else if (aqm.type === 'dualq') {
        // Validates its parameters (RangeError); draws from the link's Prng, so runs stay seeded.
        this.dualq = new DualQ(aqm, () => this.prng.nextFloat());
      } else {
        throw new RangeError(`unknown aqm ${(aqm as { type: string }).type}`);
      }
    }
  }

  /** Applies a scheduled event. */
  apply(e: LinkEvent): void {
    switch (e.type) {
      case 'down':
        this.up = false;
        break;
      case 'up':
        this.up = true;
        break;
      case 'rate':
        this.rate = e.rate;
        break;
      case 'delay':
        this.delay = e.delay;
        if (e.jitter !== undefined) this.jitter = e.jitter;
        break;
      case 'loss':
        this.loss = e.loss;
        break;
      case 'mtu':
        this.mtu = e.mtu;
        break;
    }
  }

  /** Datagrams queued at `now`, including the one being serialised. */
  queueLength(now: Instant): { packets: number; bytes: number } {
    if (this.dualq) {
      const b = this.dualq.backlog(now);
      return { packets: b.packets, bytes: b.bytes };
    }
    this.drain(now);
    return { packets: this.queue.length - this.queueHead, bytes: this.queuedBytes };
  }

  private drain(now: Instant): void {
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.finish <= now) {
      this.queuedBytes -= this.queue[this.queueHead]!.size;
      this.queueHead++;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Offers a datagram at `now`; returns what arrives at the far end, and when. */
  offer(now: Instant, d: Datagram): Delivery[] {
    const c = this.counters;
    const index = this.index++;
    const size = d.data.length;
    c.sent++;
    if (!this.up) return void c.dropped.down++, [];
    if (this.dropSet.has(index)) return void c.dropped.dropList++, [];
    if (this.mtu !== undefined && size > this.mtu) return void c.dropped.mtu++, [];
    if (this.loss > 0 && this.prng.chance(this.loss)) return void c.dropped.random++, [];
    const ge = this.config.burst;
    if (ge) {
      const lossP = this.geBad ? (ge.lossBad ?? 1) : (ge.lossGood ?? 0);
      const lost = lossP > 0 && this.prng.chance(lossP);
      if (this.prng.chance(this.geBad ? ge.r : ge.p)) this.geBad = !this.geBad;
      if (lost) return void c.dropped.burst++, [];
    }
    let ecn = d.ecn;
    if (this.config.ecnBleach === true && ecn !== undefined) ecn = 'not-ect';
    let departAt = now;
    let l4s = false;
    if (this.rate > 0) {
      const q = this.queueLength(now);
      const cfg = this.config;
      if ((cfg.queuePackets !== undefined && q.packets >= cfg.queuePackets) || (cfg.queueBytes !== undefined && q.bytes + size > cfg.queueBytes)) {
        return void c.dropped.queue++, [];
      }
      // The DualQ classifies by the codepoint the datagram arrives with (RFC 9332 §2.3).
      const arrivedEcn = ecn;
      if (cfg.ecnThreshold !== undefined && q.packets >= cfg.ecnThreshold && (ecn === 'ect0' || ecn === 'ect1')) {
        ecn = 'ce';
        c.ceMarked++;
      }
      c.maxQueuePackets = Math.max(c.maxQueuePackets, q.packets + 1);
      c.maxQueueBytes = Math.max(c.maxQueueBytes, q.bytes + size);
      if (this.dualq) {
        // Two queues behind the transmitter: timing, marks and drops are the DualQ's (dualq.ts).
        const r = this.dualq.enqueue(now, size, (size * 8 * 1_000_000) / this.rate, arrivedEcn);
        if (r.verdict === 'drop') return void c.dropped.aqm++, [];
        if (r.verdict === 'mark' && ecn !== 'ce') {
          ecn = 'ce';
          c.ceMarked++;
        }
        departAt = r.finish;
        l4s = r.l4s;
      } else {
        const start = Math.max(now, this.busyUntil);
        if (this.codel) {
          // The datagram leaves the queue when its serialisation starts (`start`). Bytes waiting
          // behind it then are not known yet; the bytes waiting ahead of it on arrival stand in
          // for them (see CoDel below).
          const waiting = q.packets > 0 ? q.bytes - this.queue[this.queueHead]!.size : 0;
          const capable = ecn === 'ect0' || ecn === 'ect1' || ecn === 'ce';
          const verdict = this.codel.dequeue(start, start - now, waiting, now > this.busyUntil, capable);
          if (verdict === 'drop') {
            // Held in the buffer until its dequeue, then discarded without using the transmitter.
            this.busyUntil = start;
            this.queue.push({ finish: start, size });
            this.queuedBytes += size;
            return void c.dropped.aqm++, [];
          }
          if (verdict === 'mark' && ecn !== 'ce') {
            ecn = 'ce';
            c.ceMarked++;
          }
        }
        const finish = start + (size * 8 * 1_000_000) / this.rate;
        this.busyUntil = finish;
        this.queue.push({ finish, size });
        this.queuedBytes += size;
        departAt = finish;
      }
    }
    const copies = this.config.duplicate && this.prng.chance(this.config.duplicate) ? 2 : 1;
    if (copies === 2) c.duplicated++;
    const out: Delivery[] = [];
    for (let i = 0; i < copies; i++) {
      // The receiver owns its copy.
      const data = copyBytes(d.data);
      if (this.config.corrupt && this.prng.chance(this.config.corrupt) && data.length > 0) {
        data[this.prng.nextInt(data.length)]! ^= 1 << this.prng.nextInt(8);
        c.corrupted++;
      }
      let at = Math.ceil(departAt + this.delay + (this.jitter > 0 ? this.prng.nextInt(Math.floor(this.jitter) + 1) : 0));
      if (l4s) {
        if (!this.config.reorder) at = Math.max(at, this.lastArrivalL4s);
        this.lastArrivalL4s = Math.max(this.lastArrivalL4s, at);
      } else {
        if (!this.config.reorder) at = Math.max(at, this.lastArrival);
        this.lastArrival = Math.max(this.lastArrival, at);
      }
      const copy: Datagram = { data, from: d.from, to: d.to };
      if (ecn !== undefined) copy.ecn = ecn;
      out.push({ at, d: copy, index });
      c.delivered++;
      c.bytesDelivered += size;
    }
    return out;
  }
}

/**
 * A copy of `src` in memory of its own, as a plain Uint8Array: cut from node's pool of small
 * buffers (Buffer.allocUnsafe), which is several times cheaper than an ArrayBuffer per
 * datagram (`slice`). A plain view, not a Buffer, so that the core's `slice()` of what it
 * keeps copies (Buffer#slice would make a view). No two copies share bytes.
 */
function copyBytes(src: Uint8Array): Uint8Array {
  const b = Buffer.allocUnsafe(src.length);
  b.set(src);
  return new Uint8Array(b.buffer, b.byteOffset, src.length);
}

/** RFC 8289 §4.3: TARGET = 5 ms. */
const CODEL_TARGET = 5_000;
/** RFC 8289 §4.4: INTERVAL = 100 ms. */
const CODEL_INTERVAL = 100_000;
/** RFC 8289 §5.7 MAXPACKET when the link has no `mtu`: an Ethernet MTU. */
const CODEL_MAX_PACKET = 1500;

type CoDelVerdict = 'send' | 'mark' | 'drop';

/**
 * The CoDel state machine of RFC 8289 §5 (the `dequeue`/`dodequeue` pseudocode, with the Linux
 * re-entry rule for `count` that §5.7 reproduces), fed one datagram at a time in dequeue order.
 *
 * How it maps onto this link model: the link is a FIFO in front of a constant-rate transmitter,
 * so a datagram's dequeue time (the start of its serialisation) is known when it is offered,
 * and dequeue times are non-decreasing in offer order. Every CoDel decision is therefore taken
 * at offer time, in the order the real queue would take it, with `now` = the dequeue time:
 * - sojourn time = dequeue time − arrival time (RFC 8289 §4.2), exact;
 * - a dropped datagram frees the transmitter at its dequeue time, so the next datagram's dequeue
 *   time is the same instant when it is already queued: the pseudocode's "drop, then dequeue
 *   the next packet at the same `now`" is kept by remembering which step the next datagram
 *   continues (`pending`);
 * - the transmitter finding the queue empty (the next datagram arrives after the transmitter
 *   went idle) is the pseudocode's empty dequeue: `first_above_time` = 0 and the dropping
 *   state ends;
 * - approximation: `bytes()` in the MAXPACKET test of §5.7 `dodequeue` (the backlog left
 *   behind the dequeued packet) includes datagrams that will arrive before its dequeue, which
 *   the link has not seen yet. The bytes waiting ahead of the datagram when it arrived are used
 *   instead; for a queue where datagrams arrive and leave one at a time, the queue lengths
 *   seen by arrivals and left behind by departures have the same distribution, so the test
 *   holds in the long run. It only matters on links where a MAXPACKET takes longer than TARGET
 *   to send; above that rate a sojourn of TARGET implies a backlog far above MAXPACKET.
 * ECN (RFC 8289 §5.5, as Linux codel does): an ECN-capable datagram that would be dropped is
 * CE-marked and sent instead; in the dropping state a mark schedules the next drop like a drop
 * does, and ends the same-instant drop loop because the marked datagram is sent.
 */
class CoDel {
  private firstAboveTime = 0;
  private dropNext = 0;
  private count = 0;
  private lastCount = 0;
  private dropping = false;
  /** Which step of the pseudocode the next datagram continues after a drop at its dequeue time. */
  private pending: 'none' | 'afterEntry' | 'dropLoop' = 'none';

  constructor(
    private readonly target: Duration,
    private readonly interval: Duration,
    private readonly maxPacket: number,
    private readonly ecn: boolean,
  ) {}

  /**
   * Decides the fate of the datagram dequeued at `now` after `sojourn` µs in the queue, with
   * `backlog` bytes standing in for the queue left behind. `idle` = the transmitter found the
   * queue empty since the last dequeue.
   */
  dequeue(now: Instant, sojourn: Duration, backlog: number, idle: boolean, ecnCapable: boolean): CoDelVerdict {
    if (idle) {
      // RFC 8289 §5.7 dodequeue on an empty queue: first_above_time = 0; dequeue leaves the
      // dropping state when dodequeue says not ok_to_drop.
      this.firstAboveTime = 0;
      this.dropping = false;
      this.pending = 'none';
    }
    const okToDrop = this.doDequeue(now, sojourn, backlog);
    const pending = this.pending;
    this.pending = 'none';
    if (pending === 'afterEntry') return 'send'; // §5.7: the packet after the entry drop is sent
    if (pending === 'dropLoop') {
      // §5.7 inside the while loop: after a drop, the next packet at the same `now`.
      if (!okToDrop) {
        this.dropping = false;
        return 'send';
      }
      this.dropNext = this.controlLaw(this.dropNext, this.count);
      return now >= this.dropNext ? this.dropInLoop(ecnCapable) : 'send';
    }
    if (this.dropping) {
      if (!okToDrop) {
        // §5.7: sojourn time below TARGET — leave the dropping state.
        this.dropping = false;
        return 'send';
      }
      return now >= this.dropNext ? this.dropInLoop(ecnCapable) : 'send';
    }
    if (!okToDrop) return 'send';
    // §5.7: above TARGET for at least INTERVAL — enter the dropping state. If it was left only
    // recently, resume near the drop rate that controlled the queue last time.
    this.dropping = true;
    const delta = this.count - this.lastCount;
    this.count = delta > 1 && now - this.dropNext < 16 * this.interval ? delta : 1;
    this.dropNext = this.controlLaw(now, this.count);
    this.lastCount = this.count;
    if (this.ecn && ecnCapable) return 'mark';
    this.pending = 'afterEntry';
    return 'drop';
  }

  /** RFC 8289 §5.7 dodequeue: whether the sojourn time has stayed above TARGET for INTERVAL. */
  private doDequeue(now: Instant, sojourn: Duration, backlog: number): boolean {
    if (sojourn < this.target || backlog <= this.maxPacket) {
      this.firstAboveTime = 0;
      return false;
    }
    if (this.firstAboveTime === 0) {
      this.firstAboveTime = now + this.interval; // > 0 since interval > 0
      return false;
    }
    return now >= this.firstAboveTime;
  }

  /** A drop (or mark) inside the §5.7 dropping loop. */
  private dropInLoop(ecnCapable: boolean): CoDelVerdict {
    this.count++;
    if (this.ecn && ecnCapable) {
      this.dropNext = this.controlLaw(this.dropNext, this.count);
      return 'mark';
    }
    this.pending = 'dropLoop';
    return 'drop';
  }

  /** RFC 8289 §5.7 control_law: t + INTERVAL/sqrt(count). */
  private controlLaw(t: Instant, count: number): Instant {
    return t + this.interval / Math.sqrt(count);
  }
}
