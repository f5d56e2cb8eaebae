/**
 * ACK ranges (RFC 9000 §13.2.3, §12.3, §19.3): a peer leaving a gap after every packet cannot
 * grow our received-packet tracking or our ACK frames beyond MAX_ACK_RANGES, and a packet below
 * the forgotten ranges is dropped as a possible duplicate; an ACK frame with as many ranges as
 * fit in a datagram costs work linear in its ranges and our sent history.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_ACK_RANGES } from '../../src/connection/ack.js';
import { APPDATA } from '../../src/connection/types.js';
import { SentHistory } from '../../src/recovery/history.js';
import { ByteWriter } from '../../src/util/bytes.js';
import { encodeFrame } from '../../src/wire/frame-codec.js';
import type { AckRange, Frame } from '../../src/wire/frame.js';
import { download, type Pair } from '../support/pair.js';
import { MS, send, setup } from '../recovery/helpers.js';
import { closeOf, craft, established, toServer } from './support.js';

/** ACK frames `side` sent, with their range counts, from its qlog. */
function ackRangeCounts(pair: Pair, side: 'client' | 'server'): number[] {
  const sink = side === 'client' ? pair.clientQlog : pair.serverQlog;
  const out: number[] = [];
  for (const { event: e } of sink.events as unknown as { event: { name: string; data: { frames?: { frame_type: string; acked_ranges?: unknown[] }[] } } }[]) {
    if (e.name === 'quic:packet_sent') for (const f of e.data.frames ?? []) if (f.frame_type === 'ack') out.push(f.acked_ranges?.length ?? 0);
  }
  return out;
}

/** The most ranges (every other number, from the top of `pns`) an ACK frame fits in `room` bytes. */
function sparseRanges(pns: number[], room: number): AckRange[] {
  const ranges: AckRange[] = [];
  const w = new ByteWriter(new Uint8Array(room + 64), 0, room + 64);
  for (let i = pns.length - 1; i >= 0; i -= 2) {
    ranges.push({ smallest: pns[i]!, largest: pns[i]! });
    w.offset = 0;
    encodeFrame(w, { kind: 'ack', ackDelay: 0, ranges });
    if (w.offset > room) {
      ranges.pop();
      break;
    }
  }
  return ranges;
}

/** Counts calls of the sent history's methods (the work of processing an ACK). */
function countHistoryCalls(): { calls: () => number } {
  let n = 0;
  for (const m of ['live', 'first', 'lowerBound', 'pnAt', 'at', 'removeAcked', 'removeLost', 'ackedBetween'] as const) {
    const orig = SentHistory.prototype[m] as (...a: unknown[]) => unknown;
    vi.spyOn(SentHistory.prototype, m).mockImplementation(function (this: SentHistory<unknown>, ...a: unknown[]) {
      n++;
      return orig.apply(this, a);
    } as never);
  }
  return { calls: () => n };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ACK ranges', () => {
  it(`a peer leaving a gap after every packet: at most MAX_ACK_RANGES (${MAX_ACK_RANGES}) ranges tracked and sent; older packets are dropped as duplicates`, async () => {
    const pair = await established({ qlog: true });
    const s = pair.serverConn!;
    const c = pair.clientConn;
    let pn = c.path.space.nextPn + 10;
    let first: Uint8Array | undefined;
    for (let i = 0; i < 400; i++) {
      const data = craft(c, [{ kind: 'ping' }], { pn });
      first ??= data.slice();
      toServer(pair, data);
      pn += 2;
      expect(s.path.space.ack.received.rangeCount).toBeLessThanOrEqual(MAX_ACK_RANGES);
    }
    expect(s.path.space.ack.received.rangeCount).toBe(MAX_ACK_RANGES);
    pair.runFor(100_000);
    expect(closeOf(pair.serverEvents)).toBeUndefined();
    const counts = ackRangeCounts(pair, 'server');
    expect(Math.max(...counts)).toBeLessThanOrEqual(MAX_ACK_RANGES);
    expect(Math.max(...counts)).toBeGreaterThan(MAX_ACK_RANGES / 2);
    // RFC 9000 §12.3: the first packet's range was forgotten, so a copy of it cannot be told from
    // a new packet: it is dropped, never processed twice.
    const received = s.packetsReceived;
    const dropped = s.packetsDropped;
    toServer(pair, first!);
    expect(s.packetsReceived).toBe(received);
    expect(s.packetsDropped).toBe(dropped + 1);
  });

  it('an ACK frame with as many ranges as fit in a datagram is processed: exactly the named packets are acknowledged', async () => {
    const pair = await established({ qlog: true, link: {}, server: { transport: { skipPacketNumberPeriod: 0 } } });
    const t = download(pair, 1_000_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    pair.runFor(200_000);
    const s = pair.serverConn!;
    const t2 = download(pair, 4_000_000);
    // Once the request arrived, nothing from the client gets through any more: the server fills its window.
    pair.runUntil(() => (t2.step(), false), 15_000);
    const ackedBefore = s.recovery.largestAcked(APPDATA)!;
    pair.opts.link!.dropIf = (_d, _i, from) => from === 'client';
    pair.runUntil(() => (t2.step(), false), 30_000);
    const next = s.path.space.nextPn;
    const pns: number[] = [];
    for (let p = ackedBefore + 1; p < next; p++) pns.push(p);
    expect(pns.length).toBeGreaterThan(50);
    const ranges = sparseRanges(pns, 1100);
    expect(ranges.length).toBeGreaterThan(25);
    const inFlight = s.recovery.bytesInFlight;
    const h = countHistoryCalls();
    toServer(pair, craft(pair.clientConn, [{ kind: 'ack', ackDelay: 0, ranges } as Frame]));
    expect(closeOf(pair.serverEvents)).toBeUndefined();
    expect(s.state).toBe('established');
    expect(s.recovery.bytesInFlight).toBeLessThan(inFlight);
    expect(h.calls()).toBeLessThanOrEqual(8 * (ranges.length + pns.length) + 64);
  });

  it('processing an ACK of 600 ranges over a sent history of 100 000 packets: work linear in both, a repeat linear in the ranges', () => {
    const { lr } = setup({ confirmed: true });
    const N = 100_000;
    for (let pn = 0; pn < N; pn++) send(lr, APPDATA, pn, 0);
    // 600 single-packet ranges spread over the whole history, descending.
    const ranges: AckRange[] = [];
    for (let k = 599; k >= 0; k--) ranges.push({ smallest: k * 166, largest: k * 166 });
    const h = countHistoryCalls();
    const r = lr.onAckReceived(10 * MS, APPDATA, ranges, 0);
    expect(r.acked).toHaveLength(600);
    const first = h.calls();
    expect(first).toBeLessThanOrEqual(8 * (ranges.length + N));
    // The same ACK again (duplicated or reordered): nothing new, and no walk over the history.
    lr.onAckReceived(11 * MS, APPDATA, ranges, 0);
    expect(h.calls() - first).toBeLessThanOrEqual(8 * ranges.length);
  });
});
