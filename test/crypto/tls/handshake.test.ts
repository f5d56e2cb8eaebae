/**
 * The TLS engines against each other in memory, on both crypto providers: every suite × group ×
 * server key type, HelloRetryRequest, resumption, 0-RTT accepted and rejected, ALPN mismatch,
 * certificate checks and tampering.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../../src/util/bytes.js';
import { ErrorCode, TransportError } from '../../../src/util/transport-error.js';
import { getProvider, PROVIDER_NAMES, type CryptoProvider } from '../../../src/crypto/index.js';
import { generateDevCa, generateDevCertificate, type DevKeyType } from '../../../src/crypto/certgen.js';
import { loadCertificateChain, loadCredentials, type TlsCredentials } from '../../../src/crypto/tls/certificates.js';
import { TlsClient, type TlsClientConfig } from '../../../src/crypto/tls/client.js';
import { TlsServer, type TlsServerConfig } from '../../../src/crypto/tls/server.js';
import { decodeSession, encodeSession, type ClientSession, type HandshakeInfo, type TlsEvent } from '../../../src/crypto/tls/engine.js';
import { AlertDescription } from '../../../src/crypto/tls/alert.js';
import { NamedGroup } from '../../../src/crypto/tls/constants.js';
import { pump, secretsOf } from './pump.js';

const KEY_TYPES: DevKeyType[] = ['ecdsa-p256', 'ed25519', 'rsa'];
const SUITES = [0x1301, 0x1302, 0x1303] as const;
const GROUPS = [NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1];
const NOW = Date.UTC(2026, 10, 23);
const CLIENT_TP = new Uint8Array([0x0f, 0x04, 1, 2, 3, 4]);
const SERVER_TP = new Uint8Array([0x0f, 0x04, 5, 6, 7, 8]);
const TICKET_KEY = new Uint8Array(16).fill(0x42);

let creds: Record<DevKeyType, TlsCredentials>;
let caDer: Uint8Array[];
let otherCaDer: Uint8Array[];
let caIssued: TlsCredentials;
/** A certificate paired with a key that is not its own: CertificateVerify cannot be right. */
let impostor: TlsCredentials;

beforeAll(async () => {
  const notBefore = new Date(NOW - 86_400_000);
  creds = {} as Record<DevKeyType, TlsCredentials>;
  for (const k of KEY_TYPES) {
    const c = await generateDevCertificate({ keyType: k, notBefore, hosts: ['localhost', '127.0.0.1'] });
    creds[k] = loadCredentials(c.certPem, c.keyPem);
  }
  const ca = await generateDevCa({ notBefore });
  const leaf = await generateDevCertificate({ ca, notBefore, hosts: ['quic.example', '192.0.2.1'] });
  caIssued = loadCredentials(leaf.certPem, leaf.keyPem);
  caDer = loadCertificateChain(ca.certPem);
  otherCaDer = loadCertificateChain((await generateDevCa({ notBefore })).certPem);
  const stolen = await generateDevCertificate({ notBefore });
  impostor = { chain: loadCertificateChain(stolen.certPem), key: creds['ecdsa-p256'].key };
}, 60_000);

function client(p: CryptoProvider, c: Partial<TlsClientConfig> = {}): TlsClient {
  return new TlsClient({ provider: p, serverName: 'localhost', alpn: ['h3'], transportParameters: CLIENT_TP, timeMs: NOW, ...c });
}
function server(p: CryptoProvider, c: Partial<TlsServerConfig> = {}): TlsServer {
  return new TlsServer({ provider: p, credentials: creds['ecdsa-p256'], alpn: ['h3', 'hq-interop'], transportParameters: SERVER_TP, timeMs: NOW, ...c });
}

function completeInfo(events: TlsEvent[]): HandshakeInfo {
  const e = events.find((x) => x.type === 'handshake_complete');
  if (!e || e.type !== 'handshake_complete') throw new Error('handshake not complete');
  return e.info;
}

/** Runs a handshake and checks what every successful one must satisfy. */
function handshake(c: TlsClient, s: TlsServer) {
  c.start();
  const r = pump(c, s);
  expect(c.isHandshakeComplete).toBe(true);
  expect(s.isHandshakeComplete).toBe(true);
  const cs = secretsOf(r.clientEvents);
  const ss = secretsOf(r.serverEvents);
  // Each side's write secret is the other's read secret, at every level.
  for (const level of ['handshake', 'application']) {
    expect(toHex(cs.get(`${level}/write`)!)).toBe(toHex(ss.get(`${level}/read`)!));
    expect(toHex(cs.get(`${level}/read`)!)).toBe(toHex(ss.get(`${level}/write`)!));
  }
  const tpClient = r.serverEvents.find((e) => e.type === 'peer_transport_parameters');
  const tpServer = r.clientEvents.find((e) => e.type === 'peer_transport_parameters');
  expect(tpClient?.type === 'peer_transport_parameters' && equalBytes(tpClient.data, CLIENT_TP)).toBe(true);
  expect(tpServer?.type === 'peer_transport_parameters' && equalBytes(tpServer.data, SERVER_TP)).toBe(true);
  return { r, client: completeInfo(r.clientEvents), server: completeInfo(r.serverEvents) };
}

function expectAlert(fn: () => unknown, alert: number): TransportError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TransportError);
  const te = err as TransportError;
  expect(te.code, te.message).toBe(ErrorCode.CRYPTO_ERROR_BASE + alert);
  return te;
}

function ticketFrom(events: TlsEvent[]): ClientSession {
  const t = events.find((e) => e.type === 'session_ticket');
  if (!t || t.type !== 'session_ticket') throw new Error('no ticket');
  return t.session;
}

describe.each(PROVIDER_NAMES)('TLS handshake on %s', (name) => {
  const p = getProvider(name);

  describe.each(KEY_TYPES)('server key %s', (keyType) => {
    it.each(SUITES.flatMap((s) => GROUPS.map((g) => [s, g] as const)))('suite 0x%s group 0x%s', (suite, group) => {
      const c = client(p, { cipherSuites: [suite], groups: [group] });
      const s = server(p, { credentials: creds[keyType], groups: [group] });
      const { client: ci, server: si } = handshake(c, s);
      expect(ci.suite).toBe(suite);
      expect(ci.group).toBe(group);
      expect(si.suite).toBe(suite);
      expect(ci.alpn).toBe('h3');
      expect(ci.resumed).toBe(false);
      expect(ci.helloRetry).toBe(false);
      expect(ci.peerCertificates.length).toBe(1);
    });
  });

  it('offers a ChaCha20-only list and gets it', () => {
    const { client: ci } = handshake(client(p, { cipherSuites: [0x1303] }), server(p));
    expect(ci.suite).toBe(0x1303);
  });

  it('HelloRetryRequest when the key share does not fit', () => {
    // The client shares x25519 only; the server accepts secp256r1 only.
    const c = client(p, { groups: [NamedGroup.X25519, NamedGroup.SECP256R1], keyShareGroups: [NamedGroup.X25519] });
    const s = server(p, { groups: [NamedGroup.SECP256R1] });
    const { client: ci, server: si } = handshake(c, s);
    expect(ci.helloRetry).toBe(true);
    expect(si.helloRetry).toBe(true);
    expect(ci.group).toBe(NamedGroup.SECP256R1);
  });

  it('HelloRetryRequest with a cookie when the server insists', () => {
    const { client: ci } = handshake(client(p), server(p, { forceHelloRetry: true }));
    expect(ci.helloRetry).toBe(true);
    expect(ci.group).toBe(NamedGroup.X25519);
  });

  it('rejects a second ClientHello that drops the cookie', () => {
    const c = client(p);
    const s = server(p, { forceHelloRetry: true });
    c.start();
    s.receive('initial', c.pollOutput()!.data);
    const hrr = s.pollOutput()!;
    c.receive('initial', hrr.data);
    const ch2 = c.pollOutput()!.data;
    // Flip a byte of the cookie: it sits before the end of the ClientHello.
    const i = toHex(ch2).indexOf(toHex(hrr.data.subarray(hrr.data.length - 32))) / 2;
    const bad = ch2.slice();
    bad[i]! ^= 1;
    expectAlert(() => s.receive('initial', bad), AlertDescription.ILLEGAL_PARAMETER);
  });

  it('resumes from a ticket, and the ticket survives serialisation', () => {
    const first = handshake(client(p), server(p, { tickets: { key: TICKET_KEY } }));
    const session = decodeSession(encodeSession(ticketFrom(first.r.clientEvents)));
    expect(session.maxEarlyDataSize).toBe(0);
    const second = handshake(client(p, { session }), server(p, { tickets: { key: TICKET_KEY } }));
    expect(second.client.resumed).toBe(true);
    expect(second.server.resumed).toBe(true);
    expect(second.client.peerCertificates.length).toBe(0);
  });

  it('falls back to a full handshake when the server cannot open the ticket', () => {
    const first = handshake(client(p), server(p, { tickets: { key: TICKET_KEY } }));
    const second = handshake(client(p, { session: ticketFrom(first.r.clientEvents) }), server(p, { tickets: { key: new Uint8Array(16) } }));
    expect(second.client.resumed).toBe(false);
  });

  it('0-RTT accepted', () => {
    const first = handshake(client(p), server(p, { tickets: { key: TICKET_KEY, earlyData: true } }));
    const session = ticketFrom(first.r.clientEvents);
    expect(session.maxEarlyDataSize).toBe(0xffffffff);
    const second = handshake(client(p, { session, earlyData: true }), server(p, { tickets: { key: TICKET_KEY, earlyData: true } }));
    const early = second.r.clientEvents.find((e) => e.type === 'early_data');
    expect(early).toEqual({ type: 'early_data', accepted: true });
    const cs = secretsOf(second.r.clientEvents);
    const ss = secretsOf(second.r.serverEvents);
    expect(toHex(cs.get('early/write')!)).toBe(toHex(ss.get('early/read')!));
  });

  it('0-RTT rejected by the hook, and with a HelloRetryRequest', () => {
    const first = handshake(client(p), server(p, { tickets: { key: TICKET_KEY, earlyData: true } }));
    const session = ticketFrom(first.r.clientEvents);
    const rejected = handshake(
      client(p, { session, earlyData: true }),
      server(p, { tickets: { key: TICKET_KEY, earlyData: true }, acceptEarlyData: () => false }),
    );
    expect(rejected.client.resumed).toBe(true);
    expect(rejected.r.clientEvents.find((e) => e.type === 'early_data')).toEqual({ type: 'early_data', accepted: false });
    expect(secretsOf(rejected.r.serverEvents).has('early/read')).toBe(false);
    const hrr = handshake(client(p, { session, earlyData: true }), server(p, { tickets: { key: TICKET_KEY, earlyData: true }, forceHelloRetry: true }));
    expect(hrr.r.clientEvents.find((e) => e.type === 'early_data')).toEqual({ type: 'early_data', accepted: false });
    expect(hrr.client.resumed).toBe(true);
  });

  it('ALPN mismatch → no_application_protocol (CRYPTO_ERROR 0x178)', () => {
    const c = client(p, { alpn: ['doq'] });
    const s = server(p);
    c.start();
    const e = expectAlert(() => s.receive('initial', c.pollOutput()!.data), AlertDescription.NO_APPLICATION_PROTOCOL);
    expect(e.code).toBe(0x178);
  });

  describe('certificate verification against a CA', () => {
    const run = (serverName: string, ca: Uint8Array[], timeMs = NOW) => {
      const c = client(p, { serverName, verify: { mode: 'ca', ca }, timeMs });
      const s = server(p, { credentials: caIssued });
      c.start();
      return () => pump(c, s);
    };
    it('accepts the right host name and IP', () => {
      run('quic.example', caDer)();
      run('192.0.2.1', caDer)();
    });
    it('rejects a wrong host name', () => {
      expectAlert(run('other.example', caDer), AlertDescription.BAD_CERTIFICATE);
    });
    it('rejects an untrusted chain', () => {
      expectAlert(run('quic.example', otherCaDer), AlertDescription.UNKNOWN_CA);
    });
    it('rejects an expired certificate', () => {
      expectAlert(run('quic.example', caDer, NOW + 400 * 86_400_000), AlertDescription.CERTIFICATE_EXPIRED);
    });
  });

  it('rejects a tampered server Finished and a tampered signature', () => {
    for (const target of [0x14, 0x0f]) {
      const c = client(p);
      const s = server(p);
      c.start();
      const tamper = (from: string, level: string, data: Uint8Array): Uint8Array => {
        if (from !== 'server' || level !== 'handshake' || data[0] !== target) return data;
        const d = data.slice();
        d[d.length - 1]! ^= 0x01;
        return d;
      };
      expectAlert(() => pump(c, s, { tamper }), AlertDescription.DECRYPT_ERROR);
    }
  });

  it('rejects a CertificateVerify made with a key that is not the certificate\'s', () => {
    const c = client(p);
    const s = server(p, { credentials: impostor });
    c.start();
    const e = expectAlert(() => pump(c, s), AlertDescription.DECRYPT_ERROR);
    expect(e.message).toContain('CertificateVerify');
  });

  it('rejects a tampered client Finished', () => {
    const c = client(p);
    const s = server(p);
    c.start();
    const tamper = (from: string, level: string, data: Uint8Array): Uint8Array => {
      if (from !== 'client' || level !== 'handshake') return data;
      const d = data.slice();
      d[d.length - 1]! ^= 0x01;
      return d;
    };
    expectAlert(() => pump(c, s, { tamper }), AlertDescription.DECRYPT_ERROR);
  });

  it('emits key-log lines for every secret', () => {
    const lines: string[] = [];
    handshake(client(p, { keylog: (l) => lines.push(l) }), server(p));
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
  });
});

describe('cross-provider', () => {
  it('noble client, node server and the reverse', () => {
    for (const [a, b] of [
      ['noble', 'node'],
      ['node', 'noble'],
    ] as const) {
      for (const k of KEY_TYPES) handshake(client(getProvider(a)), server(getProvider(b), { credentials: creds[k] }));
    }
  });
});
