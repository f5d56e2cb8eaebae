/**
 * Property tests of the handshake codec (DESIGN §3): every message type round-trips, and
 * untrusted bytes only ever produce a CRYPTO_ERROR TransportError.
 */
import { describe, expect, it } from 'vitest';
import { fc } from '../../support/fc.js';
import { TransportError } from '../../../src/util/transport-error.js';
import { isCryptoError } from '../../../src/wire/errors.js';
import { HandshakeType } from '../../../src/crypto/tls/constants.js';
import { type HandshakeMessage, decodeHandshake, decodeHandshakeBody, encodeHandshake } from '../../../src/crypto/tls/messages.js';
import { handshakeMessage } from './arb.js';

/** Runs a decode; it must succeed or throw a CRYPTO_ERROR TransportError, nothing else. */
function decodesOrAlerts(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TransportError) || !isCryptoError(e.code)) throw e;
  }
}

const KINDS: HandshakeMessage['kind'][] = [
  'client_hello', 'server_hello', 'hello_retry_request', 'encrypted_extensions', 'certificate', 'certificate_request',
  'certificate_verify', 'finished', 'new_session_ticket', 'key_update', 'end_of_early_data',
];

describe('handshake codec properties', () => {
  it('decode(encode(m)) equals m, and re-encoding is stable, for every message type', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(handshakeMessage, (m) => {
        seen.add(m.kind);
        const b = encodeHandshake(m);
        expect(b.length - 4).toBe((b[1]! << 16) | (b[2]! << 8) | b[3]!);
        const d = decodeHandshake(b);
        expect(d).toEqual(m);
        expect(encodeHandshake(d)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
    expect([...seen].sort()).toEqual([...KINDS].sort());
  });

  it('random bytes decode or throw a CRYPTO_ERROR, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => decodesOrAlerts(() => decodeHandshake(b))),
      { numRuns: 2000 },
    );
  });

  it('random bodies of every message type decode or throw a CRYPTO_ERROR', () => {
    const types = Object.values(HandshakeType);
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 200 }), fc.option(fc.integer({ min: 0, max: 64 })), (t, body, fl) =>
        decodesOrAlerts(() => decodeHandshakeBody(t, body, fl === null ? {} : { finishedLength: fl })),
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated and truncated valid messages decode or throw a CRYPTO_ERROR', () => {
    const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) });
    fc.assert(
      fc.property(handshakeMessage, fc.array(edit, { minLength: 1, maxLength: 4 }), fc.nat(), (m, edits, cut) => {
        const b = encodeHandshake(m);
        const mutated = b.slice();
        for (const e of edits) mutated[e.at % mutated.length] = e.value;
        decodesOrAlerts(() => decodeHandshake(mutated));
        decodesOrAlerts(() => decodeHandshakeBody(mutated[0]!, mutated.subarray(4)));
        decodesOrAlerts(() => decodeHandshake(b.subarray(0, cut % b.length)));
      }),
      { numRuns: 2000 },
    );
  });
});
