import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FecReceiver,
  FecScheme,
  FecSender,
  adaptivePolicy,
  createFecPolicy,
  fixedPolicy,
  lossBeyond,
  OFF_POLICY,
  parseRatio,
  registerFecPolicy,
  type FecSchemeId,
  type RepairSymbol,
} from '../../src/fec/index.js';
import { TransportError } from '../../src/util/transport-error.js';

/** Payloads of varied lengths (packets are not all full). */
function payloads(n: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const len = 20 + (x % 1200);
    const p = new Uint8Array(len);
    for (let j = 0; j < len; j++) p[j] = (x >>> (j % 24)) ^ j ^ i;
    out.push(p);
  }
  return out;
}

/** Sends `data` through a sender; returns the IDs given and the repairs made, in order. */
function encode(scheme: FecSchemeId, k: number, r: number, data: Uint8Array[], flushEvery = 0): { ids: number[]; repairs: RepairSymbol[] } {
  const s = new FecSender(scheme, fixedPolicy(k, r));
  const ids: number[] = [];
  const repairs: RepairSymbol[] = [];
  data.forEach((p, i) => {
    ids.push(s.nextSourceId);
    s.addSource(p, 0, p.length, 0);
    if (flushEvery > 0 && (i + 1) % flushEvery === 0) s.flush(0);
    repairs.push(...s.queue.splice(0));
  });
  s.flush(0);
  repairs.push(...s.queue.splice(0));
  return { ids, repairs };
}

/** The payload, as recovered: the original followed by zero padding only. */
function matches(original: Uint8Array, recovered: Uint8Array): boolean {
  if (recovered.length < original.length) return false;
  for (let i = 0; i < original.length; i++) if (recovered[i] !== original[i]) return false;
  for (let i = original.length; i < recovered.length; i++) if (recovered[i] !== 0) return false;
  return true;
}

describe('redundancy policies (specs/fec.md)', () => {
  it('parses k:r and gives a fixed share for partial blocks', () => {
    expect(parseRatio('10:2')).toEqual([10, 2]);
    expect(parseRatio(' 4 : 1 ')).toEqual([4, 1]);
    for (const bad of ['10', '10:', 'a:b', '0:1', '250:10']) expect(() => parseRatio(bad), bad).toThrow(RangeError);
    const p = fixedPolicy(10, 2);
    expect([p.repairs(10, 0), p.repairs(5, 0), p.repairs(1, 0), p.repairs(6, 0)]).toEqual([2, 1, 1, 2]);
    expect(fixedPolicy(10, 0).repairs(10, 0)).toBe(0);
  });

  it('adaptive: more repairs as the loss rate grows, none without loss', () => {
    const p = adaptivePolicy({ k: 10, target: 0.001, maxRepair: 10 });
    const r = [0, 0.01, 0.03, 0.1, 0.3].map((l) => p.repairs(10, l));
    expect(r[0]).toBe(0);
    for (let i = 1; i < r.length; i++) expect(r[i]!).toBeGreaterThanOrEqual(r[i - 1]!);
    expect(r[4]).toBe(10);
    // The chosen r meets the target: P(more than r of 10 + r lost) ≤ 0.001.
    expect(lossBeyond(10 + r[2]!, r[2]!, 0.03)).toBeLessThanOrEqual(0.001);
    expect(lossBeyond(10 + r[2]! - 1, r[2]! - 1, 0.03)).toBeGreaterThan(0.001);
  });

  it('a registry by name, with user policies as peers of the built-in ones', () => {
    expect(createFecPolicy('fixed', { ratio: '4:1' }).repairs(4, 0)).toBe(1);
    expect(createFecPolicy('off')).toBe(OFF_POLICY);
    registerFecPolicy('every-other', () => ({ name: 'every-other', k: 2, repairs: () => 1 }));
    expect(createFecPolicy('every-other').repairs(2, 0)).toBe(1);
    expect(() => createFecPolicy('nope')).toThrow(/unknown FEC policy/);
  });
});

describe('FEC sender and receiver sessions', () => {
  for (const [name, scheme, k, r] of [
    ['RS 10:2', FecScheme.REED_SOLOMON, 10, 2],
    ['RS 32:8', FecScheme.REED_SOLOMON, 32, 8],
    ['XOR 8:1', FecScheme.XOR, 8, 1],
  ] as const) {
    it(`${name}: any ≤ r lost sources of a block come back byte for byte (property)`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 * k }), fc.integer({ min: 0, max: 2 ** 31 }), fc.array(fc.nat(), { maxLength: 3 * r }), (n, seed, picks) => {
          const data = payloads(n, seed);
          const { ids, repairs } = encode(scheme, k, r, data);
          // Lose as many sources per block (block = floor(index / k)) as it has repairs: r for a
          // full block, ⌈n·r/k⌉ for the last one, closed early.
          const repairsOf = new Map<number, number>();
          for (const rep of repairs) repairsOf.set(rep.fssEsi, (repairsOf.get(rep.fssEsi) ?? 0) + 1);
          const lost = new Set<number>();
          const perBlock = new Map<number, number>();
          for (const p of picks) {
            const i = p % n;
            const b = Math.floor(i / k);
            if ((perBlock.get(b) ?? 0) >= (repairsOf.get(b) ?? 0) || lost.has(i)) continue;
            perBlock.set(b, (perBlock.get(b) ?? 0) + 1);
            lost.add(i);
          }
          const rx = new FecReceiver(scheme);
          const got = new Map<number, Uint8Array>();
          data.forEach((p, i) => {
            if (!lost.has(i)) for (const x of rx.onSource(ids[i]!, p, 0, p.length)) got.set(x.id, x.payload);
          });
          for (const rep of repairs) for (const x of rx.onRepair(rep.fssEsi, rep.repairPayloadId, rep.repairKey, rep.repairSymbol)) got.set(x.id, x.payload);
          expect(got.size).toBe(lost.size);
          for (const i of lost) {
            expect(matches(data[i]!, got.get(ids[i]!)!)).toBe(true);
            expect(rx.wasRecovered(ids[i]!)).toBe(true);
          }
        }),
        { numRuns: 60, seed: 42 },
      );
    });
  }

  it('more erasures than a block can fix are left missing, never mis-decoded', () => {
    const data = payloads(10, 7);
    const { ids, repairs } = encode(FecScheme.REED_SOLOMON, 10, 2, data);
    const rx = new FecReceiver(FecScheme.REED_SOLOMON);
    const out: number[] = [];
    data.forEach((p, i) => {
      if (i > 2) out.push(...rx.onSource(ids[i]!, p, 0, p.length).map((x) => x.id));
    });
    for (const rep of repairs) out.push(...rx.onRepair(rep.fssEsi, rep.repairPayloadId, rep.repairKey, rep.repairSymbol).map((x) => x.id));
    expect(out).toEqual([]);
    expect(rx.recovered).toBe(0);
  });

  it('blocks closed early carry their size in the repair key; a late source completes nothing twice', () => {
    const data = payloads(7, 3);
    const { ids, repairs } = encode(FecScheme.REED_SOLOMON, 10, 2, data, 3);
    // Blocks of 3, 3 and 1 sources, ⌈n·2/10⌉ = 1 repair each.
    expect(repairs.map((x) => [x.fssEsi, x.repairKey.length, x.partial])).toEqual([
      [0, 3, true],
      [1, 3, true],
      [2, 1, true],
    ]);
    const rx = new FecReceiver(FecScheme.REED_SOLOMON);
    rx.onSource(ids[0]!, data[0]!, 0, data[0]!.length);
    rx.onSource(ids[2]!, data[2]!, 0, data[2]!.length);
    const [rec] = rx.onRepair(repairs[0]!.fssEsi, 0, repairs[0]!.repairKey, repairs[0]!.repairSymbol);
    expect(matches(data[1]!, rec!.payload)).toBe(true);
    expect(rx.onSource(ids[1]!, data[1]!, 0, data[1]!.length)).toEqual([]);
  });

  it('RLC: repairs spread r per k over a sliding window recover a random loss pattern within its rank', () => {
    for (const scheme of [FecScheme.RLC_GF256, FecScheme.RLC_GF2]) {
      const data = payloads(200, 11);
      const s = new FecSender(scheme, fixedPolicy(10, 3));
      const rx = new FecReceiver(scheme);
      const got = new Map<number, Uint8Array>();
      let lostCount = 0;
      data.forEach((p, i) => {
        const id = s.nextSourceId;
        expect(id).toBe(i);
        s.addSource(p, 0, p.length, 0);
        // Every 13th source is lost.
        if (i % 13 === 5) lostCount++;
        else for (const x of rx.onSource(id, p, 0, p.length)) got.set(x.id, x.payload);
        for (const rep of s.queue.splice(0)) {
          expect(rep.repairKey.length).toBe(4);
          for (const x of rx.onRepair(rep.fssEsi, rep.repairPayloadId, rep.repairKey, rep.repairSymbol)) got.set(x.id, x.payload);
        }
      });
      expect(s.repairsMade).toBe(60);
      // GF(2) with dense coefficients is a plain XOR of the window: fewer independent equations.
      expect(got.size).toBeGreaterThanOrEqual(scheme === FecScheme.RLC_GF256 ? lostCount : Math.floor(lostCount / 2));
      for (const [id, payload] of got) expect(matches(data[id]!, payload)).toBe(true);
    }
  });

  it('rejects malformed input with TransportError only', () => {
    const rx = new FecReceiver(FecScheme.REED_SOLOMON);
    const bad: Array<() => unknown> = [
      () => rx.onSource(2 ** 33, new Uint8Array(10), 0, 10),
      () => rx.onSource((5 << 8) | 60, new Uint8Array(10), 0, 10), // index beyond 48 per block
      () => rx.onRepair(0, 0, new Uint8Array(60), new Uint8Array(10)), // k beyond 48
      () => rx.onRepair(2 ** 25, 0, new Uint8Array(4), new Uint8Array(10)),
      () => rx.onRepair(1, 0, new Uint8Array(4), new Uint8Array(0)),
    ];
    for (const f of bad) expect(f).toThrow(TransportError);
    const xor = new FecReceiver(FecScheme.XOR);
    expect(() => xor.onRepair(0, 0, new Uint8Array([1, 2]), new Uint8Array(4))).toThrow(TransportError);
    // XQUIC's XOR repair with an empty key (block size implicit) is ignored, not an error.
    expect(xor.onRepair(0, 0, new Uint8Array(0), new Uint8Array(4))).toEqual([]);
    // A source index beyond the block size a repair announced.
    const rs = new FecReceiver(FecScheme.REED_SOLOMON);
    rs.onSource(4, new Uint8Array(8), 0, 8);
    expect(() => rs.onRepair(0, 0, new Uint8Array(3), new Uint8Array(8))).toThrow(TransportError);
    fc.assert(
      fc.property(fc.nat(2 ** 32 - 1), fc.nat(300), fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ maxLength: 200 }), (fss, id, key, sym) => {
        for (const scheme of [FecScheme.REED_SOLOMON, FecScheme.XOR, FecScheme.RLC_GF256]) {
          try {
            new FecReceiver(scheme).onRepair(fss, id, key, sym);
          } catch (e) {
            expect(e).toBeInstanceOf(TransportError);
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('holds a bounded number of blocks', () => {
    const rx = new FecReceiver(FecScheme.REED_SOLOMON, undefined, 16);
    for (let b = 0; b < 1000; b++) rx.onSource(b << 8, new Uint8Array(100), 0, 100);
    expect((rx as unknown as { blocks: Map<number, unknown> }).blocks.size).toBeLessThanOrEqual(16);
    // A block far behind is ignored.
    expect(rx.onRepair(3, 0, new Uint8Array(1).fill(1), new Uint8Array(100))).toEqual([]);
  });
});
