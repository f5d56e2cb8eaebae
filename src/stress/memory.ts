/**
 * Memory figures of the stress tools: V8's `heapUsed` plus `arrayBuffers` (the backing stores of
 * typed arrays, which live outside the V8 heap: receive buffers, keys, pooled datagrams), taken
 * after a forced full GC where a figure must not count garbage.
 *
 * A callable GC without a node flag: `global.gc` when node runs with --expose-gc, else the flag
 * is set at run time (`v8.setFlagsFromString`) and `gc` fetched from a fresh context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Memory in use, in bytes. */
export interface MemorySample {
  heapUsed: number;
  arrayBuffers: number;
  /** heapUsed + arrayBuffers: the figure bounds and ratios apply to. */
  total: number;
  rss: number;
}

let gcFn: (() => void) | undefined;

/** A callable full GC. */
export function getGc(): () => void {
  if (gcFn !== undefined) return gcFn;
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return (gcFn = g as () => void);
  setFlagsFromString('--expose-gc');
  return (gcFn = runInNewContext('gc') as () => void);
}

/** Memory in use now (garbage included). */
export function sampleMemory(): MemorySample {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, total: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

/**
 * Memory in use after full GCs: twice, since the first pass may leave weak and finalised objects
 * (FinalizationRegistry callbacks, WeakMap entries) to the second, with an event-loop turn in
 * between for the finalisers to run.
 */
export async function settledMemory(): Promise<MemorySample> {
  const gc = getGc();
  gc();
  await new Promise<void>((r) => setImmediate(r));
  gc();
  return sampleMemory();
}

export const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
