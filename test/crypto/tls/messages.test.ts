import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../src/util/bytes.js';
import { TransportError } from '../../../src/util/transport-error.js';
import { AlertDescription } from '../../../src/crypto/tls/alert.js';
import { CipherSuite, ExtensionType, HRR_RANDOM, NamedGroup, SignatureScheme, TLS13_VERSION } from '../../../src/crypto/tls/constants.js';
import { type Extension, findExtension } from '../../../src/crypto/tls/extensions.js';
import {
  type ClientHello,
  type HandshakeMessage,
  decodeHandshake,
  decodeHandshakeBody,
  encodeHandshake,
  encodeMessageHash,
  pskBindersLength,
  truncatedClientHello,
} from '../../../src/crypto/tls/messages.js';
import * as V from './rfc8448.js';

/** Decodes, checks that re-encoding gives the same bytes, and returns the message. */
function roundTrip<K extends HandshakeMessage['kind']>(hex: string, kind: K): Extract<HandshakeMessage, { kind: K }> {
  const raw = fromHex(hex);
  const m = decodeHandshake(raw);
  expect(m.kind).toBe(kind);
  expect(toHex(encodeHandshake(m))).toBe(hex);
  return m as Extract<HandshakeMessage, { kind: K }>;
}

/** Asserts that `fn` throws the CRYPTO_ERROR of `alert`. */
function expectAlert(fn: () => unknown, alert: number, reason?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TransportError);
  const te = err as TransportError;
  expect(te.code, te.reason).toBe(0x100 + alert);
  if (reason) expect(te.reason).toMatch(reason);
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe('RFC 8448 §3 ClientHello', () => {
  const ch = roundTrip(V.CH, 'client_hello');

  it('decodes the fixed fields', () => {
    expect(ch.legacyVersion).toBe(0x0303);
    expect(toHex(ch.random)).toBe('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.cipherSuites).toEqual([
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      CipherSuite.TLS_AES_256_GCM_SHA384,
    ]);
  });

  it('decodes every extension, in order', () => {
    expect(ch.extensions.map((e) => e.kind)).toEqual([
      'server_name', 'unknown', 'supported_groups', 'unknown', 'key_share', 'supported_versions',
      'signature_algorithms', 'psk_key_exchange_modes', 'unknown',
    ]);
    expect(findExtension(ch.extensions, 'server_name')?.hostName).toBe('server');
    expect(findExtension(ch.extensions, 'supported_groups')?.groups).toEqual([
      NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1, NamedGroup.SECP521R1, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
    ]);
    const ks = findExtension(ch.extensions, 'key_share')!;
    expect(ks.shares).toHaveLength(1);
    expect(ks.shares[0]!.group).toBe(NamedGroup.X25519);
    expect(toHex(ks.shares[0]!.keyExchange)).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    expect(findExtension(ch.extensions, 'supported_versions')?.versions).toEqual([TLS13_VERSION]);
    expect(findExtension(ch.extensions, 'signature_algorithms')?.schemes).toEqual([
      SignatureScheme.ECDSA_SECP256R1_SHA256, SignatureScheme.ECDSA_SECP384R1_SHA384, SignatureScheme.ECDSA_SECP521R1_SHA512,
      0x0203, SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384, SignatureScheme.RSA_PSS_RSAE_SHA512,
      SignatureScheme.RSA_PKCS1_SHA256, SignatureScheme.RSA_PKCS1_SHA384, SignatureScheme.RSA_PKCS1_SHA512, 0x0201,
      0x0402, 0x0502, 0x0602, 0x0202,
    ]);
    expect(findExtension(ch.extensions, 'psk_key_exchange_modes')?.modes).toEqual([1]);
    // renegotiation_info (0xff01), session_ticket (35) and record_size_limit (28) are kept raw.
    const raw = ch.extensions.filter((e): e is Extract<Extension, { kind: 'unknown' }> => e.kind === 'unknown');
    expect(raw.map((e) => [e.type, toHex(e.data)])).toEqual([[0xff01, '00'], [0x23, ''], [ExtensionType.RECORD_SIZE_LIMIT, '4001']]);
  });

  it('encodes from a literal to the same bytes', () => {
    const literal: ClientHello = {
      kind: 'client_hello',
      legacyVersion: 0x0303,
      random: fromHex('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7'),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0x1301, 0x1303, 0x1302],
      extensions: [
        { kind: 'server_name', hostName: 'server' },
        { kind: 'unknown', type: 0xff01, data: fromHex('00') },
        { kind: 'supported_groups', groups: [0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104] },
        { kind: 'unknown', type: 0x23, data: new Uint8Array(0) },
        { kind: 'key_share', shares: [{ group: 0x1d, keyExchange: fromHex('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c') }] },
        { kind: 'supported_versions', versions: [0x0304] },
        {
          kind: 'signature_algorithms',
          schemes: [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202],
        },
        { kind: 'psk_key_exchange_modes', modes: [1] },
        { kind: 'unknown', type: 0x1c, data: fromHex('4001') },
      ],
    };
    expect(toHex(encodeHandshake(literal))).toBe(V.CH);
    expect(decodeHandshake(fromHex(V.CH))).toEqual(literal);
  });
});

describe('RFC 8448 §3 ServerHello and server flight', () => {
  it('ServerHello', () => {
    const sh = roundTrip(V.SH, 'server_hello');
    expect(sh.legacyVersion).toBe(0x0303);
    expect(toHex(sh.random)).toBe('a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928');
    expect(sh.legacySessionIdEcho.length).toBe(0);
    expect(sh.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(sh.extensions).toEqual([
      { kind: 'key_share_server', share: { group: NamedGroup.X25519, keyExchange: fromHex('c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f') } },
      { kind: 'supported_versions_selected', version: TLS13_VERSION },
    ]);
  });

  it('EncryptedExtensions', () => {
    const ee = roundTrip(V.EE, 'encrypted_extensions');
    expect(ee.extensions.map((e) => e.kind)).toEqual(['supported_groups', 'unknown', 'server_name_ack']);
  });

  it('Certificate', () => {
    const c = roundTrip(V.CERT, 'certificate');
    expect(c.requestContext.length).toBe(0);
    expect(c.certificateList).toHaveLength(1);
    expect(c.certificateList[0]!.certData.length).toBe(0x1b0);
    expect(toHex(c.certificateList[0]!.certData.subarray(0, 4))).toBe('308201ac'); // DER SEQUENCE
    expect(c.certificateList[0]!.extensions).toEqual([]);
  });

  it('CertificateVerify', () => {
    const cv = roundTrip(V.CV, 'certificate_verify');
    expect(cv.algorithm).toBe(SignatureScheme.RSA_PSS_RSAE_SHA256);
    expect(cv.signature.length).toBe(128);
  });

  it('Finished (with the expected hash length)', () => {
    for (const hex of [V.SERVER_FINISHED, V.CLIENT_FINISHED]) {
      const f = decodeHandshake(fromHex(hex), { finishedLength: 32 });
      expect(f).toEqual({ kind: 'finished', verifyData: fromHex(hex.slice(8)) });
      expect(toHex(encodeHandshake(f))).toBe(hex);
    }
    expect(toHex((decodeHandshake(fromHex(V.SERVER_FINISHED)) as { verifyData: Uint8Array }).verifyData)).toBe(
      '9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718',
    );
    expectAlert(() => decodeHandshake(fromHex(V.SERVER_FINISHED), { finishedLength: 48 }), AlertDescription.DECODE_ERROR);
  });

  it('NewSessionTicket', () => {
    const t = roundTrip(V.NST, 'new_session_ticket');
    expect(t.ticketLifetime).toBe(30);
    expect(t.ticketAgeAdd).toBe(0xfad6aac5);
    expect(toHex(t.ticketNonce)).toBe('0000');
    expect(t.ticket.length).toBe(0xb2);
    expect(t.extensions).toEqual([{ kind: 'early_data_max', maxEarlyDataSize: 0x400 }]);
  });
});

describe('RFC 8448 §4 resumed handshake: pre_shared_key and binders', () => {
  const full = fromHex(V.CH_RESUMED_PREFIX + V.CH_RESUMED_BINDERS);

  it('decodes and re-encodes the resumed ClientHello', () => {
    const ch = decodeHandshake(full) as ClientHello;
    expect(toHex(encodeHandshake(ch))).toBe(toHex(full));
    expect(ch.extensions.at(-1)!.kind).toBe('pre_shared_key');
    const psk = findExtension(ch.extensions, 'pre_shared_key')!;
    expect(psk.identities).toHaveLength(1);
    expect(psk.identities[0]!.identity.length).toBe(0xb2);
    expect(psk.identities[0]!.obfuscatedTicketAge).toBe(0xfad6aacb);
    expect(psk.binders.map(toHex)).toEqual(['3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d']);
    expect(findExtension(ch.extensions, 'early_data')).toEqual({ kind: 'early_data' });
    expect(ch.extensions.some((e) => e.kind === 'unknown' && e.type === ExtensionType.PADDING)).toBe(true);
  });

  it('Truncate(ClientHello) is the RFC prefix (RFC 8446 §4.2.11.2)', () => {
    const ch = decodeHandshake(full) as ClientHello;
    expect(pskBindersLength(ch)).toBe(35);
    expect(toHex(truncatedClientHello(full, ch))).toBe(V.CH_RESUMED_PREFIX);
  });

  it('client flow: placeholder binders, truncate, fill in; the prefix does not move', () => {
    const ch = decodeHandshake(full) as ClientHello;
    const psk = findExtension(ch.extensions, 'pre_shared_key')!;
    const placeholder: ClientHello = {
      ...ch,
      extensions: ch.extensions.map((e) => (e.kind === 'pre_shared_key' ? { ...psk, binders: [new Uint8Array(32)] } : e)),
    };
    const first = encodeHandshake(placeholder);
    expect(toHex(truncatedClientHello(first, placeholder))).toBe(V.CH_RESUMED_PREFIX);
    const filled = encodeHandshake({ ...placeholder, extensions: ch.extensions });
    expect(toHex(filled)).toBe(toHex(full));
  });

  it('a ClientHello without pre_shared_key truncates nothing', () => {
    const ch = decodeHandshake(fromHex(V.CH)) as ClientHello;
    expect(pskBindersLength(ch)).toBe(0);
    expect(truncatedClientHello(fromHex(V.CH), ch).length).toBe(fromHex(V.CH).length);
  });

  it('pskBindersLength refuses a pre_shared_key that is not last', () => {
    const ch = decodeHandshake(full) as ClientHello;
    const moved = { ...ch, extensions: [ch.extensions.at(-1)!, ...ch.extensions.slice(0, -1)] };
    expect(() => pskBindersLength(moved)).toThrow(RangeError);
  });

  it('ServerHello selected_identity, EncryptedExtensions early_data, EndOfEarlyData', () => {
    const sh = roundTrip(V.SH_RESUMED, 'server_hello');
    expect(findExtension(sh.extensions, 'pre_shared_key_selected')).toEqual({ kind: 'pre_shared_key_selected', selectedIdentity: 0 });
    const ee = roundTrip(V.EE_RESUMED, 'encrypted_extensions');
    expect(findExtension(ee.extensions, 'early_data')).toEqual({ kind: 'early_data' });
    expect(roundTrip(V.END_OF_EARLY_DATA, 'end_of_early_data')).toEqual({ kind: 'end_of_early_data' });
  });
});

describe('RFC 8448 §5 HelloRetryRequest', () => {
  it('is told apart from a ServerHello by its random (RFC 8446 §4.1.4)', () => {
    const hrr = roundTrip(V.HRR, 'hello_retry_request');
    expect(hrr.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(hrr.extensions.map((e) => e.kind)).toEqual(['key_share_hrr', 'cookie', 'supported_versions_selected']);
    expect(findExtension(hrr.extensions, 'key_share_hrr')?.selectedGroup).toBe(NamedGroup.SECP256R1);
    expect(findExtension(hrr.extensions, 'cookie')?.cookie.length).toBe(0x72);
    expect(toHex(encodeHandshake(hrr)).slice(12, 76)).toBe(toHex(HRR_RANDOM));
  });

  it('both ClientHellos round-trip; ClientHello2 echoes the cookie', () => {
    const ch1 = roundTrip(V.CH1_HRR, 'client_hello');
    const ch2 = roundTrip(V.CH2_HRR, 'client_hello');
    const hrr = decodeHandshake(fromHex(V.HRR)) as Extract<HandshakeMessage, { kind: 'hello_retry_request' }>;
    expect(findExtension(ch2.extensions, 'cookie')).toEqual(findExtension(hrr.extensions, 'cookie'));
    expect(findExtension(ch2.extensions, 'key_share')?.shares.map((s) => [s.group, s.keyExchange.length])).toEqual([[0x17, 65]]);
    expect(ch2.random).toEqual(ch1.random);
  });

  it('message_hash (RFC 8446 §4.4.1)', () => {
    const h = new Uint8Array(32).fill(0xab);
    expect(toHex(encodeMessageHash(h))).toBe('fe000020' + 'ab'.repeat(32));
  });
});

describe('decoding errors', () => {
  const ch = fromHex(V.CH);

  /** Rebuilds the §3 ClientHello with a different extension list (raw extension bytes). */
  function chWithExtensions(extsHex: string): Uint8Array {
    // The extensions block starts after: header 4, version 2, random 32, sid 1, suites 2+6, comp 2.
    const head = ch.subarray(4, 4 + 2 + 32 + 1 + 8 + 2);
    const exts = fromHex(extsHex);
    const body = concatBytes(head, new Uint8Array([exts.length >> 8, exts.length & 0xff]), exts);
    return concatBytes(new Uint8Array([1, 0, body.length >> 8, body.length & 0xff]), body);
  }
  const SV = '002b0003020304';
  const KS = '003300260024001d0020' + '11'.repeat(32);

  it('the helper builds a valid ClientHello', () => {
    expect(decodeHandshake(chWithExtensions(SV + KS)).kind).toBe('client_hello');
  });

  it('duplicate extension → illegal_parameter (RFC 8446 §4.2)', () => {
    expectAlert(() => decodeHandshake(chWithExtensions(SV + KS + SV)), AlertDescription.ILLEGAL_PARAMETER, /duplicate extension 43/);
    expectAlert(() => decodeHandshake(chWithExtensions('fafa0000' + SV + 'fafa0001ff')), AlertDescription.ILLEGAL_PARAMETER);
  });

  it('pre_shared_key not last → illegal_parameter (RFC 8446 §4.2.11)', () => {
    const psk = '0029' + '0030' + '000b' + '0005' + '0102030405' + '00000000' + '0021' + '20' + '00'.repeat(32);
    expect(decodeHandshake(chWithExtensions(SV + psk)).kind).toBe('client_hello');
    expectAlert(() => decodeHandshake(chWithExtensions(psk + SV)), AlertDescription.ILLEGAL_PARAMETER, /last/);
  });

  it('identities and binders of different counts → illegal_parameter', () => {
    const psk = '0029' + '0051' + '000b' + '0005' + '0102030405' + '00000000' + '0042' + ('20' + '00'.repeat(32)).repeat(2);
    expectAlert(() => decodeHandshake(chWithExtensions(SV + psk)), AlertDescription.ILLEGAL_PARAMETER, /binders/);
  });

  it('a known extension in a message that may not carry it → illegal_parameter', () => {
    // key_share in EncryptedExtensions
    expectAlert(() => decodeHandshake(fromHex('08000008' + '0006' + '003300020017')), AlertDescription.ILLEGAL_PARAMETER);
    // supported_versions in a Certificate entry's extensions
    expectAlert(() => decodeHandshake(fromHex('0b000010' + '00' + '00000c' + '000001' + 'aa' + '0006' + '002b00020304')), AlertDescription.ILLEGAL_PARAMETER);
  });

  it('trailing bytes inside an extension → decode_error', () => {
    expectAlert(() => decodeHandshake(chWithExtensions('002b000403030400')), AlertDescription.DECODE_ERROR);
    // early_data must be empty in a ClientHello
    expectAlert(() => decodeHandshake(chWithExtensions(SV + '002a000100')), AlertDescription.DECODE_ERROR);
  });

  it('trailing bytes after a message body → decode_error', () => {
    const b = fromHex(V.CV + '00');
    b[3] = b[3]! + 1;
    expectAlert(() => decodeHandshake(b), AlertDescription.DECODE_ERROR, /trailing/);
  });

  it('a header length that does not match → decode_error; a truncated body → decode_error', () => {
    expectAlert(() => decodeHandshake(ch.subarray(0, ch.length - 1)), AlertDescription.DECODE_ERROR);
    expectAlert(() => decodeHandshake(ch.subarray(0, 3)), AlertDescription.DECODE_ERROR);
    expectAlert(() => decodeHandshakeBody(1, ch.subarray(4, 60)), AlertDescription.DECODE_ERROR, /^TLS alert decode_error: /);
  });

  it('vector bounds: odd cipher_suites, empty versions list, empty key_exchange → decode_error', () => {
    const odd = fromHex(V.CH);
    odd[4 + 2 + 32 + 1 + 1] = 5; // cipher_suites length 6 → 5
    expectAlert(() => decodeHandshake(odd), AlertDescription.DECODE_ERROR);
    expectAlert(() => decodeHandshake(chWithExtensions('002b000100')), AlertDescription.DECODE_ERROR);
    expectAlert(() => decodeHandshake(chWithExtensions('003300060004001d0000')), AlertDescription.DECODE_ERROR);
  });

  it('server_name with a non-host_name entry → decode_error', () => {
    expectAlert(() => decodeHandshake(chWithExtensions('0000000600040100017a')), AlertDescription.DECODE_ERROR, /name_type/);
  });

  it('two key shares for one group → illegal_parameter', () => {
    const e = '001d0001aa';
    expectAlert(() => decodeHandshake(chWithExtensions('0033000c000a' + e + e)), AlertDescription.ILLEGAL_PARAMETER);
  });

  it('legacy_compression_methods other than [0] → illegal_parameter (RFC 8446 §4.1.2)', () => {
    const b = fromHex(V.CH);
    b[4 + 2 + 32 + 1 + 8 + 1] = 1;
    expectAlert(() => decodeHandshake(b), AlertDescription.ILLEGAL_PARAMETER);
    const s = fromHex(V.SH);
    s[4 + 2 + 32 + 1 + 2] = 1;
    expectAlert(() => decodeHandshake(s), AlertDescription.ILLEGAL_PARAMETER);
  });

  it('a legacy ClientHello without extensions decodes with an empty block', () => {
    const body = ch.subarray(4, 4 + 2 + 32 + 1 + 8 + 2);
    const m = decodeHandshake(concatBytes(new Uint8Array([1, 0, 0, body.length]), body)) as ClientHello;
    expect(m.extensions).toEqual([]);
  });

  it('KeyUpdate: request_update other than 0/1 → illegal_parameter (RFC 8446 §4.6.3)', () => {
    expect(decodeHandshake(fromHex('1800000101'))).toEqual({ kind: 'key_update', requestUpdate: 1 });
    expectAlert(() => decodeHandshake(fromHex('1800000102')), AlertDescription.ILLEGAL_PARAMETER);
    expectAlert(() => decodeHandshake(fromHex('180000020000')), AlertDescription.DECODE_ERROR);
  });

  it('EndOfEarlyData with a body → decode_error', () => {
    expectAlert(() => decodeHandshake(fromHex('0500000100')), AlertDescription.DECODE_ERROR);
  });

  it('unknown or reserved message types → unexpected_message', () => {
    for (const t of [0, 3, 6, 12, 14, 16, 25, 254, 255]) {
      expectAlert(() => decodeHandshake(new Uint8Array([t, 0, 0, 0])), AlertDescription.UNEXPECTED_MESSAGE);
    }
  });

  it('HelloRetryRequest with a ServerHello-only extension → illegal_parameter', () => {
    const hrr = decodeHandshake(fromHex(V.HRR)) as Extract<HandshakeMessage, { kind: 'hello_retry_request' }>;
    const bad = encodeHandshake({ ...hrr, extensions: [...hrr.extensions, { kind: 'pre_shared_key_selected', selectedIdentity: 0 }] });
    expectAlert(() => decodeHandshake(bad), AlertDescription.ILLEGAL_PARAMETER);
  });
});

describe('encoding', () => {
  it('throws RangeError for values the wire cannot carry', () => {
    const ch = decodeHandshake(fromHex(V.CH)) as ClientHello;
    expect(() => encodeHandshake({ ...ch, random: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeHandshake({ ...ch, legacySessionId: new Uint8Array(33) })).toThrow(RangeError);
    expect(() => encodeHandshake({ ...ch, cipherSuites: [0x10000] })).toThrow(RangeError);
    expect(() => encodeHandshake({ kind: 'certificate_verify', algorithm: 0x0804, signature: new Uint8Array(0x10000) })).toThrow(RangeError);
    expect(() =>
      encodeHandshake({ kind: 'encrypted_extensions', extensions: [{ kind: 'alpn', protocols: [new Uint8Array(256)] }] }),
    ).toThrow(RangeError);
    expect(() => encodeHandshake({ ...ch, extensions: [{ kind: 'server_name', hostName: '\u4e2d' }] })).toThrow(RangeError);
  });

  it('ALPN and QUIC transport parameters in EncryptedExtensions', () => {
    const m: HandshakeMessage = {
      kind: 'encrypted_extensions',
      extensions: [
        { kind: 'alpn', protocols: [ascii('h3')] },
        { kind: 'quic_transport_parameters', data: fromHex('0104800075300f00') },
      ],
    };
    const b = encodeHandshake(m);
    expect(toHex(b)).toBe('08000017' + '0015' + '0010000500030268' + '33' + '0039000801048000753' + '00f00');
    expect(decodeHandshake(b)).toEqual(m);
  });
});
