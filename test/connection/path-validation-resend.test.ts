/**
 * Single-path path validation when a PATH_RESPONSE is lost (RFC 9000 §8.2): the packet with the
 * PATH_CHALLENGE is acknowledged, so loss detection never re-sends it; a new PATH_CHALLENGE
 * (§13.3: new data) goes out every PTO of the path being validated (§8.2.1) until a
 * PATH_RESPONSE echoes it or one of the few before it, or the deadline (§8.2.4). For the
 * server's validation of a rebound client (§9.3), the client's active migration (§9.2) and its
 * probe of the server's preferred address (§9.6.1). And a new path's PTO starts without the old
 * path's backoff (RFC 9000 §9.4, RFC 9002 §6.2.1), so a connection blackholed and then rebound
 * recovers within a fresh path's PTO.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { Connection } from '../../src/connection/connection.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { DEFAULT_TRANSPORT } from '../../src/connection/config.js';
import { onPathResponse } from '../../src/connection/migration.js';
import { newPathPto, PAST_CHALLENGES, probePto } from '../../src/connection/path-probe.js';
import { MemorySink } from '../../src/qlog/memory.js';
import { GRANULARITY, INITIAL_RTT } from '../../src/recovery/rtt.js';
import { runScenario } from '../../src/sim/index.js';
import { allCells, cellScenario, MATRIX, matchesFilter, parseFilter } from '../../src/sim/matrix.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { sameAddress, type Datagram } from '../../src/util/datagram.js';
import { CLIENT_ADDR, download, Pair, type PairOptions } from '../support/pair.js';
import { simOptions } from '../support/sim.js';

const DELAY = 10_000;
const NEW_PORT = { host: CLIENT_ADDR.host, port: CLIENT_ADDR.port + 1000 };
const NEW_IP = { host: '192.0.2.77', port: 40000 };
const PREFERRED = { host: '10.0.0.3', port: 4433 };

async function established(extra: Partial<PairOptions> = {}): Promise<Pair> {
  const pair = await Pair.create({ provider: getProvider('node'), link: { delay: DELAY }, qlog: true, ...extra });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(100_000);
  return pair;
}

/** The PTO of a connection's path, without backoff (RFC 9002 §6.2.1). */
const ptoOf = (c: Connection): number => c.recovery.rtt.pto(c.recovery.maxAckDelay, true);

/**
 * The frame types of the datagram a side just sent, from its qlog: call it for each datagram of
 * that side, right after the side built it (the link's `dropIf`).
 */
function frameWatcher(sink: MemorySink): () => string[] {
  let seen = 0;
  return () => {
    const out: string[] = [];
    for (; seen < sink.events.length; seen++) {
      const e = sink.events[seen]!.event as { name: string; data: { frames?: { frame_type: string }[] } };
      if (e.name === 'quic:packet_sent') for (const f of e.data.frames ?? []) out.push(f.frame_type);
    }
    return out;
  };
}

/** Drops the datagrams `from` sends that carry a PATH_RESPONSE while `active()` says so; counts them. */
function dropResponses(pair: Pair, from: 'client' | 'server', active: (dropped: number) => boolean): { dropped: number } {
  const state = { dropped: 0 };
  const watch = frameWatcher(from === 'client' ? pair.clientQlog : pair.serverQlog);
  const link = (pair.opts.link ??= {});
  const prev = link.dropIf;
  link.dropIf = (d, i, side) => {
    if (side === from && watch().includes('path_response') && active(state.dropped)) {
      state.dropped++;
      return true;
    }
    return prev?.(d, i, side) ?? false;
  };
  return state;
}

interface SentChallenge {
  time: number;
  data: string;
  pn: number;
}

/** The PATH_CHALLENGE frames a side sent since `since`, in order. */
function challenges(sink: MemorySink, since = 0): SentChallenge[] {
  const out: SentChallenge[] = [];
  for (const { time, event } of sink.events) {
    const e = event as { name: string; data: { header?: { packet_number?: number }; frames?: { frame_type: string; data?: string }[] } };
    if (time < since || e.name !== 'quic:packet_sent') continue;
    for (const f of e.data.frames ?? []) if (f.frame_type === 'path_challenge') out.push({ time, data: f.data!, pn: e.data.header?.packet_number ?? -1 });
  }
  return out;
}

/** Whether a packet number was declared lost by the side whose qlog this is. */
function declaredLost(sink: MemorySink, pn: number): boolean {
  return sink.events.some(({ event }) => {
    const e = event as { name: string; data: { header?: { packet_number?: number } } };
    return e.name === 'quic:packet_lost' && e.data.header?.packet_number === pn;
  });
}

const serverChanges = (pair: Pair) => pair.serverEvents.filter((e): e is Extract<ConnectionEvent, { type: 'peer_address_changed' }> => e.type === 'peer_address_changed');
const pathEvents = (pair: Pair) => pair.clientEvents.filter((e): e is Extract<ConnectionEvent, { type: 'path_changed' }> => e.type === 'path_changed');

/**
 * Asserts the re-send: a second PATH_CHALLENGE with new data went out no later than one PTO
 * (`maxPto`, the largest the path had meanwhile) after the first, whose packet was not declared
 * lost (so the PATH_RESPONSE was what was missing, and the timer, not loss detection, re-sent).
 */
function expectResentWithinPto(sent: SentChallenge[], sink: MemorySink, maxPto: number): void {
  expect(sent.length).toBeGreaterThanOrEqual(2);
  expect(new Set(sent.map((c) => c.data)).size).toBe(sent.length);
  expect(declaredLost(sink, sent[0]!.pn)).toBe(false);
  expect(sent[1]!.time - sent[0]!.time).toBeLessThanOrEqual(maxPto + GRANULARITY);
}

describe('single-path path validation re-sends PATH_CHALLENGE', () => {
  describe.each([
    ['port', NEW_PORT],
    ['IP address', NEW_IP],
  ] as const)('server validating a client rebound to a new %s', (_, address) => {
    it('the first PATH_RESPONSE is lost: a fresh PATH_CHALLENGE within one PTO, the validation completes, within 3×', async () => {
      const pair = await established();
      const c = pair.clientConn;
      const s = pair.serverConn!;
      const lost = dropResponses(pair, 'client', (n) => n === 0);
      const since = pair.now;
      pair.opts.link!.clientSource = address;
      // A non-probing packet from the new address moves the server there (§9.3).
      c.streamWrite(c.openStream(true)!, new Uint8Array(100).fill(1), true);
      let maxPto = 0;
      let maxRatio = 0;
      const ok = pair.runUntil(() => {
        const pv = s.pathValidation;
        if (pv !== undefined && pv.challengesSent > 0 && pv.challengesSent <= 2) maxPto = Math.max(maxPto, ptoOf(s));
        if (pv !== undefined && pv.received > 0) maxRatio = Math.max(maxRatio, pv.sent / pv.received);
        return serverChanges(pair).length >= 2;
      }, 10_000_000);
      expect(ok).toBe(true);
      expect(lost.dropped).toBe(1);
      expect(serverChanges(pair).map((e) => e.state)).toEqual(['validating', 'validated']);
      expect(s.remote).toEqual(address);
      expectResentWithinPto(challenges(pair.serverQlog, since), pair.serverQlog, maxPto);
      // RFC 9000 §9.3 / §8.1: the re-sends stayed within the 3× limit.
      expect(maxRatio).toBeLessThanOrEqual(3);
      const t = download(pair, 50_000);
      expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
      t.received();
      expect(s.state).toBe('established');
    });
  });

  it("client active migration: the server's first PATH_RESPONSE is lost; a fresh PATH_CHALLENGE within one PTO and the path validates", async () => {
    const pair = await established();
    const c = pair.clientConn;
    const lost = dropResponses(pair, 'server', (n) => n === 0);
    const since = pair.now;
    expect(c.migrate(pair.now, NEW_IP)).toBe(true);
    let maxPto = 0;
    const ok = pair.runUntil(() => {
      const pv = c.pathValidation;
      if (pv !== undefined && pv.challengesSent > 0 && pv.challengesSent <= 2) maxPto = Math.max(maxPto, ptoOf(c));
      return pathEvents(pair).length >= 2;
    }, 10_000_000);
    expect(ok).toBe(true);
    expect(lost.dropped).toBe(1);
    expect(pathEvents(pair).map((e) => e.state)).toEqual(['validating', 'validated']);
    expect(c.local).toEqual(NEW_IP);
    expectResentWithinPto(challenges(pair.clientQlog, since), pair.clientQlog, maxPto);
    const t = download(pair, 50_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
  });

  it("preferred address probe: the server's first PATH_RESPONSE is lost; a fresh PATH_CHALLENGE within one PTO and the client moves", async () => {
    const pair = await Pair.create({ provider: getProvider('node'), link: { delay: DELAY }, qlog: true, server: { preferredAddress: { ipv4: PREFERRED } } });
    const lost = dropResponses(pair, 'server', (n) => n === 0);
    const c = pair.clientConn;
    let maxPto = 0;
    let since: number | undefined;
    const ok = pair.runUntil(() => {
      const probe = c.pathProbe;
      if (probe !== undefined) since ??= pair.now;
      if (probe !== undefined && probe.challengesSent > 0 && probe.challengesSent <= 2) maxPto = Math.max(maxPto, probePto(c));
      return pathEvents(pair).length >= 2;
    }, 10_000_000);
    expect(ok).toBe(true);
    expect(lost.dropped).toBe(1);
    expect(pathEvents(pair).map((e) => `${e.reason}:${e.state}`)).toEqual(['preferred_address:probing', 'preferred_address:validated']);
    expect(c.remote).toEqual(PREFERRED);
    const sent = challenges(pair.clientQlog, since!);
    expectResentWithinPto(sent, pair.clientQlog, maxPto);
    // The probed path has no RTT sample: its PTO comes from kInitialRtt (RFC 9002 §6.2.2).
    expect(maxPto).toBeGreaterThanOrEqual(newPathPto(c));
    const t = download(pair, 50_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
  });

  it('a PATH_RESPONSE to one of the last 3 challenges before the latest validates; an older or unknown one is ignored', async () => {
    const pair = await established();
    const c = pair.clientConn;
    // Nothing the server sends to the new path arrives: every challenge goes unanswered.
    pair.opts.link!.dropIf = (d: Datagram, _i, from) => from === 'server' && sameAddress(d.to, NEW_PORT);
    expect(c.migrate(pair.now, NEW_PORT)).toBe(true);
    const values: string[] = [];
    const ok = pair.runUntil(() => {
      const pv = c.pathValidation;
      if (pv !== undefined && values.at(-1) !== toHex(pv.challenge)) values.push(toHex(pv.challenge));
      return values.length >= PAST_CHALLENGES + 2;
    }, 5_000_000);
    expect(ok).toBe(true);
    // Every challenge carries new data (RFC 9000 §13.3), from the connection's seeded PRNG.
    expect(new Set(values).size).toBe(values.length);
    const n = values.length;
    const pv = c.pathValidation!;
    expect(toHex(pv.challenge)).toBe(values[n - 1]);
    expect(pv.pastChallenges.map(toHex)).toEqual(values.slice(n - 1 - PAST_CHALLENGES, n - 1));
    // Older than the last PAST_CHALLENGES: ignored (§8.2.3); so is data never sent.
    onPathResponse(c, pair.now, fromHex(values[n - 2 - PAST_CHALLENGES]!));
    onPathResponse(c, pair.now, fromHex('0123456789abcdef'));
    expect(c.pathValidation).toBe(pv);
    pair.nextEventTime();
    expect(pathEvents(pair).map((e) => e.state)).toEqual(['validating']);
    // The oldest still kept validates the path.
    onPathResponse(c, pair.now, fromHex(values[n - 1 - PAST_CHALLENGES]!));
    expect(c.pathValidation).toBeUndefined();
    pair.nextEventTime();
    expect(pathEvents(pair).map((e) => e.state)).toEqual(['validating', 'validated']);
    expect(c.local).toEqual(NEW_PORT);
  });

  it('blackholed, then rebound to a new IP address: the server probes the new path within a fresh PTO, without the old backoff', async () => {
    const pair = await established();
    const c = pair.clientConn;
    const s = pair.serverConn!;
    const t = download(pair, 300_000);
    pair.runUntil(() => t.step() || c.stats().bytesReceived > 60_000, 10_000_000);
    // The path goes down both ways for 1.5 s, with data in flight both ways (a few bytes from
    // the client, so it keeps probing). Half-way through, the NAT rebinds the client to a new
    // IP address and forgets the old mapping: what the server sends there is lost from then on.
    const outage = 1_500_000;
    const end = pair.now + outage;
    let rebound = false;
    pair.opts.link!.dropIf = (d, _i, from) => pair.now < end || (rebound && from === 'server' && sameAddress(d.to, CLIENT_ADDR));
    c.streamWrite(c.openStream(true)!, new Uint8Array(10).fill(1), true);
    pair.runUntil(() => (t.step(), pair.now >= end - outage / 2), outage);
    pair.opts.link!.clientSource = NEW_IP;
    rebound = true;
    // The client's first datagram from the new address (a PTO probe, acknowledging nothing new
    // of the server's) moves the server there (§9.3). The server acknowledges it, and the
    // client has nothing more to send.
    expect(pair.runUntil(() => (t.step(), s.pathValidation !== undefined), 20_000_000)).toBe(true);
    const moved = pair.now;
    expect(moved).toBeGreaterThanOrEqual(end);
    // §9.4: a new RTT estimator, so the PTO starts from kInitialRtt (RFC 9002 §6.2.2), and
    // the old path's backoff is gone with it (RFC 9002 §6.2.1): nothing was sent on the new
    // path yet. The old path's packets still fill the new congestion window, so a PTO is what
    // lets the server send there (with its PATH_CHALLENGE).
    expect(s.recovery.ptoCount).toBe(0);
    const fresh = newPathPto(s);
    const received = c.stats().bytesReceived;
    expect(pair.runUntil(() => (t.step(), serverChanges(pair).at(-1)?.state === 'validated' && c.stats().bytesReceived > received), 20_000_000)).toBe(true);
    // At most one fresh PTO until the server's probe, then a round trip for its PATH_RESPONSE.
    expect(pair.now - moved).toBeLessThanOrEqual(fresh + 2 * DELAY + GRANULARITY);
    expect(pair.runUntil(() => t.step(), 30_000_000)).toBe(true);
    t.received();
    expect(s.remote).toEqual(NEW_IP);
  });

  it('simulator, blackhole then NAT rebinding to a new IP address: the server sends on the new path within a fresh PTO and the transfer completes', async () => {
    // Replays of matrix cells (src/sim/matrix.ts) that idled out while the server waited
    // 2^pto_count PTOs from kInitialRtt (16 s and more) after following the client.
    const opts = await simOptions();
    // RFC 9002 §6.2.2: the PTO of a path without an RTT sample, with the default max_ack_delay.
    const fresh = INITIAL_RTT + Math.max(2 * INITIAL_RTT, GRANULARITY) + DEFAULT_TRANSPORT.maxAckDelayMs * 1000;
    for (const [filter, seed] of [
      ['loss=1 reorder=on duplicate=off corrupt=on blackhole=on rebind=on multipath=off fec=off', 20],
      ['loss=30 reorder=off duplicate=on corrupt=off blackhole=on rebind=on multipath=off fec=on', 26],
    ] as const) {
      const cell = allCells().find((x) => matchesFilter(x, parseFilter(filter.split(' '))))!;
      const sink = new MemorySink();
      const r = runScenario(cellScenario(cell, seed), { ...opts, serverQlog: sink, stopOnClose: true });
      expect(r.completed, `${filter}, seed ${seed}`).toBe(true);
      // The first move after the outage, and the server's first ack-eliciting packet after it.
      const outageEnd = MATRIX.blackholeAt + MATRIX.blackholeFor;
      const moved = sink.events.find(({ time, event }) => time >= outageEnd && event.name === 'quic:migration_state_updated' && (event.data as { new?: string }).new === 'migration_started');
      expect(moved).toBeDefined();
      const next = sink.events.find(({ time, event }) => {
        if (time < moved!.time || event.name !== 'quic:packet_sent') return false;
        const frames = (event.data as { frames?: { frame_type: string }[] }).frames ?? [];
        return frames.some((f) => f.frame_type !== 'ack' && f.frame_type !== 'padding');
      });
      expect(next).toBeDefined();
      expect(next!.time - moved!.time).toBeLessThanOrEqual(fresh);
    }
  }, 30_000);

  it('unanswered re-sent challenges to a new address stay within 3× what arrived from it, then the validation fails', async () => {
    const pair = await established();
    const s = pair.serverConn!;
    const t = download(pair, 300_000);
    pair.runUntil(() => t.step() || pair.clientConn.stats().bytesReceived > 30_000, 10_000_000);
    // Every PATH_RESPONSE is lost; bytes to and from the new address counted on the link.
    dropResponses(pair, 'client', () => true);
    let toNew = 0;
    let fromNew = 0;
    let rebound = false;
    const prev = pair.opts.link!.dropIf!;
    pair.opts.link!.dropIf = (d, i, from) => {
      const drop = prev(d, i, from);
      if (!drop && rebound && from === 'client') fromNew += d.data.length;
      if (from === 'server' && sameAddress(d.to, NEW_IP)) toNew += d.data.length;
      return drop;
    };
    const since = pair.now;
    rebound = true;
    pair.opts.link!.clientSource = NEW_IP;
    let worst = 0;
    const ok = pair.runUntil(() => {
      t.step();
      if (fromNew > 0) worst = Math.max(worst, toNew / fromNew);
      return serverChanges(pair).length >= 2;
    }, 20_000_000);
    expect(ok).toBe(true);
    expect(serverChanges(pair).map((e) => e.state)).toEqual(['validating', 'reverted']);
    // Several challenges went out, each with new data, and never beyond the 3× limit (§8.1, §9.3).
    const sent = challenges(pair.serverQlog, since);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sent.map((c) => c.data)).size).toBe(sent.length);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(3);
  });
});
