/**
 * StreamManager: every transport error an incoming stream frame can cause (RFC 9000 §4.1, §4.5,
 * §4.6, §19.4–19.5, §19.8–19.13).
 */
import { describe, expect, it } from 'vitest';
import { StreamManager } from '../../src/streams/manager.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { FrameType } from '../../src/wire/frame.js';
import { bytes, limits, pair, peerParams } from './helpers.js';

function err(f: () => unknown): { code: number; frameType: number | undefined } | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof TransportError) return { code: e.code, frameType: e.frameType };
    throw e;
  }
  return undefined;
}

const stream = (streamId: number, offset: number, data: Uint8Array, fin = false) =>
  ({ kind: 'stream', streamId, offset, data, fin, hasLength: true }) as const;

function server(o = {}): StreamManager {
  const m = new StreamManager({ isClient: false, limits: limits(o) });
  m.setPeerParams(peerParams(limits()));
  return m;
}

describe('STREAM_STATE_ERROR', () => {
  it('§19.8: STREAM on a send-only stream (our unidirectional stream)', () => {
    const s = server();
    const id = s.open(false)!; // 3
    expect(err(() => s.onStreamFrame(stream(id, 0, bytes(1))))).toEqual({ code: ErrorCode.STREAM_STATE_ERROR, frameType: 0x0a });
  });

  it('§19.8: STREAM for a locally initiated stream not yet created', () => {
    const s = server();
    expect(err(() => s.onStreamFrame(stream(1, 0, bytes(1))))?.code).toBe(ErrorCode.STREAM_STATE_ERROR);
    s.open(true); // 1
    expect(err(() => s.onStreamFrame(stream(1, 0, bytes(1))))).toBeUndefined();
    expect(err(() => s.onStreamFrame(stream(5, 0, bytes(1))))?.code).toBe(ErrorCode.STREAM_STATE_ERROR);
  });

  it('§19.4: RESET_STREAM for a send-only stream', () => {
    const s = server();
    s.open(false);
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 3, errorCode: 0, finalSize: 0 }))).toEqual({
      code: ErrorCode.STREAM_STATE_ERROR,
      frameType: FrameType.RESET_STREAM,
    });
  });

  it('§19.5: STOP_SENDING for a receive-only stream (the peer\'s unidirectional stream)', () => {
    const s = server();
    expect(err(() => s.onStopSending({ kind: 'stop_sending', streamId: 2, errorCode: 0 }))).toEqual({
      code: ErrorCode.STREAM_STATE_ERROR,
      frameType: FrameType.STOP_SENDING,
    });
  });

  it('§19.5: STOP_SENDING for a locally initiated stream not yet created', () => {
    const s = server();
    expect(err(() => s.onStopSending({ kind: 'stop_sending', streamId: 1, errorCode: 0 }))?.code).toBe(ErrorCode.STREAM_STATE_ERROR);
    expect(err(() => s.onStopSending({ kind: 'stop_sending', streamId: 3, errorCode: 0 }))?.code).toBe(ErrorCode.STREAM_STATE_ERROR);
  });

  it('§19.10: MAX_STREAM_DATA for a receive-only stream, or a local stream not yet created', () => {
    const s = server();
    expect(err(() => s.onMaxStreamData({ kind: 'max_stream_data', streamId: 2, maximum: 10 }))).toEqual({
      code: ErrorCode.STREAM_STATE_ERROR,
      frameType: FrameType.MAX_STREAM_DATA,
    });
    expect(err(() => s.onMaxStreamData({ kind: 'max_stream_data', streamId: 1, maximum: 10 }))?.code).toBe(ErrorCode.STREAM_STATE_ERROR);
  });

  it('§19.13: STREAM_DATA_BLOCKED for a send-only stream', () => {
    const s = server();
    s.open(false);
    expect(err(() => s.onStreamDataBlocked({ kind: 'stream_data_blocked', streamId: 3, limit: 0 }))).toEqual({
      code: ErrorCode.STREAM_STATE_ERROR,
      frameType: FrameType.STREAM_DATA_BLOCKED,
    });
  });
});

describe('STREAM_LIMIT_ERROR (§4.6, §19.11)', () => {
  it('a peer stream ID at or above our MAX_STREAMS, for each frame that opens streams', () => {
    const s = server({ maxStreamsBidi: 2, maxStreamsUni: 1 });
    expect(err(() => s.onStreamFrame(stream(4, 0, bytes(1))))).toBeUndefined(); // bidi index 1
    expect(err(() => s.onStreamFrame(stream(8, 0, bytes(1))))).toEqual({ code: ErrorCode.STREAM_LIMIT_ERROR, frameType: 0x0a });
    expect(err(() => s.onStreamFrame(stream(2, 0, bytes(1))))).toBeUndefined(); // uni index 0
    expect(err(() => s.onStreamFrame(stream(6, 0, bytes(1))))?.code).toBe(ErrorCode.STREAM_LIMIT_ERROR);
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 10, errorCode: 0, finalSize: 0 }))?.code).toBe(ErrorCode.STREAM_LIMIT_ERROR);
    expect(err(() => s.onStopSending({ kind: 'stop_sending', streamId: 12, errorCode: 0 }))?.code).toBe(ErrorCode.STREAM_LIMIT_ERROR);
    expect(err(() => s.onMaxStreamData({ kind: 'max_stream_data', streamId: 8, maximum: 1 }))?.code).toBe(ErrorCode.STREAM_LIMIT_ERROR);
    expect(err(() => s.onStreamDataBlocked({ kind: 'stream_data_blocked', streamId: 6, limit: 0 }))?.code).toBe(ErrorCode.STREAM_LIMIT_ERROR);
  });

  it('the limit moves with MAX_STREAMS we send', () => {
    const { client, server: s } = pair({}, { maxStreamsUni: 2 });
    for (let i = 0; i < 2; i++) {
      const id = client.open(false)!;
      s.onStreamFrame(stream(id, 0, bytes(1), true));
      expect(s.read(id)?.fin).toBe(true);
    }
    expect(client.open(false)).toBeUndefined();
    const ctrl = s.pendingControl(0, 0).map((c) => c.frame);
    expect(ctrl).toContainEqual({ kind: 'max_streams', bidi: false, maximum: 4 });
    expect(err(() => s.onStreamFrame(stream(14, 0, bytes(1))))).toBeUndefined(); // uni index 3 < 4
    expect(err(() => s.onStreamFrame(stream(18, 0, bytes(1))))?.code).toBe(ErrorCode.STREAM_LIMIT_ERROR);
  });
});

describe('FLOW_CONTROL_ERROR (§4.1)', () => {
  it('stream level: data beyond the stream window', () => {
    const s = server({ initialMaxStreamDataBidiRemote: 100 });
    expect(err(() => s.onStreamFrame(stream(0, 0, bytes(100))))).toBeUndefined();
    expect(err(() => s.onStreamFrame(stream(0, 100, bytes(1))))).toEqual({ code: ErrorCode.FLOW_CONTROL_ERROR, frameType: 0x0e });
  });

  it('stream level: a RESET_STREAM final size beyond the stream window', () => {
    const s = server({ initialMaxStreamDataUni: 100 });
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 2, errorCode: 0, finalSize: 101 }))).toEqual({
      code: ErrorCode.FLOW_CONTROL_ERROR,
      frameType: FrameType.RESET_STREAM,
    });
  });

  it('connection level: the sum over streams beyond initial_max_data, each stream within its window', () => {
    const s = server({ initialMaxData: 250, initialMaxStreamDataBidiRemote: 100 });
    s.onStreamFrame(stream(0, 0, bytes(100)));
    s.onStreamFrame(stream(4, 0, bytes(100)));
    s.onStreamFrame(stream(0, 0, bytes(100))); // a duplicate counts once
    expect(err(() => s.onStreamFrame(stream(8, 0, bytes(50))))).toBeUndefined();
    expect(err(() => s.onStreamFrame(stream(12, 0, bytes(1))))).toEqual({ code: ErrorCode.FLOW_CONTROL_ERROR, frameType: 0x0a });
  });

  it('connection level: a RESET_STREAM final size counts toward the connection limit (§4.5)', () => {
    const s = server({ initialMaxData: 150, initialMaxStreamDataBidiRemote: 100 });
    s.onResetStream({ kind: 'reset_stream', streamId: 0, errorCode: 0, finalSize: 100 });
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 4, errorCode: 0, finalSize: 51 }))?.code).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('memory bound: a peer cannot make us buffer more than the stream window, even out of order', () => {
    const s = server({ initialMaxStreamDataBidiRemote: 1000, maxStreamWindow: 1000 });
    s.onStreamFrame(stream(0, 999, bytes(1)));
    expect(s.recvStream(0)!.buf.buffered).toBe(1);
    expect(err(() => s.onStreamFrame(stream(0, 1000, bytes(1))))?.code).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });
});

describe('FINAL_SIZE_ERROR (§4.5)', () => {
  it('data beyond the final size', () => {
    const s = server();
    s.onStreamFrame(stream(0, 0, bytes(10), true));
    expect(err(() => s.onStreamFrame(stream(0, 10, bytes(1))))).toEqual({ code: ErrorCode.FINAL_SIZE_ERROR, frameType: 0x0e });
  });

  it('a second FIN with a different final size', () => {
    const s = server();
    s.onStreamFrame(stream(0, 0, bytes(10), true));
    expect(err(() => s.onStreamFrame(stream(0, 0, bytes(5), true)))?.code).toBe(ErrorCode.FINAL_SIZE_ERROR);
  });

  it('a FIN below data already received', () => {
    const s = server();
    s.onStreamFrame(stream(0, 0, bytes(10)));
    expect(err(() => s.onStreamFrame(stream(0, 0, bytes(5), true)))?.code).toBe(ErrorCode.FINAL_SIZE_ERROR);
  });

  it('RESET_STREAM with a final size different from the FIN\'s', () => {
    const s = server();
    s.onStreamFrame(stream(0, 0, bytes(10), true));
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 0, errorCode: 1, finalSize: 12 }))).toEqual({
      code: ErrorCode.FINAL_SIZE_ERROR,
      frameType: FrameType.RESET_STREAM,
    });
  });

  it('RESET_STREAM with a final size below data received', () => {
    const s = server();
    s.onStreamFrame(stream(0, 0, bytes(10)));
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 0, errorCode: 1, finalSize: 9 }))?.code).toBe(ErrorCode.FINAL_SIZE_ERROR);
  });

  it('a RESET_STREAM changing the final size of an earlier RESET_STREAM; data after reset beyond it', () => {
    const s = server();
    s.onResetStream({ kind: 'reset_stream', streamId: 0, errorCode: 1, finalSize: 20 });
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 0, errorCode: 1, finalSize: 21 }))?.code).toBe(ErrorCode.FINAL_SIZE_ERROR);
    expect(err(() => s.onStreamFrame(stream(0, 15, bytes(6))))?.code).toBe(ErrorCode.FINAL_SIZE_ERROR);
    expect(err(() => s.onStreamFrame(stream(0, 15, bytes(5), true)))).toBeUndefined();
  });
});

describe('frames for closed streams are ignored', () => {
  it('once a stream is forgotten, late frames cause no error and no state', () => {
    const s = server();
    s.onStreamFrame(stream(2, 0, bytes(5), true));
    expect(s.read(2)?.fin).toBe(true);
    expect(s.openStreamCount).toBe(0);
    expect(err(() => s.onStreamFrame(stream(2, 0, bytes(5), true)))).toBeUndefined();
    expect(err(() => s.onResetStream({ kind: 'reset_stream', streamId: 2, errorCode: 0, finalSize: 5 }))).toBeUndefined();
    expect(s.openStreamCount).toBe(0);
    expect(s.read(2)).toBeUndefined();
  });
});

describe('API misuse is a RangeError', () => {
  it('unknown streams, wrong directions, bad urgency', () => {
    const s = server();
    expect(() => s.write(1, bytes(1))).toThrow(RangeError);
    s.onStreamFrame(stream(2, 0, bytes(1)));
    expect(() => s.write(2, bytes(1))).toThrow(RangeError); // receive-only
    const uni = s.open(false)!;
    expect(() => s.read(uni)).toThrow(RangeError); // send-only
    expect(() => s.read(5)).toThrow(RangeError); // never opened
    expect(() => s.setUrgency(uni, 8)).toThrow(RangeError);
    expect(() => s.stopSending(uni, 0)).toThrow(RangeError);
  });
});
