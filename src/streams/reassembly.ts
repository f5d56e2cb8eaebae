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
 * thrown.
 *
 * `read` returns a **view** when the requested bytes lie in one stored chunk (the usual case)
 * and a fresh **copy** when they span chunks. Either way the bytes are never modified
 * afterwards, so the caller may keep them.
 */
import { TransportError } from '../util/transport-error.js';

interface Chunk {
  offset: number;
  data: Uint8Array;
}

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

  constructor(o: { maxBuffered: number; errorCode: number; maxChunks?: number }) {
    this.maxBuffered = o.maxBuffered;
    this.errorCode = o.errorCode;
    this.maxChunks = o.maxChunks ?? Math.max(64, Math.ceil(o.maxBuffered / 256));
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
    const end = offset + data.length;
    if (end <= this.contigEnd) return; // entirely duplicate or already read
    if (end - this.readOffset > this.maxBuffered) {
      throw new TransportError(
        this.errorCode,
        frameType,
        `reassembly: data up to ${end} exceeds the buffer limit ${this.readOffset + this.maxBuffered}`,
      );
    }
    const start = offset > this.contigEnd ? offset : this.contigEnd;
    const chunks = this.chunks;
    const n = chunks.length;
    const last = n > this.head ? chunks[n - 1]! : undefined;
    if (last === undefined || start >= last.offset + last.data.length) {
      // Fast path: in-order arrival or a new highest chunk.
      chunks.push({ offset: start, data: data.slice(start - offset) });
      this.bytes += end - start;
    } else {
      this.insertGeneral(start, end, offset, data);
    }
    this.advanceContiguous();
    if (chunks.length - this.head > this.maxChunks) {
      this.defragment();
      if (this.chunks.length - this.head > this.maxChunks / 2) {
        throw new TransportError(this.errorCode, frameType, 'reassembly: too many fragments');
      }
    }
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
    if (first.data.length >= n) {
      out = first.data.subarray(0, n);
    } else {
      out = new Uint8Array(n);
      let pos = 0;
      for (let i = this.head; pos < n; i++) {
        const c = this.chunks[i]!;
        const take = Math.min(c.data.length, n - pos);
        out.set(take === c.data.length ? c.data : c.data.subarray(0, take), pos);
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
  }

  // -------------------------------------------------------------------------------------------

  /** Inserts the gaps of [start, end) between existing chunks. */
  private insertGeneral(start: number, end: number, offset: number, data: Uint8Array): void {
    const chunks = this.chunks;
    // Binary search: first chunk (from contigIdx) whose end is after `start`.
    let lo = this.contigIdx;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = chunks[mid]!;
      if (c.offset + c.data.length > start) hi = mid;
      else lo = mid + 1;
    }
    let cursor = start;
    let i = lo;
    while (cursor < end) {
      const c = chunks[i];
      if (c === undefined || c.offset >= end) {
        chunks.splice(i, 0, { offset: cursor, data: data.slice(cursor - offset, end - offset) });
        this.bytes += end - cursor;
        return;
      }
      if (c.offset > cursor) {
        chunks.splice(i, 0, { offset: cursor, data: data.slice(cursor - offset, c.offset - offset) });
        this.bytes += c.offset - cursor;
        i++;
      }
      const cEnd = c.offset + c.data.length;
      if (cEnd > cursor) cursor = cEnd;
      i++;
    }
  }

  private advanceContiguous(): void {
    const chunks = this.chunks;
    let i = this.contigIdx;
    let end = this.contigEnd;
    while (i < chunks.length && chunks[i]!.offset === end) {
      end += chunks[i]!.data.length;
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
      const cEnd = c.offset + c.data.length;
      if (cEnd <= target) {
        chunks[this.head] = undefined as unknown as Chunk; // release the buffer
        this.head++;
        continue;
      }
      if (c.offset < target) {
        c.data = c.data.subarray(target - c.offset);
        c.offset = target;
      }
      break;
    }
    this.readOffset = target;
    this.bytes -= n;
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
      let end = chunks[i]!.offset + chunks[i]!.data.length;
      while (j < chunks.length && chunks[j]!.offset === end) {
        end += chunks[j]!.data.length;
        j++;
      }
      if (j === i + 1) {
        out.push(chunks[i]!);
      } else {
        const start = chunks[i]!.offset;
        const buf = new Uint8Array(end - start);
        for (let k = i; k < j; k++) buf.set(chunks[k]!.data, chunks[k]!.offset - start);
        out.push({ offset: start, data: buf });
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
