import { describe, expect, it } from 'vitest';
import { CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, Cubic, cubicK, cubicWindow } from '../../src/recovery/cc/cubic.js';
import type { RttEstimator } from '../../src/recovery/rtt.js';
import { MDS, MS, S, rttOf } from './helpers.js';

/** Grows a fresh controller in slow start to `packets` packets. */
function grown(packets: number, o: { fastConvergence?: boolean } = {}): Cubic {
  const cc = new Cubic({ maxDatagramSize: MDS, ...o });
  const rtt = rttOf(100 * MS);
  while (cc.cwnd < packets * MDS) cc.onPacketAcked(1, MDS, 0, rtt, false);
  expect(cc.cwnd).toBe(packets * MDS);
  return cc;
}

/**
 * An ACK-clocked flow: each round trip the window is sent at `t` and its acknowledgements arrive
 * evenly over the next round trip. Returns the time after the last round.
 */
function rounds(cc: Cubic, rtt: RttEstimator, t: number, n: number, appLimited = false): number {
  const r = rtt.smoothed;
  for (let i = 0; i < n; i++) {
    const k = Math.max(1, Math.floor(cc.cwnd / MDS));
    for (let j = 0; j < k; j++) cc.onPacketAcked(t + (r * (j + 1)) / k, MDS, t + 1, rtt, appLimited);
    t += r;
  }
  return t;
}

describe('CUBIC (RFC 9438)', () => {
  it('constants and the window function (§4.1–§4.3)', () => {
    expect(CUBIC_C).toBe(0.4);
    expect(CUBIC_BETA).toBe(0.7);
    expect(CUBIC_ALPHA).toBeCloseTo((3 * 0.3) / 1.7, 12);
    // K = ∛(W_max (1 − β) / C) for W_max = 1000 segments.
    const k = cubicK(1000 * MDS, 700 * MDS, MDS);
    expect(k).toBeCloseTo(Math.cbrt(750), 9);
    expect(cubicWindow(0, k, 1000 * MDS, MDS)).toBeCloseTo(700 * MDS, 6);
    expect(cubicWindow(k, k, 1000 * MDS, MDS)).toBe(1000 * MDS);
    expect(cubicWindow(k + 2, k, 1000 * MDS, MDS)).toBeCloseTo((1000 + 0.4 * 8) * MDS, 6);
    expect(cubicK(100, 200, MDS)).toBe(0);
  });

  it('reduces by β = 0.7 on a congestion event, once per recovery period (§4.6)', () => {
    const cc = grown(100);
    const rtt = rttOf(100 * MS);
    cc.onCongestionEvent(S, S - 1, rtt);
    expect(cc.cwnd).toBe(70 * MDS);
    expect(cc.ssthresh).toBe(70 * MDS);
    expect(cc.wMax).toBe(100 * MDS);
    expect(cc.cwndPrior).toBe(100 * MDS);
    expect(cc.inRecovery).toBe(true);
    expect(cc.inSlowStart).toBe(false);
    cc.onCongestionEvent(S + 10, S - 5, rtt); // sent before recovery began
    expect(cc.cwnd).toBe(70 * MDS);
    cc.onPacketAcked(S + 20, MDS, S - 2, rtt, false); // sent before: no growth
    expect(cc.cwnd).toBe(70 * MDS);
    expect(cc.inRecovery).toBe(true);
    cc.onPacketAcked(S + 30, MDS, S + 1, rtt, false);
    expect(cc.inRecovery).toBe(false);
  });

  it('follows W_cubic(t) = C(t − K)³ + W_max through the concave and convex regions (§4.2, §4.4, §4.5)', () => {
    const cc = grown(1000, { fastConvergence: false });
    const rtt = rttOf(100 * MS);
    const t0 = S;
    cc.onCongestionEvent(t0, t0 - 1, rtt);
    expect(cc.k).toBeCloseTo(Math.cbrt(750), 9);
    let t = t0;
    for (const target of [1, 3, 6, 9, 12, 13]) {
      t = rounds(cc, rtt, t, Math.round(((t0 + target * S - t) / rtt.smoothed)));
      const x = (t - t0) / S;
      const w = cubicWindow(x, cc.k, cc.wMax, MDS);
      expect(Math.abs(cc.cwnd - w) / w).toBeLessThan(0.002);
    }
    expect(cc.cwnd).toBeGreaterThan(1020 * MDS); // convex: beyond the old W_max
  });

  it('fast convergence lowers W_max when the window did not recover (§4.7)', () => {
    const rtt = rttOf(100 * MS);
    const on = grown(100);
    on.onCongestionEvent(S, S - 1, rtt);
    on.onCongestionEvent(2 * S, 2 * S - 1, rtt); // cwnd 70 < W_max 100
    expect(on.wMax).toBeCloseTo(70 * MDS * (1 + CUBIC_BETA) / 2, 6);
    expect(on.cwnd).toBe(49 * MDS);
    const off = grown(100, { fastConvergence: false });
    off.onCongestionEvent(S, S - 1, rtt);
    off.onCongestionEvent(2 * S, 2 * S - 1, rtt);
    expect(off.wMax).toBe(70 * MDS);
    expect(off.cwnd).toBe(49 * MDS);
  });

  it('stays in the Reno-friendly region on a short RTT (§4.3)', () => {
    const cc = grown(20);
    const rtt = rttOf(1 * MS);
    const t0 = S;
    cc.onCongestionEvent(t0, t0 - 1, rtt);
    expect(cc.cwnd).toBe(14 * MDS);
    // α_cubic ≈ 0.53 segments per round trip until W_est reaches cwnd_prior …
    let t = rounds(cc, rtt, t0, 10);
    expect(cc.cwnd / MDS).toBeCloseTo(14 + 10 * CUBIC_ALPHA, 0);
    expect(cc.cwnd).toBeGreaterThan(cubicWindow((t - t0) / S + rtt.smoothed / S, cc.k, cc.wMax, MDS));
    // … then one segment per round trip, like Reno (α = 1).
    t = rounds(cc, rtt, t, 10);
    const w1 = cc.cwnd;
    t = rounds(cc, rtt, t, 100);
    expect((cc.cwnd - w1) / MDS).toBeCloseTo(100, -1);
    // W_cubic would be far behind: still below W_max = 20 segments after 0.12 s.
    expect(cubicWindow((t - t0) / S, cc.k, cc.wMax, MDS)).toBeLessThan(20 * MDS);
    expect(cc.cwnd).toBe(Math.floor(cc.wEst));
  });

  it('freezes the epoch while application-limited, so W_cubic does not race ahead (§5.8)', () => {
    const rtt = rttOf(100 * MS);
    const a = grown(100, { fastConvergence: false });
    const b = grown(100, { fastConvergence: false });
    a.onCongestionEvent(S, S - 1, rtt);
    b.onCongestionEvent(S, S - 1, rtt);
    // a: 30 s of app-limited acknowledgements; no growth.
    let ta = rounds(a, rtt, S, 300, true);
    expect(a.cwnd).toBe(70 * MDS);
    expect(a.epochStart).toBeGreaterThanOrEqual(ta - 2 * rtt.smoothed);
    // Then both run 20 active round trips: same window.
    ta = rounds(a, rtt, ta, 20);
    rounds(b, rtt, S, 20);
    expect(Math.abs(a.cwnd - b.cwnd)).toBeLessThan(MDS);
    expect(a.cwnd).toBeLessThan(100 * MDS);
  });

  it('does not count idle time (nothing in flight) in the epoch (§5.8)', () => {
    const rtt = rttOf(100 * MS);
    const cc = grown(100);
    cc.onCongestionEvent(S, S - 1, rtt);
    const t = rounds(cc, rtt, S, 5);
    const start = cc.epochStart!;
    cc.onPacketSent(t + 10 * S, MDS, MDS); // first packet after 10 s of silence
    expect(cc.epochStart).toBe(start + 10 * S);
    cc.onPacketSent(t + 10 * S + 5, MDS, 2 * MDS); // not idle
    expect(cc.epochStart).toBe(start + 10 * S);
  });

  it('persistent congestion: minimum window, slow start, then an epoch with K = 0 (§4.8)', () => {
    const rtt = rttOf(100 * MS);
    const cc = grown(100);
    cc.onCongestionEvent(S, S - 1, rtt);
    cc.onPersistentCongestion(S);
    expect(cc.cwnd).toBe(2 * MDS);
    expect(cc.inSlowStart).toBe(true);
    expect(cc.inRecovery).toBe(false);
    expect(cc.epochStart).toBeUndefined();
    let t = S;
    while (cc.inSlowStart) t = rounds(cc, rtt, t, 1);
    t = rounds(cc, rtt, t, 1);
    expect(cc.k).toBe(0);
    expect(cc.wMax).toBe(cc.cwndEpoch);
  });

  it('does not grow while application-limited in slow start (RFC 9002 §7.8)', () => {
    const cc = new Cubic({ maxDatagramSize: MDS });
    cc.onPacketAcked(10, 5 * MDS, 0, rttOf(100 * MS), true);
    expect(cc.cwnd).toBe(10 * MDS);
  });
});
