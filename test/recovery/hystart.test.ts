import { describe, expect, it } from 'vitest';
import { Cubic } from '../../src/recovery/cc/cubic.js';
import { CSS_ROUNDS, HyStart, MAX_RTT_THRESH, MIN_RTT_THRESH, N_RTT_SAMPLE, rttThresh } from '../../src/recovery/cc/hystart.js';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import { RttEstimator } from '../../src/recovery/rtt.js';
import { MDS, MS, send, setup } from './helpers.js';

type Reno = NewReno | Cubic;

const BASE = 100 * MS;
/** RFC 9406 §4.2 RttThresh for a 100 ms round minimum: 100/8 = 12.5 ms. */
const THRESH = 12_500;

/**
 * One synthetic round: the whole window is sent (1 µs apart) from `t`, then acknowledged in
 * order, each packet `rtt` after it was sent, in ACK frames of `perAck` packets (the estimator
 * takes one sample per frame, from its largest packet, as loss.ts does). Returns the time after
 * the last acknowledgement, where the next round starts.
 */
function round(cc: Reno, est: RttEstimator, t: number, rtt: number, perAck = 1): number {
  const n = Math.max(1, Math.floor(cc.cwnd / MDS));
  let inflight = 0;
  for (let i = 0; i < n; i++) {
    inflight += MDS;
    cc.onPacketSent(t + i, MDS, inflight);
  }
  for (let i = 0; i < n; i += perAck) {
    const last = Math.min(n, i + perAck) - 1;
    const now = t + last + rtt;
    est.update(now, rtt, 0, 0, true);
    for (let j = i; j <= last; j++) cc.onPacketAcked(now, MDS, t + j, est, false);
  }
  return t + n + rtt;
}

/** Two rounds at the base RTT (10 → 20 → 40 packets); then lastRoundMinRTT is 100 ms. */
function warmed(make: () => Reno): { cc: Reno; est: RttEstimator; t: number } {
  const cc = make();
  const est = new RttEstimator();
  let t = 0;
  t = round(cc, est, t, BASE);
  t = round(cc, est, t, BASE);
  expect(cc.cwnd).toBe(40 * MDS);
  expect(cc.hystart?.phase ?? 'slow-start').toBe('slow-start');
  return { cc, est, t };
}

const reno = (hystart?: boolean) => () => new NewReno({ maxDatagramSize: MDS, ...(hystart !== undefined ? { hystart } : {}) });
const cubic = (hystart?: boolean) => () => new Cubic({ maxDatagramSize: MDS, ...(hystart !== undefined ? { hystart } : {}) });

describe('HyStart++ (RFC 9406)', () => {
  it('constants and RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms) (§4.2, §4.3)', () => {
    expect(N_RTT_SAMPLE).toBe(8);
    expect(CSS_ROUNDS).toBe(5);
    expect(MIN_RTT_THRESH).toBe(4 * MS);
    expect(MAX_RTT_THRESH).toBe(16 * MS);
    expect(rttThresh(20 * MS)).toBe(4 * MS);
    expect(rttThresh(BASE)).toBe(THRESH);
    expect(rttThresh(300 * MS)).toBe(16 * MS);
    expect(new NewReno({ maxDatagramSize: MDS }).hystart).toBeUndefined(); // off unless asked for
  });

  for (const [name, make] of [
    ['NewReno', reno(true)],
    ['CUBIC', cubic(true)],
  ] as const) {
    describe(name, () => {
      it('an RTT rise of at least RttThresh, after N_RTT_SAMPLE samples, enters CSS: growth quartered (§4.2)', () => {
        const { cc, est, t } = warmed(make);
        round(cc, est, t, BASE + THRESH);
        const hs = cc.hystart!;
        expect(hs.phase).toBe('css');
        expect(hs.cssBaselineMinRtt).toBe(BASE + THRESH);
        expect(hs.lastRoundMinRtt).toBe(BASE);
        // 40 acks: the first 7 grow by a packet each, the 8th (CSS begins) and the rest by a quarter.
        expect(cc.cwnd).toBe(40 * MDS + 7 * MDS + 33 * (MDS / 4));
        expect(cc.ssthresh).toBe(Infinity);
        expect(cc.inSlowStart).toBe(true);
      });

      it('a rise below RttThresh, or too few samples in the round, stays in slow start', () => {
        const a = warmed(make);
        round(a.cc, a.est, a.t, BASE + THRESH - 1);
        expect(a.cc.hystart!.phase).toBe('slow-start');
        expect(a.cc.cwnd).toBe(80 * MDS);
        // 40 packets acknowledged 8 per ACK frame: 5 RTT samples, fewer than N_RTT_SAMPLE.
        const b = warmed(make);
        round(b.cc, b.est, b.t, BASE + 5 * THRESH, 8);
        expect(b.cc.hystart!.rttSampleCount).toBe(5);
        expect(b.cc.hystart!.phase).toBe('slow-start');
        expect(b.cc.cwnd).toBe(80 * MDS);
      });

      it('the RTT falling below the CSS baseline resumes slow start (§4.2)', () => {
        const { cc, est, t: t0 } = warmed(make);
        const t = round(cc, est, t0, BASE + THRESH);
        const before = cc.cwnd;
        const n = Math.floor(before / MDS);
        round(cc, est, t, BASE + 1);
        expect(cc.hystart!.phase).toBe('slow-start');
        expect(cc.hystart!.cssBaselineMinRtt).toBe(Infinity);
        // 7 acks still in CSS (a quarter each), then slow start again (a packet each).
        expect(cc.cwnd).toBe(before + 7 * (MDS / 4) + (n - 7) * MDS);
      });

      it(`after CSS_ROUNDS rounds of CSS, congestion avoidance with ssthresh = cwnd (§4.2)`, () => {
        const { cc, est, t: t0 } = warmed(make);
        let t = round(cc, est, t0, BASE + THRESH); // CSS begins mid-round: that round counts
        const hs = cc.hystart!;
        for (let r = 1; r < CSS_ROUNDS; r++) {
          const before = cc.cwnd;
          t = round(cc, est, t, BASE + THRESH + r * MS); // the RTT keeps rising: no resume
          expect(hs.phase).toBe('css');
          expect(hs.cssRounds).toBe(r);
          // One round of CSS: cwnd × (1 + 1/CSS_GROWTH_DIVISOR).
          expect(cc.cwnd / before).toBeCloseTo(1.25, 1);
          expect(cc.inSlowStart).toBe(true);
        }
        // The first acknowledgement of the next round completes the fifth CSS round.
        const cwnd = cc.cwnd;
        cc.onPacketSent(t, MDS, MDS);
        est.update(t + BASE, BASE, 0, 0, true);
        cc.onPacketAcked(t + BASE, MDS, t, est, false);
        expect(hs.done).toBe(true);
        expect(cc.cwnd).toBe(cwnd); // no slow-start growth for that ACK
        expect(cc.ssthresh).toBe(cwnd);
        expect(cc.inSlowStart).toBe(false);
        expect(cc.inRecovery).toBe(false);
        // Congestion avoidance from here on: less than a packet per window acknowledged.
        const n = Math.ceil(cwnd / MDS);
        for (let i = 0; i < n; i++) cc.onPacketAcked(t + BASE + 10 + i, MDS, t + 1 + i, est, false);
        expect(cc.cwnd).toBeGreaterThan(cwnd);
        expect(cc.cwnd).toBeLessThan(cwnd + 3 * MDS);
        if (cc instanceof Cubic) {
          // RFC 9438 §4.10: exit without loss: cwnd_prior = cwnd, W_max = cwnd, K = 0.
          expect(cc.cwndPrior).toBeCloseTo(cwnd, -1);
          expect(cc.wMax).toBeCloseTo(cwnd, -1);
          expect(cc.k).toBe(0);
        }
      });

      it('a congestion event in CSS ends it as usual, and later slow starts are plain (§4.2, §4.3)', () => {
        const { cc, est, t: t0 } = warmed(make);
        let t = round(cc, est, t0, BASE + THRESH);
        expect(cc.hystart!.phase).toBe('css');
        const w = cc.cwnd;
        cc.onCongestionEvent(t, t - 1, est);
        expect(cc.hystart!.done).toBe(true);
        expect(cc.ssthresh).toBeLessThan(w);
        expect(cc.cwnd).toBe(cc.ssthresh);
        // Persistent congestion: slow start again, up to ssthresh, with no CSS despite rising RTTs.
        cc.onPersistentCongestion(t);
        const min = cc.cwnd;
        t = round(cc, est, t + 1, BASE + 3 * THRESH);
        expect(cc.cwnd).toBe(2 * min);
        round(cc, est, t, BASE + 6 * THRESH);
        expect(cc.cwnd).toBe(4 * min);
      });
    });
  }

  it('with hystart off (or absent) slow start is unchanged Reno: the window doubles whatever the RTT', () => {
    for (const make of [reno(false), reno(), cubic(false), cubic()]) {
      const cc = make();
      const est = new RttEstimator();
      let t = 0;
      for (const [i, rtt] of [BASE, BASE, BASE + 20 * MS, BASE + 40 * MS, BASE + 60 * MS, BASE + 80 * MS].entries()) {
        t = round(cc, est, t, rtt);
        expect(cc.cwnd).toBe(10 * MDS * 2 ** (i + 1));
      }
      expect(cc.ssthresh).toBe(Infinity);
      expect(cc.hystart).toBeUndefined();
    }
  });

  it('through LossRecovery: RTT samples per ACK frame, rounds by send time', () => {
    const { lr, cc } = setup({ confirmed: true, cc: new NewReno({ maxDatagramSize: MDS, hystart: true }) });
    const hs = (cc as NewReno).hystart!;
    let pn = 0;
    let t = 0;
    const rounds = [BASE, BASE, BASE, BASE + 20 * MS];
    for (const rtt of rounds) {
      const first = pn;
      while (lr.bytesInFlight + MDS <= cc.cwnd) {
        send(lr, 2, pn, t + (pn - first) * 10);
        pn++;
      }
      // ACK frames of two packets each, each arriving rtt after its newer packet was sent.
      for (let p = first; p < pn; p += 2) {
        const largest = Math.min(p + 1, pn - 1);
        lr.onAckReceived(t + (largest - first) * 10 + rtt, 2, [{ smallest: p, largest }], 0);
      }
      t += (pn - first) * 10 + rtt + 1;
    }
    expect(hs.rounds).toBe(rounds.length);
    expect(hs.lastRoundMinRtt).toBe(BASE);
    expect(hs.currentRoundMinRtt).toBe(BASE + 20 * MS);
    expect(hs.rttSampleCount).toBe(40); // 80 packets, one sample per frame of two
    expect(hs.phase).toBe('css');
    expect(cc.cwnd).toBeLessThan(160 * MDS);
    expect(cc.cwnd).toBeGreaterThan(80 * MDS);
  });

  it('the HyStart class alone: windowEnd is the first send after a round ends', () => {
    const hs = new HyStart();
    const est = new RttEstimator();
    hs.onPacketSent(10);
    hs.onPacketSent(20);
    expect(hs.windowEnd).toBe(10);
    est.update(110, 100, 0, 0, true);
    expect(hs.onPacketAcked(110, MDS, 10, est)).toBe(MDS);
    expect(hs.rounds).toBe(1);
    expect(hs.windowEnd).toBeUndefined();
    expect(hs.currentRoundMinRtt).toBe(100);
    // The packet sent at 20 belongs to the round that just ended; no sample (its RTT is not the latest).
    expect(hs.onPacketAcked(115, MDS, 20, est)).toBe(MDS);
    expect(hs.rounds).toBe(1);
    expect(hs.rttSampleCount).toBe(1);
    hs.onPacketSent(120);
    expect(hs.windowEnd).toBe(120);
    hs.stop();
    expect(hs.done).toBe(true);
    hs.onPacketSent(130);
    expect(hs.windowEnd).toBeUndefined();
  });
});
