/**
 * Stateless reset at the endpoint (RFC 9000 §10.3):
 * - tokens for the connection IDs we issue, derived from one static key (§10.3.2), so an
 *   endpoint restarted with the same key can still reset connections it forgot;
 * - resets sent in answer to short-header datagrams no connection claims: shaped like a short
 *   header packet, always smaller than the datagram that triggered them (§10.3, §10.3.3), and
 *   rate-limited by a token bucket;
 * - the peers' tokens of connection IDs in use, indexed so that a reset whose (random)
 *   Destination Connection ID routes to no connection still finds its connection (§10.3.1).
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { statelessResetToken, STATELESS_RESET_TOKEN_LENGTH } from '../crypto/stateless-reset.js';
import type { Connection } from '../connection/connection.js';
import { MIN_STATELESS_RESET } from '../connection/cids.js';
import type { Prng } from '../util/prng.js';
import type { Instant } from '../util/time.js';

/** Stateless resets sent per second by default (and the burst allowed). */
export const DEFAULT_STATELESS_RESET_RATE = 10;
/** RFC 9000 §10.3: below 41 bytes a reset may be told apart from a packet; answers stay in 41..64 when they can. */
const RESET_TARGET_MIN = 41;
const RESET_TARGET_SPREAD = 24;
/** §10.3: a trigger of 43 bytes or fewer gets a reset one byte shorter. */
const SMALL_TRIGGER = 43;
/** Length of the static key drawn when none is configured. */
const KEY_LENGTH = 32;

export interface StatelessResetStats {
  /** Resets sent. */
  sent: number;
  /** Not sent: the token bucket was empty. */
  rateLimited: number;
  /** Not sent: the datagram was too short to answer with a smaller reset. */
  tooShort: number;
  /** Resets received for one of our connections. */
  detected: number;
}

function keyOf(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export class StatelessReset {
  private key: Uint8Array | undefined;
  private provider: CryptoProvider | undefined;
  private readonly rate: number;
  private readonly burst: number;
  private credit: number;
  private lastRefill: Instant | undefined;
  private readonly watched = new Map<string, Connection>();
  readonly stats: StatelessResetStats = { sent: 0, rateLimited: 0, tooShort: 0, detected: 0 };

  /** `rate`: resets per second (0: never send one). */
  constructor(key: Uint8Array | undefined, rate: number) {
    if (key !== undefined && key.length < 16) throw new RangeError('statelessResetKey must be at least 16 bytes');
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError('statelessResetRate must be a non-negative number');
    this.key = key?.slice();
    this.rate = rate;
    this.burst = Math.max(1, rate);
    this.credit = this.burst;
  }

  /** The crypto provider (HMAC; and the key's randomness when none was configured). */
  useProvider(provider: CryptoProvider): void {
    if (this.provider === undefined) this.provider = provider;
    if (this.key === undefined) this.key = provider.randomBytes(KEY_LENGTH);
  }

  /** RFC 9000 §10.3.2: the token of a connection ID we issued. */
  token(cid: Uint8Array): Uint8Array {
    if (this.provider === undefined || this.key === undefined) throw new RangeError('stateless reset: no crypto provider yet');
    return statelessResetToken(this.provider, this.key, cid).slice();
  }

  watch(owner: Connection, token: Uint8Array): void {
    this.watched.set(keyOf(token, 0, token.length), owner);
  }

  unwatch(owner: Connection, token: Uint8Array): void {
    const k = keyOf(token, 0, token.length);
    if (this.watched.get(k) === owner) this.watched.delete(k);
  }

  /**
   * RFC 9000 §10.3.1: the connection a datagram that reached none by its connection ID resets,
   * if its last 16 bytes are the token of a connection ID one of them uses towards the sender.
   * The index only finds the candidate; the connection compares in constant time.
   */
  detect(data: Uint8Array, from: { host: string; port: number }): Connection | undefined {
    if (this.watched.size === 0 || data.length < MIN_STATELESS_RESET) return undefined;
    const conn = this.watched.get(keyOf(data, data.length - STATELESS_RESET_TOKEN_LENGTH, data.length));
    if (conn === undefined || !conn.peerCids.isStatelessReset(data, from, conn.remote)) return undefined;
    this.stats.detected++;
    return conn;
  }

  /**
   * A stateless reset answering `trigger`, a short-header datagram whose connection ID
   * (`cidLength` bytes after the first byte) routes to no connection; undefined when none may be
   * sent. RFC 9000 §10.3: at least 21 bytes; §10.3.3: smaller than the trigger, so two endpoints
   * answering each other's resets run out of bytes; the bucket bounds the rate.
   */
  respond(now: Instant, trigger: Uint8Array, cidLength: number, prng: Prng): Uint8Array | undefined {
    // §10.3.2: a zero-length connection ID cannot carry a reset token.
    if (this.rate === 0 || cidLength === 0 || this.provider === undefined || this.key === undefined) return undefined;
    const max = trigger.length - 1;
    if (max < MIN_STATELESS_RESET || trigger.length < 1 + cidLength) {
      this.stats.tooShort++;
      return undefined;
    }
    if (!this.take(now)) {
      this.stats.rateLimited++;
      return undefined;
    }
    const size = max <= SMALL_TRIGGER ? max : Math.min(max, RESET_TARGET_MIN + prng.nextInt(RESET_TARGET_SPREAD));
    const out = new Uint8Array(size);
    const tokenAt = size - STATELESS_RESET_TOKEN_LENGTH;
    // §10.3: Fixed Bits = 01, then unpredictable bits.
    const random = prng.bytes(tokenAt);
    out.set(random);
    out[0] = 0x40 | (random[0]! & 0x3f);
    out.set(this.token(trigger.subarray(1, 1 + cidLength)), tokenAt);
    this.stats.sent++;
    return out;
  }

  /** Token bucket: `rate` per second, up to `burst` at once. */
  private take(now: Instant): boolean {
    if (this.lastRefill === undefined) this.lastRefill = now;
    else if (now > this.lastRefill) {
      this.credit = Math.min(this.burst, this.credit + ((now - this.lastRefill) * this.rate) / 1_000_000);
      this.lastRefill = now;
    }
    if (this.credit < 1) return false;
    this.credit -= 1;
    return true;
  }
}
