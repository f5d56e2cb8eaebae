/**
 * The congestion-controller registry (DESIGN §3): controllers are created by name, so the
 * connection, the CLI (`--cc`) and experiments choose one without importing it. Built in:
 * 'newreno' (RFC 9002 §7), 'cubic' (RFC 9438), 'bbr3' (draft-ietf-ccwg-bbr), 'prague' (L4S,
 * draft-briscoe-iccrg-prague-congestion-control).
 */
import { Cubic } from './cubic.js';
import { NewReno } from './newreno.js';
import { Bbr3 } from './bbr3.js';
import { Prague } from './prague.js';
import type { CongestionController, CongestionControllerFactory, CongestionControllerOptions } from './types.js';

const factories = new Map<string, CongestionControllerFactory>([
  ['newreno', (o) => new NewReno(o)],
  ['cubic', (o) => new Cubic(o)],
  ['bbr3', (o) => new Bbr3(o)],
  ['prague', (o) => new Prague(o)],
]);

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Adds a controller under `name` (letters, digits, '.', '_', '-'). RangeError for an invalid
 * name or one that is taken (built-ins included): a name always means one algorithm, as for
 * schedulers, FEC policies and qlog sinks.
 */
export function registerCongestionController(name: string, factory: CongestionControllerFactory): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RangeError(`invalid congestion controller name ${JSON.stringify(name)}`);
  if (typeof factory !== 'function') throw new TypeError(`congestion controller "${name}": the factory must be a function`);
  if (factories.has(name)) throw new RangeError(`congestion controller "${name}" is already registered`);
  factories.set(name, factory);
}

/** Creates a controller by name; RangeError for an unknown name, listing the known ones. */
export function createCongestionController(name: string, o: CongestionControllerOptions): CongestionController {
  const f = factories.get(name);
  if (f === undefined) throw new RangeError(`unknown congestion controller "${name}" (known: ${congestionControllerNames().join(', ')})`);
  return f(o);
}

/** The registered names, in registration order. */
export function congestionControllerNames(): string[] {
  return [...factories.keys()];
}
