/**
 * The simulator's discrete-event engine: a virtual clock and an event queue (a binary heap keyed
 * by time, then by insertion sequence, so equal-time events run in the order they were scheduled
 * and a run is a pure function of its inputs and seed). It also drives sans-IO Endpoints: after
 * every delivery or timer for an endpoint it lets the application react, drains pollTransmit
 * fully into the network, and re-arms the endpoint's single timer at pollTimeout().
 */
import type { Datagram } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import type { Endpoint } from '../endpoint/endpoint.js';

/** A scheduled event; `cancel` makes it a no-op (lazy deletion from the heap). */
export interface EventHandle {
  readonly at: Instant;
  cancelled: boolean;
}

interface QueuedEvent extends EventHandle {
  readonly seq: number;
  readonly fn: () => void;
}

/** A min-heap of events ordered by (at, seq). */
class EventHeap {
  private readonly a: QueuedEvent[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): QueuedEvent | undefined {
    return this.a[0];
  }

  push(e: QueuedEvent): void {
    // Sift up with a hole: parents move down until e's place is found, then e is written once.
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!less(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  pop(): QueuedEvent | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    const n = a.length;
    if (n > 0 && last !== undefined) {
      // Sift the last event down from the root with a hole.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let m = l;
        let child = a[l]!;
        if (r < n && less(a[r]!, child)) {
          m = r;
          child = a[r]!;
        }
        if (!less(child, last)) break;
        a[i] = child;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

function less(x: QueuedEvent, y: QueuedEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** Timer firings at one instant before the engine reports a stuck endpoint. */
const MAX_TIMER_SPINS = 10_000;

/** Options for driving one endpoint. */
export interface EndpointDriver {
  /** Receives every datagram the endpoint transmits (normally the network's router). */
  send: (d: Datagram, from: SimEndpoint) => void;
  /** Called after each delivery or timer, before transmit is drained: the application's turn. */
  onActivity?: (node: SimEndpoint) => void;
  /**
   * `send` is done with the datagram's bytes when it returns (it copied them): the engine then
   * hands the buffer back to the endpoint's transmit pool (DESIGN §4 rule 2).
   */
  copies?: boolean;
}

/**
 * An endpoint attached to the engine.
 *
 * Its timer is lazy: the endpoint's deadline moves after nearly every event (a packet sent
 * pushes the PTO out, an ACK received re-arms loss detection), and cancelling and pushing a
 * heap event each time doubled the events the engine handled. Instead the deadline the
 * endpoint wants is recorded with the sequence number a freshly scheduled event would have had
 * (`want`, `wantSeq`), and the event in the heap (`timer`) is moved only when the deadline comes
 * earlier. When the event fires before the wanted instant, or at that instant but ahead of its
 * place in the order of equal-time events, it is pushed again as the event it stands for, and
 * does not count as an event run. Runs are therefore event for event the same as with an
 * eagerly re-armed timer.
 */
export class SimEndpoint {
  private timer: (EventHandle & { readonly seq: number }) | undefined;
  private want: Instant | undefined;
  private wantSeq = 0;
  private lastFire = -1;
  private spins = 0;
  /** Datagrams delivered to / sent by this endpoint. */
  received = 0;
  sent = 0;
  private readonly fireFn = (): void => this.fire();

  constructor(
    readonly engine: Engine,
    readonly endpoint: Endpoint,
    private readonly driver: EndpointDriver,
  ) {}

  /** Hands a datagram to the endpoint at the engine's current time, then services it. */
  deliver(d: Datagram): void {
    this.received++;
    this.endpoint.handleDatagram(this.engine.now, d);
    this.service();
  }

  /** Lets the application act, drains transmit and re-arms the timer (call after app-side API use). */
  service(): void {
    const now = this.engine.now;
    this.driver.onActivity?.(this);
    for (let d = this.endpoint.pollTransmit(now); d; d = this.endpoint.pollTransmit(now)) {
      this.sent++;
      this.driver.send(d, this);
      if (this.driver.copies === true) this.endpoint.releaseDatagram(d);
    }
    this.rearm();
  }

  private rearm(): void {
    const t = this.endpoint.pollTimeout();
    const at = t === undefined || !Number.isFinite(t) ? undefined : Math.max(t, this.engine.now);
    if (at === this.want) return;
    this.want = at;
    const timer = this.timer;
    if (at === undefined) {
      if (timer !== undefined) timer.cancelled = true;
      this.timer = undefined;
      return;
    }
    this.wantSeq = this.engine.nextSeq();
    // An event due no later than the new deadline stays: it re-pushes itself when it fires.
    if (timer !== undefined && timer.at <= at) return;
    if (timer !== undefined) timer.cancelled = true;
    this.timer = this.engine.scheduleSeq(at, this.wantSeq, this.fireFn);
  }

  private fire(): void {
    const ev = this.timer;
    this.timer = undefined;
    const now = this.engine.now;
    const at = this.want;
    if (at === undefined) return this.engine.uncount();
    if (at > now || ev === undefined || ev.seq !== this.wantSeq) {
      // Early, or at the instant but not in the wanted event's place: stand in for it.
      this.timer = this.engine.scheduleSeq(at, this.wantSeq, this.fireFn);
      return this.engine.uncount();
    }
    this.want = undefined;
    // A deadline that stays at `now` after handleTimeout would spin forever in virtual time.
    if (now === this.lastFire) {
      if (++this.spins > MAX_TIMER_SPINS) throw new Error(`endpoint ${this.endpoint.local.host}:${this.endpoint.local.port}: timer keeps firing at ${now} µs`);
    } else {
      this.lastFire = now;
      this.spins = 0;
    }
    this.endpoint.handleTimeout(now);
    this.service();
  }
}

/**
 * The discrete-event engine: a virtual clock in µs and an event queue ordered by time, then by
 * scheduling order, so a run is deterministic. It also attaches sans-IO Endpoints
 * (`addEndpoint`), servicing each after every delivery and timer.
 */
export class Engine {
  /** Virtual time in µs. */
  now: Instant = 0;
  /** Events run so far. */
  eventsRun = 0;
  private seq = 0;
  private readonly heap = new EventHeap();
  readonly endpoints: SimEndpoint[] = [];

  /** Runs `fn` at virtual time `at` (not before now). */
  schedule(at: Instant, fn: () => void): EventHandle {
    return this.scheduleSeq(at, this.seq++, fn);
  }

  /** The sequence number the next `schedule` would take, taken now (lazy timers, SimEndpoint). */
  nextSeq(): number {
    return this.seq++;
  }

  /** Schedules `fn` at `at` in the place of sequence number `seq` among events at that instant. */
  scheduleSeq(at: Instant, seq: number, fn: () => void): EventHandle & { readonly seq: number } {
    if (!(at >= this.now)) throw new RangeError(`cannot schedule at ${at} before now (${this.now})`);
    const e: QueuedEvent = { at, seq, fn, cancelled: false };
    this.heap.push(e);
    return e;
  }

  /** The event now running was bookkeeping (a lazy timer standing in for a later one): not counted. */
  uncount(): void {
    this.eventsRun--;
  }

  /** Runs `fn` after `delay` µs. */
  after(delay: number, fn: () => void): EventHandle {
    return this.schedule(this.now + delay, fn);
  }

  /** Cancels a scheduled event: it stays in the queue but does not run. Idempotent. */
  cancel(h: EventHandle): void {
    h.cancelled = true;
  }

  /** Attaches an endpoint; its timer is armed immediately and pending transmit drained. */
  addEndpoint(endpoint: Endpoint, driver: EndpointDriver): SimEndpoint {
    const node = new SimEndpoint(this, endpoint, driver);
    this.endpoints.push(node);
    this.schedule(this.now, () => node.service());
    return node;
  }

  /** Time of the next live event, or undefined when nothing is pending. */
  nextTime(): Instant | undefined {
    for (let e = this.heap.peek(); e; e = this.heap.peek()) {
      if (!e.cancelled) return e.at;
      this.heap.pop();
    }
    return undefined;
  }

  /** Runs the earliest event. Returns false when the queue is empty. */
  step(): boolean {
    for (let e = this.heap.pop(); e; e = this.heap.pop()) {
      if (e.cancelled) continue;
      this.now = e.at;
      this.eventsRun++;
      e.fn();
      return true;
    }
    return false;
  }

  /** Runs every event due at or before `end`, then sets the clock to `end`. */
  runUntilTime(end: Instant): void {
    for (let t = this.nextTime(); t !== undefined && t <= end; t = this.nextTime()) this.step();
    if (end > this.now) this.now = end;
  }

  /**
   * Steps until `done()` holds (checked after each event), the queue empties, or virtual time
   * would pass `maxTime`. Returns whether `done()` held.
   */
  runUntil(done: () => boolean, maxTime: Instant = Number.POSITIVE_INFINITY, maxEvents = Number.POSITIVE_INFINITY): boolean {
    // Counted as events run, so a lazy timer's bookkeeping (SimEndpoint) does not count.
    const start = this.eventsRun;
    while (!done()) {
      const t = this.nextTime();
      if (t === undefined || t > maxTime || this.eventsRun - start >= maxEvents) return done();
      this.step();
    }
    return true;
  }
}
