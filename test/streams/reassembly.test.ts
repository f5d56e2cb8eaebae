/** streams/reassembly.ts: ordered reassembly with bounded memory (RFC 9000 §2.2, §7.5). */
import { describe, expect, it } from 'vitest';
import { Reassembler } from '../../src/streams/reassembly.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { fc } from '../support/fc.js';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function readAll(r: Reassembler, max?: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let d = r.read(max); d !== undefined; d = r.read(max)) parts.push(d);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('Reassembler', () => {
  it('delivers in-order data as views of its own copy', () => {
    const r = new Reassembler({ maxBuffered: 1000, errorCode: ErrorCode.CRYPTO_BUFFER_EXCEEDED });
    const src = bytes(100);
    r.insert(0, src, 6);
    src.fill(0); // the reassembler copied: mutating the packet buffer changes nothing
    expect(r.readable).toBe(100);
    const d = r.read(40)!;
    expect(d).toEqual(bytes(100).subarray(0, 40));
    expect(r.readOffset).toBe(40);
    expect(r.read()!).toEqual(bytes(100).subarray(40));
    expect(r.read()).toBeUndefined();
    expect(r.buffered).toBe(0);
  });

  it('holds out-of-order data until the gap is filled, then reads across chunks (one copy)', () => {
    const r = new Reassembler({ maxBuffered: 1000, errorCode: 0 });
    const all = bytes(30);
    r.insert(20, all.subarray(20), 8);
    r.insert(10, all.subarray(10, 20), 8);
    expect(r.readable).toBe(0);
    expect(r.buffered).toBe(20);
    r.insert(0, all.subarray(0, 10), 8);
    expect(r.readable).toBe(30);
    expect(r.read()).toEqual(all);
  });

  it('ignores duplicates and stores only the new parts of overlapping frames', () => {
    const r = new Reassembler({ maxBuffered: 1000, errorCode: 0 });
    const all = bytes(50);
    r.insert(10, all.subarray(10, 20), 8);
    r.insert(30, all.subarray(30, 40), 8);
    r.insert(5, all.subarray(5, 45), 8); // overlaps both
    expect(r.buffered).toBe(40);
    r.insert(10, all.subarray(10, 20), 8);
    expect(r.buffered).toBe(40);
    r.insert(0, all.subarray(0, 50), 8);
    expect(r.buffered).toBe(50);
    expect(readAll(r)).toEqual(all);
    r.insert(0, all.subarray(0, 50), 8); // already read
    expect(r.buffered).toBe(0);
    expect(r.readable).toBe(0);
  });

  it('throws the configured error when data lies beyond readOffset + maxBuffered', () => {
    const r = new Reassembler({ maxBuffered: 100, errorCode: ErrorCode.CRYPTO_BUFFER_EXCEEDED });
    r.insert(0, bytes(100), 6);
    expect(() => r.insert(100, bytes(1), 6)).toThrow(TransportError);
    try {
      r.insert(50, bytes(51), 6);
    } catch (e) {
      expect((e as TransportError).code).toBe(ErrorCode.CRYPTO_BUFFER_EXCEEDED);
      expect((e as TransportError).frameType).toBe(6);
    }
    r.read(50);
    r.insert(100, bytes(50), 6); // the window slides with the read offset
    expect(r.buffered).toBe(100);
  });

  it('bounds fragmentation: merges contiguous runs, rejects pathological gaps', () => {
    const r = new Reassembler({ maxBuffered: 100_000, errorCode: ErrorCode.FLOW_CONTROL_ERROR, maxChunks: 64 });
    // 1-byte in-order chunks nobody reads: merged, no error.
    for (let i = 0; i < 1000; i++) r.insert(i, bytes(1, i), 8);
    expect(r.chunkCount).toBeLessThanOrEqual(64);
    expect(r.readable).toBe(1000);
    // 1-byte chunks with 1-byte gaps: cannot be merged.
    expect(() => {
      for (let i = 0; i < 200; i++) r.insert(2000 + 2 * i, bytes(1), 8);
    }).toThrow(TransportError);
  });

  it('clear drops everything but keeps the read offset', () => {
    const r = new Reassembler({ maxBuffered: 100, errorCode: 0 });
    r.insert(0, bytes(10), 8);
    r.read(5);
    r.insert(20, bytes(10), 8);
    r.clear();
    expect(r.buffered).toBe(0);
    expect(r.readable).toBe(0);
    expect(r.readOffset).toBe(5);
  });

  it('property: random chunking, reordering and duplication reconstruct the bytes; memory stays bounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (len, cuts, dups, readMax, shuffleSeed) => {
          const data = bytes(len, len);
          // Chunk the stream into frames covering every byte at least once.
          const frames: Array<[number, number]> = [];
          let off = 0;
          for (let i = 0; off < len; i++) {
            const n = Math.min(cuts[i % cuts.length]![1], len - off);
            frames.push([off, n]);
            off += n;
          }
          for (const d of dups) {
            const [o, n] = frames[d % frames.length]!;
            const s = o + (d % n);
            frames.push([s, Math.min(n, len - s)]);
          }
          // Deterministic shuffle.
          let x = shuffleSeed | 1;
          for (let i = frames.length - 1; i > 0; i--) {
            x = (x * 1103515245 + 12345) & 0x7fffffff;
            const j = x % (i + 1);
            [frames[i], frames[j]] = [frames[j]!, frames[i]!];
          }
          const r = new Reassembler({ maxBuffered: len, errorCode: 0, maxChunks: 100_000 });
          const out: number[] = [];
          for (const [o, n] of frames) {
            r.insert(o, data.subarray(o, o + n), 8);
            expect(r.buffered).toBeLessThanOrEqual(len - r.readOffset);
            for (let d = r.read(readMax); d !== undefined; d = r.read(readMax)) {
              expect(d.length).toBeLessThanOrEqual(readMax);
              out.push(...d);
            }
          }
          expect(Uint8Array.from(out)).toEqual(data);
          expect(r.buffered).toBe(0);
        },
      ),
    );
  });
});
