/**
 * Hosts and links on top of the engine. A host is an Endpoint at one or more addresses; links are
 * one-way and keyed by (source IP, destination IP), so a port change still routes. A datagram
 * with no link or no host at its destination is counted as unroutable and dropped.
 */
import { addressKey, type Datagram, type SocketAddress } from '../util/datagram.js';
import { Prng } from '../util/prng.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { Engine, type SimEndpoint } from './engine.js';
import { Link, type LinkConfig } from './link.js';

export interface Host {
  readonly name: string;
  readonly addresses: SocketAddress[];
  readonly node: SimEndpoint;
  readonly endpoint: Endpoint;
}

/** One delivered datagram, for traces. */
export interface TraceEntry {
  at: number;
  link: string;
  index: number;
  size: number;
}

export interface NetworkOptions {
  seed?: number;
  /** Record every delivery in `trace` (for determinism checks and debugging). */
  trace?: boolean;
}

export class Network {
  readonly engine = new Engine();
  readonly prng: Prng;
  readonly hosts = new Map<string, Host>();
  readonly links = new Map<string, Link>();
  private readonly byAddress = new Map<string, Host>();
  /** Datagrams with no link or no host to deliver them to. */
  unroutable = 0;
  readonly trace: TraceEntry[] = [];

  constructor(readonly opts: NetworkOptions = {}) {
    this.prng = new Prng(opts.seed ?? 1);
  }

  /**
   * Adds a host for `endpoint`, reachable at its local address plus any `extra` addresses.
   * `onActivity` runs after each delivery or timer (the application's turn to act).
   */
  addHost(name: string, endpoint: Endpoint, onActivity?: (h: Host) => void, extra: SocketAddress[] = []): Host {
    if (this.hosts.has(name)) throw new RangeError(`duplicate host ${name}`);
    const addresses = [endpoint.local, ...extra];
    let host: Host | undefined;
    const node = this.engine.addEndpoint(endpoint, {
      send: (d) => this.send(d),
      ...(onActivity ? { onActivity: () => onActivity(host!) } : {}),
    });
    host = { name, addresses, node, endpoint };
    this.hosts.set(name, host);
    for (const a of addresses) {
      const k = addressKey(a);
      if (this.byAddress.has(k)) throw new RangeError(`duplicate address ${k}`);
      this.byAddress.set(k, host);
    }
    return host;
  }

  /** A one-way link from IP `from` to IP `to`; its seed is drawn from the network's Prng. */
  addLink(from: string, to: string, config: LinkConfig): Link {
    const key = linkKey(from, to);
    if (this.links.has(key)) throw new RangeError(`duplicate link ${key}`);
    const link = new Link(config, this.prng.nextU32());
    this.links.set(key, link);
    for (const e of config.events ?? []) this.engine.schedule(Math.max(e.at, this.engine.now), () => link.apply(e));
    return link;
  }

  /** Point-to-point: two one-way links between two hosts' first addresses. */
  connect(a: Host, b: Host, aToB: LinkConfig, bToA: LinkConfig = aToB): { forward: Link; reverse: Link } {
    const ia = a.addresses[0]!.host;
    const ib = b.addresses[0]!.host;
    return { forward: this.addLink(ia, ib, aToB), reverse: this.addLink(ib, ia, bToA) };
  }

  link(from: string, to: string): Link | undefined {
    return this.links.get(linkKey(from, to));
  }

  /** Puts a datagram on the link from its source to its destination. */
  send(d: Datagram): void {
    const key = linkKey(d.from.host, d.to.host);
    const link = this.links.get(key);
    if (!link) return void this.unroutable++;
    const now = this.engine.now;
    for (const x of link.offer(now, d)) {
      this.engine.schedule(x.at, () => {
        const host = this.byAddress.get(addressKey(x.d.to));
        if (!host) return void this.unroutable++;
        if (this.opts.trace) this.trace.push({ at: this.engine.now, link: key, index: x.index, size: x.d.data.length });
        host.node.deliver(x.d);
      });
    }
  }
}

function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}
