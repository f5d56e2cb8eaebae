/**
 * QPACK on hostile input: whatever arrives in a field section, on the encoder stream or on the
 * decoder stream, the only failure is a QpackError, and each call returns promptly.
 */
import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import {
  encodeDuplicate,
  encodeInsertWithLiteralName,
  encodeInsertWithNameReference,
  encodeSetDynamicTableCapacity,
  QpackDecoder,
  QpackEncoder,
  QpackError,
  type FieldLine,
} from '../../src/http/qpack/index.js';

/** Runs `f`; anything thrown must be a QpackError. Returns whether it threw. */
function onlyQpackErrors(f: () => void): boolean {
  const started = performance.now();
  try {
    f();
    return false;
  } catch (e) {
    if (!(e instanceof QpackError)) throw e;
    return true;
  } finally {
    // Generous: a single call on a few hundred bytes takes microseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  }
}

/** A decoder holding a few dynamic entries (capacity 256, MaxEntries 8). */
function populated(maxBlockedStreams = 2): QpackDecoder {
  const d = new QpackDecoder({ maxTableCapacity: 256, maxBlockedStreams, maxFieldSectionSize: 4096 });
  d.onEncoderStream(encodeSetDynamicTableCapacity(256));
  d.onEncoderStream(encodeInsertWithNameReference(true, 0, 'www.example.com'));
  d.onEncoderStream(encodeInsertWithLiteralName('custom-key', 'custom-value', true));
  d.onEncoderStream(encodeDuplicate(1));
  return d;
}

/** Random chunking of a byte string. */
function chunks(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

const fieldSectionPrefix = fc.constantFrom('0000', '0200', '0300', '0381', '0400', '0480', '0900', '1100', 'ff').map((h) =>
  Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16)),
);
const encoderInstruction = fc.oneof(
  fc.nat(400).map((c) => encodeSetDynamicTableCapacity(c)),
  fc
    .tuple(fc.boolean(), fc.nat(120), fc.string({ maxLength: 40 }), fc.boolean())
    .map(([s, i, v, h]) => encodeInsertWithNameReference(s, i, v, h)),
  fc
    .tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 40 }), fc.boolean())
    .map(([n, v, h]) => encodeInsertWithLiteralName(n, v, h)),
  fc.nat(10).map((i) => encodeDuplicate(i)),
  fc.uint8Array({ minLength: 1, maxLength: 12 }),
);

describe('QPACK fuzz', () => {
  it('decode: arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        onlyQpackErrors(() => {
          const r = populated().decode(0, b);
          expect(r === null || Array.isArray(r)).toBe(true);
        });
      }),
    );
  });

  it('decode: plausible prefixes followed by arbitrary lines', () => {
    fc.assert(
      fc.property(fieldSectionPrefix, fc.uint8Array({ maxLength: 300 }), (prefix, rest) => {
        const b = new Uint8Array(prefix.length + rest.length);
        b.set(prefix);
        b.set(rest, prefix.length);
        const d = populated();
        onlyQpackErrors(() => void d.decode(4, b));
        onlyQpackErrors(() => void d.takeDecoderInstructions());
      }),
    );
  });

  it('decode: mutated and truncated valid sections', () => {
    const line = fc.tuple(fc.stringMatching(/^[a-z-]{1,12}$/), fc.string({ maxLength: 30 })).map(([n, v]): FieldLine => [n, v]);
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (fields, huffman, flips, cut) => {
          const b = new QpackEncoder({ huffman }).encode(fields).slice();
          for (const [at, v] of flips) b[at % b.length] = v;
          onlyQpackErrors(() => void populated().decode(0, b.subarray(0, b.length - (cut % 3))));
        },
      ),
    );
  });

  it('onEncoderStream: arbitrary bytes, split anywhere', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), (b, cuts) => {
        const d = populated();
        for (const c of chunks(b, cuts)) {
          if (onlyQpackErrors(() => void d.onEncoderStream(c))) break;
        }
      }),
    );
  });

  it('onEncoderStream: instruction sequences, then decoding against the result', () => {
    fc.assert(
      fc.property(
        fc.array(encoderInstruction, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fieldSectionPrefix,
        fc.uint8Array({ maxLength: 40 }),
        (instructions, cuts, prefix, rest) => {
          const d = populated(4);
          const all = new Uint8Array(instructions.reduce((n, i) => n + i.length, 0));
          let o = 0;
          for (const i of instructions) {
            all.set(i, o);
            o += i.length;
          }
          for (const c of chunks(all, cuts)) {
            if (onlyQpackErrors(() => void d.onEncoderStream(c))) return;
          }
          const section = new Uint8Array(prefix.length + rest.length);
          section.set(prefix);
          section.set(rest, prefix.length);
          onlyQpackErrors(() => void d.decode(8, section));
          onlyQpackErrors(() => void d.takeDecoderInstructions());
        },
      ),
    );
  });

  it('onDecoderStream: arbitrary bytes, split anywhere', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 8 }), (b, cuts) => {
        const e = new QpackEncoder();
        for (const c of chunks(b, cuts)) {
          if (onlyQpackErrors(() => e.onDecoderStream(c))) break;
        }
      }),
    );
  });

  it('refuses an oversized instruction without buffering it', () => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 });
    d.onEncoderStream(encodeSetDynamicTableCapacity(4096));
    // Insert With Literal Name announcing a 2^40-byte name: refused on the length alone.
    expect(onlyQpackErrors(() => void d.onEncoderStream(Uint8Array.of(0x5f, 0xe1, 0xff, 0xff, 0xff, 0xff, 0x1f)))).toBe(true);
    const e = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 });
    e.onEncoderStream(encodeSetDynamicTableCapacity(4096));
    // A value just within bounds, arriving byte by byte, is buffered until complete.
    const insert = encodeInsertWithNameReference(true, 5, 'c'.repeat(4000));
    for (const b of insert) e.onEncoderStream(Uint8Array.of(b));
    expect(e.insertCount).toBe(1);
  });
});
