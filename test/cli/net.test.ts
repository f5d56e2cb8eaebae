/**
 * `tquic server` and `tquic client` as processes (the built CLI in dist/, which `npm test`
 * builds first): the server prints its address, the client downloads files into a directory,
 * a missing file fails only its own request, and SIGINT stops the server cleanly. The server
 * offers FEC (--fec rs): clients that do not are served without it, a client with --fec gets it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../dist/cli/bin.js');
let dir: string;
let server: ChildProcess | undefined;
let port = 0;

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tquic-cli-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'big.bin'), randomBytes(3 << 20));
  writeFileSync(join(dir, 'www', 'small.txt'), 'hello over QUIC\n');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  const cert = await run(['cert', '--out', dir]);
  expect(cert.code).toBe(0);
  server = spawn(process.execPath, [BIN, 'server', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--port', '0', '--root', join(dir, 'www'), '--fec', 'rs', '--fec-ratio', '8:2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    server!.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    server!.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}, 30_000);

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('tquic server / tquic client', () => {
  it('downloads files into --output with identical bytes and a summary line', async () => {
    const out = join(dir, 'dl1');
    const r = await run(['client', `https://127.0.0.1:${port}/big.bin`, `https://127.0.0.1:${port}/small.txt`, '--insecure', '--output', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^2\/2 ok, .* packets lost\n$/);
    expect(sha(readFileSync(join(out, 'big.bin')))).toBe(sha(readFileSync(join(dir, 'www', 'big.bin'))));
    expect(readFileSync(join(out, 'small.txt'), 'utf8')).toBe('hello over QUIC\n');
  }, 30_000);

  it('--fec at both ends: the download is protected (the summary counts the repairs received)', async () => {
    const out = join(dir, 'dl-fec');
    const r = await run(['client', `https://127.0.0.1:${port}/big.bin`, '--insecure', '--fec', 'xor', '--output', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const m = /FEC rs: (\d+) repairs received, (\d+) packets recovered/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    // 3 MB in about 2200 packets, 2 repairs per 8.
    expect(Number(m![1])).toBeGreaterThan(400);
    expect(sha(readFileSync(join(out, 'big.bin')))).toBe(sha(readFileSync(join(dir, 'www', 'big.bin'))));
  }, 30_000);

  it('a missing file and a path outside the root fail only their own requests (exit 1)', async () => {
    const out = join(dir, 'dl2');
    const r = await run(['client', `https://127.0.0.1:${port}/small.txt`, `https://127.0.0.1:${port}/missing`, `https://127.0.0.1:${port}/../secret.txt`, '--insecure', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^1\/3 ok/);
    expect(r.err).toContain('/missing');
    expect(readFileSync(join(out, 'small.txt'), 'utf8')).toBe('hello over QUIC\n');
  }, 30_000);

  it('verifying against the wrong CA fails with one readable line', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tquic-ca-'));
    try {
      expect((await run(['cert', '--out', other])).code).toBe(0);
      const r = await run(['client', `https://127.0.0.1:${port}/small.txt`, '--ca', join(other, 'cert.pem'), '--output', join(dir, 'dl3')]);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^tquic client: /);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 30_000);

  it('SIGINT stops the server with exit code 0', async () => {
    const s = server!;
    const exited = new Promise<number | null>((resolve) => s.on('exit', (code) => resolve(code)));
    s.kill('SIGINT');
    expect(await exited).toBe(0);
    server = undefined;
  }, 15_000);
});
