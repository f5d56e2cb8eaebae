/** Stateless reset tokens (RFC 9000 §10.3), Retry pseudo-packet, key log lines, initial keys orientation. */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { initialKeys } from '../../src/crypto/initial.js';
import { keylogLine, KeylogLabel } from '../../src/crypto/keylog.js';
import { packetKeysFromSecrets } from '../../src/crypto/keys.js';
import { CipherSuite } from '../../src/crypto/provider.js';
import { retryPseudoPacket } from '../../src/crypto/retry.js';
import { constantTimeEqual, endsWithResetToken, statelessResetToken } from '../../src/crypto/stateless-reset.js';
import { QUIC_V1 } from '../../src/crypto/version.js';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { fc } from '../support/fc.js';
import { EACH_PROVIDER, PROVIDERS } from './helpers.js';

describe('stateless reset token (RFC 9000 §10.3.2)', () => {
  it('is HMAC-SHA256(static key, CID)[0..16] on both providers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), fc.uint8Array({ minLength: 0, maxLength: 20 }), (key, cid) => {
        const want = toHex(hmac(sha256, key, cid).subarray(0, 16));
        for (const p of PROVIDERS) expect(toHex(statelessResetToken(p, key, cid))).toBe(want);
      }),
      { numRuns: 100 },
    );
  });

  it('differs per CID and per key; rejects short keys', () => {
    const p = PROVIDERS[0]!;
    const k = new Uint8Array(32).fill(1);
    const a = statelessResetToken(p, k, fromHex('0102030405060708'));
    expect(a.length).toBe(16);
    expect(toHex(a)).not.toBe(toHex(statelessResetToken(p, k, fromHex('0102030405060709'))));
    expect(toHex(a)).not.toBe(toHex(statelessResetToken(p, new Uint8Array(32).fill(2), fromHex('0102030405060708'))));
    expect(() => statelessResetToken(p, new Uint8Array(8), a)).toThrow(RangeError);
  });

  it('compares in constant time and detects a reset at the end of a datagram', () => {
    const t = fromHex('00112233445566778899aabbccddeeff');
    expect(constantTimeEqual(t, t.slice())).toBe(true);
    expect(constantTimeEqual(t, t.subarray(1))).toBe(false);
    const u = t.slice();
    u[15] = 0;
    expect(constantTimeEqual(t, u)).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(endsWithResetToken(concatBytes(fromHex('4012345678'), t), t)).toBe(true);
    expect(endsWithResetToken(concatBytes(t, fromHex('00')), t)).toBe(false);
    expect(endsWithResetToken(t.subarray(0, 15), t)).toBe(false);
  });
});

describe('Retry pseudo-packet (RFC 9001 §5.8)', () => {
  it('prefixes the ODCID with its length', () => {
    expect(toHex(retryPseudoPacket(fromHex('aabbcc'), fromHex('ff00')))).toBe('03aabbccff00');
    expect(toHex(retryPseudoPacket(new Uint8Array(0), fromHex('ff')))).toBe('00ff');
    expect(() => retryPseudoPacket(new Uint8Array(256), new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('key log lines (NSS format)', () => {
  it('formats label, client random and secret in hex', () => {
    const random = new Uint8Array(32).fill(0xab);
    expect(keylogLine(KeylogLabel.CLIENT_HANDSHAKE_TRAFFIC_SECRET, random, fromHex('0102'))).toBe(
      `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${'ab'.repeat(32)} 0102`,
    );
    expect(keylogLine(KeylogLabel.SERVER_TRAFFIC_SECRET_0, random, fromHex('ff'))).toBe(`SERVER_TRAFFIC_SECRET_0 ${'ab'.repeat(32)} ff`);
    expect(() => keylogLine(KeylogLabel.EXPORTER_SECRET, new Uint8Array(31), fromHex('ff'))).toThrow(RangeError);
  });
});

describe.each(EACH_PROVIDER)('key orientation with %s', (_n, p) => {
  it('client seal = server open, and the other way round', () => {
    const dcid = fromHex('8394c8f03e515708');
    const c = initialKeys(p, QUIC_V1, dcid, false);
    const s = initialKeys(p, QUIC_V1, dcid, true);
    expect(toHex(c.seal.iv)).toBe(toHex(s.open.iv));
    expect(toHex(c.open.iv)).toBe(toHex(s.seal.iv));
    expect(toHex(c.seal.iv)).toBe('fa044b2f42a3fd3b46fb255c'); // RFC 9001 A.1 client iv
    const k = packetKeysFromSecrets(p, CipherSuite.TLS_AES_256_GCM_SHA384, QUIC_V1, new Uint8Array(48).fill(1), new Uint8Array(48).fill(2), true);
    expect(toHex(k.open.secret)).toBe('01'.repeat(48));
    expect(toHex(k.seal.secret)).toBe('02'.repeat(48));
    expect(k.seal.suite.keyLength).toBe(32);
  });
});
