/**
 * The sending half of one CRYPTO stream (RFC 9000 §19.6): handshake bytes the TLS engine
 * produced at an encryption level, sent in order, retransmitted when lost (§13.3) until
 * acknowledged. Handshake flights are a few kilobytes, so one growing buffer serves.
 */
import { RangeSet } from '../util/rangeset.js';

const NONE = new Uint8Array(0);
/** The first allocation: a ClientHello or a ticket fits, a server's first flight grows it once or twice. */
const FIRST_SIZE = 512;

export class CryptoSendStream {
  /** Allocated on the first write: most spaces carry a few hundred bytes, some none at all. */
  private buf = NONE;
  private length = 0;
  /** Next never-sent offset. */
  private sendOffset = 0;
  private readonly lost = new RangeSet();
  private readonly acked = new RangeSet();

  write(data: Uint8Array): void {
    if (this.length + data.length > this.buf.length) {
      let n = Math.max(FIRST_SIZE, this.buf.length * 2);
      while (n < this.length + data.length) n *= 2;
      const b = new Uint8Array(n);
      b.set(this.buf.subarray(0, this.length));
      this.buf = b;
    }
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  get hasData(): boolean {
    return !this.lost.isEmpty || this.sendOffset < this.length;
  }

  /** Everything written has been acknowledged. */
  get allAcked(): boolean {
    return this.acked.contiguousEnd(0) >= this.length;
  }

  /** The next bytes to send (lost ranges first), at most `max` bytes; a view into the buffer. */
  next(max: number): { offset: number; data: Uint8Array } | undefined {
    if (max <= 0) return undefined;
    if (!this.lost.isEmpty) {
      const s = this.lost.start(0);
      const e = Math.min(this.lost.end(0), s + max);
      return { offset: s, data: this.buf.subarray(s, e) };
    }
    if (this.sendOffset < this.length) {
      const e = Math.min(this.length, this.sendOffset + max);
      return { offset: this.sendOffset, data: this.buf.subarray(this.sendOffset, e) };
    }
    return undefined;
  }

  onSent(offset: number, length: number): void {
    this.lost.removeRange(offset, offset + length);
    if (offset + length > this.sendOffset) this.sendOffset = offset + length;
  }

  onAcked(offset: number, length: number): void {
    this.acked.addRange(offset, offset + length);
    this.lost.removeRange(offset, offset + length);
  }

  onLost(offset: number, length: number): void {
    // Only what is still unacknowledged needs to go again.
    const end = offset + length;
    this.lost.addRange(offset, end);
    for (const [s, e] of this.acked) {
      if (s >= end) break;
      if (e > offset) this.lost.removeRange(s, e);
    }
  }

  /** RFC 9002 §6.2.4: a PTO probe may resend unacknowledged data; mark all of it lost. */
  requeueUnacked(): void {
    this.onLost(0, this.sendOffset);
  }
}
