/**
 * Time in the sans-IO core (DESIGN §1). An Instant is a number of microseconds since an
 * arbitrary epoch (0 in tests); a Duration is a number of microseconds. Plain numbers keep the
 * hot path free of allocation; the aliases document intent. Microsecond integers stay exact in a
 * double for 285 years.
 */
export type Instant = number;
/** A time span in microseconds. */
export type Duration = number;

/** Microseconds in a millisecond. */
export const MICROS_PER_MILLI = 1_000;
/** Microseconds in a second. */
export const MICROS_PER_SECOND = 1_000_000;

/** Conversions between Duration (µs) and milliseconds or seconds, and formatting. */
export const Duration = {
  /** Milliseconds to a Duration, rounded to the microsecond. */
  fromMillis(ms: number): Duration {
    return Math.round(ms * MICROS_PER_MILLI);
  },
  /** Seconds to a Duration, rounded to the microsecond. */
  fromSeconds(s: number): Duration {
    return Math.round(s * MICROS_PER_SECOND);
  },
  /** A Duration in milliseconds (fractional). */
  toMillis(d: Duration): number {
    return d / MICROS_PER_MILLI;
  },
  /** A Duration in seconds (fractional). */
  toSeconds(d: Duration): number {
    return d / MICROS_PER_SECOND;
  },
  /** e.g. "12.345ms" */
  format(d: Duration): string {
    if (Math.abs(d) >= MICROS_PER_SECOND) return `${(d / MICROS_PER_SECOND).toFixed(3)}s`;
    if (Math.abs(d) >= MICROS_PER_MILLI) return `${(d / MICROS_PER_MILLI).toFixed(3)}ms`;
    return `${d}µs`;
  },
} as const;

/** A deadline that never fires. */
export const NEVER: Instant = Number.POSITIVE_INFINITY;

/** The earlier of two optional deadlines. */
export function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
