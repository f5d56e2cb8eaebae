/** BBRv3's parameters and state names (draft-ietf-ccwg-bbr §2, §5.1.1), shared by bbr3.ts and its tests. */
import type { Duration } from '../../util/time.js';

/** §2.5 BBR.StartupPacingGain: 4·ln 2 ≈ 2.77, the least gain that doubles the rate per round. */
export const BBR_STARTUP_PACING_GAIN = 2.77;
/** §2.5 BBR.DrainPacingGain. */
export const BBR_DRAIN_PACING_GAIN = 0.5;
/** §2.6 BBR.DefaultCwndGain. */
export const BBR_DEFAULT_CWND_GAIN = 2;
/** §2.5 BBR.PacingMarginPercent. */
export const BBR_PACING_MARGIN_PERCENT = 1;
/** §2.8 BBR.LossThresh: the tolerated per-round loss rate while probing. */
export const BBR_LOSS_THRESH = 0.02;
/** §2.8 BBR.Beta. */
export const BBR_BETA = 0.7;
/** §2.8 BBR.Headroom. */
export const BBR_HEADROOM = 0.15;
/** §2.8 BBR.MinPipeCwnd, in packets (C.SMSS). */
export const BBR_MIN_PIPE_CWND_PACKETS = 4;
/** §5.3.1.2: growth of at least 25 % restarts the full-pipe count… */
export const BBR_FULL_BW_THRESH = 1.25;
/** …and this many rounds without it mean the pipe is full. */
export const BBR_FULL_BW_COUNT = 3;
/** §5.3.1.3 BBRStartupFullLossCnt. */
export const BBR_STARTUP_FULL_LOSS_CNT = 6;
/** §2.11 BBR.MaxBwFilterLen, in ProbeBW cycles. */
export const BBR_MAX_BW_FILTER_LEN = 2;
/** §2.12 BBR.ExtraAckedFilterLen, in rounds. */
export const BBR_EXTRA_ACKED_FILTER_LEN = 10;
/** §2.16.1 BBR.MinRTTFilterLen. */
export const BBR_MIN_RTT_FILTER_LEN: Duration = 10_000_000;
/** §2.16.2 BBR.ProbeRTTCwndGain. */
export const BBR_PROBE_RTT_CWND_GAIN = 0.5;
/** §2.16.2 BBR.ProbeRTTDuration. */
export const BBR_PROBE_RTT_DURATION: Duration = 200_000;
/** §2.16.2 BBR.ProbeRTTInterval. */
export const BBR_PROBE_RTT_INTERVAL: Duration = 5_000_000;
/** §5.3.3.1 / §5.3.3.5 / §5.6.1: the ProbeBW pacing gains and ProbeBW_UP's cwnd gain. */
export const BBR_PROBE_BW_DOWN_PACING_GAIN = 0.9;
export const BBR_PROBE_BW_CRUISE_PACING_GAIN = 1.0;
export const BBR_PROBE_BW_REFILL_PACING_GAIN = 1.0;
export const BBR_PROBE_BW_UP_PACING_GAIN = 1.25;
export const BBR_PROBE_BW_UP_CWND_GAIN = 2.25;
/** §5.3.3.8.3 IsRenoCoexistenceProbeTime: at most 63 rounds between probes. */
export const BBR_MAX_RENO_ROUNDS = 63;

/** §5.1.1 the states (ProbeBW's four phases are states of their own, as in the draft). */
export type Bbr3State = 'Startup' | 'Drain' | 'ProbeBW_DOWN' | 'ProbeBW_CRUISE' | 'ProbeBW_REFILL' | 'ProbeBW_UP' | 'ProbeRTT';
/** §2.14 BBR.ack_phase. */
export type Bbr3AckPhase = 'ACKS_INIT' | 'ACKS_REFILLING' | 'ACKS_PROBE_STARTING' | 'ACKS_PROBE_FEEDBACK' | 'ACKS_PROBE_STOPPING';
