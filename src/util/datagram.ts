/**
 * Datagrams as the sans-IO core sees them (DESIGN §1): bytes plus the 4-tuple, with an optional
 * ECN codepoint. Addresses are plain values; `addressKey` gives the compact string used as a Map
 * key (DESIGN §4 rule 4: O(1) lookup, never a scan comparing address objects).
 */
export interface SocketAddress {
  /** IPv4 dotted quad or IPv6 text, as node:dgram reports it. */
  readonly host: string;
  readonly port: number;
}

/** RFC 3168 ECN codepoints in the IP header. */
export type Ecn = 'not-ect' | 'ect0' | 'ect1' | 'ce';

export interface Datagram {
  data: Uint8Array;
  from: SocketAddress;
  to: SocketAddress;
  ecn?: Ecn;
}

export function addressKey(a: SocketAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  return a.port === b.port && a.host === b.host;
}

/**
 * Transmit buffers for reuse (DESIGN §4 rule 2: no per-packet allocation in steady state).
 * `take` hands out a buffer of at least `size` bytes; `release` gives back a datagram whose bytes
 * are no longer needed (sent on a socket, or handled by the peer in memory). Only buffers this
 * pool allocated are taken back, each at most once while free, so releasing a foreign or already
 * released datagram is harmless. Not releasing is harmless too: the buffer is garbage collected.
 */
export class DatagramPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly own = new WeakSet<ArrayBuffer>();
  /** Buffers handed out and buffers allocated (for tests and benchmarks). */
  taken = 0;
  allocated = 0;

  /**
   * @param bufferSize  size of the pooled buffers; larger requests allocate unpooled buffers
   * @param maxFree     most free buffers kept
   */
  constructor(
    readonly bufferSize = 1500,
    readonly maxFree = 256,
  ) {}

  /** A buffer of at least `size` bytes, with arbitrary contents. */
  take(size: number): ArrayBuffer {
    this.taken++;
    if (size <= this.bufferSize) {
      const b = this.free.pop();
      if (b !== undefined) return b;
      this.allocated++;
      const nb = new ArrayBuffer(this.bufferSize);
      this.own.add(nb);
      return nb;
    }
    this.allocated++;
    return new ArrayBuffer(size);
  }

  /** Returns a datagram's buffer to the pool; the datagram must not be used afterwards. */
  release(d: Datagram): void {
    const b = d.data.buffer;
    if (b instanceof ArrayBuffer) this.give(b);
  }

  /** Returns a buffer from `take` to the pool (ignored for buffers the pool did not make). */
  give(b: ArrayBuffer): void {
    // The free list is short in steady state (a batch at most), so a scan beats a Set, whose
    // shrinking on delete would allocate.
    if (!this.own.has(b) || this.free.length >= this.maxFree || this.free.includes(b)) return;
    this.free.push(b);
  }

  /** Free buffers held. */
  get size(): number {
    return this.free.length;
  }
}
