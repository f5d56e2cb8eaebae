import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import { Pair } from '../support/pair.js';

describe.each(PROVIDER_NAMES)('many streams (%s)', (name) => {
  it('1000 small streams arrive intact; stream credit is returned as streams close', async () => {
    const pair = await Pair.create({ provider: getProvider(name), qlog: true });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    const c = pair.clientConn;
    const N = 1000;
    const payload = (i: number): Uint8Array => new TextEncoder().encode(`stream ${i} `.repeat(1 + (i % 7)));
    let opened = 0;
    const received = new Map<number, string>();
    const done = new Set<number>();
    const ok = pair.runUntil(() => {
      while (opened < N) {
        const id = c.openStream(true);
        if (id === undefined) break; // wait for MAX_STREAMS (limit 100)
        c.streamWrite(id, payload(opened), true);
        opened++;
      }
      const s = pair.serverConn;
      if (s) {
        for (const e of pair.serverEvents.splice(0)) {
          if (e.type !== 'stream_readable') continue;
          for (let r = s.streamRead(e.id); r; r = s.streamRead(e.id)) {
            received.set(e.id, (received.get(e.id) ?? '') + new TextDecoder().decode(r.data));
            if (r.fin) {
              done.add(e.id);
              s.streamFinish(e.id); // close our half so the stream can be forgotten
            }
          }
        }
      }
      return done.size === N;
    }, 120_000_000);
    expect(ok).toBe(true);
    expect(pair.serverQlog.data('quic:stream_state_updated').filter((d) => d.new === 'receive').length).toBe(N);
    for (const [id, text] of received) expect(text).toBe(new TextDecoder().decode(payload(id / 4)));
  }, 60_000);
});
