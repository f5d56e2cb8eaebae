/**
 * RFC 9001 §6.6: packets that fail authentication are counted over the connection's life, all
 * keys together; past the AEAD's integrity limit the connection closes with AEAD_LIMIT_REACHED.
 * Forged packets below it are dropped and change nothing else.
 */
import { describe, expect, it } from 'vitest';
import { APPDATA } from '../../src/connection/types.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { closeOf, craft, established, toServer } from './support.js';

/** A 1-RTT packet of the client's, one ciphertext byte flipped so it fails authentication. */
function forged(pair: Awaited<ReturnType<typeof established>>): Uint8Array {
  const p = craft(pair.clientConn, [{ kind: 'ping' }], { register: false });
  p[p.length - 20]! ^= 0x01;
  return p;
}

describe('AEAD integrity limit (RFC 9001 §6.6)', () => {
  it('forged packets are dropped and counted; the connection carries on', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    for (let i = 0; i < 50; i++) toServer(pair, forged(pair));
    expect(s.authFailures).toBe(50);
    expect(s.state).toBe('established');
    expect(closeOf(pair.serverEvents)).toBeUndefined();
  });

  it('one failure beyond the limit closes with AEAD_LIMIT_REACHED', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    const limit = s.spaces[APPDATA].open!.suite.integrityLimit;
    expect(limit).toBe(2 ** 52); // AES-128-GCM, the default suite
    // As if `limit` forgeries had arrived already (2^52 cannot be sent in a test).
    s.authFailures = limit - 1;
    toServer(pair, forged(pair));
    expect(s.state).toBe('established');
    toServer(pair, forged(pair));
    expect(s.closeInfo).toMatchObject({ code: ErrorCode.AEAD_LIMIT_REACHED, initiator: 'local' });
    pair.runUntil(() => closeOf(pair.clientEvents) !== undefined, 1_000_000);
    expect(closeOf(pair.clientEvents)).toMatchObject({ code: ErrorCode.AEAD_LIMIT_REACHED, initiator: 'remote' });
  });
});
