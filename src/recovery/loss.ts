/**
 * Loss detection and the probe timeout for ONE path (RFC 9002 §6 and Appendix A), with the
 * congestion-control signals of §7 / Appendix B routed to a CongestionController.
 *
 * Three packet-number spaces (Initial, Handshake, Application Data) keep their own sent history,
 * largest acknowledged, loss time and PTO base (§6: loss detection is per space); RTT and
 * congestion control are shared (§4.1). The connection owns packet contents: every sent packet
 * carries recovery tokens (DESIGN §3) that come back in `acked`, `lost` or `discardSpace`.
 *
 * Sans-IO (DESIGN §1): nothing here reads a clock. `timeout()` is computed from state on demand
 * (A.8 SetLossDetectionTimer); the only time it needs beyond the packets' send times is the
 * client's anti-deadlock PTO base (A.8 "starts from the current time"), which is the time of the
 * last event that re-arms the timer (an in-flight packet sent, an ACK, a timeout).
 */
import { DeliveryRateEstimator } from './rate-sample.js';
import type { AckEvent } from './cc/types.js';
import type { Duration, Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { CongestionController } from './cc/types.js';
import { SentHistory, type SentPacket } from './history.js';
import { GRANULARITY, type RttEstimator } from './rtt.js';

export type { SentPacket } from './history.js';

/** RFC 9002 A.2 kPacketNumberSpace: 0 Initial, 1 Handshake, 2 ApplicationData. */
export type SpaceId = 0 | 1 | 2;

/** RFC 9002 §6.1.1 kPacketThreshold. */
export const PACKET_THRESHOLD = 3;
/** RFC 9002 §6.1.2 kTimeThreshold. */
export const TIME_THRESHOLD = 9 / 8;
/** RFC 9002 §7.6.1 kPersistentCongestionThreshold. */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** RFC 9000 §18.2: max_ack_delay default (25 ms), used until the peer's transport parameters arrive. */
export const DEFAULT_MAX_ACK_DELAY: Duration = 25_000;
/** RFC 9002 §6.2.4: "MAY send up to two full-sized datagrams" on a PTO. */
export const PTO_PROBES = 2;
/**
 * Skipped packet-number ranges remembered per space, oldest forgotten first (RFC 9000 §21.4:
 * the optimistic-ACK defence needs only recent ones; the memory stays bounded). At one skip
 * per 128–1023 packets (`skipPacketNumberPeriod`) they span at least 8192 packets.
 */
export const MAX_SKIPPED_RANGES = 64;

const FRAME_ACK = 0x02;
const FRAME_ACK_ECN = 0x03;

export interface AckResult<T> {
  /** Newly acknowledged packets, in packet-number order. */
  acked: SentPacket<T>[];
  /** Packets newly declared lost (§6.1), in packet-number order. */
  lost: SentPacket<T>[];
  /** largest_acknowledged was newly acked and ack-eliciting → an RTT sample was taken (§5.1). */
  rttSampled: boolean;
  /** The ECN-CE count went up (RFC 9002 B.7 ProcessECN / RFC 9000 §13.4.2). */
  ecnCe: boolean;
}

export interface TimeoutResult<T> {
  lost: SentPacket<T>[];
  /** The space the lost packets belong to (time-threshold loss runs on one space at a time). */
  lostSpace: SpaceId;
  /** PTO fired: send this many (1 or 2) ack-eliciting probe packets in this space (§6.2.4). */
  probe: { space: SpaceId; count: number } | undefined;
}

export interface LossRecoveryOptions {
  cc: CongestionController;
  rtt: RttEstimator;
  isServer: boolean;
  /** µs; updated by setter once the peer's transport parameters are known. */
  maxAckDelay?: Duration;
}

class Space<T> {
  readonly history = new SentHistory<T>();
  largestAcked: number | undefined = undefined;
  largestSent: number | undefined = undefined;
  /** The highest packet number sent or skipped (-1: none). */
  accounted = -1;
  /** A.3 time_of_last_ack_eliciting_packet. */
  timeOfLastAckEliciting: Instant | undefined = undefined;
  /** A.3 loss_time. */
  lossTime: Instant | undefined = undefined;
  /** Unacknowledged ack-eliciting packets. */
  ackEliciting = 0;
  /** B.2 ecn_ce_counters. */
  ecnCe = 0;
  /** Packet numbers never sent, as inclusive ranges [s0, e0, s1, e1, …], ascending. */
  skipped: number[] = [];
}

export class LossRecovery<T> {
  /** Replaced (reset) when the peer's address changes (RFC 9000 §9.4). */
  cc: CongestionController;
  readonly rtt: RttEstimator;
  readonly isServer: boolean;
  /** The peer's max_ack_delay (µs). */
  maxAckDelay: Duration;
  /** A.2 bytes_in_flight. */
  bytesInFlight = 0;
  /** A.3 pto_count. */
  ptoCount = 0;
  /**
   * Ceiling on the backed-off Application Data PTO once the handshake is confirmed (µs;
   * Infinity: none). RFC 9002 §6.2.1 doubles the PTO on every expiry without bound; past the
   * idle timeout that means the next probe can never come (RFC 9000 §10.1 wants several PTOs to
   * fit in the idle period), so a connection whose probes were all lost at an overloaded
   * receiver just times out. The ceiling keeps the later probes evenly spaced instead (as
   * picoquic, quic-go and others bound theirs); it never goes below the un-backed-off PTO.
   * Set by the connection from `TransportSettings.ptoCeilingMs`.
   */
  ptoCeiling: Duration = Infinity;
  /** When the PTO last expired (−Infinity: never); a capped PTO period counts from it at the earliest. */
  private lastPtoAt: Instant = -Infinity;
  /** RFC 9001 §4.1.2: the handshake is confirmed (§6.2.1 arms the Application Data PTO only then). */
  handshakeConfirmed = false;
  /** The endpoint has Handshake keys (A.8: where the client's anti-deadlock probe goes). */
  hasHandshakeKeys = false;
  /** Server blocked by anti-amplification: no PTO armed (§6.2.2.1). */
  amplificationLimited = false;
  /**
   * §7.8: set by the connection when it had nothing to send although the window allowed; also
   * marks the delivery-rate samples of the bubble application-limited (rate-sample.ts).
   */
  get appLimited(): boolean {
    return this.appLimitedNow;
  }
  set appLimited(v: boolean) {
    this.appLimitedNow = v;
    if (v) this.rate.onAppLimited(this.bytesInFlight);
  }
  private appLimitedNow = false;
  /** Delivery-rate samples for model-based controllers (draft-cheng-iccrg-delivery-rate-estimation). */
  readonly rate = new DeliveryRateEstimator();
  /** The reused per-ACK summary handed to `cc.onAckEvent`. */
  private readonly ackEvent: AckEvent = { ackedBytes: 0, lostBytes: 0, bytesInFlight: 0, sample: undefined, ceDelta: 0, ectAcked: 0, appLimited: false };
  private lostBytesThisAck = 0;

  private readonly spaces: [Space<T>, Space<T>, Space<T>];
  private addressValidated = false;
  private handshakeAckReceived = false;
  /** Time of the last event that re-armed the timer (the anti-deadlock PTO base), undefined before any. */
  private armedAt: Instant | undefined = undefined;
  /** Set by `ptoTime`. */
  private ptoSpace: SpaceId = 0;
  private ptoAntiDeadlock = false;
  /** History indices of the packets `detectLost` just removed (persistent congestion). */
  private readonly lostIdx: number[] = [];
  /** The reused results of onAckReceived and detectLost. */
  private readonly ackResult: AckResult<T> = { acked: [], lost: [], rttSampled: false, ecnCe: false };
  private readonly lostOut: SentPacket<T>[] = [];
  /** Always empty: the `lost` of a result without losses (never written to). */
  private readonly noLost: SentPacket<T>[] = [];

  constructor(o: LossRecoveryOptions) {
    this.cc = o.cc;
    this.rtt = o.rtt;
    this.isServer = o.isServer;
    this.maxAckDelay = o.maxAckDelay ?? DEFAULT_MAX_ACK_DELAY;
    this.spaces = [new Space<T>(), new Space<T>(), new Space<T>()];
  }

  /**
   * A.8 PeerCompletedAddressValidation: always for a server; for a client once a Handshake ACK
   * arrived or the handshake is confirmed. The connection may also set it (e.g. from HANDSHAKE_DONE).
   */
  get peerCompletedAddressValidation(): boolean {
    return this.isServer || this.addressValidated || this.handshakeAckReceived || this.handshakeConfirmed;
  }
  set peerCompletedAddressValidation(v: boolean) {
    this.addressValidated = v;
  }

  /** Bytes the congestion window still allows (may be negative after probes, §7.5). */
  get sendWindow(): number {
    return this.cc.cwnd - this.bytesInFlight;
  }

  /**
   * The oldest `max` ack-eliciting packets still in flight in `space` whose content no probe has
   * queued again yet, oldest first, now marked `resent`: what a PTO probe may carry when there is
   * no new data (RFC 9002 §6.2.4). They stay in flight.
   */
  takeUnackedForProbe(space: SpaceId, max: number): SentPacket<T>[] {
    const h = this.spaces[space].history;
    const out: SentPacket<T>[] = [];
    for (let i = h.first(); i < h.length && out.length < max; i = h.live(i + 1)) {
      const p = h.at(i);
      if (p.ackEliciting && p.resent !== true) {
        p.resent = true;
        out.push(p);
      }
    }
    return out;
  }

  largestAcked(space: SpaceId): number | undefined {
    return this.spaces[space].largestAcked;
  }

  largestSent(space: SpaceId): number | undefined {
    return this.spaces[space].largestSent;
  }

  /** Unacknowledged ack-eliciting packets in flight in the space. */
  ackElicitingInFlight(space: SpaceId): number {
    return this.spaces[space].ackEliciting;
  }

  /** Packets of the space still tracked (unacknowledged, not lost). */
  outstanding(space: SpaceId): number {
    return this.spaces[space].history.count;
  }

  /** §6.2.1 PTO period for the space with the current backoff (RFC 9000 §10.2 uses it for the closing period). */
  ptoPeriod(space: SpaceId = 2): Duration {
    return this.rtt.pto(this.maxAckDelay, space === 2) * 2 ** this.ptoCount;
  }

  /** A.5 OnPacketSent. Packet numbers must increase within the space. */
  onPacketSent(now: Instant, space: SpaceId, p: SentPacket<T>): void {
    const sp = this.spaces[space];
    if (!(p.pn > sp.accounted)) throw new RangeError(`packet number ${p.pn} in space ${space} is not above ${sp.accounted} (sent or skipped)`);
    // Numbers the connection jumped over were never sent: acknowledging them is a violation too.
    if (p.pn > sp.accounted + 1) this.addSkipped(sp, sp.accounted + 1, p.pn - 1);
    sp.accounted = p.pn;
    sp.largestSent = p.pn;
    sp.history.push(p);
    if (p.ackEliciting) {
      sp.ackEliciting++;
      sp.timeOfLastAckEliciting = p.timeSent;
    }
    if (p.inFlight) {
      this.rate.onPacketSent(p, this.bytesInFlight);
      this.bytesInFlight += p.size;
      this.cc.onPacketSent(now, p.size, this.bytesInFlight);
    }
    if (p.inFlight || p.ackEliciting) this.armedAt = now;
  }

  /** Skipped packet-number ranges remembered in `space` (at most MAX_SKIPPED_RANGES). */
  skippedRanges(space: SpaceId): number {
    return this.spaces[space].skipped.length >> 1;
  }

  /**
   * Skips a packet number (an optimistic-ACK defence, RFC 9000 §21.4): it is never sent, and an
   * ACK for it is a PROTOCOL_VIOLATION. Numbers between the last one sent and `pn` are skipped too.
   */
  skipPacketNumber(space: SpaceId, pn: number): void {
    const sp = this.spaces[space];
    if (!(pn > sp.accounted)) throw new RangeError(`packet number ${pn} in space ${space} is not above ${sp.accounted}`);
    this.addSkipped(sp, sp.accounted + 1, pn);
    sp.accounted = pn;
  }

  /**
   * A.7 OnAckReceived. `ranges` descend by largest and do not overlap (wire/frame.ts AckBody);
   * `ackDelay` is decoded to µs (ignored for Initial, §5.3). Throws
   * TransportError(PROTOCOL_VIOLATION) for a packet number never sent in this space (RFC 9000
   * §13.1), checked before any state changes.
   */
  onAckReceived(
    now: Instant,
    space: SpaceId,
    ranges: ReadonlyArray<{ smallest: number; largest: number }>,
    ackDelay: Duration,
    ecn?: { ect0: number; ect1: number; ce: number },
    frameType: number = ecn === undefined ? FRAME_ACK : FRAME_ACK_ECN,
  ): AckResult<T> {
    const sp = this.spaces[space];
    // One result object and its arrays serve every call (DESIGN §4 rule 2): valid until the next
    // onAckReceived/onTimeout. The arrays are refilled by index and cut to length, never emptied
    // with `length = 0` first (which would drop their storage).
    const result = this.ackResult;
    result.rttSampled = false;
    result.ecnCe = false;
    result.lost = this.noLost;
    const acked = result.acked;
    if (ranges.length === 0) {
      acked.length = 0;
      return result;
    }
    this.checkRanges(sp, space, ranges, frameType);
    const largest = ranges[0]!.largest;
    if (sp.largestAcked === undefined || largest > sp.largestAcked) sp.largestAcked = largest;
    if (space === 1) this.handshakeAckReceived = true;

    // DetectAndRemoveAckedPackets: ranges from the lowest up, so the walk is monotone.
    const h = sp.history;
    let nAcked = 0;
    let ackEliciting = false;
    let i = h.first();
    for (let r = ranges.length - 1; r >= 0; r--) {
      const range = ranges[r]!;
      i = h.live(h.lowerBound(range.smallest, i));
      while (i < h.length && h.pnAt(i) <= range.largest) {
        const p = h.removeAcked(i);
        if (p.ackEliciting) {
          ackEliciting = true;
          sp.ackEliciting--;
        }
        if (nAcked < acked.length) acked[nAcked] = p;
        else acked.push(p);
        nAcked++;
        i = h.live(i + 1);
      }
    }
    if (acked.length !== nAcked) acked.length = nAcked;
    if (nAcked === 0) return result;

    // §5.1: an RTT sample when the largest acknowledged is newly acked and something ack-eliciting was.
    const newest = acked[acked.length - 1]!;
    if (newest.pn === largest && ackEliciting) {
      this.rtt.update(now, now - newest.timeSent, space === 0 ? 0 : ackDelay, this.maxAckDelay, this.handshakeConfirmed);
      result.rttSampled = true;
    }

    // B.7 ProcessECN: an increase of the CE counter is a congestion event (§7.1) — for a
    // classic controller; a scalable one (ECT(1), L4S) reads the CE count in onAckEvent.
    let ceDelta = 0;
    if (ecn !== undefined && ecn.ce > sp.ecnCe) {
      ceDelta = ecn.ce - sp.ecnCe;
      sp.ecnCe = ecn.ce;
      result.ecnCe = true;
      if (this.cc.ecnCodepoint !== 'ect1') this.cc.onCongestionEvent(now, newest.timeSent, this.rtt);
    }

    this.lostBytesThisAck = 0;
    const lost = this.detectLost(sp, now);
    if (lost !== undefined) {
      result.lost = lost;
      this.onPacketsLost(now, sp, lost);
    }

    // B.5 OnPacketsAcked, in packet-number order.
    const cc = this.cc;
    const rate = this.rate;
    rate.beginAck();
    let ackedBytes = 0;
    let ectAcked = 0;
    for (let k = 0; k < acked.length; k++) {
      const p = acked[k]!;
      if (!p.inFlight) continue;
      this.bytesInFlight -= p.size;
      ackedBytes += p.size;
      if (p.ect === true) ectAcked++;
      rate.onPacketAcked(now, p);
      cc.onPacketAcked(now, p.size, p.timeSent, this.rtt, this.appLimitedNow);
    }
    const sample = rate.endAck(now);
    if (cc.onAckEvent !== undefined) {
      const e = this.ackEvent;
      e.ackedBytes = ackedBytes;
      e.lostBytes = this.lostBytesThisAck;
      e.bytesInFlight = this.bytesInFlight;
      e.sample = sample;
      e.ceDelta = ceDelta;
      e.ectAcked = ectAcked;
      e.appLimited = this.appLimitedNow;
      cc.onAckEvent(now, e, this.rtt);
    }

    // A.7: reset pto_count unless the client is unsure the server validated its address.
    if (this.peerCompletedAddressValidation) this.ptoCount = 0;
    this.armedAt = now;
    return result;
  }

  /** A.8 SetLossDetectionTimer: the time-threshold loss time or the PTO, whole microseconds; undefined when unarmed. */
  timeout(): Instant | undefined {
    const lossSpace = this.earliestLossSpace();
    if (lossSpace !== undefined) return Math.ceil(this.spaces[lossSpace].lossTime!);
    // §6.2.2.1: "the server's PTO timer MUST NOT be armed" while it cannot send.
    if (this.amplificationLimited) return undefined;
    const t = this.ptoTime();
    return t === undefined ? undefined : Math.ceil(t);
  }

  /** A.9 OnLossDetectionTimeout. Does nothing before `timeout()`. */
  onTimeout(now: Instant): TimeoutResult<T> {
    const deadline = this.timeout();
    if (deadline === undefined || now < deadline) return { lost: [], lostSpace: 0, probe: undefined };
    this.armedAt = now;
    const lossSpace = this.earliestLossSpace();
    if (lossSpace !== undefined) {
      // §6.1.2: time-threshold loss detection.
      const sp = this.spaces[lossSpace];
      const lost = this.detectLost(sp, now) ?? this.noLost;
      if (lost.length > 0) this.onPacketsLost(now, sp, lost);
      return { lost, lostSpace: lossSpace, probe: undefined };
    }
    // §6.2.4 (or the client's anti-deadlock packet, §6.2.2.1: one ack-eliciting packet).
    // `timeout()` above ran ptoTime(), which chose the space.
    const probe = { space: this.ptoSpace, count: this.ptoAntiDeadlock ? 1 : PTO_PROBES };
    this.ptoCount++;
    this.lastPtoAt = now;
    return { lost: [], lostSpace: 0, probe };
  }

  /**
   * A.11 OnPacketNumberSpaceDiscarded and B.9 (§6.4): drops the space's packets (returned, so their
   * tokens can be dropped), removes them from bytes in flight and resets the PTO backoff.
   */
  discardSpace(space: SpaceId): SentPacket<T>[] {
    const sp = this.spaces[space];
    const removed = sp.history.clear();
    for (let k = 0; k < removed.length; k++) if (removed[k]!.inFlight) this.bytesInFlight -= removed[k]!.size;
    sp.ackEliciting = 0;
    sp.timeOfLastAckEliciting = undefined;
    sp.lossTime = undefined;
    this.ptoCount = 0;
    return removed;
  }

  // ---- internals ----

  /** A.8 GetLossTimeAndSpace: the space with the earliest loss_time, or undefined. */
  private earliestLossSpace(): SpaceId | undefined {
    let best: SpaceId | undefined;
    let t = Infinity;
    for (let s = 0 as SpaceId; s <= 2; s++) {
      const lt = this.spaces[s].lossTime;
      if (lt !== undefined && lt < t) {
        t = lt;
        best = s;
      }
    }
    return best;
  }

  /** A.8 GetPtoTimeAndSpace (sets ptoSpace / ptoAntiDeadlock), or undefined when no PTO applies. */
  private ptoTime(): Instant | undefined {
    const backoff = 2 ** this.ptoCount;
    let duration = this.rtt.pto(0, false) * backoff;
    let t = Infinity;
    let found = false;
    for (let s = 0 as SpaceId; s <= 2; s++) {
      const sp = this.spaces[s];
      if (sp.ackEliciting === 0) continue;
      let base = sp.timeOfLastAckEliciting!;
      if (s === 2) {
        // §6.2.1: no Application Data PTO until the handshake is confirmed.
        if (!this.handshakeConfirmed) break;
        duration += this.maxAckDelay * backoff;
        if (duration > this.ptoCeiling) {
          duration = Math.max(this.ptoCeiling, this.rtt.pto(this.maxAckDelay, true));
          // A capped period counts from the last expiry too: when the probe could not be sent
          // (the 3× limit of an unvalidated address), the last ack-eliciting packet is older
          // than the expiry and the capped deadline would already have passed.
          if (this.lastPtoAt > base) base = this.lastPtoAt;
        }
      }
      const ts = base + duration;
      if (ts < t) {
        t = ts;
        this.ptoSpace = s;
        found = true;
      }
    }
    if (found) {
      this.ptoAntiDeadlock = false;
      return t;
    }
    // §6.2.2.1: a client not yet sure the server validated its address keeps a PTO armed even
    // with nothing (PTO-eligible) in flight. Extends A.8 to the case of only 0-RTT/1-RTT
    // packets in flight before confirmation, which would otherwise leave no timer at all.
    if (this.peerCompletedAddressValidation || this.armedAt === undefined) return undefined;
    this.ptoAntiDeadlock = true;
    this.ptoSpace = this.hasHandshakeKeys ? 1 : 0;
    return this.armedAt + duration;
  }

  /** A.10 DetectAndRemoveLostPackets; undefined when nothing was lost. Records history indices in lostIdx. */
  private detectLost(sp: Space<T>, now: Instant): SentPacket<T>[] | undefined {
    sp.lossTime = undefined;
    const la = sp.largestAcked;
    if (la === undefined) return undefined;
    const rtt = this.rtt;
    // §6.1.2: max(kTimeThreshold · max(smoothed_rtt, latest_rtt), kGranularity).
    let lossDelay = TIME_THRESHOLD * (rtt.latest > rtt.smoothed ? rtt.latest : rtt.smoothed);
    if (lossDelay < GRANULARITY) lossDelay = GRANULARITY;
    const lostSendTime = now - lossDelay;
    const h = sp.history;
    const lost = this.lostOut;
    const idx = this.lostIdx;
    let n = 0;
    for (let i = h.first(); i < h.length && h.pnAt(i) <= la; i = h.live(i + 1)) {
      const p = h.at(i);
      if (p.timeSent <= lostSendTime || (la >= p.pn + PACKET_THRESHOLD && this.sentAfter(sp, p.pn, la))) {
        h.removeLost(i);
        if (p.ackEliciting) sp.ackEliciting--;
        if (n < lost.length) {
          lost[n] = p;
          idx[n] = i;
        } else {
          lost.push(p);
          idx.push(i);
        }
        n++;
      } else {
        // Later packets have higher numbers and later send times: none of them is lost yet,
        // and this one sets the earliest loss time.
        sp.lossTime = p.timeSent + lossDelay;
        break;
      }
    }
    if (n === 0) return undefined;
    // Cut to length (n > 0, so the arrays keep their storage); valid until the next call.
    lost.length = n;
    idx.length = n;
    return lost;
  }

  /** B.8 OnPacketsLost: bytes in flight, one congestion event, persistent congestion. */
  private onPacketsLost(now: Instant, sp: Space<T>, lost: SentPacket<T>[]): void {
    let lastLoss = -Infinity;
    let inFlight = false;
    for (let k = 0; k < lost.length; k++) {
      const p = lost[k]!;
      if (!p.inFlight) continue;
      this.bytesInFlight -= p.size;
      // RFC 9000 §14.4: a lost PMTU probe is no congestion signal.
      if (p.mtuProbe === true) continue;
      this.rate.onPacketLost(p.size);
      this.lostBytesThisAck += p.size;
      this.cc.onPacketLost?.(now, p.size, p.timeSent);
      inFlight = true;
      if (p.timeSent > lastLoss) lastLoss = p.timeSent;
    }
    if (inFlight) this.cc.onCongestionEvent(now, lastLoss, this.rtt);
    // §7.6.2: only packets sent after the first RTT sample.
    if (this.rtt.hasSample && this.inPersistentCongestion(sp, lost)) {
      this.cc.onPersistentCongestion(now);
      this.rtt.onPersistentCongestion();
    }
  }

  /**
   * §7.6.2: two ack-eliciting packets declared lost, sent after the first RTT sample, more than
   * the persistent congestion duration apart, with no packet sent between them acknowledged.
   * Uses the acknowledged space only, which §7.6.2 permits ("MAY use state for just the packet
   * number space that was acknowledged").
   */
  private inPersistentCongestion(sp: Space<T>, lost: SentPacket<T>[]): boolean {
    const first = this.rtt.firstSampleTime!;
    // §7.6.1: (smoothed_rtt + max(4·rttvar, kGranularity) + max_ack_delay) · 3.
    const duration = this.rtt.pto(this.maxAckDelay, true) * PERSISTENT_CONGESTION_THRESHOLD;
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < lost.length; k++) {
      const p = lost[k]!;
      if (!p.ackEliciting || p.mtuProbe === true || p.timeSent <= first) continue;
      if (p.timeSent < min) min = p.timeSent;
      if (p.timeSent > max) max = p.timeSent;
    }
    if (!(max - min > duration)) return false;
    // Rare path: split the eligible packets into runs with no acknowledged packet between.
    const idx = this.lostIdx;
    let runStart = -Infinity;
    let prev = -1;
    for (let k = 0; k < lost.length; k++) {
      const p = lost[k]!;
      if (!p.ackEliciting || p.mtuProbe === true || p.timeSent <= first) continue;
      if (prev < 0 || sp.history.ackedBetween(prev, idx[k]!)) runStart = p.timeSent;
      else if (p.timeSent - runStart > duration) return true;
      prev = idx[k]!;
    }
    return false;
  }

  /** RFC 9000 §13.1: every acknowledged number must have been sent in this space. */
  private checkRanges(sp: Space<T>, space: SpaceId, ranges: ReadonlyArray<{ smallest: number; largest: number }>, frameType: number): void {
    let below = Infinity;
    for (let r = 0; r < ranges.length; r++) {
      const { smallest, largest } = ranges[r]!;
      if (!(smallest >= 0 && smallest <= largest && largest < below)) {
        throw new TransportError(ErrorCode.FRAME_ENCODING_ERROR, frameType, 'ACK ranges must be descending and disjoint');
      }
      below = smallest;
    }
    const largest = ranges[0]!.largest;
    if (sp.largestSent === undefined || largest > sp.largestSent) {
      throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameType, `ACK of unsent packet ${largest} in space ${space}`);
    }
    // Both lists are sorted: walk the skipped ranges down while walking the ACK ranges down.
    const sk = sp.skipped;
    let j = sk.length - 2;
    for (let r = 0; r < ranges.length && j >= 0; r++) {
      const { smallest, largest } = ranges[r]!;
      while (j >= 0 && sk[j]! > largest) j -= 2; // skipped range wholly above this (and every lower) ACK range
      if (j >= 0 && sk[j + 1]! >= smallest) {
        const pn = Math.max(sk[j]!, smallest);
        throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, frameType, `ACK of skipped packet ${pn} in space ${space}`);
      }
    }
  }

  /**
   * §6.1.1 kPacketThreshold counts packets sent after `pn`: whether at least PACKET_THRESHOLD
   * numbers in (pn, la] (la acknowledged, hence sent) were sent, not skipped. Walks the skipped
   * ranges down from `la`, which meets only the few skipped near it.
   */
  private sentAfter(sp: Space<T>, pn: number, la: number): boolean {
    const sk = sp.skipped;
    let need = PACKET_THRESHOLD;
    let top = la; // numbers in (pn, top] not yet looked at
    for (let j = sk.length - 2; j >= 0 && top > pn; j -= 2) {
      const s = sk[j]!;
      const e = sk[j + 1]!;
      if (s > top) continue;
      const hi = e > pn ? e : pn;
      const sentAbove = top > hi ? top - hi : 0;
      if (sentAbove >= need) return true;
      need -= sentAbove;
      top = s - 1;
    }
    return top - pn >= need;
  }

  private addSkipped(sp: Space<T>, start: number, end: number): void {
    const sk = sp.skipped;
    const n = sk.length;
    if (n > 0 && sk[n - 1] === start - 1) {
      sk[n - 1] = end;
      return;
    }
    if (n >= 2 * MAX_SKIPPED_RANGES) sk.splice(0, 2);
    sk.push(start, end);
  }
}
