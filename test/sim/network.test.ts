import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials } from '../../src/crypto/tls/certificates.js';
import { Network, defaultLink, preset, runScenario, type Scenario } from '../../src/sim/index.js';
import { Endpoint } from '../../src/endpoint/endpoint.js';

describe('network', () => {
  it('routes by address, counts unroutable datagrams, applies scheduled link events', () => {
    const net = new Network({ seed: 1, trace: true });
    const a = net.addHost('a', new Endpoint({ local: { host: '10.0.0.1', port: 1 } }));
    const b = net.addHost('b', new Endpoint({ local: { host: '10.0.0.2', port: 2 } }));
    const { forward } = net.connect(a, b, { delay: 1000, events: [{ at: 5000, type: 'down' }, { at: 9000, type: 'up' }] });
    const send = (at: number, to = b.addresses[0]!): void => {
      net.engine.schedule(at, () => net.send({ data: new Uint8Array(1200), from: a.addresses[0]!, to }));
    };
    send(0);
    send(6000); // link down
    send(10_000);
    send(11_000, { host: '10.0.0.2', port: 99 }); // no host at that port
    send(12_000, { host: '10.0.0.3', port: 2 }); // no link
    net.engine.runUntil(() => false);
    expect(net.trace.map((t) => t.at)).toEqual([1000, 11_000]);
    expect(forward.counters.dropped.down).toBe(1);
    expect(b.node.received).toBe(2);
    expect(net.unroutable).toBe(2);
  });

  it('a transfer stalls during a 2 s outage and resumes after it', async () => {
    const c = await generateDevCertificate({ keyType: 'ed25519' });
    const events = [
      { at: 500_000, type: 'down' as const },
      { at: 2_500_000, type: 'up' as const },
    ];
    const s: Scenario = { ...preset('blackhole', { bytes: 2 << 20 }), toServer: defaultLink({ events }), toClient: defaultLink({ events }) };
    const r = runScenario(s, { provider: getProvider('node'), credentials: loadCredentials(c.certPem, c.keyPem) });
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    expect(r.bytes).toBe(2 << 20);
    expect(r.links.toClient.dropped.down + r.links.toServer.dropped.down).toBeGreaterThan(0);
    expect(r.completionTime).toBeGreaterThan(2_500_000);
  }, 10_000);
});
