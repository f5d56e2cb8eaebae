/**
 * The on-disk side of the fuzzer: seed corpora (one folder per target, one file per input, named
 * by a digest of its bytes, test/fuzz/corpus/<target>/ by default) and failure reproducers.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentName, type Failure } from './engine.js';

/** The inputs in `dir/target`, in file-name order ([] when the folder does not exist). */
export function loadCorpus(dir: string, target: string): Uint8Array[] {
  const d = join(dir, target);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((n) => !n.startsWith('.') && statSync(join(d, n)).isFile())
    .sort()
    .map((n) => new Uint8Array(readFileSync(join(d, n))));
}

/** Writes inputs into `dir/target` under their content names; returns the paths of new files. */
export function saveCorpus(dir: string, target: string, inputs: readonly Uint8Array[]): string[] {
  const d = join(dir, target);
  mkdirSync(d, { recursive: true });
  const written: string[] = [];
  for (const data of inputs) {
    const p = join(d, contentName(data));
    if (existsSync(p)) continue;
    writeFileSync(p, data);
    written.push(p);
  }
  return written;
}

/** Writes a failure's input as `dir/<target>-<kind>-<digest>` and records the path on it. */
export function saveReproducer(dir: string, f: Failure): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, `${f.target}-${f.kind}-${contentName(f.input)}`);
  writeFileSync(p, f.input);
  f.path = p;
  return p;
}
