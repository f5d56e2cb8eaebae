/**
 * The TLS 1.3 server handshake engine for QUIC (RFC 8446 §4, RFC 9001 §4), sans-IO.
 *
 *   ◀──ClientHello── (initial)            [──HelloRetryRequest──▶ ◀──ClientHello──]
 *   ──ServerHello──▶ (initial)
 *   ──EncryptedExtensions, Certificate, CertificateVerify, Finished──▶ (handshake)
 *   ◀──Finished── (handshake)
 *   ──NewSessionTicket──▶ (application)
 *
 * Resumption: psk_dhe_ke with stateless tickets (tickets.ts); 0-RTT accepted when the ticket
 * allows it, nothing forbids it (HelloRetryRequest, ALPN change) and the acceptEarlyData hook
 * agrees.
 */
import { equalBytes } from '../../util/bytes.js';
import { ErrorCode, TransportError } from '../../util/transport-error.js';
import { HASH_LENGTH, type CipherSuite, type KeyExchange } from '../provider.js';
import { AlertDescription, tlsAlert } from './alert.js';
import { type TlsCredentials } from './certificates.js';
import { PskKeyExchangeMode, TLS13_VERSION, LEGACY_VERSION } from './constants.js';
import {
  DEFAULT_GROUPS,
  DEFAULT_SUITES,
  TlsEngine,
  certificateVerifyContent,
  decodeAlpn,
  encodeAlpn,
  hashOf,
  type EncryptionLevel,
  type TlsCommonConfig,
} from './engine.js';
import { findExtension, type Extension } from './extensions.js';
import { KeySchedule, Transcript, resumptionPsk } from './key-schedule.js';
import { truncatedClientHello, type ClientHello, type HandshakeMessage } from './messages.js';
import { openTicket, sealTicket, type TicketState } from './tickets.js';

export interface TlsServerConfig extends TlsCommonConfig {
  credentials: TlsCredentials;
  /** Always answer the first ClientHello with a HelloRetryRequest carrying a cookie (tests, address checks). */
  forceHelloRetry?: boolean;
  /** Session tickets (resumption); absent = no tickets, no resumption. */
  tickets?: {
    /** 16-byte AES-128-GCM key that seals tickets; share it between servers that resume each other's sessions. */
    key: Uint8Array;
    /** Ticket lifetime in seconds (≤ 604800), default 86400. */
    lifetimeSeconds?: number;
    /** Allow 0-RTT with the tickets issued (max_early_data_size 0xffffffff in QUIC). */
    earlyData?: boolean;
  };
  /**
   * Decides whether to accept 0-RTT (RFC 9001 §4.6.2), given the resumed ticket's ALPN and the
   * appData stored in it (the connection compares remembered transport parameters there).
   * Default: accept.
   */
  acceptEarlyData?: (ticket: { alpn: string; appData: Uint8Array; identity: Uint8Array }) => boolean;
  /** appData for the ticket sent automatically after the handshake (the connection's transport parameters). */
  ticketAppData?: () => Uint8Array;
  /** Window for the 0-RTT ticket-age freshness check (RFC 8446 §8.3), ms; default 10000. */
  earlyDataAgeWindowMs?: number;
  /**
   * QUIC: called with the client's encoded transport parameters as its ClientHello is accepted,
   * before EncryptedExtensions is written; what it returns is sent instead of
   * `transportParameters` (RFC 9368 §2.3: the server picks the version from the client's
   * parameters and names it in its own). A TransportError it throws fails the handshake with
   * that error.
   */
  transportParametersFor?: (clientParameters: Uint8Array) => Uint8Array;
}

/** RFC 9000 §19.6: the frame type reported with handshake errors. */
const CRYPTO_FRAME = 0x06;

type State = 'wait_ch' | 'wait_ch2' | 'wait_finished' | 'connected';

/**
 * The TLS 1.3 server engine for QUIC (RFC 8446 §4, RFC 9001 §4), sans-IO: takes the client's
 * handshake bytes with `receive`, answers through `pollOutput`, reports secrets and the outcome
 * through `pollEvent`. Negotiates suite, group and ALPN, sends a HelloRetryRequest when the client
 * sent no key share for the chosen group, resumes from its own sealed tickets and decides on 0-RTT.
 */
export class TlsServer extends TlsEngine {
  private state: State = 'wait_ch';
  private readonly transcript = new Transcript();
  private readonly suites: CipherSuite[];
  private readonly groups: number[];
  private suite: CipherSuite | undefined;
  private group = 0;
  private helloRetry = false;
  private cookie: Uint8Array | undefined;
  private ch1: ClientHello | undefined;
  private ks: KeySchedule | undefined;
  private hsSecrets: { client: Uint8Array; server: Uint8Array } | undefined;
  private appClientSecret: Uint8Array | undefined;
  private resumed = false;
  private earlyAccepted = false;
  private alpn: string | undefined;
  private serverName: string | undefined;
  private resumptionSecret: Uint8Array | undefined;
  private ticketsSent = 0;

  constructor(readonly config: TlsServerConfig) {
    super(config);
    this.suites = [...(config.cipherSuites ?? DEFAULT_SUITES)];
    this.groups = [...(config.groups ?? DEFAULT_GROUPS)].filter((g) => this.provider.supportedGroups.includes(g));
    if (this.suites.length === 0 || this.groups.length === 0) throw new RangeError('no cipher suites or groups');
    if (this.quic && (config.alpn ?? []).length === 0) throw new RangeError('QUIC needs at least one ALPN protocol (RFC 9001 §8.1)');
    if (config.tickets && config.tickets.key.length !== 16) throw new RangeError('ticket key must be 16 bytes');
  }

  protected finishedLength(): number | undefined {
    return this.suite !== undefined ? HASH_LENGTH[hashOf(this.suite)] : undefined;
  }

  protected onMessage(level: EncryptionLevel, msg: HandshakeMessage, raw: Uint8Array): void {
    if (level === 'initial' && msg.kind === 'client_hello' && (this.state === 'wait_ch' || this.state === 'wait_ch2')) return this.onClientHello(msg, raw);
    if (level === 'handshake' && msg.kind === 'finished' && this.state === 'wait_finished') return this.onFinished(msg.verifyData, raw);
    throw tlsAlert(AlertDescription.UNEXPECTED_MESSAGE, `unexpected ${msg.kind} at ${level} level in state ${this.state}`);
  }

  private onClientHello(ch: ClientHello, raw: Uint8Array): void {
    const exts = ch.extensions;
    const versions = findExtension(exts, 'supported_versions');
    if (!versions || !versions.versions.includes(TLS13_VERSION)) throw tlsAlert(AlertDescription.PROTOCOL_VERSION, 'client does not offer TLS 1.3');
    // RFC 9001 §8.4: QUIC forbids middlebox compatibility mode; a non-empty session ID is a
    // PROTOCOL_VIOLATION (a transport error, not an alert).
    if (this.quic && ch.legacySessionId.length !== 0) {
      throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, CRYPTO_FRAME, 'non-empty legacy_session_id in a QUIC ClientHello (RFC 9001 §8.4)');
    }
    if (this.state === 'wait_ch') {
      this.clientRandom = ch.random;
    } else {
      this.checkSecondClientHello(ch);
    }

    // Cipher suite: our preference among the client's.
    const suite = this.suite ?? this.suites.find((s) => ch.cipherSuites.includes(s));
    if (suite === undefined) throw tlsAlert(AlertDescription.HANDSHAKE_FAILURE, 'no common cipher suite');
    if (!ch.cipherSuites.includes(suite)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'second ClientHello dropped the selected suite');
    const hash = hashOf(suite);

    // ALPN (RFC 7301 §3.2, RFC 9001 §8.1): our preference among the client's.
    const alpnExt = findExtension(exts, 'alpn');
    const offered = alpnExt ? alpnExt.protocols.map(decodeAlpn) : [];
    const alpn = (this.config.alpn ?? []).find((p) => offered.includes(p));
    if (this.quic && alpn === undefined) throw tlsAlert(AlertDescription.NO_APPLICATION_PROTOCOL, `no common application protocol (client offered ${offered.join(',') || 'none'})`);

    const tp = findExtension(exts, 'quic_transport_parameters');
    if (this.quic && !tp) throw tlsAlert(AlertDescription.MISSING_EXTENSION, 'client sent no quic_transport_parameters (RFC 9001 §8.2)');

    // Key exchange: a share we can use, else ask for one (HelloRetryRequest).
    const clientGroups = findExtension(exts, 'supported_groups')?.groups ?? [];
    const shares = findExtension(exts, 'key_share')?.shares ?? [];
    const share = this.groups.map((g) => shares.find((s) => s.group === g)).find((s) => s !== undefined);
    const mustRetry = this.state === 'wait_ch' && this.config.forceHelloRetry === true;
    if (!share || mustRetry) {
      if (this.state === 'wait_ch2') throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'second ClientHello still has no usable key share');
      const group = share?.group ?? this.groups.find((g) => clientGroups.includes(g));
      if (group === undefined) throw tlsAlert(AlertDescription.HANDSHAKE_FAILURE, 'no common key-exchange group');
      return this.sendHelloRetry(ch, raw, suite, group, share === undefined);
    }

    this.suite = suite;
    this.alpn = alpn;
    this.serverName = findExtension(exts, 'server_name')?.hostName;
    if (tp) this.emit({ type: 'peer_transport_parameters', data: tp.data });
    const ourParameters = tp && this.config.transportParametersFor ? this.config.transportParametersFor(tp.data) : this.common.transportParameters;

    // Resumption (RFC 8446 §4.2.11): identity 0 of psk_dhe_ke only.
    const psk = this.tryResume(ch, raw, suite, alpn);
    this.transcript.add(raw);

    // 0-RTT (RFC 8446 §4.2.10): the client's early secret is derived over ClientHello.
    if (this.earlyAccepted) {
      const secret = new KeySchedule(this.provider, hash, psk!.psk).clientEarlyTrafficSecret(this.transcript.hash(this.provider, hash));
      this.emitSecret('early', 'read', suite, secret, TlsEngine.label('early', 'client'));
    }

    const kx: KeyExchange = this.provider.keyExchange(share.group);
    const shared = kx.computeSharedSecret(share.keyExchange);
    this.group = share.group;
    const shExt: Extension[] = [
      { kind: 'supported_versions_selected', version: TLS13_VERSION },
      { kind: 'key_share_server', share: { group: share.group, keyExchange: kx.publicKey } },
    ];
    if (psk) shExt.push({ kind: 'pre_shared_key_selected', selectedIdentity: 0 });
    this.transcript.add(
      this.send('initial', {
        kind: 'server_hello',
        legacyVersion: LEGACY_VERSION,
        random: this.provider.randomBytes(32),
        legacySessionIdEcho: ch.legacySessionId,
        cipherSuite: suite,
        extensions: shExt,
      }),
    );
    this.expectDrained('initial');

    const ks = new KeySchedule(this.provider, hash, psk?.psk);
    ks.setSharedSecret(shared);
    this.ks = ks;
    this.hsSecrets = ks.handshakeTrafficSecrets(this.transcript.hash(this.provider, hash));
    this.emitSecret('handshake', 'write', suite, this.hsSecrets.server, TlsEngine.label('handshake', 'server'));
    this.emitSecret('handshake', 'read', suite, this.hsSecrets.client, TlsEngine.label('handshake', 'client'));

    const ee: Extension[] = [];
    if (alpn !== undefined) ee.push({ kind: 'alpn', protocols: encodeAlpn([alpn]) });
    if (this.quic) ee.push({ kind: 'quic_transport_parameters', data: ourParameters! });
    if (this.earlyAccepted) ee.push({ kind: 'early_data' });
    this.transcript.add(this.send('handshake', { kind: 'encrypted_extensions', extensions: ee }));

    if (!psk) this.sendCertificate(ch, hash);

    const fin = ks.verifyData(this.hsSecrets.server, this.transcript.hash(this.provider, hash));
    this.transcript.add(this.send('handshake', { kind: 'finished', verifyData: fin }));
    const ap = ks.applicationTrafficSecrets(this.transcript.hash(this.provider, hash));
    this.appClientSecret = ap.client;
    // RFC 9001 §4.1.4: the server may send 0.5-RTT data once it has sent Finished.
    this.emitSecret('application', 'write', suite, ap.server, TlsEngine.label('application', 'server'));
    this.state = 'wait_finished';
  }

  private sendCertificate(ch: ClientHello, hash: ReturnType<typeof hashOf>): void {
    const creds = this.config.credentials;
    const offered = findExtension(ch.extensions, 'signature_algorithms')?.schemes ?? [];
    const scheme = creds.key.schemes.find((s) => offered.includes(s));
    if (scheme === undefined) throw tlsAlert(AlertDescription.HANDSHAKE_FAILURE, 'no signature scheme the client accepts fits our key');
    this.transcript.add(
      this.send('handshake', {
        kind: 'certificate',
        requestContext: new Uint8Array(0),
        certificateList: creds.chain.map((certData) => ({ certData, extensions: [] })),
      }),
    );
    const content = certificateVerifyContent(true, this.transcript.hash(this.provider, hash));
    const signature = this.provider.sign(scheme, creds.key, content);
    this.transcript.add(this.send('handshake', { kind: 'certificate_verify', algorithm: scheme, signature }));
  }

  private sendHelloRetry(ch: ClientHello, raw: Uint8Array, suite: CipherSuite, group: number, needShare: boolean): void {
    this.helloRetry = true;
    this.suite = suite;
    this.ch1 = ch;
    this.group = group;
    this.cookie = this.provider.randomBytes(32);
    const hash = hashOf(suite);
    this.transcript.add(raw);
    this.transcript.replaceWithMessageHash(this.provider, hash);
    const ext: Extension[] = [{ kind: 'supported_versions_selected', version: TLS13_VERSION }];
    // A key_share is asked for only when the client's shares do not fit (RFC 8446 §4.1.4).
    if (needShare) ext.push({ kind: 'key_share_hrr', selectedGroup: group });
    ext.push({ kind: 'cookie', cookie: this.cookie });
    this.transcript.add(
      this.send('initial', { kind: 'hello_retry_request', legacyVersion: LEGACY_VERSION, legacySessionIdEcho: ch.legacySessionId, cipherSuite: suite, extensions: ext }),
    );
    this.expectDrained('initial');
    this.state = 'wait_ch2';
  }

  /** RFC 8446 §4.1.2: the second ClientHello repeats the first but for the permitted changes. */
  private checkSecondClientHello(ch: ClientHello): void {
    const ch1 = this.ch1!;
    const cookie = findExtension(ch.extensions, 'cookie');
    if (!cookie || !equalBytes(cookie.cookie, this.cookie!)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'second ClientHello does not echo the cookie');
    if (!equalBytes(ch.random, ch1.random)) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'second ClientHello changed its random');
    if (findExtension(ch.extensions, 'early_data')) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'early_data after HelloRetryRequest');
    const shares = findExtension(ch.extensions, 'key_share')?.shares ?? [];
    if (shares.length !== 1 || shares[0]!.group !== this.group) throw tlsAlert(AlertDescription.ILLEGAL_PARAMETER, 'second ClientHello key share is not for the selected group');
  }

  private tryResume(ch: ClientHello, raw: Uint8Array, suite: CipherSuite, alpn: string | undefined): TicketState | undefined {
    const tickets = this.config.tickets;
    const offer = findExtension(ch.extensions, 'pre_shared_key');
    if (!offer) return undefined;
    const modes = findExtension(ch.extensions, 'psk_key_exchange_modes');
    // RFC 8446 §4.2.9: a PSK without psk_key_exchange_modes is a missing_extension.
    if (!modes) throw tlsAlert(AlertDescription.MISSING_EXTENSION, 'pre_shared_key without psk_key_exchange_modes');
    if (!tickets || !modes.modes.includes(PskKeyExchangeMode.PSK_DHE_KE)) return undefined;
    const identity = offer.identities[0]!;
    const state = openTicket(this.provider, tickets.key, identity.identity);
    if (!state || hashOf(state.suite) !== hashOf(suite)) return undefined;
    const now = this.common.timeMs;
    const ageMs = now !== undefined && state.issuedAtMs > 0 ? now - state.issuedAtMs : undefined;
    if (ageMs !== undefined && (ageMs < -1000 || ageMs > state.lifetimeSeconds * 1000)) return undefined;
    // RFC 8446 §4.2.11.2: the binder over the transcript up to the truncated ClientHello.
    const hash = hashOf(suite);
    const early = new KeySchedule(this.provider, hash, state.psk);
    const expected = early.verifyData(early.binderKey(true), this.transcript.hashWith(this.provider, hash, truncatedClientHello(raw, ch)));
    if (!equalBytes(expected, offer.binders[0]!)) throw tlsAlert(AlertDescription.DECRYPT_ERROR, 'PSK binder does not verify');
    this.resumed = true;

    if (findExtension(ch.extensions, 'early_data') && !this.helloRetry && tickets.earlyData && state.maxEarlyDataSize > 0 && state.alpn === (alpn ?? '')) {
      // RFC 8446 §8.3: the client's view of the ticket age must be close to ours.
      const clientAge = (identity.obfuscatedTicketAge - state.ticketAgeAdd) >>> 0;
      const fresh = ageMs === undefined || Math.abs(clientAge - ageMs) <= (this.config.earlyDataAgeWindowMs ?? 10_000);
      const hook = this.config.acceptEarlyData;
      this.earlyAccepted = fresh && (hook ? hook({ alpn: state.alpn, appData: state.appData, identity: identity.identity }) : true);
    }
    return state;
  }

  private onFinished(verifyData: Uint8Array, raw: Uint8Array): void {
    const ks = this.ks!;
    const hash = hashOf(this.suite!);
    const expected = ks.verifyData(this.hsSecrets!.client, this.transcript.hash(this.provider, hash));
    if (!equalBytes(expected, verifyData)) throw tlsAlert(AlertDescription.DECRYPT_ERROR, 'client Finished does not verify');
    this.transcript.add(raw);
    this.expectDrained('handshake');
    this.emitSecret('application', 'read', this.suite!, this.appClientSecret!, TlsEngine.label('application', 'client'));
    this.resumptionSecret = ks.resumptionMasterSecret(this.transcript.hash(this.provider, hash));
    this.transcript.release();
    this.state = 'connected';
    this.completeHandshake({
      suite: this.suite!,
      group: this.group,
      alpn: this.alpn,
      resumed: this.resumed,
      helloRetry: this.helloRetry,
      peerCertificates: [],
      serverName: this.serverName,
    });
    if (this.config.tickets) this.sendSessionTicket(this.config.ticketAppData?.());
  }

  /**
   * Issues a NewSessionTicket at the application level (RFC 8446 §4.6.1). `appData` is stored
   * inside the ticket and handed back to acceptEarlyData when the client resumes.
   */
  sendSessionTicket(appData: Uint8Array = new Uint8Array(0)): void {
    this.guarded(() => {
      const t = this.config.tickets;
      if (!t) throw new RangeError('tickets are not configured');
      if (this.state !== 'connected') throw new RangeError('tickets can be sent once the handshake is complete');
      const hash = hashOf(this.suite!);
      const nonce = new Uint8Array([this.ticketsSent >>> 8, this.ticketsSent & 0xff]);
      this.ticketsSent++;
      const lifetime = Math.min(t.lifetimeSeconds ?? 86400, 604800);
      const r = this.provider.randomBytes(4);
      const ageAdd = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
      const maxEarly = t.earlyData ? 0xffffffff : 0;
      const psk = resumptionPsk(this.provider, hash, this.resumptionSecret!, nonce);
      const ticket = sealTicket(this.provider, t.key, {
        suite: this.suite!,
        psk,
        issuedAtMs: this.common.timeMs ?? 0,
        ticketAgeAdd: ageAdd,
        lifetimeSeconds: lifetime,
        maxEarlyDataSize: maxEarly,
        alpn: this.alpn ?? '',
        appData,
      });
      this.send('application', {
        kind: 'new_session_ticket',
        ticketLifetime: lifetime,
        ticketAgeAdd: ageAdd,
        ticketNonce: nonce,
        ticket,
        extensions: t.earlyData ? [{ kind: 'early_data_max', maxEarlyDataSize: maxEarly }] : [],
      });
    });
  }

  /** Whether 0-RTT was accepted in this handshake. */
  get earlyDataAccepted(): boolean {
    return this.earlyAccepted;
  }
}
