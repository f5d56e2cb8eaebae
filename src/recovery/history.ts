/**
 * The sent-packet history of one packet-number space (RFC 9002 A.1 sent_packets).
 *
 * Packet numbers only increase (RFC 9002 §3), so packets are appended to flat arrays in
 * packet-number order. Acknowledged and lost packets leave a tombstone that remembers its packet
 * number and how it left (acked or lost), so that
 * - a packet number is found by binary search (ACK ranges),
 * - live packets are walked in order without visiting tombstones again: removed slots point
 *   forward to the next live one, with path compression (a disjoint-set "next" pointer), so a
 *   walk costs O(live packets visited) amortised,
 * - persistent congestion can ask "was any packet between these two acknowledged?" (§7.6.2).
 * The resolved prefix is cut off once it is at least half of the arrays (amortised O(1)).
 */
import type { Instant } from '../util/time.js';

/** One sent packet (RFC 9002 A.1.1) with its recovery tokens (DESIGN §3). */
export interface SentPacket<T> {
  pn: number;
  timeSent: Instant;
  /** sent_bytes: QUIC header, payload and AEAD overhead, no UDP/IP. */
  size: number;
  ackEliciting: boolean;
  /** Counts toward bytes in flight (ack-eliciting or PADDING, §2). */
  inFlight: boolean;
  tokens: T[];
  /** Its content was already queued again by a PTO probe (RFC 9002 §6.2.4). */
  resent?: boolean;
  /** Sent with the ECT(0) codepoint (RFC 9000 §13.4.2). */
  ect?: boolean;
  /** A PMTU probe (RFC 9000 §14.4): its loss is no congestion signal. */
  mtuProbe?: boolean;
  /** Set by `SentPacketPool.release`: the record is back in the pool and must not be used. */
  released?: boolean;
  // Delivery-rate state when sent (rate-sample.ts; in-flight packets only): P.delivered,
  // P.delivered_time, P.first_sent_time, P.is_app_limited, P.tx_in_flight and C.lost then.
  // (Optional for records made outside the pool, e.g. in tests; the pool's records have them all.)
  delivered?: number;
  deliveredTime?: Instant;
  firstSentTime?: Instant;
  isAppLimited?: boolean;
  txInFlight?: number;
  lostAtSend?: number;
}

const LIVE = 0;
const ACKED = 1;
const LOST = 2;

/** Cut the resolved prefix once it is this long and at least half the arrays. */
const COMPACT_MIN = 256;

export class SentHistory<T> {
  // The arrays only grow: `n` is the logical length, and slots at or beyond it are spare
  // capacity (stale numbers, no packet), so compaction and clearing allocate nothing
  // (DESIGN §4 rule 2; `splice` and `length = 0` would give V8 new backing stores to grow).
  private readonly pkts: (SentPacket<T> | undefined)[] = [];
  private readonly pns: number[] = [];
  private readonly state: number[] = [];
  /** For a live slot, itself; for a removed one, some later index at or before the next live slot. */
  private readonly nextLive: number[] = [];
  private n = 0;
  /** Every slot before `head` is removed. */
  private head = 0;
  /** Live packets. */
  count = 0;

  get length(): number {
    return this.n;
  }

  push(p: SentPacket<T>): void {
    if (this.head >= COMPACT_MIN && this.head * 2 >= this.n) this.compact();
    const i = this.n++;
    if (i < this.pkts.length) {
      this.pkts[i] = p;
      this.pns[i] = p.pn;
      this.state[i] = LIVE;
      this.nextLive[i] = i;
    } else {
      this.pkts.push(p);
      this.pns.push(p.pn);
      this.state.push(LIVE);
      this.nextLive.push(i);
    }
    this.count++;
  }

  /** The first live index ≥ i, or `length`. */
  live(i: number): number {
    const next = this.nextLive;
    const n = this.n;
    let r = i;
    while (r < n && next[r] !== r) r = next[r]!;
    // Path compression.
    while (i < r && i < n) {
      const j = next[i]!;
      next[i] = r;
      i = j;
    }
    return r;
  }

  /** The first live index. */
  first(): number {
    this.head = this.live(this.head);
    return this.head;
  }

  /** The first index ≥ from whose packet number is ≥ pn (binary search; tombstones keep their numbers). */
  lowerBound(pn: number, from: number): number {
    let lo = from < this.head ? this.head : from;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pns[mid]! < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  pnAt(i: number): number {
    return this.pns[i]!;
  }

  /** The live packet at i (call with an index from `live`/`first`). */
  at(i: number): SentPacket<T> {
    return this.pkts[i]!;
  }

  /** Removes the live packet at i as acknowledged. */
  removeAcked(i: number): SentPacket<T> {
    return this.remove(i, ACKED);
  }

  /** Removes the live packet at i as lost. */
  removeLost(i: number): SentPacket<T> {
    return this.remove(i, LOST);
  }

  /** Whether a packet strictly between indices a < b was acknowledged (O(b − a); persistent congestion only). */
  ackedBetween(a: number, b: number): boolean {
    const s = this.state;
    for (let i = a + 1; i < b; i++) if (s[i] === ACKED) return true;
    return false;
  }

  /** Removes and returns every live packet, in packet-number order (RFC 9002 §6.4). */
  clear(): SentPacket<T>[] {
    const out: SentPacket<T>[] = [];
    for (let i = this.first(); i < this.n; i = this.live(i + 1)) out.push(this.pkts[i]!);
    for (let i = 0; i < this.n; i++) this.pkts[i] = undefined;
    this.n = 0;
    this.head = 0;
    this.count = 0;
    return out;
  }

  private remove(i: number, how: number): SentPacket<T> {
    const p = this.pkts[i]!;
    this.pkts[i] = undefined;
    this.state[i] = how;
    this.nextLive[i] = i + 1;
    this.count--;
    return p;
  }

  /** Cuts the resolved prefix [0, head), moving the rest down in place. */
  private compact(): void {
    const h = this.head;
    const n = this.n;
    const { pkts, pns, state, nextLive } = this;
    for (let i = h; i < n; i++) {
      pkts[i - h] = pkts[i];
      pns[i - h] = pns[i]!;
      state[i - h] = state[i]!;
      nextLive[i - h] = nextLive[i]! - h;
    }
    for (let i = n - h; i < n; i++) pkts[i] = undefined;
    this.n = n - h;
    this.head = 0;
  }
}
