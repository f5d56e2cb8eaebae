/**
 * Plug-ins: one object that brings an experiment's own algorithms to tquic — congestion
 * controllers, multipath packet schedulers, FEC redundancy policies, multipath path managers
 * and qlog sinks — each under a name, registered in the same registries as tquic's built-ins,
 * and then selected by that name through options (`TransportSettings.congestionControl`,
 * `MultipathConfig.scheduler` / `pathManager`, `FecConfig.policy`, the `qlogSink` option) or
 * on the command line (`tquic sim --plugin ./my-plugin.js --cc mine`).
 *
 * A plug-in module exports a `TquicPlugin` as its default export (or as `plugin`), or a
 * function returning one. The registries refuse a name that is taken, so a plug-in can neither
 * shadow a built-in nor another plug-in, and a name always means one algorithm.
 */
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { congestionControllerNames, registerCongestionController } from '../recovery/cc/registry.js';
import type { CongestionControllerFactory } from '../recovery/cc/types.js';
import { registerScheduler, schedulerNames, type SchedulerFactory } from '../paths/scheduler.js';
import { fecPolicyNames, registerFecPolicy, type FecPolicyFactory } from '../fec/policy.js';
import { hasQlogSink, registerQlogSink, type QlogSinkFactory } from '../qlog/registry.js';
import { pathManagerNames, registerPathManager, type PathManagerFactory } from '../connection/path-manager.js';

/** What a plug-in brings; every field is optional, each maps names to factories. */
export interface TquicPlugin {
  /** The plug-in's name, for messages (`tquic sim` prints what it loaded). */
  name: string;
  /** Congestion controllers (recovery/cc/types.ts `CongestionController`), by registry name. */
  congestionControllers?: Record<string, CongestionControllerFactory>;
  /** Multipath packet schedulers (paths/scheduler.ts `PacketScheduler`), by registry name. */
  schedulers?: Record<string, SchedulerFactory>;
  /** FEC redundancy policies (fec/policy.ts `FecPolicy`), by registry name. */
  fecPolicies?: Record<string, FecPolicyFactory>;
  /** Multipath path managers (connection/path-manager.ts `PathManager`), by registry name. */
  pathManagers?: Record<string, PathManagerFactory>;
  /** qlog sinks (qlog/registry.ts `QlogSinkFactory`), by registry name. */
  qlogSinks?: Record<string, QlogSinkFactory>;
}

/** The names a registered plug-in added, by kind. */
export interface RegisteredPlugin {
  name: string;
  congestionControllers: string[];
  schedulers: string[];
  fecPolicies: string[];
  pathManagers: string[];
  qlogSinks: string[];
}

const registered = new Map<string, RegisteredPlugin>();

/**
 * Registers everything `plugin` brings. All names are checked first, so a clash registers
 * nothing: RangeError naming the taken names (and the plug-in). A plug-in object registered
 * before under the same name is not registered again (loading one module twice is harmless).
 */
export function registerPlugin(plugin: TquicPlugin): RegisteredPlugin {
  if (plugin === null || typeof plugin !== 'object' || typeof plugin.name !== 'string' || plugin.name === '') throw new TypeError('a plug-in is an object with a non-empty name');
  const known = registered.get(plugin.name);
  if (known !== undefined) return known;
  const entries = <F>(r: Record<string, F> | undefined): Array<[string, F]> => {
    if (r === undefined) return [];
    if (r === null || typeof r !== 'object') throw new TypeError(`plug-in "${plugin.name}": each kind is an object of name → factory`);
    return Object.entries(r);
  };
  const cc = entries(plugin.congestionControllers);
  const sched = entries(plugin.schedulers);
  const fec = entries(plugin.fecPolicies);
  const managers = entries(plugin.pathManagers);
  const sinks = entries(plugin.qlogSinks);
  const taken = [
    ...cc.filter(([n]) => congestionControllerNames().includes(n)).map(([n]) => `congestion controller "${n}"`),
    ...sched.filter(([n]) => schedulerNames().includes(n)).map(([n]) => `scheduler "${n}"`),
    ...fec.filter(([n]) => fecPolicyNames().includes(n)).map(([n]) => `FEC policy "${n}"`),
    ...managers.filter(([n]) => pathManagerNames().includes(n)).map(([n]) => `path manager "${n}"`),
    ...sinks.filter(([n]) => hasQlogSink(n)).map(([n]) => `qlog sink "${n}"`),
  ];
  if (taken.length > 0) throw new RangeError(`plug-in "${plugin.name}": already registered: ${taken.join(', ')}`);
  for (const [kind, list] of [['congestion controller', cc], ['scheduler', sched], ['FEC policy', fec], ['path manager', managers], ['qlog sink', sinks]] as const) {
    for (const [n, f] of list) if (typeof f !== 'function') throw new TypeError(`plug-in "${plugin.name}": ${kind} "${n}" needs a factory function`);
  }
  for (const [n, f] of cc) registerCongestionController(n, f);
  for (const [n, f] of sched) registerScheduler(n, f);
  for (const [n, f] of fec) registerFecPolicy(n, f);
  for (const [n, f] of managers) registerPathManager(n, f);
  for (const [n, f] of sinks) registerQlogSink(n, f);
  const r: RegisteredPlugin = {
    name: plugin.name,
    congestionControllers: cc.map(([n]) => n),
    schedulers: sched.map(([n]) => n),
    fecPolicies: fec.map(([n]) => n),
    pathManagers: managers.map(([n]) => n),
    qlogSinks: sinks.map(([n]) => n),
  };
  registered.set(plugin.name, r);
  return r;
}

/** The plug-ins registered so far, in order. */
export function registeredPlugins(): RegisteredPlugin[] {
  return [...registered.values()];
}

/**
 * Imports the plug-in module `specifier` — a file path (relative to `base`, default the
 * working directory) or a package name resolved from `base` — and registers it. The module's
 * default export, or its `plugin` export, is a TquicPlugin or a (possibly async) function
 * returning one.
 */
export async function loadPlugin(specifier: string, base: string = process.cwd()): Promise<RegisteredPlugin> {
  const looksLikePath = specifier.startsWith('.') || isAbsolute(specifier) || /\.(m?js|cjs|ts)$/.test(specifier);
  let url: string;
  if (looksLikePath) url = pathToFileURL(resolve(base, specifier)).href;
  else url = pathToFileURL(createRequire(resolve(base, 'package.json')).resolve(specifier)).href;
  const mod = (await import(url)) as { default?: unknown; plugin?: unknown };
  let p = mod.plugin ?? mod.default;
  if (typeof p === 'function') p = await (p as () => unknown)();
  if (p === null || typeof p !== 'object') throw new TypeError(`${specifier}: the module exports no plug-in (a default or \`plugin\` export: an object with a name, or a function returning one)`);
  return registerPlugin(p as TquicPlugin);
}
