/**
 * End to end: two StreamManagers over a lossy, reordering, duplicating in-memory link in virtual
 * time. Every byte arrives intact, flow control is never violated (any violation would throw a
 * TransportError), and both ends forget every stream at the end.
 */
import { describe, expect, it } from 'vitest';
import type { StreamManager } from '../../src/streams/manager.js';
import { Prng } from '../../src/util/prng.js';
import { fc } from '../support/fc.js';
import { collect, deliver, events, pair, type Sent } from './helpers.js';

/** One direction of one tick: send a window of frames, lose / reorder / duplicate some. */
function exchange(from: StreamManager, to: StreamManager, rng: Prng, now: number, lossRate: number): void {
  const sent: Sent[] = collect(from, now, 10_000, 50 + rng.nextInt(1200), 1 + rng.nextInt(30));
  const delivered: Sent[] = [];
  for (const s of sent) {
    const r = rng.nextFloat();
    if (r < lossRate) {
      from.onLost(s.token);
    } else if (r < lossRate * 1.5) {
      delivered.push(s); // arrives, but the ACK is lost: a spurious loss, retransmitted later
      from.onLost(s.token);
    } else {
      delivered.push(s);
      if (rng.chance(0.1)) delivered.push(s); // network duplicate
      from.onAcked(s.token);
    }
  }
  for (let i = delivered.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
  }
  for (const s of delivered) deliver(to, s.frame);
}

interface Transfer {
  data: Uint8Array;
  got: Uint8Array;
  len: number;
  fin: boolean;
}

const transfer = (data: Uint8Array): Transfer => ({ data, got: new Uint8Array(data.length), len: 0, fin: false });

function readSome(m: StreamManager, transfers: Map<number, Transfer>, rng: Prng): void {
  for (const e of events(m)) {
    if (e.type !== 'readable' && e.type !== 'opened') continue;
    const t = transfers.get(e.id);
    if (t === undefined) continue;
    for (let r = m.read(e.id, 1 + rng.nextInt(3000)); r !== undefined; r = m.read(e.id, 1 + rng.nextInt(3000))) {
      t.got.set(r.data, t.len); // throws if the peer delivered more than was sent
      t.len += r.data.length;
      if (r.fin) t.fin = true;
    }
  }
}

describe('two managers over a lossy link', () => {
  it('property: all streams deliver their bytes exactly, then every stream is forgotten', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        (seed, sizes, lossRate) => {
          const rng = new Prng(seed);
          const { client, server } = pair(
            { initialMaxData: 6000, maxConnectionWindow: 30_000, sendBufferSize: 4000, maxStreamsBidi: 2, maxStreamsUni: 2 },
            { initialMaxData: 5000, maxConnectionWindow: 20_000, initialMaxStreamDataBidiRemote: 1500, initialMaxStreamDataUni: 1500, maxStreamWindow: 6000, maxStreamsBidi: 2, maxStreamsUni: 2 },
          );
          // Client → server transfers on uni and bidi streams; the server echoes on bidi streams.
          const pendingSizes = [...sizes];
          const c2s = new Map<number, Transfer>();
          const writers: Array<{ m: StreamManager; id: number; t: Transfer; off: number }> = [];
          const s2c = new Map<number, Transfer>();
          let now = 0;
          for (let tick = 0; tick < 3000; tick++) {
            // Open as many streams as the peer allows.
            while (pendingSizes.length > 0) {
              const bidi = pendingSizes.length % 2 === 0;
              const id = client.open(bidi);
              if (id === undefined) break;
              const n = pendingSizes.pop()!;
              const t = transfer(rng.bytes(n));
              c2s.set(id, t);
              writers.push({ m: client, id, t, off: 0 });
              if (bidi) {
                const back = transfer(rng.bytes(n >> 1));
                s2c.set(id, back);
                writers.push({ m: server, id, t: back, off: -1 }); // starts once the server sees the stream
              }
            }
            for (const w of writers) {
              if (w.off < 0) {
                if (server.streamState(w.id) === undefined) continue;
                w.off = 0;
              }
              if (w.off < w.t.data.length) w.off += w.m.write(w.id, w.t.data.subarray(w.off));
              if (w.off === w.t.data.length && w.off >= 0) {
                const st = w.m.streamState(w.id)?.send;
                if (st === 'ready' || st === 'send') w.m.finish(w.id);
              }
            }
            exchange(client, server, rng, now, lossRate);
            readSome(server, c2s, rng);
            exchange(server, client, rng, now, lossRate);
            readSome(client, s2c, rng);
            now += 1000;
            const done = pendingSizes.length === 0 && client.openStreamCount === 0 && server.openStreamCount === 0;
            if (done) break;
          }
          for (const t of [...c2s.values(), ...s2c.values()]) {
            expect(t.fin).toBe(true);
            expect(t.len).toBe(t.data.length);
            expect(Buffer.compare(t.got, t.data)).toBe(0);
          }
          expect(pendingSizes).toEqual([]);
          expect(client.openStreamCount).toBe(0);
          expect(server.openStreamCount).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('property: random resets and STOP_SENDING on both sides still close every stream', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.double({ min: 0, max: 0.25, noNaN: true }), (seed, lossRate) => {
        const rng = new Prng(seed);
        const { client, server } = pair({ maxStreamsBidi: 3 }, { maxStreamsBidi: 3, maxStreamsUni: 3 });
        const ids: number[] = [];
        for (let i = 0; i < 4; i++) ids.push(client.open(i % 2 === 0)!);
        const payload = rng.bytes(3000);
        const offs = new Map<string, number>();
        let now = 0;
        let tick = 0;
        for (; tick < 2000; tick++) {
          for (const [m, side] of [[client, 'c'], [server, 's']] as const) {
            for (const id of ids) {
              const st = m.streamState(id);
              if (st?.send === undefined) continue;
              const key = side + id;
              const off = offs.get(key) ?? 0;
              try {
                if (off < payload.length) offs.set(key, off + m.write(id, payload.subarray(off)));
                else if (st.send === 'ready' || st.send === 'send') m.finish(id);
              } catch (e) {
                expect(e).toBeInstanceOf(RangeError); // stopped by the peer
              }
              if (rng.chance(0.02)) m.reset(id, rng.nextInt(100));
            }
            for (const id of ids) if (m.streamState(id)?.recv !== undefined && rng.chance(0.02)) m.stopSending(id, 7);
          }
          exchange(client, server, rng, now, lossRate);
          for (const e of events(server)) if (e.type === 'readable') while (server.read(e.id) !== undefined);
          exchange(server, client, rng, now, lossRate);
          for (const e of events(client)) if (e.type === 'readable') while (client.read(e.id) !== undefined);
          now += 1000;
          if (client.openStreamCount === 0 && server.openStreamCount === 0) break;
        }
        expect(client.openStreamCount).toBe(0);
        expect(server.openStreamCount).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});
