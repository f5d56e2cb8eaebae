/**
 * RFC 9002 §7.6.3: the persistent congestion example, one time unit = 1 s, with
 * smoothed_rtt + max(4·rttvar, kGranularity) + max_ack_delay = 2 at the time of the loss.
 * The example's connection is established: an RTT sample exists before packet #1 is sent (§7.6.2
 * counts only packets sent after the first sample), so packet #0 is acknowledged first, and the
 * example's times are shifted by T0.
 */
import { describe, expect, it } from 'vitest';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import { MDS, S, pns, send, setup } from './helpers.js';

const APP = 2;
const T0 = 10 * S;

interface Variant {
  /** send time of packet #2 (1 in the RFC) */
  t2?: number;
  /** RTT samples before the losses (the RFC's connection has them) */
  earlySample?: boolean;
  /** packets acknowledged at t = 12.2 besides #9 */
  alsoAcked?: number[];
  /** packets that are not ack-eliciting */
  notAckEliciting?: number[];
}

function run(v: Variant = {}) {
  const cc = new NewReno({ maxDatagramSize: MDS });
  let pc = 0;
  const onPc = cc.onPersistentCongestion.bind(cc);
  cc.onPersistentCongestion = (now) => {
    pc++;
    onPc(now);
  };
  const { lr, rtt } = setup({ cc, maxAckDelay: 0, confirmed: true });
  const times: Record<number, number> = { 1: 0, 2: v.t2 ?? 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 8, 9: 12 };
  const sendN = (n: number) => send(lr, APP, n, T0 + times[n]! * S, { ackEliciting: !(v.notAckEliciting ?? []).includes(n) });
  const early = v.earlySample ?? true;
  send(lr, APP, 0, T0 - 2 * S);
  if (early) lr.onAckReceived(T0 - 1 * S, APP, [{ smallest: 0, largest: 0 }], 0);
  sendN(1);
  sendN(2);
  if (early) {
    lr.onAckReceived(T0 + 1.2 * S, APP, [{ smallest: 1, largest: 1 }], 0);
    // Chosen so that the sample of 0.2 taken at t = 12.2 leaves smoothed 0.2 and 4·rttvar 1.8.
    rtt.smoothed = 0.2 * S;
    rtt.rttvar = 0.6 * S;
  }
  for (let n = 3; n <= 9; n++) sendN(n);
  const ranges = [{ smallest: 9, largest: 9 }];
  if (!early) ranges.push({ smallest: 1, largest: 1 });
  for (const n of (v.alsoAcked ?? []).sort((a, b) => b - a)) ranges.push({ smallest: n, largest: n });
  const cwndBefore = cc.cwnd;
  const r = lr.onAckReceived(T0 + 12.2 * S, APP, ranges, 0);
  return { r, cc, rtt, lr, halved: Math.floor(cwndBefore / 2), pcCalls: () => pc };
}

describe('persistent congestion (RFC 9002 §7.6)', () => {
  it('the §7.6.3 example: packets 2–8 lost over 7 > 3·2 units collapse the window', () => {
    const { r, cc, rtt, lr, halved, pcCalls } = run();
    expect(rtt.pto(0, true)).toBeCloseTo(2 * S, 3);
    expect(pns(r.lost)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    // B.8 collapses the window to kMinimumWindow; the acknowledgement of #9 (processed after the
    // losses, A.7) then grows it in slow start by one packet.
    expect(pcCalls()).toBe(1);
    expect(cc.cwnd).toBe(cc.minimumWindow + MDS);
    expect(cc.inSlowStart).toBe(true);
    expect(cc.inRecovery).toBe(false);
    expect(cc.ssthresh).toBe(halved); // set by the congestion event of the same losses
    expect(lr.bytesInFlight).toBe(0);
  });

  it('is not declared when a packet sent in between was acknowledged', () => {
    const { r, cc, halved } = run({ alsoAcked: [5] });
    expect(pns(r.lost)).toEqual([2, 3, 4, 6, 7, 8]);
    expect(cc.cwnd).toBe(halved); // an ordinary halving
  });

  it('is not declared when the span only equals the duration', () => {
    const { cc, halved } = run({ t2: 2 }); // 8 − 2 = 6, not > 6
    expect(cc.cwnd).toBe(halved);
  });

  it('needs ack-eliciting packets at both ends', () => {
    const { r, cc, halved } = run({ notAckEliciting: [2, 8] }); // ack-eliciting span 2 … 6
    expect(r.lost.length).toBe(7);
    expect(cc.cwnd).toBe(halved);
  });

  it('needs an RTT sample before the packets were sent (§7.6.2)', () => {
    const { r, cc, halved } = run({ earlySample: false });
    expect(pns(r.lost)).toEqual([0, 2, 3, 4, 5, 6, 7, 8]);
    expect(cc.cwnd).toBe(halved);
  });
});
