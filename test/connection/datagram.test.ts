/** RFC 9221: DATAGRAM frames — negotiation, delivery, limits, loss without retransmission. */
import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { FrameType } from '../../src/wire/frame.js';
import { Pair, type PairOptions } from '../support/pair.js';

const dg = (maxDatagramFrameSize: number) => ({ transport: { maxDatagramFrameSize } });

async function established(opts: Omit<PairOptions, 'provider'> & { provider?: PairOptions['provider'] }): Promise<Pair> {
  const pair = await Pair.create({ provider: getProvider('node'), ...opts });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(50_000);
  return pair;
}

const payload = (i: number, n: number): Uint8Array => new Uint8Array(n).fill(i & 0xff);

describe.each(PROVIDER_NAMES)('DATAGRAM (%s)', (name) => {
  it('both ways when both sides advertise max_datagram_frame_size', async () => {
    const pair = await established({ provider: getProvider(name), client: dg(1200), server: dg(1200) });
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(c.maxDatagramPayload()).toBeGreaterThan(1000);
    for (let i = 0; i < 20; i++) expect(c.sendDatagram(payload(i, 100 + i))).toBe(true);
    expect(s.sendDatagram(payload(99, 500))).toBe(true);
    pair.runFor(200_000);
    const atServer = pair.serverEvents.filter((e) => e.type === 'datagram');
    expect(atServer).toHaveLength(20);
    atServer.forEach((e, i) => expect(e.type === 'datagram' && e.data).toEqual(payload(i, 100 + i)));
    const atClient = pair.clientEvents.filter((e) => e.type === 'datagram');
    expect(atClient).toHaveLength(1);
    expect(c.stats().datagramsSent).toBe(20);
    expect(s.stats().datagramsReceived).toBe(20);
  });
});

describe('DATAGRAM limits', () => {
  it('refused when the peer did not advertise it', async () => {
    const pair = await established({ client: dg(1200) });
    expect(pair.clientConn.maxDatagramPayload()).toBe(0);
    expect(pair.clientConn.sendDatagram(new Uint8Array(10))).toBe(false);
    // The server did advertise nothing, but the client did: the server may send.
    expect(pair.serverConn!.sendDatagram(new Uint8Array(10))).toBe(true);
  });

  it("the peer's max_datagram_frame_size bounds the payload (the whole frame counts)", async () => {
    const pair = await established({ client: dg(1200), server: dg(100) });
    const c = pair.clientConn;
    // type (1) + Length varint (2 for 98) + 97 bytes = 100.
    expect(c.maxDatagramPayload()).toBe(97);
    expect(c.sendDatagram(new Uint8Array(98))).toBe(false);
    expect(c.sendDatagram(new Uint8Array(97))).toBe(true);
    pair.runFor(100_000);
    expect(pair.serverEvents.filter((e) => e.type === 'datagram')).toHaveLength(1);
    expect(pair.serverConn!.state).toBe('established');
  });

  it('a bounded send queue', async () => {
    const pair = await established({ client: { transport: { maxDatagramFrameSize: 1200, datagramSendQueue: 3 } }, server: dg(1200) });
    const c = pair.clientConn;
    expect([1, 2, 3, 4].map((i) => c.sendDatagram(payload(i, 10)))).toEqual([true, true, true, false]);
  });

  it('PROTOCOL_VIOLATION for a DATAGRAM that was not negotiated', async () => {
    const pair = await established({ client: dg(1200) });
    // Pretend the server advertised support: the client then sends a frame the server refuses.
    pair.clientConn.peerMaxDatagramFrame = 1200;
    expect(pair.clientConn.sendDatagram(new Uint8Array(10))).toBe(true);
    pair.runFor(200_000);
    const closing = pair.serverEvents.find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.info).toMatchObject({ code: ErrorCode.PROTOCOL_VIOLATION, frameType: FrameType.DATAGRAM_LEN });
  });

  it('PROTOCOL_VIOLATION for a DATAGRAM frame above our max_datagram_frame_size', async () => {
    const pair = await established({ client: dg(1200), server: dg(100) });
    pair.clientConn.peerMaxDatagramFrame = 1200;
    expect(pair.clientConn.sendDatagram(new Uint8Array(200))).toBe(true);
    pair.runFor(200_000);
    const closing = pair.serverEvents.find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.info).toMatchObject({ code: ErrorCode.PROTOCOL_VIOLATION, frameType: FrameType.DATAGRAM_LEN });
  });

  it('lost DATAGRAMs are reported and never retransmitted', async () => {
    const pair = await established({ client: dg(1200), server: dg(1200), seed: 7 });
    const c = pair.clientConn;
    const sent = 200;
    let queued = 0;
    // Lossy from now on: 20% of the client's datagrams vanish.
    pair.opts.link = { loss: 0.2 };
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 5; i++) if (c.sendDatagram(payload(queued, 50))) queued++;
      pair.runFor(20_000);
    }
    pair.opts.link = {};
    pair.runFor(3_000_000);
    expect(queued).toBe(sent);
    const received = pair.serverEvents.filter((e) => e.type === 'datagram').length;
    const lost = pair.clientEvents.filter((e) => e.type === 'datagram_lost').length;
    expect(received).toBeLessThan(sent);
    expect(received).toBeGreaterThan(sent / 2);
    // Each one is either delivered or declared lost (a spurious loss may count a delivered one twice).
    expect(received + lost).toBeGreaterThanOrEqual(sent);
    expect(c.stats().datagramsSent).toBe(sent);
    expect(c.stats().datagramsLost).toBe(lost);
  });
});
