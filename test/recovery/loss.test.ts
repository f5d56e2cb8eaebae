import { describe, expect, it } from 'vitest';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { GRANULARITY } from '../../src/recovery/rtt.js';
import { MDS, MS, pns, send, setup } from './helpers.js';

const INITIAL = 0;
const HANDSHAKE = 1;
const APP = 2;

function expectViolation(f: () => unknown, frameType = 0x02): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code).toBe(ErrorCode.PROTOCOL_VIOLATION);
    expect((e as TransportError).frameType).toBe(frameType);
    return;
  }
  throw new Error('expected a PROTOCOL_VIOLATION');
}

describe('LossRecovery: acknowledgement-based loss detection (RFC 9002 §6.1)', () => {
  it('declares packets kPacketThreshold below the largest acknowledged lost (§6.1.1)', () => {
    const { lr, cc } = setup({ confirmed: true });
    for (let pn = 0; pn < 5; pn++) send(lr, APP, pn, pn * MS);
    expect(lr.bytesInFlight).toBe(5 * MDS);
    const cwnd = cc.cwnd;
    const r = lr.onAckReceived(100 * MS, APP, [{ smallest: 3, largest: 4 }], 0);
    expect(pns(r.acked)).toEqual([3, 4]);
    expect(pns(r.lost)).toEqual([0, 1]); // 4 ≥ pn + 3
    expect(r.rttSampled).toBe(true);
    expect(lr.bytesInFlight).toBe(MDS); // packet 2 still in flight
    expect(lr.ackElicitingInFlight(APP)).toBe(1);
    expect(cc.cwnd).toBe(cwnd / 2); // one congestion event (§7.3.2)
    expect(r.lost[0]!.tokens).toEqual([0]);
  });

  it('arms the time-threshold timer and declares the packet lost when it fires (§6.1.2)', () => {
    const { lr, rtt } = setup({ confirmed: true });
    for (let pn = 0; pn < 5; pn++) send(lr, APP, pn, pn * MS);
    lr.onAckReceived(100 * MS, APP, [{ smallest: 3, largest: 4 }], 0);
    // latest_rtt = 96 ms = smoothed: loss delay 9/8 · 96 ms = 108 ms after packet 2 was sent.
    expect(rtt.latest).toBe(96 * MS);
    expect(lr.timeout()).toBe(2 * MS + 108 * MS);
    // Not yet due: nothing happens.
    expect(lr.onTimeout(109 * MS)).toEqual({ lost: [], lostSpace: 0, probe: undefined });
    expect(lr.bytesInFlight).toBe(MDS);
    const r = lr.onTimeout(110 * MS);
    expect(pns(r.lost)).toEqual([2]);
    expect(r.lostSpace).toBe(APP);
    expect(r.probe).toBeUndefined();
    expect(lr.bytesInFlight).toBe(0);
    expect(lr.timeout()).toBeUndefined(); // server, nothing in flight
  });

  it('uses max(smoothed, latest) and at least kGranularity for the time threshold (§6.1.2)', () => {
    const { lr } = setup({ confirmed: true });
    send(lr, APP, 0, 0);
    send(lr, APP, 1, 0);
    // A 100 µs RTT: 9/8 · 100 µs is below kGranularity, so the loss time is 1 ms after sending.
    lr.onAckReceived(100, APP, [{ smallest: 1, largest: 1 }], 0);
    expect(lr.timeout()).toBe(GRANULARITY);
  });

  it('ignores acknowledgements of non-ack-eliciting packets for RTT (§5.1)', () => {
    const { lr, rtt } = setup({ confirmed: true });
    send(lr, APP, 0, 0, { ackEliciting: false, inFlight: false });
    const r = lr.onAckReceived(50 * MS, APP, [{ smallest: 0, largest: 0 }], 0);
    expect(pns(r.acked)).toEqual([0]);
    expect(r.rttSampled).toBe(false);
    expect(rtt.hasSample).toBe(false);
  });

  it('takes an RTT sample only when the largest acknowledged is newly acknowledged (§5.1)', () => {
    const { lr, rtt } = setup({ confirmed: true });
    for (let pn = 0; pn < 3; pn++) send(lr, APP, pn, 0);
    expect(lr.onAckReceived(10 * MS, APP, [{ smallest: 2, largest: 2 }], 0).rttSampled).toBe(true);
    const r = lr.onAckReceived(30 * MS, APP, [{ smallest: 0, largest: 2 }], 0);
    expect(pns(r.acked)).toEqual([0, 1]);
    expect(r.rttSampled).toBe(false);
    expect(rtt.latest).toBe(10 * MS);
  });

  it('ignores the ack delay in the Initial space (§5.3)', () => {
    const a = setup();
    const b = setup();
    for (const [x, space] of [[a, INITIAL], [b, HANDSHAKE]] as const) {
      send(x.lr, space, 0, 0);
      send(x.lr, space, 1, 100 * MS);
      x.lr.onAckReceived(50 * MS, space, [{ smallest: 0, largest: 0 }], 0);
      x.lr.onAckReceived(200 * MS, space, [{ smallest: 1, largest: 1 }], 40 * MS);
    }
    expect(a.rtt.smoothed).toBeCloseTo(0.875 * 50 * MS + 0.125 * 100 * MS, 6);
    expect(b.rtt.smoothed).toBeCloseTo(0.875 * 50 * MS + 0.125 * 60 * MS, 6);
  });

  it('is idempotent for duplicate and overlapping ACKs', () => {
    const { lr, cc } = setup({ confirmed: true });
    for (let pn = 0; pn < 6; pn++) send(lr, APP, pn, pn * MS);
    const r1 = lr.onAckReceived(50 * MS, APP, [{ smallest: 0, largest: 2 }], 0);
    expect(pns(r1.acked)).toEqual([0, 1, 2]);
    const cwnd = cc.cwnd;
    const r2 = lr.onAckReceived(51 * MS, APP, [{ smallest: 0, largest: 2 }], 0);
    expect(r2).toEqual({ acked: [], lost: [], rttSampled: false, ecnCe: false });
    const r3 = lr.onAckReceived(52 * MS, APP, [{ smallest: 4, largest: 5 }, { smallest: 1, largest: 3 }], 0);
    expect(pns(r3.acked)).toEqual([3, 4, 5]);
    expect(lr.bytesInFlight).toBe(0);
    expect(lr.ackElicitingInFlight(APP)).toBe(0);
    expect(cc.cwnd).toBe(cwnd + 3 * MDS); // slow start, each packet once
    expect(lr.largestAcked(APP)).toBe(5);
    expect(lr.largestSent(APP)).toBe(5);
  });

  it('treats an ECN-CE increase as one congestion event (§7.1, B.7)', () => {
    const { lr, cc } = setup({ confirmed: true });
    for (let pn = 0; pn < 4; pn++) send(lr, APP, pn, pn * MS);
    const cwnd = cc.cwnd;
    const r = lr.onAckReceived(50 * MS, APP, [{ smallest: 0, largest: 1 }], 0, { ect0: 2, ect1: 0, ce: 1 });
    expect(r.ecnCe).toBe(true);
    expect(cc.inRecovery).toBe(true);
    expect(cc.cwnd).toBe(cwnd / 2);
    const r2 = lr.onAckReceived(51 * MS, APP, [{ smallest: 2, largest: 2 }], 0, { ect0: 3, ect1: 0, ce: 1 });
    expect(r2.ecnCe).toBe(false);
    // ECN counters are per space.
    send(lr, HANDSHAKE, 0, 60 * MS);
    expect(lr.onAckReceived(70 * MS, HANDSHAKE, [{ smallest: 0, largest: 0 }], 0, { ect0: 0, ect1: 0, ce: 1 }).ecnCe).toBe(true);
  });
});

describe('LossRecovery: invalid acknowledgements (RFC 9000 §13.1)', () => {
  it('rejects an ACK of a packet number never sent', () => {
    const { lr } = setup({ confirmed: true });
    expectViolation(() => lr.onAckReceived(0, APP, [{ smallest: 0, largest: 0 }], 0));
    send(lr, APP, 0, 0);
    send(lr, APP, 1, 0);
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 0, largest: 2 }], 0));
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 0, largest: 2 }], 0, { ect0: 0, ect1: 0, ce: 0 }), 0x03);
    // Another space's numbers do not count.
    expectViolation(() => lr.onAckReceived(MS, HANDSHAKE, [{ smallest: 0, largest: 0 }], 0));
    // Nothing changed.
    expect(lr.bytesInFlight).toBe(2 * MDS);
    expect(lr.largestAcked(APP)).toBeUndefined();
  });

  it('rejects an ACK of a skipped packet number (optimistic ACK defence, RFC 9000 §21.4)', () => {
    const { lr } = setup({ confirmed: true });
    send(lr, APP, 0, 0);
    send(lr, APP, 1, 0);
    lr.skipPacketNumber(APP, 2);
    send(lr, APP, 3, 0);
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 2, largest: 2 }], 0));
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 0, largest: 3 }], 0));
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 3, largest: 3 }, { smallest: 1, largest: 2 }], 0));
    expect(lr.bytesInFlight).toBe(3 * MDS);
    const r = lr.onAckReceived(MS, APP, [{ smallest: 3, largest: 3 }, { smallest: 0, largest: 1 }], 0);
    expect(pns(r.acked)).toEqual([0, 1, 3]);
  });

  it('treats numbers the sender jumped over as skipped', () => {
    const { lr } = setup({ confirmed: true });
    send(lr, APP, 5, 0); // 0..4 never sent
    send(lr, APP, 9, 0); // 6..8 never sent
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 4, largest: 5 }], 0));
    expectViolation(() => lr.onAckReceived(MS, APP, [{ smallest: 9, largest: 9 }, { smallest: 7, largest: 7 }], 0));
    expect(pns(lr.onAckReceived(MS, APP, [{ smallest: 9, largest: 9 }, { smallest: 5, largest: 5 }], 0).acked)).toEqual([5, 9]);
    expect(() => lr.onPacketSent(0, APP, { pn: 9, timeSent: 0, size: 1, ackEliciting: true, inFlight: true, tokens: [] })).toThrow(RangeError);
    expect(() => lr.skipPacketNumber(APP, 3)).toThrow(RangeError);
  });

  it('rejects malformed ranges as FRAME_ENCODING_ERROR', () => {
    const { lr } = setup({ confirmed: true });
    for (let pn = 0; pn < 6; pn++) send(lr, APP, pn, 0);
    expect(() => lr.onAckReceived(MS, APP, [{ smallest: 0, largest: 1 }, { smallest: 3, largest: 4 }], 0)).toThrow(TransportError);
    expect(() => lr.onAckReceived(MS, APP, [{ smallest: 3, largest: 2 }], 0)).toThrow(TransportError);
  });
});

describe('LossRecovery: probe timeout (RFC 9002 §6.2)', () => {
  it('fires after 1·PTO, 2·PTO, 4·PTO with two probes each, and an ACK resets the backoff', () => {
    const { lr } = setup({ confirmed: true });
    send(lr, APP, 0, 0);
    const pto = 999 * MS + 25 * MS; // kInitialRtt-based PTO plus max_ack_delay (Application Data)
    expect(lr.timeout()).toBe(pto);
    let r = lr.onTimeout(pto);
    expect(r).toEqual({ lost: [], lostSpace: 0, probe: { space: APP, count: 2 } });
    expect(lr.ptoCount).toBe(1);
    send(lr, APP, 1, pto);
    send(lr, APP, 2, pto);
    expect(lr.timeout()).toBe(pto + 2 * pto);
    r = lr.onTimeout(3 * pto);
    expect(r.probe).toEqual({ space: APP, count: 2 });
    expect(lr.ptoCount).toBe(2);
    send(lr, APP, 3, 3 * pto);
    expect(lr.timeout()).toBe(3 * pto + 4 * pto);
    // A PTO does not declare anything lost (§6.2).
    expect(lr.bytesInFlight).toBe(4 * MDS);
    lr.onAckReceived(7 * pto, APP, [{ smallest: 3, largest: 3 }], 0);
    expect(lr.ptoCount).toBe(0);
  });

  it('arms on the earlier of Initial and Handshake, and Application Data only after confirmation (§6.2.1)', () => {
    const { lr } = setup({ isServer: false });
    lr.hasHandshakeKeys = true;
    send(lr, INITIAL, 0, 0);
    send(lr, HANDSHAKE, 0, 10 * MS);
    send(lr, APP, 0, 20 * MS);
    expect(lr.timeout()).toBe(999 * MS);
    expect(lr.onTimeout(999 * MS).probe).toEqual({ space: INITIAL, count: 2 });
    lr.discardSpace(INITIAL);
    expect(lr.ptoCount).toBe(0);
    expect(lr.timeout()).toBe(10 * MS + 999 * MS);
    expect(lr.onTimeout(1009 * MS).probe?.space).toBe(HANDSHAKE);
    // Backoff doubles across spaces; Application Data still not armed.
    lr.discardSpace(HANDSHAKE);
    lr.handshakeConfirmed = true;
    expect(lr.timeout()).toBe(20 * MS + 999 * MS + 25 * MS);
    expect(lr.onTimeout(1044 * MS).probe).toEqual({ space: APP, count: 2 });
  });

  it('the Handshake PTO does not include max_ack_delay and App is skipped before confirmation', () => {
    const { lr } = setup({ isServer: true });
    send(lr, APP, 0, 0);
    expect(lr.timeout()).toBeUndefined(); // server: only 1-RTT in flight, not confirmed
    send(lr, HANDSHAKE, 0, 5 * MS);
    expect(lr.timeout()).toBe(5 * MS + 999 * MS);
    lr.handshakeConfirmed = true;
    expect(lr.timeout()).toBe(5 * MS + 999 * MS); // still earlier than the App packet's 999 + 25 ms
    lr.discardSpace(HANDSHAKE);
    expect(lr.timeout()).toBe(999 * MS + 25 * MS);
  });

  it('the client keeps an anti-deadlock PTO until the server validated its address (§6.2.2.1)', () => {
    const { lr } = setup({ isServer: false });
    expect(lr.timeout()).toBeUndefined(); // nothing sent yet
    send(lr, INITIAL, 0, 0);
    lr.onAckReceived(100 * MS, INITIAL, [{ smallest: 0, largest: 0 }], 0);
    // Nothing in flight, yet armed: smoothed 100 ms + 4 · 50 ms from the ACK's arrival.
    expect(lr.ackElicitingInFlight(INITIAL)).toBe(0);
    expect(lr.timeout()).toBe(100 * MS + 300 * MS);
    expect(lr.onTimeout(400 * MS).probe).toEqual({ space: INITIAL, count: 1 });
    expect(lr.ptoCount).toBe(1);
    // An Initial ACK does not reset the client's backoff (§6.2.1).
    send(lr, INITIAL, 1, 400 * MS);
    lr.onAckReceived(500 * MS, INITIAL, [{ smallest: 1, largest: 1 }], 0);
    expect(lr.ptoCount).toBe(1);
    lr.hasHandshakeKeys = true;
    const t = lr.timeout()!;
    expect(lr.onTimeout(t).probe).toEqual({ space: HANDSHAKE, count: 1 });
    // A Handshake ACK proves the server validated the address: no more anti-deadlock timer.
    send(lr, HANDSHAKE, 0, t);
    lr.onAckReceived(t + 50 * MS, HANDSHAKE, [{ smallest: 0, largest: 0 }], 0);
    expect(lr.ptoCount).toBe(0);
    expect(lr.peerCompletedAddressValidation).toBe(true);
    expect(lr.timeout()).toBeUndefined();
  });

  it('the client arms the anti-deadlock PTO with only 0-RTT packets in flight', () => {
    const { lr } = setup({ isServer: false });
    send(lr, APP, 0, 0);
    expect(lr.timeout()).toBe(999 * MS);
    expect(lr.onTimeout(999 * MS).probe).toEqual({ space: INITIAL, count: 1 });
  });

  it('a server at the anti-amplification limit arms no PTO (§6.2.2.1)', () => {
    const { lr } = setup({ isServer: true });
    send(lr, INITIAL, 0, 0);
    lr.amplificationLimited = true;
    expect(lr.timeout()).toBeUndefined();
    expect(lr.onTimeout(10_000 * MS)).toEqual({ lost: [], lostSpace: 0, probe: undefined });
    expect(lr.ptoCount).toBe(0);
    lr.amplificationLimited = false;
    // Now in the past: the connection runs it at once.
    expect(lr.timeout()).toBe(999 * MS);
    expect(lr.onTimeout(10_000 * MS).probe).toEqual({ space: INITIAL, count: 2 });
  });

  it('the time-threshold timer takes precedence over the PTO (§6.2.1)', () => {
    const { lr } = setup({ confirmed: true });
    send(lr, APP, 0, 0);
    send(lr, APP, 1, 10 * MS);
    send(lr, APP, 2, 20 * MS);
    lr.onAckReceived(120 * MS, APP, [{ smallest: 1, largest: 1 }], 0);
    // loss time of 0: 9/8 · 110 ms; the PTO of packet 2 would be far later.
    expect(lr.timeout()).toBe(Math.ceil(0 + (9 / 8) * 110 * MS));
  });
});

describe('LossRecovery: discarding a space (RFC 9002 §6.4)', () => {
  it('removes its packets from bytes in flight and resets the PTO backoff', () => {
    const { lr, cc } = setup({ isServer: true });
    send(lr, INITIAL, 0, 0);
    send(lr, INITIAL, 1, 0, { ackEliciting: false });
    send(lr, INITIAL, 2, 0, { ackEliciting: false, inFlight: false, size: 50 });
    send(lr, HANDSHAKE, 0, 0);
    lr.onTimeout(999 * MS);
    expect(lr.ptoCount).toBe(1);
    const cwnd = cc.cwnd;
    const removed = lr.discardSpace(INITIAL);
    expect(pns(removed)).toEqual([0, 1, 2]);
    expect(lr.bytesInFlight).toBe(MDS);
    expect(lr.ptoCount).toBe(0);
    expect(lr.ackElicitingInFlight(INITIAL)).toBe(0);
    expect(lr.outstanding(INITIAL)).toBe(0);
    expect(cc.cwnd).toBe(cwnd); // not a congestion signal
    expect(lr.timeout()).toBe(999 * MS); // only the Handshake packet is left
    lr.discardSpace(HANDSHAKE);
    expect(lr.bytesInFlight).toBe(0);
    expect(lr.timeout()).toBeUndefined();
  });
});

describe('LossRecovery: the PTO ceiling (TransportSettings.ptoCeilingMs)', () => {
  it('doubles up to the ceiling, then spaces the probes by it', () => {
    const { lr } = setup({ confirmed: true });
    lr.ptoCeiling = 3000 * MS;
    const pto = 999 * MS + 25 * MS;
    let t = 0;
    send(lr, APP, 0, t);
    const gaps: number[] = [];
    for (let pn = 1; pn <= 12; pn += 2) {
      const due = lr.timeout()!;
      gaps.push(due - t);
      expect(lr.onTimeout(due).probe?.space).toBe(APP);
      t = due;
      send(lr, APP, pn, t);
      send(lr, APP, pn + 1, t);
    }
    expect(gaps).toEqual([pto, 2 * pto, 3000 * MS, 3000 * MS, 3000 * MS, 3000 * MS]);
    expect(lr.ptoCount).toBe(6);
  });

  it('counts a capped period from the last expiry when no probe could be sent (no timer spin)', () => {
    const { lr } = setup({ confirmed: true });
    lr.ptoCeiling = 3000 * MS;
    send(lr, APP, 0, 0);
    let t = 0;
    // Expiries without sending anything (the 3× limit of an unvalidated address held the probes back).
    for (let i = 0; i < 6; i++) {
      const due = lr.timeout()!;
      expect(due).toBeGreaterThan(t);
      lr.onTimeout(due);
      t = due;
    }
    expect(lr.timeout()! - t).toBe(3000 * MS);
  });

  it('never goes below the un-backed-off PTO, and does not apply before the handshake is confirmed', () => {
    const { lr } = setup({ confirmed: true });
    lr.ptoCeiling = 10 * MS;
    send(lr, APP, 0, 0);
    expect(lr.timeout()).toBe(999 * MS + 25 * MS);
    const hs = setup({ confirmed: false }).lr;
    hs.ptoCeiling = 10 * MS;
    send(hs, HANDSHAKE, 0, 0);
    const first = hs.timeout()!;
    hs.onTimeout(first);
    send(hs, HANDSHAKE, 1, first);
    expect(hs.timeout()! - first).toBe(2 * 999 * MS);
  });
});
