/**
 * `tquic bench handshake`: full TLS 1.3 handshakes per second, engine only, in memory (no
 * packets, no sockets), per crypto provider and server key type. Suite TLS_AES_128_GCM_SHA256,
 * group x25519, ALPN h3, QUIC transport parameters; the client checks the CertificateVerify
 * signature ('insecure' mode: no chain check). A resumed handshake (psk_dhe_ke) is measured too.
 * The project's handshake goals (goals.ts, "against one server") are checked on the loopback
 * benchmark's connect + close rows, the whole stack; these rows show the TLS engines' share.
 */
import { getProvider, PROVIDER_NAMES, type CryptoProvider } from '../crypto/index.js';
import { generateDevCertificate, type DevKeyType } from '../crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../crypto/tls/certificates.js';
import { TlsClient } from '../crypto/tls/client.js';
import { TlsServer } from '../crypto/tls/server.js';
import type { ClientSession, TlsEngine } from '../crypto/tls/engine.js';
import { measure, report, type BenchReport, type Measurement } from './harness.js';

const KEY_TYPES: DevKeyType[] = ['ecdsa-p256', 'ed25519', 'rsa'];
const TP = new Uint8Array([0x0f, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]);
const TICKET_KEY = new Uint8Array(16).fill(7);

function oneHandshake(p: CryptoProvider, credentials: TlsCredentials, session?: ClientSession): ClientSession | undefined {
  const c = new TlsClient({ provider: p, serverName: 'localhost', alpn: ['h3'], transportParameters: TP, ...(session ? { session } : {}) });
  const s = new TlsServer({ provider: p, credentials, alpn: ['h3'], transportParameters: TP, tickets: { key: TICKET_KEY } });
  c.start();
  let ticket: ClientSession | undefined;
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of [
      [c, s],
      [s, c],
    ] as const) {
      for (let o = from.pollOutput(); o; o = from.pollOutput()) {
        to.receive(o.level, o.data);
        moved = true;
      }
    }
  }
  for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'session_ticket') ticket = e.session;
  if (!c.isHandshakeComplete || !s.isHandshakeComplete) throw new Error('handshake did not complete');
  return ticket;
}

export async function run(opts: { iterations?: number }): Promise<BenchReport> {
  const results: Measurement[] = [];
  const creds = new Map<DevKeyType, TlsCredentials>();
  for (const k of KEY_TYPES) {
    const pem = await generateDevCertificate({ keyType: k });
    creds.set(k, loadCredentials(pem.certPem, pem.keyPem));
  }
  const it = opts.iterations !== undefined ? { iterations: opts.iterations } : {};
  for (const name of PROVIDER_NAMES) {
    const p = getProvider(name);
    for (const k of KEY_TYPES) {
      const cr = creds.get(k)!;
      results.push(measure('full handshake', () => void oneHandshake(p, cr), { ...it, rounds: 3, labels: { provider: name, key: k } }));
    }
    const cr = creds.get('ecdsa-p256')!;
    const session = oneHandshake(p, cr)!;
    results.push(measure('resumed handshake', () => void oneHandshake(p, cr, session), { ...it, rounds: 3, labels: { provider: name, key: 'psk' } }));
  }
  return report('handshake', results);
}
