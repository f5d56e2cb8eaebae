/**
 * A misbehaving peer for the security tests: packets built from hand-made frames (or raw
 * payload bytes) and sealed with one side's own 1-RTT keys, as errors.test.ts does, also on a
 * multipath path (its connection ID, packet numbers and nonce), delivered to the other side
 * from any address. The connections are the real pair of test/support/pair.ts.
 */
import { expect } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { protectPacket } from '../../src/crypto/packet-protection.js';
import type { Connection } from '../../src/connection/connection.js';
import type { Path } from '../../src/connection/path.js';
import { APPDATA, type CloseInfo, type ConnectionEvent } from '../../src/connection/types.js';
import type { SocketAddress } from '../../src/util/datagram.js';
import { ByteWriter } from '../../src/util/bytes.js';
import { encodeFrame } from '../../src/wire/frame-codec.js';
import type { Frame } from '../../src/wire/frame.js';
import { writeShortHeader } from '../../src/wire/header.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR, type PairOptions } from '../support/pair.js';

export const provider = getProvider('node');

export interface CraftOptions {
  /** The path whose connection ID, packet numbers and nonce the packet uses (default: the connection's). */
  path?: Path;
  /** The packet number (default: the path's next one, which is then taken). */
  pn?: number;
  /** Room for the payload (default 1300 bytes of datagram). */
  size?: number;
  /** Record the packet as sent with the sender's loss recovery (default true). */
  register?: boolean;
}

/** A 1-RTT packet from `conn` carrying `payload`, sealed with its keys. */
export function craft(conn: Connection, payload: Frame[] | Uint8Array, o: CraftOptions = {}): Uint8Array {
  const path = o.path ?? conn.path;
  const ps = path.space;
  const seal = conn.spaces[APPDATA].seal!;
  const size = o.size ?? 1300;
  const buf = new Uint8Array(size);
  const w = new ByteWriter(buf, 0, size - 16);
  const pn = o.pn ?? ps.nextPn++;
  if (o.pn !== undefined && ps.nextPn <= pn) ps.nextPn = pn + 1;
  const pnOffset = writeShortHeader(w, { dcid: path.dcid, packetNumber: pn, pnLength: 4, keyPhase: conn.keyPhase?.writePhase ?? 0 });
  if (payload instanceof Uint8Array) w.bytes(payload);
  else for (const f of payload) encodeFrame(w, f);
  while (w.offset < pnOffset + 8) w.u8(0);
  const n = protectPacket(seal, buf, pnOffset, w.offset, pn, path.id);
  // The sender's loss recovery learns of the packet (neither in flight nor ack-eliciting), so
  // that the receiver acknowledging it is no ACK of an unsent packet.
  if (o.register !== false && pn > (path.recovery.largestSent(APPDATA) ?? -1)) {
    const rec = conn.sentPool.acquire();
    rec.pn = pn;
    rec.timeSent = conn.lastNow;
    rec.size = n;
    rec.ackEliciting = false;
    rec.inFlight = false;
    rec.tokens.length = 0;
    path.recovery.onPacketSent(conn.lastNow, APPDATA, rec);
  }
  return buf.subarray(0, n);
}

/** Frames that fill one packet: as many copies of `f(i)` as fit in `room` bytes of payload. */
export function fill(f: (i: number) => Frame, room = 1200): Frame[] {
  const out: Frame[] = [];
  const probe = new ByteWriter(new Uint8Array(room), 0, room);
  for (let i = 0; ; i++) {
    const frame = f(i);
    try {
      encodeFrame(probe, frame);
    } catch {
      return out;
    }
    out.push(frame);
  }
}

/** The client's packet `data` arrives at the server (from `from`, default the client's address). */
export function toServer(pair: Pair, data: Uint8Array, from: SocketAddress = CLIENT_ADDR): void {
  pair.server.handleDatagram(pair.now, { data, from, to: SERVER_ADDR });
}

/** The server's packet `data` arrives at the client. */
export function toClient(pair: Pair, data: Uint8Array): void {
  pair.client.handleDatagram(pair.now, { data, from: SERVER_ADDR, to: CLIENT_ADDR });
}

export function closeOf(events: ConnectionEvent[]): CloseInfo | undefined {
  const e = events.find((x) => x.type === 'closing');
  return e?.type === 'closing' ? e.info : undefined;
}

/** A pair with the handshake done and acknowledgements settled. */
export async function established(opts: Partial<PairOptions> = {}): Promise<Pair> {
  const pair = await Pair.create({ provider, ...opts });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(200_000);
  return pair;
}

/**
 * The client's frames reach the server in one packet; the server must close with `code` (and
 * `frameType`), and the client learns it from the CONNECTION_CLOSE.
 */
export function expectServerCloses(pair: Pair, payload: Frame[] | Uint8Array, code: number, frameType?: number): CloseInfo {
  toServer(pair, craft(pair.clientConn, payload));
  pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
  const local = closeOf(pair.serverEvents);
  expect(local?.code).toBe(code);
  if (frameType !== undefined) expect(local?.frameType).toBe(frameType);
  expect(closeOf(pair.clientEvents)).toMatchObject({ code, initiator: 'remote', kind: 'transport' });
  return local!;
}

/** The server's frames reach the client in one packet; the client must close with `code`. */
export function expectClientCloses(pair: Pair, payload: Frame[] | Uint8Array, code: number, frameType?: number): CloseInfo {
  toClient(pair, craft(pair.serverConn!, payload));
  pair.runUntil(() => closeOf(pair.serverEvents) !== undefined, 1_000_000);
  const local = closeOf(pair.clientEvents);
  expect(local?.code).toBe(code);
  if (frameType !== undefined) expect(local?.frameType).toBe(frameType);
  expect(closeOf(pair.serverEvents)).toMatchObject({ code, initiator: 'remote', kind: 'transport' });
  return local!;
}

/** Every event of `conn` waiting now (drained). */
export function drainEvents(conn: Connection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let e = conn.pollEvent(); e; e = conn.pollEvent()) out.push(e);
  return out;
}

/** A stream frame. */
export const stream = (streamId: number, offset: number, data: Uint8Array, fin = false): Frame => ({ kind: 'stream', streamId, offset, data, fin, hasLength: true });
