/** Hostile and malformed input to the TLS engines: only TransportError, with the RFC's code. */
import { beforeAll, describe, expect, it } from 'vitest';
import { fc } from '../../support/fc.js';
import { ErrorCode, TransportError } from '../../../src/util/transport-error.js';
import { getProvider } from '../../../src/crypto/index.js';
import { generateDevCertificate } from '../../../src/crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../../../src/crypto/tls/certificates.js';
import { TlsClient } from '../../../src/crypto/tls/client.js';
import { TlsServer } from '../../../src/crypto/tls/server.js';
import { AlertDescription } from '../../../src/crypto/tls/alert.js';
import { encodeHandshake } from '../../../src/crypto/tls/messages.js';
import { LEGACY_VERSION, NamedGroup } from '../../../src/crypto/tls/constants.js';
import type { EncryptionLevel } from '../../../src/crypto/tls/engine.js';
import { pump } from './pump.js';

const p = getProvider('node');
const TP = new Uint8Array([0x0f, 0x00]);
let creds: TlsCredentials;

beforeAll(async () => {
  const c = await generateDevCertificate();
  creds = loadCredentials(c.certPem, c.keyPem);
});

const newClient = (): TlsClient => new TlsClient({ provider: p, serverName: 'localhost', alpn: ['h3'], transportParameters: TP });
const newServer = (): TlsServer => new TlsServer({ provider: p, credentials: creds, alpn: ['h3'], transportParameters: TP });

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    return e.code;
  }
  return -1;
}

const alert = (a: number): number => ErrorCode.CRYPTO_ERROR_BASE + a;
const LEVELS: EncryptionLevel[] = ['initial', 'early', 'handshake', 'application'];

function isHandshakeFailureCode(code: number): boolean {
  return (code >= 0x100 && code <= 0x1ff) || code === ErrorCode.CRYPTO_BUFFER_EXCEEDED;
}

describe('TLS engines under hostile input', () => {
  it('random bytes at any level throw nothing but CRYPTO_ERROR / CRYPTO_BUFFER_EXCEEDED', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LEVELS), fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), (level, bytes, asClient) => {
        const e = asClient ? newClient() : newServer();
        if (e instanceof TlsClient) e.start();
        const code = codeOf(() => e.receive(level, bytes));
        // Random bytes may also be an incomplete message, which is simply buffered.
        if (code !== -1) expect(isHandshakeFailureCode(code)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a dead engine keeps failing with the same error', () => {
    const s = newServer();
    // A (truncated) ServerHello sent to a server: decode_error.
    const first = codeOf(() => s.receive('initial', new Uint8Array([2, 0, 0, 1, 0])));
    expect(first).toBe(alert(AlertDescription.DECODE_ERROR));
    expect(codeOf(() => s.receive('initial', new Uint8Array([1])))).toBe(first);
    expect(s.error?.code).toBe(first);
  });

  it('a message over the size bound is CRYPTO_BUFFER_EXCEEDED before its body arrives', () => {
    const s = newServer();
    expect(codeOf(() => s.receive('initial', new Uint8Array([1, 0xff, 0xff, 0xff])))).toBe(ErrorCode.CRYPTO_BUFFER_EXCEEDED);
  });

  it('a ClientHello at the handshake level is unexpected_message', () => {
    const c = newClient();
    c.start();
    const ch = c.pollOutput()!.data;
    expect(codeOf(() => newServer().receive('handshake', ch))).toBe(alert(AlertDescription.UNEXPECTED_MESSAGE));
  });

  it('a ClientHello without TLS 1.3 is protocol_version; a session ID is PROTOCOL_VIOLATION in QUIC', () => {
    const base = {
      kind: 'client_hello' as const,
      legacyVersion: LEGACY_VERSION,
      random: new Uint8Array(32),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0x1301],
      extensions: [
        { kind: 'supported_groups' as const, groups: [NamedGroup.X25519] },
        { kind: 'alpn' as const, protocols: [new TextEncoder().encode('h3')] },
      ],
    };
    expect(codeOf(() => newServer().receive('initial', encodeHandshake(base)))).toBe(alert(AlertDescription.PROTOCOL_VERSION));
    const withSid = { ...base, legacySessionId: new Uint8Array(32), extensions: [...base.extensions, { kind: 'supported_versions' as const, versions: [0x0304] }] };
    expect(codeOf(() => newServer().receive('initial', encodeHandshake(withSid)))).toBe(ErrorCode.PROTOCOL_VIOLATION);
  });

  it('a missing quic_transport_parameters extension is missing_extension', () => {
    const c = new TlsClient({ provider: p, serverName: 'localhost', alpn: ['h3'], quic: false });
    c.start();
    expect(codeOf(() => newServer().receive('initial', c.pollOutput()!.data))).toBe(alert(AlertDescription.MISSING_EXTENSION));
  });

  it('a TLS KeyUpdate after the handshake is unexpected_message (RFC 9001 §6: 0x010a)', () => {
    const c = newClient();
    const s = newServer();
    c.start();
    pump(c, s);
    const ku = encodeHandshake({ kind: 'key_update', requestUpdate: 0 });
    expect(codeOf(() => c.receive('application', ku))).toBe(0x010a);
    expect(codeOf(() => s.receive('application', ku))).toBe(0x010a);
  });

  it('handshake data left over at a level after its keys changed is unexpected_message', () => {
    const c = newClient();
    const s = newServer();
    c.start();
    s.receive('initial', c.pollOutput()!.data);
    const sh = s.pollOutput()!.data;
    const withTrailing = new Uint8Array(sh.length + 2);
    withTrailing.set(sh);
    withTrailing.set([0x08, 0x00], sh.length); // start of another message
    expect(codeOf(() => c.receive('initial', withTrailing))).toBe(alert(AlertDescription.UNEXPECTED_MESSAGE));
  });
});
