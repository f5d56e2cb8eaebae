/** Shared helpers for the recovery tests: virtual time in µs, packets with their pn as token. */
import { NewReno } from '../../src/recovery/cc/newreno.js';
import type { CongestionController } from '../../src/recovery/cc/types.js';
import { LossRecovery, type SentPacket, type SpaceId } from '../../src/recovery/loss.js';
import { RttEstimator } from '../../src/recovery/rtt.js';

export const MS = 1000;
export const S = 1_000_000;
export const MDS = 1200;

export function pkt(pn: number, timeSent: number, o: Partial<SentPacket<number>> = {}): SentPacket<number> {
  return { pn, timeSent, size: MDS, ackEliciting: true, inFlight: true, tokens: [pn], ...o };
}

export function setup(o: { isServer?: boolean; maxAckDelay?: number; cc?: CongestionController; confirmed?: boolean } = {}) {
  const rtt = new RttEstimator();
  const cc = o.cc ?? new NewReno({ maxDatagramSize: MDS });
  const lr = new LossRecovery<number>({ cc, rtt, isServer: o.isServer ?? true, maxAckDelay: o.maxAckDelay ?? 25 * MS });
  if (o.confirmed) lr.handshakeConfirmed = true;
  return { lr, cc, rtt };
}

/** Sends packet `pn` at `t` in `space`. */
export function send(lr: LossRecovery<number>, space: SpaceId, pn: number, t: number, o: Partial<SentPacket<number>> = {}): SentPacket<number> {
  const p = pkt(pn, t, o);
  lr.onPacketSent(t, space, p);
  return p;
}

export const pns = (ps: ReadonlyArray<SentPacket<number>>): number[] => ps.map((p) => p.pn);

/** An RTT estimator whose smoothed RTT is `rtt` (one sample). */
export function rttOf(rtt: number): RttEstimator {
  const r = new RttEstimator();
  r.update(0, rtt, 0, 0, false);
  return r;
}
