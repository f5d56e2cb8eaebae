/**
 * What an endpoint keeps per connection so that its service cost follows the connections with
 * work rather than all of them (DESIGN §4): the connection's place in a deadline min-heap
 * (`pollTimeout` reads the top, `handleTimeout` pops only what is due), whether it is queued as
 * possibly having something to send, and whether it may have events to report. No allocation
 * per datagram or timer: the queues are rings and the heap an array of slots, all reused.
 */
import type { Connection } from '../connection/connection.js';

export class ConnectionSlot {
  /** The connection IDs that route to the connection (Map keys, endpoint.ts `cidKey`). */
  readonly cids = new Set<string>();
  /** The connection's `pollTimeout()` when last read; Infinity for none. */
  deadline = Infinity;
  /** Index in the deadline heap, -1 when not in it. */
  heapAt = -1;
  /** Queued for `pollTransmit`. */
  ready = false;
  /** Queued for the application's turn (its events). */
  active = false;
  /** Forgotten by the endpoint (closed). */
  removed = false;
  constructor(readonly conn: Connection) {}
}

/** A FIFO of slots in a ring buffer (power-of-two capacity, grown by doubling, never shrunk). */
export class SlotQueue {
  private buf: Array<ConnectionSlot | undefined> = new Array<ConnectionSlot | undefined>(16).fill(undefined);
  private head = 0;
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(s: ConnectionSlot): void {
    if (this.n === this.buf.length) this.grow();
    this.buf[(this.head + this.n) & (this.buf.length - 1)] = s;
    this.n++;
  }

  shift(): ConnectionSlot | undefined {
    if (this.n === 0) return undefined;
    const s = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.n--;
    return s;
  }

  /** The i-th slot from the head (0 ≤ i < size), without removing it. */
  at(i: number): ConnectionSlot {
    return this.buf[(this.head + i) & (this.buf.length - 1)]!;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<ConnectionSlot | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.n; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

/** A binary min-heap of slots by `deadline`; each slot knows its index, so updates are O(log n). */
export class DeadlineHeap {
  private readonly a: ConnectionSlot[] = [];

  get size(): number {
    return this.a.length;
  }

  /** The earliest slot, if any. */
  peek(): ConnectionSlot | undefined {
    return this.a[0];
  }

  /** Puts `s` at `deadline` (Infinity: out of the heap). */
  set(s: ConnectionSlot, deadline: number): void {
    if (deadline === Infinity) {
      this.remove(s);
      s.deadline = Infinity;
      return;
    }
    const was = s.deadline;
    s.deadline = deadline;
    if (s.heapAt < 0) {
      s.heapAt = this.a.length;
      this.a.push(s);
      this.up(s.heapAt);
    } else if (deadline < was) {
      this.up(s.heapAt);
    } else if (deadline > was) {
      this.down(s.heapAt);
    }
  }

  remove(s: ConnectionSlot): void {
    const i = s.heapAt;
    if (i < 0) return;
    s.heapAt = -1;
    const last = this.a.pop()!;
    if (last === s) return;
    this.a[i] = last;
    last.heapAt = i;
    this.up(i);
    this.down(last.heapAt);
  }

  /** Removes and returns the earliest slot if it is due at `now`. */
  popDue(now: number): ConnectionSlot | undefined {
    const s = this.a[0];
    if (s === undefined || s.deadline > now) return undefined;
    this.remove(s);
    s.deadline = Infinity;
    return s;
  }

  private up(i: number): void {
    const a = this.a;
    const s = a[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = a[p]!;
      if (q.deadline <= s.deadline) break;
      a[i] = q;
      q.heapAt = i;
      i = p;
    }
    a[i] = s;
    s.heapAt = i;
  }

  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    const s = a[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1]!.deadline < a[c]!.deadline) c++;
      const q = a[c]!;
      if (q.deadline >= s.deadline) break;
      a[i] = q;
      q.heapAt = i;
      i = c;
    }
    a[i] = s;
    s.heapAt = i;
  }
}
