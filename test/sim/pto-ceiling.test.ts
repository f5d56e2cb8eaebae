/**
 * The PTO ceiling (TransportSettings.ptoCeilingMs): after a 27 s outage, longer than half the
 * 30 s idle timeout, unbounded doubling (RFC 9002 §6.2.1 as written) leaves the sender's next
 * probe due after the idle timeout, so the connection dies although the link is back; with the
 * default ceiling (an eighth of the idle timeout) the probes keep coming every 3.75 s and the
 * transfer resumes within one ceiling of the link's return.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/qlog/memory.js';
import { defaultLink, runScenario, type Scenario } from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const S = 1_000_000;
const DOWN = 5 * S;
const UP = 32 * S;

function outage(ptoCeilingMs?: number): Scenario {
  const link = defaultLink({ events: [{ at: DOWN, type: 'down' }, { at: UP, type: 'up' }] });
  const transport = ptoCeilingMs === undefined ? {} : { ptoCeilingMs };
  return {
    name: 'outage-27s',
    description: 'link down from 5 s to 32 s; 8 MB',
    toServer: link,
    toClient: { ...link },
    workload: { type: 'bulk', bytes: 8 << 20 },
    maxTime: 120 * S,
    client: { transport },
    server: { transport },
  };
}

describe('PTO ceiling', () => {
  it('with the default ceiling the transfer survives a 27 s outage, probes spaced at most 3.75 s apart', async () => {
    const server = new MemorySink();
    const r = runScenario(outage(), { ...(await simOptions()), serverQlog: server });
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    const sent = server.events.filter((e) => e.event.name === 'quic:packet_sent' && e.time > DOWN + 0.5 * S && e.time < UP).map((e) => e.time);
    let largest = 0;
    for (let i = 1; i < sent.length; i++) largest = Math.max(largest, sent[i]! - sent[i - 1]!);
    expect(largest).toBeGreaterThan(3 * S);
    expect(largest).toBeLessThanOrEqual(3.75 * S + 2_000);
    // Data flows again within one ceiling of the link's return.
    expect(r.flows[0]!.longestGap.duration).toBeLessThan(UP - DOWN + 4 * S);
  }, 30_000);

  it('without a ceiling (ptoCeilingMs 0) the next probe comes after the idle timeout and the connection dies', async () => {
    const r = runScenario(outage(0), await simOptions());
    expect(r.completed).toBe(false);
    expect(r.flows[0]!.closes.some((c) => c.info.kind === 'idle_timeout')).toBe(true);
  }, 30_000);
});
