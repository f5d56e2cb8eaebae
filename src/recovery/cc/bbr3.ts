/**
 * BBRv3 as specified by draft-ietf-ccwg-bbr ("BBR Congestion Control", the revision specifying
 * BBRv3; section numbers below are that draft's), over the tquic controller interface. Volumes
 * are bytes, rates bytes per second, times µs (the draft's seconds are converted where they meet
 * a rate: bdp = bw · min_rtt · 1e-6). Arithmetic stays in floats; `cwnd` reads the floor.
 *
 * Inputs (§5.2): everything the draft's UpdateOnACK needs comes once per ACK through
 * `onAckEvent` with the delivery-rate sample (§4.1, built by recovery/rate-sample.ts): RS.rtt,
 * RS.delivery_rate, RS.delivered, RS.prior_delivered (P.delivered, for the round counting of
 * §5.5.1), RS.tx_in_flight and RS.lost (the loss rate of IsInflightTooHigh, §5.5.10.2),
 * RS.is_app_limited, C.delivered, C.inflight and RS.newly_acked. `onPacketSent` gives C.inflight
 * and the restart from idle (§5.4); `onPacketLost` is the per-loss step (§5.2.4, NoteLoss);
 * `onCongestionEvent` (RFC 9002's loss/ECN-CE event) only marks fast recovery (§5.6.4.4:
 * SaveCwnd/SaveStateUponLoss, no multiplicative decrease); `onPersistentCongestion` is the RTO
 * response of §5.6.4.4 (cwnd = inflight + 1 SMSS, the last known good cwnd restored when a
 * packet sent after it is acknowledged).
 *
 * Implemented:
 * - the state machine (§5.1, §5.3): Startup (pacing gain 2.77, cwnd gain 2; exit on a bandwidth
 *   plateau, 3 rounds without 25 % growth, §5.3.1.2, or on high loss, §5.3.1.3), Drain (§5.3.2),
 *   ProbeBW DOWN/CRUISE/REFILL/UP with the randomized probe wait, the Reno-coexistence round
 *   bound and precautionary probing (§5.3.3), ProbeRTT every 5 s (§5.3.4), restart from idle
 *   (§5.4);
 * - the model (§5.5): packet-timed rounds (§5.5.1); BBR.max_bw as a max over the current and the
 *   previous ProbeBW cycle, two slots advanced by cycle_count (§5.5.3–§5.5.6); BBR.min_rtt with
 *   the ProbeRTT-integrated min filter, 10 s window (§5.5.7, §5.3.4.3); BBR.extra_acked with a
 *   Kathleen Nichols windowed max filter over 10 rounds (1 in Startup) (§5.5.9);
 *   BBR.offload_budget = the send quantum (QUIC, §5.5.8.2); inflight_longterm ("inflight_hi")
 *   from loss above BBR.LossThresh = 2 % while probing and its growth in ProbeBW_UP (§5.5.10.2,
 *   §5.3.3.9); bw_shortterm/inflight_shortterm ("bw_lo"/"inflight_lo") from loss rounds while not
 *   probing (§5.5.10.3); the undo state and HandleSpuriousLossDetection (§5.5.11, as
 *   `onSpuriousLoss`, which the RFC 9002 signals do not call by themselves);
 * - the controls (§5.6): pacing rate = pacing_gain · bw · (1 − 1 %) (§5.6.2), raised only until
 *   the pipe is full; C.send_quantum (§5.6.3) is computed for the offload budget only (tquic
 *   paces per packet); cwnd = cwnd_gain · BDP + extra_acked with the quantization budget and
 *   BBR.MinPipeCwnd = 4 packets (§5.6.4.2, §5.6.4.3), grown by at most the bytes acknowledged
 *   (§5.6.4.6), bounded in ProbeRTT to max(0.5 · BDP, MinPipeCwnd) (§5.6.4.5) and by the
 *   long/short-term bounds of the table in §5.6.1 (§5.6.4.7).
 *
 * Adaptations, because the controller sees the RFC 9002 signals rather than per-packet state:
 * - HandleLostPacket (§5.5.10.2) needs the lost packet's P.tx_in_flight and P.lost, which
 *   `onPacketLost` does not carry; the inflight-too-high check therefore runs per ACK on the rate
 *   sample (RS.lost > BBR.LossThresh · RS.tx_in_flight, IsInflightTooHigh as written), inside
 *   AdaptLongTermModel, as Linux's BBRv3 does; InflightAtLoss's refinement is not applied.
 * - CheckStartupHighLoss (§5.3.1.3): "at least 6 discontiguous lost ranges" is counted as loss
 *   detection events (distinct instants at which packets were declared lost) in the loss round,
 *   and "in fast recovery for a full round" as the end of a loss round, when the check runs.
 * - MarkConnectionAppLimited in ProbeRTT (§5.3.4.3) cannot mark the connection's sampler; the
 *   controller marks samples of packets sent while its own mark is set as application-limited.
 * - C.is_cwnd_limited (§2.2) is tracked from `onPacketSent`: the window had no room for another
 *   full packet at some point during the current or the previous round.
 * - ECN (§3.7 specifies no response, only "MUST treat any CE marks as congestion"): a CE increase
 *   counts as a congestion signal of the round (NoteLoss), so that the short-term model adapts
 *   while not probing; it does not set inflight_longterm.
 * - The randomness of PickProbeWait (§5.3.3.8.3) comes from a seeded Prng (option `seed`).
 *
 * Smaller choices where the pseudocode leaves room (each as Linux's BBRv3 does):
 * - IsTimeToCruise and IsTimeToGoDown compare the flight the ACK found (before its bytes left),
 *   not the flight after it; Drain's exit and IsTimeToCruise use Inflight(BBR.max_bw, 1.0).
 * - A rate sample whose interval is below C.min_rtt has no delivery rate (§4.1.2.3).
 * - AdvanceMaxBwFilter skips a cycle that produced no sample; CheckProbeRTT saves the cwnd before
 *   setting the ProbeRTT state, so that SaveCwnd records the unmodulated window (§5.6.4.4).
 *
 * Not allocated per ACK: all state lives in fields; the filters are fixed-size.
 */
import { Prng } from '../../util/prng.js';
import type { Duration, Instant } from '../../util/time.js';
import type { RttEstimator } from '../rtt.js';
import { BBR_STARTUP_PACING_GAIN, BBR_DRAIN_PACING_GAIN, BBR_DEFAULT_CWND_GAIN, BBR_PACING_MARGIN_PERCENT, BBR_LOSS_THRESH, BBR_BETA, BBR_HEADROOM, BBR_MIN_PIPE_CWND_PACKETS, BBR_FULL_BW_THRESH, BBR_FULL_BW_COUNT, BBR_STARTUP_FULL_LOSS_CNT, BBR_MAX_BW_FILTER_LEN, BBR_EXTRA_ACKED_FILTER_LEN, BBR_MIN_RTT_FILTER_LEN, BBR_PROBE_RTT_CWND_GAIN, BBR_PROBE_RTT_DURATION, BBR_PROBE_RTT_INTERVAL, BBR_PROBE_BW_DOWN_PACING_GAIN, BBR_PROBE_BW_CRUISE_PACING_GAIN, BBR_PROBE_BW_REFILL_PACING_GAIN, BBR_PROBE_BW_UP_PACING_GAIN, BBR_PROBE_BW_UP_CWND_GAIN, BBR_MAX_RENO_ROUNDS, type Bbr3AckPhase, type Bbr3State } from './bbr3-params.js';
import { WindowedMaxFilter } from '../windowed-filter.js';
import { checkOptions, initialWindow, type AckEvent, type CongestionController, type CongestionControllerOptions } from './types.js';

export * from './bbr3-params.js';
export { WindowedMaxFilter } from '../windowed-filter.js';

/** `seed` (CongestionControllerOptions) drives PickProbeWait's random probe timing (§5.3.3.8.3). */
export type Bbr3Options = CongestionControllerOptions;

export class Bbr3 implements CongestionController {
  readonly name: string = 'bbr3';
  /** C.SMSS (§2.2): QUIC's max_datagram_size. */
  maxDatagramSize: number;
  /** BBR.MinPipeCwnd (§2.8), bytes: 4 packets (`minimumWindowPackets` overrides the 4). */
  minimumWindow: number;
  /** C.InitialCwnd (§2.2). */
  readonly initialCwnd: number;
  private readonly minimumPackets: number;
  private readonly prng: Prng;

  // ---- Output control parameters (§2.4) ----
  /** C.cwnd, bytes (float). */
  private w: number;
  /** C.pacing_rate, bytes/s; 0 until InitPacingRate (§5.6.2). */
  pacingRateBps = 0;
  /** C.send_quantum (§5.6.3), bytes: only the offload budget uses it. */
  sendQuantum: number;
  /** No slow start threshold in BBR: Infinity in Startup, then the BDP at Startup's exit (as Linux). */
  ssthresh = Infinity;

  // ---- Connection state (§2.2) ----
  /** C.inflight, bytes (the loss recovery's bytes in flight, as last reported). */
  inflight = 0;
  /** C.inflight before the ACK being processed (acked and newly lost bytes still in), for the ProbeBW phase checks. */
  private priorInflight = 0;
  /** C.delivered, bytes (from the rate sample). */
  delivered = 0;
  /** The sender was application-limited at the last ACK (C.app_limited, RFC 9002 §7.8). */
  appLimited = false;
  /** RFC 9002 §7.3.2 recovery period, for SaveCwnd/RestoreCwnd (§5.6.4.4). */
  inRecovery = false;
  recoveryStartTime: Instant = -Infinity;
  private cwndLimitedInRound = false;
  private cwndLimitedPrevRound = false;

  // ---- General algorithm state (§2.7) ----
  state: Bbr3State = 'Startup';
  pacingGain = BBR_STARTUP_PACING_GAIN;
  cwndGain = BBR_DEFAULT_CWND_GAIN;
  roundCount = 0;
  roundStart = false;
  nextRoundDelivered = 0;
  idleRestart = false;
  drainStartRound = 0;

  // ---- Data rate model (§2.9.1, §2.11) ----
  /** BBR.max_bw: the max of the current and the previous ProbeBW cycle's slots. */
  maxBw = 0;
  /** BBR.cycle_count (§5.5.6). */
  cycleCount = 0;
  private bwHiPrev = 0;
  private bwHiCur = 0;
  bwShortterm = Infinity;
  /** BBR.bw = min(max_bw, bw_shortterm) (§5.5.10.3 BoundBWForModel). */
  bw = 0;

  // ---- Data volume model (§2.9.2) ----
  /** BBR.min_rtt, µs (Infinity before a sample). */
  minRtt: Duration = Infinity;
  minRttStamp: Instant = 0;
  bdp = 0;
  extraAcked = 0;
  offloadBudget = 0;
  maxInflight = 0;
  inflightLongterm = Infinity;
  inflightShortterm = Infinity;

  // ---- Congestion signals (§2.10, §5.5.10.3) ----
  bwLatest = 0;
  inflightLatest = 0;
  lossRoundDelivered = 0;
  lossRoundStart = false;
  isLossInRound = false;
  /** Loss detection events in the current loss round (§5.3.1.3's "discontiguous lost ranges"). */
  lossEventsInRound = 0;
  private lastLossEvent: Instant = -Infinity;

  // ---- extra_acked (§2.12, §5.5.9) ----
  private extraAckedIntervalStart: Instant = 0;
  private extraAckedDelivered = 0;
  private readonly extraAckedFilter = new WindowedMaxFilter();

  // ---- Startup (§2.13) ----
  fullBwReached = false;
  fullBwNow = false;
  fullBw = 0;
  fullBwCount = 0;

  // ---- ProbeBW (§2.14) ----
  ackPhase: Bbr3AckPhase = 'ACKS_INIT';
  isBwProbeSample = false;
  bwProbeUpAcked = 0;
  probeUpAckedPerInc = Infinity;
  bwProbeUpRounds = 0;
  roundsSinceProbeUp = 0;
  /** BBR.bw_probe_wait, µs. */
  bwProbeWait: Duration = 0;
  cycleStamp: Instant = 0;
  prevProbeTooHigh = false;
  prevProbePrecautionary = false;

  // ---- Undo (§2.15) ----
  undoState: Bbr3State | undefined = undefined;
  undoBwShortterm = 0;
  undoInflightShortterm = 0;
  undoInflightLongterm = 0;
  priorCwnd = 0;

  // ---- ProbeRTT and min_rtt (§2.16) ----
  probeRttMinDelay: Duration = Infinity;
  probeRttMinStamp: Instant = 0;
  probeRttExpired = false;
  probeRttDoneStamp: Instant | undefined = undefined;
  probeRttRoundDone = false;

  // ---- The rate sample (RS, §2.3) of the ACK being processed, copied into fields ----
  private rsDeliveryRate = 0;
  private rsDelivered = 0;
  private rsPriorDelivered = 0;
  private rsTxInFlight = 0;
  private rsLost = 0;
  private rsAppLimited = false;
  private rsRtt = 0;
  private rsNewlyAcked = 0;

  /** The controller's own MarkConnectionAppLimited (ProbeRTT): samples of packets sent with P.delivered in [from, to) are app-limited. */
  private markUntil = 0;
  private markFrom = Infinity;
  private markTo = Infinity;

  private now: Instant = 0;
  private started = false;

  constructor(o: Bbr3Options) {
    checkOptions(o);
    this.maxDatagramSize = o.maxDatagramSize;
    this.minimumPackets = o.minimumWindowPackets ?? BBR_MIN_PIPE_CWND_PACKETS;
    this.minimumWindow = this.minimumPackets * o.maxDatagramSize;
    this.initialCwnd = initialWindow(o.maxDatagramSize, o.initialWindowPackets);
    this.w = this.initialCwnd;
    this.sendQuantum = 2 * o.maxDatagramSize;
    this.offloadBudget = this.sendQuantum;
    this.prng = new Prng(o.seed ?? 0xbb3);
    // §5.2.1 OnInit: the remaining steps are the field initialisers above (ResetCongestionSignals,
    // ResetShortTermModel, InitRoundCounting, ResetFullBW, EnterStartup); the time stamps are
    // taken at the first event (`begin`), InitPacingRate at the first RTT sample.
  }

  get cwnd(): number {
    return Math.floor(this.w);
  }

  /** Startup is BBR's slow start. */
  get inSlowStart(): boolean {
    return this.state === 'Startup';
  }

  /** C.is_cwnd_limited (§2.2): the window was full at some point in the last round. */
  get isCwndLimited(): boolean {
    return this.cwndLimitedInRound || this.cwndLimitedPrevRound;
  }

  setMaxDatagramSize(mds: number): void {
    this.maxDatagramSize = mds;
    this.minimumWindow = this.minimumPackets * mds;
    if (this.w < this.minimumWindow) this.w = this.minimumWindow;
  }

  /** §5.6.2 C.pacing_rate; before any ACK, InitPacingRate with C.srtt (1 ms without a sample). */
  pacingRate(rtt: RttEstimator): number | undefined {
    if (this.pacingRateBps > 0) return this.pacingRateBps;
    return this.nominalPacingRate(rtt);
  }

  // ======================================================================================
  // Events
  // ======================================================================================

  /** §5.2.2 OnTransmit: HandleRestartFromIdle (§5.4.1); C.is_cwnd_limited bookkeeping. */
  onPacketSent(now: Instant, bytes: number, bytesInFlight: number): void {
    this.begin(now);
    if (bytesInFlight - bytes <= 0 && this.appLimited) {
      // §5.4.1: C.inflight == 0 && C.app_limited.
      this.idleRestart = true;
      this.extraAckedIntervalStart = now;
      if (this.isInAProbeBwState()) this.setPacingRateWithGain(1);
      else if (this.state === 'ProbeRTT') this.checkProbeRttDone();
    }
    this.inflight = bytesInFlight;
    if (bytesInFlight + this.maxDatagramSize > this.w) this.cwndLimitedInRound = true;
  }

  /** Per packet: C.inflight, and the end of a recovery period (RFC 9002 §7.3.2) → RestoreCwnd (§5.6.4.4). */
  onPacketAcked(now: Instant, bytes: number, timeSent: Instant, _rtt: RttEstimator, _appLimited: boolean): void {
    this.begin(now);
    this.inflight = this.inflight > bytes ? this.inflight - bytes : 0;
    if (this.inRecovery && timeSent > this.recoveryStartTime) {
      this.inRecovery = false;
      this.restoreCwnd();
    }
  }

  /** §5.2.4 per-loss step: HandleLostPacket's NoteLoss (§5.5.10.2; the rate check runs per ACK, see the file comment). */
  onPacketLost(now: Instant, bytes: number, _timeSent: Instant): void {
    this.begin(now);
    this.inflight = this.inflight > bytes ? this.inflight - bytes : 0;
    this.noteLossEvent(now);
    this.noteLoss();
  }

  /**
   * RFC 9002's congestion event (loss or ECN-CE): BBR makes no multiplicative decrease; entering
   * fast recovery saves the cwnd and the model for a later undo (§5.6.4.4 OnEnterFastRecovery).
   */
  onCongestionEvent(now: Instant, timeSent: Instant, _rtt: RttEstimator): void {
    this.begin(now);
    if (timeSent <= this.recoveryStartTime) return;
    this.recoveryStartTime = now;
    if (!this.inRecovery) {
      this.saveCwnd();
      this.saveStateUponLoss();
    }
    this.inRecovery = true;
  }

  /**
   * Persistent congestion, QUIC's retransmission timeout: §5.6.4.4 OnEnterRTO — SaveCwnd,
   * SaveStateUponLoss, C.cwnd = C.inflight + 1 SMSS; the RTO recovery ends (RestoreCwnd) when a
   * packet sent after now is acknowledged.
   */
  onPersistentCongestion(now: Instant): void {
    this.begin(now);
    this.saveCwnd();
    this.saveStateUponLoss();
    const w = this.inflight + this.maxDatagramSize;
    if (w < this.w) this.w = w;
    this.recoveryStartTime = now;
    this.inRecovery = true;
  }

  /** §5.5.11.2 HandleSpuriousLossDetection, for a transport that detects a spurious loss recovery. */
  onSpuriousLoss(now: Instant): void {
    this.begin(now);
    this.restoreCwnd();
    this.isLossInRound = false;
    this.resetFullBw();
    this.bwShortterm = Math.max(this.bwShortterm, this.undoBwShortterm);
    this.inflightShortterm = Math.max(this.inflightShortterm, this.undoInflightShortterm);
    this.inflightLongterm = Math.max(this.inflightLongterm, this.undoInflightLongterm);
    // If the flow was probing bandwidth, return to that state.
    if (this.undoState === 'Startup' && this.state !== 'Startup') {
      this.fullBwReached = false;
      if (this.state !== 'ProbeRTT') this.enterStartup();
    } else if (this.undoState === 'ProbeBW_UP' && this.state !== 'ProbeBW_UP') {
      if (this.state !== 'ProbeRTT') this.startProbeBwRefill();
    }
    this.undoState = undefined;
    this.inRecovery = false;
    this.recoveryStartTime = -Infinity;
  }

  /** §5.2.3 UpdateOnACK, once per ACK frame after the per-packet calls. */
  onAckEvent(now: Instant, e: AckEvent, rtt: RttEstimator): void {
    this.begin(now);
    this.inflight = e.bytesInFlight;
    this.priorInflight = e.bytesInFlight + e.ackedBytes + e.lostBytes;
    this.appLimited = e.appLimited;
    if (e.lostBytes > 0) {
      // The same signal as onPacketLost (idempotent within a round), for losses it did not report.
      this.noteLossEvent(now);
      this.noteLoss();
    }
    // §3.7: CE marks are congestion; they feed the short-term model like a loss.
    if (e.ceDelta > 0) this.noteLoss();
    if (this.pacingRateBps === 0 && rtt.hasSample) this.pacingRateBps = this.nominalPacingRate(rtt); // §5.6.2 InitPacingRate
    const s = e.sample;
    if (s === undefined) return; // nothing in flight newly delivered: no rate sample, no model update

    // GenerateRateSample (§4.1.2.3) was done by the transport; take its fields.
    this.delivered = s.totalDelivered;
    if (this.markUntil !== 0 && this.delivered > this.markUntil) {
      this.markUntil = 0;
      this.markTo = this.delivered;
    }
    // §4.1.2.3: "if (RS.interval < C.min_rtt) return /* no reliable rate sample */".
    this.rsDeliveryRate = s.interval > 0 && !(rtt.hasSample && s.interval < rtt.min) ? s.deliveryRate : 0;
    this.rsDelivered = s.delivered;
    this.rsPriorDelivered = s.priorDelivered;
    this.rsTxInFlight = s.txInFlight;
    this.rsLost = s.lost;
    this.rsAppLimited = s.isAppLimited || (s.priorDelivered >= this.markFrom && s.priorDelivered < this.markTo);
    this.rsRtt = s.rtt;
    this.rsNewlyAcked = e.ackedBytes;

    // UpdateModelAndState (§5.2.3).
    this.updateLatestDeliverySignals();
    this.updateCongestionSignals();
    this.updateAckAggregation();
    this.checkFullBwReached();
    this.checkStartupDone();
    this.checkDrainDone();
    this.updateProbeBwCyclePhase();
    this.updateMinRtt();
    this.checkProbeRtt();
    this.advanceLatestDeliverySignals();
    this.boundBwForModel();
    // UpdateControlParameters (§5.2.3).
    this.setPacingRateWithGain(this.pacingGain);
    this.setSendQuantum();
    this.setCwnd();
  }

  // ======================================================================================
  // State machine (§5.3)
  // ======================================================================================

  /** §5.3.1.1 EnterStartup. */
  private enterStartup(): void {
    this.state = 'Startup';
    this.pacingGain = BBR_STARTUP_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  /** §5.3.1.1 CheckStartupDone. */
  private checkStartupDone(): void {
    this.checkStartupHighLoss();
    if (this.state === 'Startup' && this.fullBwReached) this.enterDrain();
  }

  /** §5.3.1.2 ResetFullBW. */
  private resetFullBw(): void {
    this.fullBw = 0;
    this.fullBwCount = 0;
    this.fullBwNow = false;
  }

  /** §5.3.1.2 CheckFullBWReached: three non-app-limited rounds without 25 % growth. */
  private checkFullBwReached(): void {
    if (this.fullBwNow || !this.roundStart || this.rsAppLimited) return;
    if (this.rsDeliveryRate >= this.fullBw * BBR_FULL_BW_THRESH) {
      this.resetFullBw();
      this.fullBw = this.rsDeliveryRate;
      return;
    }
    this.fullBwCount++;
    this.fullBwNow = this.fullBwCount >= BBR_FULL_BW_COUNT;
    if (this.fullBwNow) this.fullBwReached = true;
  }

  /**
   * §5.3.1.3 CheckStartupHighLoss: at the end of a loss round in Startup, ≥ 6 loss events in the
   * round and a loss rate above BBR.LossThresh → full_bw_reached, inflight_longterm =
   * max(BBR.bdp, BBR.inflight_latest) (and Drain follows in CheckStartupDone).
   */
  private checkStartupHighLoss(): void {
    if (!this.lossRoundStart) return;
    if (this.state === 'Startup' && !this.fullBwReached && this.lossEventsInRound >= BBR_STARTUP_FULL_LOSS_CNT && this.isInflightTooHigh()) {
      this.undoState = 'Startup';
      this.fullBwReached = true;
      this.inflightLongterm = Math.max(this.bdpMultiple(1), this.inflightLatest);
    }
    this.lossEventsInRound = 0;
  }

  /** §5.3.2 EnterDrain. */
  private enterDrain(): void {
    this.state = 'Drain';
    this.pacingGain = BBR_DRAIN_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
    this.drainStartRound = this.roundCount;
    this.ssthresh = this.inflightFor(this.maxBw, 1);
  }

  /** §5.3.2 CheckDrainDone (Inflight(1.0) at BBR.max_bw, as IsTimeToCruise and Linux). */
  private checkDrainDone(): void {
    if (this.state === 'Drain' && (this.inflight <= this.inflightFor(this.maxBw, 1) || this.roundCount > this.drainStartRound + 3)) this.enterProbeBw();
  }

  /** §5.3.3.9 EnterProbeBW. */
  private enterProbeBw(): void {
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
    this.startProbeBwDown();
  }

  /** §5.3.3.9 StartProbeBW_DOWN. */
  private startProbeBwDown(): void {
    this.resetCongestionSignals();
    this.probeUpAckedPerInc = Infinity; // not growing inflight_longterm
    this.pickProbeWait();
    this.cycleStamp = this.now;
    this.ackPhase = 'ACKS_PROBE_STOPPING';
    this.startRound();
    this.state = 'ProbeBW_DOWN';
    this.pacingGain = BBR_PROBE_BW_DOWN_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  /** §5.3.3.9 StartProbeBW_CRUISE. */
  private startProbeBwCruise(): void {
    this.state = 'ProbeBW_CRUISE';
    this.pacingGain = BBR_PROBE_BW_CRUISE_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  /** §5.3.3.9 StartProbeBW_REFILL. */
  private startProbeBwRefill(): void {
    this.resetShortTermModel();
    this.bwProbeUpRounds = 0;
    this.bwProbeUpAcked = 0;
    this.prevProbePrecautionary = false;
    this.ackPhase = 'ACKS_REFILLING';
    this.startRound();
    this.state = 'ProbeBW_REFILL';
    this.pacingGain = BBR_PROBE_BW_REFILL_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  /** §5.3.3.9 StartProbeBW_UP. */
  private startProbeBwUp(): void {
    this.ackPhase = 'ACKS_PROBE_STARTING';
    this.startRound();
    this.resetFullBw();
    this.fullBw = this.rsDeliveryRate;
    this.state = 'ProbeBW_UP';
    this.pacingGain = BBR_PROBE_BW_UP_PACING_GAIN;
    this.cwndGain = BBR_PROBE_BW_UP_CWND_GAIN;
    this.raiseInflightLongtermSlope();
  }

  /** §5.3.3.9 UpdateProbeBWCyclePhase, on each ACK that delivers data. */
  private updateProbeBwCyclePhase(): void {
    if (!this.fullBwReached) return; // only steady-state behaviour here
    if (this.adaptLongTermModel()) return; // a transition was decided
    switch (this.state) {
      case 'ProbeBW_DOWN':
        if (this.isTimeToProbeBw()) return;
        if (this.isTimeToCruise()) this.startProbeBwCruise();
        return;
      case 'ProbeBW_CRUISE':
        this.isTimeToProbeBw();
        return;
      case 'ProbeBW_REFILL':
        // After one round of REFILL, start UP.
        if (this.roundStart) {
          this.isBwProbeSample = true;
          this.startProbeBwUp();
        }
        return;
      case 'ProbeBW_UP':
        if (this.isTimeToGoDown()) {
          this.prevProbeTooHigh = false; // no high loss (yet)
          this.startProbeBwDown();
        }
        return;
      default:
        return; // only ProbeBW states here
    }
  }

  private isInAProbeBwState(): boolean {
    const s = this.state;
    return s === 'ProbeBW_DOWN' || s === 'ProbeBW_CRUISE' || s === 'ProbeBW_REFILL' || s === 'ProbeBW_UP';
  }

  /** §5.3.3.9 IsProbingBW. */
  private isProbingBw(): boolean {
    const s = this.state;
    return s === 'Startup' || s === 'ProbeBW_REFILL' || s === 'ProbeBW_UP';
  }

  /**
   * §5.3.3.9 IsTimeToCruise: headroom below inflight_longterm, and inflight ≤ the BDP at max_bw.
   * C.inflight here and in IsTimeToGoDown is the flight the ACK found (before it was taken
   * out), as Linux's BBRv3 uses rs->prior_in_flight: after the ACK, inflight is always at least
   * the acknowledged bytes below cwnd, so "C.inflight reaches inflight_longterm" could not hold.
   */
  private isTimeToCruise(): boolean {
    if (this.priorInflight > this.inflightWithHeadroom()) return false;
    if (this.priorInflight > this.inflightFor(this.maxBw, 1)) return false;
    return true;
  }

  /** §5.3.3.9 IsTimeToGoDown (UP → DOWN). */
  private isTimeToGoDown(): boolean {
    // §5.3.3.6 precautionary probing: deceleration.
    if (this.prevProbeTooHigh && this.priorInflight >= this.inflightLongterm) {
      this.prevProbePrecautionary = true;
      return true;
    }
    if (this.isCwndLimited && this.w >= this.inflightLongterm) {
      // bw is limited by inflight_longterm: the full-pipe estimate starts again.
      this.resetFullBw();
      this.fullBw = this.rsDeliveryRate;
    } else if (this.fullBwNow) {
      return true; // the path's bandwidth is fully used
    }
    return false;
  }

  /** §5.3.3.9 HasElapsedInPhase. */
  private hasElapsedInPhase(interval: Duration): boolean {
    return this.now > this.cycleStamp + interval;
  }

  /** §5.3.3.9 InflightWithHeadroom. */
  private inflightWithHeadroom(): number {
    if (this.inflightLongterm === Infinity) return Infinity;
    const headroom = Math.max(this.maxDatagramSize, BBR_HEADROOM * this.inflightLongterm);
    return Math.max(this.inflightLongterm - headroom, this.minimumWindow);
  }

  /** §5.3.3.9 RaiseInflightLongtermSlope. */
  private raiseInflightLongtermSlope(): void {
    const growthThisRound = 2 ** this.bwProbeUpRounds;
    this.bwProbeUpRounds = Math.min(this.bwProbeUpRounds + 1, 30);
    this.probeUpAckedPerInc = Math.max(this.w / growthThisRound, this.maxDatagramSize);
  }

  /** §5.3.3.9 ProbeInflightLongtermUpward: +1, 2, 4, … SMSS per round while cwnd-limited by it. */
  private probeInflightLongtermUpward(): void {
    if (!this.isCwndLimited || this.w < this.inflightLongterm) return; // not fully using it
    this.bwProbeUpAcked += this.rsNewlyAcked;
    if (this.bwProbeUpAcked >= this.probeUpAckedPerInc) {
      const delta = Math.floor(this.bwProbeUpAcked / this.probeUpAckedPerInc);
      this.bwProbeUpAcked -= delta * this.probeUpAckedPerInc;
      this.inflightLongterm += delta * this.maxDatagramSize;
    }
    if (this.roundStart) this.raiseInflightLongtermSlope();
  }

  /**
   * §5.3.3.9 AdaptLongTermModel: the ACK phases, the max_bw filter's cycle, precautionary
   * re-probing, and inflight_longterm — lowered on a too-high loss rate while the samples come
   * from a probe (HandleInflightTooHigh, §5.5.10.2, per ACK here), raised otherwise. Returns
   * true when it decided a state transition.
   */
  private adaptLongTermModel(): boolean {
    if (this.ackPhase === 'ACKS_PROBE_STARTING' && this.roundStart) {
      this.ackPhase = 'ACKS_PROBE_FEEDBACK'; // starting to get bw probing samples
    }
    if (this.ackPhase === 'ACKS_PROBE_STOPPING' && this.roundStart) {
      // End of samples from the bw probing phase.
      this.isBwProbeSample = false;
      this.ackPhase = 'ACKS_INIT';
      if (this.isInAProbeBwState() && !this.rsAppLimited) this.advanceMaxBwFilter();
      // §5.3.3.6 precautionary probing: acceleration.
      if (this.isInAProbeBwState() && this.prevProbePrecautionary && !this.prevProbeTooHigh) {
        this.startProbeBwRefill();
        return true;
      }
    }
    if (this.isInflightTooHigh()) {
      if (this.isBwProbeSample) {
        const wasUp = this.state === 'ProbeBW_UP';
        this.handleInflightTooHigh();
        if (wasUp) return true;
      }
      return false;
    }
    // Loss rate is safe: adjust the upper bound upward.
    if (this.inflightLongterm === Infinity) return false;
    if (this.rsTxInFlight > this.inflightLongterm) this.inflightLongterm = this.rsTxInFlight;
    if (this.state === 'ProbeBW_UP') this.probeInflightLongtermUpward();
    return false;
  }

  /** §5.5.10.2 IsInflightTooHigh (QUIC has selective ACKs). */
  private isInflightTooHigh(): boolean {
    return this.rsLost > this.rsTxInFlight * BBR_LOSS_THRESH;
  }

  /** §5.5.10.2 HandleInflightTooHigh. */
  private handleInflightTooHigh(): void {
    this.prevProbeTooHigh = true;
    this.isBwProbeSample = false; // react once per bw probe
    if (!this.rsAppLimited) this.inflightLongterm = Math.max(this.rsTxInFlight, this.targetInflight() * BBR_BETA);
    if (this.state === 'ProbeBW_UP') {
      this.undoState = 'ProbeBW_UP';
      this.startProbeBwDown();
    }
  }

  /** §5.3.3.8.3 IsTimeToProbeBW (DOWN or CRUISE → REFILL). */
  private isTimeToProbeBw(): boolean {
    if (this.hasElapsedInPhase(this.bwProbeWait) || this.isRenoCoexistenceProbeTime()) {
      this.startProbeBwRefill();
      return true;
    }
    return false;
  }

  /** §5.3.3.8.3 PickProbeWait: 0 or 1 extra round, and 2–3 s of wall clock. */
  private pickProbeWait(): void {
    this.roundsSinceProbeUp = this.prng.nextInt(2);
    this.bwProbeWait = 2_000_000 + this.prng.nextFloat() * 1_000_000;
  }

  /** §5.3.3.8.3 IsRenoCoexistenceProbeTime: min(TargetInflight in packets, 63) rounds. */
  private isRenoCoexistenceProbeTime(): boolean {
    const renoRounds = this.targetInflight() / this.maxDatagramSize;
    const rounds = renoRounds < BBR_MAX_RENO_ROUNDS ? renoRounds : BBR_MAX_RENO_ROUNDS;
    return this.roundsSinceProbeUp >= rounds;
  }

  /** §5.3.3.8.3 TargetInflight: the BDP, unless congestion cut cwnd. */
  private targetInflight(): number {
    return Math.min(this.bdp, this.w);
  }

  // ======================================================================================
  // ProbeRTT (§5.3.4) and min_rtt (§5.5.7)
  // ======================================================================================

  /** §5.3.4.3 UpdateMinRTT: the ProbeRTT-integrated min filter. */
  private updateMinRtt(): void {
    const now = this.now;
    this.probeRttExpired = now > this.probeRttMinStamp + BBR_PROBE_RTT_INTERVAL;
    if (this.rsRtt >= 0 && (this.rsRtt < this.probeRttMinDelay || this.probeRttExpired)) {
      this.probeRttMinDelay = this.rsRtt;
      this.probeRttMinStamp = now;
    }
    const minRttExpired = now > this.minRttStamp + BBR_MIN_RTT_FILTER_LEN;
    if (this.probeRttMinDelay < this.minRtt || minRttExpired) {
      this.minRtt = this.probeRttMinDelay;
      this.minRttStamp = this.probeRttMinStamp;
    }
  }

  /** §5.3.4.3 CheckProbeRTT. */
  private checkProbeRtt(): void {
    if (this.state !== 'ProbeRTT' && this.probeRttExpired && !this.idleRestart) {
      // SaveCwnd first: the cwnd to restore is the one from before ProbeRTT (§5.6.4.4).
      this.saveCwnd();
      this.enterProbeRtt();
      this.probeRttDoneStamp = undefined;
      this.ackPhase = 'ACKS_PROBE_STOPPING';
      this.startRound();
    }
    if (this.state === 'ProbeRTT') this.handleProbeRtt();
    if (this.rsDelivered > 0) this.idleRestart = false;
  }

  /** §5.3.4.3 EnterProbeRTT. */
  private enterProbeRtt(): void {
    this.state = 'ProbeRTT';
    this.pacingGain = 1;
    this.cwndGain = BBR_PROBE_RTT_CWND_GAIN;
  }

  /** §5.3.4.3 HandleProbeRTT. */
  private handleProbeRtt(): void {
    this.markConnectionAppLimited(); // ignore low rate samples during ProbeRTT
    if (this.probeRttDoneStamp === undefined && this.inflight <= this.probeRttCwnd()) {
      // Wait for at least ProbeRTTDuration and at least one round.
      this.probeRttDoneStamp = this.now + BBR_PROBE_RTT_DURATION;
      this.probeRttRoundDone = false;
      this.startRound();
    } else if (this.probeRttDoneStamp !== undefined) {
      if (this.roundStart) this.probeRttRoundDone = true;
      if (this.probeRttRoundDone) this.checkProbeRttDone();
    }
  }

  /** §5.3.4.3 CheckProbeRTTDone. */
  private checkProbeRttDone(): void {
    if (this.probeRttDoneStamp !== undefined && this.now > this.probeRttDoneStamp) {
      this.probeRttMinStamp = this.now; // schedule the next ProbeRTT
      this.restoreCwnd();
      this.exitProbeRtt();
    }
  }

  /** §5.3.4.4 ExitProbeRTT. */
  private exitProbeRtt(): void {
    this.resetShortTermModel();
    if (this.fullBwReached) {
      this.startProbeBwDown();
      this.startProbeBwCruise();
    } else {
      this.enterStartup();
    }
  }

  /** §4.1.2.4 MarkConnectionAppLimited, on the controller's own samples (see the file comment). */
  private markConnectionAppLimited(): void {
    if (this.markUntil === 0) {
      this.markFrom = this.delivered;
      this.markTo = Infinity;
    }
    this.markUntil = Math.max(this.delivered + this.inflight, 1);
  }

  // ======================================================================================
  // Model updates (§5.5)
  // ======================================================================================

  /** §5.5.1 UpdateRound. */
  private updateRound(): void {
    if (this.rsPriorDelivered >= this.nextRoundDelivered) {
      this.startRound();
      this.roundCount++;
      this.roundsSinceProbeUp++;
      this.roundStart = true;
      this.cwndLimitedPrevRound = this.cwndLimitedInRound;
      this.cwndLimitedInRound = false;
    } else {
      this.roundStart = false;
    }
  }

  /** §5.5.1 StartRound. */
  private startRound(): void {
    this.nextRoundDelivered = this.delivered;
  }

  /**
   * §5.5.5 UpdateMaxBw: app-limited samples count only when they raise the estimate (§5.5.4).
   * The two-cycle window (§5.5.3, §5.5.6) is two slots: the previous and the current cycle.
   */
  private updateMaxBw(): void {
    this.updateRound();
    const r = this.rsDeliveryRate;
    if (r > 0 && (r >= this.maxBw || !this.rsAppLimited)) {
      if (r > this.bwHiCur) this.bwHiCur = r;
      this.maxBw = this.bwHiCur > this.bwHiPrev ? this.bwHiCur : this.bwHiPrev;
    }
  }

  /**
   * §5.5.6 AdvanceMaxBwFilter: cycle_count++, the current slot becomes the previous one. A cycle
   * without any sample keeps the slots (as Linux's BBRv3), so max_bw never falls to 0.
   */
  private advanceMaxBwFilter(): void {
    if (this.bwHiCur === 0) return;
    this.cycleCount++;
    this.bwHiPrev = this.bwHiCur;
    this.bwHiCur = 0;
    this.maxBw = this.bwHiPrev;
  }

  /** §5.5.9 UpdateACKAggregation. */
  private updateAckAggregation(): void {
    const interval = this.now - this.extraAckedIntervalStart;
    let expected = this.bw * interval * 1e-6;
    // Reset the interval when the ACK rate is below the expected rate.
    if (this.extraAckedDelivered <= expected) {
      this.extraAckedDelivered = 0;
      this.extraAckedIntervalStart = this.now;
      expected = 0;
    }
    this.extraAckedDelivered += this.rsNewlyAcked;
    let extra = this.extraAckedDelivered - expected;
    if (extra > this.w) extra = this.w;
    const len = this.fullBwReached ? BBR_EXTRA_ACKED_FILTER_LEN : 1; // in Startup, just 1 round
    this.extraAcked = this.extraAckedFilter.update(len, this.roundCount, extra);
  }

  /** §5.5.10.2 NoteLoss: the first loss of a round starts a loss round and saves the model. */
  private noteLoss(): void {
    if (!this.isLossInRound) {
      this.lossRoundDelivered = this.delivered;
      this.saveStateUponLoss();
    }
    this.isLossInRound = true;
  }

  private noteLossEvent(now: Instant): void {
    if (now !== this.lastLossEvent) {
      this.lastLossEvent = now;
      this.lossEventsInRound++;
    }
  }

  /** §5.5.10.3 UpdateLatestDeliverySignals. */
  private updateLatestDeliverySignals(): void {
    this.lossRoundStart = false;
    if (this.rsDeliveryRate > this.bwLatest) this.bwLatest = this.rsDeliveryRate;
    if (this.rsDelivered > this.inflightLatest) this.inflightLatest = this.rsDelivered;
    if (this.rsPriorDelivered >= this.lossRoundDelivered) {
      this.lossRoundDelivered = this.delivered;
      this.lossRoundStart = true;
    }
  }

  /** §5.5.10.3 AdvanceLatestDeliverySignals. */
  private advanceLatestDeliverySignals(): void {
    if (this.lossRoundStart) {
      this.bwLatest = this.rsDeliveryRate;
      this.inflightLatest = this.rsDelivered;
    }
  }

  /** §5.5.10.3 ResetCongestionSignals. */
  private resetCongestionSignals(): void {
    this.isLossInRound = false;
    this.bwLatest = 0;
    this.inflightLatest = 0;
  }

  /** §5.5.10.3 UpdateCongestionSignals. */
  private updateCongestionSignals(): void {
    this.updateMaxBw();
    if (!this.lossRoundStart) return; // wait until the end of the round trip
    this.adaptLowerBoundsFromCongestion(); // once per round
    this.isLossInRound = false;
  }

  /** §5.5.10.3 AdaptLowerBoundsFromCongestion (InitLowerBounds, LossLowerBounds). */
  private adaptLowerBoundsFromCongestion(): void {
    if (this.isProbingBw()) return;
    if (!this.isLossInRound) return;
    if (this.bwShortterm === Infinity) this.bwShortterm = this.maxBw;
    if (this.inflightShortterm === Infinity) this.inflightShortterm = this.w;
    this.bwShortterm = Math.max(this.bwLatest, BBR_BETA * this.bwShortterm);
    this.inflightShortterm = Math.max(this.inflightLatest, BBR_BETA * this.inflightShortterm);
  }

  /** §5.5.10.3 ResetShortTermModel. */
  private resetShortTermModel(): void {
    this.bwShortterm = Infinity;
    this.inflightShortterm = Infinity;
  }

  /** §5.5.10.3 BoundBWForModel. */
  private boundBwForModel(): void {
    this.bw = this.maxBw < this.bwShortterm ? this.maxBw : this.bwShortterm;
  }

  /** §5.5.11.1 SaveStateUponLoss. */
  private saveStateUponLoss(): void {
    this.saveCwnd();
    this.undoState = undefined;
    this.undoBwShortterm = this.bwShortterm;
    this.undoInflightShortterm = this.inflightShortterm;
    this.undoInflightLongterm = this.inflightLongterm;
  }

  // ======================================================================================
  // Control parameters (§5.6)
  // ======================================================================================

  /** §5.6.2 InitPacingRate's value: StartupPacingGain · InitialCwnd / (C.srtt or 1 ms). */
  private nominalPacingRate(rtt: RttEstimator): number {
    const srtt = rtt.hasSample && rtt.smoothed > 0 ? rtt.smoothed : 1000;
    return (BBR_STARTUP_PACING_GAIN * this.initialCwnd * 1e6) / srtt;
  }

  /** §5.6.2 SetPacingRateWithGain: only raised until the pipe is full. */
  private setPacingRateWithGain(gain: number): void {
    const rate = (gain * this.bw * (100 - BBR_PACING_MARGIN_PERCENT)) / 100;
    if (this.fullBwReached || rate > this.pacingRateBps) this.pacingRateBps = rate;
  }

  /** §5.6.3 SetSendQuantum; §5.5.8.2 the QUIC offload budget is the send quantum. */
  private setSendQuantum(): void {
    let q = this.pacingRateBps * 1e-3; // 1 ms at the pacing rate
    if (q > 65536) q = 65536;
    if (q < 2 * this.maxDatagramSize) q = 2 * this.maxDatagramSize;
    this.sendQuantum = q;
    this.offloadBudget = q;
  }

  /** §5.6.4.2 BDPMultiple (sets BBR.bdp). */
  private bdpMultiple(gain: number): number {
    if (this.minRtt === Infinity) return this.initialCwnd; // no valid RTT sample yet
    this.bdp = this.bw * this.minRtt * 1e-6;
    return gain * this.bdp;
  }

  /** §5.6.4.2 QuantizationBudget. */
  private quantizationBudget(cap: number): number {
    if (cap < this.offloadBudget) cap = this.offloadBudget;
    if (cap < this.minimumWindow) cap = this.minimumWindow;
    if (this.state === 'ProbeBW_UP') cap += 2 * this.maxDatagramSize;
    return cap;
  }

  /** §5.6.4.2 Inflight(bw, gain), for a given bandwidth (IsTimeToCruise uses BBR.max_bw). */
  private inflightFor(bw: number, gain: number): number {
    if (this.minRtt === Infinity) return this.quantizationBudget(this.initialCwnd);
    return this.quantizationBudget(gain * bw * this.minRtt * 1e-6);
  }

  /** §5.6.4.2 UpdateMaxInflight. */
  private updateMaxInflight(): void {
    this.maxInflight = this.quantizationBudget(this.bdpMultiple(this.cwndGain) + this.extraAcked);
  }

  /** §5.6.4.4 SaveCwnd: the last cwnd unmodulated by loss recovery or ProbeRTT. */
  private saveCwnd(): void {
    if (!this.inRecovery && this.state !== 'ProbeRTT') this.priorCwnd = this.w;
    else if (this.w > this.priorCwnd) this.priorCwnd = this.w;
  }

  /** §5.6.4.4 RestoreCwnd. */
  private restoreCwnd(): void {
    if (this.priorCwnd > this.w) this.w = this.priorCwnd;
  }

  /** §5.6.4.5 ProbeRTTCwnd: max(0.5 · BDP, MinPipeCwnd). */
  private probeRttCwnd(): number {
    const c = this.bdpMultiple(BBR_PROBE_RTT_CWND_GAIN);
    return c > this.minimumWindow ? c : this.minimumWindow;
  }

  /** §5.6.4.6 SetCwnd (with §5.6.4.5 BoundCwndForProbeRTT and §5.6.4.7 BoundCwndForModel). */
  private setCwnd(): void {
    this.updateMaxInflight();
    if (this.fullBwReached) {
      const w = this.w + this.rsNewlyAcked;
      this.w = w < this.maxInflight ? w : this.maxInflight;
    } else if (this.w < this.maxInflight || this.delivered < this.initialCwnd) {
      this.w += this.rsNewlyAcked;
    }
    if (this.w < this.minimumWindow) this.w = this.minimumWindow;
    // BoundCwndForProbeRTT.
    if (this.state === 'ProbeRTT') {
      const c = this.probeRttCwnd();
      if (this.w > c) this.w = c;
    }
    // BoundCwndForModel: the volume caps of §5.6.1's table.
    let cap = Infinity;
    if (this.isInAProbeBwState() && this.state !== 'ProbeBW_CRUISE') cap = this.inflightLongterm;
    else if (this.state === 'ProbeRTT' || this.state === 'ProbeBW_CRUISE') cap = this.inflightWithHeadroom();
    if (this.inflightShortterm < cap) cap = this.inflightShortterm;
    if (cap < this.minimumWindow) cap = this.minimumWindow;
    if (this.w > cap) this.w = cap;
  }

  // ======================================================================================

  /** The time of the current event; the first event sets the draft's Now()-initialised stamps (§5.2.1). */
  private begin(now: Instant): void {
    this.now = now;
    if (this.started) return;
    this.started = true;
    this.minRttStamp = now;
    this.probeRttMinStamp = now;
    this.extraAckedIntervalStart = now;
  }
}
