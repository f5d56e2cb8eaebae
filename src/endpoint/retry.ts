/**
 * The server side of address validation at the endpoint (RFC 9000 §8.1): what to do with a
 * client's Initial that would create a connection — accept it, answer it with a Retry packet
 * (§8.1.2, §17.2.5) or close it with INVALID_TOKEN (§8.1.3) — and the packets for the last two,
 * sent without creating any connection state.
 */
import { computeRetryIntegrityTag } from '../crypto/retry.js';
import { initialKeys } from '../crypto/initial.js';
import { protectPacket } from '../crypto/packet-protection.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { ByteWriter, toHex } from '../util/bytes.js';
import type { Connection } from '../connection/connection.js';
import { qlogVersion } from '../qlog/common.js';
import type { SocketAddress } from '../util/datagram.js';
import type { Prng } from '../util/prng.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { readVarintAt, varintLengthFromFirstByte } from '../util/varint.js';
import { encodeFrame } from '../wire/frame-codec.js';
import { patchLongHeaderLength, writeLongHeader, writeRetry } from '../wire/header.js';
import { AddressTokens, type AddressTokenOptions, type RetryTokenContents } from './address-token.js';

/** When a server sends Retry (RFC 9000 §8.1.2). */
export type RetryMode = 'always' | 'never' | 'auto';

export interface RetryOptions extends AddressTokenOptions {
  /** 'always': every Initial without a valid token; 'auto' (default): above `retryAbove` half-open handshakes; 'never'. */
  mode?: RetryMode;
  /** 'auto': Retry once this many server handshakes are under way (default 100). */
  retryAbove?: number;
  /** Send one NEW_TOKEN frame after the handshake is confirmed (RFC 9000 §8.1.3; default true). */
  newTokens?: boolean;
}

/** Address validation counters of an endpoint. */
export interface AddressValidationStats {
  retriesSent: number;
  /** Initials with a valid Retry token / NEW_TOKEN token. */
  retryTokensAccepted: number;
  newTokensAccepted: number;
  /** Initials with a token that did not validate (expired, another address, tampered, not ours). */
  retryTokensRejected: number;
  newTokensRejected: number;
  /** NEW_TOKEN frames queued on server connections. */
  newTokensIssued: number;
}

/** What the endpoint does with a connection-creating Initial. */
export type InitialDecision =
  | { action: 'accept'; validated: false }
  /** The address is validated by a token; with a Retry token, the values for §7.3. */
  | { action: 'accept'; validated: true; retry?: RetryTokenContents }
  | { action: 'retry' }
  | { action: 'close'; reason: string };

export const DEFAULT_RETRY_ABOVE = 100;

/**
 * The Token field of a long-header Initial in `b` whose DCID and SCID lengths are known, or
 * undefined when the header is malformed there.
 */
export function initialTokenOf(b: Uint8Array, dcidLength: number, scidLength: number): Uint8Array | undefined {
  const at = 7 + dcidLength + scidLength;
  try {
    const n = readVarintAt(b, at);
    const start = at + varintLengthFromFirstByte(b[at]!);
    if (n > b.length - start) return undefined;
    return b.subarray(start, start + n);
  } catch (e) {
    if (e instanceof TransportError) return undefined;
    throw e;
  }
}

export class AddressValidation {
  readonly tokens: AddressTokens;
  readonly mode: RetryMode;
  readonly retryAbove: number;
  readonly newTokens: boolean;
  readonly stats: AddressValidationStats = { retriesSent: 0, retryTokensAccepted: 0, newTokensAccepted: 0, retryTokensRejected: 0, newTokensRejected: 0, newTokensIssued: 0 };

  constructor(o: RetryOptions = {}) {
    this.tokens = new AddressTokens(o);
    this.mode = o.mode ?? 'auto';
    if (this.mode !== 'always' && this.mode !== 'never' && this.mode !== 'auto') throw new RangeError(`retry must be 'always', 'never' or 'auto'`);
    this.retryAbove = o.retryAbove ?? DEFAULT_RETRY_ABOVE;
    if (!(this.retryAbove >= 0)) throw new RangeError('retryAbove must be a non-negative number');
    this.newTokens = o.newTokens ?? true;
  }

  /**
   * RFC 9000 §8.1: the decision for an Initial from `from` with Destination Connection ID `dcid`
   * and Token field `token`, `halfOpen` server handshakes being under way.
   */
  decide(now: Instant, from: SocketAddress, dcid: Uint8Array, token: Uint8Array, halfOpen: () => number): InitialDecision {
    const t = this.tokens.check(now, from, token);
    switch (t.kind) {
      case 'retry':
        if (t.valid && sameBytes(t.contents.retryScid, dcid)) {
          this.stats.retryTokensAccepted++;
          return { action: 'accept', validated: true, retry: t.contents };
        }
        // §8.1.3: the client will not accept another Retry; close with INVALID_TOKEN.
        this.stats.retryTokensRejected++;
        return { action: 'close', reason: t.valid ? 'Retry token for another connection ID' : t.why };
      case 'new_token':
        if (t.valid) {
          this.stats.newTokensAccepted++;
          return { action: 'accept', validated: true };
        }
        // §8.1.3: an invalid NEW_TOKEN token is as no token (it may be old, or from a restart).
        this.stats.newTokensRejected++;
        break;
      case 'unknown':
        this.stats.newTokensRejected++;
        break;
      case 'none':
        break;
    }
    const retry = this.mode === 'always' || (this.mode === 'auto' && halfOpen() >= this.retryAbove);
    return retry ? { action: 'retry' } : { action: 'accept', validated: false };
  }

  /**
   * RFC 9000 §17.2.5: a Retry for a client Initial (in its version, §17.2.5 and RFC 9369 §3.3.3
   * for the integrity key), DCID = the client's SCID, SCID = `retryScid`, and its token.
   */
  retryPacket(provider: CryptoProvider, now: Instant, version: number, to: SocketAddress, clientDcid: Uint8Array, clientScid: Uint8Array, retryScid: Uint8Array, prng: Prng): Uint8Array {
    const token = this.tokens.retryToken(now, to, clientDcid, retryScid);
    const w = ByteWriter.alloc(7 + clientScid.length + retryScid.length + token.length + 16);
    writeRetry(w, { version, dcid: clientScid, scid: retryScid, token, unusedBits: prng.nextU32() & 0x0f });
    const tag = computeRetryIntegrityTag(provider, version, clientDcid, w.written());
    w.bytes(tag);
    this.stats.retriesSent++;
    return w.written().slice();
  }
}

/**
 * RFC 9000 §10.2.3: an Initial packet with CONNECTION_CLOSE, protected with the server's Initial
 * keys from the client's DCID, sent without creating any connection state: INVALID_TOKEN for an
 * Initial whose Retry token did not validate (§8.1.3), CONNECTION_REFUSED for one the server
 * will not take (§5.2.2). Smaller than the 1200-byte Initial that triggers it (§8: no
 * amplification).
 */
export function statelessInitialClose(provider: CryptoProvider, version: number, clientDcid: Uint8Array, clientScid: Uint8Array, errorCode: number, reason: string): Uint8Array {
  const keys = initialKeys(provider, version, clientDcid, true);
  const w = ByteWriter.alloc(256);
  const pnOffset = writeLongHeader(w, { type: 'initial', version, dcid: clientScid, scid: clientDcid, packetNumber: 0, pnLength: 1 });
  const payloadStart = w.offset;
  encodeFrame(w, { kind: 'connection_close', errorCode, frameType: 0, reason: new TextEncoder().encode(reason.slice(0, 100)) });
  // RFC 9001 §5.4.2: room for the header protection sample.
  while (w.offset - payloadStart < 4) w.u8(0);
  const payloadEnd = w.offset;
  patchLongHeaderLength(w.buf, 0, pnOffset, payloadEnd + 16);
  const size = protectPacket(keys.seal, w.buf, pnOffset, payloadEnd, 0);
  return w.buf.slice(0, size);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * qlog: the Retry that preceded a server connection (sent statelessly, before the connection and
 * its qlog existed), logged as the connection starts from its token.
 */
export function logRetrySent(conn: Connection, now: Instant, version: number, clientScid: Uint8Array, retryScid: Uint8Array, tokenLength: number): void {
  conn.qlog?.event(now, {
    name: 'quic:packet_sent',
    data: {
      header: { packet_type: 'retry', version: qlogVersion(version), scid: toHex(retryScid), dcid: toHex(clientScid), token: { type: 'retry', raw: { length: tokenLength } } },
      raw: { length: 7 + clientScid.length + retryScid.length + tokenLength + 16 },
    },
  });
}
