/**
 * The endpoint polls only connections that may have work (endpoint.ts, slots.ts): a datagram,
 * a due timer or an application call wakes a connection, and `pollTransmit` / `handleTimeout`
 * visit no other. Every Pair runs with `checkWakes`, which polls the others too and throws on
 * one that had a datagram to send; these tests check that the check itself works and that the
 * application calls that queue frames wake their connection.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { Endpoint } from '../../src/endpoint/endpoint.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR } from '../support/pair.js';

const provider = getProvider('node');

describe('endpoint wake-ups', () => {
  it('checkWakes catches a connection given work without a wake-up', async () => {
    const pair = await Pair.create({ provider, seed: 3, link: { delay: 5_000 } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(200_000);
    const id = pair.clientConn.openStream()!;
    for (;;) {
      const d = pair.client.pollTransmit(pair.now);
      if (d === undefined) break;
    }
    // Straight into the stream manager: no `Connection` method, so no wake-up.
    pair.clientConn.streams.write(id, new Uint8Array(100), true);
    expect(() => pair.client.pollTransmit(pair.now)).toThrow(/not woken/);
  });

  it('application calls wake their connection: writes, finishes, resets, datagrams, new connection IDs, close', async () => {
    const pair = await Pair.create({ provider, seed: 4, link: { delay: 5_000 }, client: { transport: { maxDatagramFrameSize: 1200 } }, server: { transport: { maxDatagramFrameSize: 1200 } } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    const c = pair.clientConn;
    const calls: Array<() => void> = [
      () => c.streamWrite(c.openStream()!, new Uint8Array(3000), true),
      () => c.streamReset(c.openStream()!, 7),
      () => c.sendDatagram(new Uint8Array(100)),
      () => c.rotateLocalCids(),
      () => c.streamFinish(c.openStream()!),
      () => c.close(pair.now, 0, 'done'),
    ];
    for (const call of calls) {
      pair.runFor(300_000);
      // Quiet: nothing queued, no timer due.
      expect(pair.client.pollTransmit(pair.now)).toBeUndefined();
      call();
      // The call woke the connection: its datagram goes out without a timer or a received datagram.
      const d = pair.client.pollTransmit(pair.now);
      expect(d, call.toString()).toBeDefined();
      pair.client.releaseDatagram(d!);
    }
  });

  it('pollTransmit, pollTimeout and handleTimeout visit only connections with work', async () => {
    const credentials = await import('../support/pair.js').then((m) => m.testCredentials());
    const server = new Endpoint({ local: SERVER_ADDR, server: { provider, alpn: ['test'], credentials } });
    const client = new Endpoint({ local: CLIENT_ADDR, checkWakes: true });
    const conns = Array.from({ length: 50 }, () => client.connect(0, SERVER_ADDR, { provider, alpn: ['test'], serverName: 'localhost' }));
    let polled = 0;
    for (const c of conns) {
      const f = c.pollTransmit.bind(c);
      c.pollTransmit = (now) => {
        polled++;
        return f(now);
      };
    }
    // Each new connection sends its Initial; one more call each finds nothing.
    let sent = 0;
    for (let d = client.pollTransmit(0); d !== undefined; d = client.pollTransmit(0)) sent++;
    expect(sent).toBe(50);
    const first = polled;
    expect(first).toBeLessThanOrEqual(2 * 50 + 50); // the checkWakes pass polls each once more
    // Nothing more to send: polling again visits no connection (checkWakes aside).
    const quiet = new Endpoint({ local: CLIENT_ADDR });
    const one = quiet.connect(0, SERVER_ADDR, { provider, alpn: ['test'], serverName: 'localhost' });
    let onePolled = 0;
    const f = one.pollTransmit.bind(one);
    one.pollTransmit = (now) => {
      onePolled++;
      return f(now);
    };
    while (quiet.pollTransmit(0) !== undefined);
    const after = onePolled;
    for (let i = 0; i < 10; i++) expect(quiet.pollTransmit(0)).toBeUndefined();
    expect(onePolled).toBe(after);
    // The deadline (the Initial's PTO) is the connection's; handling it re-arms a probe.
    const t = quiet.pollTimeout()!;
    expect(t).toBe(one.pollTimeout());
    quiet.handleTimeout(t);
    expect(quiet.pollTransmit(t)).toBeDefined();
    void server;
  });
});
