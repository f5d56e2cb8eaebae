/**
 * tquic's TLS 1.3 engine against a real TLS stack: OpenSSL through node:tls, over TCP on
 * loopback, with the test-only record layer of record-shim.ts (RFC 9846 §5) in between. Both
 * crypto providers, both directions:
 *
 *   node:tls server  ⇄  RecordShim(TlsClient, quic: false)   over net.Socket
 *   node:tls client  ⇄  RecordShim(TlsServer, quic: false)   behind net.createServer
 *
 * Every suite × group × server key type, HelloRetryRequest (key share and cookie),
 * certificate verification against a CA, OpenSSL's post-handshake NewSessionTickets and
 * resumption with them (and the other way round, OpenSSL resuming tquic's tickets), and
 * application data both ways under the application traffic keys.
 *
 * In every conversation the node side writes GREETING first and echoes whatever it receives;
 * the tquic side waits for GREETING, sends PING and expects it back.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES, type CipherSuite, type CryptoProvider } from '../../../src/crypto/index.js';
import { generateDevCa, generateDevCertificate, type DevKeyType, type PemCredentials } from '../../../src/crypto/certgen.js';
import { loadCertificateChain, loadCredentials, type TlsCredentials } from '../../../src/crypto/tls/certificates.js';
import { TlsClient, type TlsClientConfig } from '../../../src/crypto/tls/client.js';
import { TlsServer, type TlsServerConfig } from '../../../src/crypto/tls/server.js';
import { AlertDescription, alertOf } from '../../../src/crypto/tls/alert.js';
import { NamedGroup } from '../../../src/crypto/tls/constants.js';
import type { ClientSession, HandshakeInfo, TlsEngine } from '../../../src/crypto/tls/engine.js';
import { TransportError } from '../../../src/util/transport-error.js';
import { RecordShim } from './record-shim.js';

const HOST = '127.0.0.1';
/** Bound on one conversation (connect, handshake, data both ways). */
const CONVERSATION_MS = 5_000;
const TEST_MS = 15_000;
const GREETING = 'hello from node';
const PING = 'ping';
const TEXT = new TextEncoder();
const UTF8 = new TextDecoder();

const KEY_TYPES: DevKeyType[] = ['ecdsa-p256', 'ed25519', 'rsa'];
const SUITES: Array<[CipherSuite, string]> = [
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
];
/** tquic NamedGroup, node's ecdhCurve name, and the name node reports in getEphemeralKeyInfo. */
const GROUPS: Array<[number, string, string]> = [
  [NamedGroup.X25519, 'X25519', 'X25519'],
  [NamedGroup.SECP256R1, 'P-256', 'prime256v1'],
  [NamedGroup.SECP384R1, 'P-384', 'secp384r1'],
];
const SUITE_CASES = SUITES.map(([suite, suiteName]) => ({ suite, suiteName }));
const MATRIX = KEY_TYPES.flatMap((k) => SUITES.flatMap(([s, sn]) => GROUPS.map(([g, gn, gi]) => ({ keyType: k, suite: s, suiteName: sn, group: g, curve: gn, curveInfo: gi }))));

let caPem: PemCredentials;
let caDer: Uint8Array[];
let otherCaDer: Uint8Array[];
let leaves: Record<DevKeyType, PemCredentials>;
let creds: Record<DevKeyType, TlsCredentials>;

beforeAll(async () => {
  caPem = await generateDevCa();
  caDer = loadCertificateChain(caPem.certPem);
  otherCaDer = loadCertificateChain((await generateDevCa()).certPem);
  leaves = {} as Record<DevKeyType, PemCredentials>;
  creds = {} as Record<DevKeyType, TlsCredentials>;
  for (const k of KEY_TYPES) {
    leaves[k] = await generateDevCertificate({ keyType: k, ca: caPem, hosts: ['localhost', HOST] });
    creds[k] = loadCredentials(leaves[k].certPem, leaves[k].keyPem);
  }
}, 60_000);

// ---------------------------------------------------------------------------------------------
// Plumbing

/** Everything opened by a test, closed by `cleanup` (afterAll as a backstop). */
const open = { sockets: new Set<net.Socket>(), servers: new Set<net.Server>() };
function track<T extends net.Socket>(s: T): T {
  open.sockets.add(s);
  s.on('close', () => open.sockets.delete(s));
  s.on('error', () => {}); // reported through the conversation, not as an unhandled error
  return s;
}
async function cleanup(): Promise<void> {
  for (const s of open.sockets) s.destroy();
  open.sockets.clear();
  await Promise.all([...open.servers].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  open.servers.clear();
}
afterAll(cleanup);

async function listen(srv: net.Server): Promise<number> {
  open.servers.add(srv);
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, HOST, () => resolve());
  });
  return (srv.address() as net.AddressInfo).port;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for `cond`, polling; fails after `ms` with `what`. */
async function until(cond: () => boolean, what: string, ms = CONVERSATION_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Node-side notes, printed when a conversation fails. */
interface NodeSide {
  errors: string[];
}

interface Outcome {
  info: HandshakeInfo;
  shim: RecordShim;
  tickets: ClientSession[];
}

/** What went wrong, with everything that helps: the engine error, alerts, node's errors, the record trace. */
function diagnose(what: string, err: unknown, shim: RecordShim, node: NodeSide): Error {
  const lines = [`${what}: ${err instanceof Error ? err.message : String(err)}`];
  for (const a of shim.alerts) lines.push(`  peer alert: ${a.level === 2 ? 'fatal' : 'warning'} ${a.name} (${a.description})${a.encrypted ? '' : ' in the clear'}`);
  for (const e of node.errors) lines.push(`  node: ${e}`);
  lines.push('  record trace:', ...shim.trace.slice(-30).map((t) => `    ${t}`));
  return new Error(lines.join('\n'));
}

/**
 * Drives one tquic engine over a socket until the handshake is complete, GREETING arrived, PING
 * came back and (client) `wantTickets` tickets arrived. On an engine failure the matching alert
 * is sent to the peer before rejecting.
 */
interface ConverseOptions {
  /** Wait for this many session_ticket events (client). */
  wantTickets?: number;
  /** Cut our handshake flights into records of this many bytes (RecordShimOptions.maxFragment). */
  maxFragment?: number;
}

function converse(sock: net.Socket, engine: TlsEngine, provider: CryptoProvider, role: 'client' | 'server', node: NodeSide, opts: ConverseOptions = {}): Promise<Outcome> {
  const shim = new RecordShim({ provider, engine, role, compatCcs: role === 'server', ...(opts.maxFragment ? { maxFragment: opts.maxFragment } : {}) });
  const wantTickets = opts.wantTickets ?? 0;
  const expected = GREETING + PING;
  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    let pingSent = false;
    const tickets = (): ClientSession[] => shim.events.flatMap((e) => (e.type === 'session_ticket' ? [e.session] : []));
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) {
        const done = shim.events.find((e) => e.type === 'handshake_complete');
        // RFC 9846 §6.1: close_notify, then close.
        shim.sendAlert(AlertDescription.CLOSE_NOTIFY, 1);
        sock.end(shim.take());
        if (done?.type === 'handshake_complete') resolve({ info: done.info, shim, tickets: tickets() });
        return;
      }
      if (err instanceof TransportError) {
        const alert = alertOf(err.code);
        if (alert !== undefined && !sock.destroyed) {
          shim.sendAlert(alert);
          sock.end(shim.take());
        }
      }
      // Give node a moment (≤ 1 s) to report its side (tlsClientError, socket errors) before
      // composing the message.
      void until(() => node.errors.length > 0, 'a node-side error', 1000)
        .catch(() => {})
        .then(() => {
          sock.destroy();
          reject(diagnose(`${role} conversation failed`, err, shim, node));
        });
    };
    const timer = setTimeout(() => finish(new Error(`no result within ${CONVERSATION_MS} ms (received ${JSON.stringify(UTF8.decode(shim.receivedData()))})`)), CONVERSATION_MS);
    const step = (): void => {
      const got = UTF8.decode(shim.receivedData());
      if (engine.isHandshakeComplete && !pingSent && got.startsWith(GREETING)) {
        shim.sendApplicationData(TEXT.encode(PING));
        pingSent = true;
      }
      const out = shim.take();
      if (out.length > 0) sock.write(out);
      if (!expected.startsWith(got)) throw new Error(`unexpected application data ${JSON.stringify(got)}`);
      if (got === expected && tickets().length >= wantTickets) finish();
    };
    sock.on('data', (d: Buffer) => {
      if (settled) return;
      try {
        shim.receive(new Uint8Array(d.buffer, d.byteOffset, d.length));
        if (shim.alerts.some((a) => a.level === 2)) throw new Error('peer sent a fatal alert');
        step();
      } catch (e) {
        finish(e);
      }
    });
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error('socket closed before the conversation was over')));
    if (role === 'client') {
      const start = (): void => {
        try {
          (engine as TlsClient).start();
          step();
        } catch (e) {
          finish(e);
        }
      };
      if (sock.connecting) sock.once('connect', start);
      else start();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Direction 1: node:tls server ⇄ tquic TlsClient

interface NodeServerConn {
  protocol: string | null;
  cipher: string;
  alpn: string | false | null;
  reused: boolean;
}

/** A node:tls server that greets and echoes; records what each connection negotiated. */
async function nodeServer(opts: tls.TlsOptions): Promise<{ port: number; conns: NodeServerConn[]; side: NodeSide }> {
  const conns: NodeServerConn[] = [];
  const side: NodeSide = { errors: [] };
  const srv = tls.createServer({ minVersion: 'TLSv1.3', ALPNProtocols: ['http/1.1'], ...opts }, (s) => {
    track(s);
    conns.push({ protocol: s.getProtocol(), cipher: s.getCipher().standardName, alpn: s.alpnProtocol, reused: s.isSessionReused() });
    s.on('error', (e) => side.errors.push(`server socket: ${e.message}`));
    s.write(GREETING);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  srv.on('connection', (s: net.Socket) => track(s));
  srv.on('tlsClientError', (e) => side.errors.push(`tlsClientError: ${e.message}`));
  return { port: await listen(srv), conns, side };
}

function tquicClient(p: CryptoProvider, c: Partial<TlsClientConfig> = {}): TlsClient {
  return new TlsClient({
    provider: p,
    quic: false,
    serverName: 'localhost',
    alpn: ['h2', 'http/1.1'],
    verify: { mode: 'ca', ca: caDer },
    timeMs: Date.now(),
    ...c,
  });
}

async function connectTquic(p: CryptoProvider, port: number, side: NodeSide, c: Partial<TlsClientConfig> = {}, opts: ConverseOptions = {}): Promise<Outcome> {
  const sock = track(net.connect({ host: HOST, port }));
  try {
    return await converse(sock, tquicClient(p, c), p, 'client', side, opts);
  } finally {
    sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Direction 2: node:tls client ⇄ tquic TlsServer

/** What the node client negotiated, read at 'secureConnect' (the socket may be closed by the time a test looks). */
interface NodeClientInfo {
  protocol: string | null;
  cipher: string;
  alpn: string | false | null;
  ephemeral: string | undefined;
  reused: boolean;
  authorized: boolean;
  authorizationError: string | undefined;
}

interface NodeClientConn {
  socket: tls.TLSSocket;
  side: NodeSide;
  secure: Promise<NodeClientInfo>;
  sessions: Buffer[];
}

/** A tquic TlsServer per accepted TCP connection; `outcomes[i]` is connection i's conversation. */
async function tquicServer(
  p: CryptoProvider,
  c: Partial<TlsServerConfig>,
  side: NodeSide,
  opts: ConverseOptions = {},
): Promise<{ port: number; outcomes: Array<Promise<Outcome>> }> {
  const outcomes: Array<Promise<Outcome>> = [];
  const srv = net.createServer((sock) => {
    track(sock);
    const engine = new TlsServer({ provider: p, quic: false, credentials: creds['ecdsa-p256'], alpn: ['http/1.1'], timeMs: Date.now(), ...c });
    const o = converse(sock, engine, p, 'server', side, opts);
    o.catch(() => {}); // awaited by the test
    outcomes.push(o);
  });
  return { port: await listen(srv), outcomes };
}

/** A node:tls client that greets and echoes. */
function nodeClient(port: number, side: NodeSide, opts: tls.ConnectionOptions = {}): NodeClientConn {
  const sessions: Buffer[] = [];
  const socket = track(
    tls.connect({ host: HOST, port, servername: 'localhost', ca: caPem.certPem, minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'], ...opts }),
  );
  socket.on('session', (s: Buffer) => sessions.push(s));
  socket.on('error', (e) => side.errors.push(`client socket: ${e.message}`));
  socket.on('data', (d) => socket.write(d));
  socket.on('end', () => socket.end());
  const secure = new Promise<NodeClientInfo>((resolve) =>
    socket.once('secureConnect', () => {
      const eph = socket.getEphemeralKeyInfo();
      resolve({
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().standardName,
        alpn: socket.alpnProtocol,
        ephemeral: eph && 'name' in eph ? eph.name : undefined,
        reused: socket.isSessionReused(),
        authorized: socket.authorized,
        authorizationError: socket.authorizationError === undefined ? undefined : String(socket.authorizationError),
      });
      socket.write(GREETING);
    }),
  );
  return { socket, side, secure, sessions };
}

/** Runs one node client against a tquic server: the tquic outcome and the node socket, checked authorized. */
async function nodeToTquic(
  p: CryptoProvider,
  serverCfg: Partial<TlsServerConfig>,
  clientOpts: tls.ConnectionOptions = {},
  opts: ConverseOptions = {},
): Promise<{ outcome: Outcome; client: NodeClientConn; info: NodeClientInfo; port: number; outcomes: Array<Promise<Outcome>>; side: NodeSide }> {
  const side: NodeSide = { errors: [] };
  const { port, outcomes } = await tquicServer(p, serverCfg, side, opts);
  const client = nodeClient(port, side, clientOpts);
  await until(() => outcomes.length > 0, 'the TCP connection');
  const outcome = await outcomes[0]!;
  const info = await client.secure;
  expect(info.authorized, `node client authorized: ${info.authorizationError}`).toBe(true);
  return { outcome, client, info, port, outcomes, side };
}

// ---------------------------------------------------------------------------------------------

describe.each(PROVIDER_NAMES)('node:tls interop on %s', (name) => {
  const p = getProvider(name);

  describe('node:tls server ⇄ tquic client', () => {
    it.each(MATRIX)('$keyType $suiteName $curve', async ({ keyType, suite, suiteName, group, curve }) => {
      try {
        const leaf = leaves[keyType];
        const { port, conns, side } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ciphers: suiteName, ecdhCurve: curve });
        // Share a key for the server's group only, so no HelloRetryRequest is needed.
        const o = await connectTquic(p, port, side, { keyShareGroups: [group] });
        expect(o.info.suite).toBe(suite);
        expect(o.info.group).toBe(group);
        expect(o.info.helloRetry).toBe(false);
        expect(o.info.resumed).toBe(false);
        expect(o.info.alpn).toBe('http/1.1');
        expect(o.info.peerCertificates.length).toBe(1);
        expect(conns[0]).toMatchObject({ protocol: 'TLSv1.3', cipher: suiteName, alpn: 'http/1.1', reused: false });
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('HelloRetryRequest: x25519 share against a P-256-only server', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const { port, side } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ecdhCurve: 'P-256' });
        const o = await connectTquic(p, port, side, {
          groups: [NamedGroup.X25519, NamedGroup.SECP256R1],
          keyShareGroups: [NamedGroup.X25519],
        });
        expect(o.info.helloRetry).toBe(true);
        expect(o.info.group).toBe(NamedGroup.SECP256R1);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('surfaces OpenSSL\'s no_application_protocol alert (no ALPN in common)', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const { port, side } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ALPNProtocols: ['h3'] });
        const err = await connectTquic(p, port, side).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        // RFC 7301 §3.2: the server answers a ClientHello without a common protocol with this alert.
        expect(err?.message).toMatch(/peer alert: fatal no_application_protocol \(120\) in the clear/);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('rejects the server certificate under another CA (unknown_ca reaches OpenSSL)', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const { port, side } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem });
        const err = await connectTquic(p, port, side, { verify: { mode: 'ca', ca: otherCaDer } }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(err?.message).toMatch(/unknown_ca/);
        await until(() => side.errors.length > 0, "node's tlsClientError");
        expect(side.errors.join('\n')).toMatch(/unknown ca/i);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it.each(SUITE_CASES)('NewSessionTickets after the handshake, then resumption ($suiteName)', async ({ suite, suiteName }) => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const ticketKeys = randomBytes(48);
        const opts = { key: leaf.keyPem, cert: leaf.certPem, ciphers: suiteName, ticketKeys };
        const a = await nodeServer(opts);
        const first = await connectTquic(p, a.port, a.side, {}, { wantTickets: 1 });
        // OpenSSL sends two tickets by default (SSL_CTX_set_num_tickets); at least one is needed here.
        expect(first.tickets.length).toBeGreaterThanOrEqual(1);
        const session = first.tickets[0]!;
        expect(session.suite).toBe(suite);
        expect(session.alpn).toBe('http/1.1');
        expect(session.lifetimeSeconds).toBeGreaterThan(0);

        // The same server, then another one sharing its ticket keys.
        const again = await connectTquic(p, a.port, a.side, { session });
        expect(again.info.resumed).toBe(true);
        expect(again.info.peerCertificates.length).toBe(0);
        expect(a.conns[1]!.reused).toBe(true);
        const b = await nodeServer(opts);
        const other = await connectTquic(p, b.port, b.side, { session: first.tickets[first.tickets.length - 1]! });
        expect(other.info.resumed).toBe(true);
        expect(b.conns[0]!.reused).toBe(true);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('resumption after a HelloRetryRequest (binder over message_hash ‖ HRR)', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const ticketKeys = randomBytes(48);
        const a = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ticketKeys });
        const first = await connectTquic(p, a.port, a.side, {}, { wantTickets: 1 });
        const b = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ticketKeys, ecdhCurve: 'P-256' });
        const o = await connectTquic(
          p,
          b.port,
          b.side,
          { session: first.tickets[0]!, groups: [NamedGroup.X25519, NamedGroup.SECP256R1], keyShareGroups: [NamedGroup.X25519] },
        );
        expect(o.info).toMatchObject({ resumed: true, helloRetry: true, group: NamedGroup.SECP256R1 });
        expect(b.conns[0]!.reused).toBe(true);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it.each([
      ['TLS_CHACHA20_POLY1305_SHA256', true, false],
      ['TLS_AES_256_GCM_SHA384', false, false],
      ['TLS_AES_256_GCM_SHA384', false, true],
    ] as const)('an AES-128 ticket against a server forced to %s: resumed %s (HRR %s)', async (suiteName, resumes, hrr) => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const ticketKeys = randomBytes(48);
        const a = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ticketKeys, ciphers: 'TLS_AES_128_GCM_SHA256' });
        const first = await connectTquic(p, a.port, a.side, {}, { wantTickets: 1 });
        expect(first.tickets[0]!.suite).toBe(0x1301);
        const b = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ticketKeys, ciphers: suiteName, ...(hrr ? { ecdhCurve: 'P-256' } : {}) });
        const o = await connectTquic(p, b.port, b.side, { session: first.tickets[0]!, ...(hrr ? { groups: [NamedGroup.X25519, NamedGroup.SECP256R1], keyShareGroups: [NamedGroup.X25519] } : {}) });
        expect(o.info.resumed).toBe(resumes);
        expect(o.info.helloRetry).toBe(hrr);
        expect(b.conns[0]!).toMatchObject({ reused: resumes, cipher: suiteName });
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('OpenSSL checks the PSK binder: a ticket with the wrong PSK aborts the handshake', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const a = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem });
        const first = await connectTquic(p, a.port, a.side, {}, { wantTickets: 1 });
        const t = first.tickets[0]!;
        const psk = t.psk.slice();
        psk[0]! ^= 1;
        const err = await connectTquic(p, a.port, a.side, { session: { ...t, psk } }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        // RFC 9846 §4.2.11: a binder that does not verify aborts the handshake (the alert is not
        // specified; OpenSSL 3.0 sends illegal_parameter). So the right PSK above passed a real check.
        expect(err?.message).toMatch(/peer alert: fatal (illegal_parameter|decrypt_error)/);
        expect(err?.message).toMatch(/binder does not verify/);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('answers a CertificateRequest with an empty Certificate', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const { port, side, conns } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ca: caPem.certPem, requestCert: true, rejectUnauthorized: false });
        const o = await connectTquic(p, port, side);
        expect(o.info.resumed).toBe(false);
        expect(conns[0]!.protocol).toBe('TLSv1.3');
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('surfaces certificate_required when OpenSSL insists on a client certificate', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const { port, side } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ca: caPem.certPem, requestCert: true, rejectUnauthorized: true });
        const err = await connectTquic(p, port, side).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        // RFC 9846 §4.4.2.4: a server that requires a client certificate aborts with certificate_required.
        expect(err?.message).toMatch(/peer alert: fatal certificate_required/);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('without ALPN on either side', async () => {
      try {
        const leaf = leaves['ed25519'];
        const { port, side, conns } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ALPNProtocols: undefined });
        const o = await connectTquic(p, port, side, { alpn: [] });
        expect(o.info.alpn).toBeUndefined();
        expect(conns[0]!.alpn).toBe(false);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it.each([1, 7, 100])('our ClientHello and Finished cut into %s-byte records', async (maxFragment) => {
      try {
        const leaf = leaves['rsa'];
        const { port, side } = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem });
        const o = await connectTquic(p, port, side, {}, { maxFragment });
        expect(o.info.alpn).toBe('http/1.1');
        const sent = o.shim.trace.filter((t) => t.startsWith('client -> ')).length;
        expect(sent).toBeGreaterThan(maxFragment === 100 ? 3 : 20);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('falls back to a full handshake when the server cannot open the ticket', async () => {
      try {
        const leaf = leaves['ecdsa-p256'];
        const a = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ticketKeys: randomBytes(48) });
        const first = await connectTquic(p, a.port, a.side, {}, { wantTickets: 1 });
        const b = await nodeServer({ key: leaf.keyPem, cert: leaf.certPem, ticketKeys: randomBytes(48) });
        const o = await connectTquic(p, b.port, b.side, { session: first.tickets[0]! });
        expect(o.info.resumed).toBe(false);
        expect(o.info.peerCertificates.length).toBe(1);
        expect(b.conns[0]!.reused).toBe(false);
      } finally {
        await cleanup();
      }
    }, TEST_MS);
  });

  describe('node:tls client ⇄ tquic server', () => {
    it.each(MATRIX)('$keyType $suiteName $curve', async ({ keyType, suite, suiteName, group, curve, curveInfo }) => {
      try {
        const { outcome, info } = await nodeToTquic(p, { credentials: creds[keyType] }, { ciphers: suiteName, ecdhCurve: curve });
        expect(outcome.info.suite).toBe(suite);
        expect(outcome.info.group).toBe(group);
        expect(outcome.info.helloRetry).toBe(false);
        expect(outcome.info.alpn).toBe('http/1.1');
        expect(outcome.info.serverName).toBe('localhost');
        expect(info).toMatchObject({ protocol: 'TLSv1.3', cipher: suiteName, alpn: 'http/1.1', ephemeral: curveInfo, reused: false });
        // The node client runs in middlebox compatibility mode; our server echoed its session id.
        expect(outcome.shim.trace.some((t) => t.includes('<- ccs'))).toBe(true);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('HelloRetryRequest: node shares x25519, the server wants P-256', async () => {
      try {
        const { outcome, info } = await nodeToTquic(p, { groups: [NamedGroup.SECP256R1] }, { ecdhCurve: 'X25519:P-256' });
        expect(outcome.info.helloRetry).toBe(true);
        expect(outcome.info.group).toBe(NamedGroup.SECP256R1);
        expect(info.ephemeral).toBe('prime256v1');
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('HelloRetryRequest with a cookie', async () => {
      try {
        const { outcome } = await nodeToTquic(p, { forceHelloRetry: true });
        expect(outcome.info.helloRetry).toBe(true);
        expect(outcome.info.group).toBe(NamedGroup.X25519);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it.each(SUITE_CASES)('OpenSSL resumes with our ticket ($suiteName)', async ({ suite, suiteName }) => {
      try {
        const key = new Uint8Array(randomBytes(16));
        const first = await nodeToTquic(p, { tickets: { key } }, { ciphers: suiteName });
        await until(() => first.client.sessions.length > 0, "node's 'session' event");
        expect(first.outcome.info.resumed).toBe(false);
        const session = first.client.sessions[first.client.sessions.length - 1]!;
        const client = nodeClient(first.port, first.side, { ciphers: suiteName, session });
        await until(() => first.outcomes.length > 1, 'the second TCP connection');
        const again = await first.outcomes[1]!;
        const info = await client.secure;
        expect(again.info.resumed).toBe(true);
        expect(again.info.suite).toBe(suite);
        expect(info).toMatchObject({ reused: true, cipher: suiteName, authorized: true });
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('OpenSSL resumes with our ticket after a HelloRetryRequest', async () => {
      try {
        const key = new Uint8Array(randomBytes(16));
        const first = await nodeToTquic(p, { tickets: { key } });
        await until(() => first.client.sessions.length > 0, "node's 'session' event");
        const session = first.client.sessions[first.client.sessions.length - 1]!;
        const again = await nodeToTquic(p, { tickets: { key }, groups: [NamedGroup.SECP256R1] }, { session, ecdhCurve: 'X25519:P-256' });
        expect(again.outcome.info).toMatchObject({ resumed: true, helloRetry: true, group: NamedGroup.SECP256R1 });
        expect(again.info.reused).toBe(true);
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it.each([1, 7, 100])('our server flight cut into %s-byte records', async (maxFragment) => {
      try {
        const { outcome, info } = await nodeToTquic(p, { credentials: creds['rsa'] }, {}, { maxFragment });
        expect(outcome.info.alpn).toBe('http/1.1');
        expect(info.protocol).toBe('TLSv1.3');
      } finally {
        await cleanup();
      }
    }, TEST_MS);

    it('node refuses our certificate when it does not trust the CA', async () => {
      try {
        const side: NodeSide = { errors: [] };
        const { port, outcomes } = await tquicServer(p, {}, side);
        const other = await generateDevCa();
        nodeClient(port, side, { ca: other.certPem });
        await until(() => outcomes.length > 0, 'the TCP connection');
        const err = await outcomes[0]!.then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        // node:tls checks the chain after OpenSSL's handshake and closes without an alert.
        expect(err?.message).toMatch(/socket closed/);
        expect(err?.message).toMatch(/node: client socket: unable to verify the first certificate/);
      } finally {
        await cleanup();
      }
    }, TEST_MS);
  });
});
