/**
 * An unbounded queue read through async iterators: the backing of `server[Symbol.asyncIterator]`,
 * `connection.incomingStreams()` and `connection.datagrams()`. Each item goes to one reader;
 * `end` finishes every reader once the queued items are taken.
 */
export class Channel<T> {
  private readonly items: T[] = [];
  private head = 0;
  private readonly waiters: Array<(r: IteratorResult<T, undefined>) => void> = [];
  private ended = false;
  /** Iterators created and not yet returned. */
  readers = 0;

  /** `onTake` runs on each item as an iterator hands it to its reader. */
  constructor(private readonly onTake?: (v: T) => void) {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** Items waiting for a reader. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w !== undefined) w({ value: v, done: false });
    else this.items.push(v);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** Takes a waiting item at once (`onTake` runs on it), or undefined when none waits. */
  take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    this.onTake?.(v);
    return v;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.head < this.items.length) {
      const v = this.items[this.head]!;
      this.items[this.head++] = undefined as T;
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      }
      return Promise.resolve({ value: v, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  iterator(): AsyncIterableIterator<T> {
    this.readers++;
    let open = true;
    const close = (): void => {
      if (open) this.readers--;
      open = false;
    };
    const it: AsyncIterableIterator<T> = {
      next: async () => {
        if (!open) return { value: undefined, done: true };
        const r = await this.next();
        if (r.done) close();
        else this.onTake?.(r.value);
        return r;
      },
      return: async () => {
        close();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
