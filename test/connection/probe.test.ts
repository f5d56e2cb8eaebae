/** RFC 9002 §6.2.4: PTO probes carry unacknowledged data when there is nothing new to send. */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { Pair } from '../support/pair.js';

describe('PTO probes', () => {
  it('resend unacknowledged stream data, so the receiver completes although every ACK is lost', async () => {
    const pair = await Pair.create({ provider: getProvider('node'), qlog: true });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(100_000);
    const c = pair.clientConn;
    const id = c.openStream(true)!;
    const data = new Uint8Array(6000).fill(3);
    // The server never hears from the client again, and the first transmission of the data is
    // lost too: only probes can deliver it.
    let firstFlight = true;
    pair.opts.link = { dropIf: (_d, _i, from) => from === 'server' || (from === 'client' && firstFlight) };
    expect(c.streamWrite(id, data, true)).toBe(data.length);
    pair.runFor(1_000); // the first flight leaves (and is dropped)
    firstFlight = false;
    pair.opts.link = { dropIf: (_d, _i, from) => from === 'server' };
    expect(pair.receiveAll(pair.serverConn!, id)?.length).toBe(data.length);
    // Only probes were sent after the first flight: every one of them carried STREAM frames.
    const probes = pair.clientQlog.events.filter((e) => e.event.name === 'quic:packet_sent' && e.time > 1_000 + 100_000);
    expect(probes.length).toBeGreaterThan(0);
  });
});
