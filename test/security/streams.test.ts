/**
 * Stream-count and flow-control abuse (RFC 9000 §4, §19, §21.8, §21.9) between a real pair:
 * the errors the RFC names, and bounded state against floods of stream control frames, a peer
 * that never opens its window and a peer that opens and closes streams as fast as it can.
 * (STREAM_LIMIT_ERROR beyond MAX_STREAMS, FLOW_CONTROL_ERROR beyond a stream window and
 * FINAL_SIZE_ERROR are in test/connection/errors.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/util/transport-error.js';
import { FrameType, type Frame } from '../../src/wire/frame.js';
import type { Pair } from '../support/pair.js';
import { closeOf, craft, established, expectServerCloses, fill, stream, toServer } from './support.js';

/** Frames of `frameType` (qlog name) that `side` sent, from its qlog. */
function framesSent(pair: Pair, side: 'client' | 'server', frameType: string): Record<string, unknown>[] {
  const sink = side === 'client' ? pair.clientQlog : pair.serverQlog;
  const out: Record<string, unknown>[] = [];
  for (const { event: e } of sink.events as unknown as { event: { name: string; data: { frames?: Record<string, unknown>[] } } }[]) {
    if (e.name === 'quic:packet_sent') for (const f of e.data.frames ?? []) if (f.frame_type === frameType) out.push(f);
  }
  return out;
}

describe('stream-count and flow-control abuse', () => {
  it('FRAME_ENCODING_ERROR: MAX_STREAMS above 2^60 (§19.11)', async () => {
    const pair = await established();
    // MAX_STREAMS (bidi) with an 8-byte varint of 2^61.
    expectServerCloses(pair, new Uint8Array([0x12, 0xe0, 0, 0, 0, 0, 0, 0, 0]), ErrorCode.FRAME_ENCODING_ERROR, FrameType.MAX_STREAMS_BIDI);
  });

  it('FLOW_CONTROL_ERROR: streams each within their window, together beyond initial_max_data (§4.1)', async () => {
    const pair = await established();
    // 3 × 500 001 > 1 MiB, each below the 512 KiB stream window.
    const one = new Uint8Array(1);
    expectServerCloses(pair, [stream(0, 500_000, one), stream(4, 500_000, one), stream(8, 500_000, one)], ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('STREAM_STATE_ERROR: STREAM on a bidirectional stream of the server it never opened (§19.8)', async () => {
    const pair = await established();
    expectServerCloses(pair, [stream(1, 0, new Uint8Array(1))], ErrorCode.STREAM_STATE_ERROR);
  });

  it('STREAM_LIMIT_ERROR: a unidirectional stream beyond MAX_STREAMS, opened by RESET_STREAM (§4.6, §19.4)', async () => {
    const pair = await established();
    expectServerCloses(pair, [{ kind: 'reset_stream', streamId: 2 + 4 * 100, errorCode: 0, finalSize: 0 }], ErrorCode.STREAM_LIMIT_ERROR, FrameType.RESET_STREAM);
  });

  it('RESET_STREAM and STOP_SENDING floods: one event and one RESET_STREAM each, no growth per frame', async () => {
    const pair = await established({ qlog: true });
    const c = pair.clientConn;
    const id = c.openStream(true)!;
    c.streamWrite(id, new Uint8Array(10));
    expect(pair.runUntil(() => pair.serverEvents.some((e) => e.type === 'stream_readable'), 1_000_000)).toBe(true);
    const s = pair.serverConn!;
    s.streamWrite(id, new Uint8Array(10));
    pair.serverEvents.length = 0;
    // A packet full of identical RESET_STREAM frames, then one full of STOP_SENDING, five times.
    const resets = fill(() => ({ kind: 'reset_stream', streamId: id, errorCode: 7, finalSize: 10 }));
    const stops = fill(() => ({ kind: 'stop_sending', streamId: id, errorCode: 8 }));
    expect(resets.length).toBeGreaterThan(100);
    for (let k = 0; k < 5; k++) {
      toServer(pair, craft(c, resets));
      toServer(pair, craft(c, stops));
    }
    pair.runFor(200_000);
    expect(closeOf(pair.serverEvents)).toBeUndefined();
    expect(pair.serverEvents.filter((e) => e.type === 'stream_reset')).toHaveLength(1);
    expect(pair.serverEvents.filter((e) => e.type === 'stream_stop_sending')).toHaveLength(1);
    expect(framesSent(pair, 'server', 'reset_stream').filter((f) => f.stream_id === id)).toHaveLength(1);
    // Both halves are over: once the application saw them, the stream is forgotten.
    expect(s.streams.streamCount).toBe(0);
  });

  it('RESET_STREAM opening every unidirectional stream the limit allows, again and again: the stream map stays within MAX_STREAMS and empties', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    let next = 0;
    let max = 0;
    for (let round = 0; round < 10; round++) {
      // Within the server's limit, which MAX_STREAMS raises as the reset streams are forgotten.
      const frames: Frame[] = [];
      for (let k = 0; k < 50; k++) frames.push({ kind: 'reset_stream', streamId: 2 + 4 * next++, errorCode: 1, finalSize: 0 });
      toServer(pair, craft(c, frames));
      max = Math.max(max, s.streams.streamCount);
      pair.runFor(100_000); // the application polls the reset events; MAX_STREAMS goes out
    }
    expect(closeOf(pair.serverEvents)).toBeUndefined();
    expect(max).toBeLessThanOrEqual(100);
    expect(s.streams.streamCount).toBe(0);
    expect(next).toBe(500);
  });

  it('a peer that never opens its window: we hold at most sendBufferSize per stream', async () => {
    const sendBufferSize = 64 << 10;
    const pair = await established({ server: { transport: { sendBufferSize } }, client: { transport: { initialMaxStreamData: 16 << 10 } } });
    const c = pair.clientConn;
    const id = c.openStream(true)!;
    c.streamWrite(id, new Uint8Array(1));
    expect(pair.runUntil(() => pair.serverEvents.some((e) => e.type === 'stream_readable'), 1_000_000)).toBe(true);
    const s = pair.serverConn!;
    const chunk = new Uint8Array(1 << 20);
    let accepted = 0;
    // The client application never reads, so its window never moves.
    for (let i = 0; i < 20; i++) {
      accepted += s.streamWrite(id, chunk);
      pair.runFor(200_000);
    }
    expect(closeOf(pair.serverEvents)).toBeUndefined();
    // What was sent and acknowledged (the client's 16 KiB window) left the buffer; never more.
    expect(accepted).toBeLessThanOrEqual(sendBufferSize + (16 << 10));
    expect(accepted).toBeGreaterThanOrEqual(sendBufferSize);
  });

  it('a peer opening and closing streams as fast as it may: closed streams are released', async () => {
    const pair = await established();
    const c = pair.clientConn;
    let opened = 0;
    let max = 0;
    const done = new Set<number>();
    const ok = pair.runUntil(() => {
      for (let id = c.openStream(true); id !== undefined && opened < 2000; id = opened < 2000 ? c.openStream(true) : undefined) {
        c.streamWrite(id, new Uint8Array([1, 2, 3]), true);
        c.streamReset(id, 0);
        opened++;
      }
      const s = pair.serverConn!;
      for (const e of pair.serverEvents.splice(0)) {
        if (e.type !== 'stream_readable' && e.type !== 'stream_reset') continue;
        if (e.type === 'stream_readable') while (s.streamRead(e.id)?.fin === false);
        if (!done.has(e.id)) {
          done.add(e.id);
          s.streamFinish(e.id);
        }
      }
      max = Math.max(max, s.streams.streamCount);
      return done.size === 2000;
    }, 60_000_000);
    expect(ok).toBe(true);
    expect(max).toBeLessThanOrEqual(100);
    pair.runFor(500_000);
    expect(pair.serverConn!.streams.streamCount).toBe(0);
  });
});
