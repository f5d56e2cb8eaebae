/**
 * The decoder's copy of the dynamic table (RFC 9204 §3.2): entries in insertion order, addressed
 * by absolute index (§3.2.4), evicted oldest first when the capacity requires it (§3.2.2).
 */
import { QpackError, QpackErrorCode } from './errors.js';
import type { FieldLine } from './types.js';

/** Bytes an entry adds to the table size beyond its name and value (RFC 9204 §3.2.1). */
export const ENTRY_OVERHEAD = 32;

/** One dynamic table entry. The octets give its size; `line` is what a field section yields. */
export interface TableEntry {
  readonly name: Uint8Array;
  readonly value: Uint8Array;
  readonly line: Readonly<FieldLine>;
  /** name.length + value.length + 32 (RFC 9204 §3.2.1). */
  readonly size: number;
}

/** Size of an entry with this name and value (RFC 9204 §3.2.1). */
export function entrySize(name: Uint8Array, value: Uint8Array): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

export class DynamicTable {
  /** Live entries are entries[head..]; entries[head] has absolute index `dropped`. */
  private entries: (TableEntry | undefined)[] = [];
  private head = 0;
  private dropped = 0;
  private used = 0;
  private cap = 0;

  /** Entries inserted so far, evicted ones included: the Insert Count (RFC 9204 §1.1). */
  get insertCount(): number {
    return this.dropped + this.entries.length - this.head;
  }

  /** Sum of the sizes of the live entries (RFC 9204 §3.2.1). */
  get size(): number {
    return this.used;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Live entries, oldest first. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Absolute index of the oldest live entry (= insertCount when the table is empty). */
  get firstIndex(): number {
    return this.dropped;
  }

  /** RFC 9204 §3.2.2: a lower capacity evicts from the oldest end until the entries fit. */
  setCapacity(capacity: number): void {
    this.cap = capacity;
    this.evictUntil(capacity);
  }

  /**
   * RFC 9204 §3.2.2: evicts until the new entry fits, then appends it. An entry larger than the
   * capacity is an encoder stream error. The caller resolves a referenced name before calling,
   * so evicting the entry it came from is harmless.
   */
  insert(entry: TableEntry): void {
    if (entry.size > this.cap) {
      const why = `entry of ${entry.size} bytes exceeds the table capacity ${this.cap}`;
      throw new QpackError(QpackErrorCode.ENCODER_STREAM_ERROR, why);
    }
    this.evictUntil(this.cap - entry.size);
    this.entries.push(entry);
    this.used += entry.size;
  }

  /** The entry with absolute index `index`, or undefined if evicted or not inserted yet. */
  get(index: number): TableEntry | undefined {
    if (index < this.dropped || index >= this.insertCount) return undefined;
    return this.entries[this.head + (index - this.dropped)];
  }

  private evictUntil(limit: number): void {
    while (this.used > limit && this.head < this.entries.length) {
      this.used -= this.entries[this.head]!.size;
      this.entries[this.head] = undefined;
      this.head++;
      this.dropped++;
    }
    if (this.head > 32 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
