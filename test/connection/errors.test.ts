/**
 * Protocol violations close the connection with the RFC's code and frame type (RFC 9000 §11,
 * §20.1). Bad frames are injected as packets sealed with the sender's own keys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import { protectPacket } from '../../src/crypto/packet-protection.js';
import type { Connection } from '../../src/connection/connection.js';
import { APPDATA, INITIAL, type CloseInfo, type ConnectionEvent, type SpaceId } from '../../src/connection/types.js';
import { ByteWriter } from '../../src/util/bytes.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { encodeFrame } from '../../src/wire/frame-codec.js';
import { FrameType, type Frame } from '../../src/wire/frame.js';
import { patchLongHeaderLength, writeLongHeader, writeShortHeader } from '../../src/wire/header.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR } from '../support/pair.js';

let provider = getProvider('node');

/** A packet from `conn` in `space` carrying `frames` (or raw payload bytes), sealed with its keys. */
function craft(conn: Connection, space: SpaceId, payload: Frame[] | Uint8Array): Uint8Array {
  const sp = conn.spaces[space];
  const buf = new Uint8Array(1300);
  const w = new ByteWriter(buf, 0, 1300 - 16);
  const pn = sp.nextPn++;
  const pnOffset =
    space === APPDATA
      ? writeShortHeader(w, { dcid: conn.remoteCid, packetNumber: pn, pnLength: 4 })
      : writeLongHeader(w, { type: space === INITIAL ? 'initial' : 'handshake', version: conn.version, dcid: conn.remoteCid, scid: conn.localCid, packetNumber: pn, pnLength: 4 });
  if (payload instanceof Uint8Array) w.bytes(payload);
  else for (const f of payload) encodeFrame(w, f);
  if (space === INITIAL) w.zeros(1200 - 16 - w.offset);
  while (w.offset < pnOffset + 8) w.u8(0);
  const end = w.offset;
  if (space !== APPDATA) patchLongHeaderLength(buf, 0, pnOffset, end + 16);
  const n = protectPacket(sp.seal!, buf, pnOffset, end, pn);
  return buf.subarray(0, n);
}

function closeOf(events: ConnectionEvent[]): CloseInfo | undefined {
  const e = events.find((x) => x.type === 'closing');
  return e?.type === 'closing' ? e.info : undefined;
}

async function established(): Promise<Pair> {
  const pair = await Pair.create({ provider });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(100_000); // settle acknowledgements
  return pair;
}

/** Client injects a 1-RTT packet; the server must close with `code` (and `frameType`). */
async function expectServerCloses(frames: Frame[] | Uint8Array, code: number, frameType?: number): Promise<void> {
  const pair = await established();
  pair.server.handleDatagram(pair.now, { data: craft(pair.clientConn, APPDATA, frames), from: CLIENT_ADDR, to: SERVER_ADDR });
  pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
  const local = closeOf(pair.serverEvents);
  expect(local?.code).toBe(code);
  if (frameType !== undefined) expect(local?.frameType).toBe(frameType);
  // The client learned it from CONNECTION_CLOSE and is draining.
  const remote = closeOf(pair.clientEvents);
  expect(remote).toMatchObject({ code, initiator: 'remote', kind: 'transport' });
  if (frameType !== undefined) expect(remote?.frameType).toBe(frameType);
  expect(pair.clientConn.state).toBe('draining');
}

const stream = (streamId: number, offset: number, data: Uint8Array, fin = false): Frame => ({ kind: 'stream', streamId, offset, data, fin, hasLength: true });

describe.each(PROVIDER_NAMES)('connection errors (%s)', (name) => {
  beforeAll(() => {
    provider = getProvider(name);
  });

  it('FLOW_CONTROL_ERROR: data beyond the stream window', async () => {
    await expectServerCloses([stream(0, 10 << 20, new Uint8Array(10))], ErrorCode.FLOW_CONTROL_ERROR, FrameType.STREAM | 0x06);
  });

  it('STREAM_LIMIT_ERROR: a stream above the advertised limit', async () => {
    await expectServerCloses([stream(4 * 100, 0, new Uint8Array(1))], ErrorCode.STREAM_LIMIT_ERROR);
  });

  it('FINAL_SIZE_ERROR: data beyond the final size', async () => {
    await expectServerCloses([stream(0, 0, new Uint8Array(10), true), stream(0, 20, new Uint8Array(5))], ErrorCode.FINAL_SIZE_ERROR);
  });

  it('STREAM_STATE_ERROR: STREAM on a server-initiated stream the server never opened', async () => {
    await expectServerCloses([stream(3, 0, new Uint8Array(1))], ErrorCode.STREAM_STATE_ERROR);
  });

  it('FRAME_ENCODING_ERROR: an unknown frame type', async () => {
    await expectServerCloses(new Uint8Array([0x25, 0x00]), ErrorCode.FRAME_ENCODING_ERROR, 0x25);
  });

  it('PROTOCOL_VIOLATION: an ACK of a packet never sent', async () => {
    await expectServerCloses([{ kind: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 100_000 }] }], ErrorCode.PROTOCOL_VIOLATION, FrameType.ACK);
  });

  it('PROTOCOL_VIOLATION: HANDSHAKE_DONE from a client', async () => {
    await expectServerCloses([{ kind: 'handshake_done' }], ErrorCode.PROTOCOL_VIOLATION, FrameType.HANDSHAKE_DONE);
  });

  it('PROTOCOL_VIOLATION: a STREAM frame in an Initial packet', async () => {
    const pair = await Pair.create({ provider });
    // Until the server's Initial arrives the client still has Initial keys.
    pair.runUntil(() => pair.serverConn !== undefined, 1_000_000);
    expect(pair.clientConn.spaces[INITIAL].seal).toBeDefined();
    pair.server.handleDatagram(pair.now, { data: craft(pair.clientConn, INITIAL, [stream(0, 0, new Uint8Array(4))]), from: CLIENT_ADDR, to: SERVER_ADDR });
    const info = closeOf(pair.serverEvents.concat(drain(pair.serverConn!)));
    expect(info?.code).toBe(ErrorCode.PROTOCOL_VIOLATION);
    expect(info?.frameType).toBe(FrameType.STREAM | 0x02);
  });

  it('TRANSPORT_PARAMETER_ERROR: an out-of-range ack_delay_exponent', async () => {
    const pair = await Pair.create({ provider, client: { transport: { ackDelayExponent: 21 } } });
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 5_000_000);
    expect(closeOf(pair.serverEvents)?.code).toBe(ErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(closeOf(pair.clientEvents)).toMatchObject({ code: ErrorCode.TRANSPORT_PARAMETER_ERROR, initiator: 'remote' });
  });
});

function drain(c: Connection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) out.push(e);
  return out;
}
