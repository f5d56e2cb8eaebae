/**
 * Trust anchors of `connect` (io/options.ts `trustAnchors`): loaded once per PEM text and reused
 * (so the verifier recognises the set), while files are read on every call, so a changed file
 * takes effect; every source is still checked on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevCa, type PemCredentials } from '../../src/crypto/certgen.js';
import { certificateCache } from '../../src/crypto/certificate-cache.js';
import { loadCertificateChain } from '../../src/crypto/tls/certificates.js';
import { trustAnchors } from '../../src/io/options.js';

let a: PemCredentials;
let b: PemCredentials;
let dir: string;

beforeAll(async () => {
  a = await generateDevCa({ commonName: 'anchor a' });
  b = await generateDevCa({ commonName: 'anchor b' });
  dir = mkdtempSync(join(tmpdir(), 'tquic-anchors-'));
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trustAnchors', () => {
  it('the same PEM text gives the same anchors without parsing again', () => {
    const first = trustAnchors(a.certPem);
    const parses = certificateCache.parses;
    expect(trustAnchors(a.certPem)).toBe(first);
    expect(trustAnchors(a.certPem.slice())).toBe(first);
    expect(certificateCache.parses).toBe(parses);
    expect(first).toEqual(loadCertificateChain(a.certPem));
  });

  it('a file is read on every call: a changed file gives its new anchors', () => {
    const path = join(dir, 'ca.pem');
    writeFileSync(path, a.certPem);
    expect(trustAnchors(path)).toEqual(loadCertificateChain(a.certPem));
    writeFileSync(path, b.certPem);
    expect(trustAnchors(path)).toEqual(loadCertificateChain(b.certPem));
  });

  it('several sources: all their certificates in order; each source must hold one', () => {
    expect(trustAnchors([a.certPem, b.certPem])).toEqual([...loadCertificateChain(a.certPem), ...loadCertificateChain(b.certPem)]);
    expect(trustAnchors([b.certPem, a.certPem])).toEqual([...loadCertificateChain(b.certPem), ...loadCertificateChain(a.certPem)]);
    const noCert = join(dir, 'empty.pem');
    writeFileSync(noCert, 'no certificate here\n');
    expect(() => trustAnchors([a.certPem, noCert])).toThrow(RangeError);
    expect(() => trustAnchors([])).toThrow(RangeError);
  });
});
