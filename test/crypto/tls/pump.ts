/** Runs a TLS client and server engine against each other in memory. */
import type { TlsEngine, TlsEvent, EncryptionLevel } from '../../../src/crypto/tls/engine.js';

export interface PumpResult {
  clientEvents: TlsEvent[];
  serverEvents: TlsEvent[];
  /** Bytes each side sent, per level. */
  sent: { client: Record<EncryptionLevel, number>; server: Record<EncryptionLevel, number> };
}

const zero = (): Record<EncryptionLevel, number> => ({ initial: 0, early: 0, handshake: 0, application: 0 });

/**
 * Moves output from each engine into the other until both are quiet. `tamper` may rewrite a
 * chunk in flight (return it unchanged to pass it through).
 */
export function pump(
  client: TlsEngine,
  server: TlsEngine,
  opts: { tamper?: (from: 'client' | 'server', level: EncryptionLevel, data: Uint8Array) => Uint8Array; result?: PumpResult } = {},
): PumpResult {
  const r = opts.result ?? { clientEvents: [], serverEvents: [], sent: { client: zero(), server: zero() } };
  for (let rounds = 0; rounds < 50; rounds++) {
    let moved = false;
    for (const [from, a, b] of [
      ['client', client, server],
      ['server', server, client],
    ] as const) {
      for (let o = a.pollOutput(); o !== undefined; o = a.pollOutput()) {
        moved = true;
        r.sent[from][o.level] += o.data.length;
        const data = opts.tamper ? opts.tamper(from, o.level, o.data) : o.data;
        b.receive(o.level, data);
      }
    }
    for (let e = client.pollEvent(); e; e = client.pollEvent()) r.clientEvents.push(e);
    for (let e = server.pollEvent(); e; e = server.pollEvent()) r.serverEvents.push(e);
    if (!moved) return r;
  }
  throw new Error('handshake did not settle');
}

export function secretsOf(events: TlsEvent[]): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const e of events) if (e.type === 'secret') m.set(`${e.level}/${e.direction}`, e.secret);
  return m;
}
