import { describe, expect, it } from 'vitest';
import { GRANULARITY, INITIAL_RTT, RttEstimator } from '../../src/recovery/rtt.js';
import { MS } from './helpers.js';

describe('RttEstimator (RFC 9002 §5)', () => {
  it('starts from kInitialRtt (§5.3, §6.2.2): PTO of about one second', () => {
    const r = new RttEstimator();
    expect(r.smoothed).toBe(INITIAL_RTT);
    expect(r.rttvar).toBe(INITIAL_RTT / 2);
    expect(r.hasSample).toBe(false);
    expect(r.pto(0, false)).toBe(999 * MS);
    expect(r.pto(25 * MS, true)).toBe(1024 * MS);
    expect(r.pto(25 * MS, false)).toBe(999 * MS);
    expect(new RttEstimator(100 * MS).pto(0, false)).toBe(300 * MS);
  });

  it('the first sample resets the estimator and ignores ack delay (§5.2, §5.3)', () => {
    const r = new RttEstimator();
    r.update(5 * MS, 100 * MS, 50 * MS, 25 * MS, true);
    expect(r.hasSample).toBe(true);
    expect(r.firstSampleTime).toBe(5 * MS);
    expect(r.latest).toBe(100 * MS);
    expect(r.min).toBe(100 * MS);
    expect(r.smoothed).toBe(100 * MS);
    expect(r.rttvar).toBe(50 * MS);
  });

  it('after confirmation the ack delay is capped by max_ack_delay (§5.3)', () => {
    const r = new RttEstimator();
    r.update(0, 100 * MS, 0, 25 * MS, true);
    r.update(1, 130 * MS, 30 * MS, 25 * MS, true); // ack delay 30 → 25; adjusted 105
    expect(r.latest).toBe(130 * MS);
    expect(r.rttvar).toBeCloseTo(0.75 * 50 * MS + 0.25 * 5 * MS, 6);
    expect(r.smoothed).toBeCloseTo(0.875 * 100 * MS + 0.125 * 105 * MS, 6);
  });

  it('before confirmation max_ack_delay is not applied (§5.3)', () => {
    const r = new RttEstimator();
    r.update(0, 100 * MS, 0, 25 * MS, false);
    r.update(1, 130 * MS, 30 * MS, 25 * MS, false); // adjusted 100
    expect(r.smoothed).toBeCloseTo(100 * MS, 6);
    expect(r.rttvar).toBeCloseTo(37.5 * MS, 6);
  });

  it('the ack delay is not subtracted below min_rtt (§5.3)', () => {
    const r = new RttEstimator();
    r.update(0, 100 * MS, 0, 25 * MS, true);
    r.update(1, 110 * MS, 20 * MS, 25 * MS, true); // 110 < 100 + 20: adjusted stays 110
    expect(r.smoothed).toBeCloseTo(0.875 * 100 * MS + 0.125 * 110 * MS, 6);
    expect(r.rttvar).toBeCloseTo(0.75 * 50 * MS + 0.25 * 10 * MS, 6);
  });

  it('min_rtt is the minimum of the raw samples and is reset after persistent congestion (§5.2)', () => {
    const r = new RttEstimator();
    r.update(0, 100 * MS, 0, 0, true);
    r.update(1, 80 * MS, 10 * MS, 25 * MS, true);
    expect(r.min).toBe(80 * MS);
    r.update(2, 150 * MS, 0, 25 * MS, true);
    expect(r.min).toBe(80 * MS);
    r.onPersistentCongestion();
    expect(r.min).toBe(150 * MS);
  });

  it('the PTO never goes below smoothed + kGranularity (§6.2.1)', () => {
    const r = new RttEstimator();
    r.update(0, 100, 0, 0, true); // 0.1 ms: rttvar 50 µs
    expect(r.pto(0, false)).toBe(100 + GRANULARITY);
  });

  it('reset returns to the initial state (RFC 9000 §9.4)', () => {
    const r = new RttEstimator(200 * MS);
    r.update(0, 10 * MS, 0, 0, true);
    r.reset();
    expect(r.hasSample).toBe(false);
    expect(r.smoothed).toBe(200 * MS);
    expect(r.firstSampleTime).toBeUndefined();
  });
});
