/**
 * Recycled sent-packet records (DESIGN §4 rule 2: no per-packet allocation in steady state).
 *
 * Every packet sent gets a `SentPacket` record that lives in the sent history until the packet
 * is acknowledged, declared lost or its space is discarded (RFC 9002 A.1). The record and its
 * token array are taken from here when the packet is built and come back at ONE point: once
 * the owner of the tokens has handed them over (acknowledged or lost) or dropped them (space
 * discarded). Nothing may keep a record past that point; `release` marks it, and throws on a
 * second release of the same record.
 *
 * `poison` is a debugging aid for tests: released records are then never reused, their numbers
 * become NaN and any access to their tokens throws, so a use after release fails loudly
 * instead of reading a later packet's data.
 */
import type { SentPacket } from './history.js';

/** Most free records kept (a burst beyond it is left to the garbage collector). */
const MAX_FREE = 4096;

const POISONED: unknown[] = new Proxy([], {
  get(_t, key) {
    throw new Error(`use of a released sent-packet record (tokens.${String(key)})`);
  },
});

export class SentPacketPool<T> {
  private readonly free: (SentPacket<T> | undefined)[] = [];
  private freeCount = 0;
  /** Records handed out and not yet released (for tests). */
  outstanding = 0;
  /** See the module comment. */
  poison = false;

  /**
   * A record with every field reset and `tokens` from an earlier packet: the caller overwrites
   * it by index and sets its length (see `Built.tokenCount`), which keeps the array's storage.
   */
  acquire(): SentPacket<T> {
    this.outstanding++;
    if (this.freeCount > 0) {
      const p = this.free[--this.freeCount]!;
      this.free[this.freeCount] = undefined;
      p.released = false;
      p.resent = false;
      p.ect = false;
      p.mtuProbe = false;
      return p;
    }
    return { pn: 0, timeSent: 0, size: 0, ackEliciting: false, inFlight: false, tokens: [], resent: false, ect: false, mtuProbe: false, released: false, delivered: 0, deliveredTime: 0, firstSentTime: 0, isAppLimited: false, txInFlight: 0, lostAtSend: 0 };
  }

  /** Takes a record back (see the module comment for when). */
  release(p: SentPacket<T>): void {
    if (p.released === true) throw new RangeError(`sent-packet record of packet ${p.pn} released twice`);
    p.released = true;
    this.outstanding--;
    if (this.poison) {
      p.pn = NaN;
      p.timeSent = NaN;
      p.size = NaN;
      p.tokens = POISONED as T[];
      return;
    }
    if (this.freeCount >= MAX_FREE) return;
    if (this.freeCount < this.free.length) this.free[this.freeCount] = p;
    else this.free.push(p);
    this.freeCount++;
  }
}
