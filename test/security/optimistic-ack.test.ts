/**
 * Optimistic-ACK defence (RFC 9000 §21.4): the sender skips 1-RTT packet numbers now and then
 * (TransportSettings.skipPacketNumberPeriod, per path with multipath) and a peer that
 * acknowledges one is closed with PROTOCOL_VIOLATION; honest transfers are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT } from '../../src/connection/config.js';
import { APPDATA } from '../../src/connection/types.js';
import { MAX_SKIPPED_RANGES } from '../../src/recovery/loss.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { FrameType } from '../../src/wire/frame.js';
import { download, Pair } from '../support/pair.js';
import { MS, send, setup } from '../recovery/helpers.js';
import { closeOf, craft, established, provider, toServer } from './support.js';

const SECOND = { host: '10.0.0.7', port: 51000 };

/** The 1-RTT packet numbers `side` sent on path `pathId`, from its qlog. */
function sentPns(pair: Pair, side: 'client' | 'server', pathId = 0): number[] {
  const sink = side === 'client' ? pair.clientQlog : pair.serverQlog;
  const out: number[] = [];
  for (const { event: e } of sink.events as unknown as { event: { name: string; data: { header?: { packet_type?: string; packet_number?: number }; path_id?: number } } }[]) {
    if (e.name !== 'quic:packet_sent' || e.data.header?.packet_type !== '1RTT') continue;
    if ((e.data.path_id ?? 0) !== pathId) continue;
    out.push(e.data.header.packet_number!);
  }
  return out;
}

/** Numbers missing from an ascending list of sent packet numbers (the skipped ones). */
function gaps(pns: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < pns.length; i++) for (let g = pns[i - 1]! + 1; g < pns[i]!; g++) out.push(g);
  return out;
}

async function transfer(server: { skipPacketNumberPeriod?: number; ecn?: boolean }, n = 400_000): Promise<Pair> {
  const pair = await Pair.create({ provider, qlog: true, server: { transport: server }, client: { transport: { ecn: server.ecn ?? false } } });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  const t = download(pair, n);
  expect(pair.runUntil(() => t.step(), 30_000_000)).toBe(true);
  t.received();
  pair.runFor(500_000);
  return pair;
}

describe('optimistic-ACK defence: skipped packet numbers (RFC 9000 §21.4)', () => {
  it('on by default: a transfer long enough skips numbers, never sends them, and loses nothing', async () => {
    expect(DEFAULT_TRANSPORT.skipPacketNumberPeriod).toBe(128);
    const pair = await transfer({}, 3_000_000);
    const pns = sentPns(pair, 'server');
    expect(pns.length).toBeGreaterThan(1024);
    const skipped = gaps(pns);
    expect(skipped.length).toBeGreaterThan(0);
    // Intervals of [128, 1024) packets.
    expect(skipped.length).toBeLessThanOrEqual(Math.ceil(pns.length / 128));
    expect(pair.serverConn!.packetsLost).toBe(0);
    expect(closeOf(pair.serverEvents)).toBeUndefined();
  });

  it('an honest transfer with frequent skips (and ECN validation) has the same outcome as without', async () => {
    const plain = await transfer({ skipPacketNumberPeriod: 0, ecn: true });
    const skipping = await transfer({ skipPacketNumberPeriod: 4, ecn: true });
    expect(gaps(sentPns(plain, 'server'))).toEqual([]);
    const skipped = gaps(sentPns(skipping, 'server'));
    expect(skipped.length).toBeGreaterThan(5);
    for (const pair of [plain, skipping]) {
      const s = pair.serverConn!;
      // Nothing declared lost on a lossless link: a skipped number counts for no packet
      // threshold (RFC 9002 §6.1.1) and is never a missing ECN-marked packet (§13.4.2.1).
      expect(s.packetsLost).toBe(0);
      expect(s.ecn.state).toBe('capable');
      expect(closeOf(pair.serverEvents)).toBeUndefined();
      expect(closeOf(pair.clientEvents)).toBeUndefined();
    }
    // Memory: only the most recent skipped ranges are remembered.
    expect(skipping.serverConn!.recovery.skippedRanges(APPDATA)).toBeGreaterThan(0);
    expect(skipping.serverConn!.recovery.skippedRanges(APPDATA)).toBeLessThanOrEqual(MAX_SKIPPED_RANGES);
  });

  it('a peer acknowledging a skipped number is closed with PROTOCOL_VIOLATION', async () => {
    const pair = await transfer({ skipPacketNumberPeriod: 4 });
    const skipped = gaps(sentPns(pair, 'server'));
    const pn = skipped[skipped.length - 1]!;
    toServer(pair, craft(pair.clientConn, [{ kind: 'ack', ackDelay: 0, ranges: [{ smallest: pn, largest: pn }] }]));
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.PROTOCOL_VIOLATION, frameType: FrameType.ACK });
    expect(closeOf(pair.clientEvents)).toMatchObject({ code: ErrorCode.PROTOCOL_VIOLATION, initiator: 'remote' });
  });

  it('the skipped ranges are bounded: the oldest are forgotten beyond MAX_SKIPPED_RANGES', async () => {
    const pair = await transfer({ skipPacketNumberPeriod: 1 }, 1_000_000);
    const skipped = gaps(sentPns(pair, 'server'));
    expect(skipped.length).toBeGreaterThan(MAX_SKIPPED_RANGES);
    expect(pair.serverConn!.recovery.skippedRanges(APPDATA)).toBe(MAX_SKIPPED_RANGES);
  });

  it('disabled with 0: consecutive packet numbers', async () => {
    const pair = await established({ qlog: true, server: { transport: { skipPacketNumberPeriod: 0 } } });
    const t = download(pair, 200_000);
    expect(pair.runUntil(() => t.step(), 10_000_000)).toBe(true);
    expect(gaps(sentPns(pair, 'server'))).toEqual([]);
  });

  it('multipath: each path skips in its own number space; a PATH_ACK of a skipped number is a PROTOCOL_VIOLATION', async () => {
    const pair = await Pair.create({
      provider,
      qlog: true,
      client: { multipath: { maxPathId: 4 } },
      server: { multipath: { maxPathId: 4, scheduler: 'roundrobin' }, transport: { skipPacketNumberPeriod: 4 } },
    });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(200_000);
    const id = pair.clientConn.openPath(pair.now, SECOND)!;
    expect(id).toBeGreaterThan(0);
    expect(pair.runUntil(() => pair.clientEvents.some((e) => e.type === 'path_validated'), 5_000_000)).toBe(true);
    const t = download(pair, 600_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    const onPath = gaps(sentPns(pair, 'server', id));
    expect(sentPns(pair, 'server', id).length).toBeGreaterThan(20);
    expect(onPath.length).toBeGreaterThan(0);
    expect(gaps(sentPns(pair, 'server', 0)).length).toBeGreaterThan(0);
    const path = pair.serverConn!.pathById(id)!;
    expect(path.recovery.skippedRanges(APPDATA)).toBeGreaterThan(0);
    const pn = onPath[onPath.length - 1]!;
    toServer(pair, craft(pair.clientConn, [{ kind: 'path_ack', pathId: id, ackDelay: 0, ranges: [{ smallest: pn, largest: pn }] }]));
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.PROTOCOL_VIOLATION, frameType: FrameType.PATH_ACK });
  });

  it('loss detection: the packet threshold counts packets sent after a packet, not skipped numbers (RFC 9002 §6.1.1)', () => {
    const { lr } = setup({ confirmed: true });
    // Sent together, so that no time threshold declares anything lost here.
    send(lr, APPDATA, 0, 0);
    lr.skipPacketNumber(APPDATA, 1);
    send(lr, APPDATA, 2, 0);
    send(lr, APPDATA, 3, 0);
    send(lr, APPDATA, 4, 0);
    // 3 ≥ 0 + kPacketThreshold, but only two packets were sent after packet 0.
    let r = lr.onAckReceived(10 * MS, APPDATA, [{ smallest: 3, largest: 3 }], 0);
    expect(r.lost.map((p) => p.pn)).toEqual([]);
    // Three (2, 3, 4) now.
    r = lr.onAckReceived(10 * MS, APPDATA, [{ smallest: 4, largest: 4 }], 0);
    expect(r.lost.map((p) => p.pn)).toEqual([0]);
    // An ACK of the skipped number itself.
    expect(() => lr.onAckReceived(13 * MS, APPDATA, [{ smallest: 1, largest: 2 }], 0)).toThrow(/skipped packet 1/);
  });
});
