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
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): QueuedEvent | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
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

/** An endpoint attached to the engine. */
export class SimEndpoint {
  private timer: EventHandle | undefined;
  private lastFire = -1;
  private spins = 0;
  /** Datagrams delivered to / sent by this endpoint. */
  received = 0;
  sent = 0;

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
    if (this.timer && !this.timer.cancelled && this.timer.at === at) return;
    if (this.timer) this.timer.cancelled = true;
    this.timer = at === undefined ? undefined : this.engine.schedule(at, () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    // A deadline that stays at `now` after handleTimeout would spin forever in virtual time.
    if (this.engine.now === this.lastFire) {
      if (++this.spins > MAX_TIMER_SPINS) throw new Error(`endpoint ${this.endpoint.local.host}:${this.endpoint.local.port}: timer keeps firing at ${this.engine.now} µs`);
    } else {
      this.lastFire = this.engine.now;
      this.spins = 0;
    }
    this.endpoint.handleTimeout(this.engine.now);
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
    if (!(at >= this.now)) throw new RangeError(`cannot schedule at ${at} before now (${this.now})`);
    const e: QueuedEvent = { at, seq: this.seq++, fn, cancelled: false };
    this.heap.push(e);
    return e;
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
    let n = 0;
    while (!done()) {
      const t = this.nextTime();
      if (t === undefined || t > maxTime || n++ >= maxEvents) return done();
      this.step();
    }
    return true;
  }
}
