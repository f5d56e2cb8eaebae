/**
 * Other floods (RFC 9000 §8.1.3, §13.2.2, §21.9; RFC 9221 §5): NEW_TOKEN tokens kept per server
 * are bounded, received DATAGRAMs wait in a bounded queue (the oldest dropped), PING- and
 * PADDING-only packets grow no state, and a stream of tiny ack-eliciting packets gets at most one
 * ACK per two (the ack-eliciting threshold).
 */
import { describe, expect, it } from 'vitest';
import { MemoryTokenStore, tokenStoreKey } from '../../src/connection/address-token.js';
import { DEFAULT_TRANSPORT } from '../../src/connection/config.js';
import type { Frame } from '../../src/wire/frame.js';
import { SERVER_ADDR, type Pair } from '../support/pair.js';
import { closeOf, craft, drainEvents, established, fill, toClient, toServer } from './support.js';

/** Drains the server endpoint's datagrams; returns how many there were. */
function serverOutput(pair: Pair): number {
  let n = 0;
  for (let d = pair.server.pollTransmit(pair.now); d; d = pair.server.pollTransmit(pair.now)) {
    n++;
    pair.server.releaseDatagram(d);
  }
  return n;
}

describe('other floods', () => {
  it('NEW_TOKEN flood: the client keeps one token per server (the latest)', async () => {
    const pair = await established();
    const store = pair.clientConn.config.tokenStore as MemoryTokenStore;
    expect(store).toBeInstanceOf(MemoryTokenStore);
    let last = 0;
    for (let k = 0; k < 20; k++) {
      const frames = fill((i) => ({ kind: 'new_token', token: new Uint8Array(32).fill((k * 50 + i) & 0xff) }));
      last = (k * 50 + frames.length - 1) & 0xff;
      toClient(pair, craft(pair.serverConn!, frames));
    }
    pair.runFor(100_000);
    expect(closeOf(pair.clientEvents)).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.get(tokenStoreKey(pair.clientConn))?.[0]).toBe(last);
  });

  it('a token is kept for the server name and address it came from (RFC 9000 §21.5.3)', async () => {
    const pair = await established();
    toClient(pair, craft(pair.serverConn!, [{ kind: 'new_token', token: new Uint8Array(32).fill(7) }]));
    pair.runFor(100_000);
    const store = pair.clientConn.config.tokenStore as MemoryTokenStore;
    expect(tokenStoreKey(pair.clientConn)).toBe(`localhost@${SERVER_ADDR.host}:${SERVER_ADDR.port}`);
    expect(store.size).toBe(1);
    // The same name at another address gets no token in its Initial.
    const elsewhere = pair.client.connect(pair.now, { host: '10.9.9.9', port: 443 }, { ...pair.clientConn.config, tokenStore: store });
    expect(elsewhere.retry.token.length).toBe(0);
    const again = pair.client.connect(pair.now, SERVER_ADDR, { ...pair.clientConn.config, tokenStore: store });
    expect(again.retry.token[0]).toBe(7);
  });

  it(`DATAGRAM flood: at most datagramReceiveQueue (${DEFAULT_TRANSPORT.datagramReceiveQueue}) wait for the application, the oldest dropped first`, async () => {
    expect(DEFAULT_TRANSPORT.datagramReceiveQueue).toBe(128);
    const t = { maxDatagramFrameSize: 1200 };
    const pair = await established({ client: { transport: t }, server: { transport: t } });
    const s = pair.serverConn!;
    let n = 0;
    // The server's application does not poll its events meanwhile (no pair steps).
    for (let k = 0; k < 5; k++) {
      const frames = fill(() => {
        const data = new Uint8Array(4);
        new DataView(data.buffer).setUint32(0, n++);
        return { kind: 'datagram', data, hasLength: true } as Frame;
      });
      n = n - 1; // fill built one frame too many
      toServer(pair, craft(pair.clientConn, frames));
    }
    expect(n).toBeGreaterThan(300);
    expect(s.datagramsReceived).toBe(n);
    expect(s.datagramEventsQueued).toBe(128);
    expect(s.datagramsReceiveDropped).toBe(n - 128);
    expect(s.stats().datagramsReceiveDropped).toBe(n - 128);
    const got = drainEvents(s).flatMap((e) => (e.type === 'datagram' ? [new DataView(e.data.buffer).getUint32(0)] : []));
    expect(got).toHaveLength(128);
    expect(got[0]).toBe(n - 128);
    expect(got[127]).toBe(n - 1);
    expect(s.datagramEventsQueued).toBe(0);
  });

  it('DATAGRAM receive queue is configurable', async () => {
    const t = { maxDatagramFrameSize: 1200 };
    const pair = await established({ client: { transport: t }, server: { transport: { ...t, datagramReceiveQueue: 10 } } });
    const frames = fill((i) => ({ kind: 'datagram', data: new Uint8Array([i & 0xff]), hasLength: true }));
    toServer(pair, craft(pair.clientConn, frames));
    expect(pair.serverConn!.datagramEventsQueued).toBe(10);
  });

  it('PADDING-only and PING-only packets grow no state; PADDING-only ones elicit nothing', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    serverOutput(pair);
    drainEvents(s);
    const rangesBefore = s.path.space.ack.received.rangeCount;
    let out = 0;
    for (let i = 0; i < 1000; i++) {
      toServer(pair, craft(pair.clientConn, [{ kind: 'padding', length: 20 }]));
      out += serverOutput(pair);
    }
    expect(out).toBe(0);
    for (let i = 0; i < 1000; i++) toServer(pair, craft(pair.clientConn, [{ kind: 'ping' }, { kind: 'ping' }, { kind: 'padding', length: 5 }]));
    expect(s.path.space.ack.received.rangeCount).toBe(rangesBefore);
    expect(drainEvents(s)).toEqual([]);
    expect(s.streams.streamCount).toBe(0);
  });

  it('many tiny ack-eliciting packets: one ACK per two packets at most (ack-eliciting threshold, §13.2.2)', async () => {
    const pair = await established();
    serverOutput(pair);
    let acks = 0;
    for (let i = 0; i < 1000; i++) {
      toServer(pair, craft(pair.clientConn, [{ kind: 'ping' }]));
      acks += serverOutput(pair);
    }
    expect(acks).toBeLessThanOrEqual(501);
    expect(acks).toBeGreaterThanOrEqual(400);
  });
});
