/**
 * The sending half of FEC for one connection (specs/fec.md B7 §3-4): numbers the source
 * symbols (the protected packets' payloads before their SID frame), groups them and turns
 * them into REPAIR frame contents, as many as the redundancy policy (policy.ts) asks for.
 *
 * - Block codes (XOR 11, Reed-Solomon 8): a block is closed when it holds k sources, or
 *   earlier with `flush()` (the connection calls it when it has nothing more to send, so the
 *   last packets of a burst do not wait for a block that may never fill). A block of n
 *   sources gets repairs of an (n, r) code; the Repair Key carries its n coefficient bytes
 *   (Reed-Solomon, RFC 5510 §8.2, systematic), so the receiver learns n from the key's length.
 *   XOR's key is n bytes of 1 — its coefficients, in the same form (XQUIC leaves XOR's key
 *   empty and the block size implicit; tquic states it, see ARCHITECTURE.md).
 * - Sliding-window RLC (10, and 9 over GF(2)): every source enters the window; repairs cover
 *   the last `window` sources, spread evenly (r per k sources), keyed by a 16-bit counter.
 *
 * Source Payload IDs: `block << 8 | index` for block codes, the ESI for RLC (B7 §3).
 * Memory: a block code keeps a copy of the open block's sources (at most k), RLC its window;
 * buffers are reused. Repairs wait in `queue` until the connection sends them.
 */
import { FecScheme, isBlockScheme, type FecSchemeId } from './scheme.js';
import { mulAddRegion } from './gf256.js';
import { MAX_BLOCK_SYMBOLS } from './limits.js';
import { MAX_SOURCE_BLOCK, sourcePayloadId, writeRlcRepairKey } from './payload-id.js';
import type { FecPolicy } from './policy.js';
import { rsRepairCoefficients } from './reed-solomon.js';
import { RlcEncoder } from './rlc.js';
import { SymbolBuffer } from './symbol-buffer.js';
import { varintLength } from '../util/varint.js';

/** The content of one REPAIR frame (B7 §4), Flow ID 0. */
export interface RepairSymbol {
  /** Block number (block codes) or first ESI of the encoding window (RLC). */
  fssEsi: number;
  /** Index in the block (block codes) or a repair counter (RLC). */
  repairPayloadId: number;
  repairKey: Uint8Array;
  repairSymbol: Uint8Array;
  /** Source symbols the repair covers. */
  sources: number;
  /**
   * Made for a block closed before it filled (or an RLC repair made early): extra protection of
   * sparse traffic, which yields to waiting data (the connection sends it only when nothing else
   * waits, and drops it when stale).
   */
  partial: boolean;
  /** When it was queued (set by the connection). */
  queuedAt?: number;
}

/** Limits a FecSender respects, from the receiver's transport parameters. */
export interface FecSenderOptions {
  /** The receiver's max_symbol_num (0xfecb02): at most this many sources per block or window. */
  maxSymbols?: number;
  /** At most this many repairs per block (the receiver's limit; default 10, as XQUIC). */
  maxRepair?: number;
  /** RLC: sources in the encoding window (default 2k, at most maxSymbols). */
  window?: number;
}

const DEFAULT_MAX_SYMBOLS = 48;

/**
 * The sending half of FEC for one connection (specs/fec.md B7 §3-4): numbers the source symbols
 * (the protected packets' payloads before their SID frame), groups them into blocks (XOR,
 * Reed-Solomon) or a sliding window (RLC), and queues REPAIR frame contents, as many as the
 * redundancy policy asks for.
 */
export class FecSender {
  readonly scheme: FecSchemeId;
  /** REPAIR frames to send, oldest first. */
  readonly queue: RepairSymbol[] = [];
  /** Source symbols protected so far, and repair symbols made. */
  sourcesProtected = 0;
  repairsMade = 0;
  private policy: FecPolicy;
  private readonly maxSymbols: number;
  private readonly maxRepair: number;
  // Block codes.
  private block = 0;
  private readonly stored: SymbolBuffer[] = [];
  private n = 0;
  // RLC.
  private readonly rlc: RlcEncoder | undefined;
  private readonly window: number;
  private credit = 0;
  private sinceRepair = 0;
  private repairKey = 0;
  private repairCounter = 0;

  constructor(scheme: FecSchemeId, policy: FecPolicy, opts: FecSenderOptions = {}) {
    this.scheme = scheme;
    this.policy = policy;
    this.maxSymbols = Math.max(1, Math.min(opts.maxSymbols ?? DEFAULT_MAX_SYMBOLS, MAX_BLOCK_SYMBOLS - 1));
    this.maxRepair = Math.max(0, Math.min(opts.maxRepair ?? 10, MAX_BLOCK_SYMBOLS - 1));
    this.window = Math.max(1, Math.min(opts.window ?? 2 * policy.k, this.maxSymbols, 4095));
    this.rlc = isBlockScheme(scheme) ? undefined : new RlcEncoder({ maxWindow: this.window, m: scheme === FecScheme.RLC_GF2 ? 1 : 8 });
  }

  /** The redundancy policy in use. */
  get policyName(): string {
    return this.policy.name;
  }

  /** Replaces the policy; the open block keeps its sources. */
  setPolicy(policy: FecPolicy): void {
    this.policy = policy;
  }

  /** False when the policy sends no repairs at all ('off'): then packets carry no SID either. */
  get active(): boolean {
    return this.policy.name !== 'off';
  }

  /** Sources per block (or per repair round): the policy's k within the receiver's limit. */
  get k(): number {
    return Math.max(1, Math.min(this.policy.k, this.maxSymbols));
  }

  /** The Source Payload ID the next protected packet's SID frame carries. */
  get nextSourceId(): number {
    return this.rlc !== undefined ? this.rlc.nextEsi : sourcePayloadId(this.block, this.n);
  }

  /**
   * Bytes a REPAIR frame adds to its symbol at most (type, IDs, key, lengths): a protected
   * packet leaves this much room, so that a repair of such packets fits a packet of the same
   * size (B7 §4).
   */
  get repairOverhead(): number {
    const id = Math.max(varintLength(this.nextSourceId), 2);
    const key = this.rlc !== undefined ? 4 : this.k;
    // + 3: the repair packet's packet number may take up to 3 bytes more than the sources'.
    return 4 + 2 * id + 1 + key + 2 + 3;
  }

  /** Sources in the open block (block codes) or since the last repair (RLC). */
  get pending(): number {
    return this.rlc !== undefined ? this.sinceRepair : this.n;
  }

  /**
   * Adds the payload `buf[off, off+len)` of a packet just given the SID `nextSourceId`, and
   * queues the repairs that are due, at `lossRate` (0..1, for adaptive policies).
   */
  addSource(buf: Uint8Array, off: number, len: number, lossRate: number): void {
    this.sourcesProtected++;
    if (this.rlc !== undefined) {
      this.rlc.add(buf, off, len);
      this.sinceRepair++;
      // r per k sources, spread: a repair each time the accumulated share reaches one.
      const k = this.k;
      this.credit += this.policy.repairs(k, lossRate) / k;
      while (this.credit >= 1 - 1e-9) {
        this.credit -= 1;
        this.rlcRepair(false);
      }
      return;
    }
    let s = this.stored[this.n];
    if (s === undefined) {
      s = new SymbolBuffer(len);
      this.stored.push(s);
    }
    s.assign(buf, off, len);
    this.n++;
    if (this.n >= this.k) this.closeBlock(lossRate);
  }

  /**
   * Nothing more to send for now: the open block is closed with its share of repairs (block
   * codes), or one repair covers the sources since the last one (RLC).
   */
  flush(lossRate: number): void {
    if (this.rlc !== undefined) {
      if (this.sinceRepair > 0 && this.policy.repairs(this.k, lossRate) > 0) {
        this.credit = 0;
        this.rlcRepair(true);
      }
      return;
    }
    if (this.n > 0) this.closeBlock(lossRate);
  }

  private closeBlock(lossRate: number): void {
    const n = this.n;
    let r = Math.min(this.policy.repairs(n, lossRate), this.maxRepair, MAX_BLOCK_SYMBOLS - 1 - n);
    if (this.scheme === FecScheme.XOR) r = Math.min(r, 1);
    let len = 0;
    for (let i = 0; i < n; i++) len = Math.max(len, this.stored[i]!.length);
    for (let j = 0; j < r; j++) {
      const key = this.scheme === FecScheme.XOR ? new Uint8Array(n).fill(1) : rsRepairCoefficients(n, j);
      const out = new Uint8Array(len);
      for (let i = 0; i < n; i++) {
        const s = this.stored[i]!;
        mulAddRegion(out, s.buf, key[i]!, 0, 0, s.length);
      }
      this.queue.push({ fssEsi: this.block, repairPayloadId: j, repairKey: key, repairSymbol: out, sources: n, partial: n < this.k });
      this.repairsMade++;
    }
    for (let i = 0; i < n; i++) this.stored[i]!.clear();
    this.n = 0;
    this.block = this.block === MAX_SOURCE_BLOCK ? 0 : this.block + 1;
  }

  private rlcRepair(partial: boolean): void {
    const enc = this.rlc!;
    const nss = Math.min(enc.windowSize, this.window);
    if (nss === 0) return;
    const rep = enc.repair(this.repairKey, 15, nss);
    const key = new Uint8Array(4);
    writeRlcRepairKey(key, 0, { repairKey: rep.repairKey, dt: rep.dt, nss });
    this.queue.push({ fssEsi: rep.fssEsi, repairPayloadId: this.repairCounter, repairKey: key, repairSymbol: rep.data, sources: nss, partial });
    this.repairsMade++;
    this.repairKey = (this.repairKey + 1) & 0xffff;
    this.repairCounter = (this.repairCounter + 1) >>> 0;
    this.sinceRepair = 0;
  }
}
