/**
 * Path MTU discovery over simulated links (RFC 9000 §14.3, RFC 8899): the search finds a link's
 * MTU, probe losses are no congestion signal, a black hole falls back to 1200 bytes and the
 * search finds the smaller MTU, and without discovery datagrams stay within what is configured.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/qlog/memory.js';
import { defaultLink, runScenario, type Scenario } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const SEEDS = [1, 2, 3];

function collect(): { sinks: { role: string; sink: MemorySink }[]; qlog: (c: { role: 'client' | 'server' }) => MemorySink } {
  const sinks: { role: string; sink: MemorySink }[] = [];
  return {
    sinks,
    qlog: ({ role }) => {
      const sink = new MemorySink();
      sinks.push({ role, sink });
      return sink;
    },
  };
}

describe('PMTU discovery in the simulator', () => {
  it('finds a 1350-byte link MTU; lost probes cause no congestion reaction', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      // A deep queue, no random loss and a 64 KB receive window that keeps the queue short: the
      // only losses are the probes the link cannot carry.
      const link = defaultLink({ mtu: 1350, queuePackets: 2000 });
      const window = { initialMaxData: 65536, maxConnectionWindow: 65536, initialMaxStreamData: 65536, maxStreamWindow: 65536 };
      const s: Scenario = { name: 'pmtud-1350', toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes: 2 << 20 }, client: { transport: window } };
      const q = collect();
      const r = runScenario(s, { ...o, seed, qlog: q.qlog });
      expect(r.completed, `seed ${seed}`).toBe(true);
      const f = r.flows[0]!;
      for (const st of [f.server!, f.client!]) {
        expect(st.pmtu.current, `seed ${seed}`).toBeLessThanOrEqual(1350);
        expect(st.pmtu.current, `seed ${seed}`).toBeGreaterThan(1350 - 20);
        expect(st.pmtu.state).toBe('complete');
        expect(st.pmtu.probesLost).toBeGreaterThanOrEqual(3);
        expect(st.pmtu.blackHoles).toBe(0);
      }
      expect(r.links.toClient.dropped.mtu).toBeGreaterThan(0);
      expect(r.links.toClient.dropped.queue).toBe(0);
      const server = q.sinks.find((x) => x.role === 'server')!.sink;
      // The probes that were lost were the only losses, and none started a recovery period.
      expect(server.data('quic:congestion_state_updated').filter((d) => d.new === 'recovery')).toHaveLength(0);
      expect(server.data('quic:packet_lost').length).toBe(f.server!.pmtu.probesLost);
      const updates = server.data('quic:mtu_updated');
      expect(updates.at(-1)).toMatchObject({ new: f.server!.pmtu.current, done: true });
      // Data packets grew to the discovered size.
      const sizes = server.data('quic:packet_sent').filter((d) => d.is_mtu_probe_packet !== true).map((d) => d.raw!.length!);
      expect(Math.max(...sizes)).toBe(f.server!.pmtu.current);
    }
  }, 60_000);

  it('a link that carries 1500 bytes: datagrams grow to the 1452-byte ceiling after one probe', async () => {
    const o = await simOptions();
    const link = defaultLink({ mtu: 1500 });
    const r = runScenario({ name: 'pmtud-1500', toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes: 500_000 } }, o);
    expect(r.completed).toBe(true);
    const st = r.flows[0]!.server!;
    expect(st.pmtu).toMatchObject({ current: 1452, state: 'complete', probesSent: 1, probesLost: 0 });
    expect(r.links.toClient.dropped.mtu).toBe(0);
  }, 30_000);

  it('black hole: the link MTU drops to 1280 mid-transfer; the sender falls back and finds 1280, the transfer completes', async () => {
    const o = await simOptions();
    for (const seed of SEEDS) {
      const down = { ...defaultLink(), events: [{ at: 1_000_000, type: 'mtu' as const, mtu: 1280 }] };
      const s: Scenario = { name: 'pmtud-blackhole', toServer: defaultLink(), toClient: down, workload: { type: 'bulk', bytes: 3 << 20 } };
      const q = collect();
      const r = runScenario(s, { ...o, seed, qlog: q.qlog });
      expect(r.completed, `seed ${seed}`).toBe(true);
      expect(r.dataIntact).toBe(true);
      const st = r.flows[0]!.server!;
      expect(st.pmtu.blackHoles, `seed ${seed}`).toBeGreaterThanOrEqual(1);
      expect(st.pmtu.current).toBeLessThanOrEqual(1280);
      expect(st.pmtu.current).toBeGreaterThan(1280 - 20);
      const server = q.sinks.find((x) => x.role === 'server')!.sink;
      expect(server.data('quic:mtu_updated').some((d) => d.new === 1200)).toBe(true);
    }
  }, 60_000);

  it('pmtud off: datagrams are maxDatagramSize from the start; the default keeps 1200 until the handshake is done', async () => {
    const o = await simOptions();
    const link = defaultLink();
    const fixed = runScenario(
      { name: 'fixed', toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes: 200_000 }, client: { transport: { pmtud: false, maxDatagramSize: 1300 } }, server: { transport: { pmtud: false, maxDatagramSize: 1300 } } },
      o,
    );
    expect(fixed.completed).toBe(true);
    expect(fixed.flows[0]!.server!.pmtu).toMatchObject({ current: 1300, state: 'disabled', probesSent: 0 });

    const q = collect();
    const r = runScenario({ name: 'default', toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes: 200_000 } }, { ...o, qlog: q.qlog });
    expect(r.completed).toBe(true);
    for (const { sink } of q.sinks) {
      const sent = sink.data('quic:packet_sent');
      const firstOneRtt = sent.findIndex((d) => d.header.packet_type === '1RTT');
      // Handshake datagrams never exceed 1200 bytes.
      for (const d of sent.slice(0, firstOneRtt)) expect(d.raw!.length!).toBeLessThanOrEqual(1200);
    }
  }, 30_000);
});
