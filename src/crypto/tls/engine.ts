/**
 * What the TLS 1.3 client and server engines have in common: the sans-IO interface QUIC needs
 * (RFC 9001 §4.1: handshake bytes in and out per encryption level, secrets out per level and
 * direction, events), per-level message framing, output queues, key-log lines and turning
 * every failure into a TransportError CRYPTO_ERROR (0x100 + alert).
 */
import { fromHex, toHex } from '../../util/bytes.js';
import { ErrorCode, TransportError } from '../../util/transport-error.js';
import { keylogLine, KeylogLabel } from '../keylog.js';
import { suiteInfo, type CipherSuite, type CryptoProvider, type HashName } from '../provider.js';
import { AlertDescription, tlsAlert } from './alert.js';
import { HandshakeReassembler, type RawHandshakeMessage } from './framer.js';
import { decodeHandshake, encodeHandshake, type HandshakeMessage } from './messages.js';

/**
 * RFC 9001 §4.1.4: the encryption levels. 'early' (0-RTT) never carries handshake messages in
 * QUIC; it exists for its secrets.
 */
export type EncryptionLevel = 'initial' | 'early' | 'handshake' | 'application';

/**
 * What an engine reports through `pollEvent`: secrets to install, the peer's transport parameters,
 * the 0-RTT outcome, session tickets and handshake completion.
 */
export type TlsEvent =
  /** A secret to install (RFC 9001 §4.1.4); derive packet keys with crypto/keys.ts. */
  | { type: 'secret'; level: 'early' | 'handshake' | 'application'; direction: 'read' | 'write'; suite: CipherSuite; secret: Uint8Array }
  /** The peer's quic_transport_parameters extension (RFC 9001 §8.2), still encoded. */
  | { type: 'peer_transport_parameters'; data: Uint8Array }
  /** The client learns whether its 0-RTT data was accepted (RFC 8446 §4.2.10). */
  | { type: 'early_data'; accepted: boolean }
  /** The client received a ticket it can resume with later (RFC 8446 §4.6.1). */
  | { type: 'session_ticket'; session: ClientSession }
  /** RFC 9001 §4.1.1: the handshake is complete. */
  | { type: 'handshake_complete'; info: HandshakeInfo };

/** What a completed handshake negotiated, reported with the 'handshake_complete' event. */
export interface HandshakeInfo {
  suite: CipherSuite;
  /** The (EC)DHE group. */
  group: number;
  /** The negotiated application protocol, if any. */
  alpn: string | undefined;
  /** True when a PSK from a ticket was used (psk_dhe_ke). */
  resumed: boolean;
  /** True when a HelloRetryRequest was part of the handshake. */
  helloRetry: boolean;
  /** The server's certificate chain (DER, leaf first) as sent; empty on resumption. */
  peerCertificates: Uint8Array[];
  /** The server name the client sent (SNI), if any. */
  serverName: string | undefined;
}

/**
 * A resumable session as the client keeps it: serialisable with `encodeSession` /
 * `decodeSession`. `appData` is for the layer above (the connection stores the server's
 * transport parameters there, RFC 9000 §7.4.1).
 */
export interface ClientSession {
  serverName: string | undefined;
  alpn: string | undefined;
  suite: CipherSuite;
  psk: Uint8Array;
  ticket: Uint8Array;
  ticketAgeAdd: number;
  lifetimeSeconds: number;
  /** 0 when the server does not allow 0-RTT with this ticket; 0xffffffff in QUIC when it does. */
  maxEarlyDataSize: number;
  /** Wall-clock time (ms since the Unix epoch) the ticket arrived, from the engine's timeMs. */
  receivedAtMs: number;
  appData?: Uint8Array;
}

/**
 * A ClientSession as JSON text (byte fields in hex), for storing a session outside the process;
 * `decodeSession` reads it back.
 */
export function encodeSession(s: ClientSession): string {
  const hex = toHex;
  return JSON.stringify({
    v: 1,
    serverName: s.serverName,
    alpn: s.alpn,
    suite: s.suite,
    psk: hex(s.psk),
    ticket: hex(s.ticket),
    ticketAgeAdd: s.ticketAgeAdd,
    lifetimeSeconds: s.lifetimeSeconds,
    maxEarlyDataSize: s.maxEarlyDataSize,
    receivedAtMs: s.receivedAtMs,
    appData: s.appData ? hex(s.appData) : undefined,
  });
}

/** Parses what encodeSession produced; throws RangeError on anything else. */
export function decodeSession(text: string): ClientSession {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new RangeError('session: not JSON');
  }
  const bytes = (k: string): Uint8Array => {
    const v = o[k];
    if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v)) throw new RangeError(`session: bad ${k}`);
    return fromHex(v);
  };
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`session: bad ${k}`);
    return v;
  };
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v !== undefined && typeof v !== 'string') throw new RangeError(`session: bad ${k}`);
    return v;
  };
  if (o.v !== 1) throw new RangeError('session: unknown version');
  const suite = num('suite');
  suiteInfo(suite); // throws RangeError for an unknown suite
  return {
    serverName: str('serverName'),
    alpn: str('alpn'),
    suite: suite as CipherSuite,
    psk: bytes('psk'),
    ticket: bytes('ticket'),
    ticketAgeAdd: num('ticketAgeAdd'),
    lifetimeSeconds: num('lifetimeSeconds'),
    maxEarlyDataSize: num('maxEarlyDataSize'),
    receivedAtMs: num('receivedAtMs'),
    ...(o.appData !== undefined ? { appData: bytes('appData') } : {}),
  };
}

/** Options both roles share. */
export interface TlsCommonConfig {
  provider: CryptoProvider;
  /**
   * QUIC mode (default true): the quic_transport_parameters extension is required, ALPN is
   * required (RFC 9001 §8.1), legacy_session_id must be empty (§8.4). False gives plain
   * TLS 1.3 handshake semantics, used to test against a TLS stack over a record layer.
   */
  quic?: boolean;
  /** Our transport parameters, encoded (RFC 9001 §8.2); required in QUIC mode. */
  transportParameters?: Uint8Array;
  /** Application protocols in preference order (RFC 7301). */
  alpn?: string[];
  /** Cipher suites in preference order; default AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305. */
  cipherSuites?: CipherSuite[];
  /** Key-exchange groups in preference order; default x25519, secp256r1, secp384r1. */
  groups?: number[];
  /** Receives NSS key-log lines (SSLKEYLOGFILE format) as secrets are derived. */
  keylog?: (line: string) => void;
  /**
   * Wall-clock time in ms since the Unix epoch, for certificate validity and ticket ages. The
   * engine never reads a clock (DESIGN §1); the edge that creates it passes the time.
   */
  timeMs?: number;
  /** Bound on one handshake message (default 64 KiB): larger → CRYPTO_BUFFER_EXCEEDED. */
  maxMessageSize?: number;
}

/**
 * Cipher suites offered and accepted by default, in preference order: AES-128-GCM, AES-256-GCM,
 * ChaCha20-Poly1305.
 */
export const DEFAULT_SUITES: readonly CipherSuite[] = [0x1301, 0x1302, 0x1303];
/**
 * Key-exchange groups offered and accepted by default, in preference order: x25519, secp256r1,
 * secp384r1.
 */
export const DEFAULT_GROUPS: readonly number[] = [0x001d, 0x0017, 0x0018];

const LEVELS: readonly EncryptionLevel[] = ['initial', 'early', 'handshake', 'application'];
const TEXT = new TextEncoder();
const UTF8 = new TextDecoder();

/**
 * ALPN protocol names as the opaque bytes of the extension (RFC 7301 §3.1); a RangeError for an
 * empty name or one over 255 bytes.
 */
export function encodeAlpn(names: readonly string[]): Uint8Array[] {
  return names.map((n) => {
    const b = TEXT.encode(n);
    if (b.length === 0 || b.length > 255) throw new RangeError(`ALPN protocol name length ${b.length} out of range 1..255`);
    return b;
  });
}

/** An ALPN protocol name from its bytes, decoded as UTF-8. */
export function decodeAlpn(b: Uint8Array): string {
  return UTF8.decode(b);
}

/**
 * What the TLS 1.3 client and server engines share: the sans-IO interface QUIC needs (RFC 9001
 * §4.1: handshake bytes in and out per encryption level, secrets out per level and direction,
 * events), per-level message framing, output queues, key-log lines, and every failure turned into a
 * TransportError CRYPTO_ERROR (0x100 + alert).
 */
export abstract class TlsEngine {
  readonly quic: boolean;
  protected readonly provider: CryptoProvider;
  private readonly framers = new Map<EncryptionLevel, HandshakeReassembler>();
  private readonly output: Array<{ level: EncryptionLevel; data: Uint8Array }> = [];
  private outputHead = 0;
  private readonly events: TlsEvent[] = [];
  private eventHead = 0;
  private failure: TransportError | undefined;
  /** ClientHello.random, for key-log lines. */
  protected clientRandom: Uint8Array | undefined;
  protected complete = false;

  constructor(protected readonly common: TlsCommonConfig) {
    this.quic = common.quic ?? true;
    this.provider = common.provider;
    if (this.quic && common.transportParameters === undefined) throw new RangeError('TLS for QUIC needs transportParameters');
    for (const l of LEVELS) this.framers.set(l, new HandshakeReassembler(common.maxMessageSize));
  }

  /** True once the handshake completed (RFC 9001 §4.1.1). */
  get isHandshakeComplete(): boolean {
    return this.complete;
  }

  /** The error the engine failed with, if it did; it then accepts no more input. */
  get error(): TransportError | undefined {
    return this.failure;
  }

  /**
   * Feeds in-order handshake bytes received at a level (the CRYPTO stream of that level,
   * RFC 9001 §4.1.3). Throws TransportError — CRYPTO_ERROR (0x100 + alert) or
   * CRYPTO_BUFFER_EXCEEDED — on any failure; the engine is then dead.
   */
  receive(level: EncryptionLevel, data: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      const framer = this.framers.get(level)!;
      framer.push(data);
      for (let m = framer.next(); m !== undefined; m = framer.next()) this.dispatch(level, m);
    } catch (e) {
      this.failure = toTransportError(e);
      throw this.failure;
    }
  }

  /** The next handshake bytes to send, with their level, or undefined. */
  pollOutput(): { level: EncryptionLevel; data: Uint8Array } | undefined {
    if (this.outputHead >= this.output.length) return undefined;
    const o = this.output[this.outputHead++]!;
    if (this.outputHead === this.output.length) {
      this.output.length = 0;
      this.outputHead = 0;
    }
    return o;
  }

  /**
   * The next event (secret, peer transport parameters, 0-RTT outcome, ticket, completion), or
   * undefined.
   */
  pollEvent(): TlsEvent | undefined {
    if (this.eventHead >= this.events.length) return undefined;
    const e = this.events[this.eventHead++]!;
    if (this.eventHead === this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
    }
    return e;
  }

  /** Runs an engine step outside `receive` (e.g. start, sendSessionTicket) with the same error handling. */
  protected guarded<T>(fn: () => T): T {
    if (this.failure) throw this.failure;
    try {
      return fn();
    } catch (e) {
      this.failure = toTransportError(e);
      throw this.failure;
    }
  }

  /**
   * Handles one whole handshake message received at `level`; `raw` is its encoding, for the
   * transcript.
   */
  protected abstract onMessage(level: EncryptionLevel, msg: HandshakeMessage, raw: Uint8Array): void;

  /** Hash length of the negotiated suite, for decoding Finished. */
  protected abstract finishedLength(): number | undefined;

  private dispatch(level: EncryptionLevel, m: RawHandshakeMessage): void {
    const fl = this.finishedLength();
    const msg = decodeHandshake(m.raw, fl !== undefined ? { finishedLength: fl } : {});
    this.onMessage(level, msg, m.raw);
  }

  /** RFC 8446 §5.1: handshake messages must not span a key change; nothing may be left over. */
  protected expectDrained(level: EncryptionLevel): void {
    const f = this.framers.get(level)!;
    if (f.queued > 0 || f.pendingBytes > 0) throw tlsAlert(AlertDescription.UNEXPECTED_MESSAGE, `data left over at ${level} level after a key change`);
  }

  /**
   * Encodes a handshake message, queues it for `pollOutput` at `level`, and returns its encoding
   * for the transcript.
   */
  protected send(level: EncryptionLevel, msg: HandshakeMessage): Uint8Array {
    const raw = encodeHandshake(msg);
    this.output.push({ level, data: raw });
    return raw;
  }

  /** The handshake is complete (RFC 9001 §4.1.1). */
  protected completeHandshake(info: HandshakeInfo): void {
    this.complete = true;
    this.emit({ type: 'handshake_complete', info });
  }

  /** Queues an event for `pollEvent`. */
  protected emit(e: TlsEvent): void {
    this.events.push(e);
  }

  /**
   * Reports a traffic secret as a 'secret' event and, with a `keylog` callback, as a key-log line.
   */
  protected emitSecret(level: 'early' | 'handshake' | 'application', direction: 'read' | 'write', suite: CipherSuite, secret: Uint8Array, label: KeylogLabel): void {
    this.emit({ type: 'secret', level, direction, suite, secret });
    if (this.common.keylog && this.clientRandom) this.common.keylog(keylogLine(label, this.clientRandom, secret));
  }

  /** Keylog labels by level and sender. */
  protected static label(level: 'early' | 'handshake' | 'application', sender: 'client' | 'server'): KeylogLabel {
    if (level === 'early') return KeylogLabel.CLIENT_EARLY_TRAFFIC_SECRET;
    if (level === 'handshake') return sender === 'client' ? KeylogLabel.CLIENT_HANDSHAKE_TRAFFIC_SECRET : KeylogLabel.SERVER_HANDSHAKE_TRAFFIC_SECRET;
    return sender === 'client' ? KeylogLabel.CLIENT_TRAFFIC_SECRET_0 : KeylogLabel.SERVER_TRAFFIC_SECRET_0;
  }
}

/** RFC 8446 §4.4.3: the content a CertificateVerify signature covers. */
export function certificateVerifyContent(server: boolean, transcriptHash: Uint8Array): Uint8Array {
  const ctx = TEXT.encode(server ? 'TLS 1.3, server CertificateVerify' : 'TLS 1.3, client CertificateVerify');
  const out = new Uint8Array(64 + ctx.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(ctx, 64);
  out[64 + ctx.length] = 0;
  out.set(transcriptHash, 65 + ctx.length);
  return out;
}

/** The hash function of a cipher suite. */
export function hashOf(suite: CipherSuite): HashName {
  return suiteInfo(suite).hash;
}

/** Anything but a TransportError is a bug in the engine: internal_error (RFC 8446 §6.2). */
function toTransportError(e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  return tlsAlert(AlertDescription.INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
}

export { ErrorCode };
