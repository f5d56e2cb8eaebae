import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import type { Connection } from '../../src/connection/connection.js';
import { Prng } from '../../src/util/prng.js';
import { Pair, type PairOptions } from '../support/pair.js';

/** Writes `data` on a new client stream as the window allows; the server echoes nothing, just reads. */
function transfer(pair: Pair, data: Uint8Array, maxTime = 120_000_000): { received: Uint8Array; ok: boolean } {
  const c = pair.clientConn;
  expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
  const id = c.openStream(true)!;
  let written = 0;
  const chunks: Uint8Array[] = [];
  let got = 0;
  let fin = false;
  const pumpWrite = (): void => {
    if (written < data.length && c.state === 'established') {
      const n = c.streamWrite(id, data.subarray(written, Math.min(data.length, written + 256 * 1024)));
      written += n;
      if (written === data.length) c.streamFinish(id);
    }
  };
  const pumpRead = (s: Connection): void => {
    if (!pair.serverEvents.some((e) => e.type === 'stream_opened' && e.id === id)) return;
    for (let r = s.streamRead(id); r; r = s.streamRead(id)) {
      if (r.data.length) chunks.push(r.data.slice());
      got += r.data.length;
      if (r.fin) fin = true;
    }
  };
  const ok = pair.runUntil(() => {
    pumpWrite();
    if (pair.serverConn) pumpRead(pair.serverConn);
    return fin;
  }, maxTime);
  const received = new Uint8Array(got);
  let o = 0;
  for (const ch of chunks) {
    received.set(ch, o);
    o += ch.length;
  }
  return { received, ok };
}

function randomData(n: number, seed: number): Uint8Array {
  return new Prng(seed).bytes(n);
}

describe.each(PROVIDER_NAMES)('transfers over the in-memory network (%s)', (name) => {
  const provider = getProvider(name);
  const opts = (o: Partial<PairOptions> = {}): PairOptions => ({ provider, ...o });

  it('10 MB on one stream, bytes identical, windows grow', async () => {
    const pair = await Pair.create(opts({ link: { delay: 5_000 } }));
    const data = randomData(10 << 20, 7);
    const { received, ok } = transfer(pair, data);
    expect(ok).toBe(true);
    expect(received.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(received), Buffer.from(data))).toBe(0);
    // Auto-tuning grew the server's connection window beyond its initial 1 MiB.
    expect(pair.serverConn!.streams.connectionRecvWindow.window).toBeGreaterThan(1 << 20);
    expect(pair.amplificationViolations).toBe(0);
  }, 120_000);
});

// Seeds are fixed: a failure names its seed so it can be replayed. The pure-JS provider runs
// fewer seeds to keep the suite quick; the logic under test is the same.
describe.each([
  ['node', Number(process.env.LOSS_SEEDS ?? 20)],
  ['noble', 3],
] as const)('lossy network (%s)', (name, count) => {
  const provider = getProvider(name);
  const SEEDS = Array.from({ length: count }, (_, i) => i + 1);
  it.each(SEEDS)('5 MB through 10 percent loss with reordering, seed %i', async (seed) => {
    const pair = await Pair.create({ provider, seed, qlog: true, link: { delay: 10_000, jitter: 4_000, loss: 0.1 } });
    const data = randomData(5 << 20, seed);
    const { received, ok } = transfer(pair, data, 600_000_000);
    expect(ok, `seed ${seed}: transfer did not finish`).toBe(true);
    expect(Buffer.compare(Buffer.from(received), Buffer.from(data)), `seed ${seed}: data differs`).toBe(0);
    expect(pair.clientQlog.filter('quic:packet_lost').length, `seed ${seed}: no losses in qlog`).toBeGreaterThan(0);
    expect(pair.clientConn.state, `seed ${seed}`).toBe('established');
    // qlog shows the controller entering recovery and the window metrics.
    expect(pair.clientQlog.data('quic:congestion_state_updated').some((d) => d.new === 'recovery'), `seed ${seed}`).toBe(true);
    expect(pair.clientQlog.filter('quic:recovery_metrics_updated').length).toBeGreaterThan(0);
    // The congestion controller reacted: it left slow start with a finite ssthresh.
    expect(Number.isFinite(pair.clientConn.recovery.cc.ssthresh), `seed ${seed}: cwnd never reduced`).toBe(true);
    expect(pair.amplificationViolations).toBe(0);
  }, 120_000);
});
