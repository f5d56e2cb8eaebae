/**
 * An in-memory qlog sink: what tests and the simulator's invariant checker read (DESIGN §3
 * "qlog as the observable truth"). It stores the event objects as given (no copy, no
 * serialisation), so reading them back is free of parsing.
 */
import type { Instant } from '../util/time.js';
import type { QlogEvent, QlogEventDataMap, QlogEventName, QlogEventOf, QlogSink } from './events.js';

/** An event as MemorySink keeps it, with its time (µs). */
export interface LoggedEvent<E = QlogEvent> {
  time: Instant;
  event: E;
}

export class MemorySink implements QlogSink {
  readonly events: LoggedEvent[] = [];

  /** Stores the event as given (no copy). */
  event(time: Instant, e: QlogEvent): void {
    this.events.push({ time, event: e });
  }

  /** Every logged event of one name, in order, typed by that name. */
  filter<N extends QlogEventName>(name: N): LoggedEvent<QlogEventOf<N>>[] {
    const out: LoggedEvent<QlogEventOf<N>>[] = [];
    for (const l of this.events) if (l.event.name === name) out.push(l as LoggedEvent<QlogEventOf<N>>);
    return out;
  }

  /** Just the `data` of every event of one name. */
  data<N extends QlogEventName>(name: N): QlogEventDataMap[N][] {
    return this.filter(name).map((l) => l.event.data);
  }

  /** How many events of one name were logged. */
  count(name: QlogEventName): number {
    let n = 0;
    for (const l of this.events) if (l.event.name === name) n++;
    return n;
  }

  /** The first / last event of one name, if any. */
  first<N extends QlogEventName>(name: N): LoggedEvent<QlogEventOf<N>> | undefined {
    for (const l of this.events) if (l.event.name === name) return l as LoggedEvent<QlogEventOf<N>>;
    return undefined;
  }
  /** The last event of one name, if any. */
  last<N extends QlogEventName>(name: N): LoggedEvent<QlogEventOf<N>> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const l = this.events[i]!;
      if (l.event.name === name) return l as LoggedEvent<QlogEventOf<N>>;
    }
    return undefined;
  }

  /** The sequence of event names, e.g. for asserting an order of state changes. */
  names(): QlogEventName[] {
    return this.events.map((l) => l.event.name);
  }

  /** Events with `since <= time < until` (µs). */
  between(since: Instant, until: Instant): LoggedEvent[] {
    return this.events.filter((l) => l.time >= since && l.time < until);
  }

  /** Forgets every event logged so far. */
  clear(): void {
    this.events.length = 0;
  }
}

/** A sink that hands every event to several sinks (e.g. a file writer and a checker's memory). */
export function teeSinks(...sinks: (QlogSink | undefined)[]): QlogSink | undefined {
  const list = sinks.filter((s): s is QlogSink => s !== undefined);
  if (list.length <= 1) return list[0];
  return {
    event(time, e) {
      for (const s of list) if (s.wants === undefined || s.wants(e.name)) s.event(time, e);
    },
    wants(name) {
      return list.some((s) => s.wants === undefined || s.wants(name));
    },
  };
}
