/**
 * A one-way link: what happens to a datagram between two hosts. Checks run in this order, and
 * each drop is counted under its cause: link down, drop list, MTU, random loss, Gilbert-Elliott
 * burst loss, then the drop-tail queue in front of a transmitter of `rate` bits/s
 * (serialisation delay = size·8/rate). A queued datagram may be CE-marked (ECN) when the queue
 * is above a threshold, duplicated and corrupted, then it arrives after the propagation delay
 * plus jitter. Jitter never reorders unless `reorder` is set: without it, an arrival is held
 * back behind the previous one.
 *
 * Pure model: `offer(now, d)` returns the deliveries (time + datagram); the network schedules
 * them. All randomness comes from the link's seeded Prng.
 */
import type { Datagram } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Duration, Instant } from '../util/time.js';

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

export type LinkEvent =
  | { at: Instant; type: 'down' }
  | { at: Instant; type: 'up' }
  | { at: Instant; type: 'rate'; rate: number }
  | { at: Instant; type: 'delay'; delay: Duration; jitter?: Duration }
  | { at: Instant; type: 'loss'; loss: number };

/** Plain-data link parameters (all times in µs). */
export interface LinkConfig {
  /** Propagation delay. */
  delay: Duration;
  /** Extra uniform random delay in [0, jitter]. */
  jitter?: Duration;
  /** Let jitter reorder datagrams (default false: arrivals stay FIFO). */
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
  /** Scheduled changes (applied by the network at their time). */
  events?: LinkEvent[];
}

export interface LinkCounters {
  /** Datagrams offered to the link. */
  sent: number;
  /** Copies handed to the far end (duplicates count twice). */
  delivered: number;
  bytesDelivered: number;
  dropped: { down: number; dropList: number; mtu: number; random: number; burst: number; queue: number };
  duplicated: number;
  corrupted: number;
  ceMarked: number;
  maxQueuePackets: number;
  maxQueueBytes: number;
}

export interface Delivery {
  at: Instant;
  d: Datagram;
  /** Index of the datagram in the order offered (copies share it). */
  index: number;
}

export class Link {
  readonly counters: LinkCounters = {
    sent: 0,
    delivered: 0,
    bytesDelivered: 0,
    dropped: { down: 0, dropList: 0, mtu: 0, random: 0, burst: 0, queue: 0 },
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
    this.dropSet = new Set(config.dropList ?? []);
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
    }
  }

  /** Datagrams queued at `now`, including the one being serialised. */
  queueLength(now: Instant): { packets: number; bytes: number } {
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
    if (this.config.mtu !== undefined && size > this.config.mtu) return void c.dropped.mtu++, [];
    if (this.loss > 0 && this.prng.chance(this.loss)) return void c.dropped.random++, [];
    const ge = this.config.burst;
    if (ge) {
      const lossP = this.geBad ? (ge.lossBad ?? 1) : (ge.lossGood ?? 0);
      const lost = lossP > 0 && this.prng.chance(lossP);
      if (this.prng.chance(this.geBad ? ge.r : ge.p)) this.geBad = !this.geBad;
      if (lost) return void c.dropped.burst++, [];
    }
    let ecn = d.ecn;
    let departAt = now;
    if (this.rate > 0) {
      const q = this.queueLength(now);
      const cfg = this.config;
      if ((cfg.queuePackets !== undefined && q.packets >= cfg.queuePackets) || (cfg.queueBytes !== undefined && q.bytes + size > cfg.queueBytes)) {
        return void c.dropped.queue++, [];
      }
      if (cfg.ecnThreshold !== undefined && q.packets >= cfg.ecnThreshold && (ecn === 'ect0' || ecn === 'ect1')) {
        ecn = 'ce';
        c.ceMarked++;
      }
      const finish = Math.max(now, this.busyUntil) + (size * 8 * 1_000_000) / this.rate;
      this.busyUntil = finish;
      this.queue.push({ finish, size });
      this.queuedBytes += size;
      c.maxQueuePackets = Math.max(c.maxQueuePackets, q.packets + 1);
      c.maxQueueBytes = Math.max(c.maxQueueBytes, q.bytes + size);
      departAt = finish;
    }
    const copies = this.config.duplicate && this.prng.chance(this.config.duplicate) ? 2 : 1;
    if (copies === 2) c.duplicated++;
    const out: Delivery[] = [];
    for (let i = 0; i < copies; i++) {
      let data = d.data;
      if (this.config.corrupt && this.prng.chance(this.config.corrupt) && data.length > 0) {
        data = data.slice();
        data[this.prng.nextInt(data.length)]! ^= 1 << this.prng.nextInt(8);
        c.corrupted++;
      } else {
        data = data.slice(); // the receiver owns its copy
      }
      let at = Math.ceil(departAt + this.delay + (this.jitter > 0 ? this.prng.nextInt(Math.floor(this.jitter) + 1) : 0));
      if (!this.config.reorder) at = Math.max(at, this.lastArrival);
      this.lastArrival = Math.max(this.lastArrival, at);
      const copy: Datagram = { data, from: d.from, to: d.to };
      if (ecn !== undefined) copy.ecn = ecn;
      out.push({ at, d: copy, index });
      c.delivered++;
      c.bytesDelivered += size;
    }
    return out;
  }
}
