/**
 * The parsed-certificate cache (crypto/certificate-cache.ts) and its use by chain verification
 * (crypto/tls/certificates.ts): bounded in entries and bytes, least recently used evicted, keyed
 * by the exact DER (a changed certificate is parsed afresh), nothing but parses and pure
 * functions of the bytes remembered (validity is checked against the caller's time on every
 * call, failures are never cached), and trust anchor sets re-checked against their bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDevCa, generateDevCertificate, type PemCredentials } from '../../src/crypto/certgen.js';
import { CertificateCache, anchorSet, certificateCache, type ParsedCertificate } from '../../src/crypto/certificate-cache.js';
import { verifyKeyFromCertificate } from '../../src/crypto/signing.js';
import { AlertDescription } from '../../src/crypto/tls/alert.js';
import { loadCertificateChain, verifyCertificateChain, type CertificateVerification } from '../../src/crypto/tls/certificates.js';
import { TransportError } from '../../src/util/transport-error.js';
import { cryptoError } from '../../src/wire/errors.js';

const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
const T = NOT_BEFORE.getTime() + 10 * DAY;

let root: PemCredentials;
let otherRoot: PemCredentials;
let intermediate: PemCredentials;
let leaf: PemCredentials;
let leafOfIntermediate: PemCredentials;
/** Distinct self-signed certificates for the size bounds. */
const distinct: Uint8Array[] = [];

function der(pem: string): Uint8Array {
  return loadCertificateChain(pem)[0]!;
}

function ca(anchors: Uint8Array[], host = 'localhost', timeMs = T): CertificateVerification {
  return { mode: 'ca', ca: anchors, host, timeMs };
}

function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  return undefined;
}

beforeAll(async () => {
  root = await generateDevCa({ notBefore: NOT_BEFORE });
  otherRoot = await generateDevCa({ notBefore: NOT_BEFORE, commonName: 'some other CA' });
  intermediate = await generateDevCa({ ca: root, notBefore: NOT_BEFORE, commonName: 'tquic intermediate' });
  leaf = await generateDevCertificate({ ca: root, notBefore: NOT_BEFORE });
  leafOfIntermediate = await generateDevCertificate({ ca: intermediate, notBefore: NOT_BEFORE, hosts: ['*.example.test'] });
  for (let i = 0; i < 6; i++) distinct.push(der((await generateDevCertificate({ keyType: 'ed25519', notBefore: NOT_BEFORE })).certPem));
}, 60_000);

describe('CertificateCache', () => {
  it('parses each distinct DER once, whatever array holds the bytes', () => {
    const cache = new CertificateCache(8);
    const a = cache.get(distinct[0]!);
    const b = cache.get(distinct[0]!.slice());
    const inBigger = new Uint8Array(distinct[0]!.length + 10);
    inBigger.set(distinct[0]!, 5);
    const c = cache.get(inBigger.subarray(5, 5 + distinct[0]!.length));
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(cache.parses).toBe(1);
    expect(cache.size).toBe(1);
    expect(a.der).toEqual(distinct[0]);
  });

  it('is bounded in entries and evicts the least recently used', () => {
    const cache = new CertificateCache(4);
    for (const d of distinct.slice(0, 4)) cache.get(d);
    cache.get(distinct[0]!); // now the most recently used
    cache.get(distinct[4]!); // evicts distinct[1]
    expect(cache.size).toBe(4);
    expect(cache.has(distinct[0]!)).toBe(true);
    expect(cache.has(distinct[1]!)).toBe(false);
    expect(cache.has(distinct[4]!)).toBe(true);
    cache.get(distinct[5]!); // evicts distinct[2]
    expect(cache.has(distinct[2]!)).toBe(false);
    expect(cache.size).toBe(4);
    const parses = cache.parses;
    cache.get(distinct[1]!); // parsed again
    expect(cache.parses).toBe(parses + 1);
    expect(cache.size).toBe(4);
  });

  it('is bounded in bytes', () => {
    const size = distinct[0]!.length;
    const cache = new CertificateCache(64, size * 2 + 1);
    for (const d of distinct) cache.get(d);
    expect(cache.size).toBeLessThanOrEqual(2);
    expect(cache.byteSize).toBeLessThanOrEqual(size * 2 + 1);
    expect(cache.has(distinct[5]!)).toBe(true);
    // A certificate larger than the whole budget is parsed but not kept.
    const tiny = new CertificateCache(64, 10);
    expect(tiny.get(distinct[0]!).der).toEqual(distinct[0]);
    expect(tiny.size).toBe(0);
  });

  it('a changed certificate is a different entry, parsed afresh', () => {
    const cache = new CertificateCache(8);
    const original = cache.get(distinct[0]!);
    // Flip a byte inside the signature (the last bytes): still parses, different bytes.
    const changed = distinct[0]!.slice();
    changed[changed.length - 3]! ^= 0x01;
    const parsed = cache.get(changed);
    expect(parsed).not.toBe(original);
    expect(parsed.key).not.toBe(original.key);
    expect(cache.parses).toBe(2);
  });

  it('never caches failures or certificates with trailing bytes', () => {
    const cache = new CertificateCache(8);
    const garbage = new Uint8Array([0x30, 0x03, 1, 2, 3]);
    expect(() => cache.get(garbage)).toThrow();
    expect(() => cache.get(garbage)).toThrow();
    expect(cache.parses).toBe(2);
    expect(cache.size).toBe(0);
    const trailing = Uint8Array.from([...distinct[0]!, 0]);
    const p = cache.get(trailing);
    expect(p.der.length).toBe(distinct[0]!.length);
    expect(cache.has(trailing)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('remembers host matches and issuer checks per entry, computing each once', () => {
    const cache = new CertificateCache(8);
    const e = cache.get(der(leaf.certPem));
    const r = cache.get(der(root.certPem));
    let hostCalls = 0;
    const match = (_: unknown, name: string): boolean => {
      hostCalls++;
      return name === 'localhost';
    };
    expect(e.hostMatch('localhost', match)).toBe(true);
    expect(e.hostMatch('localhost', match)).toBe(true);
    expect(e.hostMatch('example.com', match)).toBe(false);
    expect(hostCalls).toBe(2);
    let issuerCalls = 0;
    const check = (): boolean => {
      issuerCalls++;
      return true;
    };
    e.issuedBy(r, check);
    e.issuedBy(r, check);
    expect(issuerCalls).toBe(1);
    // Host names per certificate are bounded too.
    for (let i = 0; i < 100; i++) e.hostMatch(`h${i}.test`, match);
    expect(hostCalls).toBe(102);
  });
});

describe('anchorSet', () => {
  it('reuses the parses of the same array while it holds the same bytes', () => {
    const anchors = [der(root.certPem), der(otherRoot.certPem)];
    let parses = 0;
    const parse = (d: Uint8Array, _i: number, cache: CertificateCache | undefined): ParsedCertificate => {
      parses++;
      return (cache ?? new CertificateCache()).get(d);
    };
    const first = anchorSet(anchors, parse);
    expect(anchorSet(anchors, parse)).toBe(first);
    expect(parses).toBe(2);
    // Replaced element: parsed again.
    anchors[1] = der(intermediate.certPem);
    const second = anchorSet(anchors, parse);
    expect(second).not.toBe(first);
    expect(second[1]!.x509.subject).toContain('tquic intermediate');
    // Changed in place: parsed again.
    const before = parses;
    anchors[0]![anchors[0]!.length - 3]! ^= 0x01;
    anchorSet(anchors, parse);
    expect(parses).toBe(before + 2);
  });
});

describe('verifyCertificateChain with a warm cache', () => {
  it('still checks the validity period against the time of every call', () => {
    const chain = [der(leafOfIntermediate.certPem), der(intermediate.certPem)];
    const anchors = [der(root.certPem)];
    const host = 'x.example.test';
    expect(verifyCertificateChain(chain, ca(anchors, host)).type).toBe('ecdsa-p256');
    expect(alertOf(() => verifyCertificateChain(chain, ca(anchors, host, NOT_BEFORE.getTime() + 31 * DAY)))).toBe(cryptoError(AlertDescription.CERTIFICATE_EXPIRED));
    expect(alertOf(() => verifyCertificateChain(chain, ca(anchors, host, NOT_BEFORE.getTime() - DAY)))).toBe(cryptoError(AlertDescription.CERTIFICATE_EXPIRED));
    // The root (365 days) expires later than the leaf: its own expiry is checked too.
    expect(alertOf(() => verifyCertificateChain(chain, ca(anchors, host, NOT_BEFORE.getTime() + 400 * DAY)))).toBe(cryptoError(AlertDescription.CERTIFICATE_EXPIRED));
    expect(verifyCertificateChain(chain, ca(anchors, host)).type).toBe('ecdsa-p256');
  });

  it('parses a repeated chain and anchors once', () => {
    const chain = [der(leafOfIntermediate.certPem), der(intermediate.certPem)];
    verifyCertificateChain(chain, ca([der(root.certPem)], 'a.example.test'));
    const parses = certificateCache.parses;
    for (let i = 0; i < 5; i++) {
      // Fresh arrays every time, as a Certificate message and a per-connection anchor list are.
      expect(verifyCertificateChain(chain.map((d) => d.slice()), ca([der(root.certPem)], 'a.example.test')).type).toBe('ecdsa-p256');
    }
    expect(certificateCache.parses).toBe(parses);
  });

  it('a changed leaf is parsed afresh and fails its signature check', () => {
    const good = der(leaf.certPem);
    const anchors = [der(root.certPem)];
    expect(verifyCertificateChain([good], ca(anchors)).type).toBe('ecdsa-p256');
    const changed = good.slice();
    changed[changed.length - 3]! ^= 0x01; // inside the signature
    expect(alertOf(() => verifyCertificateChain([changed], ca(anchors)))).toBe(cryptoError(AlertDescription.UNKNOWN_CA));
    expect(verifyCertificateChain([good], ca(anchors)).type).toBe('ecdsa-p256');
  });

  it('the issuer verdict is per pair of certificates, the path per call', () => {
    const chain = [der(leafOfIntermediate.certPem), der(intermediate.certPem)];
    expect(verifyCertificateChain(chain, ca([der(root.certPem)], 'a.example.test')).type).toBe('ecdsa-p256');
    expect(alertOf(() => verifyCertificateChain(chain, ca([der(otherRoot.certPem)], 'a.example.test')))).toBe(cryptoError(AlertDescription.UNKNOWN_CA));
    // Host names are matched per call as well.
    expect(alertOf(() => verifyCertificateChain(chain, ca([der(root.certPem)], 'example.test')))).toBe(cryptoError(AlertDescription.BAD_CERTIFICATE));
  });

  it('garbage is never cached: the same alert every time', () => {
    const bad = new Uint8Array([0x30, 0x03, 1, 2, 3]);
    const size = certificateCache.size;
    for (let i = 0; i < 3; i++) expect(alertOf(() => verifyCertificateChain([bad], { mode: 'insecure' }))).toBe(cryptoError(AlertDescription.DECODE_ERROR));
    expect(certificateCache.size).toBe(size);
  });

  it('verifyKeyFromCertificate shares the parse and the key', () => {
    const d = der(leaf.certPem);
    expect(verifyKeyFromCertificate(d)).toBe(verifyKeyFromCertificate(d.slice()));
  });

  it('loadCertificateChain returns fresh arrays', () => {
    const a = loadCertificateChain(root.certPem)[0]!;
    a.fill(0);
    expect(loadCertificateChain(root.certPem)[0]!).toEqual(der(root.certPem));
  });
});
