/**
 * Ephemeral key generation draws from the provider's own `randomBytes` (provider.ts
 * `ephemeralPrivateKey`): a copy of a provider with a seeded `randomBytes` — what the simulator
 * builds — makes the same key pairs run after run, and both providers make the same key pair
 * from the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { p256, p384 } from '@noble/curves/nist.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nodeProvider } from '../../src/crypto/node.js';
import { ephemeralPrivateKey, type CryptoProvider } from '../../src/crypto/provider.js';
import { NamedGroup } from '../../src/crypto/tls/constants.js';
import { TlsClient } from '../../src/crypto/tls/client.js';
import { toHex } from '../../src/util/bytes.js';
import { Prng } from '../../src/util/prng.js';
import { EACH_PROVIDER } from './helpers.js';

const GROUPS = [
  ['x25519', NamedGroup.X25519],
  ['secp256r1', NamedGroup.SECP256R1],
  ['secp384r1', NamedGroup.SECP384R1],
] as const;

/** The provider with its randomBytes replaced by a seeded generator, as sim/scenario.ts does. */
function seeded(p: CryptoProvider, seed: number): CryptoProvider {
  const prng = new Prng(seed);
  return { ...p, randomBytes: (n: number) => prng.bytes(n) };
}

/** A randomBytes that hands out the given buffers in turn. */
function scripted(...draws: Uint8Array[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const d = draws[Math.min(i++, draws.length - 1)]!;
    return d.length === n ? d.slice() : new Uint8Array(d.length);
  };
}

function bigToBytes(v: bigint, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
}

describe('seeded key generation', () => {
  for (const [pname, p] of EACH_PROVIDER) {
    it.each(GROUPS)(`${pname} %s: the same seed gives the same key pair, another seed another`, (_, group) => {
      const a = seeded(p, 11).keyExchange(group).publicKey;
      const b = seeded(p, 11).keyExchange(group).publicKey;
      const c = seeded(p, 12).keyExchange(group).publicKey;
      expect(toHex(a)).toBe(toHex(b));
      expect(toHex(a)).not.toBe(toHex(c));
      // Successive key pairs from one seeded provider differ (the generator moves on).
      const s = seeded(p, 11);
      expect(toHex(s.keyExchange(group).publicKey)).not.toBe(toHex(s.keyExchange(group).publicKey));
    });

    it(`${pname}: the spread copy's randomBytes is the one key generation draws from`, () => {
      let drawn = 0;
      const counting: CryptoProvider = { ...p, randomBytes: (n: number) => (drawn += n, new Uint8Array(n).fill(1)) };
      for (const [, g] of GROUPS) counting.keyExchange(g);
      expect(drawn).toBe(32 + 32 + 48);
      // The provider itself still uses its secure source.
      expect(toHex(p.keyExchange(NamedGroup.X25519).publicKey)).not.toBe(toHex(p.keyExchange(NamedGroup.X25519).publicKey));
    });
  }

  it.each(GROUPS)('%s: noble and node make the same key pair from the same bytes, and agree on ECDH', (_, group) => {
    const nobleClient = seeded(nobleProvider, 21).keyExchange(group);
    const nodeClient = seeded(nodeProvider, 21).keyExchange(group);
    expect(toHex(nodeClient.publicKey)).toBe(toHex(nobleClient.publicKey));
    const nobleServer = seeded(nobleProvider, 22).keyExchange(group);
    const nodeServer = seeded(nodeProvider, 22).keyExchange(group);
    expect(toHex(nodeServer.publicKey)).toBe(toHex(nobleServer.publicKey));
    const z = toHex(nobleClient.computeSharedSecret(nodeServer.publicKey));
    expect(toHex(nodeServer.computeSharedSecret(nobleClient.publicKey))).toBe(z);
    expect(toHex(nodeClient.computeSharedSecret(nobleServer.publicKey))).toBe(z);
    expect(toHex(nobleServer.computeSharedSecret(nodeClient.publicKey))).toBe(z);
  });

  it.each(EACH_PROVIDER)('%s: a seeded TLS client sends the same ClientHello every time', (_, p) => {
    const clientHello = (seed: number): string => {
      const c = new TlsClient({ provider: seeded(p, seed), serverName: 'localhost', alpn: ['h3'], transportParameters: new Uint8Array([0x0f, 0]) });
      c.start();
      return toHex(c.pollOutput()!.data);
    };
    expect(clientHello(5)).toBe(clientHello(5));
    expect(clientHello(5)).not.toBe(clientHello(6));
  });
});

describe('ephemeralPrivateKey', () => {
  it('uses the group orders of P-256 and P-384', () => {
    for (const [group, curve, len] of [
      [NamedGroup.SECP256R1, p256, 32],
      [NamedGroup.SECP384R1, p384, 48],
    ] as const) {
      const n = curve.Point.CURVE().n;
      const nBytes = bigToBytes(n, len);
      const nMinus1 = bigToBytes(n - 1n, len);
      const one = bigToBytes(1n, len);
      // n − 1 and 1 are the extremes of [1, n − 1]: taken as drawn.
      expect(toHex(ephemeralPrivateKey(group, scripted(nMinus1)))).toBe(toHex(nMinus1));
      expect(toHex(ephemeralPrivateKey(group, scripted(one)))).toBe(toHex(one));
      // 0, n and anything above n are rejected and drawn again.
      expect(toHex(ephemeralPrivateKey(group, scripted(new Uint8Array(len), nBytes, new Uint8Array(len).fill(0xff), one)))).toBe(toHex(one));
      // A generator that never yields a valid scalar is reported, not looped on forever.
      expect(() => ephemeralPrivateKey(group, scripted(nBytes))).toThrow(RangeError);
    }
  });

  it('x25519 takes 32 bytes as they come (X25519 clamps them itself)', () => {
    const raw = new Uint8Array(32).fill(0xff);
    expect(toHex(ephemeralPrivateKey(NamedGroup.X25519, scripted(raw)))).toBe(toHex(raw));
  });

  it('rejects a wrong-length draw and an unsupported group', () => {
    expect(() => ephemeralPrivateKey(NamedGroup.X25519, () => new Uint8Array(31))).toThrow(RangeError);
    expect(() => ephemeralPrivateKey(NamedGroup.X448, () => new Uint8Array(56))).toThrow(RangeError);
  });

  it('a returned key does not alias the generator’s buffer', () => {
    const buf = new Uint8Array(32).fill(3);
    const k = ephemeralPrivateKey(NamedGroup.SECP256R1, () => buf);
    buf.fill(0);
    expect(k.every((b) => b === 3)).toBe(true);
  });
});
