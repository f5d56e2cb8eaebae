/**
 * PATH_CHALLENGE floods and new-path rate (RFC 9000 §8.2, §9.3, §21.5.4): answers are bounded
 * in number and size, and a peer (or an attacker rewriting the source address of authenticated
 * packets) makes us validate new addresses only at TransportSettings.pathValidationsPerSecond,
 * within the 3× anti-amplification limit on each unvalidated address.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT } from '../../src/connection/config.js';
import { MAX_PATH_RESPONSES } from '../../src/connection/path.js';
import type { Datagram, SocketAddress } from '../../src/util/datagram.js';
import { sameAddress } from '../../src/util/datagram.js';
import { CLIENT_ADDR, download, Pair } from '../support/pair.js';
import { closeOf, craft, established, fill, provider, toServer } from './support.js';

const SECOND = { host: '10.0.0.7', port: 51000 };
const spoofed = (i: number): SocketAddress => ({ host: `192.0.2.${1 + (i % 250)}`, port: 40000 + i });
const isSpoofed = (a: SocketAddress): boolean => a.host.startsWith('192.0.2.');

/** PATH_RESPONSE frames in the server's qlog packet_sent events. */
function responsesSent(pair: Pair): number {
  let n = 0;
  for (const { event: e } of pair.serverQlog.events as unknown as { event: { name: string; data: { frames?: { frame_type: string }[] } } }[]) {
    if (e.name === 'quic:packet_sent') for (const f of e.data.frames ?? []) if (f.frame_type === 'path_response') n++;
  }
  return n;
}

/** Bytes the server sends to each spoofed address (dropped there: nobody answers). */
function captureSpoofed(pair: Pair): Map<string, number> {
  const sent = new Map<string, number>();
  pair.opts.link!.dropIf = (d: Datagram, _i, from) => {
    if (from !== 'server' || !isSpoofed(d.to)) return false;
    const k = `${d.to.host}:${d.to.port}`;
    sent.set(k, (sent.get(k) ?? 0) + d.data.length);
    return true;
  };
  return sent;
}

describe('PATH_CHALLENGE floods and the rate of new paths', () => {
  it(`a packet full of PATH_CHALLENGE frames: MAX_PATH_RESPONSES (${MAX_PATH_RESPONSES}) PATH_RESPONSE frames at most (bounded queue, bounded output)`, async () => {
    const pair = await established({ qlog: true });
    const s = pair.serverConn!;
    const before = responsesSent(pair);
    const frames = fill((i) => ({ kind: 'path_challenge', data: new Uint8Array([i, 1, 2, 3, 4, 5, 6, 7]) }));
    expect(frames.length).toBeGreaterThan(100);
    for (let k = 0; k < 10; k++) {
      toServer(pair, craft(pair.clientConn, frames));
      expect(s.pathResponses.length).toBeLessThanOrEqual(MAX_PATH_RESPONSES);
    }
    pair.runFor(100_000);
    // Ten packets each answered at most MAX_PATH_RESPONSES times, not 10 × 100+.
    expect(responsesSent(pair) - before).toBeLessThanOrEqual(MAX_PATH_RESPONSES * 10);
    expect(s.pathResponses.length).toBe(0);
    expect(closeOf(pair.serverEvents)).toBeUndefined();
  });

  it('PATH_CHALLENGE from many other addresses: MAX_PATH_RESPONSES off-path answers waiting at most, each within 3× what arrived', async () => {
    const pair = await established({ link: {} });
    const s = pair.serverConn!;
    const sent = captureSpoofed(pair);
    const sizes = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const data = craft(pair.clientConn, [{ kind: 'path_challenge', data: new Uint8Array([i, 9, 9, 9, 9, 9, 9, 9]) }, { kind: 'padding', length: 40 }]);
      sizes.set(`${spoofed(i).host}:${spoofed(i).port}`, data.length);
      toServer(pair, data, spoofed(i));
      expect(s.offPathResponses.length).toBeLessThanOrEqual(MAX_PATH_RESPONSES);
    }
    // Probing packets only: the connection did not move.
    expect(sameAddress(s.remote, CLIENT_ADDR)).toBe(true);
    pair.runFor(100_000);
    expect(sent.size).toBeLessThanOrEqual(MAX_PATH_RESPONSES);
    for (const [k, n] of sent) expect(n).toBeLessThanOrEqual(3 * sizes.get(k)!);
  });

  it(`non-probing packets from many addresses start at most pathValidationsPerSecond (${DEFAULT_TRANSPORT.pathValidationsPerSecond}) validations; each unvalidated address gets at most 3×`, async () => {
    expect(DEFAULT_TRANSPORT.pathValidationsPerSecond).toBe(4);
    const pair = await established({ link: {} });
    const s = pair.serverConn!;
    const sent = captureSpoofed(pair);
    const sizes = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const data = craft(pair.clientConn, [{ kind: 'ping' }, { kind: 'padding', length: 100 }]);
      sizes.set(`${spoofed(i).host}:${spoofed(i).port}`, data.length);
      toServer(pair, data, spoofed(i));
    }
    expect(s.migrations).toBe(4);
    expect(s.validationBudget.refused).toBe(16);
    pair.runFor(50_000);
    for (const [k, n] of sent) expect(n).toBeLessThanOrEqual(3 * sizes.get(k)!);
    // The budget refills with time (4 per second).
    pair.runFor(1_000_000);
    toServer(pair, craft(pair.clientConn, [{ kind: 'ping' }]), spoofed(100));
    expect(s.migrations).toBe(5);
    // None of them answered: the server returns to the client's real address and carries on.
    const t = download(pair, 100_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    expect(closeOf(pair.serverEvents)).toBeUndefined();
  });

  it('0 disables the limit: every new address is followed', async () => {
    const pair = await established({ link: {}, server: { transport: { pathValidationsPerSecond: 0 } } });
    captureSpoofed(pair);
    for (let i = 0; i < 20; i++) toServer(pair, craft(pair.clientConn, [{ kind: 'ping' }]), spoofed(i));
    expect(pair.serverConn!.migrations).toBe(20);
  });

  it('multipath: PATH_CHALLENGE floods on a path are answered MAX_PATH_RESPONSES times at most; address changes of a path are followed at the same bounded rate', async () => {
    const pair = await Pair.create({ provider, link: {}, client: { multipath: { maxPathId: 4 } }, server: { multipath: { maxPathId: 4 } } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(200_000);
    const id = pair.clientConn.openPath(pair.now, SECOND)!;
    expect(pair.runUntil(() => pair.clientEvents.some((e) => e.type === 'path_validated'), 5_000_000)).toBe(true);
    pair.runFor(200_000);
    const path = pair.clientConn.pathById(id)!;
    const serverPath = pair.serverConn!.pathById(id)!;
    const challenges = fill((i) => ({ kind: 'path_challenge', data: new Uint8Array([i, 7, 7, 7, 7, 7, 7, 7]) }));
    for (let k = 0; k < 5; k++) {
      toServer(pair, craft(pair.clientConn, challenges, { path }), SECOND);
      expect(serverPath.responses.length).toBeLessThanOrEqual(MAX_PATH_RESPONSES);
    }
    pair.runFor(100_000);
    expect(serverPath.responses.length).toBe(0);
    captureSpoofed(pair);
    for (let i = 0; i < 20; i++) toServer(pair, craft(pair.clientConn, [{ kind: 'ping' }], { path }), spoofed(i));
    const s = pair.serverConn!;
    expect(s.migrations).toBe(4);
    expect(s.validationBudget.refused).toBe(16);
  });
});
