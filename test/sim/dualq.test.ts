import { describe, expect, it } from 'vitest';
import type { Datagram } from '../../src/util/datagram.js';
import { Link, type LinkConfig } from '../../src/sim/link.js';
import { DualQ, DUALQ_ALPHA, DUALQ_BETA, DUALQ_K, DUALQ_L4S_THRESHOLD, DUALQ_TARGET, DUALQ_TUPDATE } from '../../src/sim/dualq.js';
import { Engine } from '../../src/sim/engine.js';
import { defaultLink, runScenario } from '../../src/sim/index.js';
import { MemorySink } from '../../src/qlog/memory.js';
import { simOptions } from '../support/sim.js';

const A = { host: '10.0.0.1', port: 1 };
const B = { host: '10.0.0.2', port: 2 };

const RATE = 10_000_000;
const DELAY = 10_000;
const SIZE = 1250; // 1000 µs of serialisation at 10 Mbps
const SER = (SIZE * 8 * 1_000_000) / RATE;

function dg(size: number, fill = 0, ecn?: Datagram['ecn']): Datagram {
  const d: Datagram = { data: new Uint8Array(size).fill(fill), from: A, to: B };
  if (ecn) d.ecn = ecn;
  return d;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);

/**
 * A window-based flow over the link with an uncongested return path of DELAY.
 * - 'reno': slow start, then +1/cwnd per ACK; halves once per window on a loss (noticed when a
 *   later datagram is acknowledged) or, when sending ECT(0), on a CE echo.
 * - 'scalable': the DCTCP/Prague response in its simplest form: −½ segment per CE-marked ACK
 *   (α/2 of the window per round trip, with α the marked fraction), +1/cwnd per unmarked ACK,
 *   slow start until the first mark.
 * - 'probe': an unresponsive sender of one datagram every `interval` µs.
 */
interface FlowSpec {
  kind: 'reno' | 'scalable' | 'probe';
  ecn?: Datagram['ecn'];
  interval?: number;
  start?: number;
}

interface FlowResult {
  spec: FlowSpec;
  /** Per delivered datagram: send time, queueing delay, CE on arrival. */
  samples: { sent: number; queue: number; ce: boolean }[];
  sent: number;
  dropped: number;
  /** When each dropped datagram was offered. */
  dropTimes: number[];
  acked: number;
  /** p_CL and p' seen by each datagram of the flow (read just after its enqueue). */
  pCL: number[];
  pBase: number[];
}

function run(cfg: LinkConfig, specs: FlowSpec[], duration: number, seed = 7): { link: Link; flows: FlowResult[] } {
  const engine = new Engine();
  const link = new Link(cfg, seed);
  const flows: FlowResult[] = specs.map((spec) => ({ spec, samples: [], sent: 0, dropped: 0, dropTimes: [], acked: 0, pCL: [], pBase: [] }));
  specs.forEach((spec, f) => {
    const r = flows[f]!;
    const offer = (seq: number, onAck: (ce: boolean) => void, onLost: () => void): void => {
      const now = engine.now;
      const out = link.offer(now, dg(SIZE, (seq + f) & 0xff, spec.ecn));
      r.sent++;
      if (link.dualq) {
        r.pCL.push(link.dualq.pCL);
        r.pBase.push(link.dualq.pBase);
      }
      if (out.length === 0) {
        r.dropped++;
        r.dropTimes.push(now);
        onLost();
        return;
      }
      for (const o of out) {
        const ce = o.d.ecn === 'ce';
        r.samples.push({ sent: now, queue: o.at - now - DELAY - SER, ce });
        engine.schedule(o.at + DELAY, () => {
          r.acked++;
          onAck(ce);
        });
      }
    };
    if (spec.kind === 'probe') {
      let seq = 0;
      const tick = (): void => {
        offer(seq++, () => {}, () => {});
        if (engine.now + spec.interval! < duration) engine.schedule(engine.now + spec.interval!, tick);
      };
      engine.schedule(spec.start ?? 0, tick);
      return;
    }
    let cwnd = 10;
    let ssthresh = Infinity;
    let inflight = 0;
    let nextSeq = 0;
    let recover = -1;
    let alpha = 1;
    let sawCe = false;
    let marks = 0;
    let acks = 0;
    let roundEnd = 0;
    const lost: number[] = [];
    const congestion = (seq: number): void => {
      if (seq <= recover) return;
      cwnd = Math.max(2, cwnd / 2);
      ssthresh = cwnd;
      recover = nextSeq - 1;
    };
    const fill = (): void => {
      while (inflight < cwnd && engine.now < duration) {
        const seq = nextSeq++;
        inflight++;
        offer(
          seq,
          (ce) => {
            inflight--;
            // Losses below this sequence number are noticed now.
            while (lost.length > 0 && lost[0]! < seq) {
              lost.shift();
              inflight--;
              congestion(seq);
            }
            if (spec.kind === 'scalable') {
              // DCTCP (RFC 8257): α ← (1 − g)·α + g·F once per window; cwnd·(1 − α/2) at most once per window.
              acks++;
              if (ce) marks++;
              if (seq >= roundEnd) {
                if (sawCe) alpha = (1 - 1 / 16) * alpha + marks / acks / 16;
                marks = acks = 0;
                roundEnd = nextSeq;
              }
              if (ce) {
                sawCe = true;
                if (seq > recover) {
                  cwnd = Math.max(2, cwnd * (1 - alpha / 2));
                  ssthresh = cwnd;
                  recover = nextSeq - 1;
                }
              } else cwnd += cwnd < ssthresh ? 1 : 1 / cwnd;
            } else if (ce) congestion(seq);
            else cwnd += cwnd < ssthresh ? 1 : 1 / cwnd;
            fill();
          },
          () => lost.push(seq),
        );
      }
    };
    engine.schedule(spec.start ?? 0, fill);
  });
  engine.runUntilTime(duration + 1_000_000);
  return { link, flows };
}

describe('DualQ Coupled AQM (RFC 9332): configuration', () => {
  it('defaults, validation, and an unknown AQM type', () => {
    const link = new Link({ delay: 0, rate: RATE, aqm: { type: 'dualq' } }, 1);
    const q = link.dualq!;
    expect([q.target, q.l4sThreshold, q.k, q.tupdate, q.alpha, q.beta]).toEqual([15_000, 1_000, 2, 16_000, 0.16, 3.2]);
    expect([DUALQ_TARGET, DUALQ_L4S_THRESHOLD, DUALQ_K, DUALQ_TUPDATE, DUALQ_ALPHA, DUALQ_BETA]).toEqual([15_000, 1_000, 2, 16_000, 0.16, 3.2]);
    expect(q.pCmax).toBe(0.25);
    expect(new Link({ delay: 0, rate: RATE, aqm: { type: 'codel' } }, 1).dualq).toBeUndefined();
    for (const bad of [{ k: 0 }, { k: -1 }, { target: -1 }, { l4sThreshold: -5 }, { tupdate: 0 }, { alpha: -0.1 }, { beta: Number.NaN }]) {
      expect(() => new Link({ delay: 0, rate: RATE, aqm: { type: 'dualq', ...bad } }, 1)).toThrow(RangeError);
    }
    expect(() => new Link({ delay: 0, aqm: { type: 'red' } as unknown as LinkConfig['aqm'] }, 1)).toThrow(/unknown aqm red/);
  });

  it('classifies ECT(1) and CE into the L4S queue, not-ECT and ECT(0) into the Classic one', () => {
    const q = new DualQ({ type: 'dualq' }, () => 0.5);
    expect(q.enqueue(0, SIZE, SER, 'ect1').l4s).toBe(true);
    expect(q.enqueue(0, SIZE, SER, 'ce').l4s).toBe(true);
    expect(q.enqueue(0, SIZE, SER, 'ect0').l4s).toBe(false);
    expect(q.enqueue(0, SIZE, SER, 'not-ect').l4s).toBe(false);
    expect(q.enqueue(0, SIZE, SER, undefined).l4s).toBe(false);
    expect(q.backlog(0)).toEqual({ packets: 5, bytes: 5 * SIZE, l4sPackets: 2, classicPackets: 3 });
    expect(q.stats.l4sPackets).toBe(2);
    expect(q.stats.classicPackets).toBe(3);
  });
});

describe('DualQ: the L4S queue', () => {
  it('an unresponsive ECT(1) overload is CE-marked exactly once its queueing delay exceeds 1 ms', () => {
    const link = new Link({ delay: DELAY, rate: RATE, aqm: { type: 'dualq' } }, 1);
    // One datagram every 500 µs: 2× the rate, the queue grows by 0.5 ms per datagram.
    const rows = Array.from({ length: 200 }, (_, i) => {
      const now = i * 500;
      const [o] = link.offer(now, dg(SIZE, i & 0xff, 'ect1'));
      return { queue: o!.at - now - DELAY - SER, ce: o!.d.ecn === 'ce' };
    });
    expect(rows.slice(0, 4).map((r) => r.queue)).toEqual([0, 500, 1000, 1500]);
    // Within the first 100 ms, p_CL stays below 1 and the step decides: CE iff delay > 1 ms.
    for (const r of rows) expect(r.ce).toBe(r.queue > DUALQ_L4S_THRESHOLD);
    expect(link.counters.ceMarked).toBe(rows.filter((r) => r.ce).length);
    expect(link.dualq!.stats.l4sStepMarks).toBe(197);
    expect(link.counters.dropped.aqm).toBe(0);
    // The coupled probability has started to rise (β·Δq), still far from saturation.
    expect(link.dualq!.pBase).toBeGreaterThan(0);
    expect(link.dualq!.pCL).toBeLessThan(1);
  });

  it('no step marking with at most Th_len = 1 other datagram in the L4S queue', () => {
    // At 1 Mbps a 1250-byte datagram takes 10 ms.
    const link = new Link({ delay: 0, rate: 1_000_000, aqm: { type: 'dualq' } }, 1);
    link.offer(0, dg(SIZE, 0)); // Classic, in transmission until 10 ms
    // Alone behind it: waits 9 ms, not marked.
    const [o] = link.offer(1_000, dg(SIZE, 1, 'ect1'));
    expect(o!.at).toBe(20_000);
    expect(o!.d.ecn).toBe('ect1');
    // One L4S datagram ahead (a pair sent back to back): not marked either.
    const [o2] = link.offer(2_000, dg(SIZE, 2, 'ect1'));
    expect(o2!.at).toBe(30_000);
    expect(o2!.d.ecn).toBe('ect1');
    // Two ahead: a queue; marked.
    const [o3] = link.offer(3_000, dg(SIZE, 3, 'ect1'));
    expect(o3!.d.ecn).toBe('ce');
    expect(link.dualq!.stats.l4sStepMarks).toBe(1);
  });

  it('a scalable (DCTCP-like) flow keeps the L4S queue near 1 ms at full rate, without drops', () => {
    const { link, flows } = run({ delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq' } }, [{ kind: 'scalable', ecn: 'ect1' }], 10_000_000);
    const f = flows[0]!;
    const delays = f.samples.filter((s) => s.sent >= 1_000_000).map((s) => s.queue);
    expect(median(delays)).toBeLessThanOrEqual(1_500);
    expect(quantile(delays, 0.99)).toBeLessThanOrEqual(3_000);
    expect(link.counters.dropped.aqm + link.counters.dropped.queue).toBe(0);
    expect(link.counters.ceMarked).toBeGreaterThan(100);
    // Utilisation: above 95% of 10 s × 1000 datagrams/s.
    expect(f.acked).toBeGreaterThan(9_500);
    expect(link.dualq!.stats.l4sStepMarks).toBeGreaterThan(link.dualq!.stats.l4sCoupledMarks);
  });

  it('overload (RFC 9332 A.2): once p_CL saturates, unresponsive L4S traffic is dropped with p_C and its queue stays bounded', () => {
    const link = new Link({ delay: DELAY, rate: RATE, aqm: { type: 'dualq' } }, 3);
    const delays: number[] = [];
    const n = 20_000; // 10 s at 2× the rate
    for (let i = 0; i < n; i++) {
      const now = i * 500;
      const [o] = link.offer(now, dg(SIZE, i & 0xff, 'ect1'));
      if (o && now >= 5_000_000) delays.push(o.at - now - DELAY - SER);
    }
    const q = link.dualq!;
    expect(q.pCL).toBe(1);
    expect(q.stats.l4sDrops).toBe(link.counters.dropped.aqm);
    // Half the offered load must go: p' → √½, and the PI2 holds the delay near the target.
    expect(q.pBase).toBeGreaterThan(0.6);
    expect(q.pBase).toBeLessThan(0.8);
    expect(link.counters.dropped.aqm / n).toBeGreaterThan(0.4);
    expect(median(delays)).toBeGreaterThan(DUALQ_TARGET / 2);
    expect(median(delays)).toBeLessThan(2 * DUALQ_TARGET);
  });
});

describe('DualQ: the Classic queue', () => {
  it('a Reno flow (not-ECT) sees drops that hold its queue near the 15 ms target', () => {
    const { link, flows } = run({ delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq' } }, [{ kind: 'reno' }], 20_000_000);
    const f = flows[0]!;
    const delays = f.samples.filter((s) => s.sent >= 3_000_000).map((s) => s.queue);
    const m = median(delays);
    expect(m).toBeGreaterThan(8_000);
    expect(m).toBeLessThan(22_000);
    expect(link.counters.dropped.aqm).toBeGreaterThan(0);
    expect(link.counters.dropped.queue).toBe(0);
    expect(link.counters.ceMarked).toBe(0);
    expect(link.dualq!.stats.classicDrops).toBe(link.counters.dropped.aqm);
    expect(f.acked).toBeGreaterThan(19_000);
    // Drop-tail, for comparison, fills the 1000-datagram buffer.
    const dropTail = run({ delay: DELAY, rate: RATE, queuePackets: 1000 }, [{ kind: 'reno' }], 20_000_000);
    expect(median(dropTail.flows[0]!.samples.filter((s) => s.sent >= 3_000_000).map((s) => s.queue))).toBeGreaterThan(200_000);
  });

  it('ECT(0) Classic datagrams are CE-marked with p_C instead of dropped, unless p_C ≥ p_Cmax (A.2)', () => {
    const { link, flows } = run({ delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq' } }, [{ kind: 'reno', ecn: 'ect0' }], 20_000_000);
    const f = flows[0]!;
    expect(link.counters.ceMarked).toBeGreaterThan(20);
    expect(link.dualq!.stats.classicMarks).toBe(link.counters.ceMarked);
    // Drops only in the slow-start overshoot, where p' passed 1/k (p_C ≥ 1/k² disables ECN).
    expect(link.counters.dropped.aqm).toBe(f.dropped);
    expect(f.dropTimes.every((t) => t < 1_000_000)).toBe(true);
    expect(f.pBase.some((p) => p * p >= link.dualq!.pCmax)).toBe(true);
    const m = median(f.samples.filter((s) => s.sent >= 3_000_000).map((s) => s.queue));
    expect(m).toBeGreaterThan(8_000);
    expect(m).toBeLessThan(22_000);
  });
});

describe('DualQ: coupling and scheduling', () => {
  for (const k of [2, 4]) {
    it(`k = ${k}: L4S datagrams are marked with p_CL = k·p', Classic ones dropped with p_C = p'²`, () => {
      const { link, flows } = run(
        { delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq', k } },
        [{ kind: 'reno' }, { kind: 'probe', ecn: 'ect1', interval: 7_000, start: 2_000_000 }],
        40_000_000,
      );
      const [classic, probe] = flows as [FlowResult, FlowResult];
      // The invariants, at every probe: p_CL = min(k·p', 1); p_C = p'².
      for (let i = 0; i < probe.pBase.length; i++) expect(probe.pCL[i]).toBeCloseTo(Math.min(k * probe.pBase[i]!, 1), 12);
      expect(link.dualq!.pC).toBeCloseTo(link.dualq!.pBase ** 2, 12);
      // The probes never queue behind other L4S datagrams, so only the coupled probability marks them.
      expect(link.dualq!.stats.l4sStepMarks).toBe(0);
      const marks = probe.samples.filter((s) => s.ce).length;
      const expected = probe.pCL.reduce((a, b) => a + b, 0);
      const sd = Math.sqrt(probe.pCL.reduce((a, p) => a + p * (1 - p), 0));
      expect(expected).toBeGreaterThan(20);
      expect(Math.abs(marks - expected)).toBeLessThan(4 * sd);
      // Classic drops follow p'² (squared: far fewer than the L4S marks at the same p').
      const drops = classic.dropped;
      const expectedDrops = classic.pBase.reduce((a, p) => a + p * p, 0);
      const sdDrops = Math.sqrt(classic.pBase.reduce((a, p) => a + p * p * (1 - p * p), 0));
      expect(Math.abs(drops - expectedDrops)).toBeLessThan(4 * sdDrops + 2);
      expect(marks / probe.sent).toBeGreaterThan(drops / classic.sent);
    });
  }

  it('L4S datagrams overtake the Classic backlog: about 1 ms of delay next to a 15 ms Classic queue', () => {
    const { link, flows } = run(
      { delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq' } },
      [{ kind: 'reno' }, { kind: 'probe', ecn: 'ect1', interval: 7_000, start: 3_000_000 }],
      20_000_000,
    );
    const [classic, probe] = flows as [FlowResult, FlowResult];
    const cq = median(classic.samples.filter((s) => s.sent >= 3_000_000).map((s) => s.queue));
    expect(cq).toBeGreaterThan(8_000);
    // A probe waits at most for the Classic datagram in transmission.
    expect(Math.max(...probe.samples.map((s) => s.queue))).toBeLessThanOrEqual(SER);
    // The L4S arrivals stay in order among themselves.
    const at = probe.samples.map((s) => s.sent + s.queue);
    expect(at.every((t, i) => i === 0 || t >= at[i - 1]!)).toBe(true);
    expect(link.dualq!.stats.l4sPackets).toBe(probe.sent);
  });

  it('a scalable and a Reno flow share the link at full rate: L4S delay ≈ 1 ms, Classic ≈ target, comparable rates', () => {
    const { link, flows } = run(
      { delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq' } },
      [{ kind: 'reno' }, { kind: 'scalable', ecn: 'ect1' }],
      30_000_000,
    );
    const [classic, l4s] = flows as [FlowResult, FlowResult];
    const after = (f: FlowResult) => f.samples.filter((s) => s.sent >= 5_000_000);
    expect(median(after(l4s).map((s) => s.queue))).toBeLessThanOrEqual(2_000);
    const cq = median(after(classic).map((s) => s.queue));
    expect(cq).toBeGreaterThan(5_000);
    expect(cq).toBeLessThan(25_000);
    // The link stays busy; neither flow starves.
    const total = classic.acked + l4s.acked;
    expect(total).toBeGreaterThan(0.9 * 30_000);
    expect(total).toBeLessThanOrEqual(31_000 + 1000);
    const share = after(l4s).length / (after(l4s).length + after(classic).length);
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.8);
    expect(link.counters.dropped.queue).toBe(0);
  });

  it('the same seed gives the same trace; another seed differs', () => {
    const cfg: LinkConfig = { delay: DELAY, rate: RATE, queuePackets: 1000, aqm: { type: 'dualq' } };
    const trace = (seed: number): string => {
      const r = run(cfg, [{ kind: 'reno' }, { kind: 'scalable', ecn: 'ect1' }], 3_000_000, seed);
      return JSON.stringify([r.link.counters, r.link.dualq!.stats, r.flows.map((f) => f.samples)]);
    };
    expect(trace(3)).toBe(trace(3));
    expect(trace(3)).not.toBe(trace(4));
  });

  it('queueLength reports both queues, and the drop-tail limit applies to their sum', () => {
    const link = new Link({ delay: 0, rate: RATE, queuePackets: 4, aqm: { type: 'dualq' } }, 1);
    expect(link.offer(0, dg(SIZE, 0)).length).toBe(1);
    expect(link.offer(0, dg(SIZE, 1, 'ect1')).length).toBe(1);
    expect(link.offer(0, dg(SIZE, 2)).length).toBe(1);
    expect(link.offer(0, dg(SIZE, 3, 'ect1')).length).toBe(1);
    expect(link.queueLength(0)).toEqual({ packets: 4, bytes: 4 * SIZE });
    expect(link.offer(0, dg(SIZE, 4, 'ect1'))).toHaveLength(0);
    expect(link.counters.dropped.queue).toBe(1);
    expect(link.counters.maxQueuePackets).toBe(4);
    // Classic 0 is being sent until 1 ms; then L4S 1 (it overtook Classic 2). L4S 3 arrived
    // after Classic 2 had been committed to [2, 3) ms: it overtakes it too, in the same slot —
    // the model's approximation (dualq.ts): the link briefly sends faster than its rate ...
    expect(link.queueLength(1_000)).toEqual({ packets: 3, bytes: 3 * SIZE });
    expect(link.queueLength(2_000)).toEqual({ packets: 2, bytes: 2 * SIZE });
    expect(link.queueLength(3_000)).toEqual({ packets: 0, bytes: 0 });
    // ... and the next Classic datagram repays it: it starts at 4 ms, as behind a real DualQ.
    expect(link.offer(3_000, dg(SIZE, 5))[0]!.at).toBe(5_000);
  });
});

describe('DualQ end to end: Prague (ECT(1)) and CUBIC connections', () => {
  // Prague's goodput here is well below CUBIC's (about 20 vs 34 Mbit/s): the initial window goes
  // out as one burst (the pacer's bucket is the initial window), its tail is step-marked, and the
  // first CE ends slow start with α = 1; additive increase then needs ~100 round trips to fill
  // the 130-datagram BDP.
  it('Prague keeps the bottleneck queue a few datagrams deep where CUBIC overshoots', async () => {
    const o = await simOptions();
    const result = (cc: string) => {
      const link = defaultLink({ rate: 50_000_000, queuePackets: 3000, aqm: { type: 'dualq' } });
      const seen = { ect1: 0, ce: 0, other: 0 };
      const sinks: { role: string; sink: MemorySink }[] = [];
      const r = runScenario(
        {
          name: `dualq-${cc}`,
          toServer: link,
          toClient: { ...link },
          workload: { type: 'bulk', bytes: 8 << 20 },
          flows: [{ congestionControl: cc }],
          client: { transport: { ecn: true } },
          server: { transport: { ecn: true } },
        },
        {
          ...o,
          qlog: ({ role }) => {
            const sink = new MemorySink();
            sinks.push({ role, sink });
            return sink;
          },
          onDeliver: (host, d) => {
            if (host !== 'client') return;
            if (d.ecn === 'ect1') seen.ect1++;
            else if (d.ecn === 'ce') seen.ce++;
            else seen.other++;
          },
        },
      );
      const server = sinks.find((s) => s.role === 'server')!.sink;
      return { r, seen, ecn: server.data('quic:ecn_state_updated').at(-1)?.new };
    };
    const prague = result('prague');
    const cubic = result('cubic');
    for (const x of [prague, cubic]) {
      expect(x.r.completed).toBe(true);
      expect(x.ecn).toBe('capable');
      expect(x.r.links.toClient.dropped.aqm + x.r.links.toClient.dropped.queue).toBe(0);
    }
    // Prague's datagrams take the L4S queue (ECT(1), CE on arrival when marked), and it reacts
    // to CE without a loss recovery: no retransmission.
    expect(prague.seen.other).toBe(0);
    expect(prague.seen.ce).toBeGreaterThan(0);
    expect(prague.r.retransmissions).toBe(0);
    // CUBIC's ECT(0) datagrams take the Classic queue, whose PI2 lets its slow start overshoot.
    expect(cubic.seen.ect1).toBe(0);
    expect(prague.r.links.toClient.maxQueuePackets).toBeLessThanOrEqual(20);
    expect(cubic.r.links.toClient.maxQueuePackets).toBeGreaterThan(100);
  }, 60_000);
});
