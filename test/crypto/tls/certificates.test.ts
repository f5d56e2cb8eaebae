/**
 * Certificates (RFC 9846 §4.4.2): development certificate generation (crypto/certgen.ts),
 * loading credentials, and chain verification in `ca` and `insecure` modes with the alerts of
 * tls/certificates.ts. Times are fixed: the verifier takes `timeMs`, the generator `notBefore`.
 */
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDevCa, generateDevCertificate, type DevKeyType, type PemCredentials } from '../../../src/crypto/certgen.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { nodeProvider } from '../../../src/crypto/node.js';
import { verifyKeyFromCertificate } from '../../../src/crypto/signing.js';
import { AlertDescription } from '../../../src/crypto/tls/alert.js';
import {
  MAX_CHAIN_LENGTH,
  loadCertificateChain,
  loadCredentials,
  verifyCertificateChain,
  type CertificateVerification,
} from '../../../src/crypto/tls/certificates.js';
import { TransportError } from '../../../src/util/transport-error.js';
import { cryptoError } from '../../../src/wire/errors.js';
import { fc } from '../../support/fc.js';

const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
/** Inside every certificate's validity (leaves: 30 days, CAs: 365 days). */
const T = NOT_BEFORE.getTime() + 10 * DAY;
const KEY_TYPES: readonly DevKeyType[] = ['ecdsa-p256', 'ed25519', 'rsa'];

function der(pem: string): Uint8Array {
  return loadCertificateChain(pem)[0]!;
}

function ca(anchors: Uint8Array[], host = 'localhost', timeMs = T): CertificateVerification {
  return { mode: 'ca', ca: anchors, host, timeMs };
}

/** Expects f to throw the TLS alert `alert` (as a TransportError) and returns its reason. */
function expectAlert(f: () => unknown, alert: number): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code, (e as TransportError).reason).toBe(cryptoError(alert));
    return (e as TransportError).reason;
  }
  return expect.unreachable('expected a TLS alert');
}

let root: PemCredentials;
let otherRoot: PemCredentials;
const leaves = new Map<DevKeyType, PemCredentials>();
const roots = new Map<DevKeyType, PemCredentials>();
let selfSigned: PemCredentials;
let intermediate: PemCredentials;
let leafOfIntermediate: PemCredentials;

beforeAll(async () => {
  root = await generateDevCa({ notBefore: NOT_BEFORE });
  otherRoot = await generateDevCa({ notBefore: NOT_BEFORE, commonName: 'some other CA' });
  for (const t of KEY_TYPES) {
    roots.set(t, t === 'ecdsa-p256' ? root : await generateDevCa({ keyType: t, notBefore: NOT_BEFORE }));
    leaves.set(t, await generateDevCertificate({ keyType: t, ca: roots.get(t)!, notBefore: NOT_BEFORE }));
  }
  selfSigned = await generateDevCertificate({ notBefore: NOT_BEFORE, hosts: ['example.test', '10.1.2.3'] });
  intermediate = await generateDevCa({ ca: root, notBefore: NOT_BEFORE, commonName: 'tquic intermediate' });
  leafOfIntermediate = await generateDevCertificate({ ca: intermediate, notBefore: NOT_BEFORE, hosts: ['*.example.test'] });
}, 60_000);

describe('generateDevCertificate / generateDevCa', () => {
  it.each(KEY_TYPES)('%s: a leaf issued by a CA of the same key type, with SANs and the requested validity', (t) => {
    const cert = new X509Certificate(leaves.get(t)!.certPem);
    const caCert = new X509Certificate(roots.get(t)!.certPem);
    expect(cert.ca).toBe(false);
    expect(caCert.ca).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(Date.parse(cert.validFrom)).toBe(NOT_BEFORE.getTime());
    expect(Date.parse(cert.validTo)).toBe(NOT_BEFORE.getTime() + 30 * DAY);
    expect(loadCredentials(leaves.get(t)!.certPem, leaves.get(t)!.keyPem).key.type).toBe(t);
  });

  it('defaults: ecdsa-p256, localhost/127.0.0.1/::1, starting about now', async () => {
    const { certPem, keyPem } = await generateDevCertificate();
    const cert = new X509Certificate(certPem);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
    expect(loadCredentials(certPem, keyPem).chain).toHaveLength(1);
  });

  it('refuses bad options', async () => {
    await expect(generateDevCertificate({ days: 0 })).rejects.toThrow(RangeError);
    await expect(generateDevCertificate({ hosts: [] })).rejects.toThrow(RangeError);
    await expect(generateDevCertificate({ keyType: 'dsa' as DevKeyType })).rejects.toThrow(RangeError);
  });
});

describe('loadCertificateChain / loadCredentials', () => {
  it('reads every PEM block, leaf first', () => {
    const chain = loadCertificateChain(leafOfIntermediate.certPem + '\n' + intermediate.certPem);
    expect(chain).toHaveLength(2);
    expect(new X509Certificate(chain[1]!).subject).toContain('tquic intermediate');
    expect(() => loadCertificateChain('no pem here')).toThrow(RangeError);
    expect(() => loadCertificateChain('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(RangeError);
  });

  it('refuses a key that does not match the leaf', () => {
    expect(() => loadCredentials(leaves.get('ecdsa-p256')!.certPem, root.keyPem)).toThrow(RangeError);
    expect(() => loadCredentials(leaves.get('rsa')!.certPem, leaves.get('ed25519')!.keyPem)).toThrow(RangeError);
  });

  it('credentials sign CertificateVerify content that the verified chain key accepts, across providers', () => {
    for (const t of KEY_TYPES) {
      const creds = loadCredentials(leaves.get(t)!.certPem, leaves.get(t)!.keyPem);
      const key = verifyCertificateChain(creds.chain, ca([der(roots.get(t)!.certPem)]));
      const msg = new Uint8Array(130).fill(0x20);
      for (const [a, b] of [
        [nobleProvider, nodeProvider],
        [nodeProvider, nobleProvider],
      ] as const) {
        for (const scheme of creds.key.schemes) expect(b.verify(scheme, key, msg, a.sign(scheme, creds.key, msg))).toBe(true);
      }
    }
  });
});

describe('verifyCertificateChain (ca mode)', () => {
  it.each(KEY_TYPES)('%s leaf chains to its CA for every name in the SAN', (t) => {
    const chain = loadCertificateChain(leaves.get(t)!.certPem);
    const anchors = [der(roots.get(t)!.certPem)];
    for (const host of ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '::1', '[::1]', '0:0:0:0:0:0:0:1']) {
      expect(verifyCertificateChain(chain, ca(anchors, host)).type, host).toBe(t);
    }
  });

  it('returns the leaf key, also when the CA is sent along and other anchors are present', () => {
    const chain = [der(leaves.get('rsa')!.certPem), der(roots.get('rsa')!.certPem)];
    const key = verifyCertificateChain(chain, ca([der(otherRoot.certPem), der(roots.get('rsa')!.certPem)]));
    expect(key.type).toBe('rsa');
  });

  it('wrong host name or IP: bad_certificate "host name mismatch"', () => {
    const chain = [der(leaves.get('ecdsa-p256')!.certPem)];
    const anchors = [der(root.certPem)];
    for (const host of ['example.com', 'localhost.example', 'sub.localhost', '127.0.0.2', '::2', '']) {
      expect(expectAlert(() => verifyCertificateChain(chain, ca(anchors, host)), AlertDescription.BAD_CERTIFICATE)).toContain('host name mismatch');
    }
  });

  it('wildcards match exactly one left-most label', () => {
    const chain = [der(leafOfIntermediate.certPem), der(intermediate.certPem)];
    const anchors = [der(root.certPem)];
    expect(verifyCertificateChain(chain, ca(anchors, 'www.example.test')).type).toBe('ecdsa-p256');
    for (const host of ['example.test', 'a.b.example.test']) expectAlert(() => verifyCertificateChain(chain, ca(anchors, host)), AlertDescription.BAD_CERTIFICATE);
  });

  it('untrusted or missing issuer: unknown_ca', () => {
    const chain = [der(leaves.get('ecdsa-p256')!.certPem)];
    expectAlert(() => verifyCertificateChain(chain, ca([der(otherRoot.certPem)])), AlertDescription.UNKNOWN_CA);
    expectAlert(() => verifyCertificateChain(chain, ca([])), AlertDescription.UNKNOWN_CA);
    // A CA that is sent along but not trusted does not help.
    expectAlert(() => verifyCertificateChain([...chain, der(root.certPem)], ca([der(otherRoot.certPem)])), AlertDescription.UNKNOWN_CA);
    // Self-signed, not pinned.
    expectAlert(() => verifyCertificateChain([der(selfSigned.certPem)], ca([der(root.certPem)], 'example.test')), AlertDescription.UNKNOWN_CA);
  });

  it('a pinned self-signed leaf is its own trust anchor', () => {
    const leaf = der(selfSigned.certPem);
    expect(verifyCertificateChain([leaf], ca([leaf], 'example.test')).type).toBe('ecdsa-p256');
    expect(verifyCertificateChain([leaf], ca([leaf], '10.1.2.3')).type).toBe('ecdsa-p256');
    expectAlert(() => verifyCertificateChain([leaf], ca([leaf], 'localhost')), AlertDescription.BAD_CERTIFICATE);
  });

  it('leaf → intermediate → root, in any order, with unrelated extras; not without the intermediate', () => {
    const leaf = der(leafOfIntermediate.certPem);
    const inter = der(intermediate.certPem);
    const anchors = [der(root.certPem)];
    const host = 'a.example.test';
    expect(verifyCertificateChain([leaf, inter], ca(anchors, host)).type).toBe('ecdsa-p256');
    expect(verifyCertificateChain([leaf, der(otherRoot.certPem), der(selfSigned.certPem), inter], ca(anchors, host)).type).toBe('ecdsa-p256');
    expectAlert(() => verifyCertificateChain([leaf], ca(anchors, host)), AlertDescription.UNKNOWN_CA);
    // The intermediate itself as the trust anchor.
    expect(verifyCertificateChain([leaf], ca([inter], host)).type).toBe('ecdsa-p256');
  });

  it('an intermediate that is not a CA does not issue certificates', async () => {
    // A certificate "issued" by an ordinary leaf (which the root did issue). OpenSSL's
    // X509_check_issued already refuses an issuer whose keyUsage lacks keyCertSign, so no path
    // exists (unknown_ca); a non-CA issuer without keyUsage would be bad_certificate.
    const byLeaf = await generateDevCertificate({ ca: leaves.get('ecdsa-p256')!, notBefore: NOT_BEFORE });
    const chain = [der(byLeaf.certPem), der(leaves.get('ecdsa-p256')!.certPem)];
    expectAlert(() => verifyCertificateChain(chain, ca([der(root.certPem)])), AlertDescription.UNKNOWN_CA);
    // Not as a trust anchor either.
    expectAlert(() => verifyCertificateChain([der(byLeaf.certPem)], ca([der(leaves.get('ecdsa-p256')!.certPem)])), AlertDescription.UNKNOWN_CA);
  });

  it('outside the validity period of any certificate on the path: certificate_expired', () => {
    const chain = [der(leafOfIntermediate.certPem), der(intermediate.certPem)];
    const anchors = [der(root.certPem)];
    const host = 'x.example.test';
    const leafEnd = NOT_BEFORE.getTime() + 30 * DAY;
    expect(verifyCertificateChain(chain, ca(anchors, host, NOT_BEFORE.getTime())).type).toBe('ecdsa-p256');
    expect(verifyCertificateChain(chain, ca(anchors, host, leafEnd)).type).toBe('ecdsa-p256');
    for (const t of [leafEnd + 1000, NOT_BEFORE.getTime() - 1000, NOT_BEFORE.getTime() + 400 * DAY]) {
      expectAlert(() => verifyCertificateChain(chain, ca(anchors, host, t)), AlertDescription.CERTIFICATE_EXPIRED);
    }
  });

  it('bad local options are RangeErrors', () => {
    const chain = [der(selfSigned.certPem)];
    expect(() => verifyCertificateChain(chain, ca([new Uint8Array([1, 2, 3])]))).toThrow(RangeError);
    expect(() => verifyCertificateChain(chain, ca([der(root.certPem)], 'localhost', Number.NaN))).toThrow(RangeError);
  });
});

describe('verifyCertificateChain (insecure mode and hostile input)', () => {
  it('insecure mode accepts any parseable certificate with a usable key', () => {
    expect(verifyCertificateChain([der(selfSigned.certPem)], { mode: 'insecure' }).type).toBe('ecdsa-p256');
    for (const t of KEY_TYPES) expect(verifyCertificateChain([der(leaves.get(t)!.certPem)], { mode: 'insecure' }).type).toBe(t);
    expect(verifyKeyFromCertificate(der(leaves.get('ed25519')!.certPem)).type).toBe('ed25519');
  });

  it('empty chain and unparseable DER: decode_error; too long a chain: bad_certificate', () => {
    const leaf = der(selfSigned.certPem);
    for (const opts of [{ mode: 'insecure' } as const, ca([leaf], 'example.test')]) {
      expectAlert(() => verifyCertificateChain([], opts), AlertDescription.DECODE_ERROR);
      expectAlert(() => verifyCertificateChain([new Uint8Array(0)], opts), AlertDescription.DECODE_ERROR);
      expectAlert(() => verifyCertificateChain([new Uint8Array([0x30, 0x03, 1, 2, 3])], opts), AlertDescription.DECODE_ERROR);
      expectAlert(() => verifyCertificateChain([Uint8Array.from([...leaf, 0])], opts), AlertDescription.DECODE_ERROR);
      expectAlert(() => verifyCertificateChain([leaf.subarray(0, leaf.length - 1)], opts), AlertDescription.DECODE_ERROR);
      expectAlert(() => verifyCertificateChain([new TextEncoder().encode(selfSigned.certPem)], opts), AlertDescription.DECODE_ERROR);
      expectAlert(() => verifyCertificateChain(new Array<Uint8Array>(MAX_CHAIN_LENGTH + 1).fill(leaf), opts), AlertDescription.BAD_CERTIFICATE);
      expectAlert(() => verifyCertificateChain([new Uint8Array(100_000).fill(0x30)], opts), AlertDescription.BAD_CERTIFICATE);
      expectAlert(() => verifyKeyFromCertificate(new Uint8Array([1, 2, 3])), AlertDescription.DECODE_ERROR);
    }
  });

  it('random and mutated certificates throw nothing but TransportError', () => {
    const leaf = der(leaves.get('ecdsa-p256')!.certPem);
    const anchors = [der(root.certPem)];
    const check = (chain: Uint8Array[]) => {
      for (const opts of [{ mode: 'insecure' } as const, ca(anchors)]) {
        try {
          verifyCertificateChain(chain, opts);
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
        }
      }
    };
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 3 }), (chain) => check(chain)),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(leaf.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const m = leaf.slice();
        for (const [i, x] of flips) m[i] = m[i]! ^ x;
        check([m, der(root.certPem)]);
      }),
      { numRuns: 150 },
    );
  });
});
