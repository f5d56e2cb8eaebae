/**
 * Real peers for interop tests: ngtcp2's HTTP/3 client and server (Debian packages
 * ngtcp2-client and ngtcp2-server: gtlsclient, gtlsserver) and the built tquic CLI as processes.
 *
 * A test that needs a peer that is not installed fails when TQUIC_REQUIRE_PEERS=1 (as in
 * .ci/run, which installs them) and is skipped otherwise, with a message saying why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const TQUIC_BIN = join(import.meta.dirname, '../../dist/cli/bin.js');

/** The absolute path of an executable found in PATH or the usual bin directories, else undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Ngtcp2 {
  client: string;
  server: string;
}

/**
 * ngtcp2's binaries, or undefined (after saying why on stderr) when they are missing and the
 * run does not require them; throws when TQUIC_REQUIRE_PEERS=1 and they are missing.
 */
export function ngtcp2(): Ngtcp2 | undefined {
  const client = findBinary('gtlsclient');
  const server = findBinary('gtlsserver');
  if (client !== undefined && server !== undefined) return { client, server };
  const why = 'ngtcp2 interop tests need gtlsclient and gtlsserver (apt-get install -y ngtcp2-client ngtcp2-server)';
  if (process.env.TQUIC_REQUIRE_PEERS === '1') throw new Error(`${why}: not found, and TQUIC_REQUIRE_PEERS=1`);
  process.stderr.write(`skipping: ${why}\n`);
  return undefined;
}

/** A UDP port that was free a moment ago on 127.0.0.1 (for peers that cannot pick their own). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs a command to completion (killed after `timeoutMs`), collecting its output. */
export function run(cmd: string, args: string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

/** Runs the tquic CLI (dist/, built by `npm test`'s pretest). */
export function tquic(args: string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<Exit> {
  return run(process.execPath, [TQUIC_BIN, ...args], timeoutMs, env);
}

/** A long-running peer process; `stop()` sends SIGTERM and waits for it to exit. */
export class PeerProcess {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(readonly proc: ChildProcess) {
    proc.stdout?.on('data', (b: Buffer) => (this.out += b.toString()));
    proc.stderr?.on('data', (b: Buffer) => (this.err += b.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/**
 * Starts `tquic server` and resolves once it prints `listening on HOST:PORT`, with that port.
 * Rejects if it exits first.
 */
export async function startTquicServer(args: string[], env?: NodeJS.ProcessEnv): Promise<{ server: PeerProcess; port: number }> {
  const server = new PeerProcess(
    spawn(process.execPath, [TQUIC_BIN, 'server', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (): void => {
      const m = /listening on [^\s]+:(\d+)/.exec(server.out);
      if (m) resolve(Number(m[1]));
    };
    server.proc.stdout!.on('data', onData);
    void server.exited.then((code) => reject(new Error(`tquic server exited with ${code}: ${server.err.trim()}`)));
  });
  return { server, port };
}

/**
 * Starts gtlsserver serving `www` on 127.0.0.1:`port` and resolves once its socket is bound
 * (probed by binding the same port, which fails while the server holds it).
 */
export async function startGtlsServer(bin: string, o: { www: string; key: string; cert: string; port: number; args?: string[] }): Promise<PeerProcess> {
  const server = new PeerProcess(spawn(bin, ['-q', '-d', o.www, ...(o.args ?? []), '127.0.0.1', String(o.port), o.key, o.cert], { stdio: ['ignore', 'pipe', 'pipe'] }));
  for (let i = 0; i < 100; i++) {
    if (server.proc.exitCode !== null) throw new Error(`gtlsserver exited with ${server.proc.exitCode}: ${server.err.trim()}`);
    if (!(await udpPortFree(o.port))) return server;
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop();
  throw new Error('gtlsserver did not bind its port within 5 s');
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** gtlsclient downloading `urls` into `out` (quiet, exits when every stream closed). */
export function gtlsClient(bin: string, port: number, urls: string[], out: string, args: string[] = [], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<Exit> {
  return run(bin, ['-q', '--no-quic-dump', '--no-http-dump', '--exit-on-all-streams-close', '--download', out, ...args, '127.0.0.1', String(port), ...urls], timeoutMs, env);
}

/** SHA-256 of some bytes, in hex. */
export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A source of fresh, empty output directories below `parent()`: out0, out1, … */
export function outputDirs(parent: () => string): () => string {
  let n = 0;
  return () => {
    const d = join(parent(), `out${n++}`);
    mkdirSync(d);
    return d;
  };
}

/**
 * The working directory of an interop test file: `www/` with random files of the given sizes
 * (their SHA-256 in `hashes`), a development certificate (`cert`, `key`), fresh output
 * directories from `newOut()`, and the peer processes to stop in `cleanup()`.
 */
export class InteropDir {
  readonly www: string;
  readonly cert: string;
  readonly key: string;
  readonly hashes = new Map<string, string>();
  readonly servers: PeerProcess[] = [];
  readonly newOut: () => string;

  private constructor(readonly dir: string) {
    this.www = join(dir, 'www');
    this.cert = join(dir, 'cert.pem');
    this.key = join(dir, 'key.pem');
    this.newOut = outputDirs(() => dir);
  }

  static async create(prefix: string, files: Record<string, number>): Promise<InteropDir> {
    const d = new InteropDir(mkdtempSync(join(tmpdir(), prefix)));
    mkdirSync(d.www);
    for (const [name, size] of Object.entries(files)) {
      const b = randomBytes(size);
      writeFileSync(join(d.www, name), b);
      d.hashes.set(name, sha256Hex(b));
    }
    const r = await tquic(['cert', '--out', d.dir]);
    if (r.code !== 0) throw new Error(`tquic cert failed: ${r.err}`);
    return d;
  }

  async cleanup(): Promise<void> {
    for (const s of this.servers) await s.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
