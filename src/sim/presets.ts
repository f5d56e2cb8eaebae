/**
 * Scenario presets reproducing the QUIC interop runner's network scenarios (its ns-3 simulator:
 * default link 10 Mbps, 15 ms one-way delay, 25-packet drop-tail queue, in both directions).
 */
import type { LinkConfig, LinkEvent } from './link.js';
import { burstLoss } from './link.js';
import type { Scenario } from './scenario.js';

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
];

export const PRESETS: ReadonlyMap<string, Scenario> = new Map(PRESET_LIST.map((s) => [s.name, s]));

export const PRESET_NAMES: readonly string[] = PRESET_LIST.map((s) => s.name);

/** A fresh copy of a preset (safe to modify), with optional overrides. */
export function preset(name: string, over: { seed?: number; bytes?: number; direction?: 'download' | 'upload' } = {}): Scenario {
  const p = PRESETS.get(name);
  if (!p) throw new RangeError(`unknown preset ${name}; one of ${PRESET_NAMES.join(', ')}`);
  const s = JSON.parse(JSON.stringify(p)) as Scenario;
  if (over.seed !== undefined) s.seed = over.seed;
  if (over.bytes !== undefined) s.workload.bytes = over.bytes;
  if (over.direction !== undefined) s.workload.direction = over.direction;
  return s;
}
