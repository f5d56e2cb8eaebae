import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import {
  ByteWriter,
  encodeDuplicate,
  encodeInsertWithLiteralName,
  encodeInsertWithNameReference,
  encodeSetDynamicTableCapacity,
  encodeStreamCancellation,
  encodeSectionAcknowledgment,
  encodeInsertCountIncrement,
  integerLength,
  MAX_INTEGER,
  QpackDecoder,
  QpackEncoder,
  QpackError,
  QpackErrorCode,
  readInteger,
  readString,
  STATIC_TABLE,
  writeInteger,
  writeString,
  type FieldLine,
} from '../../src/http/qpack/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

function qpackError(f: () => unknown): QpackError {
  try {
    f();
  } catch (e) {
    if (e instanceof QpackError) return e;
    throw e;
  }
  throw new Error('expected a QpackError');
}
const expectCode = (code: number, f: () => unknown): void => expect(qpackError(f).code).toBe(code);
const DECOMPRESSION_FAILED = QpackErrorCode.DECOMPRESSION_FAILED;
const ENCODER_STREAM_ERROR = QpackErrorCode.ENCODER_STREAM_ERROR;
const DECODER_STREAM_ERROR = QpackErrorCode.DECODER_STREAM_ERROR;

/**
 * Builds an encoded field section (RFC 9204 §4.5): the prefix for `ric` and `base` given the
 * decoder's MaxEntries, then whatever `lines` writes.
 */
function section(ric: number, base: number, maxEntries: number, lines: (w: ByteWriter) => void = () => {}): Uint8Array {
  const w = new ByteWriter();
  writeInteger(w, 0, 8, ric === 0 ? 0 : (ric % (2 * maxEntries)) + 1);
  if (base >= ric) writeInteger(w, 0x00, 7, base - ric);
  else writeInteger(w, 0x80, 7, ric - base - 1);
  lines(w);
  return w.finish();
}
/** Indexed Field Line referencing the dynamic table by relative index (§4.5.2). */
const dynIndexed = (relative: number) => (w: ByteWriter) => writeInteger(w, 0x80, 6, relative);
/** Indexed Field Line with Post-Base Index (§4.5.3). */
const postBaseIndexed = (index: number) => (w: ByteWriter) => writeInteger(w, 0x10, 4, index);

describe('QPACK primitives (RFC 9204 §4.1)', () => {
  it('encodes the integer examples of RFC 7541 Appendix C.1', () => {
    const enc = (flags: number, prefix: number, v: number): string | undefined => {
      const w = new ByteWriter();
      writeInteger(w, flags, prefix, v);
      expect(w.length).toBe(integerLength(prefix, v));
      return toHex(w.finish());
    };
    expect(enc(0, 5, 10)).toBe('0a');
    expect(enc(0, 5, 1337)).toBe('1f9a0a');
    expect(enc(0, 8, 42)).toBe('2a');
    expect(enc(0xe0, 5, 31)).toBe('ff00');
    expect(readInteger(hex('1f9a0a'), 0, 5, DECOMPRESSION_FAILED)).toEqual([1337, 3]);
    expect(readInteger(hex('ea'), 0, 5, DECOMPRESSION_FAILED)).toEqual([10, 1]);
  });

  it('round-trips integers up to 2^53-1 with every prefix size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.maxSafeNat(), (prefix, v) => {
        const w = new ByteWriter();
        writeInteger(w, 0, prefix, v);
        const b = w.finish();
        expect(readInteger(b, 0, prefix, DECOMPRESSION_FAILED)).toEqual([v, b.length]);
        expect(readInteger(b.subarray(0, b.length - 1), 0, prefix, DECOMPRESSION_FAILED)).toBeUndefined();
      }),
    );
  });

  it('refuses integers above 2^53-1 and overlong encodings', () => {
    const w = new ByteWriter();
    writeInteger(w, 0, 8, MAX_INTEGER);
    const max = w.finish();
    expect(readInteger(max, 0, 8, DECOMPRESSION_FAILED)).toEqual([MAX_INTEGER, max.length]);
    expectCode(DECOMPRESSION_FAILED, () => readInteger(hex('ff ffffffffffffff7f'), 0, 8, DECOMPRESSION_FAILED));
    expectCode(ENCODER_STREAM_ERROR, () => readInteger(hex('1f 80 00'), 0, 5, ENCODER_STREAM_ERROR));
    expectCode(DECOMPRESSION_FAILED, () => readInteger(hex('ff 8080808080808080 01'), 0, 8, DECOMPRESSION_FAILED));
  });

  it('round-trips string literals of every prefix size, Huffman or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (prefix, s, huffman) => {
        const w = new ByteWriter();
        w.byte(0); // something before, so offsets are exercised
        writeString(w, 0, prefix, s, huffman);
        const b = w.finish();
        expect(readString(b, 1, prefix, s.length, DECOMPRESSION_FAILED)).toEqual([s, b.length]);
        if (s.length > 0) {
          expect(readString(b.subarray(0, b.length - 1), 1, prefix, s.length, DECOMPRESSION_FAILED)).toBeUndefined();
          expectCode(DECOMPRESSION_FAILED, () => readString(b, 1, prefix, s.length - 1, DECOMPRESSION_FAILED));
        }
      }),
    );
  });
});

describe('QPACK static table (RFC 9204 Appendix A)', () => {
  it('has the 99 entries of the RFC', () => {
    expect(STATIC_TABLE).toHaveLength(99);
    expect(STATIC_TABLE[0]).toEqual([':authority', '']);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[29]).toEqual(['accept', '*/*']);
    expect(STATIC_TABLE[85]).toEqual(['content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"]);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
    for (const [name] of STATIC_TABLE) expect(name).toBe(name.toLowerCase());
  });
});

describe('QPACK decoder: RFC 9204 Appendix B examples', () => {
  const B2_ENCODER = hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468');
  const B2_STREAM4 = hex('0381 10 11');
  const B3_ENCODER = hex('4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565');
  const B4_ENCODER = hex('02');
  const B4_STREAM8 = hex('0500 80 c1 81');
  const B5_ENCODER = hex('810d 6375 7374 6f6d 2d76 616c 7565 32');
  const newDecoder = (): QpackDecoder => new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 4 });

  /** Replays B.2 and B.3; the decoder then has 3 entries, all acknowledged. */
  function throughB3(): QpackDecoder {
    const d = newDecoder();
    expect(d.onEncoderStream(B2_ENCODER)).toEqual([]);
    expect(d.decode(4, B2_STREAM4)).not.toBeNull();
    d.onEncoderStream(B3_ENCODER);
    d.takeDecoderInstructions();
    return d;
  }

  it('B.1: literal field line with static name reference', () => {
    const d = newDecoder();
    expect(d.decode(0, hex('0000 510b 2f69 6e64 6578 2e68 746d 6c'))).toEqual([[':path', '/index.html']]);
    expect(d.takeDecoderInstructions()).toBeUndefined();
  });

  it('B.2: dynamic table inserts, post-base references, Section Acknowledgment', () => {
    const d = newDecoder();
    expect(d.onEncoderStream(B2_ENCODER)).toEqual([]);
    expect(d.insertCount).toBe(2);
    expect(d.decode(4, B2_STREAM4)).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/sample/path'],
    ]);
    expect(toHex(d.takeDecoderInstructions())).toBe('84');
    expect(d.takeDecoderInstructions()).toBeUndefined();
  });

  it('decodes literal lines naming dynamic entries, post-base or not, N bit set or not', () => {
    const d = newDecoder();
    d.onEncoderStream(B2_ENCODER);
    // RIC 2, Base 0: post-base name index 1 (:path), then the same with N set.
    expect(d.decode(4, hex('0381 01 03616263 09 00'))).toEqual([
      [':path', 'abc'],
      [':path', ''],
    ]);
    // RIC 2, Base 2: relative name index 0 (:path) and 1 (:authority), N set on the second.
    expect(d.decode(8, hex('0300 40 0178 61 00'))).toEqual([
      [':path', 'x'],
      [':authority', ''],
    ]);
    expect(toHex(d.takeDecoderInstructions())).toBe('8488');
  });

  it('B.2 with the encoder stream split into single bytes', () => {
    const d = newDecoder();
    for (const b of B2_ENCODER) expect(d.onEncoderStream(Uint8Array.of(b))).toEqual([]);
    expect(d.insertCount).toBe(2);
    expect(d.decode(4, B2_STREAM4)).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/sample/path'],
    ]);
  });

  it('B.3: speculative insert, Insert Count Increment', () => {
    const d = newDecoder();
    d.onEncoderStream(B2_ENCODER);
    d.decode(4, B2_STREAM4);
    expect(toHex(d.takeDecoderInstructions())).toBe('84');
    d.onEncoderStream(B3_ENCODER);
    expect(d.insertCount).toBe(3);
    expect(toHex(d.takeDecoderInstructions())).toBe('01');
  });

  it('B.4: duplicate, blocked section, Stream Cancellation', () => {
    const d = throughB3();
    expect(d.decode(8, B4_STREAM8)).toBeNull(); // the encoder stream bytes with the Duplicate are late
    d.cancelStream(8);
    expect(toHex(d.takeDecoderInstructions())).toBe('48');
    expect(d.onEncoderStream(B4_ENCODER)).toEqual([]); // stream 8 is no longer waiting
    expect(d.insertCount).toBe(4);
    expect(toHex(d.takeDecoderInstructions())).toBe('01');
  });

  it('B.4 when the duplicate arrives before the stream is abandoned', () => {
    const d = throughB3();
    expect(d.decode(8, B4_STREAM8)).toBeNull();
    expect(d.onEncoderStream(B4_ENCODER)).toEqual([8]);
    expect(d.decode(8, B4_STREAM8)).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/'],
      ['custom-key', 'custom-value'],
    ]);
    expect(toHex(d.takeDecoderInstructions())).toBe('88'); // the acknowledgment covers insert 4
  });

  it('B.5: insert with dynamic name reference evicts the oldest entry', () => {
    const d = throughB3();
    d.onEncoderStream(B4_ENCODER);
    d.onEncoderStream(B5_ENCODER);
    expect(d.insertCount).toBe(5);
    expect(toHex(d.takeDecoderInstructions())).toBe('02');
    // Entry 0 (:authority www.example.com) is gone; 1..4 remain (size 215 of 220).
    expectCode(DECOMPRESSION_FAILED, () => d.decode(12, section(1, 1, 6, dynIndexed(0))));
    expect(d.decode(16, section(5, 5, 6, dynIndexed(0)))).toEqual([['custom-key', 'custom-value2']]);
    expect(d.decode(20, section(2, 1, 6, postBaseIndexed(0)))).toEqual([[':path', '/sample/path']]);
    expect(d.decode(24, section(5, 1, 6, (w) => [0, 1, 2, 3].forEach((i) => postBaseIndexed(i)(w))))).toEqual([
      [':path', '/sample/path'],
      ['custom-key', 'custom-value'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value2'],
    ]);
  });
});

describe('QPACK decoder: Required Insert Count and Base (RFC 9204 §4.5.1)', () => {
  /** A decoder with capacity 100 (MaxEntries 3) and `n` one-letter entries of 33 bytes inserted. */
  function withInserts(n: number): QpackDecoder {
    const d = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 2 });
    d.onEncoderStream(encodeSetDynamicTableCapacity(100));
    for (let i = 0; i < n; i++) d.onEncoderStream(encodeInsertWithLiteralName(String.fromCharCode(97 + i), ''));
    return d;
  }

  it('reconstructs a wrapped Required Insert Count (the example of §4.5.1.1)', () => {
    const d = withInserts(10);
    // 10 inserts, table of 100 bytes: encoded value 4 means Required Insert Count 9.
    expect(d.decode(0, concat(hex('04 00'), hex('80')))).toEqual([['i', '']]);
    expect(toHex(d.takeDecoderInstructions())).toBe('8001'); // ack (RIC 9), then increment to 10
  });

  it('refuses encoded values a conformant encoder cannot produce', () => {
    expectCode(DECOMPRESSION_FAILED, () => withInserts(10).decode(0, hex('07 00'))); // > FullRange 6
    expectCode(DECOMPRESSION_FAILED, () => withInserts(0).decode(0, hex('01 00'))); // RIC 0 encoded as non-zero
    const none = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
    expectCode(DECOMPRESSION_FAILED, () => none.decode(0, hex('01 00')));
    expect(none.decode(0, hex('00 00 c1'))).toEqual([[':path', '/']]);
  });

  it('computes a Base below the Required Insert Count and refuses a negative one', () => {
    const d = withInserts(3);
    // RIC 3, Sign 1, Delta Base 1: Base 1; post-base index 1 is entry 2.
    expect(d.decode(0, section(3, 1, 3, postBaseIndexed(1)))).toEqual([['c', '']]);
    expect(d.decode(4, hex('04 82'))).toEqual([]); // RIC 3, Sign 1, Delta Base 2: Base 0
    expectCode(DECOMPRESSION_FAILED, () => d.decode(8, hex('04 83'))); // Delta Base 3: Base -1
    expectCode(DECOMPRESSION_FAILED, () => d.decode(8, hex('04 ff 00')));
  });

  it('refuses references at or beyond the Required Insert Count', () => {
    const d = withInserts(3);
    expectCode(DECOMPRESSION_FAILED, () => d.decode(0, section(2, 1, 3, postBaseIndexed(1)))); // abs 2, RIC 2
    expectCode(DECOMPRESSION_FAILED, () => d.decode(0, section(0, 0, 3, dynIndexed(0)))); // RIC 0, abs -1
    expectCode(DECOMPRESSION_FAILED, () => d.decode(0, section(0, 3, 3, dynIndexed(0)))); // RIC 0, abs 2
    expectCode(DECOMPRESSION_FAILED, () => d.decode(0, section(2, 2, 3, dynIndexed(2)))); // abs -1
  });
});

describe('QPACK decoder: blocked streams (RFC 9204 §2.1.2, §2.2.1)', () => {
  const setup = (maxBlockedStreams: number): QpackDecoder => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams });
    d.onEncoderStream(encodeSetDynamicTableCapacity(4096));
    return d;
  };
  const MAX_ENTRIES = 128;

  it('blocks until the insert arrives, then decodes', () => {
    const d = setup(2);
    const s = section(1, 1, MAX_ENTRIES, dynIndexed(0));
    expect(d.decode(0, s)).toBeNull();
    expect(d.decode(0, s)).toBeNull(); // asking again does not count twice
    expect(d.takeDecoderInstructions()).toBeUndefined();
    expect(d.onEncoderStream(encodeInsertWithNameReference(true, 0, 'example.org'))).toEqual([0]);
    expect(d.decode(0, s)).toEqual([[':authority', 'example.org']]);
    expect(toHex(d.takeDecoderInstructions())).toBe('80');
  });

  it('unblocks each stream when its own Required Insert Count is reached', () => {
    const d = setup(3);
    const s1 = section(1, 1, MAX_ENTRIES, dynIndexed(0));
    const s2 = section(2, 0, MAX_ENTRIES, (w) => [0, 1].forEach((i) => postBaseIndexed(i)(w)));
    expect(d.decode(4, s2)).toBeNull();
    expect(d.decode(8, s1)).toBeNull();
    expect(d.onEncoderStream(encodeInsertWithLiteralName('x-a', '1'))).toEqual([8]);
    expect(d.decode(8, s1)).toEqual([['x-a', '1']]);
    expect(d.onEncoderStream(concat(encodeInsertWithLiteralName('x-b', '2'), encodeDuplicate(1)))).toEqual([4]);
    expect(d.decode(4, s2)).toEqual([
      ['x-a', '1'],
      ['x-b', '2'],
    ]);
    expect(toHex(d.takeDecoderInstructions())).toBe('888401'); // acks for 8 and 4, then the duplicate
  });

  it('fails when more streams block than advertised', () => {
    const d = setup(1);
    const s = section(1, 1, MAX_ENTRIES, dynIndexed(0));
    expect(d.decode(0, s)).toBeNull();
    expectCode(DECOMPRESSION_FAILED, () => d.decode(4, s));
    expectCode(DECOMPRESSION_FAILED, () => setup(0).decode(0, s));
  });

  it('forgets a cancelled stream, freeing its slot', () => {
    const d = setup(1);
    const s = section(1, 1, MAX_ENTRIES, dynIndexed(0));
    expect(d.decode(0, s)).toBeNull();
    d.cancelStream(0);
    expect(d.decode(4, s)).toBeNull();
    expect(toHex(d.takeDecoderInstructions())).toBe('40');
    expect(d.onEncoderStream(encodeInsertWithLiteralName('x', 'y'))).toEqual([4]);
  });

  it('omits Stream Cancellation when the table capacity is zero', () => {
    const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
    d.cancelStream(0);
    expect(d.takeDecoderInstructions()).toBeUndefined();
  });
});

describe('QPACK decoder: capacity and eviction (RFC 9204 §3.2)', () => {
  const entry = (name: string, value: string) => encodeInsertWithLiteralName(name, value);

  it('evicts the oldest entries to make room, and refuses references to them', () => {
    const d = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 0 });
    d.onEncoderStream(encodeSetDynamicTableCapacity(100));
    d.onEncoderStream(entry('n0', 'v'.repeat(10))); // 44 bytes
    d.onEncoderStream(entry('n1', 'v'.repeat(10))); // 88
    expect(d.decode(0, section(2, 2, 3, dynIndexed(1)))).toEqual([['n0', 'vvvvvvvvvv']]);
    d.onEncoderStream(entry('n2', 'v'.repeat(10))); // evicts n0
    expectCode(DECOMPRESSION_FAILED, () => d.decode(4, section(2, 2, 3, dynIndexed(1))));
    expect(d.decode(8, section(3, 3, 3, (w) => [1, 0].forEach((i) => dynIndexed(i)(w))))).toEqual([
      ['n1', 'vvvvvvvvvv'],
      ['n2', 'vvvvvvvvvv'],
    ]);
    // An insert may name the entry its own insertion evicts (§3.2.2).
    d.onEncoderStream(encodeInsertWithNameReference(false, 1, 'w'.repeat(30))); // n1, 64 bytes: evicts n1 and n2
    expect(d.decode(12, section(4, 4, 3, dynIndexed(0)))).toEqual([['n1', 'w'.repeat(30)]]);
    expectCode(DECOMPRESSION_FAILED, () => d.decode(16, section(4, 4, 3, dynIndexed(1))));
  });

  it('evicts when the capacity shrinks, and can be cleared and restored', () => {
    const d = new QpackDecoder({ maxTableCapacity: 200, maxBlockedStreams: 0 });
    d.onEncoderStream(encodeSetDynamicTableCapacity(200));
    for (let i = 0; i < 4; i++) d.onEncoderStream(entry(`n${i}`, 'x')); // 35 bytes each
    d.onEncoderStream(encodeSetDynamicTableCapacity(70)); // keeps n2, n3
    expectCode(DECOMPRESSION_FAILED, () => d.decode(0, section(2, 2, 6, dynIndexed(0))));
    expect(d.decode(0, section(3, 3, 6, dynIndexed(0)))).toEqual([['n2', 'x']]);
    d.onEncoderStream(encodeSetDynamicTableCapacity(0));
    expectCode(DECOMPRESSION_FAILED, () => d.decode(4, section(4, 4, 6, dynIndexed(0))));
    expectCode(ENCODER_STREAM_ERROR, () => d.onEncoderStream(entry('a', 'b')));
    const d2 = new QpackDecoder({ maxTableCapacity: 200, maxBlockedStreams: 0 });
    d2.onEncoderStream(concat(encodeSetDynamicTableCapacity(100), entry('a', 'b'), encodeSetDynamicTableCapacity(0)));
    d2.onEncoderStream(concat(encodeSetDynamicTableCapacity(200), entry('c', 'd')));
    expect(d2.insertCount).toBe(2);
    expect(d2.decode(0, section(2, 2, 6, dynIndexed(0)))).toEqual([['c', 'd']]);
    expectCode(DECOMPRESSION_FAILED, () => d2.decode(0, section(1, 1, 6, dynIndexed(0))));
  });

  it('accepts an entry exactly as large as the capacity', () => {
    const d = new QpackDecoder({ maxTableCapacity: 40, maxBlockedStreams: 0 });
    d.onEncoderStream(concat(encodeSetDynamicTableCapacity(40), entry('abcd', 'efgh')));
    d.onEncoderStream(entry('abcd', 'efgi'));
    expect(d.decode(0, section(2, 2, 1, dynIndexed(0)))).toEqual([['abcd', 'efgi']]);
  });
});

describe('QPACK decoder: encoder stream errors', () => {
  const fresh = (): QpackDecoder => {
    const d = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 0 });
    d.onEncoderStream(encodeSetDynamicTableCapacity(100));
    return d;
  };

  it('refuses a capacity above the advertised maximum', () => {
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(encodeSetDynamicTableCapacity(101)));
    const none = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
    none.onEncoderStream(encodeSetDynamicTableCapacity(0));
    expectCode(ENCODER_STREAM_ERROR, () => none.onEncoderStream(encodeSetDynamicTableCapacity(1)));
    expectCode(ENCODER_STREAM_ERROR, () => none.onEncoderStream(encodeInsertWithNameReference(true, 0, '')));
  });

  it('refuses an entry larger than the capacity', () => {
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(encodeInsertWithLiteralName('a', 'b'.repeat(68))));
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(encodeInsertWithNameReference(true, 0, 'b'.repeat(59))));
    expect(() => fresh().onEncoderStream(encodeInsertWithNameReference(true, 0, 'b'.repeat(58)))).not.toThrow();
  });

  it('refuses a too-long string as soon as its length is known', () => {
    // Only the header of a 1000-byte value: nothing to wait for, it can never fit.
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(hex('c0 7f e907')));
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(hex('5f ff07')));
  });

  it('refuses bad indices', () => {
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(encodeInsertWithNameReference(true, 99, 'x')));
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(encodeInsertWithNameReference(false, 0, 'x')));
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(encodeDuplicate(0)));
    const d = fresh();
    d.onEncoderStream(encodeInsertWithLiteralName('a', 'b'));
    expectCode(ENCODER_STREAM_ERROR, () => d.onEncoderStream(encodeDuplicate(1)));
  });

  it('refuses references to evicted entries', () => {
    const d = fresh();
    d.onEncoderStream(encodeInsertWithLiteralName('a', 'x'.repeat(30))); // 63 bytes
    d.onEncoderStream(encodeInsertWithLiteralName('b', 'x'.repeat(30))); // evicts a
    d.onEncoderStream(encodeDuplicate(0)); // evicts the original b
    expectCode(ENCODER_STREAM_ERROR, () => d.onEncoderStream(encodeDuplicate(1)));
  });

  it('refuses bad Huffman and non-UTF-8 names', () => {
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(hex('c0 81 ff'))); // padding of 8 bits
    expectCode(ENCODER_STREAM_ERROR, () => fresh().onEncoderStream(hex('41 ff 00')));
  });

  it('decodes Huffman-encoded inserts', () => {
    const d = new QpackDecoder({ maxTableCapacity: 200, maxBlockedStreams: 0 });
    d.onEncoderStream(encodeSetDynamicTableCapacity(200));
    d.onEncoderStream(encodeInsertWithLiteralName('custom-key', 'custom-value', true));
    d.onEncoderStream(encodeInsertWithNameReference(false, 0, 'no-cache', true));
    expect(d.decode(0, section(2, 2, 6, (w) => [1, 0].forEach((i) => dynIndexed(i)(w))))).toEqual([
      ['custom-key', 'custom-value'],
      ['custom-key', 'no-cache'],
    ]);
  });
});

describe('QPACK decoder: malformed field sections', () => {
  const d = (): QpackDecoder => new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: 200 });

  it('refuses truncated sections', () => {
    const truncated = ['', 'ff', '00', '0000ff', '00005f', '0000510b2f69', '00002f', '000023616263', '0000236162630561'];
    for (const s of truncated) expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex(s)));
  });

  it('refuses static indices beyond the table', () => {
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex('0000 ff24'))); // 63 + 36 = 99
    expect(d().decode(0, hex('0000 ff23'))).toEqual([['x-frame-options', 'sameorigin']]);
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex('0000 5f54 00'))); // name index 99
  });

  it('refuses bad Huffman in a literal', () => {
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex('0000 5181 ff')));
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex('0000 2981 18 00')));
  });

  it('refuses a name that is not UTF-8 but keeps a value that is not', () => {
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex('0000 21 ff 00')));
    expect(d().decode(0, hex('0000 21 61 02 ff 62'))).toEqual([['a', '\ufffdb']]);
  });

  it('keeps a leading byte order mark in values', () => {
    expect(d().decode(0, hex('0000 21 61 03 efbbbf'))).toEqual([['a', '\ufeff']]);
  });

  it('enforces the field section size limit', () => {
    const enc = new QpackEncoder({ huffman: false });
    const ok: FieldLine[] = [['x-a', 'v'.repeat(200 - 32 - 3)]];
    expect(d().decode(0, enc.encode(ok))).toEqual(ok);
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, enc.encode([['x-a', 'v'.repeat(200 - 32 - 2)]])));
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, enc.encode([['x-a', 'v'.repeat(100)], ['x-b', 'v'.repeat(100)]])));
    expectCode(DECOMPRESSION_FAILED, () => d().decode(0, hex('0000' + 'c1'.repeat(7)))); // 7 × 34 bytes
    expect(d().decode(0, hex('0000' + 'c1'.repeat(5)))).toHaveLength(5);
  });
});

describe('QPACK encoder', () => {
  it('produces the bytes of RFC 9204 Appendix B.1 without Huffman', () => {
    const e = new QpackEncoder({ huffman: false });
    expect(toHex(e.encode([[':path', '/index.html']]))).toBe('0000510b2f696e6465782e68746d6c');
  });

  it('uses indexed lines, name references and literal names', () => {
    const e = new QpackEncoder({ huffman: false });
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('0000d1');
    expect(toHex(e.encode([['x-frame-options', 'sameorigin']]))).toBe('0000ff23');
    expect(toHex(e.encode([['user-agent', 'x']]))).toBe('00005f500178');
    expect(toHex(e.encode([['x-y', 'z']]))).toBe('000023782d79017a');
    expect(toHex(e.encode([]))).toBe('0000');
  });

  it('uses Huffman only when shorter', () => {
    const e = new QpackEncoder();
    expect(toHex(e.encode([[':authority', 'www.example.com']]))).toBe('000050' + '8c' + 'f1e3c2e5f23a6ba0ab90f4ff');
    expect(toHex(e.encode([['x', '\u0001']]))).toBe('0000' + '2178' + '0101'); // 7 and 23 bits: no gain
  });

  it('round-trips arbitrary field sections, with and without Huffman', () => {
    const token = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
    const staticLine = fc.constantFrom(...STATIC_TABLE).map(([n, v]): FieldLine => [n, v]);
    const staticName = fc.tuple(fc.constantFrom(...STATIC_TABLE.map(([n]) => n)), fc.string({ unit: 'binary', maxLength: 40 }));
    const pseudo = fc.tuple(fc.constantFrom(':path', ':method', ':x'), fc.string({ unit: 'binary-ascii', maxLength: 40 }));
    const literal = fc.tuple(token, fc.string({ unit: 'binary', maxLength: 60 }));
    const field = fc.oneof(staticLine, staticName, pseudo, literal).map(([n, v]): FieldLine => [n, v]);
    const dec = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: 1 << 20 });
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), fc.boolean(), (fields, huffman) => {
        const bytes = new QpackEncoder({ huffman }).encode(fields);
        expect(dec.decode(0, bytes)).toEqual(fields);
      }),
    );
    expect(dec.takeDecoderInstructions()).toBeUndefined();
  });

  it('accepts Stream Cancellations on the decoder stream, split anywhere', () => {
    const e = new QpackEncoder();
    const bytes = concat(encodeStreamCancellation(4), encodeStreamCancellation(1_000_000), encodeStreamCancellation(63));
    for (const b of bytes) e.onDecoderStream(Uint8Array.of(b));
    e.onDecoderStream(new Uint8Array(0));
  });

  it('refuses Section Acknowledgments and Insert Count Increments', () => {
    expectCode(DECODER_STREAM_ERROR, () => new QpackEncoder().onDecoderStream(encodeSectionAcknowledgment(0)));
    expectCode(DECODER_STREAM_ERROR, () => new QpackEncoder().onDecoderStream(encodeInsertCountIncrement(1)));
    expectCode(DECODER_STREAM_ERROR, () => new QpackEncoder().onDecoderStream(hex('00')));
    const e = new QpackEncoder();
    e.onDecoderStream(hex('ff')); // partial Section Acknowledgment: waits
    expectCode(DECODER_STREAM_ERROR, () => e.onDecoderStream(hex('80 01')));
    expectCode(DECODER_STREAM_ERROR, () => new QpackEncoder().onDecoderStream(hex('7f ffffffffffffffff7f')));
  });
});
