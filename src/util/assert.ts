/** Exhaustiveness check for switches over tagged unions (DESIGN §3). */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** Internal invariant check; a failure is a bug in tquic, never a peer's fault. */
export function invariant(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`invariant violated: ${msg}`);
}
