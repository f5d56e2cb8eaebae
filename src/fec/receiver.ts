/**
 * The receiving half of FEC for one connection (specs/fec.md B7 §5): keeps the source symbols
 * of protected packets (their payload before the SID frame) and the repair symbols of REPAIR
 * frames, and returns the payloads of lost packets as soon as the code can rebuild them. The
 * connection re-parses those with a "recovered" flag.
 *
 * Block codes (XOR, Reed-Solomon): sources are kept per block until the block's size k is
 * known (from a repair's key: its k coefficient bytes) and either every source arrived or the
 * block was decoded. At most `maxBlocks` blocks are held; older ones are forgotten, and
 * symbols of blocks that far behind are ignored. RLC: the RFC 8681 decoder of rlc-decoder.ts
 * with its bounded window.
 *
 * All input is untrusted: malformed IDs, keys and lengths throw TransportError (limits.ts), and
 * memory is bounded by maxBlocks × maxSourceSymbols × maxSymbolLength (RLC: its window).
 */
import { FecScheme, isBlockScheme, type FecSchemeId } from './scheme.js';
import { fecEncodingError, fecLimitError, resolveLimits, type BlockRepairSymbol, type FecLimits } from './limits.js';
import { MAX_SOURCE_BLOCK, readRlcRepairKey, sourcePayloadId, splitSourcePayloadId } from './payload-id.js';
import { rsDecode } from './reed-solomon.js';
import { RlcDecoder } from './rlc-decoder.js';
import { xorDecode } from './xor.js';

/** A rebuilt packet payload: its Source Payload ID and bytes (zero-padded at the tail). */
export interface FecRecoveredPacket {
  id: number;
  payload: Uint8Array;
}

interface Block {
  /** Source symbols per block, 0 until a repair told us. */
  k: number;
  sources: (Uint8Array | undefined)[];
  have: number;
  repairs: BlockRepairSymbol[];
  /** Every source is known (received or recovered): later symbols of the block are ignored. */
  done: boolean;
}

const NONE: readonly FecRecoveredPacket[] = Object.freeze([]);
/** Recovered IDs remembered, so that a late original is recognised (DATAGRAM deduplication). */
const RECOVERED_MEMORY = 1024;

/**
 * The receiving half of FEC for one connection (specs/fec.md B7 §5): keeps the source symbols of
 * protected packets and the repair symbols of REPAIR frames, and returns the payloads of lost
 * packets as soon as the code can rebuild them. Input is untrusted: malformed IDs, keys and lengths
 * throw TransportError, and memory is bounded by the FecLimits.
 */
export class FecReceiver {
  readonly scheme: FecSchemeId;
  readonly limits: FecLimits;
  /** Counters: sources and repairs taken in, packets recovered. */
  sourcesReceived = 0;
  repairsReceived = 0;
  recovered = 0;
  private readonly maxBlocks: number;
  private readonly blocks = new Map<number, Block>();
  private highestBlock = -1;
  private readonly rlc: RlcDecoder | undefined;
  private readonly recoveredIds = new Set<number>();
  private readonly recoveredOrder: number[] = [];

  /**
   * @param limits the decoder's caps; maxSourceSymbols (block codes) and maxWindow (RLC) are
   *   what we advertise as max_symbol_num (0xfecb02)
   * @param maxBlocks blocks held at once (block codes; default 16)
   */
  constructor(scheme: FecSchemeId, limits?: Partial<FecLimits>, maxBlocks = 16) {
    this.scheme = scheme;
    this.limits = resolveLimits(limits);
    this.maxBlocks = maxBlocks;
    this.rlc = isBlockScheme(scheme) ? undefined : new RlcDecoder({ limits: this.limits, m: scheme === FecScheme.RLC_GF2 ? 1 : 8 });
  }

  /** Whether the packet with this Source Payload ID was rebuilt here (and not received before). */
  wasRecovered(id: number): boolean {
    return this.recoveredIds.has(id);
  }

  /** A protected packet arrived: its SID and payload `buf[off, off+len)`. Returns what it lets us rebuild. */
  onSource(id: number, buf: Uint8Array, off: number, len: number): readonly FecRecoveredPacket[] {
    this.sourcesReceived++;
    if (this.rlc !== undefined) return this.fromRlc(this.rlc.addSource(id, buf, off, len));
    const { block, index } = splitSourcePayloadId(id);
    if (index >= this.limits.maxSourceSymbols) throw fecLimitError(`source index ${index} beyond ${this.limits.maxSourceSymbols} symbols per block`);
    if (len > this.limits.maxSymbolLength) throw fecLimitError('source symbol exceeds the maximum symbol length');
    const b = this.blockFor(block);
    if (b === undefined || b.done || b.sources[index] !== undefined) return NONE;
    if (b.k > 0 && index >= b.k) throw fecEncodingError(`source index ${index} outside a block of ${b.k}`);
    b.sources[index] = buf.slice(off, off + len);
    b.have++;
    return this.tryDecode(block, b);
  }

  /** A REPAIR frame arrived. Returns what it lets us rebuild. */
  onRepair(fssEsi: number, repairPayloadId: number, key: Uint8Array, symbol: Uint8Array): readonly FecRecoveredPacket[] {
    this.repairsReceived++;
    if (this.rlc !== undefined) {
      const k = readRlcRepairKey(key);
      return this.fromRlc(this.rlc.addRepair(fssEsi, k.nss, k.repairKey, k.dt, symbol));
    }
    if (!Number.isInteger(fssEsi) || fssEsi > MAX_SOURCE_BLOCK) throw fecEncodingError('repair block number exceeds 24 bits');
    if (symbol.length === 0) throw fecEncodingError('empty repair symbol');
    if (symbol.length > this.limits.maxSymbolLength) throw fecLimitError('repair symbol exceeds the maximum symbol length');
    const k = key.length;
    // XQUIC's XOR repair has an empty key and a block size fixed by configuration: without k
    // such a repair cannot be used here, so it is ignored (specs/fec.md B1).
    if (k === 0) return NONE;
    if (k > this.limits.maxSourceSymbols) throw fecLimitError(`repair key for a block of ${k} sources exceeds ${this.limits.maxSourceSymbols}`);
    if (this.scheme === FecScheme.XOR) {
      for (let i = 0; i < k; i++) if (key[i] !== 1) throw fecEncodingError('XOR repair key with a coefficient other than 1');
      if (repairPayloadId !== 0) throw fecEncodingError('XOR repair index other than 0');
    } else if (!Number.isInteger(repairPayloadId) || repairPayloadId > 254 - k) {
      throw fecEncodingError('Reed-Solomon repair index outside the code');
    }
    const b = this.blockFor(fssEsi);
    if (b === undefined || b.done) return NONE;
    if (b.k === 0) {
      for (let i = k; i < b.sources.length; i++) if (b.sources[i] !== undefined) throw fecEncodingError(`source index ${i} outside a block of ${k}`);
      b.k = k;
    } else if (b.k !== k) {
      throw fecEncodingError(`repair keys of ${b.k} and ${k} bytes in one block`);
    }
    for (const r of b.repairs) if (r.index === repairPayloadId) return NONE; // duplicate
    if (b.repairs.length >= this.limits.maxRepairSymbols) return NONE;
    b.repairs.push({ index: repairPayloadId, data: symbol.slice(), coefficients: key.slice() });
    return this.tryDecode(fssEsi, b);
  }

  /** The block's state, created if new; undefined when it is too far behind to matter. */
  private blockFor(block: number): Block | undefined {
    let b = this.blocks.get(block);
    if (b !== undefined) return b;
    if (this.highestBlock >= 0) {
      // 24-bit serial arithmetic: behind by less than half the space counts as behind.
      const behind = (this.highestBlock - block) & MAX_SOURCE_BLOCK;
      if (behind !== 0 && behind < 1 << 23) {
        if (behind >= this.maxBlocks) return undefined;
      } else {
        this.highestBlock = block;
      }
    } else {
      this.highestBlock = block;
    }
    b = { k: 0, sources: [], have: 0, repairs: [], done: false };
    this.blocks.set(block, b);
    // Forget the blocks that fell out of the window (insertion order is roughly age), and keep
    // the map bounded regardless.
    for (const key of this.blocks.keys()) {
      const behind = (this.highestBlock - key) & MAX_SOURCE_BLOCK;
      const old = behind < 1 << 23 && behind >= this.maxBlocks;
      if (!old && this.blocks.size <= this.maxBlocks) break;
      if (key !== block) this.blocks.delete(key);
    }
    return b;
  }

  private tryDecode(block: number, b: Block): readonly FecRecoveredPacket[] {
    if (b.k === 0) return NONE;
    if (b.have >= b.k) return this.finish(b);
    if (b.have + b.repairs.length < b.k) return NONE;
    const sources = b.sources.slice(0, b.k);
    sources.length = b.k;
    const res = this.scheme === FecScheme.XOR ? xorDecode(sources, b.repairs[0]!.data, this.limits) : rsDecode(sources, b.repairs, this.limits);
    if (res.recovered.length === 0) return NONE;
    const out: FecRecoveredPacket[] = [];
    for (const i of res.recovered) {
      const id = sourcePayloadId(block, i);
      out.push({ id, payload: res.symbols[i]! });
      b.sources[i] = res.symbols[i];
      b.have++;
      this.remember(id);
    }
    if (b.have >= b.k) this.finish(b);
    return out;
  }

  /** A block with every source known: its memory goes, the marker stays until it ages out. */
  private finish(b: Block): readonly FecRecoveredPacket[] {
    b.done = true;
    b.sources = [];
    b.repairs = [];
    return NONE;
  }

  private fromRlc(rec: readonly { esi: number; data: Uint8Array }[]): readonly FecRecoveredPacket[] {
    if (rec.length === 0) return NONE;
    const out: FecRecoveredPacket[] = [];
    for (const r of rec) {
      out.push({ id: r.esi, payload: r.data });
      this.remember(r.esi);
    }
    return out;
  }

  private remember(id: number): void {
    this.recovered++;
    this.recoveredIds.add(id);
    this.recoveredOrder.push(id);
    if (this.recoveredOrder.length > RECOVERED_MEMORY) this.recoveredIds.delete(this.recoveredOrder.shift()!);
  }
}
