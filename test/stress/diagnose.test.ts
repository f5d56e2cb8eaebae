/**
 * The stress tools' connection diagnosis (stress/diagnose.ts): both ends of one real loopback
 * connection described from the core — the same original DCID on each side, the stream's send
 * and receive progress as the application left them, flow control and timers — and one log line.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { connect, listen, type QuicConnection, type QuicStream } from '../../src/io/index.js';
import { diagnose, formatDiagnosis } from '../../src/stress/diagnose.js';

describe('diagnose', () => {
  it('describes both ends of a connection mid-transfer, matched by the original DCID', async () => {
    const pem = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });
    const server = await listen({ host: '127.0.0.1', port: 0, cert: pem.certPem, key: pem.keyPem, alpn: ['diag'] });
    let client: QuicConnection | undefined;
    try {
      const accepted = once(server, 'connection') as Promise<[QuicConnection]>;
      client = await connect({ host: '127.0.0.1', port: server.address.port, serverName: 'localhost', ca: pem.certPem, alpn: ['diag'] });
      const [sc] = await accepted;
      const incoming = once(sc, 'stream') as Promise<[QuicStream]>;
      const s = await client.openStream();
      // 100 kB written, FIN included; the server reads 1 byte and then nothing.
      s.end(Buffer.alloc(100_000, 7));
      const [rs] = await incoming;
      await new Promise<void>((resolve) => rs.once('readable', () => resolve()));
      expect(rs.read(1)).not.toBeNull();
      rs.pause();
      // Until all 100 kB have arrived (well within the stream's flow-control window).
      for (let i = 0; i < 100 && diagnose(sc).connRecv.received < 100_000; i++) await new Promise((r) => setTimeout(r, 50));

      const c = diagnose(client);
      const d = diagnose(sc, { kind: 'application', code: 0, reason: 'done', initiator: 'local' });
      expect(c.role).toBe('client');
      expect(d.role).toBe('server');
      expect(c.odcid).toMatch(/^[0-9a-f]{16,40}$/);
      expect(d.odcid).toBe(c.odcid);
      expect(c.state).toBe('established');
      expect(c.srttMs).toBeGreaterThan(0);
      expect(c.packetsSent).toBeGreaterThan(0);
      expect(d.packetsReceived).toBeGreaterThan(0);
      expect(c.idleInMs).toBeGreaterThan(0);
      const cs = c.streams.find((x) => x.id === s.id);
      expect(cs?.send).toMatchObject({ written: 100_000, finSent: expect.any(Boolean) });
      expect(cs!.send!.acked).toBeLessThanOrEqual(cs!.send!.sent);
      const ss = d.streams.find((x) => x.id === s.id);
      expect(ss?.recv?.received).toBeGreaterThan(0);
      expect(ss!.recv!.consumed).toBeLessThanOrEqual(ss!.recv!.received);
      expect(ss!.recv!.received).toBeLessThanOrEqual(ss!.recv!.limit);
      expect(d.connRecv.received).toBeGreaterThanOrEqual(ss!.recv!.received);
      expect(c.connSend.used).toBe(cs!.send!.sent);
      // It survives IPC (JSON) unchanged, as the server child sends it.
      expect(JSON.parse(JSON.stringify(d))).toEqual(d);

      const line = formatDiagnosis(d);
      expect(line).toContain(`server ${d.odcid}: closed application "done" (local) state established`);
      // A bidirectional stream: the server's (unused) send side, then its receive side.
      expect(line).toMatch(new RegExp(`\\[${s.id} send ready written 0 sent 0 acked 0 credit \\d+ recv \\w+ received 100000 consumed \\d+ limit \\d+\\]`));
      expect(formatDiagnosis(c)).toMatch(new RegExp(`\\[${s.id} send \\w+ written 100000 sent \\d+ acked \\d+ credit \\d+`));
    } finally {
      await client?.close();
      await server.close();
    }
  }, 20_000);
});
