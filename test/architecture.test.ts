/**
 * Enforces the layering of ARCHITECTURE.md: a module imports only from its own folder or from
 * lower layers; only src/crypto may import node:crypto; nothing below the edges imports node:*;
 * io/ and sim/ never import each other; the core never reads a clock or draws unseeded
 * randomness.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

/** Rank of each top folder of src/. A module may import a strictly lower rank (or its own folder). */
const RANK: Record<string, number> = {
  util: 0,
  wire: 1,
  crypto: 1.5, // crypto may use wire's packet-number and error helpers, never the reverse
  qlog: 1.5,
  recovery: 2,
  flow: 2,
  fec: 2,
  streams: 3,
  paths: 3,
  connection: 4,
  endpoint: 5,
  plugins: 5, // registers plug-ins in the registries of the layers below; loads their modules
  io: 6,
  sim: 6,
  http: 7,
  bench: 8.5, // may run stress/'s server child (a server in a process of its own)
  fuzz: 8, // the coverage-guided fuzzer and its targets
  stress: 8, // live abuse of a running endpoint, loopback soak
  cli: 9,
  '.': 10, // src/index.ts, the public API
};
const CORE = new Set(['util', 'wire', 'crypto', 'qlog', 'recovery', 'flow', 'fec', 'streams', 'paths', 'connection', 'endpoint']);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function topFolder(file: string): string {
  const rel = relative(SRC, file);
  const parts = rel.split(/[\\/]/);
  return parts.length === 1 ? '.' : parts[0]!;
}

const files = walk(SRC);
const importRe = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('architecture', () => {
  it('every folder of src/ has a layer', () => {
    for (const f of files) expect(RANK[topFolder(f)], `${relative(SRC, f)} is in an unranked folder`).toBeDefined();
  });

  it('imports follow the layering', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = topFolder(f);
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2]!;
        const rel = relative(SRC, f);
        if (spec.startsWith('node:') || !spec.startsWith('.')) {
          const mod = spec.replace(/^node:/, '');
          const isNodeBuiltin = spec.startsWith('node:');
          if (isNodeBuiltin && mod === 'crypto' && from !== 'crypto') violations.push(`${rel}: node:crypto outside crypto/`);
          if (isNodeBuiltin && mod !== 'crypto' && CORE.has(from)) violations.push(`${rel}: core imports ${spec}`);
          continue;
        }
        const target = topFolder(resolve(dirname(f), spec));
        if (target === from) continue;
        if ((from === 'io' && target === 'sim') || (from === 'sim' && target === 'io')) violations.push(`${rel}: io/sim cross import`);
        else if (!(RANK[target]! < RANK[from]!)) violations.push(`${rel} (${from}) imports ${spec} (${target})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the core never reads a clock, arms a timer or draws unseeded randomness (DESIGN §1)', () => {
    const bad = /\b(Date\.now|performance\.now|process\.hrtime|setTimeout|setInterval|setImmediate|Math\.random)\s*\(/;
    const hits = files
      .filter((f) => CORE.has(topFolder(f)))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => [line, i] as const)
          .filter(([line]) => bad.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*'))
          .map(([, i]) => `${relative(SRC, f)}:${i + 1}`),
      );
    expect(hits).toEqual([]);
  });
});
