/**
 * ECN in the simulator: links that bleach the codepoint, and end-to-end ECN validation (RFC 9000
 * §13.4.2) and CE reaction (RFC 9002 §7.1) over simulated links.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/qlog/memory.js';
import { Link } from '../../src/sim/link.js';
import { defaultLink, runScenario, type RunOptions, type Scenario } from '../../src/sim/index.js';
import type { Datagram } from '../../src/util/datagram.js';
import { simOptions } from '../support/sim.js';

const options = simOptions;

const dg = (ecn?: Datagram['ecn']): Datagram => ({ data: new Uint8Array(100), from: { host: 'a', port: 1 }, to: { host: 'b', port: 2 }, ...(ecn ? { ecn } : {}) });

function ecnScenario(link: Scenario['toServer']): Scenario {
  return {
    name: 'ecn-test',
    toServer: link,
    toClient: { ...link! },
    workload: { type: 'bulk', bytes: 300_000 },
    client: { transport: { ecn: true } },
    server: { transport: { ecn: true } },
  };
}

describe('simulated ECN', () => {
  it('ecnBleach clears the codepoint of every datagram', () => {
    const l = new Link({ delay: 1000, ecnBleach: true }, 1);
    expect(l.offer(0, dg('ect0'))[0]!.d.ecn).toBe('not-ect');
    expect(l.offer(0, dg('ce'))[0]!.d.ecn).toBe('not-ect');
    expect(l.offer(0, dg())[0]!.d.ecn).toBeUndefined();
  });

  it('over a clean link ECN validates; over a bleaching one it fails and the transfer still completes', async () => {
    const o = await options();
    for (const bleach of [false, true]) {
      const sinks: MemorySink[] = [];
      const seen = { ect0: 0, late: 0 };
      const r = runScenario(ecnScenario(defaultLink(bleach ? { ecnBleach: true } : {})), {
        ...o,
        qlog: () => {
          const s = new MemorySink();
          sinks.push(s);
          return s;
        },
        onDeliver: (host, d, at) => {
          if (host !== 'client' || d.ecn === undefined) return;
          seen.ect0 += d.ecn === 'ect0' ? 1 : 0;
          if (at > 500_000) seen.late++;
        },
      });
      expect(r.completed).toBe(true);
      expect(sinks.length).toBe(2);
      for (const s of sinks) expect(s.data('quic:ecn_state_updated').at(-1)?.new).toBe(bleach ? 'failed' : 'capable');
      if (bleach) {
        // Only the testing period went out marked (and arrived bleached).
        expect(seen.ect0).toBe(0);
        expect(seen.late).toBe(0);
      } else {
        expect(seen.ect0).toBeGreaterThan(100);
      }
    }
  }, 20_000);

  it('CoDel with ECN marks instead of dropping: no loss, CE reacted to', async () => {
    const o = await options();
    const link = defaultLink({ queuePackets: 1000, aqm: { type: 'codel', ecn: true } });
    const sinks: { role: string; sink: MemorySink }[] = [];
    const r = runScenario({ ...ecnScenario(link), workload: { type: 'bulk', bytes: 2 << 20 } }, {
      ...o,
      qlog: ({ role }) => {
        const sink = new MemorySink();
        sinks.push({ role, sink });
        return sink;
      },
    });
    expect(r.completed).toBe(true);
    expect(r.links.toClient.ceMarked).toBeGreaterThan(0);
    expect(r.links.toClient.dropped.aqm).toBe(0);
    expect(r.retransmissions).toBe(0);
    const server = sinks.find((s) => s.role === 'server')!.sink;
    expect(server.data('quic:ecn_state_updated').at(-1)?.new).toBe('capable');
    expect(server.data('quic:congestion_state_updated').some((e) => e.new === 'recovery')).toBe(true);
  }, 20_000);
});
