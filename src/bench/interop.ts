/**
 * `tquic bench interop`: a download over HTTP/3 on loopback between separate processes, tquic
 * against ngtcp2 (gtlsclient, gtlsserver; Debian packages ngtcp2-client and ngtcp2-server):
 *
 * - gtlsclient downloading from `tquic server`,
 * - `tquic client` downloading from gtlsserver,
 * - `tquic client` downloading from `tquic server`: tquic at both ends, each in its own process
 *   (so each end has a core to itself, as ngtcp2's two processes do),
 * - gtlsclient downloading from gtlsserver: the reference, measured in the same run.
 *
 * Each pair downloads one random file of `--iterations N` MB (default 100; 1 MB = 10^6 bytes)
 * a few times; the figure is the median wall time of the client process, from its start to its
 * exit (process start-up and the handshake included, the same for every pair), and every
 * download is compared with the served file afterwards. The tquic rows give their goodput as a
 * ratio to the reference (the goal, goals.ts: ≥ 0.3). In the suite (`tquic bench`) the rounds
 * are `--runs` (default 3); without ngtcp2 the benchmark throws `BenchUnavailable` and the suite
 * lists it as skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDevCertificate } from '../crypto/certgen.js';
import { getProvider } from '../crypto/index.js';
import { BenchUnavailable, report, type BenchReport, type Measurement } from './harness.js';

const MB = 1_000_000;
const HOST = '127.0.0.1';
/** The built CLI beside this module in dist/, or dist/ seen from src/ when run from the sources. */
function tquicBin(): string {
  for (const rel of ['../cli/bin.js', '../../dist/cli/bin.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new BenchUnavailable('the tquic CLI is not built (npm run build)');
}

export const NOTE =
  'separate processes over 127.0.0.1; time = wall time of the client process from start to exit (start-up and handshake included), median of the rounds; ratio = goodput / gtlsclient←gtlsserver in the same run';

export interface InteropBenchOptions {
  /** Megabytes to download (default 100). */
  iterations?: number;
  /** Downloads per pair (default: `runs`, else 3). */
  rounds?: number;
  /** The suite's `--runs`: the repetition of this benchmark is its own rounds. */
  runs?: number;
  /** tquic's crypto provider (default node). */
  crypto?: 'node' | 'noble';
}

export interface InteropReport extends BenchReport {
  note: string;
}

function findBinary(name: string): string {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    if (d === '') continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  throw new BenchUnavailable(`${name} not found: the interop benchmark needs ngtcp2 (apt-get install -y ngtcp2-client ngtcp2-server)`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function portBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(true);
    });
    s.bind(port, HOST, () => s.close(() => resolve(false)));
  });
}

/** Runs a client to completion; resolves with its wall time in seconds, rejects on failure. */
function timeClient(cmd: string, args: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const s = (performance.now() - t0) / 1e3;
      if (code === 0) resolve(s);
      else reject(new Error(`${cmd} exited with ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

export async function run(opts: InteropBenchOptions = {}): Promise<InteropReport> {
  const mb = opts.iterations ?? 100;
  const rounds = opts.rounds ?? opts.runs ?? 3;
  const crypto = opts.crypto ?? 'node';
  const gtlsclient = findBinary('gtlsclient');
  const gtlsserver = findBinary('gtlsserver');
  const TQUIC_BIN = tquicBin();
  const dir = mkdtempSync(join(tmpdir(), 'tquic-bench-interop-'));
  const procs: ChildProcess[] = [];
  try {
    const www = join(dir, 'www');
    mkdirSync(www);
    const name = `${mb}M.bin`;
    const bytes = mb * MB;
    const body = Buffer.from(getProvider('node').randomBytes(bytes));
    writeFileSync(join(www, name), body);
    const pem = await generateDevCertificate({ hosts: ['localhost', HOST] });
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, pem.certPem);
    writeFileSync(key, pem.keyPem);

    // gtlsserver, once its socket is bound.
    const gtlsPort = await freePort();
    const gs = spawn(gtlsserver, ['-q', '-d', www, HOST, String(gtlsPort), key, cert], { stdio: 'ignore' });
    procs.push(gs);
    for (let i = 0; i < 100 && !(await portBound(gtlsPort)); i++) await new Promise((r) => setTimeout(r, 50));

    // tquic server, once it prints its address.
    const ts = spawn(process.execPath, [TQUIC_BIN, 'server', '--cert', cert, '--key', key, '--root', www, '--port', '0', '--alpn', 'h3', '--crypto', crypto], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    procs.push(ts);
    const tquicPort = await new Promise<number>((resolve, reject) => {
      let out = '';
      ts.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on \S+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      ts.once('exit', (code) => reject(new Error(`tquic server exited with ${code}`)));
    });

    const url = (port: number): string => `https://${HOST}:${port}/${name}`;
    const timeoutMs = Math.max(60_000, mb * 2000);
    const pairs = [
      {
        client: 'gtlsclient',
        server: 'tquic',
        cmd: (out: string): [string, string[]] => [
          gtlsclient,
          ['-q', '--no-quic-dump', '--no-http-dump', '--exit-on-all-streams-close', '--download', out, HOST, String(tquicPort), url(tquicPort)],
        ],
      },
      {
        client: 'tquic',
        server: 'gtlsserver',
        cmd: (out: string): [string, string[]] => [process.execPath, [TQUIC_BIN, 'client', url(gtlsPort), '--insecure', '--alpn', 'h3', '--crypto', crypto, '--output', out]],
      },
      {
        client: 'tquic',
        server: 'tquic',
        cmd: (out: string): [string, string[]] => [process.execPath, [TQUIC_BIN, 'client', url(tquicPort), '--insecure', '--alpn', 'h3', '--crypto', crypto, '--output', out]],
      },
      {
        client: 'gtlsclient',
        server: 'gtlsserver',
        cmd: (out: string): [string, string[]] => [
          gtlsclient,
          ['-q', '--no-quic-dump', '--no-http-dump', '--exit-on-all-streams-close', '--download', out, HOST, String(gtlsPort), url(gtlsPort)],
        ],
      },
    ];
    const medians: number[] = [];
    for (const [i, pair] of pairs.entries()) {
      const times: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const out = join(dir, `out-${i}-${r}`);
        mkdirSync(out);
        const [cmd, args] = pair.cmd(out);
        times.push(await timeClient(cmd, args, timeoutMs));
        const file = join(out, name);
        if (!readFileSync(file).equals(body)) throw new Error(`${pair.client}←${pair.server}: the downloaded file differs`);
        rmSync(out, { recursive: true, force: true });
      }
      times.sort((a, b) => a - b);
      medians.push(times[times.length >> 1]!);
    }
    const reference = medians[pairs.length - 1]!;
    const results: Measurement[] = pairs.map((pair, i) => {
      const s = medians[i]!;
      return {
        name: `h3 download ${mb} MB`,
        labels: {
          client: pair.client,
          server: pair.server,
          crypto: pair.client === 'tquic' || pair.server === 'tquic' ? crypto : '-',
          'Mbit/s': ((bytes * 8) / s / 1e6).toFixed(0),
          ratio: (reference / s).toFixed(3),
        },
        values: { 'Mbit/s': (bytes * 8) / s / 1e6, ratio: reference / s },
        usPerOp: s * 1e6,
        opsPerSec: 1 / s,
        bytesPerOp: bytes,
        gbps: (bytes * 8) / s / 1e9,
        rounds,
        opsPerRound: 1,
      };
    });
    return { ...report('interop', results), note: NOTE };
  } finally {
    await Promise.all(procs.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}
