import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { SentHistory } from '../../src/recovery/history.js';
import { pkt, setup, MDS, MS } from './helpers.js';

describe('SentHistory', () => {
  it('walks live packets in order across removals and compactions', () => {
    let compactions = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(), fc.boolean()), { minLength: 50, maxLength: 1500, size: 'max' }), (ops) => {
        const h = new SentHistory<number>();
        let pushed = 0;
        const model: number[] = [];
        let pn = 0;
        for (const [step, pick, acked] of ops) {
          pn += step;
          h.push(pkt(pn, 0));
          pushed++;
          model.push(pn);
          if (pick % 7 === 0) h.first(); // what every ACK does
          for (let r = 0; r < 2 && pick % 5 !== 0 && model.length > 0; r++) {
            // Remove live packets, biased towards the oldest (as ACKs and losses are).
            const j = (pick >> r) % Math.min(model.length, 4);
            const target = model.splice(j, 1)[0]!;
            const i = h.live(h.lowerBound(target, 0));
            expect(h.pnAt(i)).toBe(target);
            const p = acked ? h.removeAcked(i) : h.removeLost(i);
            expect(p.pn).toBe(target);
          }
          expect(h.count).toBe(model.length);
        }
        const walked: number[] = [];
        for (let i = h.first(); i < h.length; i = h.live(i + 1)) walked.push(h.at(i).pn);
        expect(walked).toEqual(model);
        if (pushed > 1200) compactions += h.length < pushed ? 1 : 0;
        expect(h.clear().map((p) => p.pn)).toEqual(model);
        expect(h.count).toBe(0);
      }),
      { numRuns: 30 },
    );
    expect(compactions).toBeGreaterThan(0);
  });

  it('knows whether a packet between two others was acknowledged', () => {
    const h = new SentHistory<number>();
    for (let pn = 0; pn < 6; pn++) h.push(pkt(pn, 0));
    h.removeLost(1);
    h.removeAcked(3);
    h.removeLost(5);
    expect(h.ackedBetween(1, 2)).toBe(false);
    expect(h.ackedBetween(1, 5)).toBe(true);
    expect(h.ackedBetween(3, 5)).toBe(false);
  });
});

describe('LossRecovery at scale', () => {
  it('handles a long transfer with reordering and loss in linear time', () => {
    const { lr } = setup({ confirmed: true });
    const N = 100_000;
    let acked = 0;
    let lost = 0;
    for (let pn = 0; pn < N; pn++) {
      const t = pn * 10; // 10 µs apart
      lr.onPacketSent(t, 2, pkt(pn, t));
      // ACK every 2nd packet 20 ms later; every 97th packet never arrives; pairs arrive swapped.
      if (pn % 2 === 1 && pn >= 2001) {
        const hi = pn - 2000;
        const ranges = [{ smallest: hi, largest: hi }];
        if ((hi - 1) % 97 !== 0) ranges.push({ smallest: hi - 1, largest: hi - 1 });
        if (hi % 97 === 0) ranges.shift();
        if (ranges.length === 0) continue;
        const r = lr.onAckReceived(t, 2, ranges, 0);
        acked += r.acked.length;
        lost += r.lost.length;
      }
    }
    expect(acked + lost + lr.outstanding(2)).toBe(N);
    expect(lost).toBeGreaterThan(900);
    expect(lr.bytesInFlight).toBe(lr.outstanding(2) * MDS);
    expect(lr.timeout()).toBeDefined();
    expect(lr.rtt.smoothed).toBeCloseTo(20 * MS, -3);
  });
});
