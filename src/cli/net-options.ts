/** Options shared by `tquic server` and `tquic client`, and one-line error reporting. */
import type { CommonOptions } from '../io/index.js';

/** Writes `tquic CMD: message` to stderr and returns the exit code. */
export function fail(cmd: string, message: string, code: number): number {
  process.stderr.write(`tquic ${cmd}: ${message}\n`);
  return code;
}

/** An integer option ≥ 0, or the default when absent. */
export function int(v: unknown, name: string, def: number): number {
  if (v === undefined) return def;
  const n = typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${name} must be a non-negative integer`);
  return n;
}

/** A comma-separated list option. */
export function listOption(v: unknown): string[] | undefined {
  if (typeof v !== 'string') return undefined;
  const l = v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  return l.length > 0 ? l : undefined;
}

/**
 * ALPN, congestion controller, crypto provider, qlog directory and key log file, from the
 * options or from the QLOGDIR and SSLKEYLOGFILE environment variables (the interop runner's).
 */
export function commonOptions(values: Record<string, unknown>, alpnDefault: string[]): CommonOptions {
  const crypto = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (crypto !== 'node' && crypto !== 'noble') throw new RangeError(`--crypto must be node or noble, not ${crypto}`);
  const qlogDir = typeof values['qlog-dir'] === 'string' ? values['qlog-dir'] : process.env.QLOGDIR || undefined;
  const keylog = typeof values.keylog === 'string' ? values.keylog : process.env.SSLKEYLOGFILE || undefined;
  return {
    alpn: listOption(values.alpn) ?? alpnDefault,
    crypto,
    ...(typeof values.cc === 'string' ? { congestionControl: values.cc } : {}),
    ...(qlogDir ? { qlogDir } : {}),
    ...(keylog ? { keylog } : {}),
  };
}
