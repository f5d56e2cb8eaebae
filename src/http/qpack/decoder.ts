/**
 * The QPACK decoder (RFC 9204 §2.2): applies the peer's encoder stream to the dynamic table,
 * decodes encoded field sections, keeps track of blocked streams and produces the decoder
 * stream's instructions.
 *
 * Sans-IO: bytes in, field lines and bytes out. Every input is untrusted: anything malformed
 * throws QpackError (ENCODER_STREAM_ERROR for the encoder stream, DECOMPRESSION_FAILED for a
 * field section), and every allocation is bounded beforehand by the table capacity or the field
 * section size limit. The 'N' bit of literal representations (RFC 9204 §4.5.4) only matters to
 * intermediaries re-encoding a field, so it is not reported.
 */
import { DynamicTable, ENTRY_OVERHEAD, entrySize, type TableEntry } from './dynamic-table.js';
import { QpackError, QpackErrorCode } from './errors.js';
import { writeInsertCountIncrement, writeSectionAcknowledgment, writeStreamCancellation } from './instructions.js';
import { ByteQueue, ByteWriter, maxEncodedLength, readInteger, readString, readStringHeader } from './primitives.js';
import { STATIC_TABLE, STATIC_TABLE_BYTES } from './static-table.js';
import type { FieldLine } from './types.js';

export interface QpackDecoderOptions {
  /** What we advertise in SETTINGS_QPACK_MAX_TABLE_CAPACITY (0 allowed). */
  maxTableCapacity: number;
  /** What we advertise in SETTINGS_QPACK_BLOCKED_STREAMS. */
  maxBlockedStreams: number;
  /**
   * SETTINGS_MAX_FIELD_SECTION_SIZE we advertise (RFC 9114 §4.2.2: the sum over field lines of
   * name + value + 32 bytes); default 64 KiB. A larger decoded section fails with
   * QpackError(DECOMPRESSION_FAILED).
   */
  maxFieldSectionSize?: number;
}

/** Default bound on a decoded field section (RFC 9114 §4.2.2 size). */
export const DEFAULT_MAX_FIELD_SECTION_SIZE = 64 * 1024;

const ENCODER_STREAM_ERROR = QpackErrorCode.ENCODER_STREAM_ERROR;
const DECOMPRESSION_FAILED = QpackErrorCode.DECOMPRESSION_FAILED;

const NAME_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const VALUE_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

/** A field name as a string; names that are not UTF-8 are refused with `errorCode`. */
function nameString(b: Uint8Array, errorCode: number): string {
  try {
    return NAME_DECODER.decode(b);
  } catch {
    throw new QpackError(errorCode, 'field name is not valid UTF-8');
  }
}

/** A field value as a string (invalid UTF-8 sequences become U+FFFD). */
function valueString(b: Uint8Array): string {
  return VALUE_DECODER.decode(b);
}

function makeEntry(name: Uint8Array, value: Uint8Array, nameText: string): TableEntry {
  return { name, value, line: [nameText, valueString(value)], size: entrySize(name, value) };
}

function fail(message: string): never {
  throw new QpackError(DECOMPRESSION_FAILED, message);
}

/** Where a field section is being read, and how much of the size budget is left. */
interface SectionCursor {
  readonly buf: Uint8Array;
  pos: number;
  readonly requiredInsertCount: number;
  readonly base: number;
  /** RFC 9114 §4.2.2 bytes still allowed. */
  budget: number;
}

export class QpackDecoder {
  private readonly maxTableCapacity: number;
  /** RFC 9204 §4.5.1.1: MaxEntries = floor(MaxTableCapacity / 32). */
  private readonly maxEntries: number;
  private readonly maxBlockedStreams: number;
  private readonly maxFieldSectionSize: number;
  private readonly table = new DynamicTable();
  private readonly encoderStream = new ByteQueue();
  /** Blocked streams and the Required Insert Count each waits for (RFC 9204 §2.1.2). */
  private readonly blocked = new Map<number, number>();
  /** Section Acknowledgments and Stream Cancellations not taken yet. */
  private readonly pending = new ByteWriter();
  /** Inserts the encoder knows we received, given what we sent (RFC 9204 §2.1.4). */
  private knownReceivedCount = 0;

  constructor(o: QpackDecoderOptions) {
    for (const [k, v] of [
      ['maxTableCapacity', o.maxTableCapacity],
      ['maxBlockedStreams', o.maxBlockedStreams],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${k} must be a non-negative integer, got ${v}`);
    }
    this.maxTableCapacity = o.maxTableCapacity;
    this.maxEntries = Math.floor(o.maxTableCapacity / 32);
    this.maxBlockedStreams = o.maxBlockedStreams;
    this.maxFieldSectionSize = o.maxFieldSectionSize ?? DEFAULT_MAX_FIELD_SECTION_SIZE;
    if (!(this.maxFieldSectionSize >= 0)) throw new RangeError(`maxFieldSectionSize must be non-negative`);
  }

  /** Number of entries inserted so far (RFC 9204 §1.1 Insert Count). */
  get insertCount(): number {
    return this.table.insertCount;
  }

  /**
   * Bytes arriving on the peer's encoder stream, split anywhere. Applies every complete
   * instruction (RFC 9204 §4.3) and keeps a partial one for the next call; the kept bytes are
   * bounded because a string longer than the table capacity allows is refused as soon as its
   * length is read. Returns the streams whose blocked field section can now be decoded (they are
   * no longer counted as blocked; call decode again for them). Throws
   * QpackError(ENCODER_STREAM_ERROR) on any violation.
   */
  onEncoderStream(bytes: Uint8Array): number[] {
    this.encoderStream.push(bytes);
    for (;;) {
      const buf = this.encoderStream.view();
      if (buf.length === 0) break;
      const used = this.encoderInstruction(buf);
      if (used === 0) break;
      this.encoderStream.consume(used);
    }
    return this.unblocked();
  }

  /**
   * Decodes one encoded field section (RFC 9204 §4.5). Returns null when the section needs
   * inserts not received yet (§2.2.1): the stream counts as blocked until onEncoderStream lists
   * it or cancelStream forgets it; one blocked stream more than maxBlockedStreams is an error
   * (§2.1.2). After a successful decode with a non-zero Required Insert Count a Section
   * Acknowledgment is queued (§4.4.1). Throws QpackError(DECOMPRESSION_FAILED) for any malformed
   * or oversized section.
   */
  decode(streamId: number, section: Uint8Array): FieldLine[] | null {
    const ric = readInteger(section, 0, 8, DECOMPRESSION_FAILED) ?? fail('truncated field section prefix');
    const requiredInsertCount = this.requiredInsertCount(ric[0]);
    const signAt = ric[1];
    const delta = readInteger(section, signAt, 7, DECOMPRESSION_FAILED) ?? fail('truncated field section prefix');
    const base = this.base(requiredInsertCount, (section[signAt]! & 0x80) !== 0, delta[0]);
    if (requiredInsertCount > this.table.insertCount) {
      this.block(streamId, requiredInsertCount);
      return null;
    }
    this.blocked.delete(streamId);
    const cursor: SectionCursor = { buf: section, pos: delta[1], requiredInsertCount, base, budget: this.maxFieldSectionSize };
    const fields: FieldLine[] = [];
    while (cursor.pos < section.length) fields.push(this.fieldLine(cursor));
    if (requiredInsertCount > 0) {
      writeSectionAcknowledgment(this.pending, streamId);
      // RFC 9204 §2.1.4: the acknowledgment tells the encoder all inserts up to the RIC arrived.
      this.knownReceivedCount = Math.max(this.knownReceivedCount, requiredInsertCount);
    }
    return fields;
  }

  /**
   * The stream was reset or abandoned before its field section was decoded (RFC 9204 §2.2.2.2):
   * it no longer counts as blocked, and a Stream Cancellation is queued unless the table
   * capacity we allow is zero (then no section can reference the dynamic table).
   */
  cancelStream(streamId: number): void {
    this.blocked.delete(streamId);
    if (this.maxTableCapacity > 0) writeStreamCancellation(this.pending, streamId);
  }

  /**
   * Bytes to write on our decoder stream: the queued Section Acknowledgments and Stream
   * Cancellations, then an Insert Count Increment for inserts no acknowledgment covers yet
   * (RFC 9204 §4.4.3). undefined when there is nothing to send.
   */
  takeDecoderInstructions(): Uint8Array | undefined {
    const inserts = this.table.insertCount;
    if (inserts > this.knownReceivedCount) {
      writeInsertCountIncrement(this.pending, inserts - this.knownReceivedCount);
      this.knownReceivedCount = inserts;
    }
    if (this.pending.length === 0) return undefined;
    const out = this.pending.finish();
    this.pending.clear();
    return out;
  }

  // --- Field sections -------------------------------------------------------------------------

  /** RFC 9204 §4.5.1.1: reconstructs the Required Insert Count from its encoding. */
  private requiredInsertCount(encoded: number): number {
    if (encoded === 0) return 0;
    const fullRange = 2 * this.maxEntries;
    if (encoded > fullRange) fail(`encoded Required Insert Count ${encoded} exceeds ${fullRange}`);
    const maxValue = this.table.insertCount + this.maxEntries;
    const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
    let ric = maxWrapped + encoded - 1;
    if (ric > maxValue) {
      if (ric <= fullRange) fail(`invalid encoded Required Insert Count ${encoded}`);
      ric -= fullRange;
    }
    if (ric === 0) fail(`invalid encoded Required Insert Count ${encoded}`);
    return ric;
  }

  /** RFC 9204 §4.5.1.2: the Base from the sign bit and Delta Base; it is never negative. */
  private base(requiredInsertCount: number, negative: boolean, delta: number): number {
    if (!negative) {
      const base = requiredInsertCount + delta;
      if (!Number.isSafeInteger(base)) fail('Base out of range');
      return base;
    }
    if (requiredInsertCount <= delta) {
      fail(`negative Base (Required Insert Count ${requiredInsertCount}, Sign 1, Delta Base ${delta})`);
    }
    return requiredInsertCount - delta - 1;
  }

  /** RFC 9204 §2.1.2, §2.2.1: remembers a blocked stream, within the number we allow. */
  private block(streamId: number, requiredInsertCount: number): void {
    if (!this.blocked.has(streamId) && this.blocked.size >= this.maxBlockedStreams) {
      fail(`more than ${this.maxBlockedStreams} blocked streams`);
    }
    this.blocked.set(streamId, requiredInsertCount);
  }

  /** Reads one field line representation (RFC 9204 §4.5.2 – §4.5.6). */
  private fieldLine(c: SectionCursor): FieldLine {
    const first = c.buf[c.pos]!;
    if (first & 0x80) {
      // §4.5.2 Indexed Field Line: 1 T Index(6+).
      const index = this.int(c, 6);
      const entry = first & 0x40 ? staticEntry(index) : this.dynamicEntry(c, c.base - 1 - index);
      return this.indexedLine(c, entry);
    }
    if (first & 0x40) {
      // §4.5.4 Literal Field Line with Name Reference: 0 1 N T NameIndex(4+), value.
      const index = this.int(c, 4);
      const entry = first & 0x10 ? staticEntry(index) : this.dynamicEntry(c, c.base - 1 - index);
      return this.literalValue(c, entry.name, entry.line[0]);
    }
    if (first & 0x20) {
      // §4.5.6 Literal Field Line with Literal Name: 0 0 1 N H NameLen(3+), name, value.
      const name = this.string(c, 4, c.budget - ENTRY_OVERHEAD);
      return this.literalValue(c, name, nameString(name, DECOMPRESSION_FAILED));
    }
    if (first & 0x10) {
      // §4.5.3 Indexed Field Line with Post-Base Index: 0 0 0 1 Index(4+).
      const index = this.int(c, 4);
      return this.indexedLine(c, this.dynamicEntry(c, c.base + index));
    }
    // §4.5.5 Literal Field Line with Post-Base Name Reference: 0 0 0 0 N NameIndex(3+), value.
    const index = this.int(c, 3);
    const entry = this.dynamicEntry(c, c.base + index);
    return this.literalValue(c, entry.name, entry.line[0]);
  }

  /** The value string literal after a name; charges the line to the size budget. */
  private literalValue(c: SectionCursor, name: Uint8Array, nameText: string): FieldLine {
    const value = this.string(c, 8, c.budget - ENTRY_OVERHEAD - name.length);
    c.budget -= entrySize(name, value);
    return [nameText, valueString(value)];
  }

  /** A whole table entry as a field line, charged to the size budget (RFC 9114 §4.2.2). */
  private indexedLine(c: SectionCursor, entry: { line: Readonly<FieldLine>; size: number }): FieldLine {
    if (entry.size > c.budget) fail(`field section larger than ${this.maxFieldSectionSize} bytes`);
    c.budget -= entry.size;
    return [entry.line[0], entry.line[1]];
  }

  private int(c: SectionCursor, prefixBits: number): number {
    const r = readInteger(c.buf, c.pos, prefixBits, DECOMPRESSION_FAILED) ?? fail('truncated field line');
    c.pos = r[1];
    return r[0];
  }

  private string(c: SectionCursor, prefixBits: number, maxLength: number): Uint8Array {
    if (maxLength < 0) fail(`field section larger than ${this.maxFieldSectionSize} bytes`);
    const r = readString(c.buf, c.pos, prefixBits, maxLength, DECOMPRESSION_FAILED) ?? fail('truncated field line');
    c.pos = r[1];
    return r[0];
  }

  /**
   * RFC 9204 §2.2.3: a field line may reference only entries below the Required Insert Count
   * that are still in the table.
   */
  private dynamicEntry(c: SectionCursor, absolute: number): TableEntry {
    if (absolute < 0 || absolute >= c.requiredInsertCount) {
      fail(`dynamic table reference ${absolute} outside [0, Required Insert Count ${c.requiredInsertCount})`);
    }
    return this.table.get(absolute) ?? fail(`dynamic table entry ${absolute} was evicted`);
  }

  // --- Encoder stream -------------------------------------------------------------------------

  /**
   * Applies the encoder instruction at the start of `buf` (RFC 9204 §4.3) and returns its size,
   * or 0 if it is not complete yet. The instruction is measured first and decoded only once
   * whole, so a long instruction arriving in pieces is not decoded over and over.
   */
  private encoderInstruction(buf: Uint8Array): number {
    const first = buf[0]!;
    if (first & 0x80) return this.insertWithNameReference(buf, (first & 0x40) !== 0);
    if (first & 0x40) return this.insertWithLiteralName(buf);
    const r = readInteger(buf, 0, 5, ENCODER_STREAM_ERROR);
    if (r === undefined) return 0;
    if (first & 0x20) this.setCapacity(r[0]);
    else this.duplicate(r[0]);
    return r[1];
  }

  /** RFC 9204 §4.3.1 Set Dynamic Table Capacity. */
  private setCapacity(capacity: number): void {
    if (capacity > this.maxTableCapacity) {
      throw new QpackError(ENCODER_STREAM_ERROR, `table capacity ${capacity} exceeds the maximum ${this.maxTableCapacity}`);
    }
    this.table.setCapacity(capacity);
  }

  /** RFC 9204 §4.3.4 Duplicate. */
  private duplicate(relativeIndex: number): void {
    this.table.insert(this.encoderStreamEntry(relativeIndex));
  }

  /** RFC 9204 §4.3.2 Insert with Name Reference: 1 T NameIndex(6+), value (8-bit prefix). */
  private insertWithNameReference(buf: Uint8Array, isStatic: boolean): number {
    const index = readInteger(buf, 0, 6, ENCODER_STREAM_ERROR);
    if (index === undefined) return 0;
    const valueEnd = this.stringEnd(buf, index[1], 8);
    if (valueEnd === undefined) return 0;
    let name: Uint8Array;
    let nameText: string;
    if (isStatic) {
      const bytes = STATIC_TABLE_BYTES[index[0]];
      if (bytes === undefined) throw new QpackError(ENCODER_STREAM_ERROR, `static table index ${index[0]} out of range`);
      name = bytes[0];
      nameText = STATIC_TABLE[index[0]]![0];
    } else {
      const entry = this.encoderStreamEntry(index[0]);
      name = entry.name;
      nameText = entry.line[0];
    }
    const value = this.entryString(buf, index[1], 8, this.table.capacity - ENTRY_OVERHEAD - name.length);
    this.table.insert(makeEntry(name, value, nameText));
    return valueEnd;
  }

  /** RFC 9204 §4.3.3 Insert with Literal Name: 0 1 H NameLen(5+), name, value (8-bit prefix). */
  private insertWithLiteralName(buf: Uint8Array): number {
    const nameEnd = this.stringEnd(buf, 0, 6);
    if (nameEnd === undefined) return 0;
    const valueEnd = this.stringEnd(buf, nameEnd, 8);
    if (valueEnd === undefined) return 0;
    const name = this.entryString(buf, 0, 6, this.table.capacity - ENTRY_OVERHEAD);
    const value = this.entryString(buf, nameEnd, 8, this.table.capacity - ENTRY_OVERHEAD - name.length);
    this.table.insert(makeEntry(name, value, nameString(name, ENCODER_STREAM_ERROR)));
    return valueEnd;
  }

  /**
   * End of the string literal at `offset`, or undefined if incomplete. A length that could not
   * fit an entry of the current capacity is refused at once, which bounds the buffered bytes.
   */
  private stringEnd(buf: Uint8Array, offset: number, prefixBits: number): number | undefined {
    const h = readStringHeader(buf, offset, prefixBits, ENCODER_STREAM_ERROR);
    if (h === undefined) return undefined;
    const room = Math.max(0, this.table.capacity - ENTRY_OVERHEAD);
    if (h.length > maxEncodedLength(room, h.huffman)) {
      const why = `string literal of ${h.length} bytes cannot fit the table capacity ${this.table.capacity}`;
      throw new QpackError(ENCODER_STREAM_ERROR, why);
    }
    const end = h.start + h.length;
    return end <= buf.length ? end : undefined;
  }

  /** Decodes a complete string literal of an entry with at most `room` bytes left for it. */
  private entryString(buf: Uint8Array, offset: number, prefixBits: number, room: number): Uint8Array {
    if (room < 0) throw new QpackError(ENCODER_STREAM_ERROR, `entry exceeds the table capacity ${this.table.capacity}`);
    const r = readString(buf, offset, prefixBits, room, ENCODER_STREAM_ERROR);
    if (r === undefined) throw new QpackError(ENCODER_STREAM_ERROR, 'truncated string literal'); // measured complete before
    return r[0];
  }

  /** RFC 9204 §3.2.5: the entry at a relative index of the encoder stream (0 = newest). */
  private encoderStreamEntry(relativeIndex: number): TableEntry {
    const absolute = this.table.insertCount - 1 - relativeIndex;
    const entry = this.table.get(absolute);
    if (entry === undefined) {
      throw new QpackError(ENCODER_STREAM_ERROR, `relative index ${relativeIndex} does not name an entry of the dynamic table`);
    }
    return entry;
  }

  /** Streams whose Required Insert Count has been reached; they stop counting as blocked. */
  private unblocked(): number[] {
    const ready: number[] = [];
    const inserts = this.table.insertCount;
    for (const [streamId, ric] of this.blocked) {
      if (ric <= inserts) ready.push(streamId);
    }
    for (const streamId of ready) this.blocked.delete(streamId);
    return ready;
  }
}

/** RFC 9204 §3.1: a static table entry, or DECOMPRESSION_FAILED for an index beyond it. */
function staticEntry(index: number): { line: Readonly<FieldLine>; name: Uint8Array; size: number } {
  const line = STATIC_TABLE[index];
  const bytes = STATIC_TABLE_BYTES[index];
  if (line === undefined || bytes === undefined) fail(`static table index ${index} out of range`);
  return { line, name: bytes[0], size: bytes[0].length + bytes[1].length + ENTRY_OVERHEAD };
}
