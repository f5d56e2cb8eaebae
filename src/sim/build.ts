/**
 * Typed builders for simulator scenarios, in the units people write (ms, Mbit/s, seconds,
 * fractions), converting to the plain-data `Scenario` (µs, bit/s) that `runScenario` and
 * `simulate` take. Everything here returns plain objects, so a built scenario can be printed,
 * stored as JSON and replayed with `tquic sim file.json`.
 *
 *   const s = scenario({
 *     name: 'lossy-bulk',
 *     topology: pointToPoint(link({ delayMs: 20, rateMbps: 10, queuePackets: 50 }, loss(0.01), outage(5, 2))),
 *     workload: bulk(4 << 20),
 *   });
 *
 * Impairments are partial link configurations: their fields replace the link's (loss,
 * duplication, corruption, jitter, bursty loss, MTU), and their scheduled events (outages,
 * flapping, rate and delay changes) are added to the link's.
 */
import type { Duration } from '../util/time.js';
import type { FecConfig } from '../connection/fec.js';
import { burstLoss, type LinkConfig, type LinkEvent } from './link.js';
import type { DumbbellTopology, LinkPair, MultihomedTopology, PathSpec, PointToPointTopology, Topology } from './topology.js';
import type { BulkWorkload, DatagramsWorkload, Direction, HandshakesWorkload, RequestsWorkload, StreamsWorkload, Workload } from './workload.js';
import type { FlowSpec, NetworkEvent, Scenario, SimMultipath, SimTransportSettings } from './scenario.js';

const MS = 1000;
const S = 1_000_000;

/** An impairment: link fields to set, and scheduled link events to add. */
export type Impairment = Partial<LinkConfig>;

/** A link's base figures, in human units. */
export interface LinkSpec {
  /** One-way propagation delay, ms. */
  delayMs: number;
  /** Bottleneck rate, Mbit/s (absent: infinite, no queue). */
  rateMbps?: number;
  /** Drop-tail queue limit in packets (default: the bandwidth-delay product of 2×delay, at least 10, when a rate is set). */
  queuePackets?: number;
  /** Drop-tail queue limit in bytes. */
  queueBytes?: number;
}

/** A one-way link: its base figures plus impairments, applied in order. */
export function link(spec: LinkSpec, ...impairments: Impairment[]): LinkConfig {
  if (!(spec.delayMs >= 0)) throw new RangeError('link: delayMs must be >= 0');
  if (spec.rateMbps !== undefined && !(spec.rateMbps > 0)) throw new RangeError('link: rateMbps must be > 0');
  const rate = spec.rateMbps !== undefined ? Math.round(spec.rateMbps * 1e6) : undefined;
  let queuePackets = spec.queuePackets;
  if (queuePackets === undefined && rate !== undefined) queuePackets = Math.max(10, Math.ceil((rate * 2 * spec.delayMs) / 1000 / 8 / 1500));
  let l: LinkConfig = {
    delay: Math.round(spec.delayMs * MS),
    ...(rate !== undefined ? { rate } : {}),
    ...(queuePackets !== undefined ? { queuePackets } : {}),
    ...(spec.queueBytes !== undefined ? { queueBytes: spec.queueBytes } : {}),
  };
  for (const i of impairments) l = impair(l, i);
  return l;
}

/** `base` with an impairment applied: fields replaced, events added (kept in time order). */
export function impair(base: LinkConfig, i: Impairment): LinkConfig {
  const events = [...(base.events ?? []), ...(i.events ?? [])].sort((a, b) => a.at - b.at);
  return { ...base, ...i, ...(events.length > 0 ? { events } : {}) };
}

function probability(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name}: a probability in [0, 1]`);
  return p;
}

/** Independent random loss with probability `p`. */
export function loss(p: number): Impairment {
  return { loss: probability('loss', p) };
}

/**
 * Bursty loss (Gilbert-Elliott, link.ts `burstLoss`): `rate` of all packets lost in the long
 * run, `meanBurst` packets lost in a row on average.
 */
export function burstyLoss(rate: number, meanBurst: number): Impairment {
  return { burst: burstLoss(rate, meanBurst) };
}

/** Each datagram delivered twice with probability `p`. */
export function duplicate(p: number): Impairment {
  return { duplicate: probability('duplicate', p) };
}

/** Each delivered datagram gets one bit flipped with probability `p`. */
export function corrupt(p: number): Impairment {
  return { corrupt: probability('corrupt', p) };
}

/** Extra uniform delay in [0, `ms`]; with `reorder` datagrams may overtake each other. */
export function jitter(ms: number, reorder = false): Impairment {
  if (!(ms >= 0)) throw new RangeError('jitter: ms must be >= 0');
  return { jitter: Math.round(ms * MS), reorder };
}

/** The link carries datagrams of at most `bytes` (larger ones are dropped: PMTU black holes). */
export function mtu(bytes: number): Impairment {
  return { mtu: bytes };
}

/** The link is down from `atS` for `forS` seconds (everything sent meanwhile is lost). */
export function outage(atS: number, forS: number): Impairment {
  if (!(atS >= 0 && forS > 0)) throw new RangeError('outage: atS >= 0 and forS > 0');
  const events: LinkEvent[] = [
    { at: Math.round(atS * S), type: 'down' },
    { at: Math.round((atS + forS) * S), type: 'up' },
  ];
  return { events };
}

/** Up `upS` seconds, down `downS` seconds, repeated until `untilS`. */
export function flapping(upS: number, downS: number, untilS: number): Impairment {
  if (!(upS > 0 && downS > 0)) throw new RangeError('flapping: upS and downS must be > 0');
  const events: LinkEvent[] = [];
  for (let t = upS; t < untilS; t += upS + downS) events.push({ at: Math.round(t * S), type: 'down' }, { at: Math.round((t + downS) * S), type: 'up' });
  return { events };
}

/** The rate becomes `mbps` at `atS` seconds. */
export function rateChange(atS: number, mbps: number): Impairment {
  if (!(mbps > 0)) throw new RangeError('rateChange: mbps must be > 0');
  return { events: [{ at: Math.round(atS * S), type: 'rate', rate: Math.round(mbps * 1e6) }] };
}

/** The one-way delay becomes `ms` at `atS` seconds. */
export function delayChange(atS: number, ms: number): Impairment {
  if (!(ms >= 0)) throw new RangeError('delayChange: ms must be >= 0');
  return { events: [{ at: Math.round(atS * S), type: 'delay', delay: Math.round(ms * MS) }] };
}

/** The random loss becomes `p` at `atS` seconds. */
export function lossChange(atS: number, p: number): Impairment {
  return { events: [{ at: Math.round(atS * S), type: 'loss', loss: probability('lossChange', p) }] };
}

/** A client ⇄ server pair of links; the way back defaults to a copy of the way there. */
export function pointToPoint(toServer: LinkConfig, toClient: LinkConfig = { ...toServer, ...(toServer.events ? { events: [...toServer.events] } : {}) }): PointToPointTopology {
  return { type: 'point-to-point', toServer, toClient };
}

function pair(l: LinkConfig | LinkPair): LinkPair {
  return 'toServer' in l ? l : { toServer: l, toClient: { ...l } };
}

/**
 * N clients and M servers sharing one bottleneck (flow i uses client i and server i mod M);
 * a single link stands for both directions.
 */
export function dumbbell(o: { bottleneck: LinkConfig | LinkPair; clients?: number; servers?: number; access?: LinkConfig | LinkPair }): DumbbellTopology {
  return {
    type: 'dumbbell',
    bottleneck: pair(o.bottleneck),
    ...(o.clients !== undefined ? { clients: o.clients } : {}),
    ...(o.servers !== undefined ? { servers: o.servers } : {}),
    ...(o.access !== undefined ? { access: pair(o.access) } : {}),
  };
}

/** A client with one address per path, each path its own links (a single link stands for both directions). */
export function multihomed(...paths: Array<LinkConfig | LinkPair | PathSpec>): MultihomedTopology {
  if (paths.length === 0) throw new RangeError('multihomed: at least one path');
  return { type: 'multihomed', paths: paths.map((p) => pair(p)) };
}

/** A bulk transfer of `bytes` (a download unless `direction` says 'upload'). */
export function bulk(bytes: number, direction: Direction = 'download'): BulkWorkload {
  return { type: 'bulk', bytes, direction };
}

/** `count` streams of `size` bytes, at most `concurrency` at a time, one every `intervalMs`. */
export function streams(count: number, size: number, o: { intervalMs?: number; concurrency?: number; direction?: Direction } = {}): StreamsWorkload {
  return {
    type: 'streams',
    count,
    size,
    ...(o.intervalMs !== undefined ? { interval: Math.round(o.intervalMs * MS) } : {}),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    ...(o.direction !== undefined ? { direction: o.direction } : {}),
  };
}

/** `count` request/response exchanges, on a stream each. */
export function requests(count: number, requestSize: number, responseSize: number, o: { intervalMs?: number; concurrency?: number } = {}): RequestsWorkload {
  return {
    type: 'requests',
    count,
    requestSize,
    responseSize,
    ...(o.intervalMs !== undefined ? { interval: Math.round(o.intervalMs * MS) } : {}),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
  };
}

/** `count` DATAGRAM frames (RFC 9221) of `size` bytes, one every `intervalMs`. */
export function datagrams(count: number, size: number, o: { intervalMs?: number; direction?: Direction } = {}): DatagramsWorkload {
  return {
    type: 'datagrams',
    count,
    size,
    ...(o.intervalMs !== undefined ? { interval: Math.round(o.intervalMs * MS) } : {}),
    ...(o.direction !== undefined ? { direction: o.direction } : {}),
  };
}

/** `count` connections one after another, each a handshake and a small exchange. */
export function handshakes(count: number, o: { earlyData?: boolean; awaitSession?: boolean } = {}): HandshakesWorkload {
  return { type: 'handshakes', count, ...(o.earlyData !== undefined ? { earlyData: o.earlyData } : {}), ...(o.awaitSession !== undefined ? { awaitSession: o.awaitSession } : {}) };
}

/** Per-endpoint choices of a built scenario. */
export interface EndpointSpec {
  /** Transport settings (connection/config.ts), e.g. `{ congestionControl: 'mycc' }`. */
  transport?: SimTransportSettings;
  /** Shorthand for `transport.congestionControl`: a registered controller's name. */
  congestionControl?: string;
  multipath?: SimMultipath;
  fec?: FecConfig;
}

/** What `scenario` takes: a topology, a workload and the rest of `Scenario` in human units. */
export interface ScenarioSpec {
  name: string;
  description?: string;
  topology: Topology;
  /** The workload of every flow (or of the one flow). */
  workload: Workload;
  /** Several flows (dumbbell): per-flow start, client, controller; default one flow. */
  flows?: Array<Omit<FlowSpec, 'start'> & { startS?: number }>;
  /** NAT rebinding, migration and key-update events (times in µs, as in `Scenario`). */
  events?: NetworkEvent[];
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Give up after this many seconds of virtual time (default 300). */
  maxTimeS?: number;
  client?: EndpointSpec;
  server?: EndpointSpec;
}

function endpoint(e: EndpointSpec | undefined): { transport?: SimTransportSettings; multipath?: SimMultipath; fec?: FecConfig } | undefined {
  if (e === undefined) return undefined;
  const transport: SimTransportSettings = { ...(e.transport ?? {}), ...(e.congestionControl !== undefined ? { congestionControl: e.congestionControl } : {}) };
  return {
    ...(Object.keys(transport).length > 0 ? { transport } : {}),
    ...(e.multipath !== undefined ? { multipath: e.multipath } : {}),
    ...(e.fec !== undefined ? { fec: e.fec } : {}),
  };
}

/** A `Scenario` from a spec: the topology's links in place, times converted to µs. */
export function scenario(spec: ScenarioSpec): Scenario {
  const client = endpoint(spec.client);
  const server = endpoint(spec.server);
  const maxTime: Duration | undefined = spec.maxTimeS !== undefined ? Math.round(spec.maxTimeS * S) : undefined;
  return {
    name: spec.name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.topology.type === 'point-to-point' ? { toServer: spec.topology.toServer, toClient: spec.topology.toClient } : { topology: spec.topology }),
    workload: spec.workload,
    ...(spec.flows !== undefined
      ? { flows: spec.flows.map(({ startS, ...f }) => ({ ...f, ...(startS !== undefined ? { start: Math.round(startS * S) } : {}) })) }
      : {}),
    ...(spec.events !== undefined ? { events: spec.events } : {}),
    ...(maxTime !== undefined ? { maxTime } : {}),
    ...(client !== undefined ? { client } : {}),
    ...(server !== undefined ? { server } : {}),
  };
}
