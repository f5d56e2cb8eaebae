/**
 * ECN validation for one path (RFC 9000 §13.4.2 and Appendix A.4): whether our packets are sent
 * ECN-capable — ECT(0), or ECT(1) for a scalable (L4S) congestion controller, RFC 9331 — and
 * whether the peer's ECN counts show that the marks survive the path.
 *
 * States (qlog ecn_state_updated): `testing` — the first packets go out marked; `unknown` — the
 * testing period is over and nothing more is marked until an ACK validates the counts;
 * `capable` — validated, every packet is marked; `failed` — marking stops for good on this path.
 * Validation fails (§13.4.2.1) when an ACK newly acknowledging ECT packets carries no ECN counts,
 * when the counts exceed what was sent with that codepoint (or count the codepoint we do not
 * send), when our codepoint's and the CE counts together grew less than the ECT packets
 * acknowledged (marks bleached or re-marked), or (Appendix A.4) when every packet marked during
 * testing is declared lost.
 *
 * The CE reaction itself (RFC 9002 §7.1, B.7) lives in `LossRecovery.onAckReceived`.
 */
import type { Instant } from '../util/time.js';
import type { EcnCounts } from '../wire/frame.js';
import type { SpaceId, SentPacket } from './loss.js';

export type EcnState = 'testing' | 'unknown' | 'capable' | 'failed';

/** RFC 9000 Appendix A.4: a testing period of, for example, ten packets. */
export const ECN_TESTING_PACKETS = 10;
/** RFC 9000 Appendix A.4: or a period of three PTOs. */
export const ECN_TESTING_PTOS = 3;

export class EcnValidator {
  /** Undefined when ECN is off (`TransportSettings.ecn` false): nothing is ever marked. */
  state: EcnState | undefined;
  /**
   * The codepoint our packets carry: ECT(0), or ECT(1) when the congestion controller is a
   * scalable one (its `ecnCodepoint`; set by the connection before marking).
   */
  codepoint: 'ect0' | 'ect1' = 'ect0';
  /** Why validation failed, for logs and tests. */
  failReason: string | undefined;
  /** Packets sent marked ECT(0), per packet-number space. */
  private readonly sentEct0 = [0, 0, 0];
  /** Packets sent ECT(0) and acknowledged, per space. */
  private readonly ackedEct0 = [0, 0, 0];
  /** Largest acknowledged packet number whose ACK was validated, per space (§13.4.2.1 reordering). */
  private readonly largestAcked = [-1, -1, -1];
  /** Packets sent ECT(0) in `space` (the peer's ECT(0) + CE counts can be at most this). */
  sent(space: SpaceId): number {
    return this.sentEct0[space]!;
  }
  private testingSent = 0;
  private testingPtos = 0;
  private testingLost = 0;

  constructor(
    enabled: boolean,
    /** Called on every state change (the connection logs qlog ecn_state_updated). */
    private readonly onChange?: (now: Instant, old: EcnState | undefined, state: EcnState) => void,
  ) {
    this.state = enabled ? 'testing' : undefined;
  }

  /** Whether the next datagram goes out ECT(0). */
  get marking(): boolean {
    return this.state === 'testing' || this.state === 'capable';
  }

  /** A packet was sent (`p.ect` tells whether it was marked). */
  onPacketSent(now: Instant, space: SpaceId, p: SentPacket<unknown>): void {
    if (p.ect !== true) return;
    this.sentEct0[space]!++;
    if (this.state === 'testing' && ++this.testingSent >= ECN_TESTING_PACKETS) this.set(now, 'unknown');
  }

  /** A probe timeout fired: Appendix A.4 also ends the testing period after three PTOs. */
  onPto(now: Instant): void {
    if (this.state === 'testing' && ++this.testingPtos >= ECN_TESTING_PTOS) this.set(now, 'unknown');
  }

  /** Packets declared lost. */
  onPacketsLost(now: Instant, lost: readonly SentPacket<unknown>[]): void {
    if (this.state !== 'testing' && this.state !== 'unknown') return;
    for (let i = 0; i < lost.length; i++) if (lost[i]!.ect === true) this.testingLost++;
    // Appendix A.4: every packet marked during testing was lost.
    if (this.state === 'unknown' && this.testingLost >= this.testingSent) this.fail(now, 'all ECT packets of the testing period lost');
  }

  /**
   * An ACK frame of `space` with largest acknowledged `largest`, which newly acknowledged
   * `acked` (§13.4.2.1).
   */
  onAckReceived(now: Instant, space: SpaceId, largest: number, acked: readonly SentPacket<unknown>[], counts: EcnCounts | undefined): void {
    const s = this.state;
    if (s === undefined || s === 'failed') return;
    let newly = 0;
    for (let i = 0; i < acked.length; i++) if (acked[i]!.ect === true) newly++;
    this.ackedEct0[space]! += newly;
    // §13.4.2.1: counts of an ACK that does not raise the largest acknowledged may be stale.
    if (largest <= this.largestAcked[space]!) return;
    this.largestAcked[space] = largest;
    if (counts === undefined) {
      if (newly > 0) this.fail(now, 'ACK without ECN counts');
      return;
    }
    // §13.4.2.1: counts may not exceed the packets sent with that codepoint (and we send only one).
    const ours = this.codepoint === 'ect1' ? counts.ect1 : counts.ect0;
    const other = this.codepoint === 'ect1' ? counts.ect0 : counts.ect1;
    const name = this.codepoint === 'ect1' ? 'ECT(1)' : 'ECT(0)';
    if (other > 0 || ours + counts.ce > this.sentEct0[space]!) return this.fail(now, `ECN counts exceed the packets sent ${name}`);
    // §13.4.2.1: every acknowledged ECT packet must be counted with our codepoint or as CE.
    if (ours + counts.ce < this.ackedEct0[space]!) return this.fail(now, `${name} marks not reflected in the ECN counts`);
    if (newly > 0 && s !== 'capable') this.set(now, 'capable');
  }

  /** §13.4.2: a new path is validated again from the start. */
  reset(now: Instant): void {
    if (this.state === undefined) return;
    this.sentEct0.fill(0);
    this.ackedEct0.fill(0);
    this.largestAcked.fill(-1);
    this.testingSent = 0;
    this.testingPtos = 0;
    this.testingLost = 0;
    this.failReason = undefined;
    this.set(now, 'testing');
  }

  private fail(now: Instant, reason: string): void {
    this.failReason = reason;
    this.set(now, 'failed');
  }

  private set(now: Instant, s: EcnState): void {
    const old = this.state;
    if (old === s) return;
    this.state = s;
    this.onChange?.(now, old, s);
  }
}
