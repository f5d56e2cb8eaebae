/**
 * TEST ONLY: a minimal TLS 1.3 record layer (RFC 9846 §5) around tquic's sans-IO handshake
 * engine, so that a real TLS stack (OpenSSL through node:tls) can talk to it over TCP.
 *
 * The engine produces and consumes handshake messages per encryption level (RFC 9001 §4); this
 * shim maps the levels onto records:
 *
 *   'initial'     → plaintext records (TLSPlaintext, §5.1): ClientHello, ServerHello, HRR
 *   'handshake'   → application_data records protected with the handshake traffic keys (§5.2)
 *   'application' → application_data records protected with the application traffic keys
 *                   (post-handshake NewSessionTicket, and the application data itself)
 *
 * Keys come from the engine's 'secret' events: key = HKDF-Expand-Label(secret, "key", "", len),
 * iv = HKDF-Expand-Label(secret, "iv", "", 12) (§7.3). Each key has its own 64-bit sequence
 * number starting at 0; the per-record nonce is iv XOR the big-endian sequence number left-padded
 * to the iv length (§5.3); the 5-byte record header is the AAD (§5.2). The inner plaintext is
 * content ‖ ContentType ‖ zeros (TLSInnerPlaintext, §5.2).
 *
 * Dummy change_cipher_spec records (type 20, body 0x01; §5 / Appendix D.4 middlebox
 * compatibility) are dropped on receipt and, when `compatCcs` is set, one is sent after our
 * first plaintext handshake flight. Alerts (§6) are recorded in `alerts`, never thrown from
 * here, so a test can print what the peer complained about. Everything the shim does is
 * appended to `trace`.
 *
 * Not a general TLS implementation: no KeyUpdate, no 0-RTT, no record-size negotiation, no
 * renegotiation; records are at most 2^14 bytes of plaintext.
 */
import { concatBytes } from '../../../src/util/bytes.js';
import { hkdfExpandLabel } from '../../../src/crypto/hkdf.js';
import { suiteInfo, type Aead, type CipherSuite, type CryptoProvider } from '../../../src/crypto/provider.js';
import { alertName } from '../../../src/crypto/tls/alert.js';
import type { EncryptionLevel, TlsEngine, TlsEvent } from '../../../src/crypto/tls/engine.js';

/** RFC 9846 §5.1 ContentType. */
export const ContentType = {
  CHANGE_CIPHER_SPEC: 20,
  ALERT: 21,
  HANDSHAKE: 22,
  APPLICATION_DATA: 23,
} as const;

/** RFC 9846 §5.1: 2^14, the largest TLSPlaintext.fragment / TLSInnerPlaintext content. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 9846 §5.2: TLSCiphertext.length is at most 2^14 + 256. */
const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
const HEADER = 5;

type ProtectedLevel = 'handshake' | 'application';

/** One direction's traffic protection: AEAD key, static iv and the record sequence number. */
class TrafficKeys {
  private seq = 0n;
  private readonly aead: Aead;
  private readonly iv: Uint8Array;

  constructor(
    provider: CryptoProvider,
    readonly suite: CipherSuite,
    secret: Uint8Array,
  ) {
    const info = suiteInfo(suite);
    // RFC 9846 §7.3: [sender]_write_key / _iv from the traffic secret.
    const key = hkdfExpandLabel(provider, info.hash, secret, 'key', new Uint8Array(0), info.keyLength);
    this.iv = hkdfExpandLabel(provider, info.hash, secret, 'iv', new Uint8Array(0), info.ivLength);
    this.aead = provider.aead(suite, key);
  }

  /** RFC 9846 §5.3: the 64-bit sequence number, big-endian, left-padded with zeros, XOR iv. */
  private nonce(): Uint8Array {
    const n = this.iv.slice();
    let s = this.seq;
    for (let i = n.length - 1; i >= n.length - 8; i--) {
      n[i]! ^= Number(s & 0xffn);
      s >>= 8n;
    }
    this.seq++;
    return n;
  }

  get sequence(): bigint {
    return this.seq;
  }

  seal(header: Uint8Array, innerPlaintext: Uint8Array): Uint8Array {
    return this.aead.seal(this.nonce(), header, innerPlaintext);
  }

  open(header: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return this.aead.open(this.nonce(), header, ciphertext);
  }
}

export interface ReceivedAlert {
  level: number;
  description: number;
  name: string;
  /** Whether it came in a protected record. */
  encrypted: boolean;
}

export interface RecordShimOptions {
  provider: CryptoProvider;
  engine: TlsEngine;
  role: 'client' | 'server';
  /** Send one dummy change_cipher_spec after our first plaintext handshake flight (RFC 9846 Appendix D.4). */
  compatCcs?: boolean;
  /**
   * Largest handshake fragment per record we send (default 2^14). Consecutive handshake
   * messages at one level are coalesced and then cut at this size, so a small value makes
   * messages span records and records hold the ends and starts of several messages (§5.1).
   */
  maxFragment?: number;
}

export class RecordShimError extends Error {}

export class RecordShim {
  /** Every event the engine emitted, in order. */
  readonly events: TlsEvent[] = [];
  /** Alerts the peer sent. */
  readonly alerts: ReceivedAlert[] = [];
  /** A line per record sent or received, for debugging. */
  readonly trace: string[] = [];
  /** Application data received, in order. */
  private received: Uint8Array[] = [];
  private readonly provider: CryptoProvider;
  private readonly engine: TlsEngine;
  private readonly role: 'client' | 'server';
  private readonly compatCcs: boolean;
  private readonly maxFragment: number;
  private ccsSent = false;
  private readonly writeKeys = new Map<ProtectedLevel, TrafficKeys>();
  private readonly readKeys = new Map<ProtectedLevel, TrafficKeys>();
  /** The protection of the records we expect next: 'initial' (plaintext) until a read key arrives. */
  private readLevel: 'initial' | ProtectedLevel = 'initial';
  private inbuf: Uint8Array = new Uint8Array(0);
  private outbuf: Uint8Array[] = [];
  private firstRecord = true;
  private closed = false;

  constructor(opts: RecordShimOptions) {
    this.provider = opts.provider;
    this.engine = opts.engine;
    this.role = opts.role;
    this.compatCcs = opts.compatCcs ?? false;
    this.maxFragment = opts.maxFragment ?? MAX_PLAINTEXT;
    if (!(this.maxFragment >= 1 && this.maxFragment <= MAX_PLAINTEXT)) throw new RangeError('maxFragment out of range 1..2^14');
  }

  /** True once the peer sent close_notify (or any alert). */
  get peerClosed(): boolean {
    return this.closed;
  }

  get currentReadLevel(): EncryptionLevel {
    return this.readLevel;
  }

  /** The application data received so far, concatenated. */
  receivedData(): Uint8Array {
    return concatBytes(...this.received);
  }

  /** Moves engine output into records and installs keys from new events. */
  flush(): void {
    this.drainEvents();
    // Coalesce consecutive output of one level (a flight), then write it as records.
    const runs: Array<{ level: EncryptionLevel; parts: Uint8Array[] }> = [];
    for (let o = this.engine.pollOutput(); o !== undefined; o = this.engine.pollOutput()) {
      const last = runs[runs.length - 1];
      if (last && last.level === o.level) last.parts.push(o.data);
      else runs.push({ level: o.level, parts: [o.data] });
    }
    for (const run of runs) {
      const data = concatBytes(...run.parts);
      if (run.level === 'initial') {
        this.writePlaintext(ContentType.HANDSHAKE, data, this.maxFragment);
        // Appendix D.4: the dummy CCS goes right after our first handshake message in the clear.
        if (this.compatCcs && !this.ccsSent) {
          this.ccsSent = true;
          this.writePlaintext(ContentType.CHANGE_CIPHER_SPEC, new Uint8Array([1]));
        }
      } else if (run.level === 'handshake' || run.level === 'application') {
        this.writeProtected(run.level, ContentType.HANDSHAKE, data, this.maxFragment);
      } else {
        throw new RecordShimError(`engine wrote at level ${run.level}, which has no records here`);
      }
    }
  }

  /** Bytes to write to the socket (everything queued since the last call). */
  take(): Uint8Array {
    this.flush();
    const out = concatBytes(...this.outbuf);
    this.outbuf = [];
    return out;
  }

  /** Queues application data (at the application write level). */
  sendApplicationData(data: Uint8Array): void {
    if (!this.writeKeys.has('application')) throw new RecordShimError('no application write key yet');
    this.writeProtected('application', ContentType.APPLICATION_DATA, data);
  }

  /** Queues an alert (RFC 9846 §6) at the highest write level we have; fatal = level 2. */
  sendAlert(description: number, level = 2): void {
    const body = new Uint8Array([level, description]);
    const top = this.writeKeys.has('application') ? 'application' : this.writeKeys.has('handshake') ? 'handshake' : undefined;
    if (top) this.writeProtected(top, ContentType.ALERT, body);
    else this.writePlaintext(ContentType.ALERT, body);
  }

  /**
   * Feeds bytes read from the socket. Whole records are processed one by one; after each the
   * engine's events are drained so that a key change takes effect exactly at the record boundary
   * (RFC 9846 §5.1: handshake messages never span a key change). Throws the engine's
   * TransportError, or RecordShimError for a record-layer failure.
   */
  receive(bytes: Uint8Array): void {
    this.inbuf = this.inbuf.length === 0 ? bytes.slice() : concatBytes(this.inbuf, bytes);
    let off = 0;
    while (this.inbuf.length - off >= HEADER) {
      const type = this.inbuf[off]!;
      const version = (this.inbuf[off + 1]! << 8) | this.inbuf[off + 2]!;
      const length = (this.inbuf[off + 3]! << 8) | this.inbuf[off + 4]!;
      if (length > MAX_CIPHERTEXT) throw new RecordShimError(`record_overflow: record of ${length} bytes`);
      if (this.inbuf.length - off < HEADER + length) break;
      const header = this.inbuf.slice(off, off + HEADER);
      const body = this.inbuf.slice(off + HEADER, off + HEADER + length);
      off += HEADER + length;
      this.onRecord(type, version, header, body);
      this.drainEvents();
    }
    this.inbuf = this.inbuf.slice(off);
  }

  private onRecord(type: number, version: number, header: Uint8Array, body: Uint8Array): void {
    if ((version & 0xff00) !== 0x0300) throw new RecordShimError(`record with version 0x${version.toString(16)}`);
    // RFC 9846 §5: a CCS of the single byte 0x01 is dropped; anything else is unexpected_message.
    if (type === ContentType.CHANGE_CIPHER_SPEC) {
      if (body.length !== 1 || body[0] !== 1) throw new RecordShimError('unexpected_message: malformed change_cipher_spec');
      this.trace.push(`${this.role} <- ccs (ignored)`);
      return;
    }
    if (type === ContentType.ALERT) {
      // A peer that fails before it has keys sends its alert in the clear.
      this.onAlert(body, false);
      return;
    }
    if (this.readLevel === 'initial') {
      if (type !== ContentType.HANDSHAKE) throw new RecordShimError(`unexpected_message: record type ${type} before any read key`);
      if (body.length === 0) throw new RecordShimError('unexpected_message: empty handshake record');
      this.trace.push(`${this.role} <- plaintext handshake ${body.length}B`);
      this.engine.receive('initial', body);
      return;
    }
    if (type !== ContentType.APPLICATION_DATA) throw new RecordShimError(`unexpected_message: record type ${type} after keys were installed`);
    const keys = this.readKeys.get(this.readLevel)!;
    const seq = keys.sequence;
    const inner = keys.open(header, body);
    if (inner === null) throw new RecordShimError(`bad_record_mac: cannot open record #${seq} at ${this.readLevel} level (${body.length}B)`);
    // RFC 9846 §5.2: the content type is the last non-zero byte; zeros after it are padding.
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    if (end === 0) throw new RecordShimError('unexpected_message: protected record with no content type');
    const innerType = inner[end - 1]!;
    const content = inner.subarray(0, end - 1);
    this.trace.push(`${this.role} <- ${this.readLevel}#${seq} type ${innerType} ${content.length}B`);
    switch (innerType) {
      case ContentType.HANDSHAKE:
        if (content.length === 0) throw new RecordShimError('unexpected_message: empty handshake record');
        this.engine.receive(this.readLevel, content);
        return;
      case ContentType.ALERT:
        this.onAlert(content, true);
        return;
      case ContentType.APPLICATION_DATA:
        if (this.readLevel !== 'application') throw new RecordShimError('unexpected_message: application data under handshake keys');
        this.received.push(content.slice());
        return;
      default:
        throw new RecordShimError(`unexpected_message: inner content type ${innerType}`);
    }
  }

  private onAlert(body: Uint8Array, encrypted: boolean): void {
    if (body.length !== 2) throw new RecordShimError(`decode_error: alert of ${body.length} bytes`);
    const a: ReceivedAlert = { level: body[0]!, description: body[1]!, name: alertName(body[1]!), encrypted };
    this.alerts.push(a);
    this.closed = true;
    this.trace.push(`${this.role} <- alert ${a.level === 2 ? 'fatal' : 'warning'} ${a.name}`);
  }

  private drainEvents(): void {
    for (let e = this.engine.pollEvent(); e !== undefined; e = this.engine.pollEvent()) {
      this.events.push(e);
      if (e.type !== 'secret' || e.level === 'early') continue;
      const keys = new TrafficKeys(this.provider, e.suite, e.secret);
      if (e.direction === 'write') {
        this.writeKeys.set(e.level, keys);
      } else {
        this.readKeys.set(e.level, keys);
        this.readLevel = e.level; // the peer's next record uses the new key
      }
      this.trace.push(`${this.role} installs ${e.level} ${e.direction} key (suite 0x${e.suite.toString(16)})`);
    }
  }

  private writePlaintext(type: number, data: Uint8Array, fragment = MAX_PLAINTEXT): void {
    // RFC 9846 §5.1: zero-length fragments of handshake and alert types are not sent.
    if (data.length === 0) throw new RecordShimError('empty plaintext record');
    for (let i = 0; i < data.length; i += fragment) {
      const frag = data.subarray(i, Math.min(data.length, i + fragment));
      // RFC 9846 §5.1: 0x0301 is allowed for the initial ClientHello, 0x0303 everywhere else.
      const version = this.firstRecord && this.role === 'client' ? 0x0301 : 0x0303;
      this.firstRecord = false;
      this.outbuf.push(concatBytes(header(type, version, frag.length), frag));
      this.trace.push(`${this.role} -> plaintext type ${type} ${frag.length}B`);
    }
  }

  private writeProtected(level: ProtectedLevel, type: number, data: Uint8Array, fragment = MAX_PLAINTEXT): void {
    const keys = this.writeKeys.get(level);
    if (!keys) throw new RecordShimError(`no ${level} write key`);
    for (let i = 0; i < data.length; i += fragment) {
      const frag = data.subarray(i, Math.min(data.length, i + fragment));
      const inner = new Uint8Array(frag.length + 1);
      inner.set(frag);
      inner[frag.length] = type;
      const h = header(ContentType.APPLICATION_DATA, 0x0303, inner.length + suiteInfo(keys.suite).tagLength);
      const seq = keys.sequence;
      this.outbuf.push(concatBytes(h, keys.seal(h, inner)));
      this.firstRecord = false;
      this.trace.push(`${this.role} -> ${level}#${seq} type ${type} ${frag.length}B`);
    }
  }
}

function header(type: number, version: number, length: number): Uint8Array {
  return new Uint8Array([type, version >>> 8, version & 0xff, length >>> 8, length & 0xff]);
}

