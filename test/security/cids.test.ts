/**
 * Stored connection IDs (RFC 9000 §5.1.1, §5.1.2, §19.15; multipath-21 §4.4): more than our
 * active_connection_id_limit is CONNECTION_ID_LIMIT_ERROR, and a flood of NEW_CONNECTION_ID
 * frames with increasing Retire Prior To keeps the IDs waiting to be retired within 2 × limit + 2
 * (beyond: CONNECTION_ID_LIMIT_ERROR), per path with multipath. (More IDs than the limit in one
 * NEW_CONNECTION_ID is also in test/connection/cids.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT } from '../../src/connection/config.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { FrameType, type Frame } from '../../src/wire/frame.js';
import { Pair } from '../support/pair.js';
import { closeOf, craft, established, expectServerCloses, provider, toServer } from './support.js';

const SECOND = { host: '10.0.0.7', port: 51000 };
const LIMIT = DEFAULT_TRANSPORT.activeConnectionIdLimit;

function cidOf(k: number, fill: number): Uint8Array {
  const b = new Uint8Array(8).fill(fill);
  new DataView(b.buffer).setUint32(0, k);
  return b;
}

const newCid = (k: number, retirePriorTo: number): Frame => ({ kind: 'new_connection_id', sequence: k, retirePriorTo, cid: cidOf(k, 0xa5), resetToken: new Uint8Array(16).fill(k & 0xff) });
const pathNewCid = (pathId: number, k: number, retirePriorTo: number): Frame => ({ kind: 'path_new_connection_id', pathId, sequence: k, retirePriorTo, cid: cidOf(k, 0x5a + pathId), resetToken: new Uint8Array(16).fill((k + 100) & 0xff) });

describe('stored connection IDs', () => {
  it(`CONNECTION_ID_LIMIT_ERROR: more active connection IDs than active_connection_id_limit (${LIMIT})`, async () => {
    const pair = await established();
    const frames: Frame[] = [];
    for (let k = 10; k < 10 + LIMIT; k++) frames.push(newCid(k, 0));
    expectServerCloses(pair, frames, ErrorCode.CONNECTION_ID_LIMIT_ERROR, FrameType.NEW_CONNECTION_ID);
  });

  it('a flood of NEW_CONNECTION_ID with increasing Retire Prior To in one packet: CONNECTION_ID_LIMIT_ERROR beyond 2 × limit + 2 retirements waiting', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    const frames: Frame[] = [];
    for (let k = 10; k < 50; k++) frames.push(newCid(k, k));
    toServer(pair, craft(pair.clientConn, frames));
    expect(s.peerCids.retiringCount).toBeLessThanOrEqual(2 * LIMIT + 3);
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.CONNECTION_ID_LIMIT_ERROR, frameType: FrameType.NEW_CONNECTION_ID });
  });

  it('the same flood spread over packets: the retirements waiting stay bounded until the error', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    let most = 0;
    for (let k = 10; k < 60 && s.state === 'established'; k++) {
      toServer(pair, craft(pair.clientConn, [newCid(k, k)]));
      most = Math.max(most, s.peerCids.retiringCount);
      expect(s.peerCids.size).toBeLessThanOrEqual(LIMIT);
    }
    expect(most).toBeLessThanOrEqual(2 * LIMIT + 3);
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.CONNECTION_ID_LIMIT_ERROR });
  });

  it('multipath: PATH_NEW_CONNECTION_ID floods are bounded per path the same way', async () => {
    const pair = await Pair.create({ provider, client: { multipath: { maxPathId: 4 } }, server: { multipath: { maxPathId: 4 } } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(200_000);
    const id = pair.clientConn.openPath(pair.now, SECOND)!;
    expect(pair.runUntil(() => pair.clientEvents.some((e) => e.type === 'path_validated'), 5_000_000)).toBe(true);
    pair.runFor(200_000);
    const frames: Frame[] = [];
    for (let k = 10; k < 45; k++) frames.push(pathNewCid(id, k, k));
    toServer(pair, craft(pair.clientConn, frames));
    const peer = pair.serverConn!.mp!.cids.peer(id);
    expect(peer.retiringCount).toBeLessThanOrEqual(2 * LIMIT + 3);
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.serverEvents)).toMatchObject({ code: ErrorCode.CONNECTION_ID_LIMIT_ERROR, frameType: FrameType.PATH_NEW_CONNECTION_ID });
  });
});
