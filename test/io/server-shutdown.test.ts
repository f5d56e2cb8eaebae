/**
 * QuicServer.close() runs the shutdown hooks (`onShutdown`) while the connections still carry
 * data, bounded by `timeoutMs`, and only then closes the connections.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect, listen, type DriverWarning, type QuicConnection, type QuicStream } from '../../src/index.js';
import { devCert, readAll } from './helpers.js';

async function pair(alpn: string): Promise<{ server: Awaited<ReturnType<typeof listen>>; client: QuicConnection; sconn: QuicConnection }> {
  const c = await devCert();
  const server = await listen({ port: 0, cert: c.certPem, key: c.keyPem, alpn: [alpn] });
  const accepted = once(server, 'connection');
  const client = await connect({ host: '127.0.0.1', port: server.address.port, alpn: [alpn], ca: c.certPem });
  const [sconn] = (await accepted) as [QuicConnection];
  return { server, client, sconn };
}

describe('io: server shutdown hooks', () => {
  it("emits 'closing' and runs the hooks before the connections close; they can still send", async () => {
    const { server, client, sconn } = await pair('sd-hooks');
    const order: string[] = [];
    const fromServer = new Promise<string>((resolve) => client.once('stream', (st: QuicStream) => void readAll(st).then((b) => resolve(b.toString()))));
    client.on('closing', () => order.push('client closing'));
    sconn.on('closing', () => order.push('server connection closing'));
    server.on('closing', () => order.push('server closing'));
    server.onShutdown(async (signal) => {
      order.push('hook start');
      expect(signal.aborted).toBe(false);
      expect(sconn.closeInfo).toBeUndefined();
      // What an HTTP/3 layer does here: a last message (GOAWAY) on a stream, delivered in full.
      const st = await sconn.openStream({ bidirectional: false });
      st.end('goaway');
      await once(st, 'finish');
      order.push('hook done');
    });
    const second = server.onShutdown(() => {
      order.push('second hook');
    });
    const removed = server.onShutdown(() => {
      order.push('removed hook');
    });
    removed();
    const closed = server.close();
    expect(server.close()).toBe(closed); // one shutdown
    expect(order).toEqual(['server closing']);
    await closed;
    expect(await fromServer).toBe('goaway');
    expect(order.slice(0, 4)).toEqual(['server closing', 'hook start', 'second hook', 'hook done']);
    expect(order).toContain('server connection closing');
    expect(order.indexOf('server connection closing')).toBeGreaterThan(order.indexOf('hook done'));
    expect(order).not.toContain('removed hook');
    expect(await client.closed).toMatchObject({ kind: 'application', code: 0, initiator: 'remote' });
    expect(server.isClosed).toBe(true);
    second();
  });

  it('does not wait forever for a hook that never resolves, nor stop for one that fails', async () => {
    const { server, client } = await pair('sd-bound');
    const warnings: DriverWarning[] = [];
    server.on('warning', (w) => warnings.push(w));
    let hookSignal: AbortSignal | undefined;
    server.onShutdown((signal) => {
      hookSignal = signal;
      return new Promise<void>(() => {}); // never settles
    });
    server.onShutdown(() => {
      throw new Error('hook broke');
    });
    const t0 = Date.now();
    await server.close({ timeoutMs: 300 });
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2000);
    expect(hookSignal?.aborted).toBe(true);
    expect(warnings.map((w) => w.kind)).toEqual(['shutdown', 'shutdown']);
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/hook broke[\s\S]*still running after 300 ms/);
    expect(await client.closed).toMatchObject({ kind: 'application', code: 0, initiator: 'remote' });
  });

  it('bounds the hooks at 2000 ms by default and rejects a bad timeoutMs', async () => {
    const { server, client } = await pair('sd-default');
    await expect(server.close({ timeoutMs: -1 })).rejects.toThrow(RangeError);
    server.onShutdown(() => new Promise<void>(() => {}));
    server.on('warning', () => {});
    const t0 = Date.now();
    await server.close();
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1990);
    expect(ms).toBeLessThan(4000);
    await client.closed;
  });
});
