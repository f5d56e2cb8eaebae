/**
 * interop/run_endpoint.sh, the quic-interop-runner endpoint script, run as the runner would but
 * with local directories: ROLE=server serves WWW_DIR with CERTS_DIR/cert.pem and priv.key, and
 * ROLE=client downloads REQUESTS into DOWNLOADS_DIR, through the built CLI in dist/ (which
 * `npm test` builds first). Unsupported test cases exit with 127.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../interop/run_endpoint.sh');
const BIN = join(import.meta.dirname, '../../dist/cli/bin.js');
const CHACHA = 'TLS_CHACHA20_POLY1305_SHA256';

/** Variables of the contract that must not leak in from the environment running the tests. */
const CONTRACT = [
  'ROLE', 'TESTCASE', 'REQUESTS', 'QLOGDIR', 'SSLKEYLOGFILE', 'SERVER_PARAMS', 'CLIENT_PARAMS', 'PORT', 'LISTEN_HOST',
  'WWW_DIR', 'DOWNLOADS_DIR', 'CERTS_DIR', 'TQUIC_BIN', 'VERBOSE', 'HANDSHAKE_TIMEOUT', 'PREFERRED_ADDRESS',
];

let dir: string;
const servers: ChildProcess[] = [];

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function scriptEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of CONTRACT) delete env[k];
  // The script's default TQUIC_BIN is `node <repo>/dist/cli/bin.js`: this node first on PATH.
  env.PATH = `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`;
  return { ...env, SKIP_SETUP: '1', ...vars };
}

function run(vars: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn(SCRIPT, [], { env: scriptEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

interface Server {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
}

/** ROLE=server on 127.0.0.1 with PORT=0; resolves with the port the server printed. */
async function startServer(vars: Record<string, string>): Promise<Server> {
  const proc = spawn(SCRIPT, [], {
    env: scriptEnv({ ROLE: 'server', PORT: '0', LISTEN_HOST: '127.0.0.1', WWW_DIR: join(dir, 'www'), CERTS_DIR: join(dir, 'certs'), ...vars }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(proc);
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const m = /listening on \S+:(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
  return { proc, port, stderr: () => err };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sameFile = (a: string, b: string): boolean => sha(readFileSync(a)) === sha(readFileSync(b));
const urls = (port: number, ...names: string[]): string => names.map((n) => `https://127.0.0.1:${port}/${n}`).join(' ');

let server: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tquic-interop-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'one.bin'), randomBytes(1 << 20));
  writeFileSync(join(dir, 'www', 'two.bin'), randomBytes(300_000));
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'www', `small${i}.txt`), `small file ${i}\n`);
  const cert = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [BIN, 'cert', '--out', join(dir, 'certs')], { stdio: 'ignore' }).on('close', resolve);
  });
  expect(cert).toBe(0);
  // The runner names the key priv.key.
  renameSync(join(dir, 'certs', 'key.pem'), join(dir, 'certs', 'priv.key'));
  server = await startServer({ TESTCASE: 'transfer' });
}, 20_000);

afterAll(() => {
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('interop/run_endpoint.sh', () => {
  it('transfer: both files over one connection, identical bytes, key log and qlog written', async () => {
    const downloads = join(dir, 'dl-transfer');
    const qlog = join(dir, 'qlog-transfer');
    const keys = join(dir, 'logs', 'keys.log');
    const r = await run({
      ROLE: 'client',
      TESTCASE: 'transfer',
      REQUESTS: urls(server.port, 'one.bin', 'two.bin'),
      DOWNLOADS_DIR: downloads,
      QLOGDIR: qlog,
      SSLKEYLOGFILE: keys,
    });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^2\/2 ok/);
    expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
    expect(sameFile(join(downloads, 'two.bin'), join(dir, 'www', 'two.bin'))).toBe(true);
    expect(r.err.match(/connected to/g)).toHaveLength(1);
    expect(readdirSync(qlog).filter((f) => f.endsWith('_client.sqlog'))).toHaveLength(1);
    const keylog = readFileSync(keys, 'utf8');
    expect(keylog).toContain('CLIENT_HANDSHAKE_TRAFFIC_SECRET ');
    expect(keylog).toContain('CLIENT_TRAFFIC_SECRET_0 ');
  }, 20_000);

  it('chacha20: the connection uses TLS_CHACHA20_POLY1305_SHA256', async () => {
    const downloads = join(dir, 'dl-chacha20');
    const before = server.stderr().length;
    const r = await run({ ROLE: 'client', TESTCASE: 'chacha20', REQUESTS: urls(server.port, 'one.bin'), DOWNLOADS_DIR: downloads });
    expect(r.code, r.err).toBe(0);
    expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
    // The server prefers AES-128-GCM, so ChaCha20 is chosen only because nothing else was offered.
    expect(r.err).toContain(`hq-interop, ${CHACHA}`);
    await expect.poll(() => server.stderr().slice(before)).toContain(`hq-interop, ${CHACHA}`);
  }, 20_000);

  it('chacha20: the client offers nothing else (a server accepting only AES-128-GCM refuses it)', async () => {
    const aesOnly = await startServer({ TESTCASE: 'transfer', SERVER_PARAMS: '--cipher-suites TLS_AES_128_GCM_SHA256' });
    try {
      const refused = await run({ ROLE: 'client', TESTCASE: 'chacha20', REQUESTS: urls(aesOnly.port, 'small0.txt'), DOWNLOADS_DIR: join(dir, 'dl-refused') });
      expect(refused.code).toBe(1);
      expect(existsSync(join(dir, 'dl-refused', 'small0.txt'))).toBe(false);
      const ok = await run({ ROLE: 'client', TESTCASE: 'transfer', REQUESTS: urls(aesOnly.port, 'small0.txt'), DOWNLOADS_DIR: join(dir, 'dl-aes') });
      expect(ok.code, ok.err).toBe(0);
      expect(ok.err).toContain('TLS_AES_128_GCM_SHA256');
    } finally {
      aesOnly.proc.kill('SIGKILL');
    }
  }, 20_000);

  it('multiconnect (handshakeloss, handshakecorruption): one connection per request, every file downloaded', async () => {
    for (const testcase of ['multiconnect', 'handshakeloss']) {
      const downloads = join(dir, `dl-${testcase}`);
      const qlog = join(dir, `qlog-${testcase}`);
      const names = ['small0.txt', 'small1.txt', 'small2.txt'];
      const r = await run({ ROLE: 'client', TESTCASE: testcase, REQUESTS: urls(server.port, ...names), DOWNLOADS_DIR: downloads, QLOGDIR: qlog });
      expect(r.code, r.err).toBe(0);
      for (const n of names) expect(readFileSync(join(downloads, n), 'utf8')).toBe(readFileSync(join(dir, 'www', n), 'utf8'));
      expect(r.err.match(/connected to/g)).toHaveLength(3);
      expect(readdirSync(qlog).filter((f) => f.endsWith('_client.sqlog'))).toHaveLength(3);
    }
  }, 20_000);

  it('http3: three files in parallel over one HTTP/3 connection, both sides on h3', async () => {
    const h3 = await startServer({ TESTCASE: 'http3' });
    try {
      const downloads = join(dir, 'dl-http3');
      const names = ['small0.txt', 'small1.txt', 'two.bin'];
      const r = await run({ ROLE: 'client', TESTCASE: 'http3', REQUESTS: urls(h3.port, ...names), DOWNLOADS_DIR: downloads });
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^3\/3 ok/);
      for (const n of names) expect(sameFile(join(downloads, n), join(dir, 'www', n))).toBe(true);
      expect(r.err).toMatch(/connected to .*, h3, /);
      expect(r.err.match(/connected to/g)).toHaveLength(1);
      await expect.poll(() => h3.stderr()).toMatch(/connection from .*, h3, /);
      // The transfer server speaks only hq-interop: an http3 client cannot agree on a protocol.
      const refused = await run({ ROLE: 'client', TESTCASE: 'http3', REQUESTS: urls(server.port, 'small0.txt'), DOWNLOADS_DIR: join(dir, 'dl-http3-refused') });
      expect(refused.code).toBe(1);
    } finally {
      h3.proc.kill('SIGKILL');
    }
  }, 20_000);

  it('keyupdate: the client starts a key update during the download', async () => {
    const downloads = join(dir, 'dl-keyupdate');
    const r = await run({ ROLE: 'client', TESTCASE: 'keyupdate', REQUESTS: urls(server.port, 'one.bin'), DOWNLOADS_DIR: downloads });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('key update started');
    expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
  }, 20_000);

  it('connectionmigration: the server offers a preferred address, the client moves there mid-download', async () => {
    const port2 = await freeUdpPort();
    const pm = await startServer({ TESTCASE: 'connectionmigration', PREFERRED_ADDRESS: `127.0.0.1:${port2}` });
    try {
      const downloads = join(dir, 'dl-connectionmigration');
      const r = await run({ ROLE: 'client', TESTCASE: 'connectionmigration', REQUESTS: urls(pm.port, 'one.bin'), DOWNLOADS_DIR: downloads });
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`path preferred_address validated: `);
      expect(r.err).toContain(`-> 127.0.0.1:${port2}`);
      expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
    } finally {
      pm.proc.kill('SIGKILL');
    }
  }, 20_000);

  it('retry: the server sends a Retry, the client echoes its token and downloads the file', async () => {
    const qlog = join(dir, 'qlog-retry-server');
    const retry = await startServer({ TESTCASE: 'retry', QLOGDIR: qlog });
    try {
      const downloads = join(dir, 'dl-retry');
      const r = await run({ ROLE: 'client', TESTCASE: 'retry', REQUESTS: urls(retry.port, 'one.bin'), DOWNLOADS_DIR: downloads });
      expect(r.code, r.err).toBe(0);
      expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
      await expect.poll(() => retry.stderr()).toMatch(/connection from .*, after Retry/);
      // The server's qlog of the connection shows the Retry it was preceded by.
      const serverLog = (): string => {
        const f = existsSync(qlog) ? readdirSync(qlog).find((n) => n.endsWith('_server.sqlog')) : undefined;
        return f === undefined ? '' : readFileSync(join(qlog, f), 'utf8');
      };
      await expect.poll(serverLog).toMatch(/"packet_type":"retry"/);
    } finally {
      retry.proc.kill('SIGKILL');
    }
  }, 20_000);

  it('v2: the client starts in v1 offering v2 and the server switches the connection to v2', async () => {
    const v2 = await startServer({ TESTCASE: 'v2' });
    try {
      const downloads = join(dir, 'dl-v2');
      const r = await run({ ROLE: 'client', TESTCASE: 'v2', REQUESTS: urls(v2.port, 'one.bin'), DOWNLOADS_DIR: downloads });
      expect(r.code, r.err).toBe(0);
      expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
      expect(r.err).toMatch(/connected to .*, QUIC v2/);
      await expect.poll(() => v2.stderr()).toMatch(/connection from .*, QUIC v2/);
    } finally {
      v2.proc.kill('SIGKILL');
    }
  }, 20_000);

  it('HANDSHAKE_TIMEOUT bounds a handshake nobody answers; CLIENT_PARAMS reach the client', async () => {
    const sink = createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
    try {
      const t0 = performance.now();
      const r = await run({ ROLE: 'client', TESTCASE: 'handshake', REQUESTS: urls(sink.address().port, 'small0.txt'), DOWNLOADS_DIR: join(dir, 'dl-timeout'), HANDSHAKE_TIMEOUT: '0.5' });
      expect(r.code).toBe(1);
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      sink.close();
    }
    const bad = await run({ ROLE: 'client', TESTCASE: 'transfer', REQUESTS: urls(server.port, 'small0.txt'), DOWNLOADS_DIR: join(dir, 'dl-bad'), CLIENT_PARAMS: '--cipher-suites TLS_NULL' });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown cipher suite TLS_NULL');
  }, 20_000);

  it.each(['resumption', 'zerortt'])('%s: two connections, the second resumes (zerortt: its requests in 0-RTT)', async (testcase) => {
    const srv = await startServer({ TESTCASE: testcase });
    const downloads = join(dir, `dl-${testcase}`);
    const r = await run({ ROLE: 'client', TESTCASE: testcase, REQUESTS: urls(srv.port, 'small0.txt', 'small1.txt', 'two.bin'), DOWNLOADS_DIR: downloads });
    expect(r.code, r.err).toBe(0);
    for (const f of ['small0.txt', 'small1.txt', 'two.bin']) expect(sameFile(join(downloads, f), join(dir, 'www', f))).toBe(true);
    // The server's --verbose lines: one full handshake, then a resumed one (with 0-RTT for zerortt).
    const lines = srv.stderr().split('\n').filter((l) => l.includes('connection from'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toMatch(/resumed/);
    expect(lines[1]).toMatch(/resumed/);
    if (testcase === 'zerortt') expect(lines[1]).toMatch(/0-RTT accepted/);
    else expect(lines[1]).not.toMatch(/0-RTT/);
    expect(r.err).toMatch(testcase === 'zerortt' ? /session resumed, 0-RTT accepted/ : /session resumed/);
    srv.proc.kill('SIGTERM');
  }, 30_000);

  it.each(['ipv6', 'amplificationlimit', 'rebind-port', 'rebind-addr', 'goodput', 'crosstraffic'])('%s runs as a transfer', async (testcase) => {
    const downloads = join(dir, `dl-${testcase}`);
    const r = await run({ ROLE: 'client', TESTCASE: testcase, REQUESTS: urls(server.port, 'one.bin'), DOWNLOADS_DIR: downloads });
    expect(r.code, r.err).toBe(0);
    expect(sameFile(join(downloads, 'one.bin'), join(dir, 'www', 'one.bin'))).toBe(true);
  }, 20_000);

  it('an unsupported test case exits with 127 in either role, before anything runs', async () => {
    for (const testcase of ['ecn', 'versionnegotiation', '']) {
      for (const role of ['client', 'server']) {
        const r = await run({ ROLE: role, TESTCASE: testcase, REQUESTS: urls(server.port, 'small0.txt'), DOWNLOADS_DIR: join(dir, 'dl-unsupported') });
        expect(r.code, `${role} ${testcase}`).toBe(127);
        expect(r.out).toBe('');
      }
    }
    expect(existsSync(join(dir, 'dl-unsupported'))).toBe(false);
  }, 20_000);

  it('a bad environment exits with 1: unknown ROLE, no REQUESTS, no priv.key', async () => {
    expect((await run({ ROLE: 'peer', TESTCASE: 'transfer' })).code).toBe(1);
    expect((await run({ ROLE: 'client', TESTCASE: 'transfer', REQUESTS: ' ', DOWNLOADS_DIR: join(dir, 'dl-none') })).code).toBe(1);
    const noKey = join(dir, 'certs-key-pem');
    mkdirSync(noKey);
    writeFileSync(join(noKey, 'cert.pem'), readFileSync(join(dir, 'certs', 'cert.pem')));
    writeFileSync(join(noKey, 'key.pem'), readFileSync(join(dir, 'certs', 'priv.key')));
    const r = await run({ ROLE: 'server', TESTCASE: 'transfer', CERTS_DIR: noKey, PORT: '0', LISTEN_HOST: '127.0.0.1', WWW_DIR: join(dir, 'www') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('priv.key');
  }, 20_000);

  it('SIGTERM reaches the server, which stops with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => server.proc.on('exit', (code) => resolve(code)));
    server.proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 15_000);
});

/** A UDP port free a moment ago on 127.0.0.1. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}
