/**
 * Delivery-rate samples (draft-cheng-iccrg-delivery-rate-estimation) and the per-ACK event the
 * loss recovery hands to model-based and scalable-ECN controllers (cc/types.ts AckEvent).
 */
import { describe, expect, it } from 'vitest';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import type { AckEvent } from '../../src/recovery/cc/types.js';
import { MDS, MS, send, setup } from './helpers.js';

/** NewReno that records the ACK events it gets (copies: the event object is reused). */
class Recording extends NewReno {
  events: AckEvent[] = [];
  losses: number[] = [];
  ecnCodepoint: 'ect0' | 'ect1' | undefined;
  classicEvents = 0;
  onAckEvent(_now: number, e: AckEvent): void {
    this.events.push({ ...e, sample: e.sample ? { ...e.sample } : undefined });
  }
  onPacketLost(_now: number, bytes: number): void {
    this.losses.push(bytes);
  }
  override onCongestionEvent(now: number, timeSent: number, rtt: Parameters<NewReno['onCongestionEvent']>[2]): void {
    this.classicEvents++;
    super.onCongestionEvent(now, timeSent, rtt);
  }
}

describe('delivery-rate samples and ACK events', () => {
  it('a paced flight through a 10 Mbps bottleneck samples ~10 Mbps', () => {
    const cc = new Recording({ maxDatagramSize: MDS });
    const { lr } = setup({ cc, confirmed: true });
    // One 1200-byte packet every 0.96 ms = 10 Mbit/s; each acknowledged 40 ms later, one ACK per packet.
    const gap = 960;
    let pn = 0;
    for (let t = 0; t < 400 * MS; t += gap) {
      send(lr, 2, pn++, t);
      const acked = pn - 1 - Math.round((40 * MS) / gap);
      if (acked >= 0) lr.onAckReceived(t, 2, [{ smallest: 0, largest: acked }], 0);
    }
    const samples = cc.events.map((e) => e.sample!).filter((s) => s !== undefined);
    expect(samples.length).toBeGreaterThan(300);
    const last = samples.at(-1)!;
    expect(last.deliveryRate * 8).toBeGreaterThan(9.5e6);
    expect(last.deliveryRate * 8).toBeLessThan(10.5e6);
    expect(last.rtt).toBeGreaterThanOrEqual(40 * MS - gap);
    expect(last.txInFlight).toBeGreaterThan(35 * MDS);
    expect(last.totalDelivered).toBe(lr.rate.delivered);
    expect(cc.events.at(-1)!.ackedBytes).toBe(MDS);
  });

  it('samples taken after an application-limited bubble are marked until it is delivered', () => {
    const cc = new Recording({ maxDatagramSize: MDS });
    const { lr } = setup({ cc, confirmed: true });
    send(lr, 2, 0, 0);
    lr.appLimited = true;
    send(lr, 2, 1, 1 * MS);
    lr.onAckReceived(30 * MS, 2, [{ smallest: 0, largest: 1 }], 0);
    expect(cc.events.at(-1)!.sample!.isAppLimited).toBe(true);
    lr.appLimited = false;
    send(lr, 2, 2, 31 * MS);
    lr.onAckReceived(61 * MS, 2, [{ smallest: 2, largest: 2 }], 0);
    expect(cc.events.at(-1)!.sample!.isAppLimited).toBe(false);
  });

  it('losses are reported per packet and counted in later samples; CE goes to onAckEvent, and is classic only for ECT(0) controllers', () => {
    for (const codepoint of ['ect0', 'ect1'] as const) {
      const cc = new Recording({ maxDatagramSize: MDS });
      cc.ecnCodepoint = codepoint;
      const { lr } = setup({ cc, confirmed: true });
      for (let i = 0; i < 6; i++) send(lr, 2, i, i * MS, { ect: true });
      // 0 and 1 lost (three later packets acked), 2..5 acked, 2 of them CE-marked.
      lr.onAckReceived(40 * MS, 2, [{ smallest: 2, largest: 5 }], 0, { ect0: codepoint === 'ect0' ? 2 : 0, ect1: codepoint === 'ect1' ? 2 : 0, ce: 2 });
      const e = cc.events.at(-1)!;
      expect(cc.losses).toEqual([MDS, MDS]);
      expect(e.lostBytes).toBe(2 * MDS);
      expect(e.ceDelta).toBe(2);
      expect(e.ectAcked).toBe(4);
      expect(e.sample!.lost).toBe(2 * MDS);
      // The loss is one classic event; CE adds another only for the classic codepoint (one per
      // recovery period in NewReno, but the call itself is what differs).
      expect(cc.classicEvents).toBe(codepoint === 'ect0' ? 2 : 1);
    }
  });
});

describe('ECN validation with ECT(1) (RFC 9000 §13.4.2.1, RFC 9331)', () => {
  it('an ECT(1) sender validates on ECT(1)+CE counts and fails on ECT(0) counts or bleaching', async () => {
    const { EcnValidator } = await import('../../src/recovery/ecn.js');
    const mk = () => {
      const v = new EcnValidator(true);
      v.codepoint = 'ect1';
      const sent = [0, 1, 2].map((pn) => ({ pn, timeSent: 0, size: MDS, ackEliciting: true, inFlight: true, tokens: [], ect: true }));
      for (const p of sent) v.onPacketSent(0, 2, p);
      return { v, sent };
    };
    let { v, sent } = mk();
    v.onAckReceived(1, 2, 2, sent, { ect0: 0, ect1: 2, ce: 1 });
    expect(v.state).toBe('capable');
    ({ v, sent } = mk());
    v.onAckReceived(1, 2, 2, sent, { ect0: 3, ect1: 0, ce: 0 });
    expect(v.state).toBe('failed');
    expect(v.failReason).toMatch(/ECT\(1\)/);
    ({ v, sent } = mk());
    v.onAckReceived(1, 2, 2, sent, { ect0: 0, ect1: 1, ce: 0 });
    expect(v.state).toBe('failed');
  });
});
