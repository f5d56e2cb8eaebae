/**
 * HTTP/3 over loopback sockets: serveH3 and fetchH3 against each other, and hand-crafted peers
 * on raw QUIC streams for what a well-behaved peer never sends.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeDataHeader,
  encodeFrame,
  encodeRawFrame,
  fetchH3,
  fetchHq,
  FrameReader,
  H3ErrorCode,
  H3Session,
  serveH3,
  serveHq,
  type FieldLine,
  type H3Server,
} from '../../src/http/index.js';
import { QpackDecoder, QpackEncoder, encodeInsertWithNameReference, encodeSetDynamicTableCapacity } from '../../src/http/qpack/index.js';
import type { CloseInfo } from '../../src/connection/types.js';
import { connect, listen, type QuicConnection, type QuicServer, type QuicStream } from '../../src/io/index.js';
import { parseJsonSeq } from '../../src/qlog/jsonseq.js';
import { devCert, pattern, readAll, sha256, until } from '../io/helpers.js';

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

const encoder = new QpackEncoder({ huffman: false });
const headers = (fields: FieldLine[]): Uint8Array => encodeFrame({ type: 'headers', fieldSection: encoder.encode(fields) });
const data = (bytes: Uint8Array | string): Buffer => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return concat([encodeDataHeader(b.length), b]);
};
const get = (path: string, extra: FieldLine[] = [], method = 'GET'): FieldLine[] => [
  [':method', method],
  [':scheme', 'https'],
  [':authority', 'localhost'],
  [':path', path],
  ...extra,
];

interface RawResponse {
  status?: number;
  fields?: FieldLine[];
  body: Buffer;
  /** The application error code of a reset / STOP_SENDING. */
  code?: number;
}

/** Reads a response the hard way: frames and a static-table-only QPACK decoder. */
async function readResponse(st: QuicStream): Promise<RawResponse> {
  const dec = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
  const r = new FrameReader();
  const out: RawResponse = { body: Buffer.alloc(0) };
  const body: Buffer[] = [];
  try {
    for await (const chunk of st) {
      r.push(chunk as Buffer);
      for (let ev = r.next(); ev !== undefined; ev = r.next()) {
        if (ev.kind === 'data') body.push(Buffer.from(ev.bytes));
        else if (ev.frame.type === 'headers' && out.fields === undefined) {
          out.fields = dec.decode(st.id, ev.frame.fieldSection)!;
          out.status = Number(out.fields.find(([n]) => n === ':status')?.[1]);
        }
      }
    }
  } catch (e) {
    out.code = (e as { errorCode?: number }).errorCode;
  }
  out.body = Buffer.concat(body);
  return out;
}

/** Sends raw bytes as a request (with the FIN) and reads what comes back. */
async function rawRequest(qc: QuicConnection, ...parts: Uint8Array[]): Promise<RawResponse> {
  const st = await qc.openStream();
  st.end(concat(parts));
  return readResponse(st);
}

/** Streams of hand-crafted peers end with the connection error they provoke. */
function quiet(st: QuicStream): QuicStream {
  st.on('error', () => {});
  return st;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

describe('h3: over loopback', () => {
  let base: string;
  let root: string;
  let out: string;
  let server: QuicServer;
  let h3: H3Server;
  let client: QuicConnection;
  let cert: { certPem: string; keyPem: string };
  const log: string[] = [];
  const big = pattern(5 << 20, 7);
  const small = Array.from({ length: 200 }, (_, i) => pattern(50 + ((i * 37) % 5000), 1000 + i));
  const secret = 'TOP SECRET, outside the root';

  /** A client that speaks HTTP/3 by hand; the server's streams to it are left unread. */
  const rawClient = async (): Promise<QuicConnection> => {
    const qc = await connect({ host: '127.0.0.1', port: server.address.port, alpn: ['h3'], ca: cert.certPem, serverName: 'localhost' });
    qc.on('stream', (st) => st.on('error', () => {}));
    return qc;
  };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'tquic-h3-'));
    root = join(base, 'root');
    out = join(base, 'out');
    mkdirSync(root);
    mkdirSync(out);
    mkdirSync(join(root, 'dir'));
    writeFileSync(join(root, 'hello.txt'), 'hello, h3\n');
    writeFileSync(join(root, 'page.html'), '<p>hi</p>');
    writeFileSync(join(root, 'empty'), '');
    writeFileSync(join(root, 'big.bin'), big);
    small.forEach((b, i) => writeFileSync(join(root, `f${i}.bin`), b));
    writeFileSync(join(base, 'secret'), secret);
    symlinkSync(join(base, 'secret'), join(root, 'link-out'));
    symlinkSync('..', join(root, 'dir', 'up'));
    cert = await devCert();
    server = await listen({ port: 0, cert: cert.certPem, key: cert.keyPem, alpn: ['h3'] });
    h3 = serveH3(server, { root, log: (l) => log.push(l) });
    client = await rawClient();
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('serves small files with status, content-length and content-type', async () => {
    const [r, e, p] = await fetchH3(client, ['/hello.txt', '/empty', `https://localhost:${server.address.port}/page.html`]);
    expect(r).toMatchObject({ path: '/hello.txt', ok: true, bytes: 10, status: 200 });
    expect(r!.body!.toString()).toBe('hello, h3\n');
    expect(r!.headers).toMatchObject({ 'content-length': '10', 'content-type': 'text/plain; charset=utf-8' });
    expect(e).toMatchObject({ ok: true, bytes: 0, status: 200, headers: { 'content-length': '0', 'content-type': 'application/octet-stream' } });
    expect(p).toMatchObject({ ok: true, headers: { 'content-type': 'text/html; charset=utf-8' } });
    const s = H3Session.for(client);
    expect(s.settingsReceived).toBe(true);
    expect(s.peerSettings.maxFieldSectionSize).toBe(64 * 1024);
    expect(s.peerSettings.all.some((x) => x.id >= 0x21 && (x.id - 0x21) % 0x1f === 0)).toBe(true);
  });

  it('serves a 5 MB file intact to a file (SHA-256)', async () => {
    const [r] = await fetchH3(client, ['/big.bin'], { outputDir: out });
    expect(r).toMatchObject({ ok: true, bytes: big.length, file: join(out, 'big.bin'), status: 200 });
    expect(sha256(readFileSync(join(out, 'big.bin')))).toBe(sha256(big));
    console.log(`h3: 5 MB in ${r!.durationMs.toFixed(0)} ms`);
  });

  it('answers HEAD with the headers only', async () => {
    const [r] = await fetchH3(client, ['/big.bin'], { method: 'HEAD', outputDir: out });
    expect(r).toMatchObject({ ok: true, status: 200, bytes: 0, headers: { 'content-length': String(big.length) } });
    const raw = await rawRequest(client, headers(get('/hello.txt', [], 'HEAD')));
    expect(raw.status).toBe(200);
    expect(raw.code).toBeUndefined();
    expect(raw.body).toHaveLength(0);
  });

  it('answers 404 with a short body, 405 with allow, and keeps the connection', async () => {
    const [m] = await fetchH3(client, ['/missing.txt'], { outputDir: out });
    expect(m).toMatchObject({ ok: false, status: 404, error: 'HTTP status 404' });
    expect(m!.body!.toString()).toBe('not found\n');
    expect(readdirSync(out)).not.toContain('missing.txt');
    const post = await rawRequest(client, headers(get('/hello.txt', [['content-length', '3']], 'POST')), data('abc'));
    expect(post.status).toBe(405);
    expect(post.fields).toContainEqual(['allow', 'GET, HEAD']);
    expect((await rawRequest(client, headers(get('/hello.txt', [], 'DELETE')))).status).toBe(405);
    expect((await rawRequest(client, headers(get('*', [], 'OPTIONS')))).status).toBe(405);
    expect(client.closeInfo).toBeUndefined();
  });

  it('refuses path traversal and never reads the file outside the root', async () => {
    const attempts = ['/../secret', '/%2e%2e/secret', '/a/../../secret', '//etc/passwd', '/dir/up/secret', '/..%2fsecret', '/link-out', '/secret%00.txt', '/dir', '/'];
    const before = h3.stats.bytesSent;
    const results = await fetchH3(client, attempts);
    for (const r of results) {
      expect(r.ok, r.path).toBe(false);
      expect([400, 404], r.path).toContain(r.status);
      expect(r.body!.toString()).not.toContain('SECRET');
    }
    expect(results[0]!.status).toBe(400);
    expect(results[6]!.status).toBe(404);
    expect(h3.stats.bytesSent).toBe(before);
    expect(log.some((l) => l.includes('resolves outside the root'))).toBe(true);
    expect(log.join('\n')).not.toContain(secret);
  });

  it('serves 200 concurrent requests on one connection (more than the stream limit)', async () => {
    const paths = small.map((_, i) => `/f${i}.bin`);
    const t0 = performance.now();
    const results = await fetchH3(client, paths, { concurrency: 200 });
    expect(results.map((r) => r.path)).toEqual(paths);
    results.forEach((r, i) => {
      expect(r.ok, r.error).toBe(true);
      expect(sha256(r.body!)).toBe(sha256(small[i]!));
    });
    console.log(`h3: 200 requests in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('resets malformed requests with H3_MESSAGE_ERROR', async () => {
    const cases: Array<[string, Uint8Array[]]> = [
      ['missing :path', [headers(get('/hello.txt').filter(([n]) => n !== ':path'))]],
      ['upper-case field name', [headers(get('/hello.txt', [['X-Upper', '1']]))]],
      ['content-length mismatch', [headers(get('/hello.txt', [['content-length', '5']])), data('abc')]],
      ['connection-specific field', [headers(get('/hello.txt', [['connection', 'keep-alive']]))]],
      ['pseudo-header after a field', [headers([...get('/hello.txt').slice(0, 3), ['accept', '*/*'], [':path', '/hello.txt']])]],
      ['response pseudo-header', [headers(get('/hello.txt', [[':status', '200']]))]],
    ];
    for (const [what, parts] of cases) {
      const r = await rawRequest(client, ...parts);
      expect(r.code, what).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
      expect(r.status, what).toBeUndefined();
    }
    // A HEADERS frame beyond the bound is refused before it is buffered.
    const huge = encodeFrame({ type: 'headers', fieldSection: new Uint8Array(200_000) });
    expect((await rawRequest(client, huge)).code).toBe(H3ErrorCode.H3_EXCESSIVE_LOAD);
    // A stream that ends without a request header (RFC 9114 §4.1).
    expect(await rawRequest(client)).toMatchObject({ code: H3ErrorCode.H3_REQUEST_INCOMPLETE });
    // Unknown and reserved frames around the request are ignored.
    const padded = await rawRequest(client, encodeRawFrame(0x21, new Uint8Array(3)), headers(get('/hello.txt')), encodeRawFrame(0x1f * 7 + 0x21, new Uint8Array(0)));
    expect(padded.status).toBe(200);
    expect(padded.code).toBeUndefined();
    expect(padded.body.toString()).toBe('hello, h3\n');
    expect(client.closeInfo).toBeUndefined();
  });

  it('closes the connection on control stream protocol errors', async () => {
    const settings = encodeFrame({ type: 'settings', settings: [{ id: 6, value: 1000 }] });
    const cases: Array<[string, Uint8Array[], number, boolean?]> = [
      ['DATA on the control stream', [new Uint8Array([0]), settings, data('x')], H3ErrorCode.H3_FRAME_UNEXPECTED],
      ['HEADERS on the control stream', [new Uint8Array([0]), settings, headers(get('/'))], H3ErrorCode.H3_FRAME_UNEXPECTED],
      ['a second SETTINGS', [new Uint8Array([0]), settings, settings], H3ErrorCode.H3_FRAME_UNEXPECTED],
      ['no SETTINGS first', [new Uint8Array([0]), encodeFrame({ type: 'goaway', id: 0 })], H3ErrorCode.H3_MISSING_SETTINGS],
      ['a reserved frame first', [new Uint8Array([0]), encodeRawFrame(0x21, new Uint8Array(0)), settings], H3ErrorCode.H3_MISSING_SETTINGS],
      ['the control stream closed', [new Uint8Array([0]), settings], H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, true],
      ['an HTTP/2 setting', [new Uint8Array([0]), encodeFrame({ type: 'settings', settings: [{ id: 2, value: 0 }] })], H3ErrorCode.H3_SETTINGS_ERROR],
      ['an HTTP/2 frame type', [new Uint8Array([0]), settings, new Uint8Array([0x06, 0])], H3ErrorCode.H3_FRAME_UNEXPECTED],
      ['a truncated GOAWAY', [new Uint8Array([0]), settings, new Uint8Array([0x07, 1, 0x40])], H3ErrorCode.H3_FRAME_ERROR],
      ['a push stream from a client', [new Uint8Array([1, 0])], H3ErrorCode.H3_STREAM_CREATION_ERROR],
      ['CANCEL_PUSH for a push never promised', [new Uint8Array([0]), settings, encodeFrame({ type: 'cancel_push', pushId: 0 })], H3ErrorCode.H3_ID_ERROR],
    ];
    await Promise.all(
      cases.map(async ([what, parts, code, end]) => {
        const qc = await rawClient();
        const st = await qc.openStream({ bidirectional: false });
        st.on('error', () => {});
        if (end === true) st.end(concat(parts));
        else st.write(concat(parts));
        const info = await withTimeout(qc.closed, 5000, what);
        expect(info, what).toMatchObject({ kind: 'application', code, initiator: 'remote' });
      }),
    );
    // A second control stream.
    const qc = await rawClient();
    for (let i = 0; i < 2; i++) {
      const st = await qc.openStream({ bidirectional: false });
      st.on('error', () => {});
      st.write(concat([new Uint8Array([0]), settings]));
    }
    expect(await withTimeout(qc.closed, 5000, 'second control stream')).toMatchObject({ code: H3ErrorCode.H3_STREAM_CREATION_ERROR });
    // DATA before HEADERS on a request stream (RFC 9114 §4.1).
    const qd = await rawClient();
    void rawRequest(qd, data('x'));
    expect(await withTimeout(qd.closed, 5000, 'DATA first')).toMatchObject({ code: H3ErrorCode.H3_FRAME_UNEXPECTED });
    expect(client.closeInfo).toBeUndefined();
  });

  it('stops an unknown stream type with H3_STREAM_CREATION_ERROR and carries on', async () => {
    const qc = await rawClient();
    for (const type of [0x21, 0x1f * 3 + 0x21, 0x2a]) {
      const st = await qc.openStream({ bidirectional: false });
      const err = new Promise<{ code?: string; errorCode?: number }>((resolve) => st.once('error', resolve));
      st.write(Buffer.from([type, 1, 2, 3]));
      expect(await withTimeout(err, 5000, 'STOP_SENDING')).toMatchObject({ code: 'ERR_QUIC_STOP_SENDING', errorCode: H3ErrorCode.H3_STREAM_CREATION_ERROR });
    }
    const [r] = await fetchH3(qc, ['/hello.txt']);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(qc.closeInfo).toBeUndefined();
    await qc.close();
  });

  it('decodes a header section that waits for the QPACK encoder stream (blocked stream)', async () => {
    const qc = await rawClient();
    const enc = await qc.openStream({ bidirectional: false });
    enc.write(Buffer.from([0x02]));
    const authority = Buffer.from('localhost');
    // RFC 9204 §4.5: Required Insert Count 1 (encoded 2 with 128 entries), Base 1; :method GET,
    // :scheme https (static), :authority (literal, static name), :path = dynamic entry 0.
    const section = Buffer.from([0x02, 0x00, 0xd1, 0xd7, 0x50, authority.length, ...authority, 0x80]);
    const st = await qc.openStream();
    st.end(encodeFrame({ type: 'headers', fieldSection: section }));
    let answered = false;
    const response = readResponse(st).finally(() => (answered = true));
    await new Promise((r) => setTimeout(r, 150));
    // Blocked on the missing insert: nothing was answered.
    expect(answered).toBe(false);
    const servedBefore = h3.stats.served;
    enc.write(concat([encodeSetDynamicTableCapacity(4096), encodeInsertWithNameReference(true, 1, '/hello.txt')]));
    const r = await withTimeout(response, 5000, 'blocked response');
    expect(r.status).toBe(200);
    expect(r.code).toBeUndefined();
    expect(r.body.toString()).toBe('hello, h3\n');
    await until(() => h3.stats.served > servedBefore);
    expect(qc.closeInfo).toBeUndefined();
    await qc.close();
  });

  it('reads the file only as fast as the client takes it (backpressure)', async () => {
    const before = h3.stats.bytesSent;
    const st = await client.openStream();
    st.end(headers(get('/big.bin')));
    await new Promise((r) => setTimeout(r, 400));
    // Flow credit, the stream's send buffer and the stream buffers, not the whole file.
    const stalled = h3.stats.bytesSent - before;
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(2.5 * 1024 * 1024);
    const r = await readResponse(st);
    expect(r.status).toBe(200);
    expect(sha256(r.body)).toBe(sha256(big));
    expect(h3.stats.bytesSent - before).toBe(big.length);
  });

  it('cancels a download with H3_REQUEST_CANCELLED and leaves no partial file', async () => {
    const ac = new AbortController();
    let received = 0;
    mkdirSync(join(out, 'aborted'));
    const [r, h] = await fetchH3(client, ['/big.bin', '/hello.txt'], {
      outputDir: join(out, 'aborted'),
      signal: ac.signal,
      concurrency: 1,
      onProgress: (n) => {
        received += n;
        if (received > 100_000) ac.abort();
      },
    });
    expect(r).toMatchObject({ ok: false, errorCode: H3ErrorCode.H3_REQUEST_CANCELLED, status: 200 });
    expect(r!.bytes).toBeLessThan(big.length);
    expect(h).toMatchObject({ ok: false, errorCode: H3ErrorCode.H3_REQUEST_CANCELLED });
    expect(readdirSync(join(out, 'aborted'))).toEqual([]);
    await until(() => log.some((l) => l.includes('GET "/big.bin"') && l.includes('stream closed after')), 3000, 'the server to notice');
    // A request the client gives up on before its header is complete.
    const st = await client.openStream();
    st.on('error', () => {});
    const hf = headers(get('/hello.txt'));
    st.write(hf.subarray(0, 3));
    await new Promise((res) => setTimeout(res, 50));
    st.destroy(Object.assign(new Error('cancelled'), { errorCode: H3ErrorCode.H3_REQUEST_CANCELLED }));
    await until(() => log.some((l) => l.includes(`stream ${st.id}`) && l.includes('H3_REQUEST_CANCELLED')), 3000, 'the cancellation');
    const [ok] = await fetchH3(client, ['/hello.txt']);
    expect(ok!.ok).toBe(true);
  });

  it('serves hq-interop and h3 clients from one server', async () => {
    const srv = await listen({ port: 0, cert: cert.certPem, key: cert.keyPem, alpn: ['h3', 'hq-interop'] });
    const hq = serveHq(srv, { root, alpn: ['hq-interop'] });
    const h = serveH3(srv, { root });
    const opts = { host: '127.0.0.1', port: srv.address.port, ca: cert.certPem, serverName: 'localhost' };
    const [a, b] = await Promise.all([connect({ ...opts, alpn: ['hq-interop'] }), connect({ ...opts, alpn: ['h3'] })]);
    expect([a.alpn, b.alpn]).toEqual(['hq-interop', 'h3']);
    const [[x], [y]] = await Promise.all([fetchHq(a, ['/hello.txt']), fetchH3(b, ['/hello.txt'])]);
    expect(x!.body!.toString()).toBe('hello, h3\n');
    expect(y).toMatchObject({ ok: true, status: 200 });
    expect(y!.body!.toString()).toBe('hello, h3\n');
    expect([hq.stats.connections, h.stats.connections]).toEqual([1, 1]);
    expect((await fetchH3(a, ['/hello.txt']))[0]).toMatchObject({ ok: false });
    await Promise.all([a.close(), b.close()]);
    await h.close();
    await srv.close();
  });
});

describe('h3: shutdown, qlog and misbehaving servers', () => {
  let base: string;
  let cert: { certPem: string; keyPem: string };
  const big = pattern(5 << 20, 9);

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'tquic-h3b-'));
    mkdirSync(join(base, 'root'));
    writeFileSync(join(base, 'root', 'hello.txt'), 'hello, h3\n');
    writeFileSync(join(base, 'root', 'big.bin'), big);
    cert = await devCert();
  });
  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('sends GOAWAY on close, finishes the request under way, rejects later ones, closes with H3_NO_ERROR', async () => {
    const srv = await listen({ port: 0, cert: cert.certPem, key: cert.keyPem, alpn: ['h3'] });
    const log: string[] = [];
    const h = serveH3(srv, { root: join(base, 'root'), log: (l) => log.push(l) });
    const qc = await connect({ host: '127.0.0.1', port: srv.address.port, alpn: ['h3'], ca: cert.certPem, serverName: 'localhost' });
    let progress = 0;
    const download = fetchH3(qc, ['/big.bin'], { onProgress: (n) => (progress += n) });
    await until(() => progress > 0, 5000, 'the download to start');
    const session = H3Session.for(qc);
    const goaway = new Promise<number>((resolve) => session.once('goaway', resolve));
    const closing = h.close({ timeoutMs: 20_000 });
    expect(await withTimeout(goaway, 5000, 'GOAWAY')).toBe(4);
    // No new request is sent after GOAWAY; one sent anyway (raw) is rejected unprocessed.
    const [late] = await fetchH3(qc, ['/hello.txt']);
    expect(late).toMatchObject({ ok: false, retryable: true });
    expect(await rawRequest(qc, headers(get('/hello.txt')))).toMatchObject({ code: H3ErrorCode.H3_REQUEST_REJECTED });
    const [r] = await download;
    expect(r).toMatchObject({ ok: true, bytes: big.length });
    expect(sha256(r!.body!)).toBe(sha256(big));
    await closing;
    const info: CloseInfo = await withTimeout(qc.closed, 5000, 'close');
    expect(info).toMatchObject({ kind: 'application', code: H3ErrorCode.H3_NO_ERROR, initiator: 'remote' });
    expect(log.some((l) => l.includes('GOAWAY 4'))).toBe(true);
    await srv.close();
  });

  it('QuicServer.close() alone sends GOAWAY first (the HTTP/3 shutdown hook) and lets the download finish', async () => {
    const srv = await listen({ port: 0, cert: cert.certPem, key: cert.keyPem, alpn: ['h3'] });
    serveH3(srv, { root: join(base, 'root') });
    const qc = await connect({ host: '127.0.0.1', port: srv.address.port, alpn: ['h3'], ca: cert.certPem, serverName: 'localhost' });
    let progress = 0;
    const download = fetchH3(qc, ['/big.bin'], { onProgress: (n) => (progress += n) });
    await until(() => progress > 0, 5000, 'the download to start');
    const goaway = new Promise<number>((resolve) => H3Session.for(qc).once('goaway', resolve));
    const closing = srv.close({ timeoutMs: 20_000 });
    expect(await withTimeout(goaway, 5000, 'GOAWAY')).toBe(4);
    const [r] = await download;
    expect(r).toMatchObject({ ok: true, bytes: big.length });
    await closing;
    expect(await withTimeout(qc.closed, 5000, 'close')).toMatchObject({ kind: 'application', code: H3ErrorCode.H3_NO_ERROR });
  });

  it('writes HTTP/3 events into the qlog files of both ends', async () => {
    const qlogDir = join(base, 'qlog');
    const srv = await listen({ port: 0, cert: cert.certPem, key: cert.keyPem, alpn: ['h3'], qlogDir });
    const h = serveH3(srv, { root: join(base, 'root') });
    const qc = await connect({ host: '127.0.0.1', port: srv.address.port, alpn: ['h3'], ca: cert.certPem, serverName: 'localhost', qlogDir });
    const [r] = await fetchH3(qc, ['/hello.txt']);
    expect(r!.ok).toBe(true);
    await h.close();
    await qc.closed;
    await srv.close();
    const files = readdirSync(qlogDir).filter((f) => f.endsWith('.sqlog'));
    expect(files.sort().map((f) => f.replace(/^[0-9a-f]+_/, ''))).toEqual(['client.sqlog', 'server.sqlog']);
    for (const f of files) {
      const events = parseJsonSeq(readFileSync(join(qlogDir, f), 'utf8')).slice(1) as Array<{ name: string; data: Record<string, unknown> }>;
      const names = new Set(events.map((e) => e.name));
      for (const n of ['http3:parameters_set', 'http3:stream_type_set', 'http3:frame_created', 'http3:frame_parsed']) expect(names, `${f}: ${n}`).toContain(n);
      const frames = events.filter((e) => e.name === 'http3:frame_created' || e.name === 'http3:frame_parsed').map((e) => (e.data.frame as { frame_type: string }).frame_type);
      expect(frames).toEqual(expect.arrayContaining(['settings', 'headers', 'data', 'reserved']));
      const hdr = events.find((e) => e.name === 'http3:frame_parsed' && (e.data.frame as { frame_type: string }).frame_type === 'headers');
      expect(JSON.stringify(hdr)).toMatch(f.endsWith('server.sqlog') ? /"name":":path","value":"\/hello.txt"/ : /"name":":status","value":"200"/);
      const params = events.filter((e) => e.name === 'http3:parameters_set').map((e) => e.data);
      expect(params).toEqual(expect.arrayContaining([expect.objectContaining({ initiator: 'local', max_table_capacity: 4096 }), expect.objectContaining({ initiator: 'remote' })]));
    }
    if (files.some((f) => f.endsWith('server.sqlog'))) {
      const server = parseJsonSeq(readFileSync(join(qlogDir, files.find((f) => f.endsWith('server.sqlog'))!), 'utf8'));
      expect(JSON.stringify(server)).toContain('"frame_type":"goaway"');
    }
  });

  /** A QUIC server speaking just enough HTTP/3 to misbehave in one way. */
  async function misbehavingServer(onConnection: (qc: QuicConnection) => void): Promise<QuicServer> {
    const srv = await listen({ port: 0, cert: cert.certPem, key: cert.keyPem, alpn: ['h3'] });
    srv.on('connection', onConnection);
    return srv;
  }
  const clientOf = (srv: QuicServer): Promise<QuicConnection> =>
    connect({ host: '127.0.0.1', port: srv.address.port, alpn: ['h3'], ca: cert.certPem, serverName: 'localhost' });

  /** Answers every request stream with `response`. */
  const answering = (response: (st: QuicStream) => Uint8Array[]) => (qc: QuicConnection) => {
    qc.on('stream', (st) => {
      st.on('error', () => {});
      if (!st.bidirectional) {
        st.resume();
        return;
      }
      st.resume();
      st.on('end', () => st.end(concat(response(st))));
    });
  };

  it('rejects malformed responses with H3_MESSAGE_ERROR', async () => {
    const responses: Array<[string, Uint8Array[]]> = [
      ['no :status', [headers([['content-length', '0']])]],
      ['content-length mismatch', [headers([[':status', '200'], ['content-length', '10']]), data('short')]],
      ['too much content', [headers([[':status', '200'], ['content-length', '2']]), data('long')]],
      ['upper-case name', [headers([[':status', '200'], ['Content-Type', 'x']])]],
      ['no final response', [headers([[':status', '100']])]],
    ];
    for (const [what, parts] of responses) {
      const srv = await misbehavingServer(answering(() => parts));
      const qc = await clientOf(srv);
      const [r] = await fetchH3(qc, ['/x'], { outputDir: base });
      expect(r, what).toMatchObject({ ok: false, errorCode: H3ErrorCode.H3_MESSAGE_ERROR });
      expect(readdirSync(base)).not.toContain('x');
      expect(qc.closeInfo, what).toBeUndefined();
      await qc.close();
      await srv.close();
    }
    // A well-formed response with interim 103, trailers and padding is accepted.
    const srv = await misbehavingServer(
      answering(() => [
        headers([[':status', '103'], ['link', '</a>']]),
        headers([[':status', '200'], ['content-length', '5']]),
        encodeRawFrame(0x21, new Uint8Array(2)),
        data('he'),
        data('llo'),
        headers([['x-sum', '1']]),
      ]),
    );
    const qc = await clientOf(srv);
    const [ok] = await fetchH3(qc, ['/x']);
    expect(ok).toMatchObject({ ok: true, status: 200, bytes: 5, trailers: { 'x-sum': '1' } });
    expect(ok!.body!.toString()).toBe('hello');
    await qc.close();
    await srv.close();
  });

  it("respects the peer's SETTINGS_MAX_FIELD_SECTION_SIZE when sending", async () => {
    const srv = await misbehavingServer((qc) => {
      void qc.openStream({ bidirectional: false }).then((st) => quiet(st).write(concat([new Uint8Array([0]), encodeFrame({ type: 'settings', settings: [{ id: 6, value: 300 }] })])));
      answering(() => [headers([[':status', '200'], ['content-length', '2']]), data('ok')])(qc);
    });
    const qc = await clientOf(srv);
    const session = H3Session.for(qc);
    await until(() => session.settingsReceived, 5000, 'SETTINGS');
    expect(session.peerSettings.maxFieldSectionSize).toBe(300);
    const [fits] = await fetchH3(qc, ['/a']);
    const [large] = await fetchH3(qc, ['/b'], { headers: [['x-big', 'x'.repeat(300)]] });
    expect(fits).toMatchObject({ ok: true, status: 200 });
    expect(large).toMatchObject({ ok: false });
    expect(large!.error).toMatch(/exceeds the peer's limit of 300/);
    await qc.close();
    await srv.close();
  });

  it('closes the connection for a push stream (no MAX_PUSH_ID was sent) and a server bidirectional stream', async () => {
    for (const [what, open, code] of [
      ['push stream', async (qc: QuicConnection) => quiet(await qc.openStream({ bidirectional: false })).write(Buffer.from([0x01, 0x00])), H3ErrorCode.H3_ID_ERROR],
      ['bidirectional stream', async (qc: QuicConnection) => quiet(await qc.openStream()).write(Buffer.from([0x00])), H3ErrorCode.H3_STREAM_CREATION_ERROR],
      ['GOAWAY with a bad stream ID', async (qc: QuicConnection) => {
        const st = quiet(await qc.openStream({ bidirectional: false }));
        st.write(concat([new Uint8Array([0]), encodeFrame({ type: 'settings', settings: [] }), encodeFrame({ type: 'goaway', id: 2 })]));
      }, H3ErrorCode.H3_ID_ERROR],
      ['MAX_PUSH_ID from a server', async (qc: QuicConnection) => {
        const st = quiet(await qc.openStream({ bidirectional: false }));
        st.write(concat([new Uint8Array([0]), encodeFrame({ type: 'settings', settings: [] }), encodeFrame({ type: 'max_push_id', pushId: 1 })]));
      }, H3ErrorCode.H3_FRAME_UNEXPECTED],
    ] as const) {
      let serverSide: QuicConnection | undefined;
      const srv = await misbehavingServer((qc) => {
        serverSide = qc;
        qc.on('stream', (st) => st.on('error', () => {}));
      });
      const qc = await clientOf(srv);
      H3Session.for(qc);
      await until(() => serverSide !== undefined);
      await open(serverSide!);
      expect(await withTimeout(serverSide!.closed, 5000, what), what).toMatchObject({ kind: 'application', code, initiator: 'remote' });
      await srv.close();
    }
  });
});
