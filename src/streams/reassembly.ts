/**
 * Ordered reassembly with bounded memory, for STREAM (RFC 9000 §2.2) and CRYPTO (§7.5) data.
 *
 * Received data is kept as sorted, non-overlapping chunks. `insert` copies only the parts of a
 * frame that are new (frame data are views into a pooled datagram buffer, so the receive path
 * copies each byte exactly once); duplicates and already-read bytes are ignored. RFC 9000 §2.2
 * lets a receiver assume retransmitted bytes at the same offset are identical, so overlaps keep
 * the bytes that arrived first.
 *
 * Memory bound: every held byte lies in [readOffset, readOffset + maxBuffered); a frame ending
 * beyond that throws `TransportError(errorCode, frameType)`: CRYPTO_BUFFER_EXCEEDED for CRYPTO
 * (§7.5), and for streams the bound equals the flow-control window, so a peer that respects
 * flow control never reaches it. The per-chunk overhead is bounded too: when the number of
 * chunks exceeds `maxChunks`, contiguous runs are merged (one copy); if that does not halve it
 * the peer is fragmenting data pathologically (gaps every few bytes) and the same error is
 * thrown. A `ChunkBudget` shared by several reassemblers (a connection's streams) bounds their
 * chunks together the same way (RFC 9000 §21.7).
 *
 * Storage (DESIGN §4 rule 2: nothing allocated per packet in steady state): new bytes are
 * copied into a slab — a buffer that only ever grows at its end and is never rewritten — and a
 * chunk records where they went. A frame that continues the last chunk, both in stream offset
 * and in the slab, just extends it, so in-order data costs one copy and no object per frame.
 * Slabs start small and double up to MAX_SLAB, so a stream carrying a few bytes holds a few bytes.
 *
 * `read` returns a **view** when the requested bytes lie in one stored chunk (the usual case)
 * and a fresh **copy** when they span chunks. Either way the bytes are never modified
 * afterwards (slab bytes are written once), so the caller may keep them.
 */
import { TransportError } from '../util/transport-error.js';

/**
 * A bound on the chunks several reassemblers hold together: a connection's streams (RFC 9000
 * §21.7 "Stream Fragmentation and Reassembly Attacks": flow control bounds the bytes a peer
 * makes us hold, not the number of fragments they come in, and each fragment costs an object).
 */
export class ChunkBudget {
  /** Chunks held by the reassemblers that share the budget. */
  used = 0;
  constructor(readonly max: number) {}
}

/** Bytes [offset, offset + len) of the stream, held at buf[pos, pos + len). */
interface Chunk {
  offset: number;
  buf: Uint8Array;
  pos: number;
  len: number;
}

const MIN_SLAB = 1024;
const MAX_SLAB = 64 * 1024;

export class Reassembler {
  /** Offset of the next byte `read` returns; everything below was delivered. */
  readOffset = 0;
  private chunks: Chunk[] = [];
  /** Index of the first live chunk (chunks before it were consumed; compacted lazily). */
  private head = 0;
  /** End of the contiguous data starting at readOffset. */
  private contigEnd = 0;
  /** Index of the first chunk not yet folded into contigEnd. */
  private contigIdx = 0;
  private bytes = 0;
  private readonly maxBuffered: number;
  private readonly errorCode: number;
  private readonly maxChunks: number;
  /** The slab new bytes are copied into, and how much of it is used. */
  private slab: Uint8Array | undefined;
  private slabFill = 0;
  private nextSlab = MIN_SLAB;

  /** The budget shared with other reassemblers, and the chunks this one has charged to it. */
  private readonly budget: ChunkBudget | undefined;
  private charged = 0;

  constructor(o: { maxBuffered: number; errorCode: number; maxChunks?: number; budget?: ChunkBudget }) {
    this.maxBuffered = o.maxBuffered;
    this.errorCode = o.errorCode;
    this.maxChunks = o.maxChunks ?? Math.max(64, Math.ceil(o.maxBuffered / 256));
    this.budget = o.budget;
  }

  /** Contiguous bytes ready to read. */
  get readable(): number {
    return this.contigEnd - this.readOffset;
  }

  /** All bytes held (contiguous and out of order). */
  get buffered(): number {
    return this.bytes;
  }

  /** End of the contiguous data from offset 0: every byte below it has been received. */
  get contiguousEnd(): number {
    return this.contigEnd;
  }

  /** Number of stored chunks (for tests and stats). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }

  /** Stores [offset, offset + data.length), copying only what is new. */
  insert(offset: number, data: Uint8Array, frameType: number): void {
    this.insertFrom(offset, data, 0, data.length, frameType);
  }

  /**
   * Stores [offset, offset + length) whose bytes are src[start, start + length), copying only
   * what is new: the receive path passes the packet buffer itself, without a view per frame.
   */
  insertFrom(offset: number, src: Uint8Array, start: number, length: number, frameType: number): void {
    const end = offset + length;
    if (end <= this.contigEnd) return; // entirely duplicate or already read
    if (end - this.readOffset > this.maxBuffered) {
      throw new TransportError(
        this.errorCode,
        frameType,
        `reassembly: data up to ${end} exceeds the buffer limit ${this.readOffset + this.maxBuffered}`,
      );
    }
    const from = offset > this.contigEnd ? offset : this.contigEnd;
    const chunks = this.chunks;
    const n = chunks.length;
    const last = n > this.head ? chunks[n - 1]! : undefined;
    if (last === undefined || from >= last.offset + last.len) {
      // Fast path: in-order arrival or a new highest chunk.
      const pos = this.store(src, start + (from - offset), end - from);
      if (last !== undefined && last.offset + last.len === from && last.buf === this.slab && last.pos + last.len === pos) {
        last.len += end - from;
        // A chunk already folded into the contiguous run takes its new bytes along.
        if (this.contigIdx >= n) this.contigEnd += end - from;
      } else {
        chunks.push({ offset: from, buf: this.slab!, pos, len: end - from });
      }
      this.bytes += end - from;
    } else {
      this.insertGeneral(from, end, offset, src, start);
    }
    this.advanceContiguous();
    if (chunks.length - this.head > this.maxChunks) {
      this.defragment();
      if (this.chunks.length - this.head > this.maxChunks / 2) {
        throw new TransportError(this.errorCode, frameType, 'reassembly: too many fragments');
      }
    }
    const budget = this.budget;
    if (budget !== undefined) {
      this.charge();
      if (budget.used > budget.max) {
        // This stream's adjacent chunks merged first; the budget may be held by fragments of others.
        this.defragment();
        this.charge();
        if (budget.used > budget.max) throw new TransportError(this.errorCode, frameType, `reassembly: more than ${budget.max} fragments across streams`);
      }
    }
  }

  /** Brings the shared budget up to date with the chunks held now. */
  private charge(): void {
    const n = this.chunks.length - this.head;
    this.budget!.used += n - this.charged;
    this.charged = n;
  }

  /**
   * Up to `max` contiguous bytes from the read offset, or undefined when none are ready. A view
   * when they lie in one chunk, otherwise a copy (see the module comment).
   */
  read(max: number = Infinity): Uint8Array | undefined {
    const avail = this.contigEnd - this.readOffset;
    const n = max < avail ? max : avail;
    if (!(n > 0)) return undefined;
    const first = this.chunks[this.head]!;
    let out: Uint8Array;
    if (first.len >= n) {
      out = first.buf.subarray(first.pos, first.pos + n);
    } else {
      out = new Uint8Array(n);
      let pos = 0;
      for (let i = this.head; pos < n; i++) {
        const c = this.chunks[i]!;
        const take = Math.min(c.len, n - pos);
        out.set(c.buf.subarray(c.pos, c.pos + take), pos);
        pos += take;
      }
    }
    this.consume(n);
    return out;
  }

  /** Drops everything held (RESET_STREAM, STOP_SENDING); the read offset stays. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.contigIdx = 0;
    this.contigEnd = this.readOffset;
    this.bytes = 0;
    this.slab = undefined;
    this.slabFill = 0;
    if (this.budget !== undefined) this.charge();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Copies src[at, at + n) to the end of the current slab (a new, larger one when it does not
   * fit) and returns its position there.
   */
  private store(src: Uint8Array, at: number, n: number): number {
    let slab = this.slab;
    if (slab === undefined || this.slabFill + n > slab.length) {
      const size = n > this.nextSlab ? n : this.nextSlab;
      const cap = this.maxBuffered < MAX_SLAB ? Math.max(MIN_SLAB, this.maxBuffered) : MAX_SLAB;
      if (this.nextSlab < cap) this.nextSlab = Math.min(cap, this.nextSlab * 2);
      slab = new Uint8Array(size);
      this.slab = slab;
      this.slabFill = 0;
    }
    const pos = this.slabFill;
    slab.set(at === 0 && n === src.length ? src : src.subarray(at, at + n), pos);
    this.slabFill = pos + n;
    return pos;
  }

  /** Inserts the gaps of [start, end) between existing chunks; src[srcStart] is stream offset `offset`. */
  private insertGeneral(start: number, end: number, offset: number, src: Uint8Array, srcStart: number): void {
    const chunks = this.chunks;
    // Binary search: first chunk (from contigIdx) whose end is after `start`.
    let lo = this.contigIdx;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = chunks[mid]!;
      if (c.offset + c.len > start) hi = mid;
      else lo = mid + 1;
    }
    let cursor = start;
    let i = lo;
    while (cursor < end) {
      const c = chunks[i];
      if (c === undefined || c.offset >= end) {
        this.insertChunk(i, cursor, end, offset, src, srcStart);
        return;
      }
      if (c.offset > cursor) {
        this.insertChunk(i, cursor, c.offset, offset, src, srcStart);
        i++;
      }
      const cEnd = c.offset + c.len;
      if (cEnd > cursor) cursor = cEnd;
      i++;
    }
  }

  private insertChunk(i: number, from: number, to: number, offset: number, src: Uint8Array, srcStart: number): void {
    const pos = this.store(src, srcStart + (from - offset), to - from);
    this.chunks.splice(i, 0, { offset: from, buf: this.slab!, pos, len: to - from });
    this.bytes += to - from;
  }

  private advanceContiguous(): void {
    const chunks = this.chunks;
    let i = this.contigIdx;
    let end = this.contigEnd;
    while (i < chunks.length && chunks[i]!.offset === end) {
      end += chunks[i]!.len;
      i++;
    }
    this.contigIdx = i;
    this.contigEnd = end;
  }

  private consume(n: number): void {
    const target = this.readOffset + n;
    const chunks = this.chunks;
    while (this.head < chunks.length) {
      const c = chunks[this.head]!;
      const cEnd = c.offset + c.len;
      if (cEnd <= target) {
        chunks[this.head] = undefined as unknown as Chunk; // release the buffer
        this.head++;
        continue;
      }
      if (c.offset < target) {
        const d = target - c.offset;
        c.pos += d;
        c.len -= d;
        c.offset = target;
      }
      break;
    }
    this.readOffset = target;
    this.bytes -= n;
    if (this.budget !== undefined) this.charge();
    // Compact the consumed prefix once it dominates the array (amortised O(1)).
    if (this.head > 32 && this.head * 2 > chunks.length) {
      chunks.splice(0, this.head);
      this.contigIdx -= this.head;
      this.head = 0;
    }
  }

  /** Merges each run of adjacent chunks into one buffer. */
  private defragment(): void {
    const out: Chunk[] = [];
    const chunks = this.chunks;
    let i = this.head;
    while (i < chunks.length) {
      let j = i + 1;
      let end = chunks[i]!.offset + chunks[i]!.len;
      while (j < chunks.length && chunks[j]!.offset === end) {
        end += chunks[j]!.len;
        j++;
      }
      if (j === i + 1) {
        out.push(chunks[i]!);
      } else {
        const start = chunks[i]!.offset;
        const buf = new Uint8Array(end - start);
        for (let k = i; k < j; k++) {
          const c = chunks[k]!;
          buf.set(c.buf.subarray(c.pos, c.pos + c.len), c.offset - start);
        }
        out.push({ offset: start, buf, pos: 0, len: end - start });
      }
      i = j;
    }
    this.chunks = out;
    this.head = 0;
    // Recompute the contiguous index from scratch.
    this.contigIdx = 0;
    this.contigEnd = this.readOffset;
    this.advanceContiguous();
  }
}
