/**
 * The multipath packet scheduler (draft-ietf-quic-multipath-21; specs/multipath.md A12 and the
 * project decisions): a small, pure interface the connection calls once per ack-eliciting
 * datagram to pick the path that carries it, plus a registry of named implementations so the
 * connection, the CLI and experiments choose one by name (like the congestion-controller
 * registry in recovery/cc/registry.ts).
 *
 * Hot path (DESIGN §4): `select` reads plain numbers from objects the connection reuses, writes
 * extra path IDs into a caller-owned array, and allocates nothing per call; it never reads a
 * clock (time comes in as `now`) and draws no randomness, so a schedule is a pure function of
 * its inputs.
 */
import type { Duration, Instant } from '../util/time.js';
import { BUILTIN_SCHEDULERS } from './schedulers.js';

/**
 * What a scheduler sees of one path. The connection keeps one object per path and refreshes it
 * before each call (no allocation per call); `select` must not keep references past the call
 * other than by path ID.
 */
export interface SchedPath {
  /** The path ID (multipath-21 §2.1; 0 for the handshake path). */
  readonly id: number;
  /** Validated and sending allowed: not closing, not abandoned, not failed over by the connection. */
  readonly usable: boolean;
  /** PATH_STATUS_BACKUP from either side (multipath-21 §3.3): use only while no other usable path exists. */
  readonly backup: boolean;
  /** Smoothed RTT in µs (the initial RTT before a sample). */
  readonly srtt: Duration;
  /** Minimum RTT in µs; Infinity before the first sample. */
  readonly minRtt: Duration;
  /** Congestion window in bytes. */
  readonly cwnd: number;
  /** Bytes in flight on this path. */
  readonly bytesInFlight: number;
  /** Consecutive PTOs without an acknowledgement: a path that stopped delivering. */
  readonly ptoCount: number;
  /** When the last ack-eliciting packet left on this path (µs Instant); -Infinity if none. */
  readonly lastSentAt: Instant;
  /** When the pacer allows the next packet on this path (µs Instant); ready when <= now. */
  readonly pacingReadyAt: Instant;
}

/** The writable form the connection keeps per path and refreshes before each `select`. */
export type MutableSchedPath = { -readonly [K in keyof SchedPath]: SchedPath[K] };

/** A fresh per-path record with "nothing known yet" values; the connection allocates one per path. */
export function newSchedPath(id: number): MutableSchedPath {
  return {
    id,
    usable: false,
    backup: false,
    srtt: 0,
    minRtt: Infinity,
    cwnd: 0,
    bytesInFlight: 0,
    ptoCount: 0,
    lastSentAt: -Infinity,
    pacingReadyAt: -Infinity,
  };
}

/**
 * A multipath packet scheduler: picks the path of each ack-eliciting datagram from what the
 * connection tells it about the paths (`select`), optionally with further paths for redundant
 * copies. One instance per connection, made by a SchedulerFactory; it may keep per-path state
 * by path ID, updated in `onSent` and dropped in `onPathRemoved`.
 */
export interface PacketScheduler {
  /** The registry name this scheduler was created under (qlog, stats). */
  readonly name: string;
  /**
   * The path for the next ack-eliciting datagram of `bytes` at `now`, or undefined when no path
   * may send now (every eligible path's window is full or its pacer not ready; the caller then
   * waits for an ACK or the earliest `pacingReadyAt`). `out` receives the IDs of further paths
   * that must carry a copy of the same frames (redundant scheduling); it is cleared first and
   * never holds the returned path's ID. The returned object is one of `paths`.
   */
  select(paths: readonly SchedPath[], now: Instant, bytes: number, out: number[]): SchedPath | undefined;
  /**
   * The connection sent an ack-eliciting datagram of `bytes` on path `id` at `now` (once per
   * path, copies included). Round-robin, weighted and backup probing keep their bookkeeping
   * here, so a `select` that ends in no datagram leaves them unchanged.
   */
  onSent?(id: number, bytes: number, now: Instant): void;
  /** Path `id` is gone for good (abandoned and discarded): drop whatever was kept about it. */
  onPathRemoved?(id: number): void;
}

/** Options are plain data (from the CLI or a config file); each factory validates its own. */
export type SchedulerOptions = Readonly<Record<string, unknown>>;
/**
 * Makes a fresh scheduler from its options (`registerScheduler`, `createScheduler`); throws a
 * RangeError for options it does not accept.
 */
export type SchedulerFactory = (opts?: SchedulerOptions) => PacketScheduler;

/** The default scheduler (specs/multipath.md, project decisions). */
export const DEFAULT_SCHEDULER = 'minrtt';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const factories = new Map<string, SchedulerFactory>(BUILTIN_SCHEDULERS);

/**
 * Adds a scheduler under `name` (letters, digits, '.', '_', '-'; not starting with a
 * punctuation mark). RangeError for an invalid or already registered name: built-ins can't be
 * replaced, so a name always means the same algorithm.
 */
export function registerScheduler(name: string, f: SchedulerFactory): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RangeError(`invalid scheduler name ${JSON.stringify(name)}`);
  if (typeof f !== 'function') throw new TypeError(`scheduler "${name}": the factory must be a function`);
  if (factories.has(name)) throw new RangeError(`scheduler "${name}" is already registered`);
  factories.set(name, f);
}

/** Creates a scheduler by name; RangeError for an unknown name (listing the known ones) or bad options. */
export function createScheduler(name: string, opts?: SchedulerOptions): PacketScheduler {
  const f = factories.get(name);
  if (f === undefined) throw new RangeError(`unknown scheduler "${name}" (known: ${schedulerNames().join(', ')})`);
  return f(opts);
}

/** The registered names, built-ins first, then in registration order. */
export function schedulerNames(): string[] {
  return [...factories.keys()];
}
