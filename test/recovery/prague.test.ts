import { describe, expect, it } from 'vitest';
import { Prague, PRAGUE_G, PRAGUE_LOSS_REDUCTION, PRAGUE_REFERENCE_RTT } from '../../src/recovery/cc/prague.js';
import { initialWindow, minimumWindow, type AckEvent } from '../../src/recovery/cc/types.js';
import type { RttEstimator } from '../../src/recovery/rtt.js';
import { Link } from '../../src/sim/link.js';
import { Engine } from '../../src/sim/engine.js';
import type { Datagram } from '../../src/util/datagram.js';
import { MDS, MS, rttOf, send, setup } from './helpers.js';

const APP = 2;
const RTT = 100 * MS;

function ackEvent(o: Partial<AckEvent>): AckEvent {
  return { ackedBytes: 0, lostBytes: 0, bytesInFlight: 0, sample: undefined, ceDelta: 0, ectAcked: 0, appLimited: false, ...o };
}

/**
 * One ACK frame as the loss recovery reports it: `n` ECN-capable packets of MDS bytes sent at
 * `timeSent`, `ce` of them CE-marked, acknowledged at `now`.
 */
function ack(cc: Prague, now: number, timeSent: number, n: number, ce: number, rtt: RttEstimator, o: Partial<AckEvent> = {}): void {
  for (let i = 0; i < n; i++) cc.onPacketAcked(now, MDS, timeSent, rtt, o.appLimited ?? false);
  cc.onAckEvent(now, ackEvent({ ackedBytes: n * MDS, ceDelta: ce, ectAcked: n, ...o }), rtt);
}

/**
 * Runs `count` round trips of `rttUs` from `t`: each round's packets were sent just after the
 * previous round's ACK arrived (at t + 1 µs: RFC 9002 B.6 counts a packet sent at the same
 * instant as part of the earlier period), and one ACK per round acknowledges `n` of them,
 * `ce` of them marked. Returns the time of the last ACK.
 */
function rounds(cc: Prague, t: number, count: number, n: (cc: Prague) => number, ce: (n: number) => number, rtt: RttEstimator, rttUs = RTT): number {
  for (let r = 0; r < count; r++) {
    const k = n(cc);
    ack(cc, t + rttUs, t + 1, k, ce(k), rtt);
    t += rttUs;
  }
  return t;
}

const windowPackets = (cc: Prague): number => Math.max(1, Math.floor(cc.cwnd / MDS));

describe('Prague: basics', () => {
  it('is a scalable ECT(1) controller with the RFC 9002 windows', () => {
    const cc = new Prague({ maxDatagramSize: MDS });
    expect(cc.name).toBe('prague');
    expect(cc.ecnCodepoint).toBe('ect1');
    expect(cc.cwnd).toBe(initialWindow(MDS));
    expect(cc.minimumWindow).toBe(minimumWindow(MDS));
    expect(cc.ssthresh).toBe(Infinity);
    expect(cc.inSlowStart).toBe(true);
    expect(cc.alpha).toBe(1);
    expect(PRAGUE_G).toBe(1 / 16);
    expect(PRAGUE_REFERENCE_RTT).toBe(25 * MS);
    expect(PRAGUE_LOSS_REDUCTION).toBe(0.5);
    expect(() => new Prague({ maxDatagramSize: 0 })).toThrow(RangeError);
    expect(() => new Prague({ maxDatagramSize: MDS, referenceRtt: 0 })).toThrow(RangeError);
  });

  it('slow start grows by the bytes acknowledged without CE until the first mark', () => {
    const cc = new Prague({ maxDatagramSize: MDS });
    const rtt = rttOf(RTT);
    ack(cc, 100 * MS, 0, 10, 0, rtt);
    expect(cc.cwnd).toBe(24_000);
    ack(cc, 200 * MS, 100 * MS, 10, 0, rtt);
    expect(cc.cwnd).toBe(36_000);
    expect(cc.inSlowStart).toBe(true);
    expect(cc.sawCe).toBe(false);
    // The first CE: α = 1, so the window halves, and slow start is over for good.
    ack(cc, 300 * MS, 200 * MS, 10, 2, rtt);
    expect(cc.sawCe).toBe(true);
    expect(cc.ssthresh).toBe(18_000);
    expect(cc.inSlowStart).toBe(false);
    // Then the 8 unmarked packets grow it in congestion avoidance (8·MDS·MDS/cwnd).
    expect(cc.cwnd).toBe(Math.floor(18_000 + (8 * MDS * MDS) / 18_000));
  });
});

describe('Prague: α (the EWMA of the CE fraction)', () => {
  it('is updated once per round with g = 1/16 and converges to a steady fraction F', () => {
    for (const F of [0.1, 0.25, 0.5]) {
      const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 40 });
      const rtt = rttOf(RTT);
      // 40 packets per round, F·40 of them marked; the window changes, the fraction does not.
      let t = 0;
      const alphas: number[] = [];
      for (let r = 0; r < 200; r++) {
        rounds(cc, t, 1, () => 40, () => Math.round(F * 40), rtt);
        t += RTT;
        alphas.push(cc.alpha);
      }
      // First round with CE: α = (1 − g)·1 + g·F; then (1 − g)^n towards F.
      expect(alphas[0]).toBeCloseTo(1 - PRAGUE_G + PRAGUE_G * F, 12);
      for (const n of [1, 10, 50]) expect(alphas[n - 1]).toBeCloseTo(F + (1 - F) * (1 - PRAGUE_G) ** n, 12);
      expect(Math.abs(cc.alpha - F)).toBeLessThan(1e-4);
      expect(cc.rounds).toBe(200);
    }
  });

  it('counts marks over the whole round: several ACKs per round, one update', () => {
    const cc = new Prague({ maxDatagramSize: MDS });
    const rtt = rttOf(RTT);
    // Round 1 ends at once (nothing before it); round 2 starts at 100 ms.
    ack(cc, 100 * MS, 0, 4, 1, rtt);
    const a1 = cc.alpha;
    expect(a1).toBeCloseTo(1 - PRAGUE_G + PRAGUE_G * 0.25, 12);
    // Three ACKs of packets sent before round 2 began (at 100 ms): no update yet.
    ack(cc, 110 * MS, 90 * MS, 4, 0, rtt);
    ack(cc, 120 * MS, 95 * MS, 4, 4, rtt);
    ack(cc, 130 * MS, 99 * MS, 4, 0, rtt);
    expect(cc.alpha).toBe(a1);
    expect(cc.rounds).toBe(1);
    // A packet sent after 100 ms is acknowledged: F = 4 marks / 16 packets, this ACK's 4 included.
    ack(cc, 200 * MS, 101 * MS, 4, 0, rtt);
    expect(cc.rounds).toBe(2);
    expect(cc.alpha).toBeCloseTo((1 - PRAGUE_G) * a1 + PRAGUE_G * (4 / 16), 12);
  });

  it('is not updated before the first CE mark', () => {
    const cc = new Prague({ maxDatagramSize: MDS });
    const rtt = rttOf(RTT);
    rounds(cc, 0, 5, () => 10, () => 0, rtt);
    expect(cc.alpha).toBe(1);
    expect(cc.rounds).toBe(5);
  });
});

describe('Prague: the scalable reduction', () => {
  it('cwnd·(1 − α/2) on CE, at most once per round trip', () => {
    const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 100 });
    const rtt = rttOf(RTT);
    // Bring α down to ≈ 0.2 with a steady 20% marking.
    let t = rounds(cc, 0, 100, () => 100, (n) => Math.round(0.2 * n), rtt);
    const alpha = cc.alpha;
    expect(alpha).toBeGreaterThan(0.19);
    expect(alpha).toBeLessThan(0.21);
    // A new CE for packets sent after the last reduction: one reduction by α/2.
    const before = cc.cwnd;
    cc.onPacketAcked(t + 10 * MS, MDS, t + 1, rtt, false);
    cc.onAckEvent(t + 10 * MS, ackEvent({ ackedBytes: MDS, ceDelta: 1, ectAcked: 1 }), rtt);
    const reduced = before * (1 - alpha / 2);
    expect(Math.abs(cc.cwnd - reduced)).toBeLessThanOrEqual(1);
    expect(cc.ssthresh).toBeCloseTo(cc.cwnd, -1);
    // More CE within the same round trip (packets sent before the reduction): no further cut.
    for (let i = 2; i < 10; i++) {
      cc.onPacketAcked(t + i * 10 * MS, MDS, t + i, rtt, false);
      cc.onAckEvent(t + i * 10 * MS, ackEvent({ ackedBytes: MDS, ceDelta: 1, ectAcked: 1 }), rtt);
    }
    expect(Math.abs(cc.cwnd - reduced)).toBeLessThanOrEqual(1);
    // A CE for a packet sent after the reduction: the next one, with the α of then.
    t += 200 * MS;
    const before2 = cc.windowBytes;
    const alpha2 = cc.alpha;
    cc.onPacketAcked(t, MDS, t - 50 * MS, rtt, false);
    cc.onAckEvent(t, ackEvent({ ackedBytes: MDS, ceDelta: 1, ectAcked: 1 }), rtt);
    expect(cc.windowBytes).toBeCloseTo(before2 * (1 - alpha2 / 2), 6);
  });

  it('never below the minimum window, and never re-enters slow start', () => {
    const cc = new Prague({ maxDatagramSize: MDS });
    const rtt = rttOf(RTT);
    let t = 0;
    for (let r = 0; r < 20; r++) {
      ack(cc, t + RTT, t + 1, 2, 2, rtt);
      t += RTT;
      expect(cc.cwnd).toBeGreaterThanOrEqual(cc.minimumWindow);
      expect(cc.inSlowStart).toBe(false);
    }
    expect(cc.cwnd).toBe(cc.minimumWindow);
    // Unmarked rounds afterwards: additive increase, not slow start.
    t = rounds(cc, t, 3, windowPackets, () => 0, rtt);
    expect(cc.cwnd).toBeLessThan(cc.minimumWindow + 4 * MDS);
  });
});

describe('Prague: additive increase with reduced RTT dependence', () => {
  /** Puts a controller in congestion avoidance at about `packets` packets and α ≈ 0, then counts growth over `n` unmarked rounds. */
  function growthPerRound(o: { rtt: number; rttIndependence?: boolean }, n = 20): number {
    const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 50, ...(o.rttIndependence !== undefined ? { rttIndependence: o.rttIndependence } : {}) });
    const rtt = rttOf(o.rtt);
    let t = 0;
    ack(cc, t + o.rtt, t + 1, 1, 1, rtt); // the first CE: out of slow start at 25 packets
    t += o.rtt;
    const start = cc.windowBytes;
    t = rounds(cc, t, n, windowPackets, () => 0, rtt, o.rtt);
    return (cc.windowBytes - start) / n / MDS;
  }

  it('about one segment per round trip at or above the 25 ms reference', () => {
    for (const rtt of [25 * MS, 100 * MS]) {
      const g = growthPerRound({ rtt });
      expect(g).toBeGreaterThan(0.9);
      expect(g).toBeLessThan(1.05);
    }
  });

  it('(R/R0)² segments per round trip below it — the same rate growth per unit of time', () => {
    const full = growthPerRound({ rtt: 25 * MS });
    const half = growthPerRound({ rtt: 12.5 * MS });
    const fifth = growthPerRound({ rtt: 5 * MS });
    // (Each round acknowledges floor(cwnd/mds) datagrams, a little less than a window.)
    expect(half / full).toBeGreaterThan(0.24);
    expect(half / full).toBeLessThanOrEqual(0.25);
    expect(fifth / full).toBeGreaterThan(0.038);
    expect(fifth / full).toBeLessThanOrEqual(0.04);
    // So the rate (window/RTT) grows by about the same per unit of time: Δw/R per R.
    const rateGrowth = (g: number, r: number) => g / (r * r);
    expect(rateGrowth(half, 12.5) / rateGrowth(full, 25)).toBeGreaterThan(0.96);
    expect(rateGrowth(fifth, 5) / rateGrowth(full, 25)).toBeGreaterThan(0.95);
    // Without RTT independence: one segment per round trip at any RTT.
    const classic = growthPerRound({ rtt: 5 * MS, rttIndependence: false });
    expect(classic).toBeGreaterThan(0.9);
    expect(classic).toBeLessThan(1.05);
  });

  it('counts only the bytes acknowledged without CE, and nothing while application-limited', () => {
    const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 50 });
    const rtt = rttOf(RTT);
    ack(cc, RTT, 0, 1, 1, rtt);
    const w0 = cc.windowBytes;
    // 10 packets, 5 marked (packets sent before the reduction: no second cut): growth of 5.
    ack(cc, RTT + 1, 1, 10, 5, rtt);
    expect(cc.windowBytes).toBeCloseTo(w0 + (5 * MDS * MDS) / w0, 6);
    const w1 = cc.windowBytes;
    ack(cc, RTT + 2, 2, 10, 0, rtt, { appLimited: true });
    expect(cc.windowBytes).toBe(w1);
  });
});

describe('Prague: classic fallback and persistent congestion', () => {
  it('a loss halves the window once per recovery period; CE is ignored during it', () => {
    const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 40 });
    const rtt = rttOf(RTT);
    cc.onCongestionEvent(100 * MS, 50 * MS, rtt);
    expect(cc.cwnd).toBe(40 * MDS * PRAGUE_LOSS_REDUCTION);
    expect(cc.ssthresh).toBe(24_000);
    expect(cc.inRecovery).toBe(true);
    expect(cc.inSlowStart).toBe(false);
    // Further losses of packets sent before the period: nothing.
    cc.onCongestionEvent(150 * MS, 99 * MS, rtt);
    expect(cc.cwnd).toBe(24_000);
    // ACKs (even with CE) of packets sent before the period: no growth, no CE cut.
    ack(cc, 160 * MS, 90 * MS, 5, 5, rtt);
    expect(cc.cwnd).toBe(24_000);
    expect(cc.inRecovery).toBe(true);
    // A packet sent during the period is acknowledged: recovery is over, growth resumes.
    ack(cc, 250 * MS, 120 * MS, 1, 0, rtt);
    expect(cc.inRecovery).toBe(false);
    expect(cc.cwnd).toBe(Math.floor(24_000 + (MDS * MDS) / 24_000));
    // A later loss is a new event.
    cc.onCongestionEvent(300 * MS, 260 * MS, rtt);
    expect(cc.cwnd).toBe(Math.floor((24_000 + (MDS * MDS) / 24_000) * 0.5));
  });

  it('persistent congestion: the minimum window, then slow start up to ssthresh', () => {
    const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 40 });
    const rtt = rttOf(RTT);
    cc.onCongestionEvent(100 * MS, 50 * MS, rtt);
    cc.onPersistentCongestion(200 * MS);
    expect(cc.cwnd).toBe(cc.minimumWindow);
    expect(cc.inRecovery).toBe(false);
    expect(cc.inSlowStart).toBe(true);
    ack(cc, 300 * MS, 210 * MS, 2, 0, rtt);
    expect(cc.cwnd).toBe(2 * cc.minimumWindow);
  });

  it('pacing: 2·cwnd/srtt in slow start, cwnd/srtt after; the default before an RTT sample', () => {
    const cc = new Prague({ maxDatagramSize: MDS });
    expect(cc.pacingRate(setup().rtt)).toBeUndefined();
    const rtt = rttOf(RTT);
    expect(cc.pacingRate(rtt)).toBeCloseTo((2 * 12_000) / 0.1, 6);
    ack(cc, RTT, 0, 1, 1, rtt);
    expect(cc.pacingRate(rtt)).toBeCloseTo(cc.windowBytes / 0.1, 6);
  });
});

describe('Prague under the loss recovery (RFC 9002 plumbing)', () => {
  it('CE arrives through onAckEvent only: a scalable cut, no classic congestion event', () => {
    const cc = new Prague({ maxDatagramSize: MDS, initialWindowPackets: 20 });
    const { lr, rtt } = setup({ cc, confirmed: true });
    let pn = 0;
    for (let i = 0; i < 20; i++) send(lr, APP, pn++, 0, { ect: true });
    lr.onAckReceived(RTT, APP, [{ smallest: 0, largest: 19 }], 0, { ect0: 0, ect1: 19, ce: 1 });
    // α = 1: the first CE halves (40 packets after slow start's +19) — and no loss recovery.
    expect(cc.sawCe).toBe(true);
    expect(cc.inRecovery).toBe(false);
    expect(cc.recoveryStartTime).toBe(-Infinity);
    expect(cc.cwnd).toBe(Math.floor(20 * MDS * 0.5 + (19 * MDS * MDS) / (10 * MDS)));
    expect(rtt.smoothed).toBe(RTT);
    // A loss is the classic fallback: 21 is lost by the packet threshold (24 − 21 ≥ 3).
    for (let i = 0; i < 5; i++) send(lr, APP, pn++, RTT + 1, { ect: true });
    const w = cc.windowBytes;
    const r = lr.onAckReceived(2 * RTT, APP, [{ smallest: 24, largest: 24 }, { smallest: 20, largest: 20 }], 0, { ect0: 0, ect1: 21, ce: 1 });
    expect(r.lost.map((p) => p.pn)).toEqual([21]);
    expect(cc.inRecovery).toBe(true);
    expect(cc.recoveryStartTime).toBe(2 * RTT);
    expect(cc.windowBytes).toBeCloseTo(w * PRAGUE_LOSS_REDUCTION, 9);
  });
});

describe('Prague over a DualQ link (unit level: synthesized ACKs)', () => {
  const RATE = 10_000_000;
  const DELAY = 10_000;

  /** One Prague sender over `link`, an uncongested return path of DELAY, one ACK per datagram. */
  function pragueFlow(linkRate: number, duration: number, ecn: Datagram['ecn'] = 'ect1', seed = 5) {
    const engine = new Engine();
    const link = new Link({ delay: DELAY, rate: linkRate, queuePackets: 1000, aqm: { type: 'dualq' } }, seed);
    const cc = new Prague({ maxDatagramSize: MDS });
    const rtt = rttOf(2 * DELAY);
    const queue: number[] = [];
    let inflight = 0;
    let acked = 0;
    let pn = 0;
    const fill = (): void => {
      while (inflight + MDS <= cc.cwnd && engine.now < duration) {
        const sent = engine.now;
        const seq = pn++;
        inflight += MDS;
        cc.onPacketSent(sent, MDS, inflight);
        const d: Datagram = { data: new Uint8Array(MDS).fill(seq & 0xff), from: { host: 'a', port: 1 }, to: { host: 'b', port: 2 }, ecn };
        for (const o of link.offer(sent, d)) {
          queue.push(o.at - sent - DELAY - (MDS * 8e6) / linkRate);
          const ce = o.d.ecn === 'ce' ? 1 : 0;
          engine.schedule(o.at + DELAY, () => {
            const now = engine.now;
            inflight -= MDS;
            acked++;
            rtt.update(now, now - sent, 0, 0, true);
            cc.onPacketAcked(now, MDS, sent, rtt, false);
            cc.onAckEvent(now, ackEvent({ ackedBytes: MDS, ceDelta: ce, ectAcked: 1, bytesInFlight: inflight }), rtt);
            fill();
          });
        }
      }
    };
    engine.schedule(0, fill);
    engine.runUntilTime(duration + 1_000_000);
    return { link, cc, queue, acked };
  }

  it('keeps the L4S queue about 1 ms deep at nearly the full rate', () => {
    const r = pragueFlow(RATE, 10_000_000);
    const steady = r.queue.slice(Math.floor(r.queue.length / 5)).sort((a, b) => a - b);
    const med = steady[steady.length >> 1]!;
    const p99 = steady[Math.floor(steady.length * 0.99)]!;
    expect(med).toBeLessThanOrEqual(1_500);
    expect(p99).toBeLessThanOrEqual(4_000);
    // 10 s at 10 Mbps is about 10 400 datagrams of 1200 bytes.
    expect(r.acked * MDS * 8).toBeGreaterThan(0.9 * RATE * 10);
    expect(r.link.counters.dropped.aqm + r.link.counters.dropped.queue).toBe(0);
    // A low steady marking fraction, with α tracking it.
    expect(r.cc.alpha).toBeGreaterThan(0);
    expect(r.cc.alpha).toBeLessThan(0.5);
  });
});
