/**
 * Forward error correction in the simulator (specs/fec.md): the latency it buys real-time
 * messages on a lossy path, what it costs a bulk transfer, repairs on a second path. Every run
 * goes through the invariant checker, which counts recovered packets' STREAM frames as
 * received (and checks they carry bytes the sender sent); failures print their seed.
 */
import { describe, expect, it } from 'vitest';
import { defaultLink, preset, runScenario, type Scenario } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const MS = 1_000;
const SEEDS = [1, 2, 3];

describe('FEC in the simulator', () => {
  it('10 Mbps, 20 ms RTT, 3% loss, a 1 kB message every 10 ms for 30 s: p99 latency with RS 10:2 is at most 60% of the run without FEC', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const none = runScenario(preset('fec-none'), { ...o, seed });
      const rs = runScenario(preset('fec-rs'), { ...o, seed });
      for (const r of [none, rs]) {
        expect(r.completed, `seed ${seed}: ${JSON.stringify(r.checks?.violations.slice(0, 3))}`).toBe(true);
        expect(r.dataIntact).toBe(true);
      }
      const p99None = none.flows[0]!.messages!.latency!.p99;
      const p99Rs = rs.flows[0]!.messages!.latency!.p99;
      expect(p99Rs / p99None, `seed ${seed}: p99 ${p99Rs} µs with RS vs ${p99None} µs without`).toBeLessThanOrEqual(0.6);
      // The server protected every message and the client rebuilt most of the lost ones.
      const sent = rs.flows[0]!.server!.fec!;
      const got = rs.flows[0]!.client!.fec!;
      expect(sent.encoder).toBe('rs');
      expect(sent.sourcesSent).toBeGreaterThanOrEqual(3000);
      expect(got.packetsRecovered, `seed ${seed}`).toBeGreaterThan(50);
      expect(none.flows[0]!.client!.fec).toBeUndefined();
    }
  });

  it('bulk goodput overhead of RS 10:2 is at most its redundancy (2 of 12 packets) + 5 percentage points, clean and at 3% loss', async () => {
    const o = await simOptions();
    const redundancy = 2 / 12;
    for (const loss of [0, 0.03]) {
      for (const seed of SEEDS) {
        const link = defaultLink({ delay: 10 * MS, loss });
        const base: Scenario = { name: 'bulk', toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes: 4 << 20 } };
        const fec = { scheme: 'rs' as const, ratio: '10:2' };
        const plain = runScenario(base, { ...o, seed });
        const coded = runScenario({ ...base, client: { fec }, server: { fec } }, { ...o, seed });
        expect(plain.completed && coded.completed, `seed ${seed} loss ${loss}`).toBe(true);
        expect(coded.dataIntact).toBe(true);
        const overhead = 1 - coded.goodput / plain.goodput;
        expect(overhead, `seed ${seed} loss ${loss}: ${coded.goodput} vs ${plain.goodput} bit/s`).toBeLessThanOrEqual(redundancy + 0.05);
        // Full blocks: about 2 repairs per 10 packets protected.
        const s = coded.flows[0]!.server!.fec!;
        expect(s.repairsSent / s.sourcesSent).toBeGreaterThan(0.15);
        expect(s.repairsSent / s.sourcesSent).toBeLessThan(0.25);
      }
    }
  });

  it('multipath: repairs on the clean backup path recover the losses of the data path', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const r = runScenario(preset('fec-multipath'), { ...o, seed });
      expect(r.completed, `seed ${seed}: ${JSON.stringify(r.checks?.violations.slice(0, 3))}`).toBe(true);
      const server = r.flows[0]!.server!;
      const paths = server.paths!;
      expect(paths.map((p) => p.id)).toEqual([0, 1]);
      const fec = server.fec!;
      // The backup path carried the repairs (all but those sent before it was validated) and
      // little else; the data went on path A.
      const why = `seed ${seed}: ${fec.repairsSent} repairs, paths sent ${paths.map((p) => p.datagramsSent).join(' / ')}`;
      expect(fec.repairsSent, why).toBeGreaterThan(500);
      expect(paths[1]!.datagramsSent, why).toBeGreaterThanOrEqual(0.95 * fec.repairsSent);
      expect(paths[1]!.datagramsSent, why).toBeLessThan(fec.repairsSent * 1.2);
      expect(paths[0]!.datagramsSent).toBeGreaterThan(900);
      // Path A lost about 5% of its packets; most of the lost messages were rebuilt.
      const recovered = r.flows[0]!.client!.fec!.packetsRecovered;
      expect(recovered, `seed ${seed}: ${paths[0]!.packetsLost} lost on path A`).toBeGreaterThan(0.6 * paths[0]!.packetsLost);
    }
  });

  it('the XOR and RLC presets complete with packets recovered', async () => {
    const o = await simOptions();
    for (const name of ['fec-xor', 'fec-rlc']) {
      const r = runScenario(preset(name), { ...o, seed: 1 });
      expect(r.completed, `${name}: ${JSON.stringify(r.checks?.violations.slice(0, 3))}`).toBe(true);
      expect(r.flows[0]!.server!.fec!.encoder).toBe(name === 'fec-xor' ? 'xor' : 'rlc');
      expect(r.flows[0]!.client!.fec!.packetsRecovered, name).toBeGreaterThan(50);
    }
  });

  it('adaptive redundancy follows the measured loss rate: more repairs at 5% loss than on a clean link', async () => {
    const o = await simOptions();
    for (const seed of [1, 2]) {
      const share: number[] = [];
      for (const loss of [0, 0.05]) {
        const link = defaultLink({ delay: 10 * MS, loss });
        const fec = { scheme: 'rs' as const, adaptive: true };
        const r = runScenario({ name: 'adaptive', toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes: 3 << 20 }, client: { fec }, server: { fec } }, { ...o, seed });
        expect(r.completed, `seed ${seed} loss ${loss}`).toBe(true);
        const s = r.flows[0]!.server!.fec!;
        expect(s.policy).toBe('adaptive');
        share.push(s.repairsSent / s.sourcesSent);
        if (loss > 0) {
          expect(s.lossRate, `seed ${seed}`).toBeGreaterThan(0.02);
          expect(s.lossRate, `seed ${seed}`).toBeLessThan(0.1);
          expect(r.flows[0]!.client!.fec!.packetsRecovered).toBeGreaterThan(50);
        }
      }
      expect(share[1]!, `seed ${seed}: repair share ${share.join(' → ')}`).toBeGreaterThan(share[0]! + 0.1);
    }
  });
});
