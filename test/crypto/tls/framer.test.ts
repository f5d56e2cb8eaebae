import { describe, expect, it } from 'vitest';
import { fc } from '../../support/fc.js';
import { concatBytes, fromHex, toHex } from '../../../src/util/bytes.js';
import { ErrorCode, TransportError } from '../../../src/util/transport-error.js';
import { isCryptoError } from '../../../src/wire/errors.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE, HandshakeReassembler, type RawHandshakeMessage } from '../../../src/crypto/tls/framer.js';
import { decodeHandshake, decodeHandshakeBody, encodeHandshake } from '../../../src/crypto/tls/messages.js';
import { handshakeMessage } from './arb.js';
import * as V from './rfc8448.js';

/** The RFC 8448 §3 server flight at the Handshake level: EE ‖ Certificate ‖ CertificateVerify ‖ Finished. */
const FLIGHT = [V.EE, V.CERT, V.CV, V.SERVER_FINISHED];
const flight = fromHex(FLIGHT.join(''));

function drain(r: HandshakeReassembler): RawHandshakeMessage[] {
  const out: RawHandshakeMessage[] = [];
  for (let m = r.next(); m !== undefined; m = r.next()) out.push(m);
  return out;
}

function feed(chunks: Uint8Array[], max?: number): RawHandshakeMessage[] {
  const r = new HandshakeReassembler(max);
  for (const c of chunks) r.push(c);
  expect(r.pendingBytes).toBe(0);
  return drain(r);
}

describe('HandshakeReassembler', () => {
  it('several messages in one chunk', () => {
    const msgs = feed([flight]);
    expect(msgs.map((m) => toHex(m.raw))).toEqual(FLIGHT);
    expect(msgs.map((m) => m.type)).toEqual([8, 11, 15, 20]);
    expect(toHex(msgs[3]!.body)).toBe(V.SERVER_FINISHED.slice(8));
    expect(msgs.map((m) => decodeHandshake(m.raw).kind)).toEqual(['encrypted_extensions', 'certificate', 'certificate_verify', 'finished']);
    expect(decodeHandshakeBody(msgs[1]!.type, msgs[1]!.body).kind).toBe('certificate');
  });

  it('the flight split at every byte boundary', () => {
    for (let i = 0; i <= flight.length; i++) {
      const msgs = feed([flight.subarray(0, i), flight.subarray(i)]);
      expect(msgs.map((m) => toHex(m.raw))).toEqual(FLIGHT);
    }
  });

  it('every single-message vector split at every byte boundary', () => {
    for (const hex of [V.CH, V.SH, V.NST, V.HRR, V.END_OF_EARLY_DATA]) {
      const b = fromHex(hex);
      for (let i = 0; i <= b.length; i++) {
        expect(feed([b.subarray(0, i), b.subarray(i)]).map((m) => toHex(m.raw))).toEqual([hex]);
      }
    }
  });

  it('one byte at a time, with pendingBytes and queued tracking the stream', () => {
    const r = new HandshakeReassembler();
    const ee = fromHex(V.EE);
    for (let i = 0; i < ee.length - 1; i++) {
      r.push(ee.subarray(i, i + 1));
      expect(r.pendingBytes).toBe(i + 1);
      expect(r.queued).toBe(0);
    }
    r.push(ee.subarray(ee.length - 1));
    expect(r.pendingBytes).toBe(0);
    expect(r.queued).toBe(1);
    expect(toHex(r.next()!.raw)).toBe(V.EE);
    expect(r.next()).toBeUndefined();
  });

  it('empty-bodied messages complete at the end of a chunk', () => {
    const msgs = feed([fromHex('05000000'), fromHex('050000'), fromHex('00'), new Uint8Array(0)]);
    expect(msgs.map((m) => toHex(m.raw))).toEqual(['05000000', '05000000']);
  });

  it('copies: reusing the pushed buffer does not change queued messages', () => {
    const buf = fromHex(V.SH);
    const r = new HandshakeReassembler();
    r.push(buf);
    buf.fill(0);
    expect(toHex(r.next()!.raw)).toBe(V.SH);
  });

  it('random chunkings of random message sequences', () => {
    fc.assert(
      fc.property(fc.array(handshakeMessage, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (msgs, cuts) => {
        const encoded = msgs.map(encodeHandshake);
        const stream = concatBytes(...encoded);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        const out = feed(chunks);
        expect(out.map((m) => m.raw)).toEqual(encoded);
        expect(out.map((m) => decodeHandshake(m.raw))).toEqual(msgs);
      }),
      { numRuns: 300 },
    );
  });

  it('a message over the bound fails on its header, before its body arrives', () => {
    const r = new HandshakeReassembler(1000);
    r.push(fromHex('0b0003e8')); // exactly 1000: accepted
    expect(r.pendingBytes).toBe(4);
    const s = new HandshakeReassembler(1000);
    let err: unknown;
    try {
      s.push(fromHex('0b0003')); // header incomplete: nothing to judge yet
      s.push(fromHex('e9')); // 1001
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(ErrorCode.CRYPTO_BUFFER_EXCEEDED);
    expect((err as TransportError).frameType).toBe(0x06);
    expect((err as TransportError).reason).toMatch(/1001 bytes exceeds the 1000-byte limit/);
    // It stays failed.
    expect(() => s.push(new Uint8Array(1))).toThrow(TransportError);
  });

  it('a 16 MiB announcement with the default bound is refused without allocating it', () => {
    expect(DEFAULT_MAX_HANDSHAKE_MESSAGE).toBe(65536);
    const r = new HandshakeReassembler();
    expect(() => r.push(fromHex('01ffffff'))).toThrow(expect.objectContaining({ code: ErrorCode.CRYPTO_BUFFER_EXCEEDED }));
  });

  it('random byte streams: only CRYPTO_BUFFER_EXCEEDED from the framer, only CRYPTO_ERROR from decoding', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const r = new HandshakeReassembler(256);
        try {
          for (const c of chunks) r.push(c);
        } catch (e) {
          if (!(e instanceof TransportError) || e.code !== ErrorCode.CRYPTO_BUFFER_EXCEEDED) throw e;
        }
        for (const m of drain(r)) {
          try {
            decodeHandshake(m.raw);
          } catch (e) {
            if (!(e instanceof TransportError) || !isCryptoError(e.code)) throw e;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects an impossible bound', () => {
    expect(() => new HandshakeReassembler(-1)).toThrow(RangeError);
    expect(() => new HandshakeReassembler(1 << 24)).toThrow(RangeError);
  });
});
