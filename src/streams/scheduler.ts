/**
 * Round-robin scheduling of streams with data to send, by urgency (RFC 9000 §2.3 leaves
 * prioritization to the application; the 0..7 urgency follows RFC 9218 §4.1, lower first).
 *
 * One FIFO per urgency level. The stream at the head of the most urgent non-empty FIFO sends
 * one frame, then moves to the back (`rotate`), so streams of equal urgency share the
 * connection frame by frame. Entries are dropped lazily when they reach the head and have
 * nothing sendable; the owner re-queues them when that changes (write, credit, loss).
 * Arrays with a head index: no allocation in steady state.
 */
export const URGENCY_LEVELS = 8;
export const DEFAULT_URGENCY = 3;

export interface Schedulable {
  urgency: number;
  /** The level whose FIFO holds this item, or -1. */
  queuedAt: number;
}

class Fifo<T> {
  items: T[] = [];
  head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  shift(): void {
    this.items[this.head] = undefined as unknown as T;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
  push(x: T): void {
    this.items.push(x);
  }
  remove(x: T): void {
    const i = this.items.indexOf(x, this.head);
    if (i >= 0) this.items.splice(i, 1);
  }
}

export class Scheduler<T extends Schedulable> {
  private readonly levels: Array<Fifo<T>> = [];

  constructor() {
    for (let i = 0; i < URGENCY_LEVELS; i++) this.levels.push(new Fifo<T>());
  }

  /** Queues `x` at its urgency unless already queued. */
  add(x: T): void {
    if (x.queuedAt >= 0) return;
    x.queuedAt = x.urgency;
    this.levels[x.urgency]!.push(x);
  }

  /** Moves a queued item after its urgency changed. */
  updateUrgency(x: T, urgency: number): void {
    if (x.queuedAt >= 0 && x.queuedAt !== urgency) {
      this.levels[x.queuedAt]!.remove(x);
      x.queuedAt = -1;
      x.urgency = urgency;
      this.add(x);
    } else {
      x.urgency = urgency;
    }
  }

  /**
   * The first queued item for which `ready` is true, most urgent first. Items at the head that
   * are not ready are dequeued and passed to `onDropped` (e.g. to record why they are blocked).
   */
  first(ready: (x: T) => boolean, onDropped: (x: T) => void): T | undefined {
    for (let u = 0; u < URGENCY_LEVELS; u++) {
      const q = this.levels[u]!;
      for (let x = q.peek(); x !== undefined; x = q.peek()) {
        if (ready(x)) return x;
        q.shift();
        x.queuedAt = -1;
        onDropped(x);
      }
    }
    return undefined;
  }

  /** After `x` sent a frame: move it from the head to the back of its FIFO (round-robin). */
  rotate(x: T): void {
    if (x.queuedAt < 0) return;
    const q = this.levels[x.queuedAt]!;
    if (q.peek() !== x || q.size === 1) return;
    q.shift();
    q.push(x);
  }

  get isEmpty(): boolean {
    for (const q of this.levels) if (q.size > 0) return false;
    return true;
  }
}
