import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { ByteReader, ByteWriter, concatBytes, equalBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';

describe('ByteReader / ByteWriter', () => {
  it('reads back what was written', () => {
    const w = ByteWriter.alloc(32);
    w.u8(0xab).u16(0x1234).u24(0x56789a).u32(0xdeadbeef).varint(300).bytes(fromHex('0102')).zeros(2);
    const r = new ByteReader(w.written());
    expect(r.u8()).toBe(0xab);
    expect(r.u16()).toBe(0x1234);
    expect(r.u24()).toBe(0x56789a);
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.varint()).toBe(300);
    expect(toHex(r.bytes(2))).toBe('0102');
    expect(toHex(r.rest())).toBe('0000');
    expect(r.isEmpty).toBe(true);
  });

  it('never reads past its end, and only throws FRAME_ENCODING_ERROR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 10 }), (buf, ops) => {
        const r = new ByteReader(buf);
        try {
          for (const op of ops) {
            switch (op) {
              case 0: r.u8(); break;
              case 1: r.u16(); break;
              case 2: r.u24(); break;
              case 3: r.u32(); break;
              case 4: r.varint(); break;
              case 5: r.bytes(r.remaining + 1); break;
              case 6: r.sub(3); break;
              default: r.skip(-1);
            }
            expect(r.offset).toBeLessThanOrEqual(buf.length);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
          expect((e as TransportError).code).toBe(ErrorCode.FRAME_ENCODING_ERROR);
        }
      }),
    );
  });

  it('respects a sub-range', () => {
    const r = new ByteReader(fromHex('00010203040506'), 2, 4);
    expect(r.remaining).toBe(2);
    const s = r.sub(1);
    expect(s.u8()).toBe(2);
    expect(() => s.u8()).toThrow(TransportError);
    expect(r.u8()).toBe(3);
    expect(() => r.u8()).toThrow(TransportError);
  });

  it('writer refuses to overflow its buffer', () => {
    const w = new ByteWriter(new Uint8Array(4), 0, 3);
    w.u16(1);
    expect(() => w.u16(1)).toThrow(RangeError);
  });

  it('hex helpers', () => {
    expect(toHex(fromHex('00 ff 10'))).toBe('00ff10');
    expect(() => fromHex('abc')).toThrow(RangeError);
    expect(equalBytes(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(equalBytes(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(toHex(concatBytes(fromHex('01'), fromHex('0203')))).toBe('010203');
  });
});
