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

/**
 * The running transcript. Messages are kept whole rather than fed to an incremental hash: the
 * hash function is unknown until the ServerHello picks a suite, a HelloRetryRequest replaces
 * ClientHello1 by its hash (§4.4.1), and a handshake is a few kilobytes hashed a handful of times.
 */
export class Transcript {
  private parts: Uint8Array[] = [];

  add(raw: Uint8Array): void {
    this.parts.push(raw);
  }

  /** Transcript-Hash of everything added so far. */
  hash(provider: CryptoProvider, hash: HashName): Uint8Array {
    return provider.hash(hash, concatBytes(...this.parts));
  }

  /** Transcript-Hash of everything added so far followed by `extra` (e.g. a truncated ClientHello). */
  hashWith(provider: CryptoProvider, hash: HashName, extra: Uint8Array): Uint8Array {
    return provider.hash(hash, concatBytes(...this.parts, extra));
  }

  /**
   * RFC 8446 §4.4.1: on HelloRetryRequest, ClientHello1 is replaced by
   * message_hash ‖ 00 00 Hash.length ‖ Hash(ClientHello1).
   */
  replaceWithMessageHash(provider: CryptoProvider, hash: HashName): void {
    const ch1 = this.hash(provider, hash);
    this.parts = [encodeMessageHash(ch1)];
  }
}

const ZERO = new Uint8Array(64);

export class KeySchedule {
  readonly hashLength: number;
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
    const zeros = ZERO.subarray(0, this.hashLength);
    this.earlySecret = provider.hkdfExtract(hash, zeros, psk ?? zeros);
  }

  get early(): Uint8Array {
    return this.earlySecret;
  }

  /** binder_key = Derive-Secret(Early, "res binder" | "ext binder", "") (§7.1). */
  binderKey(resumption = true): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.earlySecret, resumption ? 'res binder' : 'ext binder', emptyHash(this.provider, this.hash));
  }

  /** client_early_traffic_secret = Derive-Secret(Early, "c e traffic", ClientHello). */
  clientEarlyTrafficSecret(transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.earlySecret, 'c e traffic', transcriptHash);
  }

  /** Handshake Secret = HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE). */
  setSharedSecret(ecdhe: Uint8Array): void {
    const derived = deriveSecret(this.provider, this.hash, this.earlySecret, 'derived', emptyHash(this.provider, this.hash));
    this.handshakeSecret = this.provider.hkdfExtract(this.hash, derived, ecdhe);
    const derived2 = deriveSecret(this.provider, this.hash, this.handshakeSecret, 'derived', emptyHash(this.provider, this.hash));
    this.masterSecret = this.provider.hkdfExtract(this.hash, derived2, ZERO.subarray(0, this.hashLength));
  }

  get handshake(): Uint8Array {
    if (!this.handshakeSecret) throw new Error('key schedule: no handshake secret yet');
    return this.handshakeSecret;
  }

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
    return hkdfExpandLabel(this.provider, this.hash, baseKey, 'finished', new Uint8Array(0), this.hashLength);
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
