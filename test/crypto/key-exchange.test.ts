/**
 * (EC)DHE key exchange (RFC 9846 §4.2.8.2, §7.4.2) on both providers: cross-provider agreement,
 * known-answer vectors (RFC 7748 §6.1, RFC 5903 §8.1), and rejection of invalid peer shares with
 * illegal_parameter only.
 */
import { describe, expect, it } from 'vitest';
import { nobleKeyExchange, nobleProvider } from '../../src/crypto/noble.js';
import { nodeKeyExchange, nodeProvider } from '../../src/crypto/node.js';
import { KEY_SHARE_LENGTH, type CryptoProvider, type KeyExchange } from '../../src/crypto/provider.js';
import { AlertDescription } from '../../src/crypto/tls/alert.js';
import { NamedGroup } from '../../src/crypto/tls/constants.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { TransportError } from '../../src/util/transport-error.js';
import { cryptoError } from '../../src/wire/errors.js';
import { fc } from '../support/fc.js';
import { EACH_PROVIDER } from './helpers.js';

const GROUPS = [NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1] as const;
const SECRET_LENGTH: Record<number, number> = { [NamedGroup.X25519]: 32, [NamedGroup.SECP256R1]: 32, [NamedGroup.SECP384R1]: 48 };
const GROUP_NAME: Record<number, string> = { [NamedGroup.X25519]: 'x25519', [NamedGroup.SECP256R1]: 'secp256r1', [NamedGroup.SECP384R1]: 'secp384r1' };
const PAIRS: readonly (readonly [CryptoProvider, CryptoProvider])[] = [
  [nobleProvider, nodeProvider],
  [nodeProvider, nobleProvider],
  [nobleProvider, nobleProvider],
  [nodeProvider, nodeProvider],
];
const HOOKS = [
  ['noble', nobleKeyExchange],
  ['node', nodeKeyExchange],
] as const;

const ILLEGAL_PARAMETER = cryptoError(AlertDescription.ILLEGAL_PARAMETER);

/** Runs f and returns what it threw; fails when it throws anything but illegal_parameter. */
function expectIllegalParameter(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(TransportError);
  expect((thrown as TransportError).code).toBe(ILLEGAL_PARAMETER);
}

describe('key exchange', () => {
  it.each(EACH_PROVIDER)('%s lists x25519, secp256r1 and secp384r1', (_, p) => {
    expect([...p.supportedGroups].sort()).toEqual([0x0017, 0x0018, 0x001d]);
    expect(() => p.keyExchange(NamedGroup.X448)).toThrow(RangeError);
    expect(() => p.keyExchange(NamedGroup.SECP521R1)).toThrow(RangeError);
  });

  for (const [a, b] of PAIRS) {
    it.each(GROUPS.map((g) => [GROUP_NAME[g], g] as const))(`${a.name} client ↔ ${b.name} server agree on %s`, (_, group) => {
      const client = a.keyExchange(group);
      const server = b.keyExchange(group);
      expect(client.group).toBe(group);
      expect(client.publicKey.length).toBe(KEY_SHARE_LENGTH.get(group));
      expect(server.publicKey.length).toBe(KEY_SHARE_LENGTH.get(group));
      if (group !== NamedGroup.X25519) expect(client.publicKey[0]).toBe(0x04);
      const s1 = client.computeSharedSecret(server.publicKey);
      const s2 = server.computeSharedSecret(client.publicKey);
      expect(s1.length).toBe(SECRET_LENGTH[group]);
      expect(toHex(s1)).toBe(toHex(s2));
      // Fresh keys each time (CSPRNG).
      expect(toHex(a.keyExchange(group).publicKey)).not.toBe(toHex(client.publicKey));
    });
  }

  describe.each(HOOKS)('%s known-answer vectors', (_, make) => {
    it('RFC 7748 §6.1 X25519', () => {
      const alice = make(NamedGroup.X25519, fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
      const bob = make(NamedGroup.X25519, fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
      expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expect(toHex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      expect(toHex(alice.computeSharedSecret(bob.publicKey))).toBe(k);
      expect(toHex(bob.computeSharedSecret(alice.publicKey))).toBe(k);
    });

    it('RFC 5903 §8.1 ECDH on P-256: the shared secret is the x-coordinate', () => {
      const i = make(NamedGroup.SECP256R1, fromHex('c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433'));
      const r = make(NamedGroup.SECP256R1, fromHex('c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53'));
      expect(toHex(i.publicKey)).toBe(
        '04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3',
      );
      expect(toHex(r.publicKey)).toBe(
        '04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
      );
      const z = 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de';
      expect(toHex(i.computeSharedSecret(r.publicKey))).toBe(z);
      expect(toHex(r.computeSharedSecret(i.publicKey))).toBe(z);
    });
  });

  describe('invalid peer shares are illegal_parameter, on both providers', () => {
    // RFC 7748 §6.1 / §7: points of small order, and non-canonical encodings of them, make the
    // X25519 result all zero; both backends must refuse them.
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000', // 0
      '0100000000000000000000000000000000000000000000000000000000000000', // 1
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p − 1
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p (≡ 0)
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1 (≡ 1)
    ];
    const P256_P = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';

    for (const [name, p] of EACH_PROVIDER) {
      it(`${name}: X25519 low-order points`, () => {
        const kx = p.keyExchange(NamedGroup.X25519);
        for (const hex of lowOrder) expectIllegalParameter(() => kx.computeSharedSecret(fromHex(hex)));
      });

      it(`${name}: wrong lengths for every group`, () => {
        for (const group of GROUPS) {
          const kx = p.keyExchange(group);
          const n = KEY_SHARE_LENGTH.get(group)!;
          for (const len of [0, 1, n - 1, n + 1, 2 * n]) {
            const share = new Uint8Array(len).fill(0x04, 0, 1);
            expectIllegalParameter(() => kx.computeSharedSecret(share));
          }
          // A valid share with a byte appended or removed.
          const good = p.keyExchange(group).publicKey;
          expectIllegalParameter(() => kx.computeSharedSecret(Uint8Array.from([...good, 0])));
          expectIllegalParameter(() => kx.computeSharedSecret(good.subarray(0, good.length - 1)));
        }
      });

      it(`${name}: NIST curves: compressed/hybrid form, off-curve points, coordinates ≥ p`, () => {
        for (const group of [NamedGroup.SECP256R1, NamedGroup.SECP384R1]) {
          const kx = p.keyExchange(group);
          const good = p.keyExchange(group).publicKey;
          const len = (good.length - 1) / 2;
          // Same bytes with a compressed (0x02/0x03) or hybrid (0x06/0x07) prefix.
          for (const prefix of [0x00, 0x02, 0x03, 0x06, 0x07]) {
            const share = good.slice();
            share[0] = prefix;
            expectIllegalParameter(() => kx.computeSharedSecret(share));
          }
          // Y + 1: off the curve.
          const off = good.slice();
          off[off.length - 1] = off[off.length - 1]! ^ 1;
          expectIllegalParameter(() => kx.computeSharedSecret(off));
          // All-zero coordinates (not on the curve; the point at infinity has no such encoding).
          expectIllegalParameter(() => kx.computeSharedSecret(new Uint8Array(1 + 2 * len).fill(4, 0, 1)));
          // A compressed point of the right length for the other curve is still refused.
          expectIllegalParameter(() => kx.computeSharedSecret(good.subarray(0, 1 + len)));
        }
        // x = p (out of range) with the y of a valid point.
        const kx = p.keyExchange(NamedGroup.SECP256R1);
        const good = p.keyExchange(NamedGroup.SECP256R1).publicKey;
        const share = good.slice();
        share.set(fromHex(P256_P), 1);
        expectIllegalParameter(() => kx.computeSharedSecret(share));
      });

      it(`${name}: random bytes never throw anything but illegal_parameter`, () => {
        const kxs: KeyExchange[] = GROUPS.map((g) => p.keyExchange(g));
        fc.assert(
          fc.property(fc.constantFrom(0, 1, 2), fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.boolean(), (gi, bytes, exact) => {
            const kx = kxs[gi]!;
            let share = bytes;
            if (exact) {
              // Right length and prefix, so the bytes reach the backend's point decoder.
              share = new Uint8Array(kx.publicKey.length);
              share.set(bytes.subarray(0, share.length));
              if (kx.group !== NamedGroup.X25519) share[0] = 4;
            }
            try {
              const z = kx.computeSharedSecret(share);
              expect(z.length).toBe(SECRET_LENGTH[kx.group]);
            } catch (e) {
              expect(e).toBeInstanceOf(TransportError);
              expect((e as TransportError).code).toBe(ILLEGAL_PARAMETER);
            }
          }),
          { numRuns: 100 },
        );
      });
    }
  });
});
