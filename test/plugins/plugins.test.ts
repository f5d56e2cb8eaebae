/** Plug-ins: one object registers controllers, schedulers, FEC policies and qlog sinks by name; the CLI loads them with --plugin. */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadPlugin, registerPlugin, registeredPlugins } from '../../src/plugins/index.js';
import { congestionControllerNames, createCongestionController } from '../../src/recovery/cc/registry.js';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import { createScheduler, schedulerNames } from '../../src/paths/scheduler.js';
import { createFecPolicy, fecPolicyNames } from '../../src/fec/policy.js';
import { createQlogSink, qlogSinkNames } from '../../src/qlog/registry.js';
import { createPathManager, pathManagerNames } from '../../src/connection/path-manager.js';
import { MemorySink } from '../../src/qlog/memory.js';
import { bulk, link, loss, pointToPoint, scenario, simulate } from '../../src/sim/index.js';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/capture.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/aimd-plugin.mjs', import.meta.url));

afterEach(() => vi.restoreAllMocks());

describe('registerPlugin', () => {
  it('registers every kind under its name, once', () => {
    const sinks: MemorySink[] = [];
    const r = registerPlugin({
      name: 'all-kinds',
      congestionControllers: { 'pl-reno': (o) => new NewReno(o) },
      schedulers: { 'pl-first': () => ({ name: 'pl-first', select: (paths) => paths.find((p) => p.usable) }) },
      fecPolicies: { 'pl-one': () => ({ name: 'pl-one', k: 4, repairs: () => 1 }) },
      pathManagers: { 'pl-idle': () => ({ name: 'pl-idle' }) },
      qlogSinks: {
        'pl-mem': () => {
          const m = new MemorySink();
          sinks.push(m);
          return m;
        },
      },
    });
    expect(r).toEqual({ name: 'all-kinds', congestionControllers: ['pl-reno'], schedulers: ['pl-first'], fecPolicies: ['pl-one'], pathManagers: ['pl-idle'], qlogSinks: ['pl-mem'] });
    expect(pathManagerNames()).toContain('pl-idle');
    expect(createPathManager('pl-idle').name).toBe('pl-idle');
    expect(congestionControllerNames()).toContain('pl-reno');
    expect(createCongestionController('pl-reno', { maxDatagramSize: 1200 })).toBeInstanceOf(NewReno);
    expect(schedulerNames()).toContain('pl-first');
    expect(createScheduler('pl-first').name).toBe('pl-first');
    expect(fecPolicyNames()).toContain('pl-one');
    expect(createFecPolicy('pl-one').repairs(4, 0)).toBe(1);
    expect(qlogSinkNames()).toContain('pl-mem');
    expect(createQlogSink('pl-mem', { role: 'client', odcid: '00' })).toBe(sinks[0]);
    // The same plug-in again: nothing new, no error.
    expect(registerPlugin({ name: 'all-kinds' })).toBe(r);
    expect(registeredPlugins().map((p) => p.name)).toContain('all-kinds');
  });

  it('refuses a plug-in whose names are taken, registering none of them', () => {
    expect(() => registerPlugin({ name: 'clash', congestionControllers: { 'pl-new': (o) => new NewReno(o), cubic: (o) => new NewReno(o) } })).toThrow(/already registered: congestion controller "cubic"/);
    expect(congestionControllerNames()).not.toContain('pl-new');
    expect(() => registerPlugin({ name: 'clash2', qlogSinks: { memory: () => undefined } })).toThrow(/qlog sink "memory"/);
    expect(() => registerPlugin({ name: 'clash3', pathManagers: { passive: () => ({ name: 'x' }) } })).toThrow(/path manager "passive"/);
    expect(() => registerPlugin({ name: 'bad', schedulers: { s: 42 as never } })).toThrow(TypeError);
    expect(() => registerPlugin({} as never)).toThrow(TypeError);
  });
});

describe('loadPlugin', () => {
  it('imports a plain JavaScript module and its controller runs a simulated transfer', async () => {
    const r = await loadPlugin(FIXTURE);
    expect(r.congestionControllers).toEqual(['test-aimd']);
    const s = scenario({
      name: 'aimd',
      topology: pointToPoint(link({ delayMs: 20, rateMbps: 10 }, loss(0.01))),
      workload: bulk(1 << 20),
      client: { congestionControl: 'test-aimd' },
      server: { congestionControl: 'test-aimd' },
    });
    const sim = await simulate(s, { seed: 2 });
    expect(sim.failures).toEqual([]);
    expect(sim.server!.congestionControl).toBe('test-aimd');
    expect(sim.client!.congestionControl).toBe('test-aimd');
  });

  it('says what is wrong with a module that exports no plug-in', async () => {
    await expect(loadPlugin(fileURLToPath(new URL('../support/capture.ts', import.meta.url)))).rejects.toThrow(/exports no plug-in/);
  });
});

describe('tquic sim --plugin', () => {
  it('selects the plug-in controller by name with --cc', async () => {
    const c = capture();
    expect(await main(['sim', 'default', '--plugin', FIXTURE, '--cc', 'test-aimd', '--bytes', '200000', '--json'])).toBe(0);
    expect(c.err()).toContain('plug-in aimd-fixture: congestion controller test-aimd');
    const out = JSON.parse(c.out()) as { completed: boolean; server: { congestionControl: string } };
    expect(out.completed).toBe(true);
    expect(out.server.congestionControl).toBe('test-aimd');
  });

  it('an unknown --cc or a missing plug-in file is a usage error', async () => {
    let c = capture();
    expect(await main(['sim', 'default', '--cc', 'nosuch'])).toBe(2);
    expect(c.err()).toContain('unknown congestion controller "nosuch"');
    vi.restoreAllMocks();
    c = capture();
    expect(await main(['sim', 'default', '--plugin', '/nonexistent/plugin.mjs'])).toBe(2);
    expect(c.err()).toContain('--plugin /nonexistent/plugin.mjs');
  });
});
