import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import {
  huffmanCode,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
  QpackError,
  QpackErrorCode,
} from '../../src/http/qpack/index.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** RFC 7541 Appendix B as printed: [code, length in bits] for symbols 0..255 and EOS. */
const APPENDIX_B: readonly (readonly [number, number])[] = [
  [0x1ff8, 13], [0x7fffd8, 23], [0xfffffe2, 28], [0xfffffe3, 28], [0xfffffe4, 28], [0xfffffe5, 28],
  [0xfffffe6, 28], [0xfffffe7, 28], [0xfffffe8, 28], [0xffffea, 24], [0x3ffffffc, 30], [0xfffffe9, 28],
  [0xfffffea, 28], [0x3ffffffd, 30], [0xfffffeb, 28], [0xfffffec, 28], [0xfffffed, 28], [0xfffffee, 28],
  [0xfffffef, 28], [0xffffff0, 28], [0xffffff1, 28], [0xffffff2, 28], [0x3ffffffe, 30], [0xffffff3, 28],
  [0xffffff4, 28], [0xffffff5, 28], [0xffffff6, 28], [0xffffff7, 28], [0xffffff8, 28], [0xffffff9, 28],
  [0xffffffa, 28], [0xffffffb, 28], [0x14, 6], [0x3f8, 10], [0x3f9, 10], [0xffa, 12],
  [0x1ff9, 13], [0x15, 6], [0xf8, 8], [0x7fa, 11], [0x3fa, 10], [0x3fb, 10],
  [0xf9, 8], [0x7fb, 11], [0xfa, 8], [0x16, 6], [0x17, 6], [0x18, 6],
  [0x0, 5], [0x1, 5], [0x2, 5], [0x19, 6], [0x1a, 6], [0x1b, 6],
  [0x1c, 6], [0x1d, 6], [0x1e, 6], [0x1f, 6], [0x5c, 7], [0xfb, 8],
  [0x7ffc, 15], [0x20, 6], [0xffb, 12], [0x3fc, 10], [0x1ffa, 13], [0x21, 6],
  [0x5d, 7], [0x5e, 7], [0x5f, 7], [0x60, 7], [0x61, 7], [0x62, 7],
  [0x63, 7], [0x64, 7], [0x65, 7], [0x66, 7], [0x67, 7], [0x68, 7],
  [0x69, 7], [0x6a, 7], [0x6b, 7], [0x6c, 7], [0x6d, 7], [0x6e, 7],
  [0x6f, 7], [0x70, 7], [0x71, 7], [0x72, 7], [0xfc, 8], [0x73, 7],
  [0xfd, 8], [0x1ffb, 13], [0x7fff0, 19], [0x1ffc, 13], [0x3ffc, 14], [0x22, 6],
  [0x7ffd, 15], [0x3, 5], [0x23, 6], [0x4, 5], [0x24, 6], [0x5, 5],
  [0x25, 6], [0x26, 6], [0x27, 6], [0x6, 5], [0x74, 7], [0x75, 7],
  [0x28, 6], [0x29, 6], [0x2a, 6], [0x7, 5], [0x2b, 6], [0x76, 7],
  [0x2c, 6], [0x8, 5], [0x9, 5], [0x2d, 6], [0x77, 7], [0x78, 7],
  [0x79, 7], [0x7a, 7], [0x7b, 7], [0x7ffe, 15], [0x7fc, 11], [0x3ffd, 14],
  [0x1ffd, 13], [0xffffffc, 28], [0xfffe6, 20], [0x3fffd2, 22], [0xfffe7, 20], [0xfffe8, 20],
  [0x3fffd3, 22], [0x3fffd4, 22], [0x3fffd5, 22], [0x7fffd9, 23], [0x3fffd6, 22], [0x7fffda, 23],
  [0x7fffdb, 23], [0x7fffdc, 23], [0x7fffdd, 23], [0x7fffde, 23], [0xffffeb, 24], [0x7fffdf, 23],
  [0xffffec, 24], [0xffffed, 24], [0x3fffd7, 22], [0x7fffe0, 23], [0xffffee, 24], [0x7fffe1, 23],
  [0x7fffe2, 23], [0x7fffe3, 23], [0x7fffe4, 23], [0x1fffdc, 21], [0x3fffd8, 22], [0x7fffe5, 23],
  [0x3fffd9, 22], [0x7fffe6, 23], [0x7fffe7, 23], [0xffffef, 24], [0x3fffda, 22], [0x1fffdd, 21],
  [0xfffe9, 20], [0x3fffdb, 22], [0x3fffdc, 22], [0x7fffe8, 23], [0x7fffe9, 23], [0x1fffde, 21],
  [0x7fffea, 23], [0x3fffdd, 22], [0x3fffde, 22], [0xfffff0, 24], [0x1fffdf, 21], [0x3fffdf, 22],
  [0x7fffeb, 23], [0x7fffec, 23], [0x1fffe0, 21], [0x1fffe1, 21], [0x3fffe0, 22], [0x1fffe2, 21],
  [0x7fffed, 23], [0x3fffe1, 22], [0x7fffee, 23], [0x7fffef, 23], [0xfffea, 20], [0x3fffe2, 22],
  [0x3fffe3, 22], [0x3fffe4, 22], [0x7ffff0, 23], [0x3fffe5, 22], [0x3fffe6, 22], [0x7ffff1, 23],
  [0x3ffffe0, 26], [0x3ffffe1, 26], [0xfffeb, 20], [0x7fff1, 19], [0x3fffe7, 22], [0x7ffff2, 23],
  [0x3fffe8, 22], [0x1ffffec, 25], [0x3ffffe2, 26], [0x3ffffe3, 26], [0x3ffffe4, 26], [0x7ffffde, 27],
  [0x7ffffdf, 27], [0x3ffffe5, 26], [0xfffff1, 24], [0x1ffffed, 25], [0x7fff2, 19], [0x1fffe3, 21],
  [0x3ffffe6, 26], [0x7ffffe0, 27], [0x7ffffe1, 27], [0x3ffffe7, 26], [0x7ffffe2, 27], [0xfffff2, 24],
  [0x1fffe4, 21], [0x1fffe5, 21], [0x3ffffe8, 26], [0x3ffffe9, 26], [0xffffffd, 28], [0x7ffffe3, 27],
  [0x7ffffe4, 27], [0x7ffffe5, 27], [0xfffec, 20], [0xfffff3, 24], [0xfffed, 20], [0x1fffe6, 21],
  [0x3fffe9, 22], [0x1fffe7, 21], [0x1fffe8, 21], [0x7ffff3, 23], [0x3fffea, 22], [0x3fffeb, 22],
  [0x1ffffee, 25], [0x1ffffef, 25], [0xfffff4, 24], [0xfffff5, 24], [0x3ffffea, 26], [0x7ffff4, 23],
  [0x3ffffeb, 26], [0x7ffffe6, 27], [0x3ffffec, 26], [0x3ffffed, 26], [0x7ffffe7, 27], [0x7ffffe8, 27],
  [0x7ffffe9, 27], [0x7ffffea, 27], [0x7ffffeb, 27], [0xffffffe, 28], [0x7ffffec, 27], [0x7ffffed, 27],
  [0x7ffffee, 27], [0x7ffffef, 27], [0x7fffff0, 27], [0x3ffffee, 26],
  [0x3fffffff, 30], // EOS
];

function expectDecompressionFailed(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QpackError);
  expect((err as QpackError).code).toBe(QpackErrorCode.DECOMPRESSION_FAILED);
}

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('derives every code of the printed table', () => {
    expect(APPENDIX_B).toHaveLength(257);
    APPENDIX_B.forEach(([code, len], sym) => expect(huffmanCode(sym), `symbol ${sym}`).toEqual([code, len]));
  });

  it('encodes the examples of RFC 7541 Appendix C.4', () => {
    const vectors: [string, string][] = [
      ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
      ['no-cache', 'a8eb 1064 9cbf'],
      ['custom-key', '25a8 49e9 5ba9 7d7f'],
      ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
    ];
    for (const [text, encoded] of vectors) {
      expect(toHex(huffmanEncode(ascii(text)))).toBe(toHex(hex(encoded)));
      expect(huffmanEncodedLength(ascii(text))).toBe(hex(encoded).length);
      expect(new TextDecoder().decode(huffmanDecode(hex(encoded), 100))).toBe(text);
    }
  });

  it('encodes the response examples of RFC 7541 Appendix C.6', () => {
    const vectors: [string, string][] = [
      ['302', '6402'],
      ['307', '640e ff'],
      ['private', 'aec3 771a 4b'],
      ['gzip', '9bd9 ab'],
      ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
      ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
      [
        'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
        '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      ],
    ];
    for (const [text, encoded] of vectors) {
      expect(toHex(huffmanEncode(ascii(text)))).toBe(toHex(hex(encoded)));
      expect(new TextDecoder().decode(huffmanDecode(hex(encoded), 100))).toBe(text);
    }
  });

  it('round-trips arbitrary octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (s) => {
        const enc = huffmanEncode(s);
        expect(enc.length).toBe(huffmanEncodedLength(s));
        expect(huffmanDecode(enc, s.length)).toEqual(s);
      }),
    );
  });

  it('decodes the empty string', () => {
    expect(huffmanEncode(new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(huffmanDecode(new Uint8Array(0), 0)).toEqual(new Uint8Array(0));
  });

  it('refuses EOS inside the string', () => {
    expectDecompressionFailed(() => huffmanDecode(hex('ffffffff'), 10)); // EOS, then two bits of padding
    expectDecompressionFailed(() => huffmanDecode(hex('1fff ffff fc'), 10)); // 'a', then EOS
  });

  it('refuses padding longer than 7 bits', () => {
    expect(huffmanDecode(hex('1f'), 10)).toEqual(ascii('a')); // 'a' (00011) + 3 bits of padding
    expectDecompressionFailed(() => huffmanDecode(hex('ff'), 10));
    expectDecompressionFailed(() => huffmanDecode(hex('1fff'), 10));
  });

  it('refuses padding that is not a prefix of EOS', () => {
    expectDecompressionFailed(() => huffmanDecode(hex('18'), 10)); // 'a' + 000
    expectDecompressionFailed(() => huffmanDecode(hex('1e'), 10)); // 'a' + 110
  });

  it('refuses output longer than the limit', () => {
    const enc = huffmanEncode(ascii('www.example.com'));
    expect(huffmanDecode(enc, 15)).toEqual(ascii('www.example.com'));
    expectDecompressionFailed(() => huffmanDecode(enc, 14));
  });

  it('throws nothing but QpackError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(100), (b, max) => {
        try {
          const out = huffmanDecode(b, max);
          expect(out.length).toBeLessThanOrEqual(max);
          expect(huffmanDecode(huffmanEncode(out), max)).toEqual(out);
        } catch (e) {
          expect(e).toBeInstanceOf(QpackError);
        }
      }),
    );
  });
});
