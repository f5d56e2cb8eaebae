/**
 * Datagram Packetization Layer PMTU Discovery (DPLPMTUD, RFC 8899) as RFC 9000 §14.3 applies it
 * to QUIC: the state of one path, without I/O. The connection asks `probeSize(now)` when it
 * could send, builds a PING+PADDING probe of exactly that size (§14.4) and reports back
 * `onProbeAcked` / `onProbeLost`; every other acknowledged or lost packet goes through
 * `onPacketAcked` / `onPacketLost` for black-hole detection.
 *
 * - BASE_PLPMTU = MIN_PLPMTU = 1200 (RFC 9000 §14.3), the size of every datagram until a probe
 *   of a larger size is acknowledged. MAX_PLPMTU is the smaller of the local ceiling and the
 *   peer's max_udp_payload_size (`setMax`).
 * - Search (RFC 8899 §5.3.2 leaves the method open): the first probe is MAX_PLPMTU itself (the
 *   common case, a path that carries it, ends the search in one round trip); after that a binary
 *   search between the largest acknowledged size and the smallest failed one, until the two are
 *   less than `MIN_STEP` apart.
 * - A size fails after MAX_PROBES = 3 lost probes (RFC 8899 §5.1.2). Probe losses are not
 *   congestion signals (RFC 9000 §14.4): the loss recovery skips packets flagged `mtuProbe`.
 * - SEARCH_COMPLETE: no confirmation timer (RFC 9000 §14.3.2, QUIC is acknowledged); the search
 *   starts again after PMTU_RAISE_TIMER = 600 s (RFC 8899 §5.1.1) in case the path grew.
 * - Black holes (RFC 8899 §4.3): `BLACK_HOLE_LOSSES` packets larger than BASE_PLPMTU declared
 *   lost, each sent after the newest acknowledged packet larger than BASE_PLPMTU, mean the path
 *   stopped carrying the size: back to BASE_PLPMTU and search again below the failed size. The
 *   connection helps the detection along by sending PTO probes at BASE_PLPMTU after repeated
 *   timeouts (otherwise, on a path that drops every large datagram, nothing is ever
 *   acknowledged and nothing declared lost).
 */
import type { Duration, Instant } from '../util/time.js';

/** RFC 9000 §14.3: BASE_PLPMTU and MIN_PLPMTU. */
export const BASE_PLPMTU = 1200;
/** RFC 8899 §5.1.2 MAX_PROBES. */
export const MAX_PROBES = 3;
/** RFC 8899 §5.1.1 PMTU_RAISE_TIMER: 600 s. */
export const PMTU_RAISE_TIMER: Duration = 600_000_000;
/** The search ends when the acknowledged and failed sizes are closer than this (bytes). */
export const MIN_STEP = 20;
/** Lost large packets, with no large packet acknowledged after them, that make a black hole. */
export const BLACK_HOLE_LOSSES = 3;

export type PmtudState = 'disabled' | 'base' | 'searching' | 'complete';

/** What changed, for the connection to pass on (congestion controller, qlog). */
export interface PmtuChange {
  old: number;
  new: number;
  /** The search finished (qlog mtu_updated `done`). */
  done: boolean;
  /** The change is a black-hole fallback. */
  blackHole: boolean;
}

export class Pmtud {
  /** The current maximum datagram size (PLPMTU) every non-probe datagram must fit. */
  current = BASE_PLPMTU;
  state: PmtudState;
  /** MAX_PLPMTU: min(local ceiling, peer's max_udp_payload_size). */
  private max: number;
  /** Largest size known to fail (the search's upper bound + 1). */
  private failed: number;
  /** Size of the probe in flight, 0 when none. */
  private inFlight = 0;
  /** The size being tried (kept across its retries), 0 when none. */
  private trying = 0;
  /** Probes of `trying`'s size lost so far. */
  private losses = 0;
  /** When SEARCH_COMPLETE started the raise timer. */
  private raiseAt: Instant = Infinity;
  /** Send time of the newest acknowledged packet larger than BASE_PLPMTU. */
  private lastLargeAcked: Instant = -Infinity;
  /** Lost large packets sent after `lastLargeAcked`. */
  private suspicious = 0;
  /** Counters (stats). */
  probesSent = 0;
  probesLost = 0;
  blackHoles = 0;

  /**
   * @param ceiling the local MAX_PLPMTU (largest UDP payload this end will send)
   * @param enabled false: no probing; `current` is the ceiling (capped by the peer) from the start
   */
  constructor(
    private ceiling: number,
    readonly enabled = true,
  ) {
    this.max = ceiling;
    this.failed = ceiling + 1;
    this.state = enabled ? 'base' : 'disabled';
    if (!enabled) this.current = Math.max(BASE_PLPMTU, ceiling);
  }

  /** The peer's max_udp_payload_size arrived (RFC 9000 §18.2): MAX_PLPMTU may shrink. */
  setPeerMax(peerMax: number): PmtuChange | undefined {
    this.max = Math.max(BASE_PLPMTU, Math.min(this.ceiling, peerMax));
    this.failed = Math.min(this.failed, this.max + 1);
    if (this.current > this.max) return this.set(this.max, true, false);
    return undefined;
  }

  /** RFC 9000 §14.3: BASE once the handshake is done; searching starts right away. */
  start(): void {
    if (this.state !== 'base') return;
    this.state = this.max > BASE_PLPMTU ? 'searching' : 'complete';
  }

  /**
   * A new path (RFC 9000 §9.4, §14.2: the PMTU is per address pair): back to BASE_PLPMTU and a
   * fresh search once `start` is called again.
   */
  reset(): PmtuChange | undefined {
    if (!this.enabled) return undefined;
    this.state = 'base';
    this.inFlight = 0;
    this.trying = 0;
    this.losses = 0;
    this.failed = this.max + 1;
    this.raiseAt = Infinity;
    this.lastLargeAcked = -Infinity;
    this.suspicious = 0;
    return this.current !== BASE_PLPMTU ? this.set(BASE_PLPMTU, false, false) : undefined;
  }

  /** The size of the probe to send now, or 0 (none wanted, or one is in flight). */
  probeSize(now: Instant): number {
    if (this.state === 'complete' && now >= this.raiseAt) {
      // RFC 8899 §5.1.1: see whether the path's MTU grew.
      this.state = 'searching';
      this.failed = this.max + 1;
      this.raiseAt = Infinity;
    }
    if (this.state !== 'searching' || this.inFlight !== 0) return 0;
    const hi = this.failed - 1;
    if (hi - this.current < MIN_STEP) {
      this.complete(now);
      return 0;
    }
    // A size is tried again until MAX_PROBES are lost. The first probe of a search is the
    // largest size; after that, halve the interval.
    if (this.trying > this.current && this.trying <= hi) return this.trying;
    return hi === this.max ? hi : Math.ceil((this.current + hi) / 2);
  }

  /** A probe of `size` bytes went out. */
  onProbeSent(size: number): void {
    if (this.trying !== size) this.losses = 0;
    this.trying = size;
    this.inFlight = size;
    this.probesSent++;
  }

  /** A probe was acknowledged: the path carries `size` (RFC 8899 §5.2). */
  onProbeAcked(now: Instant, size: number): PmtuChange | undefined {
    if (size !== this.inFlight) return undefined;
    this.inFlight = 0;
    this.losses = 0;
    this.trying = 0;
    if (size <= this.current || this.state !== 'searching') return undefined;
    const hi = this.failed - 1;
    const done = hi - size < MIN_STEP;
    if (done) this.complete(now);
    return this.set(size, done, false);
  }

  /** A probe was declared lost. After MAX_PROBES losses of one size, the size fails. */
  onProbeLost(now: Instant, size: number): PmtuChange | undefined {
    if (size !== this.inFlight) return undefined;
    this.inFlight = 0;
    this.probesLost++;
    if (++this.losses < MAX_PROBES) return undefined;
    this.losses = 0;
    this.trying = 0;
    this.failed = Math.min(this.failed, size);
    if (this.failed - 1 - this.current < MIN_STEP) {
      this.complete(now);
      return { old: this.current, new: this.current, done: true, blackHole: false };
    }
    return undefined;
  }

  /** Any acknowledged non-probe packet (black-hole detection). */
  onPacketAcked(size: number, timeSent: Instant): void {
    if (size > BASE_PLPMTU && timeSent > this.lastLargeAcked) {
      this.lastLargeAcked = timeSent;
      this.suspicious = 0;
    }
  }

  /**
   * Any lost non-probe packet. Returns the fallback to BASE_PLPMTU when the losses make a black
   * hole (see the module comment).
   */
  onPacketLost(size: number, timeSent: Instant): PmtuChange | undefined {
    if (!this.enabled || size <= BASE_PLPMTU || timeSent <= this.lastLargeAcked) return undefined;
    if (++this.suspicious < BLACK_HOLE_LOSSES || this.current <= BASE_PLPMTU) return undefined;
    this.blackHoles++;
    this.suspicious = 0;
    // Search again below the size that stopped getting through.
    this.failed = this.current;
    this.state = 'searching';
    this.inFlight = 0;
    this.trying = 0;
    this.losses = 0;
    this.raiseAt = Infinity;
    return this.set(BASE_PLPMTU, false, true);
  }

  /** When the next search may start (for the connection's timer), or Infinity. */
  get raiseTime(): Instant {
    return this.state === 'complete' ? this.raiseAt : Infinity;
  }

  private complete(now: Instant): void {
    this.state = 'complete';
    this.inFlight = 0;
    this.trying = 0;
    this.raiseAt = this.current < this.max ? now + PMTU_RAISE_TIMER : Infinity;
  }

  private set(size: number, done: boolean, blackHole: boolean): PmtuChange {
    const old = this.current;
    this.current = size;
    return { old, new: size, done, blackHole };
  }
}
