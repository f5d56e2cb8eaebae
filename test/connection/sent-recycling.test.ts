/**
 * Sent-packet records and their tokens are recycled (DESIGN §4 rule 2) at one point,
 * Connection.releaseSent. With the pools in poison mode a released record is never reused and
 * any later access to it throws or turns byte counts into NaN, so these runs would fail on a
 * use after release anywhere in recovery, loss, PTO probes or space discards.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { Connection } from '../../src/connection/connection.js';
import { Prng } from '../../src/util/prng.js';
import { Pair } from '../support/pair.js';

function poison(c: Connection | undefined): void {
  if (c !== undefined) c.sentPool.poison = true;
}

/** Every record handed out is either in the sent history or was released. */
function consistent(c: Connection): void {
  const r = c.recovery;
  expect(c.sentPool.outstanding).toBe(r.outstanding(0) + r.outstanding(1) + r.outstanding(2));
  expect(Number.isFinite(r.bytesInFlight)).toBe(true);
}

describe('sent-packet record recycling', () => {
  it.each([1, 2, 3])('lossy, reordering, duplicating transfer with poisoned pools completes intact (seed %i)', async (seed) => {
    const pair = await Pair.create({ provider: getProvider('node'), seed, link: { delay: 10_000, jitter: 6_000, loss: 0.1, duplicate: 0.05 } });
    const c = pair.clientConn;
    poison(c);
    expect(pair.runUntil(() => (poison(pair.serverConn), pair.handshakeDone()), 20_000_000)).toBe(true);
    const data = new Prng(seed).bytes(1 << 20);
    const id = c.openStream(true)!;
    let written = 0;
    const got: number[] = [];
    let fin = false;
    const ok = pair.runUntil(() => {
      if (written < data.length) {
        written += c.streamWrite(id, data.subarray(written, Math.min(data.length, written + 64 * 1024)));
        if (written === data.length) c.streamFinish(id);
      }
      const s = pair.serverConn;
      if (s && pair.serverEvents.some((e) => e.type === 'stream_opened' && e.id === id)) {
        for (let r = s.streamRead(id); r; r = s.streamRead(id)) {
          for (const b of r.data) got.push(b);
          if (r.fin) fin = true;
        }
      }
      return fin;
    }, 300_000_000);
    expect(ok).toBe(true);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(data))).toBe(0);
    expect(c.stats().packetsLost).toBeGreaterThan(0);
    consistent(c);
    consistent(pair.serverConn!);
  }, 60_000);

  it('recycled records (no poison) keep the same accounting', async () => {
    const pair = await Pair.create({ provider: getProvider('node'), seed: 9, link: { delay: 5_000, loss: 0.05 } });
    expect(pair.runUntil(() => pair.handshakeDone(), 20_000_000)).toBe(true);
    const c = pair.clientConn;
    const id = c.openStream(true)!;
    c.streamWrite(id, new Uint8Array(300_000).fill(7), true);
    let got = 0;
    let fin = false;
    expect(
      pair.runUntil(() => {
        const s = pair.serverConn!;
        if (pair.serverEvents.some((e) => e.type === 'stream_opened')) {
          for (let r = s.streamRead(id); r; r = s.streamRead(id)) {
            got += r.data.length;
            if (r.fin) fin = true;
          }
        }
        return fin;
      }, 120_000_000),
    ).toBe(true);
    expect(got).toBe(300_000);
    consistent(c);
    consistent(pair.serverConn!);
  }, 60_000);
});
