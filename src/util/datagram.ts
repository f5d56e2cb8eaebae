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

/**
 * A UDP datagram as the sans-IO core takes and gives it: the payload, the 4-tuple (`from`, `to`)
 * and, when the edge knows it, the ECN codepoint of the IP header.
 */
export interface Datagram {
  data: Uint8Array;
  from: SocketAddress;
  to: SocketAddress;
  ecn?: Ecn;
}

/**
 * A compact string for an address, `host:port` or `[v6host]:port`, used as a Map key (DESIGN §4
 * rule 4).
 */
export function addressKey(a: SocketAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Whether two addresses have the same host text and port. */
export function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  return a.port === b.port && a.host === b.host;
}

/** A pooled buffer with the objects made for it once and reused with it. */
interface Slot {
  readonly buffer: ArrayBuffer;
  /** The whole buffer as bytes. */
  readonly bytes: Uint8Array;
  /** The datagram last built in this buffer: reused with the buffer, its view when the length matches. */
  datagram: Datagram | undefined;
  free: boolean;
}

/**
 * Transmit buffers for reuse (DESIGN §4 rule 2: no per-packet allocation in steady state).
 * `take` hands out a buffer of at least `size` bytes; `release` gives back a datagram whose bytes
 * are no longer needed (sent on a socket, or handled by the peer in memory). Only buffers this
 * pool allocated are taken back, each at most once while free, so releasing a foreign or already
 * released datagram is harmless. Not releasing is harmless too: the buffer is garbage collected.
 *
 * A pooled buffer comes with its byte view (`bytes`) and with the Datagram object last built in
 * it (`datagram`), which are reused along with the buffer: the datagram was released, so nobody
 * looks at it any more, exactly as nobody looks at its bytes.
 */
export class DatagramPool {
  private readonly free: (Slot | undefined)[] = [];
  private nFree = 0;
  private readonly slots = new WeakMap<ArrayBuffer, Slot>();
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
      if (this.nFree > 0) {
        const slot = this.free[--this.nFree]!;
        this.free[this.nFree] = undefined;
        slot.free = false;
        return slot.buffer;
      }
      this.allocated++;
      const buffer = new ArrayBuffer(this.bufferSize);
      this.slots.set(buffer, { buffer, bytes: new Uint8Array(buffer), datagram: undefined, free: false });
      return buffer;
    }
    this.allocated++;
    return new ArrayBuffer(size);
  }

  /** All of a buffer from `take`, as bytes (the same view every time for a pooled buffer). */
  bytes(b: ArrayBuffer): Uint8Array {
    return this.slots.get(b)?.bytes ?? new Uint8Array(b);
  }

  /**
   * The datagram of bytes [0, length) of a buffer from `take`, from `from` to `to`. For a pooled
   * buffer the Datagram object (and its view, when the length is the same as last time) is the
   * one made for this buffer before.
   */
  datagram(b: ArrayBuffer, length: number, from: SocketAddress, to: SocketAddress): Datagram {
    const slot = this.slots.get(b);
    if (slot === undefined) return { data: new Uint8Array(b, 0, length), from, to };
    let d = slot.datagram;
    if (d === undefined) {
      d = { data: new Uint8Array(b, 0, length), from, to };
      slot.datagram = d;
      return d;
    }
    if (d.data.length !== length) d.data = new Uint8Array(b, 0, length);
    d.from = from;
    d.to = to;
    if (d.ecn !== undefined) d.ecn = undefined;
    return d;
  }

  /** Returns a datagram's buffer to the pool; the datagram must not be used afterwards. */
  release(d: Datagram): void {
    const b = d.data.buffer;
    if (b instanceof ArrayBuffer) this.give(b);
  }

  /** Returns a buffer from `take` to the pool (ignored for buffers the pool did not make). */
  give(b: ArrayBuffer): void {
    const slot = this.slots.get(b);
    if (slot === undefined || slot.free || this.nFree >= this.maxFree) return;
    slot.free = true;
    if (this.nFree < this.free.length) this.free[this.nFree] = slot;
    else this.free.push(slot);
    this.nFree++;
  }

  /** Free buffers held. */
  get size(): number {
    return this.nFree;
  }
}
