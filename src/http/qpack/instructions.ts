/**
 * Writers for the instructions of the two QPACK unidirectional streams: encoder instructions
 * (RFC 9204 §4.3), which this package never needs to send since its encoder uses only the static
 * table but which tests and future encoders use to drive a decoder, and decoder instructions
 * (RFC 9204 §4.4), which the decoder sends.
 */
import { ByteWriter, writeInteger, writeString } from './primitives.js';

const UTF8 = new TextEncoder();

function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? UTF8.encode(s) : s;
}

function build(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  write(w);
  return w.finish();
}

/** RFC 9204 §4.3.1: '001' then the capacity as a 5-bit prefix integer. */
export function encodeSetDynamicTableCapacity(capacity: number): Uint8Array {
  return build((w) => writeInteger(w, 0x20, 5, capacity));
}

/**
 * RFC 9204 §4.3.2: '1', T (1 = static table), the name index as a 6-bit prefix integer
 * (relative to the last insertion for the dynamic table, §3.2.5), then the value as an 8-bit
 * prefix string literal.
 */
export function encodeInsertWithNameReference(
  isStatic: boolean,
  nameIndex: number,
  value: string | Uint8Array,
  huffman = false,
): Uint8Array {
  return build((w) => {
    writeInteger(w, isStatic ? 0xc0 : 0x80, 6, nameIndex);
    writeString(w, 0x00, 8, bytesOf(value), huffman);
  });
}

/** RFC 9204 §4.3.3: '01', the name as a 6-bit prefix string literal, the value as an 8-bit one. */
export function encodeInsertWithLiteralName(name: string | Uint8Array, value: string | Uint8Array, huffman = false): Uint8Array {
  return build((w) => {
    writeString(w, 0x40, 6, bytesOf(name), huffman);
    writeString(w, 0x00, 8, bytesOf(value), huffman);
  });
}

/** RFC 9204 §4.3.4: '000' then the relative index of the entry to copy as a 5-bit prefix integer. */
export function encodeDuplicate(relativeIndex: number): Uint8Array {
  return build((w) => writeInteger(w, 0x00, 5, relativeIndex));
}

/** RFC 9204 §4.4.1: '1' then the stream id as a 7-bit prefix integer. */
export function writeSectionAcknowledgment(w: ByteWriter, streamId: number): void {
  writeInteger(w, 0x80, 7, streamId);
}

/** RFC 9204 §4.4.2: '01' then the stream id as a 6-bit prefix integer. */
export function writeStreamCancellation(w: ByteWriter, streamId: number): void {
  writeInteger(w, 0x40, 6, streamId);
}

/** RFC 9204 §4.4.3: '00' then the increment (> 0) as a 6-bit prefix integer. */
export function writeInsertCountIncrement(w: ByteWriter, increment: number): void {
  writeInteger(w, 0x00, 6, increment);
}

/** A Section Acknowledgment as bytes (RFC 9204 §4.4.1). */
export function encodeSectionAcknowledgment(streamId: number): Uint8Array {
  return build((w) => writeSectionAcknowledgment(w, streamId));
}

/** A Stream Cancellation as bytes (RFC 9204 §4.4.2). */
export function encodeStreamCancellation(streamId: number): Uint8Array {
  return build((w) => writeStreamCancellation(w, streamId));
}

/** An Insert Count Increment as bytes (RFC 9204 §4.4.3). */
export function encodeInsertCountIncrement(increment: number): Uint8Array {
  return build((w) => writeInsertCountIncrement(w, increment));
}
