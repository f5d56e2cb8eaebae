/**
 * Topologies as plain data, and their layout: which hosts exist at which addresses, which
 * one-way links join them (each with a name for the results), and the routes of the routers.
 *
 *   point-to-point   client ──toServer──▶ server, and toClient back (the scenario's own links)
 *   dumbbell         client i ─access─ left router ══bottleneck══ right router ─access─ server j
 *   multihomed       one client host with one address per path; each path is its own pair of
 *                    one-way links between that address and the server
 *
 * Addresses: point-to-point and multihomed put the client's first address at 10.0.0.1:50000 and
 * the server at 10.0.0.2:443; a multihomed client's path i > 0 is at 10.0.{i}.1:50000. A dumbbell
 * puts client i at 10.1.{i>>8}.{(i&255)+1}:50000, server j at 10.2.{j>>8}.{(j&255)+1}:443 and the
 * two routers at 10.0.255.1 (client side) and 10.0.255.2 (server side).
 *
 * With `family` 'ipv6' the same layout uses unique local addresses (RFC 4193, fd00::/8): client
 * [fd00::1]:50000, server [fd00::2]:443, multihomed path i > 0 at fd00:0:0:{i}::1, dumbbell
 * client i at fd00:1:{i>>8}::{(i&255)+1}, server j at fd00:2:{j>>8}::{(j&255)+1}, routers
 * fd00:0:0:ff::1 and fd00:0:0:ff::2 (groups in hex, text in RFC 5952 canonical form).
 */
import type { SocketAddress } from '../util/datagram.js';
import type { LinkConfig } from './link.js';

/** A pair of one-way links (toClient defaults to a copy of toServer). */
export interface LinkPair {
  toServer: LinkConfig;
  toClient?: LinkConfig;
}

/** Today's shape: the scenario's `toServer` / `toClient` links (or the ones given here). */
export interface PointToPointTopology {
  type: 'point-to-point';
  toServer?: LinkConfig;
  toClient?: LinkConfig;
}

/**
 * N clients and M servers on either side of one shared bottleneck (one link each way between
 * two routers). Flow i uses client i and server i mod M.
 */
export interface DumbbellTopology {
  type: 'dumbbell';
  /** Client hosts (default: one per flow). */
  clients?: number;
  /** Server hosts (default 1). */
  servers?: number;
  bottleneck: LinkPair;
  /** Every access link not given below (default: 1 ms one-way, no rate limit). */
  access?: LinkPair;
  /** Per-client access links (index = client), overriding `access`. */
  clientAccess?: Array<LinkPair | null>;
  /** Per-server access links (index = server), overriding `access`. */
  serverAccess?: Array<LinkPair | null>;
}

/** One path of a multihomed client: its own links to and from the server. */
export interface PathSpec extends LinkPair {
  /** Used in link names (default `path<i>`). */
  name?: string;
}

/** A client host with one address per path (the connection uses the first until multipath). */
export interface MultihomedTopology {
  type: 'multihomed';
  paths: PathSpec[];
}

/**
 * A scenario's topology as plain data, by `type`: 'point-to-point' (one client, one server, a
 * link each way), 'dumbbell' (clients and servers on either side of a shared bottleneck) or
 * 'multihomed' (one client with an address per path). `layoutTopology` turns it into hosts,
 * addresses, links and routes.
 */
export type Topology = PointToPointTopology | DumbbellTopology | MultihomedTopology;

/** A host of a laid-out topology: its name (`client`, `server`, `client<i>`, `server<j>`) and addresses. */
export interface HostLayout {
  name: string;
  /** The first is the endpoint's local address. */
  addresses: SocketAddress[];
}

/**
 * A one-way link of a laid-out topology: its name in the results (e.g. `toServer`,
 * `bottleneck.toClient`, `path1.toServer`), the IPs it joins and its own copy of the config.
 */
export interface LinkLayout {
  name: string;
  from: string;
  to: string;
  config: LinkConfig;
}

/** A path between a client address and its server: the names of its one-way links. */
export interface PathLayout {
  name: string;
  client: SocketAddress;
  toServer: string;
  toClient: string;
}

/**
 * A topology laid out for a number of flows (`layoutTopology`): the client and server hosts
 * with their addresses, the routers and their routes, and the one-way links in creation order.
 */
export interface TopologyLayout {
  type: Topology['type'];
  clients: HostLayout[];
  servers: HostLayout[];
  routers: Array<{ name: string; ip: string }>;
  /** In creation order (each link's random seed is drawn in this order). */
  links: LinkLayout[];
  routes: Array<{ at: string; dest: string; via: string }>;
  /** The links reported as the run's `links.toServer` / `links.toClient`. */
  primary: { toServer: string; toClient: string };
  /** Multihomed: one entry per path; otherwise empty. */
  paths: PathLayout[];
  /** Server index of a client's flows. */
  serverOf: (client: number) => number;
}

/** The client's (first) address in point-to-point and multihomed IPv4 topologies: 10.0.0.1:50000. */
export const CLIENT_ADDRESS: SocketAddress = { host: '10.0.0.1', port: 50000 };
/** The server's address in point-to-point and multihomed IPv4 topologies: 10.0.0.2:443. */
export const SERVER_ADDRESS: SocketAddress = { host: '10.0.0.2', port: 443 };
/** The IPv4 dumbbell's client-side router ('left'), at one end of the bottleneck: 10.0.255.1. */
export const LEFT_ROUTER = '10.0.255.1';
/** The IPv4 dumbbell's server-side router ('right'), at the other end of the bottleneck: 10.0.255.2. */
export const RIGHT_ROUTER = '10.0.255.2';
/** The client's (first) address in point-to-point and multihomed IPv6 topologies: [fd00::1]:50000. */
export const CLIENT_ADDRESS_V6: SocketAddress = { host: 'fd00::1', port: 50000 };
/** The server's address in point-to-point and multihomed IPv6 topologies: [fd00::2]:443. */
export const SERVER_ADDRESS_V6: SocketAddress = { host: 'fd00::2', port: 443 };
/** The IPv6 dumbbell's client-side router ('left'): fd00:0:0:ff::1. */
export const LEFT_ROUTER_V6 = 'fd00:0:0:ff::1';
/** The IPv6 dumbbell's server-side router ('right'): fd00:0:0:ff::2. */
export const RIGHT_ROUTER_V6 = 'fd00:0:0:ff::2';

/** The IP version of a scenario's addresses. */
export type AddressFamily = 'ipv4' | 'ipv6';

/** Eight 16-bit groups as RFC 5952 text: lowercase hex, the longest run (≥ 2) of zero groups as "::". */
export function ipv6Text(groups: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: readonly number[]): string => a.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** The addresses of one family. */
interface Plan {
  client: SocketAddress;
  server: SocketAddress;
  left: string;
  right: string;
  /** A multihomed client's path i > 0. */
  path: (i: number) => string;
  /** Dumbbell host i of side `net` (1: clients, 2: servers). */
  host: (net: number, i: number) => string;
}

const PLANS: Record<AddressFamily, Plan> = {
  ipv4: {
    client: CLIENT_ADDRESS,
    server: SERVER_ADDRESS,
    left: LEFT_ROUTER,
    right: RIGHT_ROUTER,
    path: (i) => `10.0.${i}.1`,
    host: (net, i) => `10.${net}.${i >> 8}.${(i & 255) + 1}`,
  },
  ipv6: {
    client: CLIENT_ADDRESS_V6,
    server: SERVER_ADDRESS_V6,
    left: LEFT_ROUTER_V6,
    right: RIGHT_ROUTER_V6,
    path: (i) => ipv6Text([0xfd00, 0, 0, i, 0, 0, 0, 1]),
    host: (net, i) => ipv6Text([0xfd00, net, i >> 8, 0, 0, 0, 0, (i & 255) + 1]),
  },
};

/** A dumbbell access link when none is configured. */
export const DEFAULT_ACCESS: LinkConfig = { delay: 1_000 };

/** Deep copy of plain data (link configs are shared between links otherwise). */
function copy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function pair(p: LinkPair): { toServer: LinkConfig; toClient: LinkConfig } {
  return { toServer: copy(p.toServer), toClient: copy(p.toClient ?? p.toServer) };
}

/**
 * Lays out a topology for `flows` flows. The point-to-point links come from `topology` or, when
 * it does not give them, from `fallback` (the scenario's top-level `toServer` / `toClient`).
 */
export function layoutTopology(
  topology: Topology | undefined,
  flows: number,
  fallback: { toServer?: LinkConfig; toClient?: LinkConfig },
  family: AddressFamily = 'ipv4',
): TopologyLayout {
  const t: Topology = topology ?? { type: 'point-to-point' };
  const plan = PLANS[family];
  if (!plan) throw new RangeError(`unknown address family ${String(family)}; 'ipv4' or 'ipv6'`);
  const clientAddress = plan.client;
  const serverAddress = plan.server;
  switch (t.type) {
    case 'point-to-point': {
      const toServer = t.toServer ?? fallback.toServer;
      const toClient = t.toClient ?? fallback.toClient ?? toServer;
      if (!toServer || !toClient) throw new RangeError('point-to-point: toServer and toClient links are required');
      return {
        type: t.type,
        clients: [{ name: 'client', addresses: [clientAddress] }],
        servers: [{ name: 'server', addresses: [serverAddress] }],
        routers: [],
        links: [
          { name: 'toServer', from: clientAddress.host, to: serverAddress.host, config: copy(toServer) },
          { name: 'toClient', from: serverAddress.host, to: clientAddress.host, config: copy(toClient) },
        ],
        routes: [],
        primary: { toServer: 'toServer', toClient: 'toClient' },
        paths: [],
        serverOf: () => 0,
      };
    }
    case 'multihomed': {
      if (!Array.isArray(t.paths) || t.paths.length === 0) throw new RangeError('multihomed: at least one path');
      if (t.paths.length > 255) throw new RangeError('multihomed: at most 255 paths');
      const addresses = t.paths.map((_, i) => (i === 0 ? clientAddress : { host: plan.path(i), port: clientAddress.port }));
      const links: LinkLayout[] = [];
      const paths: PathLayout[] = [];
      const names = new Set<string>();
      t.paths.forEach((p, i) => {
        const name = p.name ?? `path${i}`;
        if (names.has(name)) throw new RangeError(`multihomed: duplicate path name ${name}`);
        names.add(name);
        const a = addresses[i]!;
        const l = pair(p);
        links.push({ name: `${name}.toServer`, from: a.host, to: serverAddress.host, config: l.toServer });
        links.push({ name: `${name}.toClient`, from: serverAddress.host, to: a.host, config: l.toClient });
        paths.push({ name, client: a, toServer: `${name}.toServer`, toClient: `${name}.toClient` });
      });
      return {
        type: t.type,
        clients: [{ name: 'client', addresses }],
        servers: [{ name: 'server', addresses: [serverAddress] }],
        routers: [],
        links,
        routes: [],
        primary: { toServer: paths[0]!.toServer, toClient: paths[0]!.toClient },
        paths,
        serverOf: () => 0,
      };
    }
    case 'dumbbell': {
      const nc = t.clients ?? Math.max(1, flows);
      const ns = t.servers ?? 1;
      if (!(Number.isInteger(nc) && nc >= 1 && nc <= 4096)) throw new RangeError('dumbbell: clients must be 1..4096');
      if (!(Number.isInteger(ns) && ns >= 1 && ns <= 4096)) throw new RangeError('dumbbell: servers must be 1..4096');
      if (!t.bottleneck?.toServer) throw new RangeError('dumbbell: bottleneck.toServer is required');
      const access = t.access ?? { toServer: DEFAULT_ACCESS };
      const clients: HostLayout[] = [];
      const servers: HostLayout[] = [];
      const links: LinkLayout[] = [];
      const routes: TopologyLayout['routes'] = [];
      for (let i = 0; i < nc; i++) {
        const a = { host: plan.host(1, i), port: clientAddress.port };
        clients.push({ name: `client${i}`, addresses: [a] });
        const l = pair(t.clientAccess?.[i] ?? access);
        links.push({ name: `client${i}.toServer`, from: a.host, to: plan.left, config: l.toServer });
        links.push({ name: `client${i}.toClient`, from: plan.left, to: a.host, config: l.toClient });
        routes.push({ at: a.host, dest: '*', via: plan.left });
      }
      const b = pair(t.bottleneck);
      links.push({ name: 'bottleneck.toServer', from: plan.left, to: plan.right, config: b.toServer });
      links.push({ name: 'bottleneck.toClient', from: plan.right, to: plan.left, config: b.toClient });
      routes.push({ at: plan.left, dest: '*', via: plan.right }, { at: plan.right, dest: '*', via: plan.left });
      for (let j = 0; j < ns; j++) {
        const a = { host: plan.host(2, j), port: serverAddress.port };
        servers.push({ name: `server${j}`, addresses: [a] });
        const l = pair(t.serverAccess?.[j] ?? access);
        links.push({ name: `server${j}.toServer`, from: plan.right, to: a.host, config: l.toServer });
        links.push({ name: `server${j}.toClient`, from: a.host, to: plan.right, config: l.toClient });
        routes.push({ at: a.host, dest: '*', via: plan.right });
      }
      return {
        type: t.type,
        clients,
        servers,
        routers: [
          { name: 'left', ip: plan.left },
          { name: 'right', ip: plan.right },
        ],
        links,
        routes,
        primary: { toServer: 'bottleneck.toServer', toClient: 'bottleneck.toClient' },
        paths: [],
        serverOf: (c) => c % ns,
      };
    }
    default:
      throw new RangeError(`unknown topology ${(t as { type: string }).type}`);
  }
}
