/**
 * RFC 9001 Appendix A (QUIC v1) and RFC 9369 Appendix A (QUIC v2) sample packet protection,
 * the draft-ietf-quic-multipath-21 §2.4 nonce example, and key update derivation: every vector
 * on both providers.
 */
import { describe, expect, it } from 'vitest';
import { hkdfExpandLabel } from '../../src/crypto/hkdf.js';
import { initialKeys, initialSecrets } from '../../src/crypto/initial.js';
import { computeNonce, deriveKeyMaterial, DirectionalKeys, nextTrafficSecret } from '../../src/crypto/keys.js';
import { protectPacket, removeHeaderProtection, unprotectPacket } from '../../src/crypto/packet-protection.js';
import { CipherSuite } from '../../src/crypto/provider.js';
import { computeRetryIntegrityTag, verifyRetryIntegrity } from '../../src/crypto/retry.js';
import { QUIC_V1, QUIC_V2, versionCrypto } from '../../src/crypto/version.js';
import * as wireVersion from '../../src/wire/version.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import * as V from './fixtures/rfc-vectors.js';
import { EACH_PROVIDER } from './helpers.js';

const DCID = fromHex('8394c8f03e515708');
const CHACHA = CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
const EMPTY = new Uint8Array(0);

interface VersionVectors {
  version: number;
  initialSecret: string;
  client: { secret: string; key: string; iv: string; hp: string; sample: string; mask: string };
  server: { secret: string; key: string; iv: string; hp: string; sample: string; mask: string };
  clientHeader: string;
  clientPacket: string;
  serverHeader: string;
  serverPacket: string;
  retry: string;
  chacha: { key: string; iv: string; hp: string; ku: string; nonce: string; ciphertext: string; sample: string; mask: string; packet: string };
}

const VECTORS: Record<string, VersionVectors> = {
  'v1 (RFC 9001 A)': {
    version: QUIC_V1,
    initialSecret: '7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44',
    client: {
      secret: 'c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea',
      key: '1f369613dd76d5467730efcbe3b1a22d',
      iv: 'fa044b2f42a3fd3b46fb255c',
      hp: '9f50449e04a0e810283a1e9933adedd2',
      sample: 'd1b1c98dd7689fb8ec11d242b123dc9b',
      mask: '437b9aec36',
    },
    server: {
      secret: '3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b',
      key: 'cf3a5331653c364c88f0f379b6067e37',
      iv: '0ac1493ca1905853b0bba03e',
      hp: 'c206b8d9b9f0f37644430b490eeaa314',
      sample: '2cd0991cd25b0aac406a5816b6394100',
      mask: '2ec0d8356a',
    },
    clientHeader: V.V1_CLIENT_HEADER,
    clientPacket: V.V1_CLIENT_PACKET,
    serverHeader: V.V1_SERVER_HEADER,
    serverPacket: V.V1_SERVER_PACKET,
    retry: V.V1_RETRY,
    chacha: {
      key: 'c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8',
      iv: 'e0459b3474bdd0e44a41c144',
      hp: '25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4',
      ku: '1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9',
      nonce: 'e0459b3474bdd0e46d417eb0',
      ciphertext: '655e5cd55c41f69080575d7999c25a5bfb',
      sample: '5e5cd55c41f69080575d7999c25a5bfb',
      mask: 'aefefe7d03',
      packet: '4cfe4189655e5cd55c41f69080575d7999c25a5bfb',
    },
  },
  'v2 (RFC 9369 A)': {
    version: QUIC_V2,
    initialSecret: '2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba',
    client: {
      secret: '14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b',
      key: '8b1a0bc121284290a29e0971b5cd045d',
      iv: '91f73e2351d8fa91660e909f',
      hp: '45b95e15235d6f45a6b19cbcb0294ba9',
      sample: 'ffe67b6abcdb4298b485dd04de806071',
      mask: '94a0c95e80',
    },
    server: {
      secret: '0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1',
      key: '82db637861d55e1d011f19ea71d5d2a7',
      iv: 'dd13c276499c0249d3310652',
      hp: 'edf6d05c83121201b436e16877593c3a',
      sample: '6f05d8a4398c47089698baeea26b91eb',
      mask: '4dd92e91ea',
    },
    clientHeader: V.V2_CLIENT_HEADER,
    clientPacket: V.V2_CLIENT_PACKET,
    serverHeader: V.V2_SERVER_HEADER,
    serverPacket: V.V2_SERVER_PACKET,
    retry: V.V2_RETRY,
    chacha: {
      key: '3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2',
      iv: 'a6b5bc6ab7dafce30ffff5dd',
      hp: 'd659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2',
      ku: 'c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88',
      nonce: 'a6b5bc6ab7dafce328ff4a29',
      ciphertext: '0ae7b6b932bc27d786f4bc2bb20f2162ba',
      sample: 'e7b6b932bc27d786f4bc2bb20f2162ba',
      mask: '97580e32bf',
      packet: '5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba',
    },
  },
};

/** RFC 9001 A.5 / RFC 9369 A.5: the server's 1-RTT secret. */
const CHACHA_SECRET = fromHex('9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b');
const CHACHA_PN = 654360564;

function clientPlaintext(): Uint8Array {
  const p = new Uint8Array(V.CLIENT_PAYLOAD_LENGTH); // CRYPTO frame, then PADDING (zero bytes)
  p.set(fromHex(V.CLIENT_CRYPTO_FRAME));
  return p;
}

describe('version constants', () => {
  it('match wire/version.ts', () => {
    expect(QUIC_V1).toBe(wireVersion.QUIC_V1);
    expect(QUIC_V2).toBe(wireVersion.QUIC_V2);
    expect(() => versionCrypto(0xff00001d)).toThrow(RangeError);
  });
});

for (const [vname, t] of Object.entries(VECTORS)) {
  describe.each(EACH_PROVIDER)(`${vname} with %s`, (_pname, p) => {
    it('A.1 initial secrets and keys', () => {
      const s = initialSecrets(p, t.version, DCID);
      expect(toHex(s.initial)).toBe(t.initialSecret);
      expect(toHex(s.client)).toBe(t.client.secret);
      expect(toHex(s.server)).toBe(t.server.secret);
      for (const [secret, want] of [
        [s.client, t.client],
        [s.server, t.server],
      ] as const) {
        const m = deriveKeyMaterial(p, CipherSuite.TLS_AES_128_GCM_SHA256, t.version, secret);
        expect([toHex(m.key), toHex(m.iv), toHex(m.hp)]).toEqual([want.key, want.iv, want.hp]);
      }
    });

    it('A.2/A.3 header protection masks (AES-ECB)', () => {
      for (const side of [t.client, t.server]) {
        const hp = p.headerProtection(CipherSuite.TLS_AES_128_GCM_SHA256, fromHex(side.hp));
        expect(toHex(hp.mask(fromHex(side.sample)))).toBe(side.mask);
        const out = new Uint8Array(8);
        expect(hp.mask(fromHex(side.sample), out)).toBe(out);
        expect(toHex(out.subarray(0, 5))).toBe(side.mask);
      }
    });

    it('A.2 client Initial: protect byte for byte, then unprotect', () => {
      const header = fromHex(t.clientHeader);
      const pt = clientPlaintext();
      const buf = new Uint8Array(header.length + pt.length + 16);
      buf.set(header);
      buf.set(pt, header.length);
      const client = initialKeys(p, t.version, DCID, false);
      const n = protectPacket(client.seal, buf, 18, header.length + pt.length, 2);
      expect(n).toBe(1200);
      expect(toHex(buf)).toBe(t.clientPacket);
      expect(client.seal.packetsProtected).toBe(1);

      const server = initialKeys(p, t.version, DCID, true);
      const r = unprotectPacket(server.open, buf, 18, -1);
      expect(r).not.toBeNull();
      expect(r!.pn).toBe(2);
      expect(r!.pnLength).toBe(4);
      expect(r!.headerLength).toBe(22);
      expect(r!.firstByte).toBe(header[0]);
      expect(r!.keyPhase).toBe(0);
      expect(toHex(r!.header)).toBe(t.clientHeader);
      expect(toHex(r!.payload)).toBe(toHex(pt));
    });

    it('A.3 server Initial: protect byte for byte, then unprotect', () => {
      const header = fromHex(t.serverHeader);
      const pt = fromHex(V.SERVER_PAYLOAD);
      const buf = new Uint8Array(header.length + pt.length + 16);
      buf.set(header);
      buf.set(pt, header.length);
      const server = initialKeys(p, t.version, DCID, true);
      expect(protectPacket(server.seal, buf, 18, header.length + pt.length, 1)).toBe(buf.length);
      expect(toHex(buf)).toBe(t.serverPacket);

      const client = initialKeys(p, t.version, DCID, false);
      const r = unprotectPacket(client.open, buf, 18, 0);
      expect(r!.pn).toBe(1);
      expect(r!.pnLength).toBe(2);
      expect(toHex(r!.header)).toBe(t.serverHeader);
      expect(toHex(r!.payload)).toBe(V.SERVER_PAYLOAD);
    });

    it('A.2 with the wrong keys: null, and the packet is left as received', () => {
      const buf = fromHex(t.clientPacket);
      const wrong = initialKeys(p, t.version, fromHex('0001020304050607'), true);
      expect(unprotectPacket(wrong.open, buf, 18, -1)).toBeNull();
      expect(toHex(buf)).toBe(t.clientPacket);
      expect(wrong.open.authFailures).toBe(1);
    });

    it('A.4 Retry integrity tag', () => {
      const retry = fromHex(t.retry);
      const body = retry.subarray(0, retry.length - 16);
      expect(toHex(computeRetryIntegrityTag(p, t.version, DCID, body))).toBe(toHex(retry.subarray(retry.length - 16)));
      expect(verifyRetryIntegrity(p, t.version, DCID, retry)).toBe(true);
      expect(verifyRetryIntegrity(p, t.version, fromHex('8394c8f03e515709'), retry)).toBe(false);
      const other = t.version === QUIC_V1 ? QUIC_V2 : QUIC_V1;
      expect(verifyRetryIntegrity(p, other, DCID, retry)).toBe(false);
      for (let i = 0; i < retry.length; i += 7) {
        const bad = retry.slice();
        bad[i]! ^= 0x01;
        expect(verifyRetryIntegrity(p, t.version, DCID, bad)).toBe(false);
      }
      expect(verifyRetryIntegrity(p, t.version, DCID, retry.subarray(0, 10))).toBe(false);
    });

    it('A.4 Retry key and nonce come from the fixed secret', () => {
      // RFC 9001 §5.8 / RFC 9369 §3.3.3: key and nonce = HKDF-Expand-Label(secret, "quic key"/"quic iv").
      const secret = fromHex(
        t.version === QUIC_V1
          ? 'd9c9943e6101fd200021506bcc02814c73030f25c79d71ce876eca876e6fca8e'
          : 'c4dd2484d681aefa4ff4d69c2c20299984a765a5d3c31982f38fc74162155e9f',
      );
      const m = deriveKeyMaterial(p, CipherSuite.TLS_AES_128_GCM_SHA256, t.version, secret);
      expect(toHex(m.key)).toBe(toHex(versionCrypto(t.version).retryKey));
      expect(toHex(m.iv)).toBe(toHex(versionCrypto(t.version).retryNonce));
    });

    it('A.5 ChaCha20-Poly1305 short header packet', () => {
      const c = t.chacha;
      const m = deriveKeyMaterial(p, CHACHA, t.version, CHACHA_SECRET);
      expect([toHex(m.key), toHex(m.iv), toHex(m.hp)]).toEqual([c.key, c.iv, c.hp]);
      expect(toHex(nextTrafficSecret(p, CHACHA, t.version, CHACHA_SECRET))).toBe(c.ku);

      const keys = DirectionalKeys.fromSecret(p, CHACHA, t.version, CHACHA_SECRET);
      expect(toHex(keys.nonce(CHACHA_PN))).toBe(c.nonce);
      expect(toHex(keys.aead.seal(fromHex(c.nonce), fromHex('4200bff4'), fromHex('01')))).toBe(c.ciphertext);
      expect(toHex(keys.hp.mask(fromHex(c.sample)))).toBe(c.mask);

      const buf = new Uint8Array(21);
      buf.set(fromHex('4200bff401'));
      expect(protectPacket(keys, buf, 1, 5, CHACHA_PN)).toBe(21);
      expect(toHex(buf)).toBe(c.packet);

      const r = unprotectPacket(keys, buf, 1, CHACHA_PN - 1);
      expect(r!.pn).toBe(CHACHA_PN);
      expect(r!.pnLength).toBe(3);
      expect(r!.keyPhase).toBe(0);
      expect(toHex(r!.header)).toBe('4200bff4');
      expect(toHex(r!.payload)).toBe('01');
    });

    it('A.5 two-stage receive: header protection first, then the payload', () => {
      const keys = DirectionalKeys.fromSecret(p, CHACHA, t.version, CHACHA_SECRET);
      const buf = fromHex(t.chacha.packet);
      const h = removeHeaderProtection(keys.hp, buf, 1, CHACHA_PN + 100);
      expect(h).toEqual({ firstByte: 0x42, pnLength: 3, headerLength: 4, pn: CHACHA_PN, keyPhase: 0 });
      expect(unprotectPacket(keys, fromHex(t.chacha.packet), 1, CHACHA_PN + 100)!.payload[0]).toBe(1);
    });

    it('key update (RFC 9001 §6.1): next secret, new key and iv, same hp', () => {
      const k0 = DirectionalKeys.fromSecret(p, CHACHA, t.version, CHACHA_SECRET);
      const k1 = k0.nextGeneration();
      const label = versionCrypto(t.version).kuLabel;
      // Independent computation: HKDF-Expand with the HkdfLabel spelled out byte by byte.
      const info = fromHex(t.version === QUIC_V1 ? '00200d746c7331332071756963206b7500' : '00200f746c73313320717569637632206b7500');
      expect(toHex(p.hkdfExpand('sha256', CHACHA_SECRET, info, 32))).toBe(t.chacha.ku);
      expect(toHex(k1.secret)).toBe(t.chacha.ku);
      expect(toHex(hkdfExpandLabel(p, 'sha256', CHACHA_SECRET, label, EMPTY, 32))).toBe(t.chacha.ku);
      expect(k1.generation).toBe(1);
      expect(k1.hp).toBe(k0.hp);
      const m1 = deriveKeyMaterial(p, CHACHA, t.version, k1.secret);
      expect(toHex(k1.iv)).toBe(toHex(m1.iv));
      expect(toHex(k1.iv)).not.toBe(toHex(k0.iv));
      const k2 = k1.nextGeneration();
      expect(toHex(k2.secret)).toBe(toHex(nextTrafficSecret(p, CHACHA, t.version, k1.secret)));

      // A packet sealed with generation 1 opens with generation 1 only.
      const buf = new Uint8Array(4 + 10 + 16);
      buf.set(fromHex('4600bff4')); // key phase bit set
      const n = protectPacket(k1, buf, 1, 14, CHACHA_PN);
      const copy = buf.slice(0, n);
      expect(unprotectPacket(k0, copy, 1, CHACHA_PN - 1)).toBeNull();
      const r = unprotectPacket(k1, copy, 1, CHACHA_PN - 1);
      expect(r!.keyPhase).toBe(1);
      expect(r!.pn).toBe(CHACHA_PN);
    });
  });
}

describe('multipath nonce (draft-ietf-quic-multipath-21 §2.4)', () => {
  it('matches the draft example and reduces to RFC 9001 for path 0', () => {
    const iv = fromHex('6b26114b9cba2b63a9e8dd4f');
    const out = new Uint8Array(12);
    expect(toHex(computeNonce(iv, 0xd431, out, 3))).toBe('6b2611489cba2b63a9e8097e');
    expect(toHex(computeNonce(iv, 0xd431, out))).toBe('6b26114b9cba2b63a9e8097e');
    expect(toHex(computeNonce(iv, 0xd431, out, 0))).toBe('6b26114b9cba2b63a9e8097e');
    // pathId uses all 32 bits; pn the remaining 64 (exact up to Number.MAX_SAFE_INTEGER)
    expect(toHex(computeNonce(new Uint8Array(12), Number.MAX_SAFE_INTEGER, out, 0xffffffff))).toBe('ffffffff001fffffffffffff');
    expect(toHex(computeNonce(new Uint8Array(12), 2 ** 52 + 2 ** 31, out, 0x80000000))).toBe('8000000000100000' + '80000000');
    expect(toHex(computeNonce(new Uint8Array(12), 2 ** 32 + 5, out))).toBe('000000000000000100000005');
  });

  it.each(EACH_PROVIDER)('DirectionalKeys.nonce uses the path ID (%s)', (_n, p) => {
    const keys = DirectionalKeys.fromSecret(p, CHACHA, QUIC_V1, CHACHA_SECRET);
    expect(toHex(keys.nonce(CHACHA_PN, 0))).toBe('e0459b3474bdd0e46d417eb0');
    expect(toHex(keys.nonce(CHACHA_PN, 3))).toBe('e0459b3774bdd0e46d417eb0');
  });
});
