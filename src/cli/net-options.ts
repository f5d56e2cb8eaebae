/** Options shared by `tquic server` and `tquic client`, and one-line error reporting. */
import { checkFecConfig, type FecConfig, type FecSchemeName } from '../connection/fec.js';
import type { CommonOptions } from '../io/index.js';
import { ALL_SUITES, suiteInfo, type CipherSuite } from '../crypto/provider.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';

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

/** A positive number of seconds (fractions allowed) as milliseconds, or the default when absent. */
export function secondsOption(v: unknown, name: string, defMs: number): number {
  if (v === undefined) return defMs;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`--${name} must be a positive number of seconds`);
  return Math.round(n * 1000);
}

/** Short names of the cipher suites, beside their IANA names and code points. */
const SUITE_ALIASES: Record<string, CipherSuite> = {
  'aes-128-gcm': 0x1301,
  aes128gcm: 0x1301,
  'aes-256-gcm': 0x1302,
  aes256gcm: 0x1302,
  chacha20: 0x1303,
  'chacha20-poly1305': 0x1303,
};

/**
 * `--cipher-suites`: a comma-separated list of TLS 1.3 suites in preference order, each as its
 * IANA name (TLS_CHACHA20_POLY1305_SHA256), a short name (aes-128-gcm, aes-256-gcm, chacha20)
 * or its code point (0x1303).
 */
export function cipherSuitesOption(v: unknown): CipherSuite[] | undefined {
  const names = listOption(v);
  if (names === undefined) {
    if (v !== undefined) throw new RangeError('--cipher-suites: name at least one cipher suite');
    return undefined;
  }
  return names.map((name) => {
    const key = name.toLowerCase();
    const alias = SUITE_ALIASES[key];
    if (alias !== undefined) return alias;
    const byName = ALL_SUITES.find((s) => suiteInfo(s).name.toLowerCase() === key);
    if (byName !== undefined) return byName;
    const byCode = /^0x[0-9a-f]{1,4}$/.test(key) ? ALL_SUITES.find((s) => s === Number(key)) : undefined;
    if (byCode !== undefined) return byCode;
    const known = ALL_SUITES.map((s) => suiteInfo(s).name).join(', ');
    throw new RangeError(`--cipher-suites: unknown cipher suite ${name} (known: ${known}, or aes-128-gcm, aes-256-gcm, chacha20)`);
  });
}

/** `--version`: v1, v2, or a version number (1, 0x6b3343cf); only versions tquic speaks. */
export function versionOption(v: unknown, name = 'version'): number | undefined {
  if (typeof v !== 'string') return undefined;
  const key = v.trim().toLowerCase();
  const n = key === 'v1' ? QUIC_V1 : key === 'v2' ? QUIC_V2 : /^(0x[0-9a-f]{1,8}|[0-9]+)$/.test(key) ? Number(key) >>> 0 : NaN;
  if (n !== QUIC_V1 && n !== QUIC_V2) throw new RangeError(`--${name}: unsupported QUIC version ${v} (v1 or v2)`);
  return n;
}

/** `--versions`: a comma-separated list of versions in preference order (see versionOption). */
export function versionsOption(v: unknown): number[] | undefined {
  const names = listOption(v);
  if (names === undefined) {
    if (v !== undefined) throw new RangeError('--versions: name at least one QUIC version');
    return undefined;
  }
  return names.map((x) => versionOption(x, 'versions')!);
}

/** `--fec rs|xor|rlc|rlc2|off`, `--fec-ratio k:r`, `--fec-adaptive` (specs/fec.md). */
export function fecOption(values: Record<string, unknown>): FecConfig | undefined {
  const scheme = values.fec;
  if (scheme === undefined) {
    if (values['fec-ratio'] !== undefined || values['fec-adaptive'] === true) throw new RangeError('--fec-ratio and --fec-adaptive need --fec');
    return undefined;
  }
  if (typeof scheme !== 'string') throw new RangeError('--fec needs a code: rs, xor, rlc, rlc2 or off');
  const off = scheme === 'off';
  const fec: FecConfig = {
    ...(off ? { policy: 'off' } : { scheme: scheme as FecSchemeName }),
    ...(typeof values['fec-ratio'] === 'string' ? { ratio: values['fec-ratio'] } : {}),
    ...(values['fec-adaptive'] === true ? { adaptive: true } : {}),
  };
  try {
    checkFecConfig(fec);
  } catch (e) {
    throw new RangeError(`--fec: ${(e as Error).message}`);
  }
  return fec;
}

/** A comma-separated list option. */
export function listOption(v: unknown): string[] | undefined {
  if (typeof v !== 'string') return undefined;
  const l = v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  return l.length > 0 ? l : undefined;
}

/**
 * ALPN, congestion controller, crypto provider, cipher suites, qlog directory and key log file,
 * from the options or from the QLOGDIR and SSLKEYLOGFILE environment variables (the interop
 * runner's).
 */
export function commonOptions(values: Record<string, unknown>, alpnDefault: string[]): CommonOptions {
  const crypto = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (crypto !== 'node' && crypto !== 'noble') throw new RangeError(`--crypto must be node or noble, not ${crypto}`);
  const qlogDir = typeof values['qlog-dir'] === 'string' ? values['qlog-dir'] : process.env.QLOGDIR || undefined;
  const keylog = typeof values.keylog === 'string' ? values.keylog : process.env.SSLKEYLOGFILE || undefined;
  const cipherSuites = cipherSuitesOption(values['cipher-suites']);
  const versions = versionsOption(values.versions);
  // RFC 9000 §14: the ceiling of path MTU discovery, or the fixed size without it.
  const transport: NonNullable<CommonOptions['transport']> = {};
  if (values['max-datagram-size'] !== undefined) {
    const size = int(values['max-datagram-size'], 'max-datagram-size', 1452);
    if (size < 1200 || size > 65527) throw new RangeError('--max-datagram-size must be 1200..65527 (RFC 9000 §14)');
    transport.maxDatagramSize = size;
  }
  if (values['no-pmtud'] === true) transport.pmtud = false;
  // draft-ietf-quic-multipath-21: offered when any multipath option is given.
  const paths = listOption(values.paths);
  const multipath =
    values['max-paths'] !== undefined || typeof values.scheduler === 'string' || paths !== undefined
      ? {
          maxPathId: values['max-paths'] !== undefined ? int(values['max-paths'], 'max-paths', 4) : Math.max(4, (paths?.length ?? 0) + 1),
          ...(typeof values.scheduler === 'string' ? { scheduler: values.scheduler } : {}),
        }
      : undefined;
  const fec = fecOption(values);
  return {
    ...(multipath !== undefined ? { multipath } : {}),
    ...(fec !== undefined ? { fec } : {}),
    ...(Object.keys(transport).length > 0 ? { transport } : {}),
    alpn: listOption(values.alpn) ?? alpnDefault,
    crypto,
    ...(cipherSuites !== undefined ? { cipherSuites } : {}),
    ...(versions !== undefined ? { versions } : {}),
    ...(typeof values.cc === 'string' ? { congestionControl: values.cc } : {}),
    ...(qlogDir ? { qlogDir } : {}),
    ...(keylog ? { keylog } : {}),
  };
}
