import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import { Pair } from '../support/pair.js';

describe.each(PROVIDER_NAMES)('connection handshake over packets (%s)', (name) => {
  const provider = getProvider(name);

  it('completes in one round trip; both sides see ALPN and transport parameters', async () => {
    const pair = await Pair.create({ provider, qlog: true });
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    const ce = pair.clientEvents.find((e) => e.type === 'handshake_complete');
    const se = pair.serverEvents.find((e) => e.type === 'handshake_complete');
    expect(ce?.type === 'handshake_complete' && ce.info.alpn).toBe('test');
    expect(se?.type === 'handshake_complete' && se.info.alpn).toBe('test');
    expect(ce?.type === 'handshake_complete' && ce.peerParameters.initialMaxStreamsBidi).toBe(100);
    // One RTT (20 ms) to complete on the client side: it gets the server's flight after 20 ms.
    expect(pair.now).toBeLessThan(45_000);
    expect(pair.amplificationViolations).toBe(0);
  });
});
