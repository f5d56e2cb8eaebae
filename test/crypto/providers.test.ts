import { describe, expect, it } from 'vitest';
import { defaultProvider, getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import {
  ALL_SUITES,
  CipherSuite,
  HASH_LENGTH,
  isSupportedSuite,
  suiteInfo,
} from '../../src/crypto/provider.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { EACH_PROVIDER } from './helpers.js';

describe('suite table (RFC 9001 §5.3, §6.6)', () => {
  it('has the parameters of the three suites', () => {
    const a128 = suiteInfo(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect([a128.keyLength, a128.ivLength, a128.hpKeyLength, a128.hash, a128.tagLength]).toEqual([16, 12, 16, 'sha256', 16]);
    expect([a128.confidentialityLimit, a128.integrityLimit]).toEqual([2 ** 23, 2 ** 52]);
    const a256 = suiteInfo(CipherSuite.TLS_AES_256_GCM_SHA384);
    expect([a256.keyLength, a256.ivLength, a256.hpKeyLength, a256.hash, a256.tagLength]).toEqual([32, 12, 32, 'sha384', 16]);
    expect([a256.confidentialityLimit, a256.integrityLimit]).toEqual([2 ** 23, 2 ** 52]);
    const cc = suiteInfo(CipherSuite.TLS_CHACHA20_POLY1305_SHA256);
    expect([cc.keyLength, cc.ivLength, cc.hpKeyLength, cc.hash, cc.tagLength]).toEqual([32, 12, 32, 'sha256', 16]);
    expect([cc.confidentialityLimit, cc.integrityLimit]).toEqual([2 ** 62, 2 ** 36]);
    expect(ALL_SUITES.map((s) => suiteInfo(s).suite).sort()).toEqual([0x1301, 0x1302, 0x1303]);
    expect(HASH_LENGTH).toEqual({ sha256: 32, sha384: 48 });
  });

  it('rejects other suites', () => {
    expect(isSupportedSuite(0x1304)).toBe(false); // TLS_AES_128_CCM_SHA256: not implemented
    expect(() => suiteInfo(0x1304)).toThrow(RangeError);
  });
});

describe('provider registry', () => {
  it('resolves names', () => {
    expect(PROVIDER_NAMES).toEqual(['noble', 'node']);
    expect(getProvider('noble').name).toBe('noble');
    expect(getProvider('node').name).toBe('node');
    expect(defaultProvider().name).toBe('node');
    expect(() => getProvider('openssl')).toThrow(RangeError);
  });
});

describe.each(EACH_PROVIDER)('%s provider primitives', (_name, p) => {
  it('hashes (FIPS 180-2 "abc")', () => {
    const abc = fromHex('616263');
    expect(toHex(p.hash('sha256', abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(p.hash('sha384', abc))).toBe(
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    );
  });

  it('HKDF: RFC 5869 A.1 (SHA-256 basic)', () => {
    const ikm = fromHex('0b'.repeat(22));
    const salt = fromHex('000102030405060708090a0b0c');
    const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
    const prk = p.hkdfExtract('sha256', salt, ikm);
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(toHex(p.hkdfExpand('sha256', prk, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('HKDF: RFC 5869 A.3 (empty salt and info)', () => {
    const prk = p.hkdfExtract('sha256', new Uint8Array(0), fromHex('0b'.repeat(22)));
    expect(toHex(prk)).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
    expect(toHex(p.hkdfExpand('sha256', prk, new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('HMAC: RFC 4231 test case 2', () => {
    const key = fromHex('4a656665'); // "Jefe"
    const data = fromHex('7768617420646f2079612077616e7420666f72206e6f7468696e673f');
    expect(toHex(p.hmac('sha256', key, data))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(toHex(p.hmac('sha384', key, data))).toBe(
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    );
  });

  it('returns plain Uint8Arrays and random bytes of the asked length', () => {
    const r = p.randomBytes(33);
    expect(r.length).toBe(33);
    expect(Object.getPrototypeOf(r)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(p.hash('sha256', r))).toBe(Uint8Array.prototype);
    expect(toHex(p.randomBytes(16))).not.toBe(toHex(p.randomBytes(16)));
  });

  it('random draws of every size are fresh arrays of their own, never repeated (the node pool included)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      for (const n of [32, 12, 4, 1, 64, 65, 200]) {
        const r = p.randomBytes(n);
        expect(r.length).toBe(n);
        expect(r.byteOffset).toBe(0);
        if (n >= 12) {
          const hex = toHex(r);
          expect(seen.has(hex)).toBe(false);
          seen.add(hex);
        }
      }
    }
    expect(p.randomBytes(0).length).toBe(0);
    // A draw is not a view into shared storage: changing it changes no later draw.
    const a = p.randomBytes(32);
    a.fill(0);
    expect(toHex(p.randomBytes(32))).not.toBe(toHex(a));
  });

  it('checks key lengths', () => {
    expect(() => p.aead(CipherSuite.TLS_AES_128_GCM_SHA256, new Uint8Array(32))).toThrow(RangeError);
    expect(() => p.aead(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, new Uint8Array(16))).toThrow(RangeError);
    expect(() => p.headerProtection(CipherSuite.TLS_AES_256_GCM_SHA384, new Uint8Array(16))).toThrow(RangeError);
    expect(() => p.aead(0x1304 as CipherSuite, new Uint8Array(16))).toThrow(RangeError);
  });

  it('AEAD: seal/open and the in-place variants agree; short input opens to null', () => {
    for (const suite of ALL_SUITES) {
      const info = suiteInfo(suite);
      const aead = p.aead(suite, new Uint8Array(info.keyLength).fill(7));
      const nonce = new Uint8Array(12).fill(1);
      const aad = fromHex('c0ffee');
      const pt = fromHex('00112233445566778899');
      const sealed = aead.seal(nonce, aad, pt);
      expect(sealed.length).toBe(pt.length + 16);
      const buf = new Uint8Array(3 + pt.length + 16 + 2);
      buf.set(pt, 3);
      expect(aead.sealInPlace(nonce, aad, buf, 3, pt.length)).toBe(pt.length + 16);
      expect(toHex(buf.subarray(3, 3 + sealed.length))).toBe(toHex(sealed));
      expect(aead.openInPlace(nonce, aad, buf, 3, sealed.length)).toBe(pt.length);
      expect(toHex(buf.subarray(3, 3 + pt.length))).toBe(toHex(pt));
      expect(toHex(aead.open(nonce, aad, sealed)!)).toBe(toHex(pt));
      expect(aead.open(nonce, aad, new Uint8Array(15))).toBeNull();
      expect(aead.openInPlace(nonce, aad, new Uint8Array(15), 0, 15)).toBe(-1);
      expect(() => aead.sealInPlace(nonce, aad, new Uint8Array(20), 0, 5)).toThrow(RangeError);
    }
  });
});
