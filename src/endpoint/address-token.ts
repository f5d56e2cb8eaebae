/**
 * Address validation tokens (RFC 9000 §8.1.1–§8.1.4): the tokens a server hands out in Retry
 * packets (§17.2.5) and NEW_TOKEN frames (§19.7) and gets back in the Token field of Initial
 * packets. They are opaque to the client; this server makes them authenticated and encrypted
 * (§8.1.4: "tokens are ... integrity protected"; §21.3) with a key only it knows:
 *
 *   kind (1) ‖ nonce (12) ‖ AEAD(issued (8) ‖ [ODCID len ‖ ODCID ‖ Retry SCID len ‖ Retry SCID])
 *
 * The kind byte is in the clear (so an Initial whose Retry token fails can be told from one
 * whose NEW_TOKEN token fails, §8.1.3) but authenticated; the client's address is not carried,
 * it is bound as associated data: IP and port for a Retry token, the IP only for a NEW_TOKEN
 * token, which must survive a new client port (§8.1.3). Tokens expire (§8.1.3: Retry tokens
 * quickly; NEW_TOKEN tokens after a longer time). Times are the endpoint's `Instant`s.
 */
import { CipherSuite, type Aead, type CryptoProvider } from '../crypto/provider.js';
import type { SocketAddress } from '../util/datagram.js';
import type { Duration, Instant } from '../util/time.js';

/** The kind byte of a Retry token and of a NEW_TOKEN token. */
export const TOKEN_RETRY = 0x52;
export const TOKEN_NEW = 0x4e;

/** Default lifetime of a Retry token (RFC 9000 §8.1.3: short, a round trip is all it needs). */
export const DEFAULT_RETRY_TOKEN_LIFETIME: Duration = 10_000_000;
/** Default lifetime of a NEW_TOKEN token (for connections from the same client later on). */
export const DEFAULT_NEW_TOKEN_LIFETIME: Duration = 24 * 3600 * 1_000_000;

const NONCE = 12;
const TAG = 16;
const ISSUED = 8;
const LABEL = new TextEncoder().encode('tquic address token key');

/** What a valid Retry token carries (RFC 9000 §8.1.2, §7.3). */
export interface RetryTokenContents {
  /** The Destination Connection ID of the client's first Initial. */
  originalDcid: Uint8Array;
  /** The Source Connection ID of our Retry packet. */
  retryScid: Uint8Array;
  issued: Instant;
}

export type TokenCheck =
  | { kind: 'none' }
  | { kind: 'retry'; valid: true; contents: RetryTokenContents }
  | { kind: 'retry'; valid: false; why: string }
  | { kind: 'new_token'; valid: boolean; why?: string }
  /** Not one of ours (e.g. another server's NEW_TOKEN token): treated as no token (§8.1.3). */
  | { kind: 'unknown' };

export interface AddressTokenOptions {
  /** Secret the token key derives from (at least 16 bytes); default: random from the provider. */
  key?: Uint8Array;
  retryLifetime?: Duration;
  newTokenLifetime?: Duration;
}

export class AddressTokens {
  private aead: Aead | undefined;
  private provider: CryptoProvider | undefined;
  readonly retryLifetime: Duration;
  readonly newTokenLifetime: Duration;

  constructor(private readonly o: AddressTokenOptions = {}) {
    if (o.key !== undefined && o.key.length < 16) throw new RangeError('addressTokenKey must be at least 16 bytes');
    this.retryLifetime = o.retryLifetime ?? DEFAULT_RETRY_TOKEN_LIFETIME;
    this.newTokenLifetime = o.newTokenLifetime ?? DEFAULT_NEW_TOKEN_LIFETIME;
    if (!(this.retryLifetime > 0) || !(this.newTokenLifetime > 0)) throw new RangeError('token lifetimes must be positive');
  }

  /** The provider for the AEAD and the nonces (and the key when none was given). */
  useProvider(provider: CryptoProvider): void {
    if (this.provider !== undefined) return;
    this.provider = provider;
    const secret = this.o.key ?? provider.randomBytes(32);
    const key = provider.hkdfExtract('sha256', LABEL, secret).subarray(0, 16);
    this.aead = provider.aead(CipherSuite.TLS_AES_128_GCM_SHA256, key);
  }

  /** RFC 9000 §8.1.2: the token of a Retry sent to `client`, bound to its IP address and port. */
  retryToken(now: Instant, client: SocketAddress, originalDcid: Uint8Array, retryScid: Uint8Array): Uint8Array {
    const plain = new Uint8Array(ISSUED + 2 + originalDcid.length + retryScid.length);
    writeTime(plain, now);
    let o = ISSUED;
    plain[o++] = originalDcid.length;
    plain.set(originalDcid, o);
    o += originalDcid.length;
    plain[o++] = retryScid.length;
    plain.set(retryScid, o);
    return this.seal(TOKEN_RETRY, retryBinding(client), plain);
  }

  /** RFC 9000 §8.1.3: a token for a NEW_TOKEN frame, bound to the client's IP address only. */
  newToken(now: Instant, client: SocketAddress): Uint8Array {
    const plain = new Uint8Array(ISSUED);
    writeTime(plain, now);
    return this.seal(TOKEN_NEW, newTokenBinding(client), plain);
  }

  /** Checks the Token field of an Initial from `client` at `now`. */
  check(now: Instant, client: SocketAddress, token: Uint8Array): TokenCheck {
    if (token.length === 0) return { kind: 'none' };
    const kind = token[0]!;
    if (kind === TOKEN_RETRY) {
      const p = this.open(token, retryBinding(client));
      if (p === null) return { kind: 'retry', valid: false, why: 'Retry token not valid for this address' };
      const issued = readTime(p);
      if (!this.fresh(now, issued, this.retryLifetime)) return { kind: 'retry', valid: false, why: 'Retry token expired' };
      let o = ISSUED;
      const ol = p[o++]!;
      const originalDcid = p.slice(o, o + ol);
      o += ol;
      const rl = p[o++]!;
      const retryScid = p.slice(o, o + rl);
      return { kind: 'retry', valid: true, contents: { originalDcid, retryScid, issued } };
    }
    if (kind === TOKEN_NEW) {
      const p = this.open(token, newTokenBinding(client));
      if (p === null) return { kind: 'new_token', valid: false, why: 'token not valid for this address' };
      if (!this.fresh(now, readTime(p), this.newTokenLifetime)) return { kind: 'new_token', valid: false, why: 'token expired' };
      return { kind: 'new_token', valid: true };
    }
    return { kind: 'unknown' };
  }

  private fresh(now: Instant, issued: Instant, lifetime: Duration): boolean {
    // A time after `now` cannot be ours (a key shared with an endpoint of another time base).
    return issued <= now && now - issued <= lifetime;
  }

  private seal(kind: number, binding: Uint8Array, plain: Uint8Array): Uint8Array {
    if (this.aead === undefined || this.provider === undefined) throw new RangeError('address tokens: no crypto provider yet');
    const nonce = this.provider.randomBytes(NONCE);
    const ct = this.aead.seal(nonce, aad(kind, binding), plain);
    const out = new Uint8Array(1 + NONCE + ct.length);
    out[0] = kind;
    out.set(nonce, 1);
    out.set(ct, 1 + NONCE);
    return out;
  }

  /** The plaintext, or null for a token that does not authenticate (never throws). */
  private open(token: Uint8Array, binding: Uint8Array): Uint8Array | null {
    if (this.aead === undefined || token.length < 1 + NONCE + TAG + ISSUED) return null;
    const p = this.aead.open(token.subarray(1, 1 + NONCE), aad(token[0]!, binding), token.subarray(1 + NONCE));
    if (p === null || p.length < ISSUED) return null;
    if (token[0] === TOKEN_RETRY) {
      // Lengths are ours (authenticated), but check them anyway.
      const ol = p[ISSUED];
      if (ol === undefined || ISSUED + 1 + ol >= p.length || ISSUED + 2 + ol + p[ISSUED + 1 + ol]! !== p.length) return null;
    }
    return p;
  }
}

function aad(kind: number, binding: Uint8Array): Uint8Array {
  const a = new Uint8Array(1 + binding.length);
  a[0] = kind;
  a.set(binding, 1);
  return a;
}

const enc = new TextEncoder();
function retryBinding(a: SocketAddress): Uint8Array {
  return enc.encode(`${a.host}|${a.port}`);
}
function newTokenBinding(a: SocketAddress): Uint8Array {
  return enc.encode(a.host);
}

function writeTime(b: Uint8Array, t: Instant): void {
  const v = Math.max(0, Math.floor(t));
  const hi = Math.floor(v / 0x1_0000_0000);
  const lo = v - hi * 0x1_0000_0000;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(0, hi);
  dv.setUint32(4, lo);
}

function readTime(b: Uint8Array): Instant {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return dv.getUint32(0) * 0x1_0000_0000 + dv.getUint32(4);
}
