/**
 * Multipath QUIC (draft-ietf-quic-multipath-21) in the simulator: a multihomed client opens a
 * second path as soon as the handshake is confirmed. Each run goes through the invariant
 * checker (packet numbers per path); failures print their seed.
 */
import { describe, expect, it } from 'vitest';
import { defaultLink, runScenario, type Scenario, type SimMultipath } from '../../src/sim/index.js';
import type { LinkEvent } from '../../src/sim/link.js';
import { simOptions } from '../support/sim.js';

const MS = 1_000;
const SEEDS = [1, 2, 3];

/** Path A: 10 Mbps, 20 ms RTT; path B: 10 Mbps, 60 ms RTT (25-packet queues). */
function twoPaths(a: { events?: LinkEvent[]; loss?: number } = {}, b: { loss?: number } = {}): Scenario['topology'] {
  return {
    type: 'multihomed',
    paths: [
      { name: 'A', toServer: defaultLink({ delay: 10 * MS, ...(a.loss ? { loss: a.loss } : {}), ...(a.events ? { events: a.events } : {}) }) },
      { name: 'B', toServer: defaultLink({ delay: 30 * MS, ...(b.loss ? { loss: b.loss } : {}) }) },
    ],
  };
}

function mp(s: Omit<Scenario, 'name'>, client: SimMultipath = {}, server: SimMultipath = {}): Scenario {
  return { name: 'multipath', maxTime: 120_000_000, ...s, client: { multipath: client }, server: { multipath: server } };
}

describe('multipath in the simulator', () => {
  it('aggregation: two 10 Mbps paths (20 and 60 ms RTT) give at least 1.7x the goodput of the better path alone (minrtt)', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const base = { topology: twoPaths(), workload: { type: 'bulk' as const, bytes: 8 << 20 } };
      const single = runScenario({ name: 'single', ...base }, { ...o, seed });
      const both = runScenario(mp(base), { ...o, seed });
      expect(single.completed && both.completed, `seed ${seed}`).toBe(true);
      expect(both.dataIntact).toBe(true);
      expect(both.goodput / single.goodput, `seed ${seed}: ${both.goodput} vs ${single.goodput}`).toBeGreaterThanOrEqual(1.7);
      const paths = both.flows[0]!.server!.paths!;
      expect(paths.map((p) => p.id)).toEqual([0, 1]);
      for (const p of paths) expect(p.bytesSent, `seed ${seed} path ${p.id}`).toBeGreaterThan(2 << 20);
    }
  }, 60_000);

  it('failover: path A goes down for good mid-transfer; the transfer completes, the longest stall is at most 1 PTO + 3 RTTs of path B', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const s = mp({ topology: twoPaths({ events: [{ at: 1_500_000, type: 'down' }] }), workload: { type: 'bulk', bytes: 6 << 20 } });
      const r = runScenario(s, { ...o, seed });
      expect(r.completed, `seed ${seed}`).toBe(true);
      expect(r.dataIntact).toBe(true);
      const f = r.flows[0]!;
      const b = f.server!.paths!.find((p) => p.id === 1)!;
      // PTO = srtt + max(4·rttvar, 1 ms) + max_ack_delay (RFC 9002 §6.2.1), with rttvar <= srtt / 2.
      const rtt = Math.max(b.smoothedRtt, 60 * MS);
      const bound = 3 * rtt + 25 * MS + 3 * rtt;
      expect(f.longestGap.duration, `seed ${seed}: stall at ${f.longestGap.start}`).toBeLessThanOrEqual(bound);
      // Path A stopped getting data at its first PTO (it is abandoned after 5 in a row).
      const a = f.server!.paths!.find((p) => p.id === 0);
      expect(a === undefined || a.state === 'closing' || a.ptoCount >= 1, `seed ${seed}`).toBe(true);
    }
  }, 60_000);

  it('backup: a backup path carries under 1% of the bytes while the primary is up, then takes over when it dies', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const up = runScenario(mp({ topology: twoPaths(), workload: { type: 'bulk', bytes: 4 << 20 } }, { backup: [1] }), { ...o, seed });
      expect(up.completed, `seed ${seed}`).toBe(true);
      const paths = up.flows[0]!.server!.paths!;
      const total = paths.reduce((n, p) => n + p.bytesSent, 0);
      const onBackup = paths.find((p) => p.id === 1)!;
      expect(onBackup.backup).toBe(true);
      expect(onBackup.bytesSent / total, `seed ${seed}`).toBeLessThan(0.01);

      const dies = runScenario(mp({ topology: twoPaths({ events: [{ at: 1_500_000, type: 'down' }] }), workload: { type: 'bulk', bytes: 4 << 20 } }, { backup: [1] }), { ...o, seed });
      expect(dies.completed, `seed ${seed}`).toBe(true);
      expect(dies.dataIntact).toBe(true);
      const b = dies.flows[0]!.server!.paths!.find((p) => p.id === 1)!;
      expect(b.bytesSent).toBeGreaterThan(1 << 20);
      expect(dies.flows[0]!.longestGap.duration).toBeLessThan(1_000_000);
    }
  }, 60_000);

  // At 10% independent loss on each of two paths, 1% of the messages lose both copies, which
  // puts p99 on the boundary of the double-loss group for redundant and of the loss-twice group
  // for minrtt: p99 comes out equal or lower (equal within 1 ms on some seeds), the mean
  // clearly lower.
  it('redundant: with independent 10% loss on each path, p99 small-message latency is no higher than with minrtt and the mean is lower', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const base = { topology: twoPaths({ loss: 0.1 }, { loss: 0.1 }), workload: { type: 'streams' as const, count: 600, size: 1000, concurrency: 1, direction: 'download' as const } };
      const minrtt = runScenario(mp(base), { ...o, seed });
      const redundant = runScenario(mp(base, { scheduler: 'redundant' }, { scheduler: 'redundant' }), { ...o, seed });
      expect(minrtt.completed && redundant.completed, `seed ${seed}`).toBe(true);
      const a = minrtt.flows[0]!.messages!.latency!;
      const b = redundant.flows[0]!.messages!.latency!;
      expect(b.p99, `seed ${seed}: redundant p99 ${b.p99} µs, minrtt ${a.p99} µs`).toBeLessThanOrEqual(a.p99);
      expect(b.mean, `seed ${seed}: redundant mean ${b.mean} µs, minrtt ${a.mean} µs`).toBeLessThan(a.mean);
    }
  }, 120_000);

  it('with multipath negotiated and one path, completion time is within 5% of plain RFC 9000', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const link = defaultLink({ loss: 0.01 });
      const base = { toServer: link, toClient: { ...link }, workload: { type: 'bulk' as const, bytes: 4 << 20 } };
      const plain = runScenario({ name: 'plain', ...base }, { ...o, seed });
      const one = runScenario(mp(base, { openPaths: 'none' }), { ...o, seed });
      expect(plain.completed && one.completed, `seed ${seed}`).toBe(true);
      expect(one.flows[0]!.client!.paths).toHaveLength(1);
      expect(Math.abs(one.completionTime / plain.completionTime - 1), `seed ${seed}: ${one.completionTime} vs ${plain.completionTime}`).toBeLessThanOrEqual(0.05);
    }
  }, 60_000);
});
