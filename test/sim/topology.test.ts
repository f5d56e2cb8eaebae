import { describe, expect, it } from 'vitest';
import { Endpoint } from '../../src/endpoint/endpoint.js';
import { addressKey, type SocketAddress } from '../../src/util/datagram.js';
import {
  defaultLink,
  layoutTopology,
  Network,
  preset,
  runScenario,
  LEFT_ROUTER,
  type Host,
  type RunOptions,
  type Scenario,
  type Topology,
} from '../../src/sim/index.js';
import { simOptions } from '../support/sim.js';

const options = simOptions;

interface Seen {
  host: string;
  from: string;
  to: string;
  at: number;
}

/** A network laid out from a topology, with bare endpoints (no connections) and a delivery log. */
function build(topology: Topology, flows = 1): { net: Network; hosts: Map<string, Host>; seen: Seen[] } {
  const seen: Seen[] = [];
  const net = new Network({ seed: 1, trace: true, onDeliver: (h, d, at) => void seen.push({ host: h.name, from: addressKey(d.from), to: addressKey(d.to), at }) });
  const layout = layoutTopology(topology, flows, {});
  const hosts = new Map<string, Host>();
  for (const h of [...layout.servers, ...layout.clients]) hosts.set(h.name, net.addHost(h.name, new Endpoint({ local: h.addresses[0]! }), undefined, h.addresses.slice(1)));
  for (const r of layout.routers) net.addRouter(r.name, r.ip);
  for (const l of layout.links) net.addLink(l.from, l.to, l.config, l.name);
  for (const r of layout.routes) net.addRoute(r.at, r.dest, r.via);
  return { net, hosts, seen };
}

function sendAt(net: Network, at: number, from: SocketAddress, to: SocketAddress, size = 1200): void {
  net.engine.schedule(at, () => net.send({ data: new Uint8Array(size), from, to }));
}

describe('topologies', () => {
  it('dumbbell: both clients reach the server through the bottleneck, and replies come back the same way', () => {
    const { net, hosts, seen } = build(
      { type: 'dumbbell', clients: 2, servers: 1, bottleneck: { toServer: { delay: 10_000, rate: 10_000_000 } }, access: { toServer: { delay: 1_000 } } },
      2,
    );
    const c0 = hosts.get('client0')!.addresses[0]!;
    const c1 = hosts.get('client1')!.addresses[0]!;
    const s0 = hosts.get('server0')!.addresses[0]!;
    sendAt(net, 0, c0, s0);
    sendAt(net, 0, c1, s0);
    sendAt(net, 50_000, s0, c1);
    sendAt(net, 60_000, c0, c1); // client to client: turns at the left router
    sendAt(net, 70_000, c0, { host: '10.9.9.9', port: 1 }); // nowhere: loops between the routers until cut
    net.engine.runUntil(() => false);
    const n = (name: string) => net.linksByName.get(name)!.counters;
    // Access 1 ms + bottleneck 10 ms + 0.96 ms serialisation + access 1 ms; the second waits behind the first.
    expect(seen.filter((s) => s.host === 'server0').map((s) => [s.from, s.at])).toEqual([
      [addressKey(c0), 12_960],
      [addressKey(c1), 13_920],
    ]);
    expect(n('client0.toServer').sent).toBe(1 + 1 + 1);
    expect(n('client1.toServer').sent).toBe(1);
    expect(n('server0.toServer').sent).toBe(2);
    expect(n('bottleneck.toServer').delivered).toBeGreaterThanOrEqual(2);
    expect(n('bottleneck.toServer').maxQueuePackets).toBe(2);
    // The reply to client 1 crosses the reverse bottleneck and client 1's access link only.
    // Server access 1 ms + bottleneck 10 ms + 0.96 ms + access 1 ms; client to client 1 ms + 1 ms.
    expect(seen.filter((s) => s.host === 'client1').map((s) => [s.from, s.at])).toEqual([
      [addressKey(c0), 62_000],
      [addressKey(s0), 62_960],
    ]);
    expect(n('bottleneck.toClient').sent).toBeGreaterThanOrEqual(1);
    expect(n('client0.toClient').sent).toBe(0);
    expect(n('client1.toClient').sent).toBe(2);
    expect(net.unroutable).toBe(1);
    expect(net.routers.get(LEFT_ROUTER)).toBe('left');
  });

  it('multihomed: each client address has its own disjoint pair of links, and every address is reachable', () => {
    const { net, hosts, seen } = build({
      type: 'multihomed',
      paths: [
        { name: 'A', toServer: { delay: 5_000 } },
        { name: 'B', toServer: { delay: 20_000 }, toClient: { delay: 30_000 } },
      ],
    });
    const client = hosts.get('client')!;
    const [a, b] = client.addresses as [SocketAddress, SocketAddress];
    const s = hosts.get('server')!.addresses[0]!;
    expect(addressKey(a)).toBe('10.0.0.1:50000');
    expect(addressKey(b)).toBe('10.0.1.1:50000');
    sendAt(net, 0, a, s);
    sendAt(net, 0, b, s);
    sendAt(net, 100_000, s, b);
    sendAt(net, 100_000, s, a);
    net.engine.runUntil(() => false);
    expect(seen.map((x) => [x.host, x.from, x.to, x.at])).toEqual([
      ['server', addressKey(a), addressKey(s), 5_000],
      ['server', addressKey(b), addressKey(s), 20_000],
      ['client', addressKey(s), addressKey(a), 105_000],
      ['client', addressKey(s), addressKey(b), 130_000],
    ]);
    for (const p of ['A', 'B']) {
      expect(net.linksByName.get(`${p}.toServer`)!.counters.sent).toBe(1);
      expect(net.linksByName.get(`${p}.toClient`)!.counters.sent).toBe(1);
    }
    expect(client.node.received).toBe(2);
    expect(net.unroutable).toBe(0);
  });

  it('a NAT rewrites the source on the way out and the destination on the way back; rebinding moves the public address', () => {
    const { net, hosts, seen } = build({ type: 'point-to-point', toServer: { delay: 1_000 } });
    const client = hosts.get('client')!;
    const inside = client.addresses[0]!;
    const s = hosts.get('server')!.addresses[0]!;
    const nat = net.addNat(client);
    const p0 = nat.public;
    expect(p0.host).not.toBe(inside.host);
    sendAt(net, 0, inside, s);
    sendAt(net, 10_000, s, p0);
    let p1: SocketAddress | undefined;
    let p2: SocketAddress | undefined;
    net.engine.schedule(20_000, () => void (p1 = net.rebind(nat, 'port', false))); // forget p0
    net.engine.schedule(21_000, () => net.send({ data: new Uint8Array(100), from: inside, to: s }));
    net.engine.schedule(30_000, () => net.send({ data: new Uint8Array(100), from: s, to: p0 })); // stale binding
    net.engine.schedule(31_000, () => net.send({ data: new Uint8Array(100), from: s, to: p1! }));
    net.engine.schedule(40_000, () => void (p2 = net.rebind(nat, 'addr'))); // keep p1
    net.engine.schedule(41_000, () => net.send({ data: new Uint8Array(100), from: inside, to: s }));
    net.engine.schedule(50_000, () => net.send({ data: new Uint8Array(100), from: s, to: p2! }));
    net.engine.schedule(51_000, () => net.send({ data: new Uint8Array(100), from: s, to: p1! })); // old, still bound
    net.engine.runUntil(() => false);
    expect(p1!.host).toBe(p0.host);
    expect(p1!.port).not.toBe(p0.port);
    expect(p2!.host).not.toBe(p0.host);
    expect(p2!.port).toBe(p1!.port);
    expect(seen.map((x) => [x.host, x.from, x.to, x.at])).toEqual([
      ['server', addressKey(p0), addressKey(s), 1_000],
      ['client', addressKey(s), addressKey(inside), 11_000],
      ['server', addressKey(p1!), addressKey(s), 22_000],
      ['client', addressKey(s), addressKey(inside), 32_000],
      ['server', addressKey(p2!), addressKey(s), 42_000],
      ['client', addressKey(s), addressKey(inside), 51_000],
      ['client', addressKey(s), addressKey(inside), 52_000],
    ]);
    expect(nat.counters).toEqual({ rebinds: 2, outbound: 3, inbound: 4, inboundOld: 1, droppedStale: 1 });
    expect(nat.history).toEqual([p0, p1, p2]);
    expect(net.observed.get('client>server')).toEqual(
      new Map([
        [addressKey(p0), 1],
        [addressKey(p1!), 1],
        [addressKey(p2!), 1],
      ]),
    );
    expect(net.unroutable).toBe(0);
  });

  for (const type of ['rebind-port', 'rebind-addr'] as const) {
    it(`${type} during a download: the server sees the connection's packets (same connection ID) from a new address`, async () => {
      const dcidsFrom = new Map<string, Set<string>>();
      const s: Scenario = {
        name: type,
        toServer: defaultLink(),
        toClient: defaultLink(),
        workload: { type: 'bulk', bytes: 400_000 },
        events: [{ at: 150_000, type }],
      };
      const r = runScenario(s, {
        ...(await options()),
        onDeliver: (host, d) => {
          if (host !== 'server' || (d.data[0]! & 0x80) !== 0) return; // short headers only
          const k = addressKey(d.from);
          if (!dcidsFrom.has(k)) dcidsFrom.set(k, new Set());
          dcidsFrom.get(k)!.add(Buffer.from(d.data.subarray(1, 9)).toString('hex'));
        },
      });
      const nat = r.nats[0]!;
      expect(nat.rebinds).toBe(1);
      expect(nat.public).toHaveLength(2);
      expect(r.flows[0]!.serverSaw).toEqual(nat.public);
      const [before, after] = nat.public.map((a) => dcidsFrom.get(a)!);
      expect(before!.size).toBeGreaterThan(0);
      expect(after!.size).toBeGreaterThan(0);
      expect([...after!].some((c) => before!.has(c))).toBe(true);
      expect(r.flows[0]!.handshakes.attempted).toBe(1);
      // The transfer survives the rebinding (server-side migration).
      expect(r.completed).toBe(true);
      expect(r.dataIntact).toBe(true);
    }, 10_000);
  }

  it('dumbbell preset: two bulk flows share the bottleneck; both complete, within its rate, and neither starves', async () => {
    const r = runScenario(preset('dumbbell', { bytes: 500_000 }), await options());
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    expect(r.flows.map((f) => [f.clientHost, f.serverHost, f.bytes])).toEqual([
      ['client0', 'server0', 500_000],
      ['client1', 'server0', 500_000],
    ]);
    expect(r.flows.map((f) => f.serverSaw)).toEqual([['10.1.0.1:50000'], ['10.1.0.2:50000']]);
    const sh = r.shared!;
    expect(sh.from).toBe(0);
    expect(sh.goodput).toHaveLength(2);
    expect(sh.total).toBeLessThanOrEqual(10_000_000);
    expect(sh.total).toBeGreaterThan(5_000_000);
    for (const g of sh.goodput) expect(g).toBeGreaterThanOrEqual(0.2 * sh.total);
    for (const f of r.flows) expect(f.goodput).toBeLessThanOrEqual(10_000_000);
    // What crossed the bottleneck went on to one of the two clients (a few may still be in flight when the run stops).
    const c = r.linkCounters;
    expect(r.links.toClient).toEqual(c['bottleneck.toClient']);
    const down = c['client0.toClient']!.sent + c['client1.toClient']!.sent;
    expect(down).toBeLessThanOrEqual(c['bottleneck.toClient']!.delivered);
    expect(down).toBeGreaterThanOrEqual(c['bottleneck.toClient']!.delivered - 5);
    expect(c['client0.toClient']!.bytesDelivered).toBeGreaterThan(500_000);
    expect(c['client1.toClient']!.bytesDelivered).toBeGreaterThan(500_000);
    const up = c['client0.toServer']!.sent + c['client1.toServer']!.sent;
    expect(c['bottleneck.toServer']!.sent).toBeLessThanOrEqual(up);
    expect(c['bottleneck.toServer']!.sent).toBeGreaterThanOrEqual(up - 5);
    expect(r.unroutable).toBe(0);
  }, 10_000);

  it('multihomed run: the connection uses the first path; every path has its own counters', async () => {
    const r = runScenario(preset('twopath', { bytes: 200_000 }), await options());
    expect(r.completed).toBe(true);
    expect(r.paths.map((p) => [p.name, p.client])).toEqual([
      ['A', '10.0.0.1:50000'],
      ['B', '10.0.1.1:50000'],
    ]);
    expect(r.paths[0]!.toClient.bytesDelivered).toBeGreaterThan(200_000);
    expect(r.paths[1]!.toServer.sent + r.paths[1]!.toClient.sent).toBe(0);
    expect(r.links.toServer).toEqual(r.paths[0]!.toServer);
  }, 10_000);
});
