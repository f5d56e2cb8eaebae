import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHq, HqErrorCode, outputFileName, parseRequestLine, resolveTarget, serveHq, type HqServer } from '../../src/http/index.js';
import { connect, listen, type QuicConnection, type QuicServer } from '../../src/io/index.js';
import { readAll, devCert, pattern, sha256 } from '../io/helpers.js';

describe('hq: request parsing', () => {
  it('resolves targets to segments below the root', () => {
    expect(resolveTarget('/index.html')).toEqual(['index.html']);
    expect(resolveTarget('/a/b/c.txt')).toEqual(['a', 'b', 'c.txt']);
    expect(resolveTarget('/a/./b/../c.txt')).toEqual(['a', 'c.txt']);
    expect(resolveTarget('/hello%20world.txt?x=1#f')).toEqual(['hello world.txt']);
    expect(parseRequestLine('GET /x')).toEqual(['x']);
    expect(parseRequestLine('GET /x HTTP/1.0')).toEqual(['x']);
  });

  it('refuses targets that leave the root or are malformed', () => {
    for (const t of [
      '/../secret',
      '/%2e%2e/secret',
      '/%2E%2E/secret',
      '/.%2e/secret',
      '/a/../../secret',
      '//etc/passwd',
      '/a//b',
      'etc/passwd',
      '/a%2f..%2f..%2fsecret',
      '/..%5csecret',
      '/a%00.txt',
      '/a%zz',
      '/%c0%ae%c0%ae/secret',
      '/',
      '/dir/',
      '/..',
    ]) {
      const r = resolveTarget(t);
      expect(Array.isArray(r), t).toBe(false);
      expect(r).toMatchObject({ code: HqErrorCode.BAD_REQUEST });
    }
    for (const l of ['POST /x', 'GET', 'GET /x /y', 'get /x', 'GET  /x', '']) expect(Array.isArray(parseRequestLine(l)), l).toBe(false);
  });

  it('derives safe output file names', () => {
    expect(outputFileName('/a/b.txt')).toBe('b.txt');
    expect(outputFileName('/b%20c.txt')).toBe('b c.txt');
    expect(outputFileName('/a/')).toBeUndefined();
    expect(outputFileName('/a/..')).toBeUndefined();
    expect(outputFileName('/a/..%2f..%2fx')).toBeUndefined();
  });
});

describe('hq: over loopback', () => {
  let base: string;
  let root: string;
  let out: string;
  let server: QuicServer;
  let hq: HqServer;
  let client: QuicConnection;
  const log: string[] = [];
  const big = pattern(5 << 20, 7);
  const small = Array.from({ length: 500 }, (_, i) => pattern(100 + ((i * 37) % 8000), 1000 + i));
  const secret = 'TOP SECRET, outside the root';

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'tquic-hq-'));
    root = join(base, 'root');
    out = join(base, 'out');
    mkdirSync(root);
    mkdirSync(out);
    mkdirSync(join(root, 'dir'));
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'hello.txt'), 'hello, hq\n');
    writeFileSync(join(root, 'empty'), '');
    writeFileSync(join(root, 'dir', 'inner.txt'), 'inner');
    writeFileSync(join(root, 'big.bin'), big);
    small.forEach((b, i) => writeFileSync(join(root, `f${i}.bin`), b));
    // Just outside the root, and reachable through links inside it.
    writeFileSync(join(base, 'secret'), secret);
    symlinkSync(join(base, 'secret'), join(root, 'link-out'));
    symlinkSync('..', join(root, 'dir', 'up'));
    symlinkSync('hello.txt', join(root, 'link-in'));
    symlinkSync(base, join(root, 'outdir'));

    const c = await devCert();
    server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: ['hq-interop'] });
    hq = serveHq(server, { root, log: (l) => log.push(l) });
    client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['hq-interop'], ca: c.certPem, serverName: 'localhost' });
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('serves one file', async () => {
    const [r] = await fetchHq(client, ['/hello.txt']);
    expect(r).toMatchObject({ path: '/hello.txt', ok: true, bytes: 10 });
    expect(r!.body!.toString()).toBe('hello, hq\n');
    expect(r!.durationMs).toBeGreaterThan(0);
    const [e, n, l] = await fetchHq(client, ['/empty', '/dir/inner.txt', '/link-in']);
    expect(e).toMatchObject({ ok: true, bytes: 0 });
    expect(n!.body!.toString()).toBe('inner');
    expect(l!.body!.toString()).toBe('hello, hq\n');
  });

  it('serves a 5 MB file intact to a file (SHA-256)', async () => {
    const [r] = await fetchHq(client, ['/big.bin'], { outputDir: out });
    expect(r).toMatchObject({ ok: true, bytes: big.length, file: join(out, 'big.bin') });
    expect(sha256(readFileSync(join(out, 'big.bin')))).toBe(sha256(big));
    console.log(`hq: 5 MB in ${r!.durationMs.toFixed(0)} ms`);
  });

  it('serves 500 concurrent requests on one connection (more than the stream limit)', async () => {
    const paths = small.map((_, i) => `/f${i}.bin`);
    const t0 = performance.now();
    const results = await fetchHq(client, paths, { concurrency: 500 });
    expect(results.map((r) => r.path)).toEqual(paths);
    results.forEach((r, i) => {
      expect(r.ok, r.error).toBe(true);
      expect(sha256(r.body!)).toBe(sha256(small[i]!));
    });
    console.log(`hq: 500 requests in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('resets a request for a missing file; the others on the connection succeed', async () => {
    const results = await fetchHq(client, ['/f1.bin', '/missing.txt', '/f2.bin', '/nope/x'], { outputDir: out });
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
    expect(results[1]).toMatchObject({ errorCode: HqErrorCode.NOT_FOUND, bytes: 0 });
    expect(results[3]).toMatchObject({ errorCode: HqErrorCode.NOT_FOUND });
    expect(() => readFileSync(join(out, 'missing.txt'))).toThrow();
    expect(readFileSync(join(out, 'f2.bin')).equals(small[2]!)).toBe(true);
    expect(client.closeInfo).toBeUndefined();
  });

  it('refuses path traversal and never serves the file outside the root', async () => {
    const attempts = [
      '/../secret',
      '/%2e%2e/secret',
      '/%2E%2E/secret',
      '/a/../../secret',
      '//etc/passwd',
      '/a/%2e%2e/%2e%2e/secret',
      '/..%2fsecret',
      '/dir/up/../secret',
      '/dir/up/secret',
      '/secret%00.txt',
      '/link-out',
      '/outdir/secret',
      `/${'../'.repeat(20)}etc/passwd`,
    ];
    const results = await fetchHq(client, attempts, { concurrency: attempts.length });
    for (const r of results) {
      expect(r.ok, r.path).toBe(false);
      expect([HqErrorCode.BAD_REQUEST, HqErrorCode.NOT_FOUND], r.path).toContain(r.errorCode);
      expect(r.bytes).toBe(0);
    }
    expect(results[0]!.errorCode).toBe(HqErrorCode.BAD_REQUEST);
    expect(results[10]!.errorCode).toBe(HqErrorCode.NOT_FOUND);
    expect(results[11]!.errorCode).toBe(HqErrorCode.NOT_FOUND);
    expect(log.filter((l) => l.includes('resolves outside the root'))).toHaveLength(2);
    expect(log.join('\n')).not.toContain(secret);
    // The connection carries on.
    const [ok] = await fetchHq(client, ['/hello.txt']);
    expect(ok!.ok).toBe(true);
  });

  it('refuses directories', async () => {
    const results = await fetchHq(client, ['/dir', '/dir/', '/', '/a/..']);
    for (const r of results) expect(r, r.path).toMatchObject({ ok: false });
    expect(results[0]!.errorCode).toBe(HqErrorCode.NOT_FOUND);
  });

  it('reads the file only as fast as the client takes it (backpressure)', async () => {
    const before = hq.stats.bytesSent;
    const st = await client.openStream();
    st.end('GET /big.bin\r\n');
    await new Promise((r) => setTimeout(r, 400));
    // Flow credit (512 KiB), the stream's send buffer (1 MiB) and the two 64 KiB stream buffers.
    const stalled = hq.stats.bytesSent - before;
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(2.5 * 1024 * 1024);
    const body = await readAll(st);
    expect(sha256(body)).toBe(sha256(big));
    expect(hq.stats.bytesSent - before).toBe(big.length);
  });

  it('an aborted download resets its stream with REQUEST_CANCELLED and leaves no partial file', async () => {
    const ac = new AbortController();
    let received = 0;
    mkdirSync(join(out, 'aborted'));
    const done = fetchHq(client, ['/big.bin', '/hello.txt'], {
      outputDir: join(out, 'aborted'),
      signal: ac.signal,
      concurrency: 1,
      onProgress: (n) => {
        received += n;
        if (received > 100_000) ac.abort();
      },
    });
    const [r, h] = await done;
    expect(r).toMatchObject({ ok: false, errorCode: HqErrorCode.REQUEST_CANCELLED });
    expect(r!.bytes).toBeLessThan(big.length);
    expect(h).toMatchObject({ ok: false });
    expect(() => readFileSync(join(out, 'aborted', 'big.bin'))).toThrow();
    const [ok] = await fetchHq(client, ['/hello.txt']);
    expect(ok!.ok).toBe(true);
  });

  it('refuses malformed and oversized requests, and takes a request ended by its FIN alone', async () => {
    const raw = async (request: Buffer | string): Promise<{ body?: Buffer; code?: number }> => {
      const st = await client.openStream();
      st.end(request);
      try {
        return { body: await readAll(st) };
      } catch (e) {
        return { code: (e as { errorCode?: number }).errorCode };
      }
    };
    expect(await raw('POST /hello.txt\r\n')).toEqual({ code: HqErrorCode.BAD_REQUEST });
    expect(await raw(`GET /${'x'.repeat(9000)}\r\n`)).toEqual({ code: HqErrorCode.BAD_REQUEST });
    expect(await raw(Buffer.concat([Buffer.from('GET /'), pattern(100_000, 3)]))).toEqual({ code: HqErrorCode.BAD_REQUEST });
    expect(await raw(Buffer.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0xff, 0xfe, 0x0d, 0x0a]))).toEqual({ code: HqErrorCode.BAD_REQUEST });
    expect(await raw('')).toEqual({ code: HqErrorCode.BAD_REQUEST });
    expect((await raw('GET /hello.txt')).body?.toString()).toBe('hello, hq\n');
    expect((await raw('GET /hello.txt\n')).body?.toString()).toBe('hello, hq\n');
    expect(client.closeInfo).toBeUndefined();
    expect(hq.stats.refused).toBeGreaterThan(0);
    expect(hq.stats.served).toBeGreaterThan(200);
  });
});
