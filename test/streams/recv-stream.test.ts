/** streams/recv-stream.ts: the receiving state machine (RFC 9000 §3.2) and final size (§4.5). */
import { describe, expect, it } from 'vitest';
import { RecvStream } from '../../src/streams/recv-stream.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

function code(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof TransportError) return e.code;
    throw e;
  }
  return undefined;
}

describe('RecvStream state machine (§3.2)', () => {
  it('Recv → Size Known → Data Recvd → Data Read', () => {
    const r = new RecvStream(1000, 1000);
    expect(r.state).toBe('recv');
    r.onData(10, bytes(10, 10), true, 0x0f);
    expect(r.state).toBe('size_known');
    expect(r.finalSize).toBe(20);
    r.onData(0, bytes(10), false, 0x0a);
    expect(r.state).toBe('data_recvd');
    expect(r.read(15)).toMatchObject({ fin: false });
    expect(r.state).toBe('data_recvd');
    expect(r.read()).toMatchObject({ fin: true });
    expect(r.state).toBe('data_read');
    expect(r.isTerminal).toBe(true);
    expect(r.read()).toBeUndefined();
  });

  it('a FIN after everything was read is delivered as empty data with fin', () => {
    const r = new RecvStream(1000, 1000);
    r.onData(0, bytes(5), false, 0x0a);
    expect(r.read()!.data.length).toBe(5);
    expect(r.read()).toBeUndefined();
    r.onData(5, new Uint8Array(0), true, 0x0f);
    expect(r.hasReadable).toBe(true);
    const last = r.read()!;
    expect(last.fin).toBe(true);
    expect(last.data.length).toBe(0);
    expect(r.state).toBe('data_read');
  });

  it('Recv / Size Known → Reset Recvd → Reset Read; buffered data is discarded', () => {
    for (const fin of [false, true]) {
      const r = new RecvStream(1000, 1000);
      r.onData(10, bytes(10), fin, 0x0e);
      expect(r.state).toBe(fin ? 'size_known' : 'recv');
      r.onReset(3, 20, 0x04);
      expect(r.state).toBe('reset_recvd');
      expect(r.resetCode).toBe(3);
      expect(r.buf.buffered).toBe(0);
      expect(r.hasReadable).toBe(false);
      r.onData(0, bytes(10), false, 0x0a); // late data is ignored
      expect(r.buf.buffered).toBe(0);
      expect(r.read()).toBeUndefined();
      expect(r.state).toBe('reset_read');
    }
  });

  it('a RESET_STREAM in Data Recvd is suppressed: the data is still delivered', () => {
    const r = new RecvStream(1000, 1000);
    r.onData(0, bytes(10), true, 0x0b);
    expect(r.state).toBe('data_recvd');
    r.onReset(1, 10, 0x04);
    expect(r.state).toBe('data_recvd');
    expect(r.read()).toMatchObject({ fin: true });
  });

  it('STOP_SENDING: only in Recv / Size Known; later data is discarded but still counted', () => {
    const r = new RecvStream(1000, 1000);
    r.onData(0, bytes(10), false, 0x0a);
    expect(r.stopSending(9)).toBe(true);
    expect(r.stopPending).toBe(true);
    expect(r.stopSending(9)).toBe(false); // once
    expect(r.buf.buffered).toBe(0);
    expect(r.onData(10, bytes(10), false, 0x0e)).toBe(10);
    expect(r.buf.buffered).toBe(0);
    expect(r.read()).toBeUndefined();
    expect(r.wantsWindowUpdates).toBe(false);
    // The peer finishes instead of resetting: all data received → Data Read (nothing to deliver).
    r.onData(20, bytes(1), true, 0x0f);
    expect(r.state).toBe('data_read');

    const done = new RecvStream(1000, 1000);
    done.onData(0, bytes(3), true, 0x0b);
    expect(done.stopSending(1)).toBe(false); // §3.5: little value in Data Recvd
    expect(done.state).toBe('data_read');
  });
});

describe('final size and flow control (§4.5, §4.1)', () => {
  it('data beyond the final size is FINAL_SIZE_ERROR', () => {
    const r = new RecvStream(1000, 1000);
    r.onData(0, bytes(10), true, 0x0b);
    expect(code(() => r.onData(5, bytes(10), false, 0x0e))).toBe(ErrorCode.FINAL_SIZE_ERROR);
  });

  it('a FIN changing the final size is FINAL_SIZE_ERROR (larger or smaller)', () => {
    const r = new RecvStream(1000, 1000);
    r.onData(0, bytes(10), true, 0x0b);
    expect(code(() => r.onData(0, bytes(11), true, 0x0b))).toBe(ErrorCode.FINAL_SIZE_ERROR);
    expect(code(() => r.onData(0, bytes(9), true, 0x0b))).toBe(ErrorCode.FINAL_SIZE_ERROR);
    expect(code(() => r.onData(0, bytes(10), true, 0x0b))).toBeUndefined(); // a retransmission
  });

  it('a FIN below data already received is FINAL_SIZE_ERROR', () => {
    const r = new RecvStream(1000, 1000);
    r.onData(50, bytes(10), false, 0x0e);
    expect(code(() => r.onData(0, bytes(20), true, 0x0b))).toBe(ErrorCode.FINAL_SIZE_ERROR);
  });

  it('RESET_STREAM: final size different from a known one, or below received data, is FINAL_SIZE_ERROR', () => {
    const a = new RecvStream(1000, 1000);
    a.onData(0, bytes(10), true, 0x0b);
    expect(code(() => a.onReset(0, 11, 0x04))).toBe(ErrorCode.FINAL_SIZE_ERROR);
    const b = new RecvStream(1000, 1000);
    b.onData(0, bytes(30), false, 0x0a);
    expect(code(() => b.onReset(0, 29, 0x04))).toBe(ErrorCode.FINAL_SIZE_ERROR);
    const c = new RecvStream(1000, 1000);
    c.onReset(0, 40, 0x04);
    expect(code(() => c.onData(35, bytes(10), false, 0x0e))).toBe(ErrorCode.FINAL_SIZE_ERROR); // even after reset
    expect(code(() => c.onReset(0, 41, 0x04))).toBe(ErrorCode.FINAL_SIZE_ERROR);
    expect(code(() => c.onReset(0, 40, 0x04))).toBeUndefined();
  });

  it('stream data or a RESET_STREAM final size beyond the window is FLOW_CONTROL_ERROR', () => {
    const r = new RecvStream(100, 100);
    expect(code(() => r.onData(90, bytes(11), false, 0x0e))).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    const s = new RecvStream(100, 100);
    expect(code(() => s.onReset(0, 101, 0x04))).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('duplicates are not counted twice toward flow control', () => {
    const r = new RecvStream(100, 100);
    expect(r.onData(0, bytes(50), false, 0x0a)).toBe(50);
    expect(r.onData(0, bytes(50), false, 0x0a)).toBe(0);
    expect(r.onData(40, bytes(20), false, 0x0e)).toBe(10);
    expect(r.onReset(0, 80, 0x04)).toBe(20);
  });
});
