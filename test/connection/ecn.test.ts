/**
 * ECN (RFC 9000 §13.4, RFC 9002 §7.1 / B.7): ECT(0) marking, ACK_ECN counts, validation on a
 * clean path and on one that bleaches the codepoint, and the CE reaction of the sender.
 */
import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import type { Datagram, Ecn } from '../../src/util/datagram.js';
import { Pair, type LinkOptions } from '../support/pair.js';

const ECN_ON = { transport: { ecn: true } };

/** Sends `n` bytes from the client on one stream and waits until the server read them all. */
function upload(pair: Pair, n: number): void {
  expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
  const c = pair.clientConn;
  const id = c.openStream(true)!;
  const data = new Uint8Array(n).fill(7);
  let written = 0;
  const got = pair.receiveAll(pair.serverConn!, id, () => {
    if (written < n) {
      written += c.streamWrite(id, data.subarray(written));
      if (written === n) c.streamFinish(id);
    }
  }, 30_000_000);
  expect(got?.length).toBe(n);
  // Let the last ACKs arrive.
  pair.runFor(200_000);
}

describe.each(PROVIDER_NAMES)('ECN (%s)', (name) => {
  const provider = getProvider(name);
  const create = (link: LinkOptions = {}, both = true): Promise<Pair> =>
    Pair.create({ provider, qlog: true, link, client: ECN_ON, ...(both ? { server: ECN_ON } : {}) });

  it('is off by default: nothing is marked', async () => {
    const seen: (Ecn | undefined)[] = [];
    const pair = await Pair.create({ provider, link: {
        dropIf: (d) => {
          seen.push(d.ecn);
          return false;
        },
      },
    });
    upload(pair, 20_000);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e === undefined)).toBe(true);
    expect(pair.clientConn.ecn.state).toBeUndefined();
  });

  it('validates on a clean path; ACK_ECN counts match the packets sent ECT(0)', async () => {
    const pair = await create();
    upload(pair, 200_000);
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(c.ecn.state).toBe('capable');
    expect(s.ecn.state).toBe('capable');
    // §13.4.1: the receiver counts every ECT(0) packet of the space.
    expect(s.spaces[2].ack.ect0).toBe(c.ecn.sent(2));
    expect(c.spaces[2].ack.ect0).toBe(s.ecn.sent(2));
    expect(c.ecn.sent(2)).toBeGreaterThan(100);
    // The server's ACK frames carry the counts (qlog shows them on the ACK frames).
    const acks = pair.serverQlog
      .data('quic:packet_sent')
      .flatMap((p) => p.frames ?? [])
      .filter((f) => f.frame_type === 'ack' && f.ect0 !== undefined);
    expect(acks.length).toBeGreaterThan(0);
    expect(Math.max(...acks.map((f) => (f.frame_type === 'ack' ? (f.ect0 ?? 0) : 0)))).toBe(c.ecn.sent(2));
    const states = pair.clientQlog.data('quic:ecn_state_updated').map((e) => e.new);
    // Validated within the testing period (Appendix A.4: testing → capable).
    expect(states[0]).toBe('testing');
    expect(states.at(-1)).toBe('capable');
    expect(states).not.toContain('failed');
    expect(c.packetsLost).toBe(0);
  });

  it('a path that bleaches ECN fails validation and marking stops', async () => {
    const marks: { ecn: Ecn | undefined; failed: boolean }[] = [];
    let pair: Pair | undefined;
    const pairRef = (): Pair | undefined => pair;
    pair = await create({
      ecn: () => 'not-ect',
      dropIf: (d: Datagram, _i, from) => {
        if (from === 'client') marks.push({ ecn: d.ecn, failed: pairRef()?.clientConn.ecn.state === 'failed' });
        return false;
      },
    });
    upload(pair, 100_000);
    const c = pair.clientConn;
    expect(c.ecn.state).toBe('failed');
    expect(c.ecn.failReason).toBe('ACK without ECN counts');
    expect(pair.serverConn!.ecn.state).toBe('failed');
    // The testing period marked packets; none were marked after the failure.
    expect(marks.some((m) => m.ecn === 'ect0')).toBe(true);
    const after = marks.filter((m) => m.failed);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((m) => m.ecn === undefined)).toBe(true);
    expect(pair.clientQlog.data('quic:ecn_state_updated').at(-1)?.new).toBe('failed');
  });

  it('re-marking ECT(0) as ECT(1) fails validation', async () => {
    const pair = await create({ ecn: (d) => (d.ecn === 'ect0' ? 'ect1' : undefined) });
    upload(pair, 50_000);
    expect(pair.clientConn.ecn.state).toBe('failed');
    expect(pair.clientConn.ecn.failReason).toBe('ECN counts exceed the packets sent ECT(0)');
  });

  it('dropping every ECT packet of the testing period fails validation (Appendix A.4)', async () => {
    const pair = await create({ dropIf: (d, _i, from) => from === 'client' && d.ecn === 'ect0' });
    upload(pair, 30_000);
    expect(pair.clientConn.ecn.state).toBe('failed');
    expect(pair.clientConn.ecn.failReason).toBe('all ECT packets of the testing period lost');
  });

  it('CE marks reduce the window once per RTT, without loss or retransmission', async () => {
    // Mark a burst of the client's data datagrams CE (one flight, well within one RTT).
    let marked = 0;
    let pair: Pair | undefined;
    const pairRef = (): Pair | undefined => pair;
    pair = await create({
      delay: 20_000,
      ecn: (d, _i, from) => {
        const p = pairRef();
        if (from !== 'client' || d.ecn !== 'ect0' || p === undefined || p.clientConn.ecn.state !== 'capable') return undefined;
        if (marked >= 6) return undefined;
        marked++;
        return 'ce';
      },
    });
    upload(pair, 1_000_000);
    const c = pair.clientConn;
    expect(marked).toBe(6);
    expect(c.ecn.state).toBe('capable');
    expect(pair.serverConn!.spaces[2].ack.ce).toBe(6);
    // RFC 9002 §7.1 / B.7: one congestion event for all the marks of one round trip.
    const states = pair.clientQlog.data('quic:congestion_state_updated').map((e) => e.new);
    expect(states.filter((s) => s === 'recovery').length).toBe(1);
    expect(Number.isFinite(c.recovery.cc.ssthresh)).toBe(true);
    // CE is not loss: nothing was declared lost or sent again.
    expect(c.packetsLost).toBe(0);
    expect(pair.clientQlog.count('quic:packet_lost')).toBe(0);
  });
});
