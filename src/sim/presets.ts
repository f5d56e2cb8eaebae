/**
 * Scenario presets. The first group reproduces the QUIC interop runner's network scenarios (its
 * ns-3 simulator: default link 10 Mbps, 15 ms one-way delay, 25-packet drop-tail queue, in both
 * directions). The rest use the simulator's topologies and workloads:
 *
 * - rebind-port / rebind-addr: the runner's NAT rebinding cases on the default link, with its
 *   timing (first rebind at 1 s, then every 5 s) during a 10 MB download: the client's public
 *   port (rebind-port) or IP (rebind-addr) changes; connection IDs do not. As in the runner,
 *   earlier public addresses stay bound, so the server's datagrams to them still arrive.
 * - keyupdate: the client starts a key update at 0.5 s and every 2 s during a 5 MB download.
 * - v2: compatible version negotiation from v1 to v2 (RFC 9368, RFC 9369), 1 MB.
 * - twopath / twopath-fail: a multihomed client, path A 10 Mbps / 15 ms, path B 5 Mbps / 40 ms
 *   (25-packet queues); in twopath-fail path B goes down at 1 s and stays down.
 * - dumbbell: two bulk downloads from one server over a shared 10 Mbps / 10 ms bottleneck
 *   (25-packet queue) with 1 ms access links.
 * - handshakes: 50 sequential short connections through handshakeloss's link.
 * - streams, requests, datagrams: small workloads on the default link.
 * - ecn: the default link CE-marks ECT datagrams once 5 are queued; both ends mark ECT(0), so
 *   ECN validates and the senders react to CE before the 25-packet queue overflows.
 * - retry: the server endpoint sends a Retry for every connection-creating Initial.
 * - connectionmigration: the server also owns a preferred address (its IP, port 4433) and
 *   advertises it (RFC 9000 §9.6); the client moves there once the handshake is confirmed.
 * - clientmigration: a multihomed client (path A as the default link, path B 5 Mbps / 40 ms)
 *   moves its connection from path A to path B at 1 s of a 5 MB download (RFC 9000 §9.2):
 *   a new connection ID, path validation, congestion control and RTT afresh (§9.4).
 *
 * Multipath (draft-ietf-quic-multipath-21), both ends: a multihomed client, path A 10 Mbps /
 * 20 ms RTT, path B 10 Mbps / 60 ms RTT (25-packet queues); the client opens path B once the
 * handshake is confirmed.
 *
 * - multipath: the minrtt scheduler over both paths; 10 MB.
 * - multipath-failover: as multipath, and path A goes down for good at 1.5 s; the data moves to
 *   path B at path A's first PTO.
 * - multipath-backup: as multipath-failover, with path B marked backup (PATH_STATUS_BACKUP):
 *   idle until path A goes down at 1.5 s, then carrying the rest.
 * - multipath-redundant: 10% random loss on each path; the redundant scheduler sends every
 *   packet on both; 600 server-sent streams of 1 kB, one at a time.
 *
 * Congestion-control lab (`--compare-cc`): 50 Mbps, 40 ms RTT, byte-limited drop-tail queues.
 *
 * - cc-bdp: one bandwidth-delay product of buffer (250 kB); 30 MB.
 * - cc-deep: four BDPs (1 MB): what a delay-based or model-based controller keeps empty.
 * - cc-dualq: a DualQ coupled AQM (RFC 9332) with the L4S queue marking at 1 ms, for Prague
 *   (ECT(1)) against classic controllers (ECT(0) or not-ECT, PI2 at 15 ms).
 * - cc-shared: two flows over one 20 Mbps, 20 ms RTT bottleneck (one BDP) with 1 ms of access
 *   jitter (which breaks drop-tail phase effects), the second joining at 1 s: fairness. A shorter
 *   RTT than the other presets, because convergence takes probe cycles: BBRv3 needs about 15 s to
 *   reach a Jain index of 0.94 at 50 Mbps and 40 ms.
 *
 * Forward error correction (specs/fec.md): 10 Mbps, 20 ms RTT, 3% random loss both ways; the
 * server sends a 1 kB message on a stream of its own every 10 ms for 30 s.
 *
 * - fec-none: no FEC, the baseline.
 * - fec-rs, fec-xor, fec-rlc: Reed-Solomon 10:2, XOR 10:1, sliding-window RLC 10:2 at both ends.
 * - fec-multipath: the multipath presets' paths, path A with 5% loss carries the data and
 *   path B, marked backup, the repairs (`repairPath: 'backup'`).
 *
 * More of the runner's test cases, on the default link:
 *
 * - resumption: the server issues session tickets; a first connection fetches 5 kB and closes
 *   once it holds a ticket, a second connection resumes with it (TLS PSK, RFC 9001 §4.5) and
 *   fetches another 5 kB (the flow's `resumed` counts it).
 * - zerortt: as resumption, with 0-RTT allowed by the tickets and accepted by the server: the
 *   second connection sends its 2 kB request in 0-RTT packets before its handshake completes
 *   (RFC 9001 §4.6) and the server answers at once (`earlyDataAccepted` counts it).
 * - amplificationlimit: the server's certificate chain is 9 certificates (about 3.3 kB, more
 *   than its 3× budget for the client's 1200-byte Initial allows with the rest of its flight),
 *   and the link drops the client's datagrams 2 to 7 (its ACKs and probes), as in the runner:
 *   the server stays within 3× what it received until the client's Handshake packet validates
 *   the address (RFC 9000 §8.1), then the handshake completes and 5 kB download. The caller
 *   supplies the chain: `simCredentials({ chainLength: 9 })`.
 * - ipv6: the default link between fd00::1 (client) and fd00::2 (server); 1 MB.
 */
import type { LinkConfig, LinkEvent } from './link.js';
import { burstLoss } from './link.js';
import type { Scenario } from './scenario.js';
import type { FecConfig } from '../connection/fec.js';
import type { BulkWorkload, HandshakesWorkload, Workload } from './workload.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';

const MS = 1_000;
const S = 1_000_000;

/** The runner's default link. */
export function defaultLink(over: Partial<LinkConfig> = {}): LinkConfig {
  return { delay: 15 * MS, rate: 10_000_000, queuePackets: 25, ...over };
}

/** Down/up events: `on` µs up, then `off` µs down, repeated until `until`. */
export function onOffEvents(on: number, off: number, until: number): LinkEvent[] {
  const ev: LinkEvent[] = [];
  for (let t = on; t < until; t += on + off) {
    ev.push({ at: t, type: 'down' }, { at: t + off, type: 'up' });
  }
  return ev;
}

function both(name: string, description: string, link: LinkConfig, bytes: number, extra: Partial<Scenario> = {}): Scenario {
  return { name, description, toServer: link, toClient: { ...link }, workload: { type: 'bulk', bytes }, ...extra };
}

function onDefault(name: string, description: string, workload: Workload, extra: Partial<Scenario> = {}): Scenario {
  const link = defaultLink();
  return { name, description, toServer: link, toClient: { ...link }, workload, ...extra };
}

const PRESET_LIST: Scenario[] = [
  both('default', 'interop default link: 10 Mbps, 15 ms one-way, 25-packet queue', defaultLink(), 10 << 20),
  both('transferloss', '2% random loss both ways, 2 MB', defaultLink({ loss: 0.02 }), 2 << 20),
  both('handshakeloss', '30% loss in bursts (mean 3 packets) both ways', defaultLink({ burst: burstLoss(0.3, 3) }), 10 << 10),
  both('transfercorruption', '2% bit-flip corruption both ways, 2 MB', defaultLink({ corrupt: 0.02 }), 2 << 20),
  both('handshakecorruption', '30% bit-flip corruption both ways', defaultLink({ corrupt: 0.3 }), 10 << 10),
  both('blackhole', 'link up 5 s, down 2 s, repeated; 10 MB', defaultLink({ events: onOffEvents(5 * S, 2 * S, 600 * S) }), 10 << 20, {
    maxTime: 600 * S,
  }),
  both('longrtt', '750 ms one-way delay', defaultLink({ delay: 750 * MS }), 10 << 10),
  both('rebind-port', 'default link; a NAT gives the client a new port at 1 s, then every 5 s; 10 MB', defaultLink(), 10 << 20, {
    events: [{ at: 1 * S, type: 'rebind-port', every: 5 * S }],
  }),
  both('rebind-addr', 'default link; a NAT gives the client a new IP at 1 s, then every 5 s; 10 MB', defaultLink(), 10 << 20, {
    events: [{ at: 1 * S, type: 'rebind-addr', every: 5 * S }],
  }),
  both('keyupdate', 'default link; the client starts a 1-RTT key update at 0.5 s, then every 2 s; 5 MB', defaultLink(), 5 << 20, {
    events: [{ at: 0.5 * S, type: 'key-update', every: 2 * S }],
  }),
  both('v2', 'default link; the client starts in v1 offering v2, the server prefers v2 (compatible negotiation); 1 MB', defaultLink(), 1 << 20, {
    client: { versions: [QUIC_V1, QUIC_V2] },
    server: { versions: [QUIC_V2, QUIC_V1] },
  }),
  {
    name: 'twopath',
    description: 'multihomed client: path A 10 Mbps / 15 ms, path B 5 Mbps / 40 ms; 10 MB',
    topology: {
      type: 'multihomed',
      paths: [
        { name: 'A', toServer: defaultLink() },
        { name: 'B', toServer: defaultLink({ rate: 5_000_000, delay: 40 * MS }) },
      ],
    },
    workload: { type: 'bulk', bytes: 10 << 20 },
  },
  {
    name: 'twopath-fail',
    description: 'twopath, and path B goes down at 1 s; 10 MB',
    topology: {
      type: 'multihomed',
      paths: [
        { name: 'A', toServer: defaultLink() },
        { name: 'B', toServer: defaultLink({ rate: 5_000_000, delay: 40 * MS, events: [{ at: 1 * S, type: 'down' }] }) },
      ],
    },
    workload: { type: 'bulk', bytes: 10 << 20 },
  },
  {
    name: 'dumbbell',
    description: 'two bulk downloads sharing a 10 Mbps / 10 ms bottleneck (25-packet queue), 1 ms access links; 10 MB each',
    topology: { type: 'dumbbell', clients: 2, servers: 1, bottleneck: { toServer: defaultLink({ delay: 10 * MS }) }, access: { toServer: { delay: 1 * MS } } },
    workload: { type: 'bulk', bytes: 10 << 20 },
    flows: [{ name: 'flow0' }, { name: 'flow1' }],
  },
  {
    ...both('handshakes', '50 sequential connections (handshake + 32-byte exchange) through handshakeloss\'s link', defaultLink({ burst: burstLoss(0.3, 3) }), 0),
    workload: { type: 'handshakes', count: 50 },
    maxTime: 3000 * S,
  },
  onDefault('streams', '200 server-sent streams of 10 kB, 10 at a time', { type: 'streams', count: 200, size: 10_000, concurrency: 10 }),
  onDefault('requests', '100 requests of 200 B for 20 kB responses, one every 20 ms', { type: 'requests', count: 100, requestSize: 200, responseSize: 20_000, interval: 20 * MS }),
  onDefault('datagrams', '500 server-sent 1000-byte DATAGRAM frames, one every 2 ms', { type: 'datagrams', count: 500, size: 1000, interval: 2 * MS }, {
    client: { transport: { maxDatagramFrameSize: 1200 } },
    server: { transport: { maxDatagramFrameSize: 1200 } },
  }),
  // ECN and address validation.
  both('ecn', 'default link marking CE above 5 queued packets; both ends send ECT(0) (RFC 9000 §13.4, RFC 9002 §7.1); 2 MB', defaultLink({ ecnThreshold: 5 }), 2 << 20, {
    client: { transport: { ecn: true } },
    server: { transport: { ecn: true } },
  }),
  both('retry', 'default link; the server answers every new connection with a Retry (RFC 9000 §8.1.2); 1 MB', defaultLink(), 1 << 20, { server: { retry: 'always' } }),
  // Connection migration (RFC 9000 §9).
  both('connectionmigration', "default link; the server offers a preferred address (RFC 9000 §9.6), the client moves there after the handshake; 2 MB", defaultLink(), 2 << 20, {
    server: { preferredAddress: { host: '10.0.0.2', port: 4433 } },
  }),
  {
    name: 'clientmigration',
    description: 'multihomed client: path A 10 Mbps / 15 ms, path B 5 Mbps / 40 ms; the client moves from A to B at 1 s (RFC 9000 §9.2); 5 MB',
    topology: {
      type: 'multihomed',
      paths: [
        { name: 'A', toServer: defaultLink() },
        { name: 'B', toServer: defaultLink({ rate: 5_000_000, delay: 40 * MS }) },
      ],
    },
    workload: { type: 'bulk', bytes: 5 << 20 },
    events: [{ at: 1 * S, type: 'migrate' }],
  },
  // The runner's resumption, 0-RTT, amplification limit and IPv6 cases.
  onDefault('resumption', 'default link; the server issues session tickets; 5 kB on a first connection, then 5 kB on a second that resumes it (RFC 9001 §4.5)', resumption(false), {
    server: { sessionTickets: true },
  }),
  onDefault('zerortt', 'default link; as resumption, and the second connection sends its request in 0-RTT, which the server accepts (RFC 9001 §4.6)', resumption(true), {
    client: { earlyData: true },
    server: { sessionTickets: true, earlyData: true },
  }),
  both('amplificationlimit', "default link dropping the client's datagrams 2-7; a 9-certificate server chain; the server keeps to 3× until the client's address is validated (RFC 9000 §8.1); 5 kB", defaultLink(), 5 << 10, {
    toServer: defaultLink({ dropList: [1, 2, 3, 4, 5, 6] }),
    server: { certChainLength: 9 },
  }),
  both('ipv6', 'default link between IPv6 hosts fd00::1 and fd00::2; 1 MB', defaultLink(), 1 << 20, { addressFamily: 'ipv6' }),
  // Multipath (draft-ietf-quic-multipath-21).
  multipath('multipath', 'multipath: path A 10 Mbps / 20 ms RTT, path B 10 Mbps / 60 ms RTT, minrtt scheduler; 10 MB', mpPaths(), { type: 'bulk', bytes: 10 << 20 }, 'minrtt'),
  multipath(
    'multipath-failover',
    'multipath, and path A goes down for good at 1.5 s; 10 MB',
    mpPaths({ events: [{ at: 1.5 * S, type: 'down' }] }),
    { type: 'bulk', bytes: 10 << 20 },
    'minrtt',
  ),
  multipath(
    'multipath-backup',
    'multipath with path B marked backup (PATH_STATUS_BACKUP); path A goes down for good at 1.5 s; 10 MB',
    mpPaths({ events: [{ at: 1.5 * S, type: 'down' }] }),
    { type: 'bulk', bytes: 10 << 20 },
    'minrtt',
    [1],
  ),
  multipath(
    'multipath-redundant',
    'multipath with 10% random loss on each path; the redundant scheduler sends on both; 600 server-sent streams of 1 kB, one at a time',
    mpPaths({ loss: 0.1 }, { loss: 0.1 }),
    { type: 'streams', count: 600, size: 1000, concurrency: 1, direction: 'download' },
    'redundant',
  ),
  // Congestion-control lab: 50 Mbps, 40 ms RTT (`tquic sim cc-bdp --compare-cc cubic,bbr3,prague`).
  both('cc-bdp', 'CC lab: 50 Mbps, 20 ms one-way, one BDP of buffer (250 kB) both ways; 30 MB', ccLink(250_000), 30 << 20),
  both('cc-deep', 'CC lab: 50 Mbps, 20 ms one-way, four BDPs of buffer (1 MB) both ways; 30 MB', ccLink(1_000_000), 30 << 20),
  both('cc-dualq', 'CC lab: 50 Mbps, 20 ms one-way, a DualQ coupled AQM (RFC 9332: L4S step marking at 1 ms, classic PI2 at 15 ms) both ways; 30 MB', { ...ccLink(1_000_000), aqm: { type: 'dualq' } }, 30 << 20),
  {
    name: 'cc-shared',
    description: 'CC lab: two downloads sharing a 20 Mbps bottleneck (9 ms one-way, one BDP of buffer, 50 kB; 1 ms access links with up to 1 ms of jitter, 20 ms RTT); 20 MB each, the second starting at 1 s',
    topology: { type: 'dumbbell', clients: 2, servers: 1, bottleneck: { toServer: { delay: 9 * MS, rate: 20_000_000, queueBytes: 50_000 } }, access: { toServer: { delay: 1 * MS, jitter: 1 * MS } } },
    workload: { type: 'bulk', bytes: 20 << 20 },
    flows: [{ name: 'flow0' }, { name: 'flow1', start: 1 * S }],
  },
  // Forward error correction (specs/fec.md).
  fecMessages('fec-none', 'FEC baseline: 10 Mbps, 20 ms RTT, 3% random loss; a 1 kB message every 10 ms for 30 s, no FEC', undefined),
  fecMessages('fec-rs', "fec-none's link and messages with Reed-Solomon FEC, 10:2", { scheme: 'rs', ratio: '10:2' }),
  fecMessages('fec-xor', "fec-none's link and messages with XOR FEC, 10:1", { scheme: 'xor', ratio: '10:1' }),
  fecMessages('fec-rlc', "fec-none's link and messages with sliding-window RLC FEC, 10:2", { scheme: 'rlc', ratio: '10:2' }),
  {
    name: 'fec-multipath',
    description: 'multipath: path A 10 Mbps / 20 ms RTT with 5% loss carries the data, path B (backup, clean) the Reed-Solomon 10:2 repairs; a 1 kB message every 10 ms for 10 s',
    topology: mpPaths({ loss: 0.05 }),
    workload: { type: 'streams', count: 1000, size: 1000, interval: 10 * MS, direction: 'download' },
    client: { multipath: { scheduler: 'minrtt', backup: [1] }, fec: { scheme: 'rs', ratio: '10:2', repairPath: 'backup' } },
    server: { multipath: { scheduler: 'minrtt' }, fec: { scheme: 'rs', ratio: '10:2', repairPath: 'backup' } },
  },
];

/**
 * The multipath presets' network: path A 10 Mbps / 10 ms one-way, path B 10 Mbps / 30 ms
 * one-way, both with the default 25-packet queues; `a` and `b` add to each path's links.
 */
export function mpPaths(a: Partial<LinkConfig> = {}, b: Partial<LinkConfig> = {}): Scenario['topology'] {
  return {
    type: 'multihomed',
    paths: [
      { name: 'A', toServer: defaultLink({ delay: 10 * MS, ...a }) },
      { name: 'B', toServer: defaultLink({ delay: 30 * MS, ...b }) },
    ],
  };
}

/** A multipath scenario: both ends negotiate multipath with `scheduler`; the client may mark paths backup. */
function multipath(name: string, description: string, topology: Scenario['topology'], workload: Workload, scheduler: string, backup?: number[]): Scenario {
  return {
    name,
    description,
    topology,
    workload,
    client: { multipath: { scheduler, ...(backup ? { backup } : {}) } },
    server: { multipath: { scheduler } },
  };
}

/**
 * The FEC presets' network and workload (issue: real-time messages over a lossy path): 10 Mbps,
 * 10 ms one-way, 3% random loss both ways; the server sends a 1 kB message on a stream of its
 * own every 10 ms for 30 s. `fec` applies to both ends (undefined: no FEC, the baseline).
 */
function fecMessages(name: string, description: string, fec: FecConfig | undefined): Scenario {
  const link = defaultLink({ delay: 10 * MS, loss: 0.03 });
  return {
    name,
    description,
    toServer: link,
    toClient: { ...link },
    workload: { type: 'streams', count: 3000, size: 1000, interval: 10 * MS, direction: 'download' },
    ...(fec ? { client: { fec }, server: { fec } } : {}),
  };
}

/** The CC lab's link: 50 Mbps, `delay` one-way (default 20 ms), a byte-limited drop-tail queue. */
function ccLink(queueBytes: number, delay = 20 * MS): LinkConfig {
  return { delay, rate: 50_000_000, queueBytes };
}

/** Two sequential connections, the second resuming the first's session (with 0-RTT: `early`). */
function resumption(early: boolean): HandshakesWorkload {
  return { type: 'handshakes', count: 2, requestSize: early ? 2000 : 32, responseSize: 5 << 10, awaitSession: true, ...(early ? { earlyData: true } : {}) };
}

/** The preset scenarios by name. Shared objects: use `preset(name)` for a copy to modify. */
export const PRESETS: ReadonlyMap<string, Scenario> = new Map(PRESET_LIST.map((s) => [s.name, s]));

/** The preset names, in listing order. */
export const PRESET_NAMES: readonly string[] = PRESET_LIST.map((s) => s.name);

function override(w: Workload, over: { bytes?: number; direction?: 'download' | 'upload' }): void {
  if (w.type === 'bulk' && over.bytes !== undefined) w.bytes = over.bytes;
  if ((w.type === 'bulk' || w.type === 'streams' || w.type === 'datagrams') && over.direction !== undefined) w.direction = over.direction;
}

/** Presets whose `workload` is a bulk transfer. */
export type BulkPresetName =
  | 'default'
  | 'transferloss'
  | 'handshakeloss'
  | 'transfercorruption'
  | 'handshakecorruption'
  | 'blackhole'
  | 'longrtt'
  | 'rebind-port'
  | 'rebind-addr'
  | 'twopath'
  | 'twopath-fail'
  | 'dumbbell'
  | 'ecn'
  | 'retry'
  | 'connectionmigration'
  | 'clientmigration'
  | 'amplificationlimit'
  | 'ipv6'
  | 'multipath'
  | 'multipath-failover'
  | 'multipath-backup'
  | 'cc-bdp'
  | 'cc-deep'
  | 'cc-dualq'
  | 'cc-shared';

/** A scenario whose `workload` is a bulk transfer. */
export type BulkScenario = Scenario & { workload: BulkWorkload };

/**
 * Changes `preset` applies to its copy of a preset: the scenario's `seed`, the size in bytes of
 * every bulk workload (`bytes`), and the `direction` of every bulk, streams and datagrams
 * workload, including the per-flow ones.
 */
export interface PresetOverrides {
  seed?: number;
  bytes?: number;
  direction?: 'download' | 'upload';
}

/**
 * A fresh copy of a preset (safe to modify), with optional overrides: `bytes` sets the size of
 * every bulk workload, `direction` the direction of every workload that has one.
 */
export function preset(name: BulkPresetName, over?: PresetOverrides): BulkScenario;
export function preset(name: string, over?: PresetOverrides): Scenario;
export function preset(name: string, over: PresetOverrides = {}): Scenario {
  const p = PRESETS.get(name);
  if (!p) throw new RangeError(`unknown preset ${name}; one of ${PRESET_NAMES.join(', ')}`);
  const s = JSON.parse(JSON.stringify(p)) as Scenario;
  if (over.seed !== undefined) s.seed = over.seed;
  override(s.workload, over);
  for (const f of s.flows ?? []) if (f.workload) override(f.workload, over);
  return s;
}

/** A one-line summary of a scenario's topology and workloads (for listings). */
export function describeScenario(s: Scenario): string {
  const w = (x: Workload): string => {
    switch (x.type) {
      case 'bulk':
        return `bulk ${x.bytes} bytes ${x.direction ?? 'download'}`;
      case 'streams':
        return `streams ${x.count}×${x.size} bytes ${x.direction ?? 'download'}`;
      case 'requests':
        return `requests ${x.count}×(${x.requestSize}→${x.responseSize} bytes)`;
      case 'datagrams':
        return `datagrams ${x.count}×${x.size} bytes ${x.direction ?? 'download'}`;
      case 'handshakes':
        return `handshakes ${x.count}${x.earlyData ? ' 0-RTT' : x.awaitSession ? ' resuming' : ''}`;
    }
  };
  const flows = s.flows && s.flows.length > 0 ? s.flows.map((f) => w(f.workload ?? s.workload)) : [w(s.workload)];
  const topo = s.topology?.type ?? 'point-to-point';
  const uniq = [...new Set(flows)];
  return `${topo}; ${flows.length > 1 ? `${flows.length} flows: ` : ''}${uniq.join(', ')}${s.events?.length ? `; ${s.events.map((e) => e.type).join(', ')}` : ''}`;
}
