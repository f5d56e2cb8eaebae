/**
 * RFC 9000 §9: client-initiated migration (`Connection.migrate`) and the server's preferred
 * address (§9.6), with both crypto providers.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { sameAddress, type Datagram } from '../../src/util/datagram.js';
import { toHex } from '../../src/util/bytes.js';
import { CLIENT_ADDR, download, Pair, SERVER_ADDR, type PairOptions } from '../support/pair.js';

const NEW_LOCAL = { host: CLIENT_ADDR.host, port: CLIENT_ADDR.port + 1 };
const NEW_IP = { host: '10.0.0.9', port: 41000 };
const PREFERRED = { host: '10.0.0.3', port: 4433 };

/** The DCID of a short-header packet (the server's connection IDs are 8 bytes long). */
function shortDcid(d: Datagram, length = 8): string | undefined {
  if ((d.data[0]! & 0x80) !== 0) return undefined;
  return toHex(d.data.subarray(1, 1 + length));
}

/** Records the datagrams the client sent (after the link's drop decision, so dropped ones too). */
function record(pair: Pair): Datagram[] {
  const seen: Datagram[] = [];
  const link = (pair.opts.link ??= {});
  const prev = link.dropIf;
  link.dropIf = (d, i, from) => {
    if (from === 'client') seen.push({ ...d, data: d.data.slice() });
    return prev?.(d, i, from) ?? false;
  };
  return seen;
}

async function established(provider: 'node' | 'noble', extra: Partial<PairOptions> = {}): Promise<Pair> {
  const pair = await Pair.create({ provider: getProvider(provider), link: { delay: 10_000 }, ...extra });
  expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  pair.runFor(100_000);
  return pair;
}

const pathEvents = (events: ConnectionEvent[]) => events.filter((e): e is Extract<ConnectionEvent, { type: 'path_changed' }> => e.type === 'path_changed');

describe.each(['node', 'noble'] as const)('client migration (%s)', (provider) => {
  it('migrates mid-download to a new local port: new DCID, PATH_CHALLENGE on the new path, the server follows, data intact', async () => {
    const pair = await established(provider);
    const sent = record(pair);
    const t = download(pair, 300_000);
    pair.runUntil(() => t.step() || (pair.clientConn.stats().bytesReceived > 100_000), 10_000_000);
    const c = pair.clientConn;
    const oldDcid = toHex(c.remoteCid);
    const ccBefore = c.recovery.cc;
    const before = sent.length;
    expect(c.migrate(pair.now, NEW_LOCAL)).toBe(true);
    expect(c.local).toEqual(NEW_LOCAL);
    expect(toHex(c.remoteCid)).not.toBe(oldDcid);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    // Packets from the new address carry the new DCID only (§9.5).
    const onNew = sent.slice(before).filter((d) => sameAddress(d.from, NEW_LOCAL));
    expect(onNew.length).toBeGreaterThan(0);
    const dcids = new Set(onNew.map((d) => shortDcid(d)));
    expect(dcids.has(oldDcid)).toBe(false);
    // The first datagram on the new path holds the PATH_CHALLENGE, padded to 1200 bytes (§8.2.1).
    expect(onNew[0]!.data.length).toBeGreaterThanOrEqual(1200);
    // Port-only change: congestion state kept (§9.4).
    expect(c.recovery.cc).toBe(ccBefore);
    expect(pathEvents(pair.clientEvents).map((e) => e.state)).toEqual(['validating', 'validated']);
    const s = pair.serverConn!;
    expect(s.remote).toEqual(NEW_LOCAL);
    expect(pair.serverEvents.filter((e) => e.type === 'peer_address_changed').map((e) => e.type === 'peer_address_changed' && e.state)).toEqual(['validating', 'validated']);
    // The server also moved to a connection ID of the client's it had not used (§9.5).
    expect(s.peerCids.current).toBeGreaterThan(0);
    expect(c.pathValidation).toBeUndefined();
    expect(s.pathValidation).toBeUndefined();
    expect(pair.amplificationViolations).toBe(0);
  });

  it('a new IP address resets congestion control and RTT (§9.4)', async () => {
    const pair = await established(provider);
    const t = download(pair, 100_000);
    pair.runUntil(() => t.step() || pair.clientConn.stats().bytesReceived > 30_000, 10_000_000);
    const c = pair.clientConn;
    const ccBefore = c.recovery.cc;
    expect(c.migrate(pair.now, NEW_IP)).toBe(true);
    expect(c.recovery.cc).not.toBe(ccBefore);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    expect(pair.serverConn!.remote).toEqual(NEW_IP);
  });

  it('refuses when the server sent disable_active_migration', async () => {
    const pair = await established(provider, { server: { disableActiveMigration: true } });
    expect(pair.clientConn.peerParams?.disableActiveMigration).toBe(true);
    expect(pair.clientConn.migrate(pair.now, NEW_LOCAL)).toBe(false);
    expect(pair.clientConn.local).toEqual(CLIENT_ADDR);
  });

  it('refuses without a spare connection ID of the server, and before the handshake is confirmed', async () => {
    const early = await Pair.create({ provider: getProvider(provider) });
    expect(early.clientConn.migrate(early.now, NEW_LOCAL)).toBe(false);
    // A server that issues zero-length connection IDs has no spare one to give.
    const pair = await established(provider, { serverEndpoint: { cidLength: 0 } });
    expect(pair.clientConn.migrate(pair.now, NEW_LOCAL)).toBe(false);
    expect(pair.clientConn.local).toEqual(CLIENT_ADDR);
  });

  it('falls back to the old path when the new one is blackholed (§9.3.2)', async () => {
    const pair = await established(provider);
    const t = download(pair, 200_000);
    pair.runUntil(() => t.step() || pair.clientConn.stats().bytesReceived > 50_000, 10_000_000);
    const c = pair.clientConn;
    pair.opts.link!.dropIf = (d) => sameAddress(d.from, NEW_LOCAL) || sameAddress(d.to, NEW_LOCAL);
    expect(c.migrate(pair.now, NEW_LOCAL)).toBe(true);
    expect(pair.runUntil(() => t.step(), 30_000_000)).toBe(true);
    t.received();
    expect(c.local).toEqual(CLIENT_ADDR);
    expect(pathEvents(pair.clientEvents).map((e) => e.state)).toEqual(['validating', 'failed']);
    expect(c.state).toBe('established');
  });

  it('uses the server preferred address with the connection ID of sequence 1 (§9.6)', async () => {
    const pair = await established(provider, { server: { preferredAddress: { ipv4: PREFERRED } } });
    const sent = record(pair);
    const c = pair.clientConn;
    const pa = c.peerParams!.preferredAddress!;
    expect(pa.ipv4Port).toBe(PREFERRED.port);
    const t = download(pair, 100_000);
    expect(pair.runUntil(() => t.step(), 20_000_000)).toBe(true);
    t.received();
    expect(c.remote).toEqual(PREFERRED);
    expect(toHex(c.remoteCid)).toBe(toHex(pa.connectionId));
    expect(c.peerCids.current).toBe(1);
    const ev = pathEvents(pair.clientEvents);
    expect(ev.map((e) => `${e.reason}:${e.state}`)).toEqual(['preferred_address:probing', 'preferred_address:validated']);
    // The server answers from its preferred address.
    expect(pair.serverConn!.local).toEqual(PREFERRED);
    expect(sent.some((d) => sameAddress(d.to, PREFERRED))).toBe(true);
  });

  it('ignores the preferred address when told to', async () => {
    const pair = await established(provider, { server: { preferredAddress: { ipv4: PREFERRED } }, client: { usePreferredAddress: false } });
    expect(pair.clientConn.remote).toEqual(SERVER_ADDR);
    expect(pathEvents(pair.clientEvents)).toEqual([]);
  });

  it('probes the preferred address first and stays on the original one when it is unreachable (§9.6.1)', async () => {
    const dropIf = (d: Datagram): boolean => sameAddress(d.to, PREFERRED) || sameAddress(d.from, PREFERRED);
    const pair = await established(provider, { server: { preferredAddress: { ipv4: PREFERRED } }, link: { delay: 10_000, dropIf } });
    const t = download(pair, 50_000);
    expect(pair.runUntil(() => t.step(), 30_000_000)).toBe(true);
    t.received();
    // The transfer never left the original path; the probe gives up after the validation time (§8.2.4).
    expect(pair.runUntil(() => pathEvents(pair.clientEvents).length === 2, 10_000_000)).toBe(true);
    expect(pair.clientConn.remote).toEqual(SERVER_ADDR);
    expect(pathEvents(pair.clientEvents).map((e) => e.state)).toEqual(['probing', 'failed']);
    // Nothing but the probe's PATH_CHALLENGE datagrams went to the preferred address.
    expect(pair.clientConn.peerCids.current).toBe(0);
  });
});

