/**
 * Random send / ACK / timeout / discard sequences (fixed seed, test/support/fc.ts): every packet
 * comes back exactly once (acked, lost or discarded), bytes in flight equal the sizes of the
 * in-flight packets not yet returned and never go negative, the ack-eliciting count matches, and
 * ACKs of skipped numbers are rejected without changing anything.
 */
import { describe, expect, it } from 'vitest';
import { fc } from '../support/fc.js';
import { Cubic } from '../../src/recovery/cc/cubic.js';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import type { SentPacket, SpaceId } from '../../src/recovery/loss.js';
import { TransportError } from '../../src/util/transport-error.js';
import { MDS, MS, setup } from './helpers.js';

type Op =
  | { kind: 'send'; space: SpaceId; size: number; ackEliciting: boolean; inFlight: boolean; skip: boolean; dt: number }
  | { kind: 'ack'; space: SpaceId; picks: number[]; ackDelay: number; ce: boolean; dt: number }
  | { kind: 'badAck'; space: SpaceId; pick: number }
  | { kind: 'timeout'; dt: number }
  | { kind: 'discard'; space: SpaceId }
  | { kind: 'flags'; confirmed: boolean; appLimited: boolean; amp: boolean };

const space = fc.constantFrom<SpaceId>(0, 1, 2, 2, 2);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), space, size: fc.integer({ min: 20, max: MDS }), ackEliciting: fc.boolean(), inFlight: fc.boolean(), skip: fc.integer({ min: 0, max: 9 }).map((x) => x === 0), dt: fc.integer({ min: 0, max: 20 * MS }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ack' as const), space, picks: fc.array(fc.nat(), { maxLength: 12 }), ackDelay: fc.integer({ min: 0, max: 50 * MS }), ce: fc.boolean(), dt: fc.integer({ min: 0, max: 100 * MS }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('badAck' as const), space, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('timeout' as const), dt: fc.integer({ min: 0, max: 3000 * MS }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('discard' as const), space: fc.constantFrom<SpaceId>(0, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flags' as const), confirmed: fc.boolean(), appLimited: fc.boolean(), amp: fc.boolean() }) },
);

describe('LossRecovery properties', () => {
  it('keeps bytes in flight equal to the in-flight packets not yet acknowledged, lost or discarded', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 150, size: 'max' }), fc.boolean(), fc.boolean(), (ops, isServer, cubic) => {
        const cc = cubic ? new Cubic({ maxDatagramSize: MDS }) : new NewReno({ maxDatagramSize: MDS });
        const { lr } = setup({ isServer, cc });
        let now = 0;
        const nextPn = [0, 0, 0];
        const sent: number[][] = [[], [], []]; // every packet number sent, per space
        const skipped: number[][] = [[], [], []];
        const live = new Map<string, SentPacket<number>>();
        const key = (s: number, pn: number) => `${s}:${pn}`;
        const ce = [0, 0, 0];
        const settle = (s: number, ps: SentPacket<number>[]) => {
          for (const p of ps) {
            const k = key(s, p.pn);
            expect(live.get(k), `packet ${k} returned twice or never sent`).toBe(p);
            live.delete(k);
          }
        };
        const check = () => {
          let bytes = 0;
          const elicit = [0, 0, 0];
          for (const [k, p] of live) {
            if (p.inFlight) bytes += p.size;
            if (p.ackEliciting) elicit[Number(k[0])]!++;
          }
          expect(lr.bytesInFlight).toBe(bytes);
          expect(lr.bytesInFlight).toBeGreaterThanOrEqual(0);
          for (const s of [0, 1, 2] as SpaceId[]) expect(lr.ackElicitingInFlight(s)).toBe(elicit[s]);
        };
        const discarded = [false, false, false];
        for (const o of ops) {
          switch (o.kind) {
            case 'send': {
              if (discarded[o.space]) break;
              now += o.dt;
              if (o.skip) {
                lr.skipPacketNumber(o.space, nextPn[o.space]!);
                skipped[o.space]!.push(nextPn[o.space]!++);
              }
              const p: SentPacket<number> = { pn: nextPn[o.space]!++, timeSent: now, size: o.size, ackEliciting: o.ackEliciting, inFlight: o.inFlight || o.ackEliciting, tokens: [] };
              lr.onPacketSent(now, o.space, p);
              sent[o.space]!.push(p.pn);
              live.set(key(o.space, p.pn), p);
              break;
            }
            case 'ack': {
              const all = sent[o.space]!;
              if (all.length === 0) break;
              now += o.dt;
              const chosen = [...new Set(o.picks.map((i) => all[i % all.length]!))].sort((a, b) => a - b);
              if (chosen.length === 0) break;
              // Contiguous runs of *sent* numbers (a skipped number splits a run), descending.
              const ranges: { smallest: number; largest: number }[] = [];
              for (const pn of chosen) {
                const last = ranges[ranges.length - 1];
                if (last !== undefined && last.largest === pn - 1) last.largest = pn;
                else ranges.push({ smallest: pn, largest: pn });
              }
              ranges.reverse();
              if (o.ce) ce[o.space]!++;
              const r = lr.onAckReceived(now, o.space, ranges, o.ackDelay, { ect0: 0, ect1: 0, ce: ce[o.space]! });
              for (const p of r.acked) expect(chosen).toContain(p.pn);
              settle(o.space, r.acked);
              settle(o.space, r.lost);
              for (let i = 1; i < r.acked.length; i++) expect(r.acked[i]!.pn).toBeGreaterThan(r.acked[i - 1]!.pn);
              break;
            }
            case 'badAck': {
              const sk = skipped[o.space]!;
              const largest = lr.largestSent(o.space) ?? -1;
              const pn = sk.length > 0 && o.pick % 2 === 0 ? sk[o.pick % sk.length]! : largest + 1 + (o.pick % 5);
              const before = lr.bytesInFlight;
              expect(() => lr.onAckReceived(now, o.space, [{ smallest: pn, largest: pn }], 0)).toThrow(TransportError);
              expect(lr.bytesInFlight).toBe(before);
              break;
            }
            case 'timeout': {
              now += o.dt;
              const t = lr.timeout();
              if (t !== undefined) {
                if (t > now) now = t;
                const r = lr.onTimeout(now);
                for (const p of r.lost) {
                  const s = [0, 1, 2].find((x) => live.get(key(x, p.pn)) === p)!;
                  settle(s, [p]);
                }
                if (r.probe) expect([1, 2]).toContain(r.probe.count);
              }
              break;
            }
            case 'discard': {
              settle(o.space, lr.discardSpace(o.space));
              discarded[o.space] = true;
              expect(lr.ptoCount).toBe(0);
              break;
            }
            case 'flags':
              lr.handshakeConfirmed ||= o.confirmed;
              lr.appLimited = o.appLimited;
              lr.amplificationLimited = isServer && o.amp;
              break;
          }
          check();
          expect(cc.cwnd).toBeGreaterThanOrEqual(2 * MDS);
        }
      }),
    );
  });
});
