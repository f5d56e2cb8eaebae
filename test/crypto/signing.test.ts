/**
 * CertificateVerify signatures (RFC 9846 §4.4.3) on both providers: key loading, every scheme
 * signed on one provider and verified on the other, tampering, scheme/key mismatches, and
 * OpenSSL-style high-S ECDSA signatures accepted by noble.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nodeProvider } from '../../src/crypto/node.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import {
  SUPPORTED_SIGNATURE_SCHEMES,
  keySupportsScheme,
  loadSigningKey,
  schemeInfo,
  verifyKeyFromPublicKey,
  type KeyType,
  type SigningKey,
} from '../../src/crypto/signing.js';
import { AlertDescription } from '../../src/crypto/tls/alert.js';
import { SignatureScheme } from '../../src/crypto/tls/constants.js';
import { TransportError } from '../../src/util/transport-error.js';
import { cryptoError } from '../../src/wire/errors.js';
import { fc } from '../support/fc.js';

const PAIRS: readonly (readonly [CryptoProvider, CryptoProvider])[] = [
  [nobleProvider, nodeProvider],
  [nodeProvider, nobleProvider],
  [nobleProvider, nobleProvider],
  [nodeProvider, nodeProvider],
];

function pkcs8(k: KeyObject): string {
  return k.export({ format: 'pem', type: 'pkcs8' }) as string;
}

const KEYS: Record<KeyType, KeyObject> = {
  'ecdsa-p256': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  'ecdsa-p384': generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
  ed25519: generateKeyPairSync('ed25519').privateKey,
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};
const LOADED: Record<KeyType, SigningKey> = Object.fromEntries(
  Object.entries(KEYS).map(([t, k]) => [t, loadSigningKey(pkcs8(k))]),
) as Record<KeyType, SigningKey>;

/** A second key of each type. */
const OTHER: Record<KeyType, SigningKey> = {
  'ecdsa-p256': loadSigningKey(pkcs8(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey)),
  'ecdsa-p384': loadSigningKey(pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey)),
  ed25519: loadSigningKey(pkcs8(generateKeyPairSync('ed25519').privateKey)),
  rsa: loadSigningKey(pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)),
};

/** [scheme, key type] for every scheme tquic signs with. */
const SIGN_CASES = SUPPORTED_SIGNATURE_SCHEMES.map((s) => [schemeInfo(s)!.name, s, schemeInfo(s)!.keyType] as const);

const message = new TextEncoder().encode(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 'x'.repeat(32));

describe('loadSigningKey', () => {
  it.each(Object.keys(KEYS) as KeyType[])('loads a PKCS#8 %s key', (type) => {
    const k = LOADED[type];
    expect(k.type).toBe(type);
    expect(k.publicKey.type).toBe(type);
    expect(k.schemes.length).toBeGreaterThan(0);
    for (const s of k.schemes) expect(keySupportsScheme(k, s)).toBe(true);
    if (type === 'rsa') {
      expect(k.rawPrivate).toBeUndefined();
      expect(k.schemes).toEqual([SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384, SignatureScheme.RSA_PSS_RSAE_SHA512]);
    } else {
      expect(k.rawPrivate!.length).toBe(type === 'ecdsa-p384' ? 48 : 32);
      expect(k.publicKey.rawPublic!.length).toBe(type === 'ed25519' ? 32 : type === 'ecdsa-p256' ? 65 : 97);
    }
  });

  it('loads SEC 1 ("EC PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY") PEM', () => {
    const ec = loadSigningKey(KEYS['ecdsa-p256'].export({ format: 'pem', type: 'sec1' }) as string);
    expect(ec.type).toBe('ecdsa-p256');
    const rsa = loadSigningKey(KEYS.rsa.export({ format: 'pem', type: 'pkcs1' }) as string);
    expect(rsa.type).toBe('rsa');
    expect(rsa.bits).toBe(2048);
  });

  it('does not expose the raw private key when printed or serialised', () => {
    const k = LOADED['ecdsa-p256'];
    expect(Object.keys(k)).not.toContain('rawPrivate');
    expect(JSON.stringify(k)).not.toContain(Buffer.from(k.rawPrivate!).toString('hex'));
  });

  it('refuses unsupported or unusable keys with a RangeError', () => {
    const bad: [string, string][] = [
      ['garbage', 'hello'],
      ['certificate PEM', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
      ['broken PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
      ['P-521', pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey)],
      ['secp256k1', pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey)],
      ['Ed448', pkcs8(generateKeyPairSync('ed448').privateKey)],
      ['X25519', pkcs8(generateKeyPairSync('x25519').privateKey)],
      ['RSA 1024', pkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)],
      ['RSA-PSS key', pkcs8(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey)],
      [
        'encrypted PKCS#8',
        KEYS['ecdsa-p256'].export({ format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'x' }) as string,
      ],
    ];
    for (const [what, pem] of bad) expect(() => loadSigningKey(pem), what).toThrow(RangeError);
  });

  it('verify keys: unsupported key types are unsupported_certificate, small RSA bad_certificate', () => {
    const cases: [KeyObject, number][] = [
      [generateKeyPairSync('ed448').publicKey, AlertDescription.UNSUPPORTED_CERTIFICATE],
      [generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey, AlertDescription.UNSUPPORTED_CERTIFICATE],
      [generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, AlertDescription.BAD_CERTIFICATE],
    ];
    for (const [k, alert] of cases) {
      try {
        verifyKeyFromPublicKey(k);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(TransportError);
        expect((e as TransportError).code).toBe(cryptoError(alert));
      }
    }
  });
});

describe('sign and verify across providers', () => {
  for (const [a, b] of PAIRS) {
    it.each(SIGN_CASES)(`%s: ${a.name} signs, ${b.name} verifies`, (_, scheme, type) => {
      const key = LOADED[type];
      const sig = a.sign(scheme, key, message);
      expect(b.verify(scheme, key.publicKey, message, sig)).toBe(true);
      // Tampered message and signature.
      const m2 = message.slice();
      m2[m2.length - 1] = m2[m2.length - 1]! ^ 1;
      expect(b.verify(scheme, key.publicKey, m2, sig)).toBe(false);
      const s2 = sig.slice();
      s2[s2.length - 1] = s2[s2.length - 1]! ^ 1;
      expect(b.verify(scheme, key.publicKey, message, s2)).toBe(false);
      expect(b.verify(scheme, key.publicKey, message, sig.subarray(0, sig.length - 1))).toBe(false);
      expect(b.verify(scheme, key.publicKey, message, new Uint8Array(0))).toBe(false);
      // Another key of the same type does not verify it.
      expect(b.verify(scheme, OTHER[type].publicKey, message, sig)).toBe(false);
    });
  }

  it.each(SIGN_CASES)('%s: DER ECDSA-Sig-Value for ECDSA, fixed sizes otherwise', (_, scheme, type) => {
    for (const p of [nobleProvider, nodeProvider]) {
      const sig = p.sign(scheme, LOADED[type], message);
      if (type === 'ed25519') expect(sig.length).toBe(64);
      else if (type === 'rsa') expect(sig.length).toBe(256);
      else expect(sig[0]).toBe(0x30); // SEQUENCE { r INTEGER, s INTEGER }
    }
  });

  it('Ed25519 signatures are deterministic and identical across providers (RFC 8032)', () => {
    const k = LOADED.ed25519;
    expect(Buffer.from(nobleProvider.sign(SignatureScheme.ED25519, k, message))).toEqual(
      Buffer.from(nodeProvider.sign(SignatureScheme.ED25519, k, message)),
    );
  });

  it('a scheme that does not fit the key: verify is false, sign is a RangeError', () => {
    for (const p of [nobleProvider, nodeProvider]) {
      for (const [type, key] of Object.entries(LOADED)) {
        for (const scheme of [...SUPPORTED_SIGNATURE_SCHEMES, SignatureScheme.RSA_PKCS1_SHA256, SignatureScheme.ED448, 0x0201, 0xffff]) {
          if (key.schemes.includes(scheme)) continue;
          // A valid signature by this key under its own scheme, presented under another.
          const sig = p.sign(key.schemes[0]!, key, message);
          expect(p.verify(scheme, key.publicKey, message, sig), `${p.name} ${type} 0x${scheme.toString(16)}`).toBe(false);
          expect(() => p.sign(scheme, key, message)).toThrow(RangeError);
        }
      }
    }
  });

  it('ECDSA P-256 signatures are not accepted under the P-384 scheme and vice versa', () => {
    const s256 = nodeProvider.sign(SignatureScheme.ECDSA_SECP256R1_SHA256, LOADED['ecdsa-p256'], message);
    for (const p of [nobleProvider, nodeProvider]) {
      expect(p.verify(SignatureScheme.ECDSA_SECP384R1_SHA384, LOADED['ecdsa-p256'].publicKey, message, s256)).toBe(false);
    }
  });

  it('noble signs low-S; noble verifies high-S signatures as OpenSSL may produce them', () => {
    for (const [type, curve, scheme] of [
      ['ecdsa-p256', p256, SignatureScheme.ECDSA_SECP256R1_SHA256],
      ['ecdsa-p384', p384, SignatureScheme.ECDSA_SECP384R1_SHA384],
    ] as const) {
      const key = LOADED[type];
      const n = curve.Point.Fn.ORDER;
      const low = curve.Signature.fromBytes(nobleProvider.sign(scheme, key, message), 'der');
      expect(low.hasHighS()).toBe(false);
      const high = new curve.Signature(low.r, n - low.s).toBytes('der');
      expect(curve.Signature.fromBytes(high, 'der').hasHighS()).toBe(true);
      expect(nodeProvider.verify(scheme, key.publicKey, message, high)).toBe(true);
      expect(nobleProvider.verify(scheme, key.publicKey, message, high)).toBe(true);
    }
  });

  it('random messages: sign on one provider, verify on the other; garbage never throws', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAIRS),
        fc.constantFrom(...SIGN_CASES),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 600 }),
        ([a, b], [, scheme, type], msg, garbage) => {
          const key = LOADED[type];
          expect(b.verify(scheme, key.publicKey, msg, a.sign(scheme, key, msg))).toBe(true);
          expect(b.verify(scheme, key.publicKey, msg, garbage)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});
