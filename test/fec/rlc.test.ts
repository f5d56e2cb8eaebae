import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { RlcEncoder, generateCodingCoefs, type RlcFieldSize } from '../../src/fec/rlc.js';
import { RlcDecoder, type RlcRecovered } from '../../src/fec/rlc-decoder.js';
import { rref } from '../../src/fec/gf-matrix.js';
import { gfMul } from '../../src/fec/gf256.js';
import { TransportError } from '../../src/util/transport-error.js';

const sym = (esi: number, len: number): Uint8Array => Uint8Array.from({ length: len }, (_, b) => (esi * 131 + b * 7 + 1) & 0xff);

/** Checks that a recovered symbol is the original, zero-padded at the tail. */
function expectSame(rec: RlcRecovered, original: Uint8Array): void {
  expect(rec.data.length).toBeGreaterThanOrEqual(original.length);
  expect(rec.data.subarray(0, original.length)).toEqual(original);
  expect(rec.data.subarray(original.length).every((b) => b === 0)).toBe(true);
}

interface Sent {
  kind: 'src' | 'rep';
  esi: number;
  data: Uint8Array;
  fss: number;
  nss: number;
  key: number;
  dt: number;
}

/** Runs a sender: n sources, a repair after every `every` sources over the last `nss` (≤ window). */
function send(n: number, lens: number[], every: number, maxNss: number, dt: number, m: RlcFieldSize, firstEsi = 0): Sent[] {
  const enc = new RlcEncoder({ maxWindow: maxNss, m, firstEsi });
  const out: Sent[] = [];
  let key = 0;
  for (let i = 0; i < n; i++) {
    const esi = (firstEsi + i) >>> 0;
    const data = sym(esi, lens[i % lens.length]!);
    expect(enc.add(data)).toBe(esi);
    out.push({ kind: 'src', esi, data, fss: 0, nss: 0, key: 0, dt: 0 });
    if ((i + 1) % every === 0) {
      const r = enc.repair(key, dt);
      out.push({ kind: 'rep', esi: 0, data: r.data, fss: r.fssEsi, nss: r.nss, key, dt });
      key = (key + 1) & 0xffff;
    }
  }
  return out;
}

/** Offline oracle: the lost ESIs that the received equations determine (RREF rows with one non-zero). */
function oracle(sent: Sent[], lostEsis: number[], received: Sent[], m: RlcFieldSize): Set<number> {
  const col = new Map(lostEsis.map((e, i) => [e, i]));
  const L = lostEsis.length;
  const rows: number[][] = [];
  for (const r of received) {
    if (r.kind !== 'rep') continue;
    const cc = new Uint8Array(r.nss);
    generateCodingCoefs(r.key, cc, r.nss, r.dt, m);
    const row = new Array<number>(L).fill(0);
    for (let i = 0; i < r.nss; i++) {
      const c = col.get((r.fss + i) >>> 0);
      if (c !== undefined) row[c] = cc[i]!;
    }
    rows.push(row);
  }
  if (L === 0 || rows.length === 0) return new Set();
  const a = Uint8Array.from(rows.flat());
  const pivots = rref(a, rows.length, L, new Uint8Array(rows.length), 1);
  const out = new Set<number>();
  pivots.forEach((p, i) => {
    let nz = 0;
    for (let j = 0; j < L; j++) if (a[i * L + j] !== 0) nz++;
    if (nz === 1) out.add(lostEsis[p]!);
  });
  void sent;
  return out;
}

function deliver(dec: RlcDecoder, s: Sent): readonly RlcRecovered[] {
  return s.kind === 'src' ? dec.addSource(s.esi, s.data) : dec.addRepair(s.fss, s.nss, s.key, s.dt, s.data);
}

describe('RLC sliding window (RFC 8681, schemes 10 and 9)', () => {
  it('a repair symbol is Σ cc[i] · source(FSS_ESI + i) with RFC 8681 §3.6 coefficients', () => {
    const enc = new RlcEncoder({ maxWindow: 4 });
    const src = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5), Uint8Array.of(6)];
    src.forEach((s) => enc.add(s));
    const r = enc.repair(1, 15);
    expect(r.fssEsi).toBe(0);
    expect(r.nss).toBe(3);
    // key 1, DT 15: coefficients 37, 225, 177 (see tinymt32.test.ts).
    const want = [0, 1, 2].map((b) => gfMul(37, src[0]![b] ?? 0) ^ gfMul(225, src[1]![b] ?? 0) ^ gfMul(177, src[2]![b] ?? 0));
    expect(Array.from(r.data)).toEqual(want);
    // The window slides: after 2 more sources a window of 4 starts at ESI 1.
    enc.add(Uint8Array.of(7));
    enc.add(Uint8Array.of(8));
    expect(enc.windowSize).toBe(4);
    expect(enc.windowStart()).toBe(1);
    const out = new Uint8Array(10);
    expect(enc.repairInto(out, 3, 9, 7, 2)).toBe(1);
    expect(() => enc.repair(1, 15, 5)).toThrow(RangeError);
  });

  it('recovers exactly what the rank of the received equations allows, in any arrival order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(15, 15, 10, 4),
        fc.constantFrom<RlcFieldSize>(8, 8, 8, 1),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.boolean(),
        (n, lens, every, dt, m, lossBits, shuffleSeed, wrap) => {
          const firstEsi = wrap ? 2 ** 32 - 7 : 0; // exercise 32-bit ESI wrap-around
          const sent = send(n, lens, every, 64, dt, m, firstEsi);
          const received: Sent[] = [];
          const lost: number[] = [];
          sent.forEach((s, i) => {
            const drop = lossBits[i % lossBits.length]! && i % 3 !== 0; // lose about a third
            if (!drop) received.push(s);
            else if (s.kind === 'src') lost.push(s.esi);
          });
          // Deterministic shuffle of the arrival order.
          let x = shuffleSeed >>> 0 || 1;
          for (let i = received.length - 1; i > 0; i--) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            const j = (x >>> 0) % (i + 1);
            [received[i], received[j]] = [received[j]!, received[i]!];
          }
          const dec = new RlcDecoder({ m, limits: { maxWindow: 64 } });
          const got = new Map<number, RlcRecovered>();
          for (const s of received) for (const r of deliver(dec, s)) {
            expect(got.has(r.esi)).toBe(false);
            got.set(r.esi, r);
          }
          const want = oracle(sent, lost, received, m);
          // Reordering may let a repair rebuild a symbol that arrives later anyway: count only the lost ones.
          expect(new Set([...got.keys()].filter((e) => lost.includes(e)))).toEqual(want);
          const bySrc = new Map(sent.filter((s) => s.kind === 'src').map((s) => [s.esi, s.data]));
          for (const [esi, r] of got) expectSame(r, bySrc.get(esi)!);
          for (const esi of lost) expect(dec.has(esi)).toBe(want.has(esi));
        },
      ),
      { seed: 0xfec5, numRuns: 250 },
    );
  });

  it('a long in-order flow through a sliding window never yields wrong bytes and recovers isolated losses', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(99), { minLength: 300, maxLength: 300 }), fc.integer({ min: 8, max: 32 }), (loss, window) => {
        const sent = send(300, [1200, 300, 45, 1000], 4, window, 15, 8);
        const dec = new RlcDecoder({ limits: { maxWindow: window, maxEquations: 16 } });
        const bySrc = new Map(sent.filter((s) => s.kind === 'src').map((s) => [s.esi, s.data]));
        let recovered = 0;
        let lostCount = 0;
        sent.forEach((s, i) => {
          if (loss[i % loss.length]! < 10) {
            if (s.kind === 'src') lostCount++;
            return;
          }
          for (const r of deliver(dec, s)) {
            expectSame(r, bySrc.get(r.esi)!);
            recovered++;
          }
        });
        expect(recovered).toBeLessThanOrEqual(lostCount);
        expect(dec.pendingEquations).toBeLessThanOrEqual(16);
      }),
      { seed: 0xfec6, numRuns: 20 },
    );
  });

  it('one loss per window of 4 with one repair per 4 sources: everything comes back', () => {
    const sent = send(200, [1200, 700], 4, 4, 15, 8);
    const dec = new RlcDecoder({ limits: { maxWindow: 16 } });
    const lostEsis: number[] = [];
    let got = 0;
    sent.forEach((s) => {
      if (s.kind === 'src' && s.esi % 4 === 2) {
        lostEsis.push(s.esi);
        return;
      }
      got += deliver(dec, s).length;
    });
    expect(got).toBe(lostEsis.length);
    expect(dec.missingIn(184, 16)).toEqual([]);
  });

  it('symbols and equations that slide out are forgotten; stale repairs are ignored', () => {
    const sent = send(20, [10], 20, 20, 15, 8);
    const rep = sent.find((s) => s.kind === 'rep')!;
    const dec = new RlcDecoder({ limits: { maxWindow: 8 } });
    for (const s of sent) if (s.kind === 'src' && s.esi !== 3) dec.addSource(s.esi, s.data);
    expect(dec.windowStart).toBe(12);
    expect(dec.has(3)).toBe(false);
    expect(() => dec.addRepair(rep.fss, rep.nss, rep.key, rep.dt, rep.data)).toThrow(TransportError); // NSS 20 > window 8
    const dec2 = new RlcDecoder({ limits: { maxWindow: 32 } });
    dec2.addRepair(rep.fss, rep.nss, rep.key, rep.dt, rep.data); // nothing known yet: pending
    expect(dec2.pendingEquations).toBe(1);
    dec2.addSource(100, Uint8Array.of(1)); // jumps far ahead: everything forgotten
    expect(dec2.pendingEquations).toBe(0);
    expect(dec2.addRepair(rep.fss, rep.nss, rep.key, rep.dt, rep.data)).toEqual([]);
  });

  it('duplicates and redundant repairs change nothing', () => {
    const sent = send(6, [5], 3, 6, 15, 8);
    const dec = new RlcDecoder();
    for (const s of sent) expect(deliver(dec, s)).toEqual([]);
    for (const s of sent) expect(deliver(dec, s)).toEqual([]);
    expect(dec.pendingEquations).toBe(0);
  });

  it('malformed fields throw TransportError only', () => {
    const dec = new RlcDecoder({ limits: { maxSymbolLength: 100 } });
    const d = new Uint8Array(10);
    expect(() => dec.addRepair(0, 0, 1, 15, d)).toThrow(TransportError);
    expect(() => dec.addRepair(0, 300, 1, 15, d)).toThrow(TransportError);
    expect(() => dec.addRepair(0, 4, 1, 16, d)).toThrow(TransportError);
    expect(() => dec.addRepair(0, 4, 0x10000, 1, d)).toThrow(TransportError);
    expect(() => dec.addRepair(2 ** 32, 4, 1, 1, d)).toThrow(TransportError);
    expect(() => dec.addRepair(0, 4, 1, 1, new Uint8Array(0))).toThrow(TransportError);
    expect(() => dec.addRepair(0, 4, 1, 1, new Uint8Array(101))).toThrow(TransportError);
    expect(() => dec.addSource(0, new Uint8Array(101))).toThrow(TransportError);
    expect(() => dec.addSource(-1, d)).toThrow(TransportError);
    // A known source longer than a repair covering it, and the reverse order.
    dec.addSource(0, new Uint8Array(20).fill(1));
    expect(() => dec.addRepair(0, 2, 1, 15, d)).toThrow(TransportError);
    const dec2 = new RlcDecoder();
    dec2.addRepair(0, 3, 1, 15, d);
    expect(() => dec2.addSource(1, new Uint8Array(20))).toThrow(TransportError);
  });

  it('random frames from the network: TransportError or a result, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ esi: fc.integer({ min: -1, max: 70 }), data: fc.uint8Array({ maxLength: 40 }) }),
            fc.record({ fss: fc.integer({ min: 0, max: 70 }), nss: fc.integer({ min: 0, max: 40 }), key: fc.integer({ min: 0, max: 0xffff }), dt: fc.integer({ min: 0, max: 16 }), data: fc.uint8Array({ maxLength: 40 }) }),
          ),
          { maxLength: 60 },
        ),
        (frames) => {
          const dec = new RlcDecoder({ limits: { maxWindow: 32, maxEquations: 8, maxSymbolLength: 32 } });
          for (const f of frames) {
            try {
              if ('esi' in f) dec.addSource(f.esi, f.data);
              else dec.addRepair(f.fss, f.nss, f.key, f.dt, f.data);
            } catch (e) {
              expect(e).toBeInstanceOf(TransportError);
            }
            expect(dec.pendingEquations).toBeLessThanOrEqual(8);
          }
        },
      ),
      { seed: 0xfec7, numRuns: 200 },
    );
  });
});
