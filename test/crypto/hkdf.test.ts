/**
 * HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1) against the RFC 8448 §3 key schedule
 * (values copied from specs/tls13-rfc8448.md), on both providers.
 */
import { describe, expect, it } from 'vitest';
import { deriveSecret, emptyHash, hkdfExpandLabel, hkdfLabel } from '../../src/crypto/hkdf.js';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { EACH_PROVIDER } from './helpers.js';

const CLIENT_HELLO = fromHex(
  '010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001',
);
const SERVER_HELLO = fromHex(
  '020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304',
);
const ECDHE = fromHex('8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d');
const EMPTY = new Uint8Array(0);

describe('HkdfLabel encoding (RFC 8446 §7.1; RFC 9001 A.1 / RFC 9369 A.1 label bytes)', () => {
  it('serializes the QUIC labels', () => {
    expect(toHex(hkdfLabel('client in', EMPTY, 32))).toBe('00200f746c73313320636c69656e7420696e00');
    expect(toHex(hkdfLabel('server in', EMPTY, 32))).toBe('00200f746c7331332073657276657220696e00');
    expect(toHex(hkdfLabel('quic key', EMPTY, 16))).toBe('00100e746c7331332071756963206b657900');
    expect(toHex(hkdfLabel('quic iv', EMPTY, 12))).toBe('000c0d746c733133207175696320697600');
    expect(toHex(hkdfLabel('quic hp', EMPTY, 16))).toBe('00100d746c733133207175696320687000');
    expect(toHex(hkdfLabel('quicv2 key', EMPTY, 16))).toBe('001010746c73313320717569637632206b657900');
    expect(toHex(hkdfLabel('quicv2 iv', EMPTY, 12))).toBe('000c0f746c7331332071756963763220697600');
    expect(toHex(hkdfLabel('quicv2 hp', EMPTY, 16))).toBe('00100f746c7331332071756963763220687000');
  });

  it('includes the context and rejects oversize fields', () => {
    expect(toHex(hkdfLabel('x', fromHex('aabb'), 1))).toBe('000107746c73313320780' + '2aabb');
    expect(() => hkdfLabel('x'.repeat(250), EMPTY, 1)).toThrow(RangeError);
    expect(() => hkdfLabel('x', new Uint8Array(256), 1)).toThrow(RangeError);
    expect(() => hkdfLabel('x', EMPTY, 0x10000)).toThrow(RangeError);
  });
});

describe.each(EACH_PROVIDER)('RFC 8448 §3 key schedule with %s', (_name, p) => {
  const zeros = new Uint8Array(32);
  const early = p.hkdfExtract('sha256', EMPTY, zeros);
  const derived1 = deriveSecret(p, 'sha256', early, 'derived', emptyHash(p, 'sha256'));
  const handshake = p.hkdfExtract('sha256', derived1, ECDHE);
  const th = p.hash('sha256', concatBytes(CLIENT_HELLO, SERVER_HELLO));
  const cHs = deriveSecret(p, 'sha256', handshake, 'c hs traffic', th);
  const sHs = deriveSecret(p, 'sha256', handshake, 's hs traffic', th);

  it('early, derived and handshake secrets', () => {
    expect(toHex(early)).toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
    expect(toHex(derived1)).toBe('6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba');
    expect(toHex(handshake)).toBe('1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac');
  });

  it('transcript hash and handshake traffic secrets', () => {
    expect(toHex(th)).toBe('860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8');
    expect(toHex(cHs)).toBe('b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21');
    expect(toHex(sHs)).toBe('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
  });

  it('traffic keys, finished key, master secret', () => {
    expect(toHex(hkdfExpandLabel(p, 'sha256', cHs, 'key', EMPTY, 16))).toBe('dbfaa693d1762c5b666af5d950258d01');
    expect(toHex(hkdfExpandLabel(p, 'sha256', cHs, 'iv', EMPTY, 12))).toBe('5bd3c71b836e0b76bb73265f');
    expect(toHex(hkdfExpandLabel(p, 'sha256', sHs, 'key', EMPTY, 16))).toBe('3fce516009c21727d0f2e4e86ee403bc');
    expect(toHex(hkdfExpandLabel(p, 'sha256', sHs, 'iv', EMPTY, 12))).toBe('5d313eb2671276ee13000b30');
    expect(toHex(hkdfExpandLabel(p, 'sha256', sHs, 'finished', EMPTY, 32))).toBe(
      '008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8',
    );
    const derived2 = deriveSecret(p, 'sha256', handshake, 'derived', emptyHash(p, 'sha256'));
    expect(toHex(derived2)).toBe('43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4');
    expect(toHex(p.hkdfExtract('sha256', derived2, zeros))).toBe(
      '18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919',
    );
  });

  it('Derive-Secret with SHA-384 has Hash.length output', () => {
    expect(deriveSecret(p, 'sha384', new Uint8Array(48), 'derived', emptyHash(p, 'sha384')).length).toBe(48);
  });
});
