/**
 * Scenarios as plain data (JSON-compatible: numbers, strings, arrays, objects) and the runner
 * that plays one: a topology of hosts, routers and one-way links (topology.ts), one or more
 * flows — each a client connection (or a series of them) with its own workload and start time
 * (workload.ts) — scheduled network events such as NAT rebinding, and the results per flow,
 * per link and in total.
 *
 * The simplest scenario is the point-to-point one: `toServer` / `toClient` links and one
 * `workload`. `workload` is also the default of every flow that does not name its own.
 *
 * Determinism: every random choice in the network and the endpoints comes from `seed`, and the
 * crypto provider's `randomBytes` is replaced by a seeded generator inside the simulation (TLS
 * randoms, tokens, ephemeral key pairs). With an Ed25519 certificate (deterministic signatures)
 * the same seed gives byte-identical packets and qlog. ECDSA signatures made by the node provider
 * use a random nonce and vary in DER length by a byte or two, which can shift timings.
 */
import { addressKey, type Datagram, type SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Duration, Instant } from '../util/time.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { withoutChecksum } from './null-protection.js';
import type { TlsCredentials } from '../crypto/tls/certificates.js';
import type { ConnectionConfig, TransportSettings } from '../connection/config.js';
import type { Connection, ConnectionStats } from '../connection/connection.js';
import type { CloseInfo } from '../connection/types.js';
import type { MultipathConfig } from '../connection/multipath.js';
import type { FecConfig } from '../connection/fec.js';
import type { QlogSink } from '../qlog/index.js';
import { MemorySink, teeSinks } from '../qlog/memory.js';
import { toHex } from '../util/bytes.js';
import { checkConnection, type Violation } from './checker.js';
import { Endpoint } from '../endpoint/endpoint.js';
import type { RetryMode } from '../endpoint/retry.js';
import { Network, type Host, type Nat, type NatCounters } from './network.js';
import type { LinkConfig, LinkCounters } from './link.js';
import { layoutTopology, type AddressFamily, type Topology } from './topology.js';
import { validateWorkload, type Percentiles, type Workload } from './workload.js';
import { type FlowConn, type FlowContext, type FlowDriver, type HandshakeStats, type MessageStats } from './workload-driver.js';
import { createDriver } from './workload-drivers.js';

export { CLIENT_ADDRESS, CLIENT_ADDRESS_V6, SERVER_ADDRESS, SERVER_ADDRESS_V6 } from './topology.js';
export { payloadByte } from './workload.js';
export type { BulkWorkload, Workload } from './workload.js';

/** Transport settings a scenario may set (e.g. `maxDatagramFrameSize`: RFC 9221, 0 = off). */
export type SimTransportSettings = Partial<TransportSettings>;

/** One flow: a client connection (or, for `handshakes`, a series) with its workload. */
export interface FlowSpec {
  /** Default `flow<i>`. */
  name?: string;
  /** Default: the scenario's `workload`. */
  workload?: Workload;
  /** When the flow starts (µs, default 0). */
  start?: Duration;
  /** Client host index (dumbbell default: the flow's index; otherwise 0, the only client). */
  client?: number;
  /**
   * The congestion controller of this flow's connections, both ends (a registered name, e.g.
   * 'cubic', 'bbr3', 'prague'); default the scenario's transport setting. Installed on the
   * server connection when the flow's client is matched to it, before any application data.
   */
  congestionControl?: string;
}

/**
 * A scheduled change of the network. `rebind-port` / `rebind-addr`: the NAT in front of client
 * host `client` (default 0) gives it a new public port / a new public IP (same port), first at
 * `at` and then every `every` µs if set. Any rebind event puts a NAT in front of that client
 * from the start; the client endpoint never learns its public address. `oldBinding`: 'keep'
 * (default, the interop runner's model) still delivers datagrams sent to an earlier public
 * address; 'drop' forgets it, so until the client sends again nothing reaches it.
 */
export interface NetworkEvent {
  at: Instant;
  /**
   * 'rebind-port' / 'rebind-addr': a NAT in front of client host `client` changes its public
   * port or IP. 'key-update': every active connection starts a 1-RTT key update (RFC 9001 §6)
   * on `side` (default the client), retried every 10 ms until permitted.
   */
  type: 'rebind-port' | 'rebind-addr' | 'key-update' | 'migrate';
  client?: number;
  /**
   * migrate: the client connections of client host `client` move to this local address (RFC
   * 9000 §9.2), retried every 10 ms until permitted. Default: the host's second address (a
   * multihomed client's path 1), else its first address with the port plus one. The host gets
   * the address if it does not have it.
   */
  address?: SocketAddress;
  every?: Duration;
  oldBinding?: 'keep' | 'drop';
  /**
   * rebind-port / rebind-addr: the first rebinding waits, in 10 ms steps from `at`, until every
   * open connection of the client host has confirmed its handshake (a rebinding mid-transfer
   * rather than mid-handshake, where RFC 9000 §9 lets the server drop the packets from the new
   * address); `every` counts from when it happened. Default false.
   */
  afterHandshake?: boolean;
  /** key-update: which end starts it. */
  side?: 'client' | 'server';
}

/**
 * Multipath (draft-ietf-quic-multipath-21) of a scenario's connections: the connection options
 * (maxPathId, scheduler) and, for clients, `openPaths`: once multipath is usable (the handshake
 * confirmed), open a path from each other address of the client host ('all', the default: the
 * 'all-addresses' path manager, given those addresses as `localAddresses`), or none ('none':
 * the 'passive' path manager). `backup`: path indices (the host's address order; 0 is the
 * handshake path) marked backup (PATH_STATUS_BACKUP) as soon as they are open (the
 * 'all-addresses' option of the same name).
 * `pathManager` / `pathManagerOptions`: a registered path manager (connection/path-manager.ts)
 * and its options instead of that mapping (for a server too; a server's default is 'passive').
 * Clients' managers get the host's other addresses as `localAddresses` either way.
 */
export interface SimMultipath {
  maxPathId?: number;
  scheduler?: string;
  schedulerOptions?: Record<string, unknown>;
  abandonAfterPtos?: number;
  openPaths?: 'all' | 'none';
  backup?: number[];
  pathManager?: string;
  pathManagerOptions?: Record<string, unknown>;
}

/** Versions of a scenario's connections (RFC 9368, RFC 9369): the client's first and offered ones, the server's accepted ones. */
export interface SimVersions {
  version?: number;
  versions?: number[];
}

/**
 * A simulation as plain data (JSON-serialisable, so `tquic sim file.json` replays it): the
 * network (point-to-point links or a topology, with impairments and scheduled link events), the
 * workload of one or more flows, network events (NAT rebinding, migration, key updates), the
 * seed, a time limit, and the client's and server's options. `sim/build.ts` builds one in human
 * units; times here are µs, rates bit/s.
 */
export interface Scenario {
  name: string;
  description?: string;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Point-to-point client → server link (required for that topology unless it gives its own). */
  toServer?: LinkConfig;
  /** Point-to-point server → client link (default: like toServer). */
  toClient?: LinkConfig;
  /** Default: point-to-point over `toServer` / `toClient`. */
  topology?: Topology;
  /** The hosts' and routers' addresses: IPv4 (default) or IPv6 (fd00::/8, see topology.ts). */
  addressFamily?: AddressFamily;
  /** The workload of a single-flow scenario, and the default of every flow. */
  workload: Workload;
  /** Default: one flow with `workload`, starting at 0. */
  flows?: FlowSpec[];
  events?: NetworkEvent[];
  /** Give up after this much virtual time (µs, default 300 s). */
  maxTime?: Duration;
  /**
   * `usePreferredAddress`: follow the server's preferred_address (RFC 9000 §9.6; default true).
   * `earlyData`: a resuming connection sends 0-RTT when its ticket allows it (RFC 9001 §4.6.1).
   * Sessions: every client host keeps the tickets it receives (its endpoint's session store,
   * RFC 9001 §4.5), so once the server issues tickets a host's later connections resume.
   */
  client?: { transport?: SimTransportSettings; usePreferredAddress?: boolean; earlyData?: boolean; multipath?: SimMultipath; fec?: FecConfig } & SimVersions;
  /**
   * `retry`: the server endpoint's Retry policy (RFC 9000 §8.1.2; default 'never').
   * `preferredAddress`: an address the first server host also owns and advertises in
   * preferred_address (RFC 9000 §9.6); reachable over the same links, so the same IP as the
   * server's with another port (an IPv6 one goes in the IPv6 field, which tquic clients ignore).
   * `sessionTickets`: issue session tickets after each handshake (RFC 9001 §4.5; default false),
   * with a ticket key drawn from the seed. `earlyData`: the tickets allow 0-RTT and the server
   * accepts it (RFC 9001 §4.6; needs `sessionTickets`).
   * `certChainLength`: the number of certificates the run's credentials must carry (leaf
   * included); the caller supplies such a chain (`simCredentials({ chainLength })`), since
   * certificates are made asynchronously.
   */
  server?: {
    transport?: SimTransportSettings;
    multipath?: SimMultipath;
    /** Forward error correction (connection/fec.ts); FEC runs when client and server both set it. */
    fec?: FecConfig;
    versions?: number[];
    retry?: RetryMode;
    preferredAddress?: SocketAddress;
    sessionTickets?: boolean;
    earlyData?: boolean;
    certChainLength?: number;
  };
}

/**
 * The MultipathConfig of a SimMultipath. A client (`localAddresses`: its host's other addresses)
 * gets the path manager `openPaths` maps to unless `pathManager` names one; a server gets
 * `pathManager` or the default.
 */
function mpConfig(m: SimMultipath, client?: { localAddresses: SocketAddress[] }): MultipathConfig {
  let pathManager = m.pathManager;
  let pathManagerOptions = m.pathManagerOptions;
  if (client !== undefined && pathManager === undefined) {
    pathManager = m.openPaths === 'none' ? 'passive' : 'all-addresses';
    if (pathManager === 'all-addresses' && m.backup !== undefined) pathManagerOptions = { backup: [...m.backup], ...(pathManagerOptions ?? {}) };
  }
  return {
    ...(m.maxPathId !== undefined ? { maxPathId: m.maxPathId } : {}),
    ...(m.scheduler !== undefined ? { scheduler: m.scheduler } : {}),
    ...(m.schedulerOptions !== undefined ? { schedulerOptions: m.schedulerOptions } : {}),
    ...(m.abandonAfterPtos !== undefined ? { abandonAfterPtos: m.abandonAfterPtos } : {}),
    ...(pathManager !== undefined ? { pathManager } : {}),
    ...(pathManagerOptions !== undefined ? { pathManagerOptions } : {}),
    ...(client !== undefined ? { localAddresses: [...client.localAddresses] } : {}),
  };
}

/** How `runScenario` plays a scenario: crypto, credentials, seed override, qlog sinks, the checker. */
export interface RunOptions {
  provider: CryptoProvider;
  credentials: TlsCredentials;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Keep the provider's own random source (default false: seeded, for reproducibility). */
  secureRandom?: boolean;
  /** qlog of the first flow's first client connection. */
  clientQlog?: QlogSink;
  /** qlog of the first server host (every server connection it accepts). */
  serverQlog?: QlogSink;
  /**
   * A qlog sink for each connection (both roles), by flow name and the original DCID in hex
   * (which pairs a client connection with its server connection).
   */
  qlog?: (c: { flow: string; role: 'client' | 'server'; odcid: string }) => QlogSink | undefined;
  /**
   * Run the qlog invariant checker (checker.ts) on every connection (default true); the
   * violations are in `checks` of the result and make `completed` false.
   */
  check?: boolean;
  /** Record every delivery in `trace` of the result. */
  trace?: boolean;
  /** Sees every datagram handed to a host (by host name), after NAT rewriting; must not modify it. */
  onDeliver?: (host: string, d: Datagram, at: Instant) => void;
  /**
   * End the run as soon as every flow has either finished or seen all its client connections
   * closed (state 'closed', e.g. after an idle timeout or a CONNECTION_CLOSE), instead of playing
   * on until `maxTime` (periodic events such as NAT rebinding keep the clock going). For
   * single-connection workloads (bulk, streams, requests, datagrams); default false.
   */
  stopOnClose?: boolean;
  /** Stop after this many engine events (a guard against a livelock in virtual time; default none). */
  maxEvents?: number;
}

/** How one connection of a flow ended (FlowResult.closes). */
export interface FlowClose {
  /** Index of the flow's client connection (0 for single-connection workloads). */
  conn: number;
  role: 'client' | 'server';
  /** The connection's state when the run stopped ('closing', 'draining' or 'closed'). */
  state: string;
  info: CloseInfo;
}

/** What one flow did: completion, bytes and their integrity, goodput, handshakes, closes, stalls. */
export interface FlowResult {
  name: string;
  workload: Workload['type'];
  /** Client and server host names. */
  clientHost: string;
  serverHost: string;
  start: Instant;
  /** The workload finished with everything delivered. */
  completed: boolean;
  /** When the flow finished (absolute µs), or when the run stopped. */
  completionTime: Instant;
  /** completionTime − start. */
  duration: Duration;
  /** From connect() to the client's handshake_complete, first connection (µs). */
  handshakeTime: Duration | undefined;
  /** Application payload bytes received (both directions for requests and handshakes). */
  bytes: number;
  expectedBytes: number;
  dataIntact: boolean;
  /** bytes·8 / duration, bits per second. */
  goodput: number;
  /**
   * Packets declared lost: by the sender (bulk, streams, datagrams), by both sides
   * (requests, handshakes).
   */
  retransmissions: number;
  handshakes: HandshakeStats;
  /** 1-RTT key updates the flow's client connections went through (RFC 9001 §6). */
  keyUpdates: number;
  /**
   * Every connection of the flow that has closed or is closing, and why (RFC 9000 §10: its
   * CONNECTION_CLOSE, sent or received, or an idle timeout or stateless reset), in connection
   * order, client before server.
   */
  closes: FlowClose[];
  /** The QUIC versions the flow's client connections ended up in. */
  versions: number[];
  /** Client connections whose handshake resumed a session (RFC 9001 §4.5). */
  resumed: number;
  /** Client connections whose 0-RTT the server accepted (RFC 9001 §4.6.1). */
  earlyDataAccepted: number;
  /** Streams, requests, datagrams (latency: send → complete receipt); handshakes (exchange time). */
  messages: MessageStats | undefined;
  client: ConnectionStats | undefined;
  server: ConnectionStats | undefined;
  /** Source addresses the server host saw this flow's client host send from, in order of first use. */
  serverSaw: string[];
  /** The longest stall of application bytes arriving during the flow (µs) and when it began. */
  longestGap: { start: Instant; duration: Duration };
}

/** Goodput of each flow over the window in which all flows were running. */
export interface SharedWindow {
  from: Instant;
  to: Instant;
  /** Per flow, bits per second over [from, to]. */
  goodput: number[];
  total: number;
  /** Jain's fairness index of `goodput` (1 = equal shares). */
  jain: number;
}

/** A NAT in front of a client host: its counters and the public addresses it gave, in order. */
export interface NatResult extends NatCounters {
  client: string;
  inside: string;
  /** Public addresses in order of use. */
  public: string[];
}

/** One path of a multihomed client: its name, the client address and both of its links' counters. */
export interface PathResult {
  name: string;
  client: string;
  toServer: LinkCounters;
  toClient: LinkCounters;
}

/** What the invariant checker found, over every connection of the run. */
export interface CheckSummary {
  /** Connections checked (client and server halves together). */
  connections: number;
  violations: (Violation & { flow: string; odcid: string })[];
}

/**
 * What a run produced: completion and data integrity over all flows, goodput, the invariant
 * checker's findings, both connections' statistics, per-link, per-path, per-NAT and per-flow
 * results. Deterministic for a scenario and seed.
 */
export interface ScenarioResult {
  scenario: string;
  seed: number;
  /** Absent when the run was made with `check: false`. */
  checks?: CheckSummary;
  /** Every flow completed within maxTime. */
  completed: boolean;
  /** Virtual µs from the start until the last flow finished (or when the run stopped). */
  completionTime: Instant;
  /** When the first flow's client handshake completed (absolute µs), if it did. */
  handshakeTime: Instant | undefined;
  /** Application bytes received in all flows, and whether every byte matched what was sent. */
  bytes: number;
  expectedBytes: number;
  dataIntact: boolean;
  /** bytes·8 / (completionTime − first flow start), bits per second. */
  goodput: number;
  /** Sum over flows. */
  retransmissions: number;
  /** Handshakes that completed, over all flows and connections. */
  handshakesCompleted: number;
  /** The first flow's connections. */
  client: ConnectionStats | undefined;
  server: ConnectionStats | undefined;
  /** The primary pair of links: point-to-point's two, the dumbbell's bottleneck, a multihomed client's first path. */
  links: { toServer: LinkCounters; toClient: LinkCounters };
  /** Every link by name. */
  linkCounters: Record<string, LinkCounters>;
  /** Multihomed: per path; otherwise empty. */
  paths: PathResult[];
  nats: NatResult[];
  flows: FlowResult[];
  /** With several flows whose runs overlap. */
  shared: SharedWindow | undefined;
  unroutable: number;
  events: number;
  trace?: { at: number; link: string; index: number; size: number }[];
}

function cloneCounters(c: LinkCounters): LinkCounters {
  return { ...c, dropped: { ...c.dropped } };
}

function seededProvider(p: CryptoProvider, prng: Prng): CryptoProvider {
  return { ...p, randomBytes: (n: number) => prng.bytes(n) };
}

function cidKey(cid: Uint8Array): string {
  let s = '';
  for (let i = 0; i < cid.length; i++) s += String.fromCharCode(cid[i]!);
  return s;
}

interface Flow {
  name: string;
  workload: Workload;
  start: Instant;
  client: number;
  server: number;
  driver: FlowDriver;
  congestionControl: string | undefined;
}

/** Plays a scenario to completion (or maxTime) and reports what happened. */
export function runScenario(scenario: Scenario, opts: RunOptions): ScenarioResult {
  const seed = opts.seed ?? scenario.seed ?? 1;
  const specs: FlowSpec[] = scenario.flows && scenario.flows.length > 0 ? scenario.flows : [{}];
  const layout = layoutTopology(scenario.topology, specs.length, scenario, scenario.addressFamily);
  const chainLength = scenario.server?.certChainLength;
  if (chainLength !== undefined && opts.credentials.chain.length !== chainLength) {
    throw new RangeError(`${scenario.name}: the server needs a certificate chain of ${chainLength} certificates, the credentials have ${opts.credentials.chain.length} (simCredentials({ chainLength: ${chainLength} }))`);
  }
  if (scenario.server?.earlyData === true && scenario.server.sessionTickets !== true) throw new RangeError(`${scenario.name}: server.earlyData needs server.sessionTickets`);
  // RFC 9000 §9.6: the first server host also owns its preferred address.
  const pa = scenario.server?.preferredAddress;
  if (pa !== undefined && !layout.servers[0]!.addresses.some((a) => addressKey(a) === addressKey(pa))) layout.servers[0]!.addresses.push(pa);
  // migrate events: the client hosts own the addresses they move to.
  const migrateTo = new Map<NetworkEvent, SocketAddress>();
  for (const ev of scenario.events ?? []) {
    if (ev.type !== 'migrate') continue;
    const h = layout.clients[ev.client ?? 0];
    if (!h) throw new RangeError(`migrate: no client host ${ev.client ?? 0}`);
    const first = h.addresses[0]!;
    const to = ev.address ?? h.addresses[1] ?? { host: first.host, port: first.port + 1 };
    if (!h.addresses.some((a) => addressKey(a) === addressKey(to))) h.addresses.push(to);
    migrateTo.set(ev, to);
  }
  const prng = new Prng(seed);
  const tap = opts.onDeliver;
  const net = new Network({
    seed: prng.nextU32(),
    ...(opts.trace ? { trace: true } : {}),
    ...(tap ? { onDeliver: (h: Host, d: Datagram, at: Instant) => tap(h.name, d, at) } : {}),
  });
  // Null protection needs no checksum where no link corrupts (null-protection.ts).
  const chosen = (!corrupts(scenario) && withoutChecksum(opts.provider)) || opts.provider;
  const provider = opts.secureRandom ? chosen : seededProvider(chosen, prng.fork());
  const base = { provider, alpn: ['sim'], timeMs: Date.UTC(2026, 0, 2) };
  // RFC 9001 §4.5: one ticket key per run (and so one anti-replay register, early-data.ts).
  const tickets = scenario.server?.sessionTickets === true ? { key: prng.bytes(16), ...(scenario.server.earlyData === true ? { earlyData: true } : {}) } : undefined;
  // Per-connection qlog: the caller's sinks, plus a memory sink per connection for the checker.
  const check = opts.check !== false;
  const recorded = new Map<string, { flow: string; client?: MemorySink; server?: MemorySink; clientConn?: Connection }>();
  let connectingFlow = '';
  const serverFlowOf = new Map<string, string>();
  const sinkFor = (role: 'client' | 'server', odcid: Uint8Array, legacy: QlogSink | undefined): QlogSink | undefined => {
    const key = toHex(odcid);
    const flow = role === 'client' ? connectingFlow : (serverFlowOf.get(key) ?? '');
    let mem: MemorySink | undefined;
    if (check) {
      mem = new MemorySink();
      const r = recorded.get(key) ?? { flow };
      r[role] = mem;
      recorded.set(key, r);
    }
    return teeSinks(legacy, opts.qlog?.({ flow, role, odcid: key }), mem);
  };
  const serverConfig = (first: boolean): ConnectionConfig => ({
    ...base,
    credentials: opts.credentials,
    ...(scenario.server?.transport ? { transport: scenario.server.transport } : {}),
    ...(scenario.server?.versions ? { versions: scenario.server.versions } : {}),
    ...(pa ? { preferredAddress: pa.host.includes(':') ? { ipv6: pa } : { ipv4: pa } } : {}),
    ...(tickets ? { tickets, ...(tickets.earlyData ? { earlyData: true } : {}) } : {}),
    ...(scenario.server?.multipath ? { multipath: mpConfig(scenario.server.multipath) } : {}),
    ...(scenario.server?.fec ? { fec: scenario.server.fec } : {}),
    qlogFor: (c) => sinkFor('server', c.originalDcid, first ? opts.serverQlog : undefined),
  });
  /** `extra`: the client host's addresses besides its first (the multipath path manager's candidates). */
  const clientConfig = (qlog: boolean, extra: SocketAddress[]): ConnectionConfig => ({
    ...base,
    serverName: 'localhost',
    ...(scenario.client?.transport ? { transport: scenario.client.transport } : {}),
    ...(scenario.client?.version !== undefined ? { version: scenario.client.version } : {}),
    ...(scenario.client?.versions ? { versions: scenario.client.versions } : {}),
    ...(scenario.client?.usePreferredAddress === false ? { usePreferredAddress: false } : {}),
    ...(scenario.client?.earlyData === true ? { earlyData: true } : {}),
    ...(scenario.client?.multipath ? { multipath: mpConfig(scenario.client.multipath, { localAddresses: extra }) } : {}),
    ...(scenario.client?.fec ? { fec: scenario.client.fec } : {}),
    qlogFor: (c) => sinkFor('client', c.originalDcid, qlog ? opts.clientQlog : undefined),
  });

  // Flows and their hosts.
  const flows: Flow[] = [];
  const ctxOf: FlowContext[] = [];
  const retry = scenario.server?.retry;
  const serverEps = layout.servers.map((h, j) => new Endpoint({ local: h.addresses[0]!, seed: prng.nextU32(), server: serverConfig(j === 0), ...(retry !== undefined ? { retry } : {}) }));
  const clientEps = layout.clients.map((h) => new Endpoint({ local: h.addresses[0]!, seed: prng.nextU32() }));
  const serverHosts: Host[] = [];
  const clientHosts: Host[] = [];
  const flowsOfClient: Flow[][] = layout.clients.map(() => []);
  const flowsOfServer: Flow[][] = layout.servers.map(() => []);
  /** Client connections by original DCID, to match the server connection they create. */
  const pending = new Map<string, { flow: Flow; conn: Connection }>();
  let qlogUsed = false;

  specs.forEach((spec, i) => {
    const workload = spec.workload ?? scenario.workload;
    validateWorkload(workload);
    const client = spec.client ?? (layout.type === 'dumbbell' ? i : 0);
    if (!(Number.isInteger(client) && client >= 0 && client < layout.clients.length)) throw new RangeError(`flow ${i}: no client host ${client}`);
    const start = spec.start ?? 0;
    if (!(start >= 0)) throw new RangeError(`flow ${i}: start must be >= 0`);
    const flow = { name: spec.name ?? `flow${i}`, workload, start, client, server: layout.serverOf(client), congestionControl: spec.congestionControl } as Flow;
    const ctx: FlowContext = {
      now: () => net.engine.now,
      connect: () => {
        const qlog = !qlogUsed;
        qlogUsed = true;
        const ep = clientEps[flow.client]!;
        connectingFlow = flow.name;
        const conn = ep.connect(net.engine.now, layout.servers[flow.server]!.addresses[0]!, clientConfig(qlog, layout.clients[flow.client]!.addresses.slice(1)));
        if (flow.congestionControl !== undefined) conn.setCongestionController(flow.congestionControl);
        pending.set(cidKey(conn.originalDcid), { flow, conn });
        serverFlowOf.set(toHex(conn.originalDcid), flow.name);
        const rec = recorded.get(toHex(conn.originalDcid));
        if (rec) rec.clientConn = conn;
        return conn;
      },
      at: (t, fn) =>
        net.engine.schedule(t, () => {
          fn();
          clientHosts[flow.client]!.node.service();
          serverHosts[flow.server]!.node.service();
        }),
    };
    flow.driver = createDriver(ctx, workload);
    flows.push(flow);
    ctxOf.push(ctx);
    flowsOfClient[client]!.push(flow);
    flowsOfServer[flow.server]!.push(flow);
  });

  layout.servers.forEach((h, j) => {
    const ep = serverEps[j]!;
    const activity = (): void => {
      for (let e = ep.pollEvent(); e; e = ep.pollEvent()) {
        const k = cidKey(e.connection.originalDcid);
        const p = pending.get(k);
        if (!p) continue;
        pending.delete(k);
        if (p.flow.congestionControl !== undefined) e.connection.setCongestionController(p.flow.congestionControl);
        p.flow.driver.attachServer(p.conn, e.connection);
      }
      for (const f of flowsOfServer[j]!) f.driver.serverActivity();
    };
    serverHosts.push(net.addHost(h.name, ep, activity, h.addresses.slice(1)));
  });
  layout.clients.forEach((h, i) => {
    const activity = (): void => {
      for (const f of flowsOfClient[i]!) f.driver.clientActivity();
    };
    clientHosts.push(net.addHost(h.name, clientEps[i]!, activity, h.addresses.slice(1)));
  });
  for (const r of layout.routers) net.addRouter(r.name, r.ip);
  for (const l of layout.links) net.addLink(l.from, l.to, l.config, l.name);
  for (const r of layout.routes) net.addRoute(r.at, r.dest, r.via);

  // NATs and scheduled network events.
  const nats = new Map<number, Nat>();
  for (const ev of scenario.events ?? []) {
    if (ev.type === 'key-update') {
      scheduleKeyUpdates(ev);
      continue;
    }
    if (ev.type === 'migrate') {
      scheduleMigration(ev, migrateTo.get(ev)!);
      continue;
    }
    if (ev.type !== 'rebind-port' && ev.type !== 'rebind-addr') throw new RangeError(`unknown network event ${(ev as { type: string }).type}`);
    const c = ev.client ?? 0;
    const host = clientHosts[c];
    if (!host) throw new RangeError(`${ev.type}: no client host ${c}`);
    if (!(ev.at >= 0) || (ev.every !== undefined && !(ev.every > 0))) throw new RangeError(`${ev.type}: at must be >= 0 and every > 0`);
    if (ev.oldBinding !== undefined && ev.oldBinding !== 'keep' && ev.oldBinding !== 'drop') throw new RangeError(`${ev.type}: oldBinding must be 'keep' or 'drop'`);
    let nat = nats.get(c);
    if (!nat) nats.set(c, (nat = net.addNat(host)));
    const kind = ev.type === 'rebind-port' ? 'port' : 'addr';
    const waiting = (): boolean =>
      flows.some((f) => f.client === c && !f.driver.finished && f.driver.conns.some((fc) => fc.active && !fc.client.handshakeConfirmed && fc.client.state !== 'closed' && fc.client.state !== 'draining' && fc.client.state !== 'closing'));
    const fire = (t: Instant, first: boolean): void => {
      net.engine.schedule(t, () => {
        if (first && ev.afterHandshake === true && (waiting() || flows.every((f) => f.client !== c || f.driver.conns.length === 0))) {
          if (!flows.every((f) => f.driver.finished)) fire(t + 10_000, true);
          return;
        }
        net.rebind(nat, kind, ev.oldBinding !== 'drop');
        if (ev.every !== undefined) fire(t + ev.every, false);
      });
    };
    fire(ev.at, true);
  }

  // Multipath: the clients' path manager opens their paths ('all-addresses' unless the scenario
  // names another; mpConfig), inside the connections, as soon as multipath is usable.

  /** migrate events: each active client connection of the host moves to `to` (RFC 9000 §9.2), retried until permitted. */
  function scheduleMigration(ev: NetworkEvent, to: SocketAddress): void {
    if (!(ev.at >= 0)) throw new RangeError('migrate: at must be >= 0');
    const c = ev.client ?? 0;
    const RETRY = 10_000;
    const MAX_TRIES = 1000;
    const attempt = (f: Flow, fc: FlowConn, tries: number): void => {
      const conn = fc.client;
      if (!fc.active || conn.state === 'closed' || addressKey(conn.local) === addressKey(to)) return;
      if (conn.migrate(net.engine.now, to)) {
        clientHosts[f.client]!.node.service();
        serverHosts[f.server]!.node.service();
      } else if (tries < MAX_TRIES) net.engine.schedule(net.engine.now + RETRY, () => attempt(f, fc, tries + 1));
    };
    net.engine.schedule(ev.at, () => {
      for (const f of flows) if (f.client === c) for (const fc of f.driver.conns) attempt(f, fc, 0);
    });
  }

  /** key-update events: each active connection's `side` starts an update, retried until permitted. */
  function scheduleKeyUpdates(ev: NetworkEvent): void {
    if (!(ev.at >= 0) || (ev.every !== undefined && !(ev.every > 0))) throw new RangeError('key-update: at must be >= 0 and every > 0');
    if (ev.side !== undefined && ev.side !== 'client' && ev.side !== 'server') throw new RangeError("key-update: side must be 'client' or 'server'");
    const side = ev.side ?? 'client';
    const RETRY = 10_000;
    const MAX_TRIES = 1000;
    const attempt = (f: Flow, fc: FlowConn, tries: number): void => {
      const conn = side === 'client' ? fc.client : fc.server;
      if (!fc.active || conn === undefined || conn.state === 'closed') return;
      if (conn.initiateKeyUpdate(net.engine.now)) {
        clientHosts[f.client]!.node.service();
        serverHosts[f.server]!.node.service();
      } else if (tries < MAX_TRIES) net.engine.schedule(net.engine.now + RETRY, () => attempt(f, fc, tries + 1));
    };
    const fire = (t: Instant): void => {
      net.engine.schedule(t, () => {
        for (const f of flows) for (const fc of f.driver.conns) attempt(f, fc, 0);
        if (ev.every !== undefined && !flows.every((f) => f.driver.finished)) fire(t + ev.every);
      });
    };
    fire(ev.at);
  }

  for (const f of flows) {
    net.engine.schedule(f.start, () => {
      f.driver.start();
      clientHosts[f.client]!.node.service();
    });
  }

  const maxTime = scenario.maxTime ?? 300_000_000;
  const over = (f: Flow): boolean => f.driver.finished || (opts.stopOnClose === true && f.driver.conns.length > 0 && f.driver.conns.every((c) => c.client.state === 'closed'));
  net.engine.runUntil(() => flows.every(over), maxTime, opts.maxEvents);
  const end = net.engine.now;

  const flowResults: FlowResult[] = flows.map((f) => {
    const o = f.driver.outcome();
    const completionTime = o.doneAt ?? end;
    const duration = Math.max(0, completionTime - f.start);
    const first = f.driver.conns[0];
    const clientHost = layout.clients[f.client]!.name;
    const serverHost = layout.servers[f.server]!.name;
    return {
      name: f.name,
      workload: f.workload.type,
      clientHost,
      serverHost,
      start: f.start,
      completed: o.completed,
      completionTime,
      duration,
      handshakeTime: first?.handshakeAt !== undefined ? first.handshakeAt - first.startedAt : undefined,
      bytes: o.bytes,
      expectedBytes: o.expectedBytes,
      dataIntact: o.dataIntact,
      goodput: duration > 0 ? (o.bytes * 8 * 1_000_000) / duration : 0,
      retransmissions: o.retransmissions,
      handshakes: o.handshakes,
      closes: closesOf(f.driver.conns),
      keyUpdates: f.driver.conns.reduce((n, c) => n + c.client.stats().keyUpdates.local + c.client.stats().keyUpdates.remote, 0),
      versions: [...new Set(f.driver.conns.map((c) => c.client.version))],
      resumed: f.driver.conns.filter((c) => c.client.resumed === true).length,
      earlyDataAccepted: f.driver.conns.filter((c) => c.client.earlyDataAccepted === true).length,
      messages: o.messages,
      client: o.client,
      server: o.server,
      serverSaw: [...(net.observed.get(`${clientHost}>${serverHost}`)?.keys() ?? [])],
      longestGap: f.driver.longestGap(),
    };
  });

  let checks: CheckSummary | undefined;
  if (check) {
    checks = { connections: 0, violations: [] };
    const maxDatagramSize = Math.min(scenario.client?.transport?.maxDatagramSize ?? 1200, scenario.server?.transport?.maxDatagramSize ?? 1200);
    for (const [odcid, r] of recorded) {
      if (!r.client || !r.server) continue;
      checks.connections++;
      // Delivery is only required of flows that completed; a cut-short run checks the rest.
      const fr = flowResults.find((f) => f.name === r.flow);
      const v = checkConnection({ client: r.client.events, server: r.server.events, maxDatagramSize, requireDelivery: fr?.completed === true });
      for (const x of v) checks.violations.push({ ...x, flow: r.flow, odcid });
    }
  }

  const linkCounters: Record<string, LinkCounters> = {};
  for (const [name, link] of net.linksByName) linkCounters[name] = cloneCounters(link.counters);
  const f0 = flowResults[0]!;
  const firstStart = Math.min(...flows.map((f) => f.start));
  const completionTime = Math.max(...flowResults.map((f) => f.completionTime));
  const bytes = flowResults.reduce((s, f) => s + f.bytes, 0);
  const span = completionTime - firstStart;
  const result: ScenarioResult = {
    scenario: scenario.name,
    seed,
    completed: flowResults.every((f) => f.completed) && (checks === undefined || checks.violations.length === 0),
    ...(checks ? { checks } : {}),
    completionTime,
    handshakeTime: f0.handshakeTime !== undefined ? flows[0]!.driver.conns[0]!.handshakeAt : undefined,
    bytes,
    expectedBytes: flowResults.reduce((s, f) => s + f.expectedBytes, 0),
    dataIntact: flowResults.every((f) => f.dataIntact),
    goodput: span > 0 ? (bytes * 8 * 1_000_000) / span : 0,
    retransmissions: flowResults.reduce((s, f) => s + f.retransmissions, 0),
    handshakesCompleted: flowResults.reduce((s, f) => s + f.handshakes.completed, 0),
    client: f0.client,
    server: f0.server,
    links: { toServer: linkCounters[layout.primary.toServer]!, toClient: linkCounters[layout.primary.toClient]! },
    linkCounters,
    paths: layout.paths.map((p) => ({ name: p.name, client: addressKey(p.client), toServer: linkCounters[p.toServer]!, toClient: linkCounters[p.toClient]! })),
    nats: [...nats].map(([c, n]) => ({
      client: layout.clients[c]!.name,
      inside: addressKey(n.inside),
      public: n.history.map((a: SocketAddress) => addressKey(a)),
      ...n.counters,
    })),
    flows: flowResults,
    shared: sharedWindow(flows, flowResults),
    unroutable: net.unroutable,
    events: net.engine.eventsRun,
  };
  if (opts.trace) result.trace = net.trace;
  return result;
}

function closesOf(conns: readonly FlowConn[]): FlowClose[] {
  const out: FlowClose[] = [];
  for (const c of conns) {
    for (const [role, conn] of [['client', c.client], ['server', c.server]] as const) {
      if (conn?.closeInfo !== undefined) out.push({ conn: c.index, role, state: conn.state, info: { ...conn.closeInfo } });
    }
  }
  return out;
}

/** Per-flow goodput over [latest start, earliest finish], when there are several flows and that window is not empty. */
function sharedWindow(flows: Flow[], results: FlowResult[]): SharedWindow | undefined {
  if (flows.length < 2) return undefined;
  const from = Math.max(...flows.map((f) => f.start));
  const to = Math.min(...results.map((r) => r.completionTime));
  if (!(to > from)) return undefined;
  const goodput = flows.map((f) => ((f.driver.bytesAt(to) - f.driver.bytesAt(from)) * 8 * 1_000_000) / (to - from));
  const total = goodput.reduce((s, g) => s + g, 0);
  const sq = goodput.reduce((s, g) => s + g * g, 0);
  return { from, to, goodput, total, jain: sq > 0 ? (total * total) / (goodput.length * sq) : 1 };
}

export type { Percentiles };

/** Whether any link of `s` may corrupt a datagram: a positive `corrupt` anywhere in the plain data (link events cannot set it). */
function corrupts(s: Scenario): boolean {
  const walk = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.some(walk);
    if (v === null || typeof v !== 'object') return false;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'corrupt' && typeof x === 'number' && x > 0) return true;
      if (walk(x)) return true;
    }
    return false;
  };
  return walk(s);
}
