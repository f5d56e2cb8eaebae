/** streams/send-stream.ts: the sending state machine (RFC 9000 §3.1), send buffer, loss and ack. */
import { describe, expect, it } from 'vitest';
import { ACK_FINISHED, ACK_WRITABLE, COALESCE_BELOW, SendStream, type SendSlice } from '../../src/streams/send-stream.js';
import { StreamStoppedError } from '../../src/streams/types.js';
import { fc } from '../support/fc.js';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const scratch = (): SendSlice => ({ offset: 0, buf: new Uint8Array(0), start: 0, length: 0, fin: false });
const dataOf = (sl: SendSlice): Uint8Array => sl.buf.subarray(sl.start, sl.start + sl.length);

/** Sends everything sendable in frames of at most `max` bytes; returns the frames. */
function sendAll(s: SendStream, max = 1000, conn = Infinity): Array<{ offset: number; length: number; fin: boolean; data: Uint8Array }> {
  const out = [];
  for (let sl = s.next(max, conn, scratch()); sl !== undefined; sl = s.next(max, conn, scratch())) {
    out.push({ offset: sl.offset, length: sl.length, fin: sl.fin, data: dataOf(sl).slice() });
    conn -= s.onSent(sl.offset, sl.length, sl.fin);
  }
  return out;
}

describe('SendStream state machine (§3.1)', () => {
  it('Ready → Send → Data Sent → Data Recvd', () => {
    const s = new SendStream(0, 1000, 10_000);
    expect(s.state).toBe('ready');
    s.write(bytes(300));
    const first = sendAll(s, 200);
    expect(first.map((f) => f.length)).toEqual([200, 100]);
    expect(s.state).toBe('send');
    s.finish();
    const frames = sendAll(s, 200);
    expect(frames).toMatchObject([{ offset: 300, length: 0, fin: true }]);
    expect(s.state).toBe('data_sent');
    expect(s.onAcked(0, 200, false)).toBe(0);
    let bits = 0;
    for (const f of [...frames, first[1]!]) bits |= s.onAcked(f.offset, f.length, f.fin);
    expect(bits & ACK_FINISHED).toBeTruthy();
    expect(s.state).toBe('data_recvd');
    expect(s.isTerminal).toBe(true);
  });

  it('an empty stream finished at once sends a lone FIN at offset 0', () => {
    const s = new SendStream(0, 0, 100);
    s.finish();
    const frames = sendAll(s);
    expect(frames).toEqual([{ offset: 0, length: 0, fin: true, data: new Uint8Array(0) }]);
    expect(s.state).toBe('data_sent');
    expect(s.onAcked(0, 0, true)).toBe(ACK_FINISHED);
  });

  it('Ready/Send/Data Sent → Reset Sent → Reset Recvd; the final size is the highest offset sent', () => {
    for (const phase of ['ready', 'send', 'data_sent'] as const) {
      const s = new SendStream(0, 100, 1000);
      s.write(bytes(300));
      if (phase !== 'ready') sendAll(s, 60);
      if (phase === 'data_sent') {
        s.credit.raise(300);
        s.finish();
        sendAll(s);
      }
      expect(s.state).toBe(phase);
      expect(s.reset(7)).toBe(true);
      expect(s.state).toBe('reset_sent');
      expect(s.finalSize).toBe(phase === 'ready' ? 0 : phase === 'send' ? 100 : 300);
      expect(s.next(1000, 1000, scratch())).toBeUndefined(); // §13.3: no STREAM after RESET_STREAM
      expect(s.onLost(0, 60, false)).toBe(false);
      expect(s.reset(8)).toBe(false);
      s.onResetAcked();
      expect(s.state).toBe('reset_recvd');
      expect(() => s.write(bytes(1))).toThrow(StreamStoppedError);
    }
  });

  it('cannot be reset once Data Recvd', () => {
    const s = new SendStream(0, 100, 1000);
    s.write(bytes(10), true);
    sendAll(s);
    s.onAcked(0, 10, true);
    expect(s.state).toBe('data_recvd');
    expect(s.reset(1)).toBe(false);
  });

  it('write after finish is a RangeError', () => {
    const s = new SendStream(0, 100, 1000);
    s.write(bytes(10), true);
    expect(() => s.write(bytes(1))).toThrow(RangeError);
  });
});

describe('SendStream buffer', () => {
  it('respects stream and connection credit', () => {
    const s = new SendStream(0, 100, 10_000);
    s.write(bytes(1000));
    expect(sendAll(s, 1000, 60).reduce((n, f) => n + f.length, 0)).toBe(60);
    expect(sendAll(s, 1000).reduce((n, f) => n + f.length, 0)).toBe(40);
    expect(s.blockedByStreamCredit).toBe(true);
    expect(s.credit.shouldSendBlocked).toBe(true);
    s.credit.raise(1000);
    expect(s.blockedByStreamCredit).toBe(false);
    expect(sendAll(s).reduce((n, f) => n + f.length, 0)).toBe(900);
  });

  it('retransmits exactly the lost ranges, before new data, minus what was acked since', () => {
    const s = new SendStream(0, 10_000, 10_000);
    s.write(bytes(1000));
    const frames = sendAll(s, 100); // 10 frames
    s.write(bytes(500, 9));
    s.onLost(200, 100, false);
    s.onLost(500, 200, false); // covers two frames
    s.onAcked(600, 100, false); // the second half arrives late: spurious loss
    expect(s.lostRanges()).toEqual([[200, 300], [500, 600]]);
    const re = sendAll(s, 1000);
    expect(re.slice(0, 2).map((f) => [f.offset, f.length])).toEqual([[200, 100], [500, 100]]);
    expect(re[0]!.data).toEqual(frames[2]!.data);
    expect(re[2]!.offset).toBe(1000); // then new data
    expect(s.lostRanges()).toEqual([]);
  });

  it('acknowledged bytes are released; backpressure and the writable signal', () => {
    const s = new SendStream(0, 100_000, 1000);
    expect(s.write(bytes(600))).toBe(600);
    expect(s.write(bytes(600))).toBe(400); // only the free space
    expect(s.writeBlocked).toBe(true);
    expect(s.write(bytes(10))).toBe(0);
    const frames = sendAll(s, 250);
    expect(s.buffered).toBe(1000);
    expect(s.onAcked(frames[1]!.offset, frames[1]!.length, false)).toBe(0); // a hole at 0: nothing released
    expect(s.buffered).toBe(1000);
    expect(s.onAcked(frames[0]!.offset, frames[0]!.length, false) & ACK_WRITABLE).toBeTruthy();
    expect(s.buffered).toBe(500);
    expect(s.ackedEnd).toBe(500);
    expect(s.write(bytes(600))).toBe(500);
  });

  it('lost FIN alone is resent as an empty frame at the final size', () => {
    const s = new SendStream(0, 1000, 1000);
    s.write(bytes(100));
    sendAll(s);
    s.finish();
    const [fin] = sendAll(s);
    expect(fin).toMatchObject({ offset: 100, length: 0, fin: true });
    s.onAcked(0, 100, false);
    s.onLost(100, 0, true);
    expect(sendAll(s)).toMatchObject([{ offset: 100, length: 0, fin: true }]);
    expect(s.onAcked(100, 0, true)).toBe(ACK_FINISHED);
  });

  it('coalesces small writes into one frame; large writes are kept by reference', () => {
    const s = new SendStream(0, 100_000, 100_000);
    for (let i = 0; i < 20; i++) s.write(bytes(10, i));
    const big = bytes(COALESCE_BELOW * 4);
    s.write(big);
    const sl = s.next(10_000, 100_000, scratch())!;
    expect(sl.length).toBe(200);
    s.onSent(sl.offset, sl.length, false);
    const sl2 = s.next(10_000, 100_000, scratch())!;
    expect(sl2.buf.buffer).toBe(big.buffer); // the application's buffer, no copy
  });

  it('property: any loss/ack pattern delivers every byte exactly as written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 300 }),
        (writes, lossPattern, mtu) => {
          const s = new SendStream(0, 1e9, 1e9);
          const all: number[] = [];
          writes.forEach((n, i) => {
            const b = bytes(n, i);
            all.push(...b);
            s.write(b);
          });
          s.finish();
          const received = new Uint8Array(all.length);
          let k = 0;
          let gotFin = false;
          for (let round = 0; round < 10_000 && s.state !== 'data_recvd'; round++) {
            const sl = s.next(mtu, Infinity, scratch());
            if (sl === undefined) break;
            const f = { offset: sl.offset, length: sl.length, fin: sl.fin, data: dataOf(sl).slice() };
            s.onSent(f.offset, f.length, f.fin);
            if (lossPattern[k++ % lossPattern.length]! && round < 500) {
              s.onLost(f.offset, f.length, f.fin);
            } else {
              received.set(f.data, f.offset);
              gotFin ||= f.fin;
              s.onAcked(f.offset, f.length, f.fin);
            }
          }
          expect(s.state).toBe('data_recvd');
          expect(gotFin).toBe(true);
          expect(Array.from(received)).toEqual(all);
          expect(s.buffered).toBe(0);
        },
      ),
    );
  });
});
