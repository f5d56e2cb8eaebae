/**
 * The real clock of the io/ edge (DESIGN §1): the core takes time as an argument, and this is
 * where it is read. An Instant is an integer number of microseconds since the clock's origin
 * (its construction), from the monotonic `performance.now()`; wall-clock time is derived from
 * the same reading for qlog reference times and certificate checks.
 */
import { performance } from 'node:perf_hooks';
import type { Instant } from '../util/time.js';

/**
 * The real clock: Instants in integer µs since the clock was constructed, from the monotonic
 * `performance.now()`, and the wall-clock time of an Instant.
 */
export class Clock {
  /** performance.now() (ms) at Instant 0. */
  private readonly origin = performance.now();

  /** The current Instant (µs). Monotonic; read it once per event (DESIGN §4 rule 3). */
  now(): Instant {
    return Math.floor((performance.now() - this.origin) * 1000);
  }

  /** Wall-clock ms since the Unix epoch at `instant`. */
  wallTime(instant: Instant): number {
    return performance.timeOrigin + this.origin + instant / 1000;
  }
}
