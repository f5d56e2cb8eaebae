/**
 * Properties of the fuzzer's parts (src/fuzz): mutators stay within bounds and replay for a seed,
 * the varint writer the mutators use is exact, count buckets are monotone, corpus minimisation
 * keeps every feature; and every target's harness, oracles included, accepts or rejects
 * arbitrary bytes and mutated seeds with nothing but its allowed errors.
 */
import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { Prng } from '../../src/util/prng.js';
import { readVarintAt, varintLength } from '../../src/util/varint.js';
import { encodeVarint, mutate, mutateOnce, MUTATORS } from '../../src/fuzz/mutators.js';
import { countBucket } from '../../src/fuzz/coverage.js';
import { minimizeCorpus, runOnce, type CorpusEntry } from '../../src/fuzz/engine.js';
import { TARGETS } from '../../src/fuzz/targets.js';
import { makeSeeds } from '../../src/fuzz/seeds.js';

describe('mutators', () => {
  it('return a new array no longer than maxLength and leave the parent intact', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 512 }), fc.nat(), (data, other, max, seed) => {
        const before = data.slice();
        const prng = new Prng(seed);
        for (const name of MUTATORS) {
          const out = mutateOnce(prng, name, data, other, Math.max(max, data.length));
          expect(out).not.toBe(data);
          expect(out.length).toBeLessThanOrEqual(Math.max(max, data.length));
        }
        const out = mutate(prng, data, other, max);
        expect(out.length).toBeLessThanOrEqual(Math.max(max, data.length));
        expect(data).toEqual(before);
      }),
    );
  });

  it('replay for a seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (data, seed) => {
        const a = new Prng(seed);
        const b = new Prng(seed);
        for (let i = 0; i < 5; i++) expect(mutate(a, data, data, 1024)).toEqual(mutate(b, data, data, 1024));
      }),
    );
  });

  it('write varints that decode to their value, in the requested length or the shortest that holds it (RFC 9000 §16)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 16383 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), fc.constantFrom(1, 2, 4, 8), (v, len) => {
        const b = encodeVarint(v, len as 1 | 2 | 4 | 8);
        expect(b.length).toBe(Math.max(len, varintLength(v)));
        expect(readVarintAt(b, 0)).toBe(v);
      }),
    );
  });
});

describe('coverage features', () => {
  it('count buckets are AFL classes, monotone in the count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(countBucket(lo)).toBeLessThanOrEqual(countBucket(hi));
        expect(countBucket(hi)).toBeGreaterThanOrEqual(0);
        expect(countBucket(hi)).toBeLessThanOrEqual(7);
      }),
    );
    expect([1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 127, 128].map(countBucket)).toEqual([0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7]);
  });

  it('corpus minimisation keeps every feature with a subset of the entries', () => {
    const entry = fc.record({ data: fc.uint8Array({ maxLength: 20 }), features: fc.uniqueArray(fc.nat(50), { maxLength: 10 }), seed: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (entries: CorpusEntry[]) => {
        const kept = minimizeCorpus(entries);
        const all = new Set(entries.flatMap((e) => e.features));
        expect(new Set(kept.flatMap((e) => e.features))).toEqual(all);
        for (const k of kept) expect(entries).toContain(k);
      }),
    );
  });
});

describe('targets: only allowed errors, oracles included', () => {
  const seeds = makeSeeds();
  for (const t of TARGETS) {
    it(`${t.name}: arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (data) => {
          const r = runOnce(t, data);
          expect(['ok', 'rejected'], String(r.error)).toContain(r.outcome);
        }),
      );
    });

    it(`${t.name}: mutated seed inputs`, () => {
      const inputs = seeds[t.name]!;
      fc.assert(
        fc.property(fc.nat(inputs.length - 1), fc.nat(inputs.length - 1), fc.nat(), (i, j, seed) => {
          const data = mutate(new Prng(seed), inputs[i]!, inputs[j]!, t.maxLength ?? 4096);
          const r = runOnce(t, data);
          expect(['ok', 'rejected'], `${String(r.error)} on ${Buffer.from(data).toString('hex')}`).toContain(r.outcome);
        }),
      );
    });
  }
});
