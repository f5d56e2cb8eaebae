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

/** Adds (or replaces) a controller. */
export function registerCongestionController(name: string, factory: CongestionControllerFactory): void {
  if (name === '') throw new RangeError('a congestion controller needs a name');
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
