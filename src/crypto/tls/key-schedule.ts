/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) and the transcript hash (§4.4.1).
 *
 *              0
 *              |
 *    PSK ->  HKDF-Extract = Early Secret ──> binder_key, client_early_traffic_secret
 *              |
 *        Derive-Secret(., "derived", "")
 *              |
 *  (EC)DHE -> HKDF-Extract = Handshake Secret ──> {client,server}_handshake_traffic_secret
 *              |
 *        Derive-Secret(., "derived", "")
 *              |
 *     0 -> HKDF-Extract = Master Secret ──> {client,server}_application_traffic_secret_0,
 *                                          exporter_master_secret, resumption_master_secret
 */
import { concatBytes } from '../../util/bytes.js';
import { deriveSecret, emptyHash, hkdfExpandLabel } from '../hkdf.js';
import { HASH_LENGTH, type CryptoProvider, type HashName } from '../provider.js';
import { encodeMessageHash } from './messages.js';

const EMPTY = new Uint8Array(0);

/**
 * The running transcript. Messages are kept whole rather than fed to an incremental hash: the
 * hash function is unknown until the ServerHello picks a suite, a HelloRetryRequest replaces
 * ClientHello1 by its hash (§4.4.1), and a handshake is a few kilobytes hashed a handful of times.
 * They are appended to one growing buffer, so hashing the transcript so far copies nothing.
 */
export class Transcript {
  private buf = new Uint8Array(2048);
  private length = 0;

  /** Appends a handshake message (header and body, as on the wire) to the transcript. */
  add(raw: Uint8Array): void {
    const need = this.length + raw.length;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(raw, this.length);
    this.length = need;
  }

  /** Transcript-Hash of everything added so far. */
  hash(provider: CryptoProvider, hash: HashName): Uint8Array {
    return provider.hash(hash, this.buf.subarray(0, this.length));
  }

  /** Transcript-Hash of everything added so far followed by `extra` (e.g. a truncated ClientHello). */
  hashWith(provider: CryptoProvider, hash: HashName, extra: Uint8Array): Uint8Array {
    return provider.hash(hash, concatBytes(this.buf.subarray(0, this.length), extra));
  }

  /** Drops the messages once the handshake is over (nothing hashes them afterwards). */
  release(): void {
    this.buf = EMPTY;
    this.length = 0;
  }

  /**
   * RFC 8446 §4.4.1: on HelloRetryRequest, ClientHello1 is replaced by
   * message_hash ‖ 00 00 Hash.length ‖ Hash(ClientHello1).
   */
  replaceWithMessageHash(provider: CryptoProvider, hash: HashName): void {
    const ch1 = this.hash(provider, hash);
    this.length = 0;
    this.add(encodeMessageHash(ch1));
  }
}

const ZERO = new Uint8Array(64);

/**
 * What the key schedule computes the same way in every handshake, per provider and hash: Hash("")
 * and, without a PSK, the Early Secret HKDF-Extract(0, 0) and its Derive-Secret(., "derived", "")
 * (RFC 8446 §7.1). Shared read-only.
 */
interface Constants {
  readonly emptyHash: Uint8Array;
  readonly earlyNoPsk: Uint8Array;
  readonly derivedNoPsk: Uint8Array;
}

const CONSTANTS = new WeakMap<CryptoProvider, Partial<Record<HashName, Constants>>>();

function constants(provider: CryptoProvider, hash: HashName): Constants {
  let byHash = CONSTANTS.get(provider);
  if (byHash === undefined) CONSTANTS.set(provider, (byHash = {}));
  let c = byHash[hash];
  if (c === undefined) {
    const zeros = ZERO.subarray(0, HASH_LENGTH[hash]);
    const empty = emptyHash(provider, hash);
    const earlyNoPsk = provider.hkdfExtract(hash, zeros, zeros);
    c = { emptyHash: empty, earlyNoPsk, derivedNoPsk: deriveSecret(provider, hash, earlyNoPsk, 'derived', empty) };
    byHash[hash] = c;
  }
  return c;
}

/**
 * The TLS 1.3 key schedule of one handshake (RFC 8446 §7.1): the Early, Handshake and Master
 * secrets for one hash, and the traffic, binder, exporter and resumption secrets derived from them.
 */
export class KeySchedule {
  readonly hashLength: number;
  private readonly constants: Constants;
  private earlySecret: Uint8Array;
  private handshakeSecret: Uint8Array | undefined;
  private masterSecret: Uint8Array | undefined;

  /** RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK or 0). */
  constructor(
    readonly provider: CryptoProvider,
    readonly hash: HashName,
    psk?: Uint8Array,
  ) {
    this.hashLength = HASH_LENGTH[hash];
    this.constants = constants(provider, hash);
    this.earlySecret = psk === undefined ? this.constants.earlyNoPsk : provider.hkdfExtract(hash, ZERO.subarray(0, this.hashLength), psk);
  }

  /** The Early Secret (a copy). */
  get early(): Uint8Array {
    return this.earlySecret.slice();
  }

  /** binder_key = Derive-Secret(Early, "res binder" | "ext binder", "") (§7.1). */
  binderKey(resumption = true): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.earlySecret, resumption ? 'res binder' : 'ext binder', this.constants.emptyHash);
  }

  /** client_early_traffic_secret = Derive-Secret(Early, "c e traffic", ClientHello). */
  clientEarlyTrafficSecret(transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.earlySecret, 'c e traffic', transcriptHash);
  }

  /** Handshake Secret = HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE). */
  setSharedSecret(ecdhe: Uint8Array): void {
    const c = this.constants;
    const derived = this.earlySecret === c.earlyNoPsk ? c.derivedNoPsk : deriveSecret(this.provider, this.hash, this.earlySecret, 'derived', c.emptyHash);
    this.handshakeSecret = this.provider.hkdfExtract(this.hash, derived, ecdhe);
    const derived2 = deriveSecret(this.provider, this.hash, this.handshakeSecret, 'derived', c.emptyHash);
    this.masterSecret = this.provider.hkdfExtract(this.hash, derived2, ZERO.subarray(0, this.hashLength));
  }

  /** The Handshake Secret; throws before `setSharedSecret`. */
  get handshake(): Uint8Array {
    if (!this.handshakeSecret) throw new Error('key schedule: no handshake secret yet');
    return this.handshakeSecret;
  }

  /** The Master Secret; throws before `setSharedSecret`. */
  get master(): Uint8Array {
    if (!this.masterSecret) throw new Error('key schedule: no master secret yet');
    return this.masterSecret;
  }

  /** {client,server}_handshake_traffic_secret over ClientHello...ServerHello. */
  handshakeTrafficSecrets(transcriptHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    return {
      client: deriveSecret(this.provider, this.hash, this.handshake, 'c hs traffic', transcriptHash),
      server: deriveSecret(this.provider, this.hash, this.handshake, 's hs traffic', transcriptHash),
    };
  }

  /** {client,server}_application_traffic_secret_0 over ClientHello...server Finished. */
  applicationTrafficSecrets(transcriptHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    return {
      client: deriveSecret(this.provider, this.hash, this.master, 'c ap traffic', transcriptHash),
      server: deriveSecret(this.provider, this.hash, this.master, 's ap traffic', transcriptHash),
    };
  }

  /** exporter_master_secret over ClientHello...server Finished. */
  exporterMasterSecret(transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.master, 'exp master', transcriptHash);
  }

  /** resumption_master_secret over ClientHello...client Finished. */
  resumptionMasterSecret(transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.master, 'res master', transcriptHash);
  }

  /** §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
  finishedKey(baseKey: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.provider, this.hash, baseKey, 'finished', EMPTY, this.hashLength);
  }

  /** §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
  verifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    return this.provider.hmac(this.hash, this.finishedKey(baseKey), transcriptHash);
  }
}

/** §4.6.1: the PSK of a ticket = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function resumptionPsk(provider: CryptoProvider, hash: HashName, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, resumptionMasterSecret, 'resumption', ticketNonce, HASH_LENGTH[hash]);
}
