/**
 * Workloads as plain data, their validation, the payload pattern every workload sends and
 * checks, and latency percentiles. The drivers that play them are in workload-drivers.ts.
 *
 * Every workload type declares `bytes` and `direction` (absent where they mean nothing), so
 * code that reads `workload.bytes` or `workload.direction` of any workload type-checks.
 */
import type { Duration } from '../util/time.js';

/** Which way a workload's data flows: 'download' server → client, 'upload' client → server. */
export type Direction = 'download' | 'upload';

/** Bulk transfer of `bytes` on one bidirectional stream opened by the client. */
export interface BulkWorkload {
  type: 'bulk';
  bytes: number;
  /** 'download': server → client after a small request (default); 'upload': client → server. */
  direction?: Direction;
}

/**
 * `count` unidirectional streams of `size` bytes each, opened by the sender (the server for a
 * download, the default; the client for an upload), at most `concurrency` at a time: a stream
 * counts until the receiver has acknowledged all of it.
 *
 * Stream i is released `i·interval` (µs) after the sender's handshake and opened as soon as the
 * stream limit and `concurrency` allow: periodic messages, e.g. a 1 KB message every 10 ms for
 * 30 s is `{ count: 3000, size: 1000, interval: 10_000 }`.
 *  - `interval` 0 (the default): all are released at once; `concurrency` defaults to 10, and a
 *    stream's latency runs from its opening until the receiver has all of it.
 *  - `interval` > 0: `concurrency` defaults to unlimited (messages do not queue behind each
 *    other), and a stream's latency runs from its release until the receiver has all of it, so
 *    any queueing (stream limit, concurrency, flow control) counts.
 */
export interface StreamsWorkload {
  type: 'streams';
  count: number;
  size: number;
  interval?: Duration;
  concurrency?: number;
  direction?: Direction;
  bytes?: never;
}

/**
 * `count` request/response exchanges, each on its own bidirectional stream of one connection:
 * the client sends `requestSize` bytes and FIN, the server answers with `responseSize` bytes
 * and FIN. Request i is released `i·interval` after the handshake (default 0: all at once) and
 * sent as soon as the stream limit and `concurrency` (outstanding requests, default unlimited)
 * allow. Latency: from sending the request until the whole response has arrived.
 */
export interface RequestsWorkload {
  type: 'requests';
  count: number;
  requestSize: number;
  responseSize: number;
  interval?: Duration;
  concurrency?: number;
  bytes?: never;
  direction?: never;
}

/**
 * `count` DATAGRAM frames (RFC 9221) of `size` bytes (at least 4: the first 4 carry the
 * index), one every `interval` (default 0) after the handshake, from the server (download, the
 * default) or the client (upload). Both sides must enable them (`maxDatagramFrameSize` in the
 * scenario's client and server transport settings). The flow ends when every datagram has
 * arrived, or `linger` (default 1 s) after the last one was sent; it completed if all arrived.
 */
export interface DatagramsWorkload {
  type: 'datagrams';
  count: number;
  size: number;
  interval?: Duration;
  direction?: Direction;
  linger?: Duration;
  bytes?: never;
}

/**
 * `count` sequential connections, each doing a handshake and one exchange (the client sends
 * `requestSize` bytes, default 32, the server answers `responseSize`, default 32) and then
 * closing. An attempt not done within `timeout` (default 60 s) is abandoned and counts as
 * failed; the next one starts when the previous is done either way.
 *
 * Resumption (RFC 9001 §4.5), when the server issues tickets: with `awaitSession` every
 * connection but the last stays open until it has received a session ticket, so the next one
 * can resume (a server that issues none leaves it waiting until `timeout`: a failed attempt). With `earlyData` the client opens its request stream and writes the request as
 * soon as the connection allows it, before the handshake completes when a resumed session gives
 * it 0-RTT keys (RFC 9001 §4.6.1), and the server reads the request and answers before its own
 * handshake completes (0-RTT in, 0.5-RTT out).
 */
export interface HandshakesWorkload {
  type: 'handshakes';
  count: number;
  requestSize?: number;
  responseSize?: number;
  timeout?: Duration;
  awaitSession?: boolean;
  earlyData?: boolean;
  bytes?: never;
  direction?: never;
}

/** What a flow does once connected, as plain data, by `type`; `validateWorkload` checks one. */
export type Workload = BulkWorkload | StreamsWorkload | RequestsWorkload | DatagramsWorkload | HandshakesWorkload;

/** Every workload `type`. */
export const WORKLOAD_TYPES: readonly Workload['type'][] = ['bulk', 'streams', 'requests', 'datagrams', 'handshakes'];

/** Latency (or duration) percentiles in µs, nearest-rank. */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of `xs` (undefined when empty). */
export function percentiles(xs: readonly number[]): Percentiles | undefined {
  const n = xs.length;
  if (n === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.max(0, Math.ceil((p / 100) * n) - 1)]!;
  let sum = 0;
  for (const x of s) sum += x;
  return { count: n, p50: rank(50), p90: rank(90), p99: rank(99), max: s[n - 1]!, mean: sum / n };
}

/** Byte `i` of the bulk payload: cheap to produce and to check, and shift-sensitive. */
export function payloadByte(i: number): number {
  return (i + ((i >>> 8) * 7) + ((i >>> 16) * 13) + ((i >>> 24) * 29)) & 0xff;
}

/**
 * Byte `i` of message `key`'s payload: the bulk pattern plus a per-message constant, so a
 * message's bytes delivered as another's (or shifted) do not match. Key 0 is the bulk pattern.
 */
export function messageByte(key: number, i: number): number {
  return (payloadByte(i) + key * 151 + (key >>> 8) * 53) & 0xff;
}

/**
 * The payload pattern as one table. Within a 64 KiB aligned window the higher terms of
 * payloadByte are constant, so byte j of the window is (j + 7·(j >> 8) + C) & 0xff for a
 * constant C (the window's and the message key's). Since 7 is invertible mod 256 (7 · 183 ≡ 1),
 * adding C is the same as starting 256·(183·C mod 256) bytes further into the window of C = 0:
 * every window is a rotation of one 64 KiB table by whole blocks. The table is stored twice
 * over, so any stretch of up to 64 KiB of any window is one slice of it, and the simulator
 * writes and checks every byte it moves with one native copy or compare per window crossed.
 */
const WINDOW = 1 << 16;
const PATTERN = Buffer.alloc(2 * WINDOW);
for (let j = 0; j < PATTERN.length; j++) PATTERN[j] = (j + 7 * ((j >>> 8) & 0xff)) & 0xff;
/** 7⁻¹ mod 256. */
const INV7 = 183;

/** Where message `key`'s byte at stream offset `pos` sits in PATTERN, and how many follow it in the same window. */
function patternAt(key: number, pos: number): { at: number; room: number } {
  const base = pos - (pos % WINDOW);
  const c = (blockConstant(base) + key * 151 + (key >>> 8) * 53) & 0xff;
  const j = pos - base;
  return { at: j + 256 * ((INV7 * c) & 0xff), room: WINDOW - j };
}

/** payloadByte(i) − i, the same for all i of one 256-byte aligned block (mod 256). */
function blockConstant(i: number): number {
  return (i >>> 8) * 7 + (i >>> 16) * 13 + (i >>> 24) * 29;
}

/** `len` bytes of message `key` from `offset`. */
export function messagePayload(key: number, offset: number, len: number): Uint8Array {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; ) {
    const { at, room } = patternAt(key, offset + i);
    const n = Math.min(len - i, room);
    PATTERN.copy(b, i, at, at + n);
    i += n;
  }
  return new Uint8Array(b.buffer, b.byteOffset, len);
}

/** Whether `data` from index `from` is message `key`'s payload from `offset + from`. */
export function checkPayload(key: number, offset: number, data: Uint8Array, from = 0): boolean {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  for (let i = from; i < data.length; ) {
    const { at, room } = patternAt(key, offset + i);
    const n = Math.min(data.length - i, room);
    if (buf.compare(PATTERN, at, at + n, i, i + n) !== 0) return false;
    i += n;
  }
  return true;
}

function count(name: string, v: unknown, min: number): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw new RangeError(`${name} must be an integer >= ${min}`);
}

function optional(name: string, v: unknown, min: number): void {
  if (v !== undefined) count(name, v, min);
}

function direction(name: string, v: unknown): void {
  if (v !== undefined && v !== 'download' && v !== 'upload') throw new RangeError(`${name}.direction must be 'download' or 'upload'`);
}

/** Throws a RangeError naming the first invalid field. */
export function validateWorkload(w: Workload): void {
  switch (w?.type) {
    case 'bulk':
      count('bulk.bytes', w.bytes, 0);
      direction('bulk', w.direction);
      return;
    case 'streams':
      count('streams.count', w.count, 1);
      count('streams.size', w.size, 0);
      optional('streams.interval', w.interval, 0);
      optional('streams.concurrency', w.concurrency, 1);
      direction('streams', w.direction);
      return;
    case 'requests':
      count('requests.count', w.count, 1);
      count('requests.requestSize', w.requestSize, 0);
      count('requests.responseSize', w.responseSize, 0);
      optional('requests.interval', w.interval, 0);
      optional('requests.concurrency', w.concurrency, 1);
      return;
    case 'datagrams':
      count('datagrams.count', w.count, 1);
      count('datagrams.size', w.size, 4);
      if (w.count > 0xffffffff) throw new RangeError('datagrams.count must fit in 32 bits');
      optional('datagrams.interval', w.interval, 0);
      optional('datagrams.linger', w.linger, 0);
      direction('datagrams', w.direction);
      return;
    case 'handshakes':
      count('handshakes.count', w.count, 1);
      optional('handshakes.requestSize', w.requestSize, 0);
      optional('handshakes.responseSize', w.responseSize, 0);
      optional('handshakes.timeout', w.timeout, 1);
      if (w.awaitSession !== undefined && typeof w.awaitSession !== 'boolean') throw new RangeError('handshakes.awaitSession must be a boolean');
      if (w.earlyData !== undefined && typeof w.earlyData !== 'boolean') throw new RangeError('handshakes.earlyData must be a boolean');
      return;
    default:
      throw new RangeError(`unknown workload ${(w as { type?: unknown } | undefined)?.type}`);
  }
}

/** Application payload bytes a workload delivers when everything arrives. */
export function expectedBytes(w: Workload): number {
  switch (w.type) {
    case 'bulk':
      return w.bytes;
    case 'streams':
    case 'datagrams':
      return w.count * w.size;
    case 'requests':
      return w.count * (w.requestSize + w.responseSize);
    case 'handshakes':
      return w.count * ((w.requestSize ?? 32) + (w.responseSize ?? 32));
  }
}
