/**
 * The multipath path manager (connection/path-manager.ts): the registry, the hooks a manager of
 * one's own gets (onReady, onPathEvent, shouldAbandon, onTimeout with wakeAt) and what the
 * connection does with its answers, the built-ins 'passive' and 'all-addresses' (in the
 * simulator too). Virtual time, fixed seeds; every pair checks the wake contract (checkWakes).
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import {
  BUILTIN_PATH_MANAGERS,
  createPathManager,
  DEFAULT_PATH_MANAGER,
  pathManagerNames,
  registerPathManager,
  type PathControl,
  type PathManager,
  type PathManagerEvent,
  type PathManagerOptions,
} from '../../src/connection/path-manager.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import type { MultipathConfig } from '../../src/connection/multipath.js';
import * as tquic from '../../src/index.js';
import { defaultLink, runScenario, type Scenario, type SimMultipath } from '../../src/sim/index.js';
import { sameAddress, type SocketAddress } from '../../src/util/datagram.js';
import { download, Pair } from '../support/pair.js';
import { simOptions } from '../support/sim.js';
import { baseConfig } from '../../src/io/options.js';

const SECOND = { host: '10.0.0.7', port: 51000 };
const THIRD = { host: '10.0.0.8', port: 52000 };
const MS = 1_000;

const events = (ev: ConnectionEvent[], type: ConnectionEvent['type']) => ev.filter((e) => e.type === type);

/** A hook call a test manager saw: the time, the role and what. */
interface Seen {
  at: number;
  client: boolean;
  what: string;
  e?: PathManagerEvent;
}

async function pair(client: MultipathConfig, server: MultipathConfig, seed = 1): Promise<Pair> {
  return Pair.create({ provider: getProvider('node'), seed, link: { delay: 10_000 }, client: { multipath: { maxPathId: 4, ...client } }, server: { multipath: { maxPathId: 4, ...server } }, qlog: true });
}

describe('path manager registry', () => {
  it("has the built-ins, 'passive' the default; each carries its name and is a fresh instance", () => {
    expect(pathManagerNames().slice(0, 2)).toEqual(['passive', 'all-addresses']);
    expect(BUILTIN_PATH_MANAGERS.map(([n]) => n)).toEqual(['passive', 'all-addresses']);
    expect(DEFAULT_PATH_MANAGER).toBe('passive');
    for (const n of ['passive', 'all-addresses']) expect(createPathManager(n).name).toBe(n);
    expect(createPathManager('all-addresses')).not.toBe(createPathManager('all-addresses'));
  });

  it('rejects an unknown name with a RangeError listing the known ones', () => {
    expect(() => createPathManager('greedy')).toThrow(RangeError);
    expect(() => createPathManager('greedy')).toThrow(/unknown path manager "greedy" \(known: passive, all-addresses/);
  });

  it('rejects duplicate names, built-in or not, and keeps the built-in', () => {
    expect(() => registerPathManager('passive', () => ({ name: 'passive' }))).toThrow(/already registered/);
    registerPathManager('pm-dup-test', () => ({ name: 'pm-dup-test' }));
    expect(() => registerPathManager('pm-dup-test', () => ({ name: 'pm-dup-test' }))).toThrow(RangeError);
    expect(createPathManager('passive').shouldAbandon).toBeTypeOf('function');
    expect(pathManagerNames()).toContain('pm-dup-test');
  });

  it('rejects invalid names and non-function factories', () => {
    for (const bad of ['', ' x', 'a b', '-x', '.x', 'x/y', 'é']) expect(() => registerPathManager(bad, () => ({ name: bad })), bad).toThrow(RangeError);
    expect(() => registerPathManager(42 as unknown as string, () => ({ name: 'x' }))).toThrow(RangeError);
    expect(() => registerPathManager('pm-nofactory', 'x' as unknown as () => PathManager)).toThrow(TypeError);
    expect(pathManagerNames()).not.toContain('pm-nofactory');
  });

  it('validates the built-ins’ options', () => {
    expect(() => createPathManager('passive', { abandonAfterPtos: 0 })).toThrow(/"abandonAfterPtos" must be a positive integer/);
    expect(() => createPathManager('passive', { abandonAfterPtos: 1.5 })).toThrow(RangeError);
    expect(() => createPathManager('passive', { abandonAfterPtos: '3' })).toThrow(RangeError);
    expect(() => createPathManager('passive', { abandonAfterPtos: Infinity })).toThrow(RangeError);
    expect(() => createPathManager('passive', { backup: [1] })).toThrow(/unknown option "backup" \(known: abandonAfterPtos\)/);
    expect(() => createPathManager('all-addresses', { backup: [-1] })).toThrow(/array of non-negative integers/);
    expect(() => createPathManager('all-addresses', { backup: 1 })).toThrow(RangeError);
    expect(() => createPathManager('all-addresses', { backup: [0.5] })).toThrow(RangeError);
    expect(() => createPathManager('all-addresses', null as unknown as PathManagerOptions)).toThrow(RangeError);
    expect(() => createPathManager('all-addresses', [] as unknown as PathManagerOptions)).toThrow(RangeError);
    expect(() => createPathManager('all-addresses', { abandonAfterPtos: 3, backup: [0, 2] })).not.toThrow();
    // The built-ins abandon after their option's count of PTOs, and not before.
    const m = createPathManager('passive', { abandonAfterPtos: 3 });
    const view = (ptoCount: number) => ({ ptoCount }) as never;
    expect(m.shouldAbandon!({} as PathControl, view(2))).toBe(false);
    expect(m.shouldAbandon!({} as PathControl, view(3))).toBe(true);
    expect(createPathManager('passive').shouldAbandon!({} as PathControl, view(4))).toBe(false);
    expect(createPathManager('passive').shouldAbandon!({} as PathControl, view(5))).toBe(true);
  });

  it('is reachable from the package root', () => {
    expect(tquic.registerPathManager).toBe(registerPathManager);
    expect(tquic.createPathManager).toBe(createPathManager);
    expect(tquic.pathManagerNames()).toContain('all-addresses');
  });

  it('the socket API checks the manager’s name and options when they are given', () => {
    expect(() => baseConfig({ alpn: ['x'], multipath: { pathManager: 'greedy' } })).toThrow(/unknown path manager "greedy"/);
    expect(() => baseConfig({ alpn: ['x'], multipath: { abandonAfterPtos: 0 } })).toThrow(/abandonAfterPtos/);
    expect(() => baseConfig({ alpn: ['x'], multipath: { pathManager: 'all-addresses', pathManagerOptions: { backup: 'x' } } })).toThrow(/backup/);
    expect(baseConfig({ alpn: ['x'], multipath: { pathManager: 'all-addresses', pathManagerOptions: { backup: [1] } } }).multipath).toEqual({ pathManager: 'all-addresses', pathManagerOptions: { backup: [1] } });
  });
});

describe('a path manager of its own', () => {
  it('gets onReady once (client and server), path events in order, and its wake-up: opens a backup path and promotes it later', async () => {
    const seen: Seen[] = [];
    const serverTried: Array<number | undefined> = [];
    let promoted = -1;
    let kept: PathControl | undefined;
    registerPathManager('pm-test-promote', () => {
      let id: number | undefined;
      return {
        name: 'pm-test-promote',
        onReady(ctl) {
          seen.push({ at: ctl.now, client: ctl.isClient, what: 'ready' });
          if (!ctl.isClient) {
            // §3.1: only clients open paths.
            expect(ctl.canOpenPath).toBe(false);
            serverTried.push(ctl.openPath(SECOND));
            return;
          }
          expect(ctl.canOpenPath).toBe(true);
          kept = ctl;
          expect(ctl.paths.map((p) => [p.id, p.state, p.validated])).toEqual([[0, 'active', true]]);
          expect(ctl.primaryPathId).toBe(0);
          id = ctl.openPath(SECOND);
          expect(id).toBe(1);
          expect(ctl.setPathStatus(id!, 'backup')).toBe(true);
          expect(ctl.path(id!)).toMatchObject({ id: 1, state: 'validating', validated: false, usable: false, localBackup: true, backup: true, local: SECOND });
        },
        onPathEvent(ctl, e) {
          seen.push({ at: ctl.now, client: ctl.isClient, what: e.type, e });
          if (ctl.isClient && e.type === 'validated' && e.pathId === id) ctl.wakeAt(ctl.now + 300_000);
        },
        onTimeout(ctl) {
          seen.push({ at: ctl.now, client: ctl.isClient, what: 'timeout' });
          promoted = ctl.now;
          expect(ctl.path(id!)!.srtt).toBeGreaterThan(0);
          expect(ctl.setPathStatus(id!, 'available')).toBe(true);
        },
      };
    });
    const p = await pair({ pathManager: 'pm-test-promote' }, { pathManager: 'pm-test-promote' });
    expect(p.runUntil(() => p.handshakeDone())).toBe(true);
    expect(p.runUntil(() => promoted >= 0, 5_000_000)).toBe(true);
    const s = p.serverConn!;
    const c = p.clientConn;
    // Before the promotion the server knew path 1 as backup (PATH_STATUS_BACKUP went with the
    // path's first packet); now it learns it is available.
    expect(p.runUntil(() => events(p.serverEvents, 'path_status').length >= 2, 2_000_000)).toBe(true);
    expect(events(p.serverEvents, 'path_status')).toEqual([
      { type: 'path_status', pathId: 1, backup: true, initiator: 'remote' },
      { type: 'path_status', pathId: 1, backup: false, initiator: 'remote' },
    ]);
    expect(s.mp!.paths.get(1)!.peerBackup).toBe(false);
    expect(serverTried).toEqual([undefined]);
    const client = seen.filter((x) => x.client).map((x) => (x.e ? `${x.what}:${'pathId' in x.e ? x.e.pathId : ''}${'backup' in x.e ? `:${x.e.backup ? 'backup' : 'available'}` : ''}` : x.what));
    expect(client).toEqual(['ready', 'opened:1', 'status:1:backup', 'validated:1', 'timeout', 'status:1:available']);
    const server = seen.filter((x) => !x.client).map((x) => (x.e ? `${x.what}:${'initiator' in x.e ? x.e.initiator : ''}` : x.what));
    expect(server.slice(0, 4)).toEqual(['ready', 'opened:remote', 'status:remote', 'validated:']);
    expect(server.at(-1)).toBe('status:remote');
    // onReady came at confirmation: the client's after its handshake was confirmed.
    expect(seen.find((x) => x.client && x.what === 'ready')!.at).toBeGreaterThan(0);
    // The wake-up came exactly when asked for: 300 ms after the validation.
    const validated = seen.find((x) => x.client && x.what === 'validated')!.at;
    expect(promoted).toBe(validated + 300_000);
    expect(c.mp!.paths.get(1)!.localBackup).toBe(false);
    // Data flows over both once path 1 is available.
    const t = download(p, 300_000);
    expect(p.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    expect(s.pathStats().find((x) => x.id === 1)!.datagramsSent).toBeGreaterThan(10);
    // The control belongs to the hook calls: its actions throw outside one (nothing would wake the connection).
    expect(() => kept!.openPath(THIRD)).toThrow(/PathControl.openPath used outside a hook call/);
    expect(() => kept!.wakeAt(p.now)).toThrow(/outside a hook/);
    expect(c.pathStats().map((x) => x.id)).toEqual([0, 1]);
  });

  it('re-opens a failed path after a wake-up: path 1 fails validation, path 2 from the same address validates', async () => {
    const seen: Seen[] = [];
    registerPathManager('pm-test-reopen', (opts) => {
      const delay = opts?.['retryAfter'] as number;
      let retry: SocketAddress | undefined;
      return {
        name: 'pm-test-reopen',
        onReady(ctl) {
          if (ctl.isClient) for (const a of ctl.localAddresses) ctl.openPath(a);
        },
        onPathEvent(ctl, e) {
          if (!ctl.isClient) return;
          seen.push({ at: ctl.now, client: true, what: e.type, e });
          if (e.type === 'failed') {
            retry = e.local;
            ctl.wakeAt(ctl.now + delay);
          }
        },
        onTimeout(ctl) {
          seen.push({ at: ctl.now, client: true, what: 'timeout' });
          if (retry !== undefined) ctl.openPath(retry);
          retry = undefined;
        },
      };
    });
    const p = await pair({ pathManager: 'pm-test-reopen', pathManagerOptions: { retryAfter: 1_000_000 }, localAddresses: [SECOND] }, {});
    // SECOND is cut off for the first 2.5 s: the first validation (≈ 2 s: 6 × kInitialRtt) fails.
    p.opts.link!.dropIf = (d) => p.now < 2_500_000 && (sameAddress(d.from, SECOND) || sameAddress(d.to, SECOND));
    expect(p.runUntil(() => events(p.clientEvents, 'path_validated').length > 0, 10_000_000)).toBe(true);
    const c = p.clientConn;
    expect(events(p.clientEvents, 'path_failed')).toEqual([{ type: 'path_failed', pathId: 1 }]);
    expect(events(p.clientEvents, 'path_validated')).toEqual([{ type: 'path_validated', pathId: 2 }]);
    const failed = seen.find((x) => x.what === 'failed')!;
    expect(failed.e).toEqual({ type: 'failed', pathId: 1, local: SECOND, remote: p.clientConn.remote });
    const timeout = seen.find((x) => x.what === 'timeout')!;
    expect(timeout.at).toBe(failed.at + 1_000_000);
    expect(seen.map((x) => `${x.what}${x.e && 'pathId' in x.e ? x.e.pathId : ''}`)).toEqual(['opened1', 'failed1', 'abandoned1', 'timeout', 'opened2', 'validated2']);
    expect(c.pathStats().find((x) => x.id === 2)!.local).toEqual(SECOND);
    expect(c.state).toBe('established');
  });
});

describe('abandoning a path that stopped delivering', () => {
  /** Path 1 from SECOND validates, carries part of a download, then dies for good; `seconds` later, the client's path 1. */
  async function deadPath(config: MultipathConfig, seconds: number): Promise<{ p: Pair }> {
    const p = await pair(config, config);
    expect(p.runUntil(() => p.handshakeDone())).toBe(true);
    const c = p.clientConn;
    expect(c.openPath(p.now, SECOND)).toBe(1);
    expect(p.runUntil(() => events(p.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    const t = download(p, 2_000_000);
    expect(p.runUntil(() => t.step() || (p.serverConn!.pathStats().find((x) => x.id === 1)?.datagramsSent ?? 0) > 30, 5_000_000)).toBe(true);
    const dead = p.now;
    p.opts.link!.dropIf = (d) => sameAddress(d.from, SECOND) || sameAddress(d.to, SECOND);
    expect(p.runUntil(() => t.step(), 30_000_000)).toBe(true);
    t.received();
    p.runFor(dead + seconds * 1_000_000 - p.now);
    return { p };
  }

  it("the default ('passive', abandonAfterPtos 5) abandons it; a manager whose shouldAbandon says no keeps it", async () => {
    const d = await deadPath({}, 10);
    const abandoned = [...events(d.p.clientEvents, 'path_abandoned'), ...events(d.p.serverEvents, 'path_abandoned')];
    expect(abandoned.map((e) => (e as { pathId: number }).pathId)).toContain(1);
    expect(abandoned.some((e) => (e as { initiator: string }).initiator === 'local' && (e as { errorCode: number }).errorCode === 0x3e76)).toBe(true);
    const c1 = d.p.clientConn.mp!.paths.get(1);
    expect(c1 === undefined || c1.state === 'closing').toBe(true);

    const views: number[] = [];
    let asked = 0;
    registerPathManager('pm-test-never', () => ({
      name: 'pm-test-never',
      shouldAbandon(ctl, path) {
        asked++;
        // Asked only about a path that stopped delivering, while another path delivers.
        expect(path.ptoCount).toBeGreaterThanOrEqual(1);
        expect(ctl.paths.some((x) => x.id !== path.id && x.usable && x.ptoCount === 0)).toBe(true);
        views.push(path.ptoCount);
        return false;
      },
    }));
    const k = await deadPath({ pathManager: 'pm-test-never' }, 10);
    expect(asked).toBeGreaterThan(0);
    expect(Math.max(...views)).toBeGreaterThanOrEqual(5);
    expect(events(k.p.clientEvents, 'path_abandoned')).toEqual([]);
    expect(events(k.p.serverEvents, 'path_abandoned')).toEqual([]);
    const kept = k.p.clientConn.mp!.paths.get(1)!;
    expect(kept.state).toBe('active');
    expect(kept.recovery.ptoCount).toBeGreaterThanOrEqual(5);
    expect(k.p.clientConn.state).toBe('established');
  }, 60_000);

  it('abandonAfterPtos in MultipathConfig still sets the built-ins’ count; pathManagerOptions win', async () => {
    const early = await deadPath({ abandonAfterPtos: 2 }, 3);
    expect(events(early.p.clientEvents, 'path_abandoned').length + events(early.p.serverEvents, 'path_abandoned').length).toBeGreaterThan(0);
    const late = await deadPath({ abandonAfterPtos: 2, pathManagerOptions: { abandonAfterPtos: 9 } }, 3);
    expect(events(late.p.clientEvents, 'path_abandoned').length + events(late.p.serverEvents, 'path_abandoned').length).toBe(0);
  }, 60_000);
});

describe("'all-addresses'", () => {
  it('a client opens a path from each candidate address; one the peer has no path ID for yet waits for can_open', async () => {
    const seen: string[] = [];
    registerPathManager('pm-test-spy-all', (opts) => {
      const inner = createPathManager('all-addresses', opts);
      return {
        ...inner,
        name: 'pm-test-spy-all',
        onPathEvent(ctl, e) {
          if (ctl.isClient) seen.push(e.type);
          inner.onPathEvent?.(ctl, e);
        },
      };
    });
    // The server allows path IDs up to 1 only: THIRD waits.
    const p = await pair({ pathManager: 'pm-test-spy-all', pathManagerOptions: { backup: [2] }, localAddresses: [SECOND, THIRD] }, { maxPathId: 1 });
    expect(p.runUntil(() => events(p.clientEvents, 'path_validated').length > 0, 5_000_000)).toBe(true);
    p.runFor(300_000);
    const c = p.clientConn;
    const s = p.serverConn!;
    expect(c.pathStats().map((x) => [x.id, x.local])).toEqual([
      [0, c.pathStats()[0]!.local],
      [1, SECOND],
    ]);
    expect(seen).not.toContain('can_open');
    // The server raises its limit (MAX_PATH_ID, §4.6) and issues connection IDs for path 2.
    expect(s.mp!.cids.raiseLocalMax(2)).toBe(true);
    s.wake();
    expect(p.runUntil(() => events(p.clientEvents, 'path_validated').length > 1, 5_000_000)).toBe(true);
    expect(seen).toContain('can_open');
    const paths = c.pathStats();
    expect(paths.map((x) => x.id)).toEqual([0, 1, 2]);
    expect(paths.find((x) => x.id === 2)!.local).toEqual(THIRD);
    // backup: [2] is the path from localAddresses[1].
    expect(paths.find((x) => x.id === 2)!.backup).toBe(true);
    expect(paths.find((x) => x.id === 1)!.backup).toBe(false);
    p.runFor(200_000);
    expect(s.mp!.paths.get(2)!.peerBackup).toBe(true);
  });

  it('on a server it opens nothing', async () => {
    const p = await pair({}, { pathManager: 'all-addresses', localAddresses: [THIRD] });
    expect(p.runUntil(() => p.handshakeDone())).toBe(true);
    p.runFor(500_000);
    expect(p.serverConn!.pathStats().map((x) => x.id)).toEqual([0]);
    expect(p.clientConn.pathStats().map((x) => x.id)).toEqual([0]);
  });
});

describe('path managers in the simulator', () => {
  const twoPaths: Scenario['topology'] = {
    type: 'multihomed',
    paths: [
      { name: 'A', toServer: defaultLink({ delay: 10 * MS }) },
      { name: 'B', toServer: defaultLink({ delay: 30 * MS }) },
    ],
  };
  const run = async (client: SimMultipath, seed = 1) =>
    runScenario({ name: 'pm', maxTime: 60_000_000, topology: twoPaths, workload: { type: 'bulk', bytes: 1 << 20 }, client: { multipath: client }, server: { multipath: {} } }, { ...(await simOptions()), seed });

  it("openPaths 'all' (the default) is 'all-addresses' over the host's other addresses, with backup; 'none' and a named 'passive' open nothing", async () => {
    for (const seed of [1, 2]) {
      const all = await run({}, seed);
      expect(all.completed && all.dataIntact, `seed ${seed}`).toBe(true);
      const paths = all.flows[0]!.server!.paths!;
      expect(paths.map((x) => x.id)).toEqual([0, 1]);
      for (const x of paths) expect(x.bytesSent, `seed ${seed} path ${x.id}`).toBeGreaterThan(100_000);
      expect(all.flows[0]!.client!.paths!.find((x) => x.id === 1)!.local.host).not.toBe(all.flows[0]!.client!.paths!.find((x) => x.id === 0)!.local.host);

      const backup = await run({ backup: [1] }, seed);
      const b = backup.flows[0]!.server!.paths!;
      expect(b.find((x) => x.id === 1)!.backup, `seed ${seed}`).toBe(true);
      expect(b.find((x) => x.id === 1)!.bytesSent / b.reduce((n, x) => n + x.bytesSent, 0)).toBeLessThan(0.02);

      for (const none of [{ openPaths: 'none' as const }, { pathManager: 'passive' }]) {
        const r = await run(none, seed);
        expect(r.completed, `seed ${seed}`).toBe(true);
        expect(r.flows[0]!.server!.paths!.map((x) => x.id)).toEqual([0]);
      }
    }
  }, 60_000);

  it('a scenario names a registered manager and its options (they override the openPaths mapping)', async () => {
    const ready: boolean[] = [];
    registerPathManager('pm-test-sim', (opts) => {
      const inner = createPathManager('all-addresses', opts);
      return {
        ...inner,
        name: 'pm-test-sim',
        onReady(ctl) {
          ready.push(ctl.isClient);
          expect(ctl.localAddresses.length).toBe(1);
          inner.onReady!(ctl);
        },
      };
    });
    const r = await run({ openPaths: 'none', pathManager: 'pm-test-sim', pathManagerOptions: { backup: [1] } });
    expect(r.completed).toBe(true);
    expect(ready).toEqual([true]);
    const b = r.flows[0]!.server!.paths!;
    expect(b.map((x) => [x.id, x.backup])).toEqual([
      [0, false],
      [1, true],
    ]);
  });
});
