/** flow/credit.ts: SendCredit and RecvWindow (RFC 9000 §4.1, §4.2, §4.6). */
import { describe, expect, it } from 'vitest';
import { RecvWindow, SendCredit } from '../../src/flow/credit.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { fc } from '../support/fc.js';

const MS = 1000;

describe('SendCredit', () => {
  it('consumes up to the limit and throws RangeError beyond (a local bug)', () => {
    const c = new SendCredit(10);
    c.consume(4);
    expect(c.available).toBe(6);
    c.consume(6);
    expect(c.available).toBe(0);
    expect(() => c.consume(1)).toThrow(RangeError);
  });

  it('§4.1: only increases are applied; smaller MAX_* values are ignored', () => {
    const c = new SendCredit(100);
    expect(c.raise(50)).toBe(false);
    expect(c.raise(100)).toBe(false);
    expect(c.limit).toBe(100);
    expect(c.raise(150)).toBe(true);
    expect(c.limit).toBe(150);
  });

  it('§4.1/§13.3: one *_BLOCKED per limit, again after a loss while still blocked', () => {
    const c = new SendCredit(10);
    expect(c.shouldSendBlocked).toBe(false);
    c.consume(10);
    expect(c.shouldSendBlocked).toBe(true);
    c.markBlockedSent();
    expect(c.shouldSendBlocked).toBe(false);
    c.onBlockedLost(10);
    expect(c.shouldSendBlocked).toBe(true);
    c.markBlockedSent();
    c.raise(20);
    expect(c.shouldSendBlocked).toBe(false); // no longer blocked
    c.onBlockedLost(10); // a stale loss: not blocked at that limit any more
    c.consume(10);
    expect(c.shouldSendBlocked).toBe(true); // blocked at the new limit
    c.markBlockedSent();
    c.onBlockedLost(10); // an old frame for another limit
    expect(c.shouldSendBlocked).toBe(false);
  });
});

describe('RecvWindow', () => {
  it('§4.1: exceeding the advertised limit is FLOW_CONTROL_ERROR with the frame type', () => {
    const w = new RecvWindow({ initial: 100, max: 1000 });
    expect(w.onReceive(100, 0x08)).toBe(100);
    try {
      w.onReceive(101, 0x0a);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TransportError);
      expect((e as TransportError).code).toBe(ErrorCode.FLOW_CONTROL_ERROR);
      expect((e as TransportError).frameType).toBe(0x0a);
    }
  });

  it('counts only new bytes (duplicates and lower offsets are free)', () => {
    const w = new RecvWindow({ initial: 100, max: 100 });
    expect(w.onReceive(40, 8)).toBe(40);
    expect(w.onReceive(30, 8)).toBe(0);
    expect(w.onReceive(40, 8)).toBe(0);
    expect(w.onReceive(50, 8)).toBe(10);
    expect(w.received).toBe(50);
  });

  it('§4.2: asks for an update once half the window is consumed', () => {
    const w = new RecvWindow({ initial: 100, max: 100 });
    w.onReceive(100, 8);
    w.onConsume(49);
    expect(w.shouldUpdate()).toBe(false);
    w.onConsume(1);
    expect(w.shouldUpdate()).toBe(true);
    expect(w.nextLimit(0, 10 * MS)).toBe(150);
    expect(w.limit).toBe(150);
    expect(w.shouldUpdate()).toBe(false);
  });

  it('a zero window never asks for updates', () => {
    const w = new RecvWindow({ initial: 0, max: 0 });
    expect(w.shouldUpdate()).toBe(false);
  });

  it('auto-tuning doubles the window when updates come within 2 RTTs (virtual time)', () => {
    const rtt = 20 * MS;
    const w = new RecvWindow({ initial: 1000, max: 16_000 });
    let now = 0;
    const windows: number[] = [];
    // The app consumes a full window every 10 ms: updates come every < 2 RTT.
    for (let i = 0; i < 10; i++) {
      w.onReceive(w.limit, 8);
      w.onConsume(w.received - w.consumed);
      expect(w.shouldUpdate()).toBe(true);
      w.nextLimit(now, rtt);
      windows.push(w.window);
      now += 10 * MS;
    }
    expect(windows).toEqual([1000, 2000, 4000, 8000, 16000, 16000, 16000, 16000, 16000, 16000]);
  });

  it('does not grow the window when updates are slower than 2 RTTs', () => {
    const rtt = 20 * MS;
    const w = new RecvWindow({ initial: 1000, max: 16_000 });
    let now = 0;
    for (let i = 0; i < 10; i++) {
      w.onReceive(w.limit, 8);
      w.onConsume(w.received - w.consumed);
      w.nextLimit(now, rtt);
      now += 50 * MS;
    }
    expect(w.window).toBe(1000);
  });

  it('property: window ≤ max, limit never shrinks, the peer is never over the limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.record({ recv: fc.nat(5000), read: fc.nat(5000), dt: fc.nat(100 * MS), rtt: fc.nat(50 * MS) }), { maxLength: 60 }),
        (initial, max, steps) => {
          const w = new RecvWindow({ initial, max });
          const cap = Math.max(initial, max);
          let now = 0;
          let prevLimit = w.limit;
          for (const s of steps) {
            const end = Math.min(w.limit, w.received + s.recv);
            w.onReceive(end, 8);
            w.onConsume(Math.min(s.read, w.received - w.consumed));
            now += s.dt;
            if (w.shouldUpdate()) w.nextLimit(now, s.rtt);
            expect(w.window).toBeLessThanOrEqual(cap);
            expect(w.limit).toBeGreaterThanOrEqual(prevLimit);
            expect(w.limit - w.consumed).toBeLessThanOrEqual(cap);
            prevLimit = w.limit;
          }
        },
      ),
    );
  });

  it('ensureWindow raises the window up to max', () => {
    const w = new RecvWindow({ initial: 100, max: 1000 });
    w.ensureWindow(500);
    expect(w.window).toBe(500);
    w.ensureWindow(5000);
    expect(w.window).toBe(1000);
    w.ensureWindow(10);
    expect(w.window).toBe(1000);
  });
});
