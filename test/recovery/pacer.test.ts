import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/recovery/pacer.js';
import { RttEstimator } from '../../src/recovery/rtt.js';
import { MDS, MS, S, rttOf } from './helpers.js';

const CWND = 100 * MDS;

/** Sends `n` packets as early as the pacer allows from `t`; returns the send times. */
function drive(p: Pacer, t: number, n: number, cwnd: number, rtt: RttEstimator, rate?: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = p.nextSendTime(t, MDS, cwnd, rtt, rate);
    expect(at).toBeGreaterThanOrEqual(t);
    if (at > t) expect(p.nextSendTime(at, MDS, cwnd, rtt, rate)).toBe(at); // asking again at that time: go
    t = at;
    p.onPacketSent(t, MDS);
    times.push(t);
  }
  return times;
}

describe('Pacer (RFC 9002 §7.7)', () => {
  it('allows a burst of the initial window, then spaces packets at 1.25·cwnd/srtt', () => {
    const p = new Pacer(MDS);
    expect(p.burst).toBe(10 * MDS);
    const rtt = rttOf(100 * MS);
    // rate = 1.25 · 120000 B / 100 ms = 1.5 B/µs: one 1200-byte packet every 800 µs.
    const times = drive(p, 0, 20, CWND, rtt);
    expect(times.slice(0, 10)).toEqual(new Array(10).fill(0));
    for (let i = 10; i < 20; i++) expect(times[i]! - times[i - 1]!).toBe(800);
    expect(times[19]).toBe(8000);
  });

  it('sustains ≈ 1.25·cwnd/srtt over the long run', () => {
    const p = new Pacer(MDS);
    const rtt = rttOf(50 * MS);
    const n = 2000;
    const times = drive(p, 0, n, CWND, rtt);
    const rate = (1.25 * CWND) / (50 * MS); // bytes per µs
    const expected = ((n - 10) * MDS) / rate; // after the initial burst
    expect(times[n - 1]! / expected).toBeGreaterThan(0.99);
    expect(times[n - 1]! / expected).toBeLessThan(1.01);
  });

  it('uses the controller rate override (bytes per second)', () => {
    const p = new Pacer(MDS);
    const times = drive(p, 0, 15, CWND, new RttEstimator(), 1.2e6); // 1 packet per ms
    expect(times[14]! - times[10]!).toBe(4 * MS);
  });

  it('refills after idle up to one burst, no more', () => {
    const p = new Pacer(MDS);
    const rtt = rttOf(100 * MS);
    drive(p, 0, 12, CWND, rtt);
    const times = drive(p, 10 * S, 12, CWND, rtt);
    expect(times.slice(0, 10)).toEqual(new Array(10).fill(10 * S));
    expect(times[10]).toBeGreaterThan(10 * S);
  });

  it('does not pace without a usable rate', () => {
    const p = new Pacer(MDS);
    const zero = new RttEstimator();
    zero.update(0, 0, 0, 0, false);
    expect(drive(p, 5, 30, CWND, zero)).toEqual(new Array(30).fill(5));
  });

  it('charges unpaced sends (never below empty)', () => {
    const p = new Pacer(MDS);
    const rtt = rttOf(100 * MS);
    expect(p.nextSendTime(0, MDS, CWND, rtt)).toBe(0);
    for (let i = 0; i < 30; i++) p.onPacketSent(0, MDS); // e.g. PTO probes
    expect(p.nextSendTime(0, MDS, CWND, rtt)).toBe(800);
  });
});
