/**
 * The code a stream answers the peer's STOP_SENDING or RESET_STREAM with is the application's
 * choice (RFC 9000 §3.5; HTTP/3 answers with e.g. H3_REQUEST_CANCELLED): a 'stopSending' or
 * 'reset' listener that calls `stream.reset(code)` picks it; without one, the peer's code.
 */
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJsonSeq } from '../../src/qlog/jsonseq.js';
import { connect, listen, type QuicConnection, type QuicServer, type QuicStream, type QuicStreamError } from '../../src/index.js';
import { devCert, until, writeAcked } from './helpers.js';

const H3_REQUEST_CANCELLED = 0x10c;

let server: QuicServer | undefined;
let client: QuicConnection | undefined;
let qlogDir: string | undefined;

/** A server (writing qlog files) and a client connected to it. */
async function pair(alpn: string): Promise<{ client: QuicConnection; sconn: QuicConnection }> {
  const c = await devCert();
  qlogDir = mkdtempSync(join(tmpdir(), 'tquic-answers-'));
  server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: [alpn], qlogDir });
  const accepted = once(server, 'connection');
  client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: [alpn], ca: c.certPem });
  const [sconn] = (await accepted) as [QuicConnection];
  return { client, sconn };
}

function firstError(st: QuicStream): Promise<QuicStreamError> {
  return new Promise((resolve) => st.on('error', (e) => resolve(e as QuicStreamError)));
}

/** The error codes of the RESET_STREAM frames the server sent on `streamId` (closes both ends to flush its qlog). */
async function resetCodesSentByServer(streamId: number): Promise<number[]> {
  await client?.close();
  await server?.close();
  const file = readdirSync(qlogDir!).find((f) => f.endsWith('_server.sqlog'))!;
  const codes: number[] = [];
  for (const r of parseJsonSeq(readFileSync(join(qlogDir!, file), 'utf8')) as Array<{ name?: string; data?: { frames?: Array<Record<string, unknown>> } }>) {
    if (r.name !== 'quic:packet_sent') continue;
    for (const f of r.data?.frames ?? []) if (f.frame_type === 'reset_stream' && f.stream_id === streamId) codes.push(f.error_code as number);
  }
  return codes;
}

afterEach(async () => {
  await client?.close();
  await server?.close();
  if (qlogDir !== undefined) rmSync(qlogDir, { recursive: true, force: true });
  client = undefined;
  server = undefined;
  qlogDir = undefined;
});

describe('io: answering STOP_SENDING and RESET_STREAM', () => {
  it("a 'stopSending' listener answers with its own RESET_STREAM code; the request still arrives in full", async () => {
    const { client, sconn } = await pair('ans-stop');
    const seen: number[] = [];
    const serverErrors: Error[] = [];
    const bodies = new Map<number, string>();
    let serverStream: QuicStream | undefined;
    sconn.on('stream', (st) => {
      serverStream = st;
      st.on('error', (e) => serverErrors.push(e));
      st.on('stopSending', (code: number) => {
        seen.push(code);
        st.reset(H3_REQUEST_CANCELLED);
      });
      // Read with 'data' events: leaving a for-await loop would destroy (and reset) the stream.
      const chunks: Buffer[] = [];
      st.on('data', (c: Buffer) => chunks.push(c));
      st.on('end', () => bodies.set(st.id, Buffer.concat(chunks).toString()));
      st.write('partial response');
    });
    const st = await client.openStream();
    st.on('error', () => {});
    st.end('request body');
    await once(st, 'finish'); // the request and its FIN were acknowledged
    st.stopSending(9);
    await until(() => seen.length > 0, 2000, 'STOP_SENDING seen by the server');
    expect(seen).toEqual([9]);
    // The server's stream was not failed by the STOP_SENDING it answered: it read the whole
    // request and ends without an error once both directions are done.
    await until(() => serverStream?.destroyed === true, 2000, 'server stream done');
    expect(serverErrors).toEqual([]);
    expect(serverStream!.errored).toBeNull();
    expect(bodies.get(st.id)).toBe('request body');
    // RFC 9000 §3.5: the RESET_STREAM that answered carries the application's code, not the peer's.
    const codes = await resetCodesSentByServer(st.id);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set([H3_REQUEST_CANCELLED]));
  });

  it("without an answer the peer's STOP_SENDING code is used, and the stream fails as before", async () => {
    const { client, sconn } = await pair('ans-none');
    const serverErr = new Promise<QuicStreamError>((resolve) =>
      sconn.on('stream', (st) => {
        st.on('error', (e) => resolve(e as QuicStreamError));
        st.on('stopSending', () => {}); // listens, does not answer
        st.write('data');
      }),
    );
    const st = await client.openStream();
    const err = firstError(st);
    st.write('go');
    await once(st, 'readable');
    st.stopSending(11);
    expect(await serverErr).toMatchObject({ code: 'ERR_QUIC_STOP_SENDING', errorCode: 11 });
    // The server's failed stream also stops our sending part, with the same code.
    expect(await err).toMatchObject({ errorCode: 11 });
    const codes = await resetCodesSentByServer(st.id);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set([11]));
  });

  it("a 'reset' listener picks the code of the RESET_STREAM that ends our sending part", async () => {
    const { client, sconn } = await pair('ans-reset');
    const seen: number[] = [];
    const serverErr = new Promise<QuicStreamError>((resolve) =>
      sconn.on('stream', (st) => {
        st.on('error', (e) => resolve(e as QuicStreamError));
        st.on('reset', (code: number) => {
          seen.push(code);
          st.reset(H3_REQUEST_CANCELLED);
        });
      }),
    );
    const st = await client.openStream();
    const err = firstError(st);
    await writeAcked(client, st, 'abc');
    st.reset(7);
    // The server still learns that its receiving part was reset (the data is cut short).
    expect(await serverErr).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: 7 });
    expect(seen).toEqual([7]);
    expect(await err).toMatchObject({ code: 'ERR_QUIC_STREAM_RESET', errorCode: H3_REQUEST_CANCELLED });
  });
});
