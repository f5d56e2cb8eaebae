/**
 * The QPACK encoder (RFC 9204 §2.1), restricted to the static table: a field line that matches a
 * static entry exactly becomes an Indexed Field Line, one whose name matches becomes a Literal
 * Field Line with Name Reference, anything else a Literal Field Line with Literal Name. Every
 * section has Required Insert Count 0 and Base 0, so it never blocks the peer's decoder and no
 * encoder stream instruction is ever needed (RFC 9204 §2.1.2, §4.5.1).
 */
import { QpackError, QpackErrorCode } from './errors.js';
import { ByteQueue, ByteWriter, readInteger, writeInteger, writeString } from './primitives.js';
import { staticExactIndex, staticNameIndex } from './static-table.js';
import type { FieldLine } from './types.js';

export interface QpackEncoderOptions {
  /** Huffman-encode string literals when that is shorter (default true). */
  huffman?: boolean;
}

const DECODER_STREAM_ERROR = QpackErrorCode.DECODER_STREAM_ERROR;
const UTF8 = new TextEncoder();

export class QpackEncoder {
  private readonly huffman: boolean;
  private readonly decoderStream = new ByteQueue();

  constructor(o: QpackEncoderOptions = {}) {
    this.huffman = o.huffman ?? true;
  }

  /** Encodes a field section (the payload of a HEADERS frame) with static references and literals. */
  encode(fields: readonly FieldLine[]): Uint8Array {
    const w = new ByteWriter(64 + fields.length * 16);
    // RFC 9204 §4.5.1: Required Insert Count 0, then Sign 0 and Delta Base 0.
    w.byte(0x00);
    w.byte(0x00);
    for (const [name, value] of fields) this.fieldLine(w, name, value);
    return w.finish();
  }

  /**
   * Bytes from the peer's decoder stream, split anywhere (RFC 9204 §4.4). We never insert, so a
   * Section Acknowledgment (no section of ours has dynamic references, §4.4.1) or an Insert Count
   * Increment (zero, or beyond the zero inserts we sent, §4.4.3) is a
   * QpackError(DECODER_STREAM_ERROR); a Stream Cancellation is accepted.
   */
  onDecoderStream(bytes: Uint8Array): void {
    this.decoderStream.push(bytes);
    for (;;) {
      const buf = this.decoderStream.view();
      if (buf.length === 0) return;
      const used = this.decoderInstruction(buf);
      if (used === 0) return;
      this.decoderStream.consume(used);
    }
  }

  private fieldLine(w: ByteWriter, name: string, value: string): void {
    const exact = staticExactIndex(name, value);
    if (exact !== undefined) {
      // RFC 9204 §4.5.2 Indexed Field Line, T=1: 1 1 Index(6+).
      writeInteger(w, 0xc0, 6, exact);
      return;
    }
    const nameIndex = staticNameIndex(name);
    if (nameIndex !== undefined) {
      // RFC 9204 §4.5.4 Literal Field Line with Name Reference, N=0 T=1: 0 1 0 1 NameIndex(4+).
      writeInteger(w, 0x50, 4, nameIndex);
    } else {
      // RFC 9204 §4.5.6 Literal Field Line with Literal Name, N=0: 0 0 1 0 H NameLen(3+).
      writeString(w, 0x20, 4, UTF8.encode(name), this.huffman);
    }
    writeString(w, 0x00, 8, UTF8.encode(value), this.huffman);
  }

  /** Handles the decoder instruction at the start of `buf`; returns its size, 0 if incomplete. */
  private decoderInstruction(buf: Uint8Array): number {
    const first = buf[0]!;
    if (first & 0x80) {
      const r = readInteger(buf, 0, 7, DECODER_STREAM_ERROR);
      if (r === undefined) return 0;
      const why = `Section Acknowledgment for stream ${r[0]}, which has no section with dynamic references`;
      throw new QpackError(DECODER_STREAM_ERROR, why);
    }
    if (first & 0x40) {
      // RFC 9204 §4.4.2 Stream Cancellation: nothing of ours references the dynamic table.
      const r = readInteger(buf, 0, 6, DECODER_STREAM_ERROR);
      return r === undefined ? 0 : r[1];
    }
    const r = readInteger(buf, 0, 6, DECODER_STREAM_ERROR);
    if (r === undefined) return 0;
    if (r[0] === 0) throw new QpackError(DECODER_STREAM_ERROR, 'Insert Count Increment of zero');
    throw new QpackError(DECODER_STREAM_ERROR, `Insert Count Increment of ${r[0]} beyond the 0 entries inserted`);
  }
}
