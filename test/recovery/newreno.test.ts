import { describe, expect, it } from 'vitest';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import { initialWindow, minimumWindow } from '../../src/recovery/cc/types.js';
import { MDS, MS, rttOf, send, setup } from './helpers.js';

const APP = 2;
const rtt = rttOf(100 * MS);

describe('windows (RFC 9002 §7.2)', () => {
  it('initial window min(10·mds, max(14720, 2·mds)) and minimum 2·mds', () => {
    expect(initialWindow(1200)).toBe(12000);
    expect(initialWindow(1500)).toBe(14720);
    expect(initialWindow(9000)).toBe(18000);
    expect(minimumWindow(1200)).toBe(2400);
    const cc = new NewReno({ maxDatagramSize: 1200, initialWindowPackets: 4, minimumWindowPackets: 4 });
    expect(cc.cwnd).toBe(4800);
    expect(cc.minimumWindow).toBe(4800);
    expect(() => new NewReno({ maxDatagramSize: 0 })).toThrow(RangeError);
  });
});

describe('NewReno (RFC 9002 §7.3, B.5–B.8)', () => {
  it('doubles the window every round trip in slow start (§7.3.1)', () => {
    const { lr, cc } = setup({ confirmed: true });
    expect(cc.ssthresh).toBe(Infinity);
    let pn = 0;
    let t = 0;
    for (let round = 0; round < 4; round++) {
      const before = cc.cwnd;
      const first = pn;
      while (lr.bytesInFlight + MDS <= cc.cwnd) send(lr, APP, pn++, t);
      t += 100 * MS;
      lr.onAckReceived(t, APP, [{ smallest: first, largest: pn - 1 }], 0);
      expect(cc.cwnd).toBe(2 * before);
      expect(cc.inSlowStart).toBe(true);
    }
    expect(cc.cwnd).toBe(16 * 12000);
  });

  it('halves on loss and reduces once per recovery period (§7.3.2)', () => {
    const cc = new NewReno({ maxDatagramSize: MDS });
    cc.onPacketAcked(10, 12000, 0, rtt, false); // 24000
    cc.onCongestionEvent(100, 50, rtt);
    expect(cc.cwnd).toBe(12000);
    expect(cc.ssthresh).toBe(12000);
    expect(cc.inRecovery).toBe(true);
    expect(cc.inSlowStart).toBe(false);
    // More losses of packets sent before the period began: no further reduction.
    cc.onCongestionEvent(150, 60, rtt);
    cc.onCongestionEvent(200, 100, rtt);
    expect(cc.cwnd).toBe(12000);
    // Acknowledgements of packets sent before the period: no increase, still in recovery.
    cc.onPacketAcked(210, MDS, 90, rtt, false);
    expect(cc.cwnd).toBe(12000);
    expect(cc.inRecovery).toBe(true);
    // A packet sent during the period is acknowledged: recovery ends (§7.3.2).
    cc.onPacketAcked(220, MDS, 101, rtt, false);
    expect(cc.inRecovery).toBe(false);
    // A loss of a packet sent after the period began is a new event.
    cc.onCongestionEvent(300, 150, rtt);
    expect(cc.cwnd).toBe(6000);
  });

  it('grows by one datagram per window acknowledged in congestion avoidance (§7.3.3)', () => {
    const cc = new NewReno({ maxDatagramSize: MDS });
    cc.onCongestionEvent(100, 0, rtt); // cwnd = ssthresh = 6000
    const w = cc.cwnd;
    for (let i = 0; i < 4; i++) cc.onPacketAcked(200, MDS, 150, rtt, false);
    expect(cc.cwnd).toBe(w);
    cc.onPacketAcked(200, MDS, 150, rtt, false); // 5 · 1200 = 6000 acknowledged
    expect(cc.cwnd).toBe(w + MDS);
    for (let i = 0; i < 6; i++) cc.onPacketAcked(200, MDS, 150, rtt, false); // 7200 more
    expect(cc.cwnd).toBe(w + 2 * MDS);
  });

  it('never goes below the minimum window (§7.2)', () => {
    const cc = new NewReno({ maxDatagramSize: MDS });
    for (let i = 1; i <= 10; i++) cc.onCongestionEvent(i * 100, i * 100 - 1, rtt);
    expect(cc.cwnd).toBe(2 * MDS);
    expect(cc.ssthresh).toBeLessThan(2 * MDS);
  });

  it('collapses to the minimum window on persistent congestion and slow-starts again (§7.6.2)', () => {
    const cc = new NewReno({ maxDatagramSize: MDS });
    cc.onPacketAcked(10, 36000, 0, rtt, false); // 48000
    cc.onCongestionEvent(100, 50, rtt);
    cc.onPersistentCongestion(100);
    expect(cc.cwnd).toBe(2400);
    expect(cc.ssthresh).toBe(24000);
    expect(cc.inRecovery).toBe(false);
    expect(cc.inSlowStart).toBe(true);
    cc.onPacketAcked(200, MDS, 60, rtt, false); // sent before: counts again
    expect(cc.cwnd).toBe(3600);
  });

  it('does not grow while application-limited (§7.8)', () => {
    const cc = new NewReno({ maxDatagramSize: MDS });
    cc.onPacketAcked(10, 6000, 0, rtt, true);
    expect(cc.cwnd).toBe(12000);
    const { lr, cc: c2 } = setup({ confirmed: true });
    send(lr, APP, 0, 0);
    lr.appLimited = true;
    lr.onAckReceived(50 * MS, APP, [{ smallest: 0, largest: 0 }], 0);
    expect(c2.cwnd).toBe(12000);
    expect(lr.bytesInFlight).toBe(0);
  });
});
