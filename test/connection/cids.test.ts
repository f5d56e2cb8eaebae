/**
 * Connection IDs (RFC 9000 §5.1): issuing up to the peer's active_connection_id_limit, routing by
 * any issued ID, retiring and replacing, Retire Prior To, the limit and RETIRE_CONNECTION_ID
 * errors, and NEW_CONNECTION_ID retransmission.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { protectPacket } from '../../src/crypto/packet-protection.js';
import type { Connection } from '../../src/connection/connection.js';
import { APPDATA, type CloseInfo, type ConnectionEvent } from '../../src/connection/types.js';
import { LOCAL_CID_CAP } from '../../src/connection/cids.js';
import { ByteWriter, equalBytes } from '../../src/util/bytes.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { encodeFrame } from '../../src/wire/frame-codec.js';
import { FrameType, type Frame } from '../../src/wire/frame.js';
import { writeShortHeader } from '../../src/wire/header.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR, type PairOptions } from '../support/pair.js';

const provider = getProvider('node');

async function established(opts: Partial<PairOptions> = {}): Promise<Pair> {
  const pair = await Pair.create({ provider, ...opts });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(200_000); // NEW_CONNECTION_ID frames delivered and acknowledged
  return pair;
}

/** A 1-RTT packet from `conn` to `dcid` carrying `frames`, sealed with its keys. */
function craft(conn: Connection, frames: Frame[], dcid = conn.remoteCid): Uint8Array {
  const sp = conn.spaces[APPDATA];
  const buf = new Uint8Array(1300);
  const w = new ByteWriter(buf, 0, 1300 - 16);
  const pn = sp.nextPn++;
  const pnOffset = writeShortHeader(w, { dcid, packetNumber: pn, pnLength: 4, keyPhase: conn.keyPhase?.writePhase ?? 0 });
  for (const f of frames) encodeFrame(w, f);
  while (w.offset < pnOffset + 8) w.u8(0);
  const n = protectPacket(sp.seal!, buf, pnOffset, w.offset, pn);
  return buf.subarray(0, n);
}

function closeOf(events: ConnectionEvent[]): CloseInfo | undefined {
  const e = events.find((x) => x.type === 'closing');
  return e?.type === 'closing' ? e.info : undefined;
}

/** The client sends `n` bytes on a new stream; runs until the server read them all. */
function transfer(pair: Pair, n: number): void {
  const c = pair.clientConn;
  const id = c.openStream(true)!;
  c.streamWrite(id, new Uint8Array(n).fill(3), true);
  expect(pair.receiveAll(pair.serverConn!, id)?.length).toBe(n);
}

const seqs = (list: Array<{ seq: number }>) => list.map((e) => e.seq).sort((a, b) => a - b);

describe('connection IDs (RFC 9000 §5.1)', () => {
  it('both sides issue connection IDs up to the peer limit after the handshake, each routed by the endpoint', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    // Default active_connection_id_limit 4: the handshake ID and three more each way.
    expect(seqs(c.localCids.list())).toEqual([0, 1, 2, 3]);
    expect(seqs(s.localCids.list())).toEqual([0, 1, 2, 3]);
    expect(seqs(c.peerCids.list())).toEqual([0, 1, 2, 3]);
    expect(seqs(s.peerCids.list())).toEqual([0, 1, 2, 3]);
    // What one side issued is what the other holds.
    for (const [a, b] of [
      [c, s],
      [s, c],
    ] as const) {
      for (const { seq, cid } of a.localCids.list()) {
        const peer = b.peerCids.list().find((e) => e.seq === seq)!;
        expect(equalBytes(peer.cid, cid)).toBe(true);
      }
    }
    for (const { cid } of s.localCids.list()) expect(pair.server.connectionFor(cid)).toBe(s);
    for (const { cid } of c.localCids.list()) expect(pair.client.connectionFor(cid)).toBe(c);
  });

  it('issues min(peer limit, cap): a peer limit of 2 gets one more, a large limit gets the cap', async () => {
    const pair = await established({ client: { transport: { activeConnectionIdLimit: 2 } }, server: { transport: { activeConnectionIdLimit: 50 } } });
    expect(pair.serverConn!.localCids.list()).toHaveLength(2);
    expect(pair.clientConn.localCids.list()).toHaveLength(LOCAL_CID_CAP);
    expect(pair.serverConn!.peerCids.size).toBe(LOCAL_CID_CAP);
  });

  it('routes packets arriving on any issued connection ID; the retired one gets a replacement', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const first = c.remoteCid.slice();
    for (let i = 1; i <= 3; i++) {
      const cid = c.nextPeerCid();
      expect(cid).toBeDefined();
      expect(equalBytes(c.remoteCid, cid!)).toBe(true);
      transfer(pair, 20_000);
      pair.runFor(200_000);
      // The server saw the RETIRE_CONNECTION_ID for the previous one and issued a replacement.
      expect(seqs(s.localCids.list())).toEqual([i, i + 1, i + 2, i + 3]);
      expect(seqs(c.peerCids.list())).toEqual([i, i + 1, i + 2, i + 3]);
    }
    // The first connection ID routes nowhere now.
    expect(pair.server.connectionFor(first)).toBeUndefined();
    expect(s.localCids.retiredByPeer).toBe(3);
    expect(s.state).toBe('established');
    expect(c.state).toBe('established');
  });

  it('nextPeerCid returns undefined when the peer supplied no spare connection ID', async () => {
    const pair = await established({ server: { transport: { activeConnectionIdLimit: 2 } } });
    const c = pair.clientConn;
    expect(c.peerCids.size).toBe(4);
    // The server holds 2 of the client's: one switch possible, then none until a replacement.
    const s = pair.serverConn!;
    expect(s.peerCids.size).toBe(2);
    expect(s.nextPeerCid()).toBeDefined();
    expect(s.nextPeerCid()).toBeUndefined();
    pair.runFor(300_000);
    expect(s.nextPeerCid()).toBeDefined();
  });

  it('Retire Prior To: the peer retires every older connection ID and switches the one it sends to', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const before = c.remoteCid.slice();
    expect(s.rotateLocalCids()).toBe(true);
    // A second update before the first is honoured is refused (§5.1.2).
    expect(s.rotateLocalCids()).toBe(false);
    transfer(pair, 10_000);
    pair.runFor(300_000);
    expect(c.peerCids.retirePriorTo).toBe(4);
    expect(seqs(c.peerCids.list())).toEqual([4, 5, 6, 7]);
    expect(equalBytes(c.remoteCid, before)).toBe(false);
    expect(seqs(s.localCids.list())).toEqual([4, 5, 6, 7]);
    expect(s.localCids.list().some((e) => equalBytes(e.cid, c.remoteCid))).toBe(true);
    expect(pair.server.connectionFor(before)).toBeUndefined();
    transfer(pair, 10_000);
    expect(s.rotateLocalCids()).toBe(true);
  });

  it('more connection IDs than active_connection_id_limit: CONNECTION_ID_LIMIT_ERROR', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const frame: Frame = { kind: 'new_connection_id', sequence: 9, retirePriorTo: 0, cid: new Uint8Array(8).fill(9), resetToken: new Uint8Array(16).fill(9) };
    pair.server.handleDatagram(pair.now, { data: craft(c, [frame]), from: CLIENT_ADDR, to: SERVER_ADDR });
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    const info = closeOf(pair.serverEvents);
    expect(info?.code).toBe(ErrorCode.CONNECTION_ID_LIMIT_ERROR);
    expect(info?.frameType).toBe(FrameType.NEW_CONNECTION_ID);
  });

  it('a Retire Prior To that retires the excess keeps within the limit', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const frame: Frame = { kind: 'new_connection_id', sequence: 9, retirePriorTo: 9, cid: new Uint8Array(8).fill(9), resetToken: new Uint8Array(16).fill(9) };
    pair.server.handleDatagram(pair.now, { data: craft(c, [frame]), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.state).toBe('established');
    expect(seqs(s.peerCids.list())).toEqual([9]);
    expect(equalBytes(s.remoteCid, new Uint8Array(8).fill(9))).toBe(true);
    expect([...s.peerCids.retirePending].sort()).toEqual([0, 1, 2, 3]);
    // §19.15: a connection ID below Retire Prior To arriving late is retired at once.
    const late: Frame = { kind: 'new_connection_id', sequence: 5, retirePriorTo: 0, cid: new Uint8Array(8).fill(5), resetToken: new Uint8Array(16).fill(5) };
    pair.server.handleDatagram(pair.now, { data: craft(c, [late]), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.state).toBe('established');
    expect(seqs(s.peerCids.list())).toEqual([9]);
    expect(s.peerCids.retirePending).toContain(5);
  });

  it('NEW_CONNECTION_ID reusing a sequence number for another connection ID: PROTOCOL_VIOLATION', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const frame: Frame = { kind: 'new_connection_id', sequence: 1, retirePriorTo: 0, cid: new Uint8Array(8).fill(7), resetToken: new Uint8Array(16) };
    pair.server.handleDatagram(pair.now, { data: craft(c, [frame]), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(pair.serverConn!.closeInfo?.code).toBe(ErrorCode.PROTOCOL_VIOLATION);
  });

  it('RETIRE_CONNECTION_ID for a sequence number never issued: PROTOCOL_VIOLATION', async () => {
    const pair = await established();
    pair.server.handleDatagram(pair.now, { data: craft(pair.clientConn, [{ kind: 'retire_connection_id', sequence: 99 }]), from: CLIENT_ADDR, to: SERVER_ADDR });
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    const info = closeOf(pair.serverEvents);
    expect(info?.code).toBe(ErrorCode.PROTOCOL_VIOLATION);
    expect(info?.frameType).toBe(FrameType.RETIRE_CONNECTION_ID);
  });

  it('RETIRE_CONNECTION_ID for the connection ID the packet was sent to: PROTOCOL_VIOLATION', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const seq = c.peerCids.current;
    pair.server.handleDatagram(pair.now, { data: craft(c, [{ kind: 'retire_connection_id', sequence: seq }]), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(pair.serverConn!.closeInfo?.code).toBe(ErrorCode.PROTOCOL_VIOLATION);
    expect(pair.serverConn!.closeInfo?.frameType).toBe(FrameType.RETIRE_CONNECTION_ID);
  });

  it('RETIRE_CONNECTION_ID sent to another connection ID retires it; a repeat is ignored', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const other = c.peerCids.list().find((e) => e.seq !== c.peerCids.current)!;
    const retire: Frame = { kind: 'retire_connection_id', sequence: other.seq };
    pair.server.handleDatagram(pair.now, { data: craft(c, [retire]), from: CLIENT_ADDR, to: SERVER_ADDR });
    pair.server.handleDatagram(pair.now, { data: craft(c, [retire]), from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(s.state).toBe('established');
    expect(s.localCids.list().some((e) => e.seq === other.seq)).toBe(false);
    expect(pair.server.connectionFor(other.cid)).toBeUndefined();
    expect(s.localCids.list()).toHaveLength(4); // replaced
  });

  it('lost NEW_CONNECTION_ID frames are sent again', async () => {
    let pair: Pair | undefined;
    let seen = 0;
    const dropped = new Set<number>();
    const newCidSeqs = (from: number): number[] => {
      const out: number[] = [];
      const events = pair!.serverQlog.events;
      for (let i = from; i < events.length; i++) {
        const e = events[i]!.event;
        if (e.name !== 'quic:packet_sent') continue;
        for (const f of e.data.frames ?? []) if (f.frame_type === 'new_connection_id') out.push(f.sequence_number);
      }
      return out;
    };
    pair = await Pair.create({
      provider,
      qlog: true,
      link: {
        // Every server datagram carrying a NEW_CONNECTION_ID for the first time is lost.
        dropIf: (_d, _i, from) => {
          if (from !== 'server') return false;
          const sent = newCidSeqs(seen);
          seen = pair!.serverQlog.events.length;
          const first = sent.filter((q) => !dropped.has(q));
          for (const q of first) dropped.add(q);
          return first.length > 0;
        },
      },
    });
    expect(pair.runUntil(() => pair!.handshakeDone())).toBe(true);
    expect(pair.runUntil(() => pair!.clientConn.peerCids.size === 4, 5_000_000)).toBe(true);
    expect([...dropped].sort()).toEqual([1, 2, 3]);
    const all = newCidSeqs(0);
    for (const q of [1, 2, 3]) expect(all.filter((x) => x === q).length).toBeGreaterThanOrEqual(2);
    const c = pair.clientConn;
    for (const { seq, cid } of pair.serverConn!.localCids.list()) expect(equalBytes(c.peerCids.list().find((e) => e.seq === seq)!.cid, cid)).toBe(true);
  });

  it('a client with zero-length connection IDs issues none; the server still does', async () => {
    const pair = await established({ clientEndpoint: { cidLength: 0 } });
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(c.localCid.length).toBe(0);
    expect(c.localCids.list()).toHaveLength(1);
    expect(s.peerCids.size).toBe(1);
    expect(c.peerCids.size).toBe(4);
    transfer(pair, 10_000);
    // §19.16: RETIRE_CONNECTION_ID to an endpoint that provided a zero-length connection ID.
    pair.client.handleDatagram(pair.now, { data: craft(s, [{ kind: 'retire_connection_id', sequence: 0 }]), from: SERVER_ADDR, to: CLIENT_ADDR });
    expect(c.closeInfo?.code).toBe(ErrorCode.PROTOCOL_VIOLATION);
  });
});
