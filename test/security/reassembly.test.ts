/**
 * Reassembly memory (RFC 9000 §21.7 "Stream Fragmentation and Reassembly Attacks", §7.5): the
 * fragments a peer makes us hold are bounded per stream (maxStreamChunks), across a
 * connection's streams (maxConnectionChunks) and per CRYPTO stream (MAX_CRYPTO_BUFFER and its
 * fragment bound), each with a connection error when exceeded.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT } from '../../src/connection/config.js';
import { MAX_CRYPTO_BUFFER, MAX_CRYPTO_CHUNKS } from '../../src/connection/space.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { FrameType, type Frame } from '../../src/wire/frame.js';
import type { Pair } from '../support/pair.js';
import { closeOf, craft, established, expectClientCloses, expectServerCloses, fill, stream, toServer } from './support.js';

const ONE = new Uint8Array([0x61]);

/**
 * Sends `count` one-byte STREAM frames with a one-byte gap after each, on stream `id` from
 * offset `from`, packet by packet; stops early if the server closes. Returns the most chunks
 * the server held across streams after any packet it survived.
 */
function fragments(pair: Pair, id: number, count: number, from = 1): number {
  let i = 0;
  let most = 0;
  while (i < count && closeOf(pair.serverEvents) === undefined && pair.serverConn!.state === 'established') {
    const start = i;
    const frames = fill((k) => stream(id, from + 2 * (start + k), ONE)).slice(0, count - i);
    i += frames.length;
    toServer(pair, craft(pair.clientConn, frames));
    // (The fragment that goes beyond a bound closes the connection.)
    if (pair.serverConn!.state === 'established') most = Math.max(most, pair.serverConn!.streams.chunksHeld);
  }
  return most;
}

describe('reassembly memory', () => {
  it(`per stream: more than maxStreamChunks (${DEFAULT_TRANSPORT.maxStreamChunks}) one-byte fragments with gaps → FLOW_CONTROL_ERROR`, async () => {
    expect(DEFAULT_TRANSPORT.maxStreamChunks).toBe(2048);
    const pair = await established();
    const most = fragments(pair, 0, 3000);
    expect(most).toBeLessThanOrEqual(DEFAULT_TRANSPORT.maxStreamChunks);
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.FLOW_CONTROL_ERROR, frameType: FrameType.STREAM | 0x06 });
    expect(closeOf(pair.clientEvents)).toMatchObject({ code: ErrorCode.FLOW_CONTROL_ERROR, initiator: 'remote' });
  });

  it(`per connection: fragments across streams beyond maxConnectionChunks (${DEFAULT_TRANSPORT.maxConnectionChunks}) → FLOW_CONTROL_ERROR, each stream within its own bound`, async () => {
    expect(DEFAULT_TRANSPORT.maxConnectionChunks).toBe(16384);
    const pair = await established();
    let most = 0;
    // 1000 gaps per stream (within maxStreamChunks), 20 streams.
    for (let k = 0; k < 20 && pair.serverConn!.state === 'established'; k++) most = Math.max(most, fragments(pair, 4 * k, 1000));
    expect(most).toBeLessThanOrEqual(DEFAULT_TRANSPORT.maxConnectionChunks);
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.FLOW_CONTROL_ERROR });
    expect(closeOf(pair.serverEvents)?.reason).toMatch(/across streams/);
  });

  it('configurable, and the budget is given back when streams go: a reset stream holds nothing', async () => {
    const pair = await established({ server: { transport: { maxConnectionChunks: 500 } } });
    for (let k = 0; k < 4; k++) fragments(pair, 4 * k, 100);
    const s = pair.serverConn!;
    expect(s.streams.chunksHeld).toBe(400);
    // The peer resets them (its final sizes cover what it sent); the application sees the resets.
    const resets: Frame[] = [0, 1, 2, 3].map((k) => ({ kind: 'reset_stream', streamId: 4 * k, errorCode: 0, finalSize: 1 + 2 * 100 }));
    toServer(pair, craft(pair.clientConn, resets));
    pair.runFor(100_000);
    expect(s.streams.chunksHeld).toBe(0);
    // Room again for as many; one more stream beyond 500 closes the connection.
    for (let k = 4; k < 8; k++) fragments(pair, 4 * k, 100);
    pair.runFor(1000);
    expect(closeOf(pair.serverEvents)).toBeUndefined();
    fragments(pair, 4 * 8, 101);
    pair.runFor(1000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.FLOW_CONTROL_ERROR });
  });

  it('CRYPTO_BUFFER_EXCEEDED: post-handshake CRYPTO beyond MAX_CRYPTO_BUFFER, either direction (§7.5)', async () => {
    let pair = await established();
    expectServerCloses(pair, [{ kind: 'crypto', offset: MAX_CRYPTO_BUFFER, data: ONE }], ErrorCode.CRYPTO_BUFFER_EXCEEDED, FrameType.CRYPTO);
    pair = await established();
    expectClientCloses(pair, [{ kind: 'crypto', offset: 10 * MAX_CRYPTO_BUFFER, data: ONE }], ErrorCode.CRYPTO_BUFFER_EXCEEDED, FrameType.CRYPTO);
  });

  it('CRYPTO_BUFFER_EXCEEDED: post-handshake CRYPTO in one-byte fragments with gaps (bounded fragments)', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    let i = 0;
    while (closeOf(pair.serverEvents) === undefined && i < 2000) {
      const start = i;
      const frames = fill((k) => ({ kind: 'crypto', offset: 1 + 2 * (start + k), data: ONE }));
      i += frames.length;
      toServer(pair, craft(pair.clientConn, frames));
      pair.runFor(1000);
    }
    // MAX_CRYPTO_CHUNKS fragments at most, then the error; nowhere near 2000.
    expect(i).toBeGreaterThan(MAX_CRYPTO_CHUNKS / 2);
    expect(i).toBeLessThanOrEqual(MAX_CRYPTO_CHUNKS + 250);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.CRYPTO_BUFFER_EXCEEDED, frameType: FrameType.CRYPTO });
    expect(s.state).not.toBe('established');
  });
});
