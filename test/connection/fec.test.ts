import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { FecConfig } from '../../src/connection/fec.js';
import { negotiateFec, onPacketSources } from '../../src/connection/fec.js';
import { handleFrame } from '../../src/connection/frames.js';
import type { Connection } from '../../src/connection/connection.js';
import { APPDATA } from '../../src/connection/types.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { defaultTransportParameters } from '../../src/wire/transport-params.js';
import type { Frame } from '../../src/wire/frame.js';
import { download, Pair, type PairOptions } from '../support/pair.js';

const provider = getProvider('node');

async function pairWith(client: FecConfig | undefined, server: FecConfig | undefined, link: PairOptions['link'] = { delay: 10_000 }, seed = 1): Promise<Pair> {
  return Pair.create({ provider, seed, link, qlog: true, client: client ? { fec: client } : {}, server: server ? { fec: server } : {} });
}

function run(pair: Pair, n: number): Uint8Array {
  expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
  const dl = download(pair, n);
  expect(pair.runUntil(dl.step, 120_000_000)).toBe(true);
  return dl.received();
}

describe('FEC in the connection (specs/fec.md B7)', () => {
  for (const scheme of ['xor', 'rs', 'rlc', 'rlc2'] as const) {
    it(`${scheme}: a download over a lossy link is intact and recovers lost packets`, async () => {
      const pair = await pairWith({ scheme }, { scheme, ratio: '5:2' }, { delay: 10_000, loss: 0.05 }, 3);
      const got = run(pair, 400_000);
      expect(got.length).toBe(400_000);
      const s = pair.serverConn!.stats().fec!;
      const c = pair.clientConn.stats().fec!;
      expect(s.encoder).toBe(scheme);
      expect(c.decoder).toBe(scheme);
      expect(s.sourcesSent).toBeGreaterThan(200);
      expect(s.repairsSent).toBeGreaterThan(40);
      expect(c.packetsRecovered).toBeGreaterThan(0);
    });
  }

  it('is off when only one side offers it', async () => {
    for (const [cl, sv] of [[{ scheme: 'rs' }, undefined], [undefined, { scheme: 'rs' }]] as const) {
      const pair = await pairWith(cl, sv);
      expect(run(pair, 50_000).length).toBe(50_000);
      expect(pair.clientConn.stats().fec).toBeUndefined();
      expect(pair.serverConn!.stats().fec).toBeUndefined();
      expect(pair.serverQlog.events.some((e) => JSON.stringify(e).includes('"sid"'))).toBe(false);
    }
  });

  it('each side encodes with its own scheme: the server picks from the client offer (XQUIC rules)', async () => {
    const pair = await pairWith({ scheme: 'rlc' }, { scheme: 'rs', ratio: '4:1' }, { delay: 10_000, loss: 0.05 }, 5);
    expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
    // Server → client in RS, client → server in RLC.
    expect(pair.serverConn!.stats().fec).toMatchObject({ encoder: 'rs', decoder: 'rlc' });
    expect(pair.clientConn.stats().fec).toMatchObject({ encoder: 'rlc', decoder: 'rs' });
    const c = pair.clientConn;
    const id = c.openStream(true)!;
    const up = new Uint8Array(200_000).map((_, i) => i * 7);
    let written = 0;
    const got: Uint8Array[] = [];
    let fin = false;
    expect(
      pair.runUntil(() => {
        if (written < up.length) {
          written += c.streamWrite(id, up.subarray(written));
          if (written === up.length) c.streamFinish(id);
        }
        const s = pair.serverConn!;
        try {
          for (let r = s.streamRead(id); r; r = s.streamRead(id)) {
            got.push(r.data.slice());
            if (r.fin) fin = true;
          }
        } catch {
          // not opened yet
        }
        return fin;
      }, 60_000_000),
    ).toBe(true);
    expect(Buffer.concat(got).equals(Buffer.from(up))).toBe(true);
    expect(pair.serverConn!.stats().fec!.packetsRecovered).toBeGreaterThan(0);
    // qlog: repairs sent, packets recovered with their frames.
    expect(pair.clientQlog.events.some((e) => e.event.name === 'tquic:fec_repair_sent')).toBe(true);
    const rec = pair.serverQlog.events.find((e) => e.event.name === 'tquic:fec_packet_recovered');
    expect(rec).toBeDefined();
    expect(JSON.stringify(rec!.event)).toContain('"frame_type":"stream"');
  });

  it("negotiation: a client takes the server's single choice, and runs without FEC on anything else", () => {
    const client = { isClient: true, config: { fec: { scheme: 'rs' } }, fec: undefined } as unknown as Connection;
    const tp = (enc: number[], dec: number[]) => ({ ...defaultTransportParameters(), fecVersion: true, fecEncoderSchemes: enc, fecDecoderSchemes: dec, fecMaxSymbolNum: 20 });
    negotiateFec(client, tp([10], [8]));
    expect(client.fec?.stats()).toMatchObject({ encoder: 'rs', decoder: 'rlc' });
    for (const bad of [tp([10, 8], [8]), tp([10], [8, 11]), tp([10], [11]), tp([12], [8]), tp([], [8]), { ...tp([10], [8]), fecVersion: false }]) {
      negotiateFec(client, bad);
      expect(client.fec).toBeUndefined();
    }
    // A server answers an offer without a common scheme with nothing.
    const server = { isClient: false, config: { fec: { scheme: 'xor' } }, fec: undefined } as unknown as Connection;
    negotiateFec(server, tp([12], [8]));
    expect(server.fec).toBeUndefined();
    negotiateFec(server, tp([9], [11, 8]));
    expect(server.fec?.stats()).toMatchObject({ encoder: 'xor', decoder: 'rlc2' });
  });

  it('SID and REPAIR frames without FEC negotiated, and a SID that is not the last frame, are PROTOCOL_VIOLATIONs', async () => {
    const pair = await pairWith(undefined, undefined);
    expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
    const c = pair.clientConn;
    const sid: Frame = { kind: 'sid', flowId: 0, sourcePayloadId: 1 };
    const repair: Frame = { kind: 'repair', flowId: 0, fssEsi: 0, repairPayloadId: 0, repairKey: new Uint8Array(2), repairSymbol: new Uint8Array(10) };
    for (const f of [sid, repair]) {
      try {
        handleFrame(c, pair.now, APPDATA, f);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(TransportError);
        expect((e as TransportError).code).toBe(ErrorCode.PROTOCOL_VIOLATION);
      }
    }
    const fecPair = await pairWith({ scheme: 'rs' }, { scheme: 'rs' });
    expect(fecPair.runUntil(() => fecPair.handshakeDone(), 10_000_000)).toBe(true);
    const frames: Frame[] = [{ kind: 'stream', streamId: 0, offset: 0, fin: false, hasLength: true, data: new Uint8Array(3) }, sid, { kind: 'ping' }];
    expect(() => onPacketSources(fecPair.clientConn, frames, new Uint8Array(40), 0, 10)).toThrow(/SID frame not the last/);
    expect(() => onPacketSources(fecPair.clientConn, [sid, { kind: 'padding', length: 3 }], new Uint8Array(40), 0, 0)).not.toThrow();
    expect(() => onPacketSources(fecPair.clientConn, [{ kind: 'sid', flowId: 1, sourcePayloadId: 2 }], new Uint8Array(40), 0, 0)).toThrow(TransportError);
  });

  it('DATAGRAMs: lost ones come back from repairs, none is delivered twice', async () => {
    const fec: FecConfig = { scheme: 'rs', ratio: '4:2' };
    const pair = await Pair.create({ provider, seed: 9, link: { delay: 10_000, loss: 0.08 }, client: { fec, transport: { maxDatagramFrameSize: 1400 } }, server: { fec, transport: { maxDatagramFrameSize: 1400 } } });
    expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
    const s = pair.serverConn!;
    const seen = new Map<number, number>();
    let sent = 0;
    pair.runUntil(() => {
      if (sent < 400 && pair.now >= sent * 5_000) {
        const d = new Uint8Array(900);
        new DataView(d.buffer).setUint32(0, sent);
        if (s.sendDatagram(d)) sent++;
      }
      for (const e of pair.clientEvents.splice(0)) {
        if (e.type === 'datagram') {
          const i = new DataView(e.data.buffer, e.data.byteOffset).getUint32(0);
          seen.set(i, (seen.get(i) ?? 0) + 1);
        }
      }
      return sent === 400 && pair.now > 400 * 5_000 + 200_000;
    }, 30_000_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const recovered = pair.clientConn.stats().fec!.packetsRecovered;
    expect(recovered).toBeGreaterThan(5);
    // Without FEC about 8% would be missing; the repairs bring most back.
    expect(seen.size).toBeGreaterThan(400 * 0.96);
  });

  it("policy 'off' negotiates FEC but protects nothing", async () => {
    const pair = await pairWith({ scheme: 'rs', policy: 'off' }, { scheme: 'rs', policy: 'off' });
    expect(run(pair, 100_000).length).toBe(100_000);
    expect(pair.serverConn!.stats().fec).toMatchObject({ policy: 'off', sourcesSent: 0, repairsSent: 0 });
    expect(pair.serverQlog.events.some((e) => JSON.stringify(e).includes('"sid"'))).toBe(false);
  });

  it('SYMBOL_ACK feedback: the sender learns what the receiver rebuilt and does not resend it; off when either side declines', async () => {
    const sent: number[] = [];
    for (const feedback of [true, false]) {
      const pair = await pairWith({ scheme: 'rs', feedback }, { scheme: 'rs', ratio: '5:2' }, { delay: 10_000, loss: 0.05 }, 3);
      expect(run(pair, 400_000).length).toBe(400_000);
      const s = pair.serverConn!.stats();
      const c = pair.clientConn.stats();
      expect(s.fec!.feedback).toBe(feedback);
      const acks = pair.clientQlog.events.filter((e) => e.event.name === 'quic:packet_sent' && JSON.stringify(e.event).includes('"symbol_ack"')).length;
      if (feedback) {
        expect(acks).toBeGreaterThan(0);
        expect(s.fec!.peerRecovered).toBeGreaterThan(0);
        expect(s.fec!.peerRecovered).toBeLessThanOrEqual(c.fec!.packetsRecovered);
      } else {
        expect(acks).toBe(0);
        expect(s.fec!.peerRecovered).toBe(0);
      }
      sent.push(s.packetsSent);
    }
    // Same seed and link: with feedback the server sent fewer packets (no resends of rebuilt data).
    expect(sent[0]!).toBeLessThan(sent[1]!);
  });

  it('a SYMBOL_ACK without feedback negotiated is a PROTOCOL_VIOLATION', async () => {
    const pair = await pairWith({ scheme: 'rs', feedback: false }, { scheme: 'rs' });
    expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
    expect(() => handleFrame(pair.clientConn, pair.now, APPDATA, { kind: 'symbol_ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 3 }] })).toThrow(/SYMBOL_ACK without/);
    // With it, an absurd range costs bounded work.
    const ok = await pairWith({ scheme: 'rs' }, { scheme: 'rs' });
    expect(ok.runUntil(() => ok.handshakeDone(), 10_000_000)).toBe(true);
    expect(() => handleFrame(ok.clientConn, ok.now, APPDATA, { kind: 'symbol_ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 2 ** 40 }] })).not.toThrow();
  });
});
