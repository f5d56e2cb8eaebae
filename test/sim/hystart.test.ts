/**
 * HyStart++ (RFC 9406) in the simulator: on a link whose drop-tail queue holds several
 * bandwidth-delay products, classic slow start grows the window until the queue overflows,
 * while HyStart++ sees the round-trip time rise and leaves slow start (through Conservative Slow
 * Start) before any loss.
 *
 * The link: 50 Mbps, 20 ms each way (BDP 250 kB ≈ 172 packets of 1452 bytes), a queue of 8 BDPs;
 * no random loss, so every packet lost is a queue overflow. 8 MB download with CUBIC; the
 * server's send buffer is 8 MB, so the window is not capped by unacknowledged data (the default
 * 1 MB would keep it below BDP + queue). Figures (every seed alike: the link draws no random
 * numbers): hystart off, 380 packets lost, all queue overflows, slow start → recovery at
 * 1.48 s; hystart on, 0 lost, slow start → (CSS) → congestion avoidance at 1.22 s. Both
 * complete at 1.60 s, 41.9 Mbps: the deep queue keeps the link busy through the losses.
 */
import { describe, expect, it } from 'vitest';
import type { QlogSink } from '../../src/qlog/index.js';
import { defaultLink, runScenario, type RunOptions, type Scenario, type ScenarioResult } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const SEEDS = [1, 2, 3];
const RATE = 50_000_000;
const ONE_WAY = 20_000;
const BDP_PACKETS = Math.round((RATE / 8) * ((2 * ONE_WAY) / 1e6) / 1452);

function scenario(hystart: boolean): Scenario {
  const link = defaultLink({ rate: RATE, delay: ONE_WAY, queuePackets: 8 * BDP_PACKETS });
  return {
    name: `hystart-${hystart ? 'on' : 'off'}`,
    toServer: link,
    toClient: { ...link },
    workload: { type: 'bulk', bytes: 8 << 20 },
    client: { transport: { congestionControl: 'cubic', hystart } },
    server: { transport: { congestionControl: 'cubic', hystart, sendBufferSize: 8 << 20 } },
  };
}

/** Runs one case; returns the result and the server's congestion states in order. */
function run(o: RunOptions, hystart: boolean, seed: number): { r: ScenarioResult; states: string[] } {
  // Only the congestion state changes are kept (a full qlog would triple the run time).
  const states: string[] = [];
  const sink: QlogSink = {
    wants: (name) => name === 'quic:congestion_state_updated',
    event: (_t, e) => {
      if (e.name === 'quic:congestion_state_updated') states.push(e.data.new);
    },
  };
  // The qlog invariant checker is off to keep the six 8 MB runs short (other tests run it).
  const r = runScenario(scenario(hystart), { ...o, seed, serverQlog: sink, check: false });
  const label = `hystart ${hystart} seed ${seed}`;
  expect(r.completed, label).toBe(true);
  expect(r.dataIntact, label).toBe(true);
  expect(r.links.toClient.dropped.random, label).toBe(0);
  return { r, states };
}

describe('HyStart++ (RFC 9406) over a large-buffer link', () => {
  it('HyStart++ exits slow start without loss on a large-buffer link where classic slow start loses', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const off = run(o, false, seed);
      const on = run(o, true, seed);
      const label = `seed ${seed}`;
      // Classic slow start: the queue overflows, and the first exit from slow start is a loss.
      expect(off.r.server!.packetsLost, label).toBeGreaterThan(50);
      expect(off.r.links.toClient.dropped.queue, label).toBeGreaterThan(50);
      expect(off.states[0], label).toBe('recovery');
      // HyStart++: congestion avoidance entered without a congestion event, and nothing lost.
      expect(on.states[0], label).toBe('congestion_avoidance');
      expect(on.states, label).not.toContain('recovery');
      expect(on.r.server!.packetsLost, label).toBe(0);
      expect(on.r.links.toClient.dropped.queue, label).toBe(0);
      // Good goodput all the same (50 Mbps link; handshake and slow start included).
      expect(on.r.goodput, label).toBeGreaterThan(35e6);
      expect(on.r.goodput, label).toBeGreaterThanOrEqual(0.95 * off.r.goodput);
    }
  }, 30_000);
});
