/** RFC 9000 §9: the server follows a client whose address changed (NAT rebinding). */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { Connection } from '../../src/connection/connection.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR } from '../support/pair.js';

const NEW_PORT = { host: CLIENT_ADDR.host, port: CLIENT_ADDR.port + 1000 };
const NEW_IP = { host: '192.0.2.77', port: 40000 };

/** Client uploads `n` bytes on one stream; returns a pump for runUntil and a done check. */
function upload(pair: Pair, n: number): { step: () => boolean } {
  const c = pair.clientConn;
  const id = c.openStream(true)!;
  const data = new Uint8Array(n).fill(7);
  let written = 0;
  let got = 0;
  let fin = false;
  return {
    step: () => {
      if (written < n) {
        written += c.streamWrite(id, data.subarray(written));
        if (written === n) c.streamFinish(id);
      }
      const s = pair.serverConn as Connection;
      try {
        for (let r = s.streamRead(id); r; r = s.streamRead(id)) {
          got += r.data.length;
          if (r.fin) fin = true;
        }
      } catch {
        // not opened on the server yet
      }
      return fin && got === n;
    },
  };
}

async function established(): Promise<Pair> {
  const pair = await Pair.create({ provider: getProvider('node'), link: { delay: 10_000 } });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(100_000);
  return pair;
}

const changes = (pair: Pair) => pair.serverEvents.filter((e) => e.type === 'peer_address_changed');

describe('NAT rebinding (server side migration)', () => {
  it('port change mid-transfer: the server validates the new address and keeps its congestion state', async () => {
    const pair = await established();
    const t = upload(pair, 400_000);
    pair.runUntil(() => t.step() || (pair.serverConn?.stats().bytesReceived ?? 0) > 150_000, 10_000_000);
    const cwndBefore = pair.serverConn!.recovery.cc.cwnd;
    const ccBefore = pair.serverConn!.recovery.cc;
    pair.opts.link!.clientSource = NEW_PORT;
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    const s = pair.serverConn!;
    expect(s.remote).toEqual(NEW_PORT);
    expect(s.migrations).toBe(1);
    expect(changes(pair).map((e) => e.type === 'peer_address_changed' && e.state)).toEqual(['validating', 'validated']);
    expect(s.pathValidation).toBeUndefined();
    // Port-only change: the congestion controller was kept (§9.4).
    expect(s.recovery.cc).toBe(ccBefore);
    expect(s.recovery.cc.cwnd).toBeGreaterThanOrEqual(Math.min(cwndBefore, 2 * 1200));
    expect(s.state).toBe('established');
  });

  it('address change: congestion controller and RTT start afresh; sends stay within 3× until validated', async () => {
    const pair = await established();
    const t = upload(pair, 200_000);
    pair.runUntil(() => t.step() || (pair.serverConn?.stats().bytesReceived ?? 0) > 80_000, 10_000_000);
    pair.opts.link!.clientSource = NEW_IP;
    const s = pair.serverConn!;
    const ccBefore = s.recovery.cc;
    let maxRatio = 0;
    const done = pair.runUntil(() => {
      const pv = s.pathValidation;
      if (pv && pv.received > 0) maxRatio = Math.max(maxRatio, pv.sent / pv.received);
      return t.step();
    }, 20_000_000);
    expect(done).toBe(true);
    expect(s.remote).toEqual(NEW_IP);
    expect(maxRatio).toBeLessThanOrEqual(3);
    expect(s.recovery.cc).not.toBe(ccBefore);
    expect(changes(pair).at(-1)).toMatchObject({ state: 'validated', address: NEW_IP, previous: CLIENT_ADDR });
  });

  it('validation failure reverts to the previous address', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    // One datagram leaks out through a new mapping; then nothing gets through for a while, so
    // the server's PATH_CHALLENGE to the new address is never answered.
    pair.opts.link!.clientSource = NEW_PORT;
    pair.clientConn.streamWrite(pair.clientConn.openStream(true)!, new Uint8Array(10));
    pair.runUntil(() => s.migrations === 1, 2_000_000);
    pair.opts.link!.dropIf = () => true;
    pair.runUntil(() => s.pathValidation === undefined, 10_000_000);
    expect(s.remote).toEqual(CLIENT_ADDR);
    expect(changes(pair).map((e) => e.type === 'peer_address_changed' && e.state)).toEqual(['validating', 'reverted']);
    // The old mapping is back: the connection carries on there.
    pair.opts.link!.dropIf = undefined;
    pair.opts.link!.clientSource = undefined;
    const t = upload(pair, 20_000);
    expect(pair.runUntil(() => t.step(), 10_000_000)).toBe(true);
    expect(s.migrations).toBe(1);
    expect(s.state).toBe('established');
  });

  it('a client drops packets from an unknown server address', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const dropped = c.stats().packetsDropped;
    const d = pair.serverConn!.pollTransmit(pair.now);
    pair.serverConn!.streamWrite(pair.serverConn!.openStream(true)!, new Uint8Array(100));
    const x = d ?? pair.serverConn!.pollTransmit(pair.now)!;
    pair.client.handleDatagram(pair.now, { ...x, from: { host: '203.0.113.9', port: SERVER_ADDR.port } });
    expect(c.stats().packetsDropped).toBe(dropped + 1);
    expect(c.remote).toEqual(SERVER_ADDR);
  });
});
