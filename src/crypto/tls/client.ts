/**
 * The TLS 1.3 client handshake engine for QUIC (RFC 8446 §4, RFC 9001 §4), sans-IO.
 *
 *   start() ──ClientHello──▶ (initial)
 *           ◀──ServerHello | HelloRetryRequest── (initial)
 *           ◀──EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify, Finished── (handshake)
 *           ──[Certificate], Finished──▶ (handshake)
 *           ◀──NewSessionTicket── (application)
 *
 * Resumption offers one PSK (psk_dhe_ke only) from a ClientSession, with 0-RTT when asked for
 * and allowed by the ticket.
 */
import { equalBytes } from '../../util/bytes.js';
import { HASH_LENGTH, suiteInfo, type CipherSuite, type KeyExchange } from '../provider.js';
import { AlertDescription, tlsAlert } from './alert.js';
import { verifyCertificateChain, type CertificateVerification, type VerifyKey } from './certificates.js';
import { LEGACY_VERSION, PskKeyExchangeMode, TLS13_VERSION } from './constants.js';
import {
  DEFAULT_GROUPS,
  DEFAULT_SUITES,
  TlsEngine,
  certificateVerifyContent,
  decodeAlpn,
  encodeAlpn,
  hashOf,
  type ClientSession,
  type EncryptionLevel,
  type TlsCommonConfig,
} from './engine.js';
import { findExtension, type Extension } from './extensions.js';
import { KeySchedule, Transcript, resumptionPsk } from './key-schedule.js';
import { encodeHandshake, truncatedClientHello, type ClientHello, type HandshakeMessage } from './messages.js';
import { SUPPORTED_SIGNATURE_SCHEMES } from '../signing.js';

export interface TlsClientConfig extends TlsCommonConfig {
  /** Host name for SNI and certificate checks; an IP literal is checked but not sent as SNI (RFC 6066 §3). */
  serverName?: string;
  /** How the server's certificate is checked (default: insecure, which still checks CertificateVerify). */
  verify?: { mode: 'insecure' } | { mode: 'ca'; ca: Uint8Array[] };
  /** Groups to send key shares for in the first ClientHello (default: the first of `groups`). */
  keyShareGroups?: number[];
  /** A session to resume (RFC 8446 §4.2.11). */
  session?: ClientSession;
  /** Offer 0-RTT with the session when its ticket allows it (RFC 8446 §4.2.10). */
  earlyData?: boolean;
}

type State = 'start' | 'wait_sh' | 'wait_ee' | 'wait_cert_cr' | 'wait_cert' | 'wait_cv' | 'wait_finished' | 'connected';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The TLS 1.3 client engine for QUIC (RFC 8446 §4, RFC 9001 §4), sans-IO: `start()` queues the
 * ClientHello, `receive` takes the server's handshake bytes per level, `pollOutput` and `pollEvent`
 * give bytes to send, secrets and the outcome. Resumes with one PSK from a ClientSession
 * (psk_dhe_ke), with 0-RTT when asked for and allowed by the ticket.
 */
export class TlsClient extends TlsEngine {
  private state: State = 'start';
  private readonly transcript = new Transcript();
  private readonly suites: CipherSuite[];
  private readonly groups: number[];
  private shares = new Map<number, KeyExchange>();
  private clientHello: ClientHello | undefined;
  private helloRetry = false;
  private suite: CipherSuite | undefined;
  private group = 0;
  private ks: KeySchedule | undefined;
  private hsSecrets: { client: Uint8Array; server: Uint8Array } | undefined;
  private pskOffered = false;
  private resumed = false;
  private earlyOffered = false;
  private alpn: string | undefined;
  private peerChain: Uint8Array[] = [];
  private peerKey: VerifyKey | undefined;
  private certRequestContext: Uint8Array | undefined;
  private resumptionSecret: Uint8Array | undefined;

  constructor(readonly config: TlsClientConfig) {
    super(config);
    this.suites = [...(config.cipherSuites ?? DEFAULT_SUITES)];
    this.groups = [...(config.groups ?? DEFAULT_GROUPS)];
    if (this.suites.length === 0) throw new RangeError('no cipher suites');
    for (const s of this.suites) suiteInfo(s);
    for (const g of this.groups) if (!this.provider.supportedGroups.includes(g)) throw new RangeError(`group 0x${g.toString(16)} not supported by the ${this.provider.name} provider`);
    if (this.quic && (config.alpn ?? []).length === 0) throw new RangeError('QUIC needs at least one ALPN protocol (RFC 9001 §8.1)');
    if (config.verify?.mode === 'ca' && !config.serverName) throw new RangeError('certificate verification against CAs needs serverName');
  }

  /** Builds the ClientHello (and the 0-RTT secret when early data is offered). */
  start(): void {
    this.guarded(() => {
      if (this.state !== 'start') throw new RangeError('TLS client already started');
      const shareGroups = this.config.keyShareGroups ?? this.groups.slice(0, 1);
      for (const g of shareGroups) {
        if (!this.groups.includes(g)) throw new RangeError(`key share group 0x${g.toString(16)} is not in groups`);
        this.shares.set(g, this.provider.keyExchange(g));
      }
      this.clientRandom = this.provider.randomBytes(32);
      this.sendClientHello(undefined);
      this.state = 'wait_sh';
    });
  }

  protected finishedLength(): number | undefined {
    return this.suite !== undefined ? HASH_LENGTH[hashOf(this.suite)] : undefined;
  }

  /** The session offered for resumption, when it is usable with our configuration. */
  private usableSession(): ClientSession | undefined {
    const s = this.config.session;
    if (!s) return undefined;
    // RFC 8446 §4.2.11: the PSK's hash must match a suite we offer.
    if (!this.suites.some((x) => hashOf(x) === hashOf(s.suite))) return undefined;
    if (s.serverName !== undefined && this.config.serverName !== undefined && s.serverName !== this.config.serverName) return undefined;
    if (this.common.timeMs !== undefined && this.common.timeMs - s.receivedAtMs > s.lifetimeSeconds * 1000) return undefined;
    return s;
  }

  private sendClientHello(cookie: Uint8Array | undefined): void {
    const ext: Extension[] = [];
    const sni = this.config.serverName;
    if (sni !== undefined && !IPV4.test(sni) && !sni.includes(':')) ext.push({ kind: 'server_name', hostName: sni });
    ext.push({ kind: 'supported_versions', versions: [TLS13_VERSION] });
    ext.push({ kind: 'supported_groups', groups: this.groups });
    ext.push({ kind: 'signature_algorithms', schemes: [...SUPPORTED_SIGNATURE_SCHEMES] });
    ext.push({ kind: 'key_share', shares: [...this.shares.values()].map((k) => ({ group: k.group, keyExchange: k.publicKey })) });
    if (this.config.alpn && this.config.alpn.length > 0) ext.push({ kind: 'alpn', protocols: encodeAlpn(this.config.alpn) });
    if (this.quic) ext.push({ kind: 'quic_transport_parameters', data: this.common.transportParameters! });
    if (cookie) ext.push({ kind: 'cookie', cookie });
    const session = this.usableSession();
    if (session) {
      ext.push({ kind: 'psk_key_exchange_modes', modes: [PskKeyExchangeMode.PSK_DHE_KE] });
      // RFC 8446 §4.2.10: early data only in the first ClientHello, with the ticket's ALPN.
      const alpnOk = session.alpn === undefined || (this.config.alpn ?? []).includes(session.alpn);
      if (this.config.earlyData && !cookie && !this.helloRetry && session.maxEarlyDataSize > 0 && alpnOk) {
        ext.push({ kind: 'early_data' });
        this.earlyOffered = true;
      }
      const ageMs = this.common.timeMs !== undefined ? Math.max(0, this.common.timeMs - session.receivedAtMs) : 0;
      const hashLen = HASH_LENGTH[hashOf(session.suite)];
      ext.push({
        kind: 'pre_shared_key',
        identities: [{ identity: session.ticket, obfuscatedTicketAge: (ageMs + session.ticketAgeAdd) >>> 0 }],
        binders: [new Uint8Array(hashLen)],
      });
      this.pskOffered = true;
    }
    const ch: ClientHello = {
      kind: 'client_hello',
      legacyVersion: LEGACY_VERSION,
      random: this.clientRandom!,
      legacySessionId: new Uint8Array(0),
      cipherSuites: this.suites,
      extensions: ext,
    };
    if (session) {
      // RFC 8446 §4.2.11.2: the binder covers the transcript up to the truncated ClientHello.
      const hash = hashOf(session.suite);
      const early = new KeySchedule(this.provider, hash, session.psk);
      const encoded = encodeHandshake(ch);
      const binder = early.verifyData(early.binderKey(true), this.transcript.hashWith(this.provider, hash, truncatedClientHello(encoded, ch)));
      const psk = ext[ext.length - 1]!;
      if (psk.kind === 'pre_shared_key') psk.binders = [binder];
    }
    this.clientHello = ch;
    const raw = this.send('initial', ch);
    this.transcript.add(raw);
    if (this.earlyOffered && session) {
      const hash = hashOf(session.suite);
      const early = new KeySchedule(this.provider, hash, session.psk);
      const secret = early.clientEarlyTrafficSecret(this.transcript.hash(this.provider, hash));
      this.emitSecret('early', 'write', session.suite, secret, TlsEngine.label('early', 'client'));
    }
  }

  protected onMessage(level: EncryptionLevel, msg: HandshakeMessage, raw: Uint8Array): void {
    const unexpected = (): never => {
      throw tlsAlert(AlertDescription.UNEXPECTED_MESSAGE, `unexpected ${msg.kind} at ${level} level in state ${this.state}`);
    };
    if (level === 'initial') {
      if (this.state !== 'wait_sh') unexpected();
      if (msg.kind === 'hello_retry_request') return this.onHelloRetry(msg, raw);
      if (msg.kind === 'server_hello') return this.onServerHello(msg, raw);
      return unexpected();
    }
    if (level === 'handshake') {
      switch (msg.kind) {
        case 'encrypted_extensions':
          if (this.state !== 'wait_ee') unexpected();
          return this.onEncryptedExtensions(msg.extensions, raw);
        case 'certificate_request':
          if (this.state !== 'wait_cert_cr') unexpected();
          this.certRequestContext = msg.requestContext;
          this.transcript.add(raw);
          this.state = 'wait_cert';
          return;
        case 'certificate':
          if (this.state !== 'wait_cert_cr' && this.state !== 'wait_cert') unexpected();
          return this.onCertificate(msg.certificateList.map((c) => c.certData), msg.requestContext, raw);
        case 'certificate_verify':
          if (this.state !== 'wait_cv') unexpected();
          return this.onCertificateVerify(msg.algorithm, msg.signature, raw);
        case 'finished':
          if (this.state !== 'wait_finished') unexpected();
          return this.onFinished(msg.verifyData, raw);
        default:
          return unexpected();
      }
    }
    if (level === 'application' && msg.kind === 'new_session_ticket' && this.state === 'connected') return this.onNewSessionTicket(msg);
    // RFC 9001 §6: a TLS KeyUpdate is a PROTOCOL_VIOLATION-grade unexpected_message in QUIC.
    return unexpected();
  }

  private checkServerHelloCommon(m: { legacySessionIdEcho: Uint8Array; cipherSuite: number; extensions: Extension[] }): CipherSuite {
    const v = findExtension(m.extensions, 'supported_versions_selected');
    // RFC 8446 §4.1.3: without supported_versions the server negotiated TLS ≤ 1.2.
    if (!v || v.version !== TLS13_VERSION) throw tlsAlert(AlertDescription.PROTOCOL_VERSION, 'server did not select TLS 1.3');
    if (!equalBytes(m.legacySessionIdEcho, this.clientHello!.legacySessionId)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'legacy_session_id_echo mismatch');
    if (!this.suites.includes(m.cipherSuite as CipherSuite)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, `server chose cipher suite 0x${m.cipherSuite.toString(16)} that was not offered`);
    for (const e of m.extensions) {
      if (e.kind === 'unknown') throw tlsAlert(AlertDescription.UNSUPPORTED_EXTENSION, `unsolicited extension ${e.type} in ServerHello`);
    }
    return m.cipherSuite as CipherSuite;
  }

  private onHelloRetry(msg: Extract<HandshakeMessage, { kind: 'hello_retry_request' }>, raw: Uint8Array): void {
    // RFC 8446 §4.1.4: at most one HelloRetryRequest.
    if (this.helloRetry) throw tlsAlert(AlertDescription.UNEXPECTED_MESSAGE, 'second HelloRetryRequest');
    const suite = this.checkServerHelloCommon(msg);
    const ks = findExtension(msg.extensions, 'key_share_hrr');
    const cookie = findExtension(msg.extensions, 'cookie');
    if (!ks && !cookie) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'HelloRetryRequest changes nothing');
    if (ks && (!this.groups.includes(ks.selectedGroup) || this.shares.has(ks.selectedGroup))) {
      throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, `HelloRetryRequest selects group 0x${ks.selectedGroup.toString(16)}`);
    }
    this.helloRetry = true;
    this.suite = suite;
    // The transcript hash uses the suite the HRR selected (RFC 8446 §4.4.1).
    this.transcript.replaceWithMessageHash(this.provider, hashOf(suite));
    this.transcript.add(raw);
    if (ks) this.shares = new Map([[ks.selectedGroup, this.provider.keyExchange(ks.selectedGroup)]]);
    // 0-RTT is not possible after a HelloRetryRequest (RFC 8446 §4.2.10).
    if (this.earlyOffered) {
      this.earlyOffered = false;
      this.emit({ type: 'early_data', accepted: false });
    }
    this.sendClientHello(cookie?.cookie);
  }

  private onServerHello(msg: Extract<HandshakeMessage, { kind: 'server_hello' }>, raw: Uint8Array): void {
    const suite = this.checkServerHelloCommon(msg);
    if (this.helloRetry && suite !== this.suite) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'ServerHello suite differs from HelloRetryRequest');
    this.suite = suite;
    const hash = hashOf(suite);
    const share = findExtension(msg.extensions, 'key_share_server');
    const pskSel = findExtension(msg.extensions, 'pre_shared_key_selected');
    if (!share) throw tlsAlert(AlertDescription.MISSING_EXTENSION, 'ServerHello without key_share (psk_ke was not offered)');
    const kx = this.shares.get(share.share.group);
    if (!kx) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'server key share for a group we did not offer');
    let psk: Uint8Array | undefined;
    if (pskSel) {
      const s = this.usableSession();
      if (!this.pskOffered || !s || pskSel.selectedIdentity !== 0) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'server selected a PSK we did not offer');
      if (hashOf(s.suite) !== hash) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'PSK hash does not match the suite');
      psk = s.psk;
      this.resumed = true;
    }
    this.group = share.share.group;
    this.transcript.add(raw);
    this.ks = new KeySchedule(this.provider, hash, psk);
    this.ks.setSharedSecret(kx.computeSharedSecret(share.share.keyExchange));
    this.shares.clear();
    this.hsSecrets = this.ks.handshakeTrafficSecrets(this.transcript.hash(this.provider, hash));
    this.expectDrained('initial');
    this.emitSecret('handshake', 'read', suite, this.hsSecrets.server, TlsEngine.label('handshake', 'server'));
    this.emitSecret('handshake', 'write', suite, this.hsSecrets.client, TlsEngine.label('handshake', 'client'));
    this.state = 'wait_ee';
  }

  private onEncryptedExtensions(exts: Extension[], raw: Uint8Array): void {
    const offered = this.config.alpn ?? [];
    const alpn = findExtension(exts, 'alpn');
    if (alpn) {
      const name = alpn.protocols.length === 1 ? decodeAlpn(alpn.protocols[0]!) : undefined;
      if (name === undefined || !offered.includes(name)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'server selected an ALPN protocol that was not offered');
      this.alpn = name;
    } else if (this.quic) {
      // RFC 9001 §8.1
      throw tlsAlert(AlertDescription.NO_APPLICATION_PROTOCOL, 'server did not select an application protocol');
    }
    const tp = findExtension(exts, 'quic_transport_parameters');
    if (this.quic) {
      if (!tp) throw tlsAlert(AlertDescription.MISSING_EXTENSION, 'server sent no quic_transport_parameters (RFC 9001 §8.2)');
      this.emit({ type: 'peer_transport_parameters', data: tp.data });
    } else if (tp) {
      throw tlsAlert(AlertDescription.UNSUPPORTED_EXTENSION, 'quic_transport_parameters outside QUIC');
    }
    const early = findExtension(exts, 'early_data');
    if (early && !this.earlyOffered) throw tlsAlert(AlertDescription.UNSUPPORTED_EXTENSION, 'early_data accepted but not offered');
    if (this.earlyOffered) this.emit({ type: 'early_data', accepted: early !== undefined && this.resumed });
    for (const e of exts) if (e.kind === 'unknown') throw tlsAlert(AlertDescription.UNSUPPORTED_EXTENSION, `unsolicited extension ${e.type} in EncryptedExtensions`);
    this.transcript.add(raw);
    this.state = this.resumed ? 'wait_finished' : 'wait_cert_cr';
  }

  private onCertificate(chain: Uint8Array[], context: Uint8Array, raw: Uint8Array): void {
    if (context.length !== 0) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'server Certificate with a request context');
    if (chain.length === 0) throw tlsAlert(AlertDescription.DECODE_ERROR, 'empty server certificate chain');
    const verify = this.config.verify ?? { mode: 'insecure' };
    let opts: CertificateVerification;
    if (verify.mode === 'ca') {
      if (this.common.timeMs === undefined) throw tlsAlert(AlertDescription.INTERNAL_ERROR, 'certificate verification needs timeMs');
      opts = { mode: 'ca', ca: verify.ca, host: this.config.serverName!, timeMs: this.common.timeMs };
    } else {
      opts = { mode: 'insecure' };
    }
    this.peerKey = verifyCertificateChain(chain, opts);
    this.peerChain = chain;
    this.transcript.add(raw);
    this.state = 'wait_cv';
  }

  private onCertificateVerify(scheme: number, signature: Uint8Array, raw: Uint8Array): void {
    if (!SUPPORTED_SIGNATURE_SCHEMES.includes(scheme)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, `CertificateVerify with unoffered scheme 0x${scheme.toString(16)}`);
    const content = certificateVerifyContent(true, this.transcript.hash(this.provider, hashOf(this.suite!)));
    if (!this.provider.verify(scheme, this.peerKey!, content, signature)) throw tlsAlert(AlertDescription.DECRYPT_ERROR, 'server CertificateVerify signature is invalid');
    this.transcript.add(raw);
    this.state = 'wait_finished';
  }

  private onFinished(verifyData: Uint8Array, raw: Uint8Array): void {
    const ks = this.ks!;
    const hash = hashOf(this.suite!);
    const expected = ks.verifyData(this.hsSecrets!.server, this.transcript.hash(this.provider, hash));
    if (!equalBytes(expected, verifyData)) throw tlsAlert(AlertDescription.DECRYPT_ERROR, 'server Finished does not verify');
    this.transcript.add(raw);
    this.expectDrained('handshake');
    const ap = ks.applicationTrafficSecrets(this.transcript.hash(this.provider, hash));
    this.emitSecret('application', 'read', this.suite!, ap.server, TlsEngine.label('application', 'server'));
    // RFC 8446 §4.4.2: answer a CertificateRequest with an empty Certificate (no client auth).
    if (this.certRequestContext !== undefined) {
      this.transcript.add(this.send('handshake', { kind: 'certificate', requestContext: this.certRequestContext, certificateList: [] }));
    }
    const fin = ks.verifyData(this.hsSecrets!.client, this.transcript.hash(this.provider, hash));
    this.transcript.add(this.send('handshake', { kind: 'finished', verifyData: fin }));
    this.emitSecret('application', 'write', this.suite!, ap.client, TlsEngine.label('application', 'client'));
    this.resumptionSecret = ks.resumptionMasterSecret(this.transcript.hash(this.provider, hash));
    this.transcript.release();
    this.state = 'connected';
    this.completeHandshake({
      suite: this.suite!,
      group: this.group,
      alpn: this.alpn,
      resumed: this.resumed,
      helloRetry: this.helloRetry,
      peerCertificates: this.peerChain,
      serverName: this.config.serverName,
    });
  }

  private onNewSessionTicket(m: Extract<HandshakeMessage, { kind: 'new_session_ticket' }>): void {
    // RFC 8446 §4.6.1: lifetime at most 7 days.
    if (m.ticketLifetime > 604800) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'ticket lifetime over 7 days');
    const early = findExtension(m.extensions, 'early_data_max');
    // RFC 9001 §4.6.1: in QUIC max_early_data_size must be 0xffffffff.
    if (this.quic && early && early.maxEarlyDataSize !== 0xffffffff) {
      throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'max_early_data_size must be 0xffffffff in QUIC');
    }
    if (m.ticketLifetime === 0) return; // RFC 8446 §4.6.1: discard immediately
    const psk = resumptionPsk(this.provider, hashOf(this.suite!), this.resumptionSecret!, m.ticketNonce);
    this.emit({
      type: 'session_ticket',
      session: {
        serverName: this.config.serverName,
        alpn: this.alpn,
        suite: this.suite!,
        psk,
        ticket: m.ticket,
        ticketAgeAdd: m.ticketAgeAdd,
        lifetimeSeconds: m.ticketLifetime,
        maxEarlyDataSize: early?.maxEarlyDataSize ?? 0,
        receivedAtMs: this.common.timeMs ?? 0,
      },
    });
  }
}
