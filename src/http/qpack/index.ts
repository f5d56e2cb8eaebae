/**
 * QPACK (RFC 9204): field compression for HTTP/3, with the Huffman code of HPACK (RFC 7541).
 *
 * The decoder supports the whole protocol: dynamic table, blocked streams and decoder stream
 * feedback. The encoder uses the static table and literals only, so it never sends encoder
 * stream instructions and never blocks the peer.
 */
export { QpackError, QpackErrorCode } from './errors.js';
export type { FieldLine } from './types.js';
export { QpackDecoder, DEFAULT_MAX_FIELD_SECTION_SIZE, type QpackDecoderOptions } from './decoder.js';
export { QpackEncoder, type QpackEncoderOptions } from './encoder.js';
export { huffmanEncode, huffmanDecode, huffmanEncodedLength, huffmanCode } from './huffman.js';
export { STATIC_TABLE } from './static-table.js';
export {
  MAX_INTEGER,
  ByteWriter,
  writeInteger,
  readInteger,
  integerLength,
  writeString,
  readString,
  readStringHeader,
  maxEncodedLength,
  type StringHeader,
} from './primitives.js';
export {
  encodeSetDynamicTableCapacity,
  encodeInsertWithNameReference,
  encodeInsertWithLiteralName,
  encodeDuplicate,
  encodeSectionAcknowledgment,
  encodeStreamCancellation,
  encodeInsertCountIncrement,
} from './instructions.js';
