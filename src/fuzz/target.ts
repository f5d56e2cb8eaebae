/**
 * What a fuzz target is: a function of one untrusted input and the rule for which errors it may
 * throw. Anything else thrown is a bug, and so is an input on which the target breaks one of its
 * own sanity bounds (it throws `FuzzOracleError` for those).
 */

export interface FuzzTarget {
  /** Short name, used on the command line and as the corpus folder. */
  readonly name: string;
  /** One line: what the target feeds its input to. */
  readonly summary: string;
  /** The error types the parser may throw on malformed input, for reports. */
  readonly allowedErrors: string;
  /** Inputs grow no longer than this (default 4096 bytes). */
  readonly maxLength?: number;
  /**
   * Runs one input. Must be a pure function of `data` (fresh parser state on every call): the
   * engine runs an input again to attribute coverage and to reproduce failures.
   */
  run(data: Uint8Array): void;
  /** Whether `e`, thrown by `run`, is an accepted rejection of malformed input. */
  allowed(e: unknown): boolean;
}

/** A sanity bound broken by a decoded result (a decoder that accepted what it should not have). */
export class FuzzOracleError extends Error {
  override readonly name = 'FuzzOracleError';
}

/** Throws FuzzOracleError(message) unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new FuzzOracleError(message);
}
