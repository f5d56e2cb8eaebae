/**
 * 1-RTT key update (RFC 9001 §6): the key phases of both directions, which keys open a packet
 * of a given Key Phase bit and packet number, the peer's updates and our own, and the AEAD
 * confidentiality limit (§6.6) that forces one.
 *
 * Keys are counted in generations: generation g is protected with Key Phase bit g & 1. The
 * write generation runs at most one ahead of the read generation (we initiated and wait for the
 * peer's packets in the new phase); when the peer initiates, both advance together. Three sets
 * of read keys may be live: the current one, the next one (derived ahead, §6.3, and kept even
 * when the packet that asked for it turns out forged), and the previous one, kept for 3×PTO
 * after the first packet in the new phase (§6.5) for packets reordered across the update.
 *
 * Multipath (draft-ietf-quic-multipath-21 §2.5 "Key Phase Update Process"): one key phase for
 * all paths, but each path has its own packet-number space, so the packet numbers that tell the
 * previous phase from the next one (§6.5) and the one that must be acknowledged before the next
 * update (§6.1) are kept per path ID (`pathId`, 0 without multipath); the caller passes the
 * largest PTO among the paths for the 3×PTO waits.
 */
import { deriveKeyMaterial, DirectionalKeys, nextTrafficSecret } from '../crypto/keys.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { Duration, Instant } from '../util/time.js';

/** Which read keys a packet is to be opened with. */
export const enum ReadKeys {
  Current = 0,
  Next = 1,
  Previous = 2,
}

/** What opening a packet with the selected keys did to the key phase. */
export type KeyPhaseChange = 'none' | 'peer_initiated' | 'peer_responded';

/**
 * §6.6: a key update is started this many packets before the confidentiality limit, so the
 * limit is never reached while the update waits for permission.
 */
export const CONFIDENTIALITY_MARGIN = 1 << 16;

/** The next generation of one direction's keys: a new secret, key and IV; the same header protection key (§6.1). */
export function nextKeys(k: DirectionalKeys): DirectionalKeys {
  const secret = nextTrafficSecret(k.provider, k.suite.suite, k.version, k.secret);
  const m = deriveKeyMaterial(k.provider, k.suite.suite, k.version, secret);
  return new DirectionalKeys(k.provider, k.suite.suite, k.version, secret, k.provider.aead(k.suite.suite, m.key), k.hp, m.iv, k.generation + 1);
}

export class KeyPhase {
  /** Generation of the keys new packets are sealed with. */
  writeGen = 0;
  /** Generation of the keys the peer's newest packets are opened with. */
  readGen = 0;
  write: DirectionalKeys;
  read: DirectionalKeys;
  private next: DirectionalKeys | undefined;
  private previous: DirectionalKeys | undefined;
  /** When the previous read keys go (3×PTO after the first packet in the current read phase). */
  previousUntil: Instant = Infinity;
  /** Lowest packet number opened with the current read keys, per path ID (none before any). */
  private readonly firstReadPn = new Map<number, number>();
  /** Lowest packet number sealed with the current write keys, per path ID (none before any). */
  private readonly firstWritePn = new Map<number, number>();
  /** §6.5: no new update of ours before this (3×PTO after the last update completed). */
  private quietUntil: Instant = 0;
  /** Updates so far, by who started them (for stats and tests). */
  localUpdates = 0;
  remoteUpdates = 0;

  constructor(read: DirectionalKeys, write: DirectionalKeys) {
    this.read = read;
    this.write = write;
  }

  /** The Key Phase bit of packets sealed now. */
  get writePhase(): 0 | 1 {
    return (this.writeGen & 1) as 0 | 1;
  }

  /**
   * §6.3, §6.5: the keys for a 1-RTT packet with Key Phase bit `phase` and (decoded) packet
   * number `pn`. A phase other than the current one is the previous phase for packet numbers
   * below the first of the current phase (while the previous keys are kept), else the next.
   * Multipath: packet numbers of path `pathId`; on a path without a packet of the current phase
   * yet, the other phase is the previous one while its keys are kept (the peer cannot update
   * again before 3×PTO, §6.5, and the previous keys go then).
   */
  select(phase: 0 | 1, pn: number, pathId = 0): ReadKeys {
    if (phase === (this.readGen & 1)) return ReadKeys.Current;
    if (this.previous !== undefined) {
      const first = this.firstReadPn.get(pathId);
      if (first === undefined || pn < first) return ReadKeys.Previous;
    }
    return ReadKeys.Next;
  }

  /** The keys `select` chose; the next generation is derived once and kept (§6.3). */
  keys(which: ReadKeys): DirectionalKeys | undefined {
    if (which === ReadKeys.Current) return this.read;
    if (which === ReadKeys.Previous) return this.previous;
    return (this.next ??= nextKeys(this.read));
  }

  /**
   * A packet opened with the keys `which` chose. Opening with the next keys is a key update:
   * ours completing (the peer answers in our new phase) or the peer's (we follow at once, §6.2:
   * the acknowledgment of this packet goes out under the new keys).
   */
  onOpened(now: Instant, which: ReadKeys, pn: number, pto: Duration, pathId = 0): KeyPhaseChange {
    if (which === ReadKeys.Current) {
      const first = this.firstReadPn.get(pathId);
      if (first === undefined || pn < first) this.firstReadPn.set(pathId, pn);
      return 'none';
    }
    if (which === ReadKeys.Previous) return 'none';
    const responded = this.writeGen > this.readGen;
    this.previous = this.read;
    this.read = this.next!;
    this.next = undefined;
    this.readGen++;
    this.firstReadPn.clear();
    this.firstReadPn.set(pathId, pn);
    this.previousUntil = now + 3 * pto;
    this.quietUntil = now + 3 * pto;
    if (responded) return 'peer_responded';
    this.write = nextKeys(this.write);
    this.writeGen++;
    this.firstWritePn.clear();
    this.remoteUpdates++;
    return 'peer_initiated';
  }

  /**
   * §6.4: packets with higher numbers never use older keys. A packet opened with the previous
   * keys whose number is above the first of the current phase would mean the peer went back:
   * KEY_UPDATE_ERROR. (`select` only picks the previous keys below that number, so this holds
   * by construction; the check guards the invariant.)
   */
  checkPrevious(pn: number, pathId = 0): void {
    const first = this.firstReadPn.get(pathId);
    if (first !== undefined && pn >= first) throw new TransportError(ErrorCode.KEY_UPDATE_ERROR, undefined, 'packet with old keys after newer ones');
  }

  /** A 1-RTT packet was sealed with the current write keys (on path `pathId`: multipath, every path). */
  onSealed(pn: number, pathId = 0): void {
    if (!this.firstWritePn.has(pathId)) this.firstWritePn.set(pathId, pn);
  }

  /**
   * §6.1: an update may start once the handshake is confirmed, the peer has acknowledged a
   * packet of the current phase, the previous update is complete (both directions in the same
   * generation), and (§6.5) 3×PTO have passed since it completed. `largestAcked`: the largest
   * acknowledged packet number of path 0, or (multipath) of each path ID: a packet of the current
   * phase acknowledged on any path will do.
   */
  canInitiate(now: Instant, handshakeConfirmed: boolean, largestAcked: number | ((pathId: number) => number)): boolean {
    if (!handshakeConfirmed || this.writeGen !== this.readGen || now < this.quietUntil) return false;
    for (const [pathId, first] of this.firstWritePn) {
      const acked = typeof largestAcked === 'number' ? (pathId === 0 ? largestAcked : -1) : largestAcked(pathId);
      if (acked >= first) return true;
    }
    return false;
  }

  /** Starts a key update: new packets go out under the next write keys. */
  initiate(): void {
    this.write = nextKeys(this.write);
    this.writeGen++;
    this.firstWritePn.clear();
    this.localUpdates++;
  }

  /** §6.6: the write keys are near their confidentiality limit. */
  nearConfidentialityLimit(): boolean {
    return this.write.packetsProtected >= this.write.suite.confidentialityLimit - CONFIDENTIALITY_MARGIN;
  }

  /** Drops the previous read keys once their time is up (§6.5). */
  onTimeout(now: Instant): void {
    if (this.previous !== undefined && now >= this.previousUntil) {
      this.previous = undefined;
      this.previousUntil = Infinity;
    }
  }

  /** The previous read keys are still kept. */
  get hasPrevious(): boolean {
    return this.previous !== undefined;
  }
}
