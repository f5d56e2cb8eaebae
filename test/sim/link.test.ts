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
