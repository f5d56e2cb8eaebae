/**
 * Hosts, routers, links and NATs on top of the engine.
 *
 * - A host is an Endpoint at one or more addresses; a datagram is delivered to the host that
 *   owns its destination address (IP and port).
 * - Links are one-way and keyed by (source IP, destination IP), so a port change still routes.
 * - Forwarding is per hop: at a node (an IP), a datagram takes the direct link to its
 *   destination if there is one, otherwise the link to the next hop given by the node's route for
 *   that destination, or its default route ('*'). On arrival at an IP that is not the destination
 *   it is forwarded again, without processing delay. A router is just an IP with routes and no
 *   host; any IP forwards. A datagram with no link, no route or no host at its destination (or
 *   more than MAX_HOPS hops) is counted as unroutable and dropped.
 * - A NAT sits in front of one of a host's addresses (the inside address): datagrams sent from
 *   it leave with the NAT's current public address as source; datagrams to the current public
 *   address are rewritten back to the inside address on arrival. A fresh public IP is of the
 *   inside address's family (IPv4 100.64.0.0/10, IPv6 fd64::/64). Public IPs are attached to the
 *   inside IP for link selection, so the same links carry the translated traffic. `rebind` moves
 *   the public address (new port, or new IP with the same port). The old binding either stays
 *   (the default, as in the QUIC interop runner's ns-3 rebinding model: datagrams still arriving
 *   for an old public address reach the inside address) or is forgotten (datagrams for it are
 *   dropped and counted). The endpoint behind the NAT never sees its public address.
 */
import { addressKey, type Datagram, type SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Instant } from '../util/time.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { Engine, type SimEndpoint } from './engine.js';
import { Link, type Delivery, type LinkConfig } from './link.js';
import { ipv6Text } from './topology.js';

/**
 * A simulated host: one sans-IO Endpoint attached to the engine (`node`), reachable at its
 * `addresses` (the endpoint's local address first, then any extra ones for multihoming).
 */
export interface Host {
  readonly name: string;
  readonly addresses: SocketAddress[];
  readonly node: SimEndpoint;
  readonly endpoint: Endpoint;
}

/** One delivered datagram, for traces (`link` is the last hop's link). */
export interface TraceEntry {
  at: number;
  link: string;
  index: number;
  size: number;
}

/**
 * Options of a Network. `seed` (default 1) seeds the network's Prng, from which every link's
 * seed is drawn, and the NATs' port choices.
 */
export interface NetworkOptions {
  seed?: number;
  /** Record every delivery in `trace` (for determinism checks and debugging). */
  trace?: boolean;
  /** Called for every datagram handed to a host, as the host receives it (after NAT rewriting). */
  onDeliver?: (host: Host, d: Datagram, at: Instant) => void;
}

/** Forwarding loops are cut after this many hops. */
export const MAX_HOPS = 64;

/** What a NAT did: rebindings, and datagrams translated in each direction or dropped as stale. */
export interface NatCounters {
  /** Times the public address changed. */
  rebinds: number;
  /** Datagrams whose source was rewritten (inside → public). */
  outbound: number;
  /** Datagrams whose destination was rewritten (public → inside). */
  inbound: number;
  /** Of those, datagrams that arrived for an earlier public address still bound. */
  inboundOld: number;
  /** Datagrams that arrived for a public address the NAT no longer binds. */
  droppedStale: number;
}

/**
 * How a NAT rebinding moves the public address: 'port' draws a new port on the same IP, 'addr'
 * takes a new IP and keeps the port.
 */
export type RebindKind = 'port' | 'addr';

/** A NAT in front of one inside address of a host. */
export class Nat {
  readonly counters: NatCounters = { rebinds: 0, outbound: 0, inbound: 0, inboundOld: 0, droppedStale: 0 };
  /** Every public address used so far, oldest first; the last is the current one. */
  readonly history: SocketAddress[];

  constructor(
    readonly host: Host,
    readonly inside: SocketAddress,
    publicAddress: SocketAddress,
  ) {
    this.history = [publicAddress];
  }

  /** The current public address. */
  get public(): SocketAddress {
    return this.history[this.history.length - 1]!;
  }
}

/** Per-link-pair counters of the addresses a receiver saw datagrams from. */
export type ObservedSources = Map<string, Map<string, number>>;

/**
 * A simulated network on its own Engine: hosts (Endpoints at addresses), one-way links keyed
 * by (source IP, destination IP), routers and routes for multi-hop forwarding, and NATs. A
 * datagram an endpoint transmits is forwarded hop by hop through the links and delivered to
 * the host owning its destination address; one that cannot be is counted in `unroutable`.
 */
export class Network {
  readonly engine = new Engine();
  readonly prng: Prng;
  readonly hosts = new Map<string, Host>();
  readonly links = new Map<string, Link>();
  /** Links by name (a link added without a name is named by its key, `from>to`). */
  readonly linksByName = new Map<string, Link>();
  /** Router names by IP. */
  readonly routers = new Map<string, string>();
  readonly nats: Nat[] = [];
  private readonly byAddress = new Map<string, Host>();
  /** `at>dest` or `at>*` → next-hop IP. */
  private readonly routes = new Map<string, string>();
  /** Public IP → the inside IP its links attach to. */
  private readonly attached = new Map<string, string>();
  /** NAT by the key of its inside address / its current public address / any IP it ever used. */
  private readonly natByInside = new Map<string, Nat>();
  private readonly natByPublic = new Map<string, Nat>();
  private readonly natByIp = new Map<string, Nat>();
  private readonly natPrng: Prng;
  private publicIps = 0;
  /** Datagrams with no link, route or host to deliver them to. */
  unroutable = 0;
  readonly trace: TraceEntry[] = [];
  /**
   * `sender>receiver` (host names) → source address key → datagrams: the addresses a receiver
   * saw a sender's datagrams come from (after NAT). A sender that is not a host is named by its
   * address.
   */
  readonly observed: ObservedSources = new Map();
  /** Receiving host → sender → the same per-address counts as in `observed`. */
  private readonly observedBy = new Map<Host, Map<string, Map<string, number>>>();
  /** Address keys of the address objects seen (datagrams reuse their endpoints' objects). */
  private readonly keys = new WeakMap<SocketAddress, string>();
  /** The hops `forward` looked up last, newest first, valid while `topologyVersion` is `hopsVersion`. */
  private readonly recentHops: Hop[] = [];
  private hopsVersion = 0;
  /** Bumped by every change of links, routes and NAT attachments. */
  private topologyVersion = 0;

  constructor(readonly opts: NetworkOptions = {}) {
    this.prng = new Prng(opts.seed ?? 1);
    this.natPrng = new Prng((opts.seed ?? 1) ^ 0x4e41_5400);
  }

  /**
   * Adds a host for `endpoint`, reachable at its local address plus any `extra` addresses.
   * `onActivity` runs after each delivery or timer (the application's turn to act).
   */
  addHost(name: string, endpoint: Endpoint, onActivity?: (h: Host) => void, extra: SocketAddress[] = []): Host {
    if (this.hosts.has(name)) throw new RangeError(`duplicate host ${name}`);
    const addresses = [endpoint.local, ...extra];
    for (const a of addresses) if (this.byAddress.has(addressKey(a))) throw new RangeError(`duplicate address ${addressKey(a)}`);
    let host: Host | undefined;
    const node = this.engine.addEndpoint(endpoint, {
      // Every link delivers its own copy (link.ts), so the sender's buffer is free on return.
      send: (d) => this.send(d),
      copies: true,
      ...(onActivity ? { onActivity: () => onActivity(host!) } : {}),
    });
    host = { name, addresses, node, endpoint };
    this.hosts.set(name, host);
    for (const a of addresses) this.byAddress.set(addressKey(a), host);
    return host;
  }

  /** Names a router IP (forwarding needs only routes; the name is for listings). */
  addRouter(name: string, ip: string): void {
    if (this.routers.has(ip)) throw new RangeError(`duplicate router ${ip}`);
    this.routers.set(ip, name);
  }

  /** A one-way link from IP `from` to IP `to`; its seed is drawn from the network's Prng. */
  addLink(from: string, to: string, config: LinkConfig, name?: string): Link {
    const key = linkKey(from, to);
    if (this.links.has(key)) throw new RangeError(`duplicate link ${key}`);
    const n = name ?? key;
    if (this.linksByName.has(n)) throw new RangeError(`duplicate link name ${n}`);
    const link = new Link(config, this.prng.nextU32());
    this.topologyVersion++;
    this.links.set(key, link);
    this.linksByName.set(n, link);
    for (const e of config.events ?? []) this.engine.schedule(Math.max(e.at, this.engine.now), () => link.apply(e));
    return link;
  }

  /** At IP `at`, datagrams for IP `dest` (or for any IP without a more specific route: '*') go to `via`. */
  addRoute(at: string, dest: string, via: string): void {
    this.topologyVersion++;
    this.routes.set(linkKey(at, dest), via);
  }

  /** Point-to-point: two one-way links between two hosts' first addresses. */
  connect(a: Host, b: Host, aToB: LinkConfig, bToA: LinkConfig = aToB, names?: { forward: string; reverse: string }): { forward: Link; reverse: Link } {
    const ia = a.addresses[0]!.host;
    const ib = b.addresses[0]!.host;
    return { forward: this.addLink(ia, ib, aToB, names?.forward), reverse: this.addLink(ib, ia, bToA, names?.reverse) };
  }

  /** The one-way link from IP `from` to IP `to`, or undefined when there is none. */
  link(from: string, to: string): Link | undefined {
    return this.links.get(linkKey(from, to));
  }

  /**
   * Puts a NAT in front of `inside` (default: the host's first address) with the public address
   * `publicAddress` (default: a fresh public IP, same port).
   */
  addNat(host: Host, publicAddress?: SocketAddress, inside: SocketAddress = host.addresses[0]!): Nat {
    const ik = addressKey(inside);
    if (this.byAddress.get(ik) !== host) throw new RangeError(`${ik} is not an address of ${host.name}`);
    if (this.natByInside.has(ik)) throw new RangeError(`${ik} already has a NAT`);
    const pub = publicAddress ?? { host: this.nextPublicIp(inside.host.includes(':')), port: inside.port };
    if (this.byAddress.has(addressKey(pub)) || this.natByPublic.has(addressKey(pub))) throw new RangeError(`public address ${addressKey(pub)} is in use`);
    const nat = new Nat(host, inside, pub);
    this.nats.push(nat);
    this.natByInside.set(ik, nat);
    this.bindPublic(nat, pub);
    return nat;
  }

  /**
   * Moves a NAT's public address: 'port' draws a new port, 'addr' takes a new IP and keeps the
   * port. With `keepOld` (default) earlier public addresses still translate inbound datagrams;
   * without it the old binding is forgotten.
   */
  rebind(nat: Nat, kind: RebindKind, keepOld = true): SocketAddress {
    const old = nat.public;
    let next: SocketAddress;
    if (kind === 'port') {
      let port = old.port;
      while (port === old.port || this.natByPublic.has(addressKey({ host: old.host, port }))) port = 1024 + this.natPrng.nextInt(65536 - 1024);
      next = { host: old.host, port };
    } else {
      next = { host: this.nextPublicIp(old.host.includes(':')), port: old.port };
    }
    if (!keepOld) this.natByPublic.delete(addressKey(old));
    nat.history.push(next);
    nat.counters.rebinds++;
    this.bindPublic(nat, next);
    return next;
  }

  private bindPublic(nat: Nat, pub: SocketAddress): void {
    this.topologyVersion++;
    this.natByPublic.set(addressKey(pub), nat);
    this.natByIp.set(pub.host, nat);
    if (pub.host !== nat.inside.host) this.attached.set(pub.host, nat.inside.host);
  }

  private nextPublicIp(v6: boolean): string {
    // IPv4: RFC 6598 shared address space (100.64.0.0/10), as a carrier-grade NAT would use.
    // IPv6: unique local addresses (RFC 4193) in fd64::/64, one per rebinding.
    for (;;) {
      const n = ++this.publicIps;
      const ip = v6 ? ipv6Text([0xfd64, 0, 0, 0, 0, 0, (n >>> 16) & 0xffff, n & 0xffff]) : `100.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`;
      if (!this.attached.has(ip) && !this.routers.has(ip) && !this.natByIp.has(ip)) return ip;
    }
  }

  private key(a: SocketAddress): string {
    let k = this.keys.get(a);
    if (k === undefined) this.keys.set(a, (k = addressKey(a)));
    return k;
  }

  /** The IP where links toward `ip` attach: a NAT's inside IP for its public IPs. */
  private locate(ip: string): string {
    return this.attached.get(ip) ?? ip;
  }

  /**
   * Sends a datagram from its source address: through the source's NAT if it has one, then
   * hop by hop to its destination.
   */
  send(d: Datagram): void {
    const fromKey = this.key(d.from);
    const sender = this.byAddress.get(fromKey)?.name ?? fromKey;
    const at = d.from.host;
    const nat = this.natByInside.get(fromKey);
    if (nat) {
      nat.counters.outbound++;
      const t: Datagram = { data: d.data, from: nat.public, to: d.to };
      if (d.ecn !== undefined) t.ecn = d.ecn;
      d = t;
    }
    this.forward(at, d, sender, 0);
  }

  private forward(at: string, d: Datagram, sender: string, hops: number): void {
    const dest = this.locate(d.to.host);
    let next: string;
    let key: string;
    let link: Link | undefined;
    let hop: Hop | undefined;
    const recent = this.recentHops;
    if (this.hopsVersion !== this.topologyVersion) {
      recent.length = 0;
      this.hopsVersion = this.topologyVersion;
    }
    for (let i = 0; i < recent.length; i++) {
      const h = recent[i]!;
      if (h.at === at && h.dest === dest) {
        hop = h;
        break;
      }
    }
    if (hop !== undefined) {
      // Datagrams take the few hops of their flows' paths over and over (DESIGN §4 rule 4).
      next = hop.next;
      key = hop.key;
      link = hop.link;
    } else {
      next = dest;
      key = linkKey(at, dest);
      link = this.links.get(key);
      if (!link) {
        const via = this.routes.get(key) ?? this.routes.get(linkKey(at, '*'));
        if (via !== undefined) {
          next = via;
          key = linkKey(at, via);
          link = this.links.get(key);
        }
      }
      if (link) {
        if (recent.length >= RECENT_HOPS) recent.pop();
        recent.unshift({ at, dest, next, key, link });
      }
    }
    if (!link || hops >= MAX_HOPS) return void this.unroutable++;
    const out = link.offer(this.engine.now, d);
    for (let i = 0; i < out.length; i++) {
      const x = out[i]!;
      this.engine.schedule(x.at, () => this.arrive(next, x, key, sender, hops + 1));
    }
  }

  private arrive(at: string, x: Delivery, key: string, sender: string, hops: number): void {
    let d = x.d;
    if (at !== this.locate(d.to.host)) return this.forward(at, d, sender, hops);
    const toKey = this.key(d.to);
    const nat = this.natByPublic.get(toKey);
    if (nat) {
      nat.counters.inbound++;
      if (nat.public.port !== d.to.port || nat.public.host !== d.to.host) nat.counters.inboundOld++;
      d = { ...d, to: nat.inside };
    } else {
      const stale = this.natByIp.get(d.to.host);
      if (stale && !this.byAddress.has(toKey)) return void stale.counters.droppedStale++;
    }
    const host = nat ? this.byAddress.get(this.key(d.to)) : this.byAddress.get(toKey);
    if (!host) return void this.unroutable++;
    if (this.opts.trace) this.trace.push({ at: this.engine.now, link: key, index: x.index, size: d.data.length });
    let bySender = this.observedBy.get(host);
    if (!bySender) this.observedBy.set(host, (bySender = new Map()));
    let seen = bySender.get(sender);
    if (!seen) {
      seen = new Map();
      bySender.set(sender, seen);
      this.observed.set(`${sender}>${host.name}`, seen);
    }
    const fk = this.key(d.from);
    seen.set(fk, (seen.get(fk) ?? 0) + 1);
    this.opts.onDeliver?.(host, d, this.engine.now);
    host.node.deliver(d);
  }
}

/** A forwarding decision: at IP `at`, toward `dest`, the link `key` to `next`. */
interface Hop {
  at: string;
  dest: string;
  next: string;
  key: string;
  link: Link;
}

/** Hops remembered: both directions of a few paths. */
const RECENT_HOPS = 8;

function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}
