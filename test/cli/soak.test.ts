/** `tquic soak`: the fault matrix from the command line (one cell, one seed: fast). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/capture.js';

afterEach(() => vi.restoreAllMocks());

const CELL = ['loss=5', 'reorder=on', 'duplicate=off', 'corrupt=on', 'blackhole=off', 'rebind=on', 'multipath=off', 'fec=on'];

describe('tquic soak', () => {
  it('plays the selected cell and seed, prints the summary and progress, exits 0', async () => {
    const c = capture();
    expect(await main(['soak', '--seed', '3', '--filter', ...CELL])).toBe(0);
    const out = c.out();
    expect(out).toMatch(/^1 run: 1 cell × seed 3;/);
    expect(out).toMatch(/^loss 5%\s+1\s+1\s+0\s+0\s+0\s+0\s+0$/m);
    expect(out).toMatch(/^total\s+1\s+1\s/m);
    expect(out).toMatch(/faults injected: [1-9]\d* \(/);
    expect(out).toContain('no hangs, corruptions, invariant violations or crashes');
    // Progress on stderr: plain lines when stderr is not a terminal.
    expect(c.err()).toContain('tquic soak: 1 runs (1 cells × 1 seeds, subset full)');
    expect(c.err()).toMatch(/soak: 1\/1 runs \(100%\), 0 failures/);
  }, 30_000);

  it('--json prints the summary as JSON and --out writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tquic-soak-'));
    try {
      const file = join(dir, 'soak.json');
      const c = capture();
      expect(await main(['soak', '--seeds', '2', '--subset', 'ci', '--filter', 'loss=0', '--filter', 'multipath=off', '--json', '--out', file])).toBe(0);
      const doc = JSON.parse(c.out()) as { subset: string; runs: number; seeds: number[]; outcomes: { completed: number; error: number }; failures: unknown[]; ok: boolean };
      expect(doc.subset).toBe('ci');
      expect(doc.seeds).toEqual([1, 2]);
      expect(doc.runs).toBeGreaterThan(0);
      expect(doc.outcomes.completed + doc.outcomes.error).toBe(doc.runs);
      expect(doc.failures).toEqual([]);
      expect(doc.ok).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('rejects bad arguments with exit 2', async () => {
    for (const args of [['--filter', 'loss=2'], ['--filter', 'wind=on'], ['--subset', 'some'], ['--seeds', '0'], ['--seeds', '2', '--seed', '1'], ['--crypto', 'rot13'], ['stray']]) {
      const c = capture();
      expect(await main(['soak', ...args]), args.join(' ')).toBe(2);
      expect(c.err()).toContain('tquic soak:');
      vi.restoreAllMocks();
    }
  });

  it('is listed in the help', async () => {
    const c = capture();
    expect(await main(['--help'])).toBe(0);
    expect(c.out()).toMatch(/^ {2}soak\b/m);
    vi.restoreAllMocks();
    const d = capture();
    expect(await main(['soak', '--help'])).toBe(0);
    expect(d.out()).toContain('--filter');
  });
});
