/**
 * Property tests: the two providers agree with each other (seal with one, open with the other;
 * identical header protection masks), tampering is detected, packet protection round-trips for
 * random packets, and garbage never makes unprotect throw.
 */
import { describe, expect, it } from 'vitest';
import { DirectionalKeys } from '../../src/crypto/keys.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nodeProvider } from '../../src/crypto/node.js';
import {
  MIN_PN_AND_PAYLOAD_LENGTH,
  protectPacket,
  reapplyHeaderProtection,
  removeHeaderProtection,
  unprotectPacket,
} from '../../src/crypto/packet-protection.js';
import { ALL_SUITES, CipherSuite, suiteInfo, type CryptoProvider } from '../../src/crypto/provider.js';
import { QUIC_V1, QUIC_V2 } from '../../src/crypto/version.js';
import { toHex } from '../../src/util/bytes.js';
import { writePacketNumber } from '../../src/wire/packet-number.js';
import { fc } from '../support/fc.js';

const PAIRS: readonly (readonly [CryptoProvider, CryptoProvider])[] = [
  [nobleProvider, nodeProvider],
  [nodeProvider, nobleProvider],
  [nobleProvider, nobleProvider],
  [nodeProvider, nodeProvider],
];
const arbPair = fc.constantFrom(...PAIRS);
const arbSuite = fc.constantFrom(...ALL_SUITES);
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

/** suite, key of the right length, 12-byte nonce, aad, plaintext */
const arbAeadCase = arbSuite.chain((suite) =>
  fc.record({
    suite: fc.constant(suite),
    key: bytes(suiteInfo(suite).keyLength, suiteInfo(suite).keyLength),
    nonce: bytes(12, 12),
    aad: bytes(0, 64),
    pt: bytes(0, 300),
  }),
);

describe('AEAD across providers', () => {
  it('seal with one provider, open with the other', () => {
    fc.assert(
      fc.property(arbAeadCase, arbPair, ({ suite, key, nonce, aad, pt }, [a, b]) => {
        const sealed = a.aead(suite, key).seal(nonce, aad, pt);
        expect(sealed.length).toBe(pt.length + 16);
        expect(toHex(b.aead(suite, key).seal(nonce, aad, pt))).toBe(toHex(sealed));
        const opened = b.aead(suite, key).open(nonce, aad, sealed);
        expect(opened).not.toBeNull();
        expect(toHex(opened!)).toBe(toHex(pt));
      }),
    );
  });

  it('in place: seal in a larger buffer, open it back in place with the other provider', () => {
    fc.assert(
      fc.property(arbAeadCase, arbPair, fc.nat(20), fc.nat(20), ({ suite, key, nonce, aad, pt }, [a, b], pre, post) => {
        const buf = new Uint8Array(pre + pt.length + 16 + post).fill(0xee);
        buf.set(pt, pre);
        expect(a.aead(suite, key).sealInPlace(nonce, aad, buf, pre, pt.length)).toBe(pt.length + 16);
        expect(toHex(buf.subarray(pre, pre + pt.length + 16))).toBe(toHex(b.aead(suite, key).seal(nonce, aad, pt)));
        expect(buf.subarray(0, pre).every((x) => x === 0xee)).toBe(true);
        expect(buf.subarray(pre + pt.length + 16).every((x) => x === 0xee)).toBe(true);
        expect(b.aead(suite, key).openInPlace(nonce, aad, buf, pre, pt.length + 16)).toBe(pt.length);
        expect(toHex(buf.subarray(pre, pre + pt.length))).toBe(toHex(pt));
      }),
    );
  });

  it('a flipped bit in tag, AAD or ciphertext fails to open, and the buffer is unchanged', () => {
    fc.assert(
      fc.property(
        arbAeadCase,
        arbPair,
        fc.constantFrom('tag', 'aad', 'ciphertext', 'nonce'),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        ({ suite, key, nonce, aad, pt }, [a, b], where, pos, bit) => {
          const sealed = a.aead(suite, key).seal(nonce, aad, pt);
          const aad2 = aad.slice();
          const nonce2 = nonce.slice();
          const ct2 = sealed.slice();
          if (where === 'tag') ct2[pt.length + (pos % 16)]! ^= 1 << bit;
          else if (where === 'aad') {
            if (aad2.length === 0) return; // nothing to flip
            aad2[pos % aad2.length]! ^= 1 << bit;
          } else if (where === 'nonce') nonce2[pos % 12]! ^= 1 << bit;
          else {
            if (pt.length === 0) return;
            ct2[pos % pt.length]! ^= 1 << bit;
          }
          const aead = b.aead(suite, key);
          expect(aead.open(nonce2, aad2, ct2)).toBeNull();
          const before = toHex(ct2);
          expect(aead.openInPlace(nonce2, aad2, ct2, 0, ct2.length)).toBe(-1);
          expect(toHex(ct2)).toBe(before);
        },
      ),
    );
  });

  it('a key from another suite with the same length does not open', () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12);
    for (const [a, b] of PAIRS) {
      const sealed = a.aead(CipherSuite.TLS_AES_256_GCM_SHA384, key).seal(nonce, nonce, nonce);
      expect(b.aead(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, key).open(nonce, nonce, sealed)).toBeNull();
    }
  });
});

describe('header protection across providers', () => {
  const arbHp = arbSuite.chain((suite) =>
    fc.record({ suite: fc.constant(suite), key: bytes(suiteInfo(suite).hpKeyLength, suiteInfo(suite).hpKeyLength), sample: bytes(16, 40) }),
  );

  it('masks agree', () => {
    fc.assert(
      fc.property(arbHp, ({ suite, key, sample }) => {
        const m1 = nobleProvider.headerProtection(suite, key).mask(sample);
        const m2 = nodeProvider.headerProtection(suite, key).mask(sample);
        expect(m1.length).toBe(5);
        expect(toHex(m1)).toBe(toHex(m2));
      }),
    );
  });

  it('ChaCha20 masks agree at the extreme counters (0xffffffff is a special path in noble)', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), fc.constantFrom(0xffffffff, 0xfffffffe, 0, 1, 0x80000000), (key, nonce, counter) => {
        const sample = new Uint8Array(16);
        new DataView(sample.buffer).setUint32(0, counter, true);
        sample.set(nonce, 4);
        const suite = CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
        const noble = nobleProvider.headerProtection(suite, key);
        const node = nodeProvider.headerProtection(suite, key);
        expect(toHex(noble.mask(sample))).toBe(toHex(node.mask(sample)));
        // reused output buffer and repeated calls give the same answer
        const out = new Uint8Array(5);
        noble.mask(sample, out);
        expect(toHex(out)).toBe(toHex(node.mask(sample, new Uint8Array(5))));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a short sample', () => {
    for (const p of [nobleProvider, nodeProvider]) {
      for (const suite of ALL_SUITES) {
        const hp = p.headerProtection(suite, new Uint8Array(suiteInfo(suite).hpKeyLength));
        expect(() => hp.mask(new Uint8Array(15))).toThrow(RangeError);
      }
    }
  });
});

/** A random packet: long or short header, pn length, pn, payload, key phase, path. */
const arbPacket = fc
  .record({
    suite: arbSuite,
    version: fc.constantFrom(QUIC_V1, QUIC_V2),
    secretSeed: bytes(48, 48),
    long: fc.boolean(),
    pnLength: fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>,
    headerBits: fc.integer({ min: 0, max: 0x3f }),
    headerBody: bytes(0, 40),
    pnBase: fc.integer({ min: 0, max: 2 ** 40 }),
    distance: fc.nat(),
    payload: bytes(0, 200),
    pathId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
    pair: arbPair,
  })
  .map((r) => {
    const info = suiteInfo(r.suite);
    // the largest received pn lies within half the window below the packet number (RFC 9000 §17.1)
    const half = 2 ** (8 * r.pnLength - 1);
    const largest = r.pnBase;
    const pn = largest + 1 + (r.distance % half);
    const first = r.long ? 0xc0 | (r.headerBits & 0x3c) | (r.pnLength - 1) : 0x40 | (r.headerBits & 0x3c) | (r.pnLength - 1);
    const pnOffset = 1 + r.headerBody.length;
    const minPayload = Math.max(0, MIN_PN_AND_PAYLOAD_LENGTH - r.pnLength);
    const payload = r.payload.length >= minPayload ? r.payload : new Uint8Array(minPayload);
    return { ...r, secret: r.secretSeed.subarray(0, info.hash === 'sha384' ? 48 : 32), largest, pn, first, pnOffset, payload };
  });

function buildPacket(t: { first: number; headerBody: Uint8Array; pnOffset: number; pn: number; pnLength: 1 | 2 | 3 | 4; payload: Uint8Array }) {
  const headerLength = t.pnOffset + t.pnLength;
  const buf = new Uint8Array(headerLength + t.payload.length + 16);
  buf[0] = t.first;
  buf.set(t.headerBody, 1);
  writePacketNumber(buf, t.pnOffset, t.pn, t.pnLength);
  buf.set(t.payload, headerLength);
  return { buf, header: buf.slice(0, headerLength), payloadEnd: headerLength + t.payload.length };
}

describe('packet protection round trip', () => {
  it('protect with one provider, unprotect with the other', () => {
    fc.assert(
      fc.property(arbPacket, (t) => {
        const [a, b] = t.pair;
        const tx = DirectionalKeys.fromSecret(a, t.suite, t.version, t.secret);
        const rx = DirectionalKeys.fromSecret(b, t.suite, t.version, t.secret);
        const { buf, header, payloadEnd } = buildPacket(t);
        expect(protectPacket(tx, buf, t.pnOffset, payloadEnd, t.pn, t.pathId)).toBe(buf.length);
        // the protected bits of the first byte may change, the others never
        expect(buf[0]! & (t.long ? 0xf0 : 0xe0)).toBe(t.first & (t.long ? 0xf0 : 0xe0));
        const protectedCopy = toHex(buf);
        const r = unprotectPacket(rx, buf, t.pnOffset, t.largest, t.pathId);
        expect(r).not.toBeNull();
        expect(r!.pn).toBe(t.pn);
        expect(r!.pnLength).toBe(t.pnLength);
        expect(r!.firstByte).toBe(t.first);
        expect(r!.keyPhase).toBe(t.long ? 0 : (t.first >> 2) & 1);
        expect(toHex(r!.header)).toBe(toHex(header));
        expect(toHex(r!.payload)).toBe(toHex(t.payload));
        // the wrong path ID fails and leaves the packet as it was
        const again = DirectionalKeys.fromSecret(b, t.suite, t.version, t.secret);
        const buf2 = new Uint8Array(buf.length);
        buf2.set(header);
        buf2.set(t.payload, header.length);
        protectPacket(DirectionalKeys.fromSecret(a, t.suite, t.version, t.secret), buf2, t.pnOffset, payloadEnd, t.pn, t.pathId);
        expect(toHex(buf2)).toBe(protectedCopy);
        expect(unprotectPacket(again, buf2, t.pnOffset, t.largest, (t.pathId + 1) >>> 0)).toBeNull();
        expect(toHex(buf2)).toBe(protectedCopy);
      }),
    );
  });

  it('removeHeaderProtection then reapplyHeaderProtection restores the packet', () => {
    fc.assert(
      fc.property(arbPacket, (t) => {
        const keys = DirectionalKeys.fromSecret(t.pair[0], t.suite, t.version, t.secret);
        const { buf, payloadEnd } = buildPacket(t);
        protectPacket(keys, buf, t.pnOffset, payloadEnd, t.pn);
        const before = toHex(buf);
        const out = { firstByte: 0, pnLength: 1 as 1 | 2 | 3 | 4, headerLength: 0, pn: 0, keyPhase: 0 as 0 | 1 };
        expect(removeHeaderProtection(keys.hp, buf, t.pnOffset, t.largest, out)).toBe(out);
        expect(out.pn).toBe(t.pn);
        reapplyHeaderProtection(keys.hp, buf, t.pnOffset);
        expect(toHex(buf)).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a payload too short to sample, and a missing tag room', () => {
    const keys = DirectionalKeys.fromSecret(nobleProvider, CipherSuite.TLS_AES_128_GCM_SHA256, QUIC_V1, new Uint8Array(32));
    const buf = new Uint8Array(40);
    buf[0] = 0x40; // 1-byte pn
    expect(() => protectPacket(keys, buf, 1, 4, 0)).toThrow(RangeError); // pn + payload = 3 < 4
    expect(protectPacket(keys, buf, 1, 5, 0)).toBe(21);
    expect(() => protectPacket(keys, new Uint8Array(20), 1, 5, 0)).toThrow(RangeError);
  });
});

describe('unprotect of garbage', () => {
  it('never throws; returns null or (rarely) a packet', () => {
    const keySets = [nobleProvider, nodeProvider].flatMap((p) =>
      ALL_SUITES.map((s) => DirectionalKeys.fromSecret(p, s, QUIC_V1, new Uint8Array(suiteInfo(s).hash === 'sha384' ? 48 : 32).fill(9))),
    );
    fc.assert(
      fc.property(bytes(0, 120), fc.integer({ min: -2, max: 40 }), fc.integer({ min: -1, max: 2 ** 40 }), fc.nat(keySets.length - 1), (g, pnOffset, largest, k) => {
        const keys = keySets[k]!;
        const before = toHex(g);
        const r = unprotectPacket(keys, g, pnOffset, largest);
        expect(r).toBeNull();
        expect(toHex(g)).toBe(before);
        const h = removeHeaderProtection(keys.hp, g.slice(), pnOffset, largest);
        if (g.length < pnOffset + 20 || pnOffset < 1) expect(h).toBeNull();
        else expect(h!.headerLength).toBeLessThanOrEqual(g.length - 16);
      }),
      { numRuns: 400 },
    );
  });
});
