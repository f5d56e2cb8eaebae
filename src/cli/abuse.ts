/**
 * `tquic abuse [--datagrams N] [--bytes N] [--seed S] [--rate N] [--mix CAT=W,...]
 * [--target HOST:PORT [--path P] [--sha256 HEX]] [--max-heap-mb N] [--crypto NAME]
 * [--max-connections N] [--retry MODE] [--settle S] [--json] [--out FILE]`: live abuse of a running
 * server (stress/abuse.ts). Random and mutated datagrams by category (stress/attack.ts) flood a
 * tquic server — by default a child process of this command, which reports its memory —
 * while a legitimate client downloads a file and checks it; the report gives the datagrams per
 * category and what the server answered to each, both transfers (without and under the flood),
 * the server's memory at baseline, peak and end and its counters, and a verdict.
 *
 * Progress goes to stderr, the report to stdout (JSON with --json); --out also writes the JSON.
 * Exit status: 0 when the verdict passes; 1 when a transfer failed or differed, the server died,
 * its memory exceeded --max-heap-mb or an answer amplified the attack; 2 for bad usage.
 */
import { writeFileSync } from 'node:fs';
import { PROVIDER_NAMES } from '../crypto/index.js';
import { parseMix } from '../stress/attack.js';
import { DEFAULT_BYTES, DEFAULT_DATAGRAMS, DEFAULT_MAX_HEAP_MB, formatAbuse, runAbuse, type AbuseOptions } from '../stress/abuse.js';
import { fail, int } from './net-options.js';

export default async function abuse(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length > 0) return fail('abuse', `unexpected argument '${positionals[0]}'`, 2);
  const o: AbuseOptions = {};
  try {
    o.datagrams = int(values.datagrams, 'datagrams', DEFAULT_DATAGRAMS);
    o.bytes = int(values.bytes, 'bytes', DEFAULT_BYTES);
    if (o.bytes === 0) throw new RangeError('--bytes must be positive');
    o.seed = int(values.seed, 'seed', 1);
    if (values.rate !== undefined) {
      o.rate = int(values.rate, 'rate', 0);
      if (o.rate === 0) throw new RangeError('--rate must be positive');
    }
    if (typeof values.mix === 'string') o.mix = parseMix(values.mix);
    o.maxHeapMb = int(values['max-heap-mb'], 'max-heap-mb', DEFAULT_MAX_HEAP_MB);
    if (values['max-connections'] !== undefined) o.maxConnections = int(values['max-connections'], 'max-connections', 0);
    if (values.retry !== undefined) {
      if (values.retry !== 'always' && values.retry !== 'auto' && values.retry !== 'never') throw new RangeError(`--retry is always, auto or never, not '${String(values.retry)}'`);
      o.retry = values.retry;
    }
    if (values.settle !== undefined) o.settleMs = 1000 * int(values.settle, 'settle', 15);
    const crypto = typeof values.crypto === 'string' ? values.crypto : 'node';
    if (!(PROVIDER_NAMES as readonly string[]).includes(crypto)) throw new RangeError(`unknown crypto provider '${crypto}' (choose ${PROVIDER_NAMES.join(' or ')})`);
    o.crypto = crypto as 'node' | 'noble';
    if (typeof values.target === 'string') {
      const m = /^\[([^\]]+)\]:(\d+)$/.exec(values.target) ?? /^([^:]+):(\d+)$/.exec(values.target);
      const port = Number(m?.[2]);
      if (m === null || !(port > 0 && port <= 65535)) throw new RangeError(`--target must be HOST:PORT or [HOST]:PORT, got "${values.target}"`);
      const sha256 = typeof values.sha256 === 'string' ? values.sha256.toLowerCase() : undefined;
      if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError('--sha256 must be 64 hex digits');
      o.target = { host: m[1]!, port, path: typeof values.path === 'string' ? values.path : '/abuse.bin', ...(sha256 !== undefined ? { sha256 } : {}) };
    } else if (values.path !== undefined || values.sha256 !== undefined) {
      throw new RangeError('--path and --sha256 go with --target');
    }
  } catch (e) {
    return fail('abuse', (e as Error).message, 2);
  }
  o.log = (line) => void process.stderr.write(line + '\n');
  let report;
  try {
    report = await runAbuse(o);
  } catch (e) {
    return fail('abuse', (e as Error).message, 1);
  }
  const json = JSON.stringify(report, null, 2) + '\n';
  if (typeof values.out === 'string') writeFileSync(values.out, json);
  process.stdout.write(values.json === true ? json : formatAbuse(report) + '\n');
  return report.ok ? 0 : 1;
}

