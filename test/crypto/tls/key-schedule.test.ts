/**
 * RFC 8448 §3 ("Simple 1-RTT Handshake") from its inputs: the key schedule yields the trace's
 * early, handshake and master secrets, traffic secrets and both Finished messages byte for
 * byte; §3's NewSessionTicket then yields the PSK whose binder is §4's.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, concatBytes } from '../../../src/util/bytes.js';
import { KeySchedule, Transcript, resumptionPsk } from '../../../src/crypto/tls/key-schedule.js';
import { deriveKeyMaterial } from '../../../src/crypto/keys.js';
import { decodeHandshake } from '../../../src/crypto/tls/messages.js';
import { hkdfExpandLabel } from '../../../src/crypto/hkdf.js';
import { EACH_PROVIDER } from '../helpers.js';
import * as T from './rfc8448.js';

const SHARED = fromHex('8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d');
const h = (s: string): string => s.replace(/\s+/g, '');

describe.each(EACH_PROVIDER)('RFC 8448 key schedule with %s', (_name, p) => {
  it('§3 simple 1-RTT handshake', () => {
    const ks = new KeySchedule(p, 'sha256');
    expect(toHex(ks.early)).toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
    const t = new Transcript();
    t.add(fromHex(T.CH));
    t.add(fromHex(T.SH));
    ks.setSharedSecret(SHARED);
    expect(toHex(ks.handshake)).toBe('1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac');
    const hs = ks.handshakeTrafficSecrets(t.hash(p, 'sha256'));
    expect(toHex(hs.client)).toBe('b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21');
    expect(toHex(hs.server)).toBe('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
    expect(toHex(ks.master)).toBe('18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919');

    for (const m of [T.EE, T.CERT, T.CV]) t.add(fromHex(m));
    // The server's Finished covers ClientHello..CertificateVerify.
    const serverFinished = ks.verifyData(hs.server, t.hash(p, 'sha256'));
    expect('14000020' + toHex(serverFinished)).toBe(T.SERVER_FINISHED);
    t.add(fromHex(T.SERVER_FINISHED));
    const thSf = t.hash(p, 'sha256');
    expect(toHex(thSf)).toBe('9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13');
    const ap = ks.applicationTrafficSecrets(thSf);
    expect(toHex(ap.client)).toBe(h('9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5'));
    expect(toHex(ap.server)).toBe(h('a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43'));
    expect(toHex(ks.exporterMasterSecret(thSf))).toBe(h('fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50'));
    // TLS record keys (labels "key"/"iv", RFC 8446 §7.3) of the server's application traffic.
    expect(toHex(hkdfExpandLabel(p, 'sha256', ap.server, 'key', new Uint8Array(0), 16))).toBe('9f02283b6c9c07efc26bb9f2ac92e356');
    expect(toHex(hkdfExpandLabel(p, 'sha256', ap.server, 'iv', new Uint8Array(0), 12))).toBe('cf782b88dd83549aadf1e984');
    // QUIC keys from the same secret use "quic key" and differ (RFC 9001 §5.1).
    expect(toHex(deriveKeyMaterial(p, 0x1301, 1, ap.server).key)).not.toBe('9f02283b6c9c07efc26bb9f2ac92e356');

    const clientFinished = ks.verifyData(hs.client, thSf);
    expect('14000020' + toHex(clientFinished)).toBe(T.CLIENT_FINISHED);
    t.add(fromHex(T.CLIENT_FINISHED));
    const rms = ks.resumptionMasterSecret(t.hash(p, 'sha256'));
    expect(toHex(rms)).toBe(h('7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c'));

    // §3 NewSessionTicket → PSK → §4's binder over the truncated resumed ClientHello.
    const nst = decodeHandshake(fromHex(T.NST));
    if (nst.kind !== 'new_session_ticket') throw new Error('not a ticket');
    const psk = resumptionPsk(p, 'sha256', rms, nst.ticketNonce);
    expect(toHex(psk)).toBe(h('4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3'));
    const resumed = new KeySchedule(p, 'sha256', psk);
    const binderTranscript = new Transcript();
    const binder = resumed.verifyData(resumed.binderKey(true), binderTranscript.hashWith(p, 'sha256', fromHex(T.CH_RESUMED_PREFIX)));
    expect('0021' + '20' + toHex(binder)).toBe(T.CH_RESUMED_BINDERS);
    // and the 0-RTT secret over the whole resumed ClientHello
    const ch = concatBytes(fromHex(T.CH_RESUMED_PREFIX), fromHex(T.CH_RESUMED_BINDERS));
    expect(toHex(resumed.clientEarlyTrafficSecret(p.hash('sha256', ch)))).toBe(
      h('3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62'),
    );
  });

  it('§5 HelloRetryRequest: ClientHello1 is replaced by message_hash', () => {
    const t = new Transcript();
    t.add(fromHex(T.CH1_HRR));
    t.replaceWithMessageHash(p, 'sha256');
    t.add(fromHex(T.HRR));
    t.add(fromHex(T.CH2_HRR));
    const expected = p.hash('sha256', concatBytes(fromHex('fe000020'), p.hash('sha256', fromHex(T.CH1_HRR)), fromHex(T.HRR), fromHex(T.CH2_HRR)));
    expect(toHex(t.hash(p, 'sha256'))).toBe(toHex(expected));
  });

  it('the per-provider constants (Early Secret without PSK) are shared read-only', () => {
    const a = new KeySchedule(p, 'sha256');
    a.early.fill(0); // a copy: the shared secret is untouched
    const b = new KeySchedule(p, 'sha256');
    expect(toHex(b.early)).toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
    b.setSharedSecret(SHARED);
    expect(toHex(b.handshake)).toBe('1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac');
    // With a PSK the Early Secret is the PSK's own.
    expect(toHex(new KeySchedule(p, 'sha256', new Uint8Array(32).fill(1)).early)).not.toBe(toHex(b.early));
  });

  it('a transcript grows past its first buffer and restarts after release', () => {
    const t = new Transcript();
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    t.add(fromHex(T.CH));
    t.add(big);
    expect(toHex(t.hash(p, 'sha256'))).toBe(toHex(p.hash('sha256', concatBytes(fromHex(T.CH), big))));
    t.release();
    t.add(fromHex(T.SH));
    expect(toHex(t.hash(p, 'sha256'))).toBe(toHex(p.hash('sha256', fromHex(T.SH))));
  });
});
