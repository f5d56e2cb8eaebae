import { describe, expect, it } from 'vitest';
import type { Datagram } from '../../src/util/datagram.js';
import { Link, burstLoss, type LinkConfig, type Delivery } from '../../src/sim/link.js';
import { Engine } from '../../src/sim/engine.js';

const A = { host: '10.0.0.1', port: 1 };
const B = { host: '10.0.0.2', port: 2 };

function dg(size: number, fill = 0, ecn?: Datagram['ecn']): Datagram {
  const d: Datagram = { data: new Uint8Array(size).fill(fill), from: A, to: B };
  if (ecn) d.ecn = ecn;
  return d;
}

/** Offers `n` datagrams of `size` bytes, `gap` µs apart; returns all deliveries. */
function offerMany(link: Link, n: number, size = 1200, gap = 0): Delivery[] {
  const out: Delivery[] = [];
  for (let i = 0; i < n; i++) out.push(...link.offer(i * gap, dg(size, i & 0xff)));
  return out;
}

describe('link model', () => {
  it('propagation delay only, infinite rate', () => {
    const l = new Link({ delay: 15_000 }, 1);
    const out = l.offer(100, dg(1200));
    expect(out).toHaveLength(1);
    expect(out[0]!.at).toBe(15_100);
  });

  it('serialisation delay = size·8/rate, back to back', () => {
    const l = new Link({ delay: 0, rate: 10_000_000 }, 1);
    const out = offerMany(l, 10, 1250);
    // 1250 B at 10 Mbps = 1000 µs each.
    expect(out.map((d) => d.at)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
  });

  it('a 10 Mbps link carries 10 Mbit per simulated second', () => {
    const l = new Link({ delay: 15_000, rate: 10_000_000 }, 1);
    const out = offerMany(l, 2000, 1250, 500); // offered at 20 Mbps
    const inFirstSecond = out.filter((d) => d.at <= 15_000 + 1_000_000).length;
    expect(inFirstSecond * 1250 * 8).toBeGreaterThanOrEqual(10_000_000 - 1250 * 8);
    expect(inFirstSecond * 1250 * 8).toBeLessThanOrEqual(10_000_000);
  });

  it('drop-tail queue by packets overflows and drops', () => {
    const l = new Link({ delay: 0, rate: 1_000_000, queuePackets: 25 }, 1);
    const out = offerMany(l, 100, 1200);
    expect(out).toHaveLength(25);
    expect(l.counters.dropped.queue).toBe(75);
    expect(l.counters.maxQueuePackets).toBe(25);
  });

  it('drop-tail queue by bytes', () => {
    const l = new Link({ delay: 0, rate: 1_000_000, queueBytes: 5000 }, 1);
    const out = offerMany(l, 10, 1200);
    expect(out).toHaveLength(4);
    expect(l.counters.maxQueueBytes).toBe(4800);
    // Once the queue drains, packets are accepted again.
    expect(l.offer(1_000_000, dg(1200))).toHaveLength(1);
  });

  it('a drop list drops exactly those datagrams', () => {
    const l = new Link({ delay: 1000, dropList: [0, 3, 7] }, 1);
    const out = offerMany(l, 10);
    expect(out.map((d) => d.index)).toEqual([1, 2, 4, 5, 6, 8, 9]);
    expect(l.counters.dropped.dropList).toBe(3);
  });

  it('random loss matches its probability', () => {
    const l = new Link({ delay: 0, loss: 0.1 }, 5);
    offerMany(l, 20_000, 100);
    expect(l.counters.dropped.random / 20_000).toBeGreaterThan(0.09);
    expect(l.counters.dropped.random / 20_000).toBeLessThan(0.11);
  });

  it('Gilbert-Elliott: mean loss and mean burst length roughly match the configuration', () => {
    const l = new Link({ delay: 0, burst: burstLoss(0.3, 3) }, 9);
    const n = 50_000;
    const out = offerMany(l, n, 100);
    const got = new Set(out.map((d) => d.index));
    let bursts = 0;
    let lost = 0;
    for (let i = 0; i < n; i++) {
      if (got.has(i)) continue;
      lost++;
      if (i === 0 || got.has(i - 1)) bursts++;
    }
    expect(lost / n).toBeGreaterThan(0.27);
    expect(lost / n).toBeLessThan(0.33);
    expect(lost / bursts).toBeGreaterThan(2.7);
    expect(lost / bursts).toBeLessThan(3.3);
    expect(l.counters.dropped.burst).toBe(lost);
  });

  it('duplication delivers two copies', () => {
    const l = new Link({ delay: 0, duplicate: 1 }, 1);
    const out = l.offer(0, dg(100, 7));
    expect(out).toHaveLength(2);
    expect(out[0]!.d.data).not.toBe(out[1]!.d.data);
    expect(Array.from(out[1]!.d.data)).toEqual(Array.from(out[0]!.d.data));
    expect(l.counters.duplicated).toBe(1);
    expect(l.counters.delivered).toBe(2);
  });

  it('corruption flips exactly one bit and leaves the sender\'s bytes alone', () => {
    const l = new Link({ delay: 0, corrupt: 1 }, 1);
    const sent = dg(100, 0);
    const [got] = l.offer(0, sent);
    let bits = 0;
    for (const b of got!.d.data) for (let v = b; v; v &= v - 1) bits++;
    expect(bits).toBe(1);
    expect(sent.data.every((b) => b === 0)).toBe(true);
    expect(l.counters.corrupted).toBe(1);
  });

  it('the MTU drops oversize datagrams', () => {
    const l = new Link({ delay: 0, mtu: 1280 }, 1);
    expect(l.offer(0, dg(1280))).toHaveLength(1);
    expect(l.offer(0, dg(1281))).toHaveLength(0);
    expect(l.counters.dropped.mtu).toBe(1);
  });

  it('jitter reorders only when configured', () => {
    const inOrder = (cfg: LinkConfig): boolean => {
      const out = offerMany(new Link(cfg, 3), 500, 100, 100);
      return out.every((d, i) => i === 0 || d.at >= out[i - 1]!.at);
    };
    expect(inOrder({ delay: 10_000, jitter: 5_000 })).toBe(true);
    expect(inOrder({ delay: 10_000, jitter: 5_000, reorder: true })).toBe(false);
  });

  it('ECN: ECT datagrams are CE-marked above the queue threshold', () => {
    const l = new Link({ delay: 0, rate: 1_000_000, ecnThreshold: 3 }, 1);
    const marks: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) marks.push(l.offer(0, dg(1000, 0, 'ect0'))[0]!.d.ecn);
    expect(marks).toEqual(['ect0', 'ect0', 'ect0', 'ce', 'ce', 'ce']);
    expect(l.offer(0, dg(1000))[0]!.d.ecn).toBeUndefined(); // not-ECT is never marked
    expect(l.counters.ceMarked).toBe(3);
  });

  it('down/up, rate and delay events', () => {
    const l = new Link({ delay: 1000, rate: 8_000_000 }, 1);
    l.apply({ at: 0, type: 'down' });
    expect(l.offer(0, dg(1000))).toHaveLength(0);
    expect(l.counters.dropped.down).toBe(1);
    l.apply({ at: 0, type: 'up' });
    expect(l.offer(0, dg(1000))[0]!.at).toBe(2000);
    l.apply({ at: 0, type: 'rate', rate: 4_000_000 });
    l.apply({ at: 0, type: 'delay', delay: 5000 });
    expect(l.offer(10_000, dg(1000))[0]!.at).toBe(17_000);
  });

  it('the same seed gives an identical delivery trace; another seed differs', () => {
    const cfg: LinkConfig = { delay: 10_000, jitter: 3_000, reorder: true, rate: 5_000_000, queuePackets: 10, loss: 0.05, burst: burstLoss(0.05, 2), duplicate: 0.02, corrupt: 0.02 };
    const trace = (seed: number): string =>
      JSON.stringify(offerMany(new Link(cfg, seed), 2000, 1200, 1000).map((d) => [d.at, d.index, Array.from(d.d.data).reduce((a, b) => (a * 31 + b) >>> 0, 0)]));
    expect(trace(42)).toBe(trace(42));
    expect(trace(42)).not.toBe(trace(43));
  });
});

describe('engine', () => {
  it('runs events by time, then by scheduling order', () => {
    const e = new Engine();
    const log: string[] = [];
    e.schedule(20, () => log.push('c'));
    e.schedule(10, () => log.push('a'));
    e.schedule(10, () => log.push('b'));
    const h = e.schedule(15, () => log.push('x'));
    e.cancel(h);
    e.schedule(5, () => e.schedule(10, () => log.push('b2')));
    e.runUntil(() => false);
    expect(log).toEqual(['a', 'b', 'b2', 'c']);
    expect(e.now).toBe(20);
    expect(() => e.schedule(1, () => {})).toThrow(RangeError);
  });

  it('runUntilTime stops at the horizon', () => {
    const e = new Engine();
    let n = 0;
    for (let t = 0; t < 100; t += 10) e.schedule(t, () => n++);
    e.runUntilTime(45);
    expect(n).toBe(5);
    expect(e.now).toBe(45);
  });
});

describe('CoDel AQM (RFC 8289)', () => {
  const RATE = 10_000_000;
  const DELAY = 10_000;
  const SIZE = 1250; // 1000 µs of serialisation at 10 Mbps
  const SER = (SIZE * 8 * 1_000_000) / RATE;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

  /** Offers SIZE-byte datagrams at `times` (µs); returns each one's delivery time or undefined. */
  function offerAt(link: Link, times: number[], ecn?: Datagram['ecn']): (number | undefined)[] {
    return times.map((t) => link.offer(t, dg(SIZE, 0, ecn))[0]?.at);
  }

  /**
   * When each dropped datagram was dequeued: the start of the next datagram sent (its dequeue
   * time, since a drop frees the transmitter at once). Undefined for drops after the last send.
   */
  function dequeueTimesOfDrops(at: (number | undefined)[], delay: number): (number | undefined)[] {
    const out: (number | undefined)[] = new Array(at.length).fill(undefined);
    let nextStart: number | undefined;
    for (let i = at.length - 1; i >= 0; i--) {
      if (at[i] === undefined) out[i] = nextStart;
      else nextStart = at[i]! - delay - SER;
    }
    return out;
  }

  /**
   * A window-based sender (slow start, then AIMD; halve once per window on a loss or a CE echo)
   * over the link, with an uncongested return path of DELAY. A loss is noticed when a later
   * datagram is acknowledged. Returns the queueing delay of every delivered datagram.
   */
  function aimdFlow(cfg: LinkConfig, duration: number, opts: { ect?: boolean; seed?: number } = {}) {
    const link = new Link(cfg, opts.seed ?? 7);
    const acks: { at: number; seq: number; ce: boolean }[] = [];
    const lost: number[] = [];
    const delays: { sent: number; queue: number }[] = [];
    let ackHead = 0;
    let lostHead = 0;
    let cwnd = 10;
    let ssthresh = Infinity;
    let inflight = 0;
    let nextSeq = 0;
    let recover = -1;
    let now = 0;
    const congestion = (seq: number): void => {
      if (seq <= recover) return;
      cwnd = Math.max(2, cwnd / 2);
      ssthresh = cwnd;
      recover = nextSeq - 1;
    };
    while (now < duration) {
      while (inflight < cwnd) {
        const seq = nextSeq++;
        const out = link.offer(now, dg(SIZE, seq & 0xff, opts.ect ? 'ect0' : undefined));
        inflight++;
        if (out.length === 0) lost.push(seq);
        for (const o of out) {
          delays.push({ sent: now, queue: o.at - now - DELAY - SER });
          acks.push({ at: o.at + DELAY, seq, ce: o.d.ecn === 'ce' });
        }
      }
      if (ackHead >= acks.length) {
        // Everything outstanding was lost: a retransmission timeout.
        now += 200_000;
        inflight = 0;
        lostHead = lost.length;
        cwnd = 1;
        continue;
      }
      const a = acks[ackHead++]!;
      now = a.at;
      inflight--;
      for (; lostHead < lost.length && lost[lostHead]! < a.seq; lostHead++) {
        inflight--;
        congestion(lost[lostHead]!);
      }
      if (a.ce) congestion(a.seq);
      else cwnd += cwnd < ssthresh ? 1 : 1 / cwnd;
    }
    return { link, delays, acked: ackHead };
  }

  it('unresponsive 2× overload: drops start after INTERVAL above TARGET, then follow interval/sqrt(count)', () => {
    // The datagram dequeued at 2·target has sojourn = target. With target 2 ms that one saw a
    // single datagram (≤ MAXPACKET) waiting when it arrived, so the §5.7 backlog test keeps
    // CoDel quiet for one more dequeue: the INTERVAL clock starts at 5 ms.
    for (const [target, interval, firstDrop] of [
      [5_000, 100_000, 110_000],
      [2_000, 50_000, 55_000],
    ] as const) {
      const aqm = target === 5_000 ? { type: 'codel' as const } : { type: 'codel' as const, target, interval };
      const link = new Link({ delay: DELAY, rate: RATE, aqm }, 1);
      // One datagram every 500 µs: the queue grows by one datagram per ms of serialisation.
      const at = offerAt(link, Array.from({ length: 2000 }, (_, i) => i * 500));
      const dq = dequeueTimesOfDrops(at, DELAY);
      const dropTimes = dq.filter((t, i) => at[i] === undefined && t !== undefined) as number[];
      expect(dropTimes.length).toBeGreaterThan(10);
      expect(link.counters.dropped.aqm).toBe(at.filter((t) => t === undefined).length);
      // The first drop comes INTERVAL after the sojourn time first reached TARGET.
      expect(dropTimes[0]).toBe(firstDrop);
      // Drop k+1 is scheduled interval/sqrt(k) after drop k's schedule; dequeues happen on 1 ms
      // boundaries, so each actual drop is at most 1 ms after its schedule.
      let scheduled = dropTimes[0]!;
      for (let k = 1; k < 10; k++) {
        scheduled += interval / Math.sqrt(k);
        expect(dropTimes[k]!).toBeGreaterThanOrEqual(scheduled);
        expect(dropTimes[k]! - scheduled).toBeLessThan(SER + 1);
      }
    }
  });

  it('a responsive flow: drop-tail builds a standing queue, CoDel keeps it near TARGET', () => {
    const cfg: LinkConfig = { delay: DELAY, rate: RATE, queuePackets: 1000 };
    const dropTail = aimdFlow(cfg, 10_000_000);
    const codel = aimdFlow({ ...cfg, aqm: { type: 'codel' } }, 10_000_000);
    const after = (r: ReturnType<typeof aimdFlow>) => r.delays.filter((d) => d.sent >= 100_000).map((d) => d.queue);
    // Drop-tail: the sender fills the 1000-datagram (1 s) buffer.
    expect(median(after(dropTail))).toBeGreaterThan(200_000);
    expect(dropTail.link.counters.dropped.queue).toBeGreaterThan(0);
    expect(dropTail.link.counters.dropped.aqm).toBe(0);
    // CoDel: the median queueing delay after the first INTERVAL stays near the 5 ms target,
    // with a few drops and none at the tail of the queue.
    const m = median(after(codel));
    expect(m).toBeGreaterThan(0);
    expect(m).toBeLessThanOrEqual(7_000);
    expect(codel.link.counters.dropped.aqm).toBeGreaterThan(0);
    expect(codel.link.counters.dropped.queue).toBe(0);
    expect(codel.link.counters.maxQueuePackets).toBeLessThan(500);
    // ... without starving the link: above 90% of 10 s × 1000 datagrams/s delivered.
    expect(codel.acked).toBeGreaterThan(9_000);
  });

  it('ecn: true marks ECT datagrams instead of dropping them; not-ECT ones are still dropped', () => {
    const cfg: LinkConfig = { delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'codel', ecn: true } };
    const r = aimdFlow(cfg, 5_000_000, { ect: true });
    expect(r.link.counters.dropped.aqm).toBe(0);
    expect(r.link.counters.ceMarked).toBeGreaterThan(0);
    expect(median(r.delays.filter((d) => d.sent >= 100_000).map((d) => d.queue))).toBeLessThanOrEqual(7_000);

    const overload = (ecn: Datagram['ecn']): Link => {
      const link = new Link({ delay: DELAY, rate: RATE, aqm: { type: 'codel', ecn: true } }, 1);
      offerAt(link, Array.from({ length: 1000 }, (_, i) => i * 500), ecn);
      return link;
    };
    const ect = overload('ect1');
    expect(ect.counters.dropped.aqm).toBe(0);
    expect(ect.counters.ceMarked).toBeGreaterThan(5);
    const notEct = overload(undefined);
    expect(notEct.counters.dropped.aqm).toBeGreaterThan(5);
    expect(notEct.counters.ceMarked).toBe(0);
  });

  it('no drops when the load is below the rate, nor for a burst that drains within INTERVAL', () => {
    const link = new Link({ delay: DELAY, rate: RATE, aqm: { type: 'codel' } }, 1);
    // 8 Mbit/s as bursts of 4 datagrams every 5 ms (at most 4 ms of queue).
    const steady = Array.from({ length: 4000 }, (_, i) => Math.floor(i / 4) * 5_000);
    expect(offerAt(link, steady).every((t) => t !== undefined)).toBe(true);
    // 1 Mbit/s as bursts of 25 datagrams every 250 ms: up to 25 ms of queue, above TARGET for
    // about 20 ms, then empty (RFC 8289 §2: a "good queue").
    const bursts = Array.from({ length: 2500 }, (_, i) => 1_000_000_000 + Math.floor(i / 25) * 250_000);
    expect(offerAt(link, bursts).every((t) => t !== undefined)).toBe(true);
    expect(link.counters.dropped.aqm).toBe(0);
    expect(link.counters.maxQueuePackets).toBe(25);
  });

  it('a datagram CoDel drops holds its place in the buffer until its dequeue time', () => {
    const link = new Link({ delay: 0, rate: RATE, aqm: { type: 'codel' } }, 1);
    const arrivals = Array.from({ length: 1000 }, (_, i) => i * 500);
    const at = offerAt(link, arrivals);
    // When each datagram leaves the queue: the end of its serialisation, or for a dropped one
    // its dequeue time (the start of the next datagram sent).
    const dq = dequeueTimesOfDrops(at, 0);
    // A drop after the last send is dequeued after `now` at the earliest (it is still queued).
    const leaves = at.map((t, i) => t ?? dq[i] ?? Infinity);
    const now = arrivals[arrivals.length - 1]!;
    const waitingVictims = at.filter((t, i) => t === undefined && leaves[i]! > now).length;
    expect(waitingVictims).toBeGreaterThan(0);
    expect(link.queueLength(now).packets).toBe(leaves.filter((l) => l > now).length);
  });

  it('the same seed gives the same trace; another seed differs', () => {
    const cfg: LinkConfig = { delay: DELAY, rate: RATE, queuePackets: 1000, loss: 0.002, aqm: { type: 'codel' } };
    const trace = (seed: number): string => {
      const r = aimdFlow(cfg, 3_000_000, { seed });
      return JSON.stringify([r.link.counters, r.delays]);
    };
    expect(trace(3)).toBe(trace(3));
    expect(trace(3)).not.toBe(trace(4));
  });
});
