/**
 * Version negotiation: compatible negotiation between QUIC v1 and v2 (RFC 9368 §2.3,
 * RFC 9369 §4), version_information checks (RFC 9368 §4), and the client's reaction to Version
 * Negotiation packets (RFC 9000 §6.2).
 */
import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_NAMES } from '../../src/crypto/index.js';
import { initialKeys } from '../../src/crypto/initial.js';
import { protectPacket, unprotectPacket } from '../../src/crypto/packet-protection.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { Connection } from '../../src/connection/connection.js';
import {
  VersionNegotiation,
  checkServerVersionInformation,
  configuredVersions,
  selectCompatibleVersion,
  selectFromVersionNegotiation,
} from '../../src/connection/version.js';
import type { ConnectionEvent } from '../../src/connection/types.js';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { encodeVersionNegotiation, parsePacketHeader, splitCoalescedPackets } from '../../src/wire/header.js';
import { QUIC_V1, QUIC_V2, longPacketTypeBits } from '../../src/wire/version.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR, type PairOptions } from '../support/pair.js';

const GREASE = 0x1a2a3a4a;
const DRAFT_V2 = 0x709a50c4;

/** The Version field of every long-header packet, per direction and datagram. */
interface Seen {
  client: number[][];
  server: number[][];
}

async function pairWithLog(opts: PairOptions, dropIf?: (index: number, from: 'client' | 'server') => boolean): Promise<{ pair: Pair; seen: Seen }> {
  const seen: Seen = { client: [], server: [] };
  const pair = await Pair.create({
    ...opts,
    link: {
      ...opts.link,
      dropIf: (d, index, from) => {
        const packets = splitCoalescedPackets(d.data, { shortDcidLength: 8 }).packets;
        seen[from].push(packets.filter((h) => h.form === 'long').map((h) => h.version));
        return dropIf?.(index, from) ?? false;
      },
    },
  });
  return { pair, seen };
}

function closing(events: ConnectionEvent[]): Extract<ConnectionEvent, { type: 'closing' }> | undefined {
  return events.find((e): e is Extract<ConnectionEvent, { type: 'closing' }> => e.type === 'closing');
}

/** A datagram with one stream's worth of data exchanged, to show 1-RTT works after negotiation. */
function exchange(pair: Pair): boolean {
  const c = pair.clientConn;
  const id = c.openStream()!;
  c.streamWrite(id, new Uint8Array(3000).fill(7), true);
  let got = 0;
  return pair.runUntil(() => {
    const s = pair.serverConn!;
    if (!pair.serverEvents.some((e) => e.type === 'stream_opened' && e.id === id)) return false;
    for (let r = s.streamRead(id); r; r = s.streamRead(id)) {
      got += r.data.length;
      if (r.fin) return got === 3000;
    }
    return false;
  }, 5_000_000);
}

/** Re-encrypts a client Initial datagram (one packet) of v1 as a v2 Initial: a forged Version field. */
function rewriteInitialAsV2(provider: CryptoProvider, datagram: Uint8Array): Uint8Array {
  const d = datagram.slice();
  const h = parsePacketHeader(d, { shortDcidLength: 8 });
  const dcid = h.dcid.slice();
  const v1 = initialKeys(provider, QUIC_V1, dcid, false).seal;
  const v2 = initialKeys(provider, QUIC_V2, dcid, false).seal;
  const p = unprotectPacket(v1, d, h.pnOffset, -1)!;
  expect(p).not.toBeNull();
  // RFC 9369 §3.2: the v2 Initial type bits; §3.1 the Version field.
  d[0] = (p.firstByte & ~0x30) | (longPacketTypeBits(QUIC_V2, 'initial') << 4);
  d.set([0x6b, 0x33, 0x43, 0xcf], 1);
  protectPacket(v2, d, h.pnOffset, h.packetLength - 16, p.pn);
  return d;
}

describe('version selection helpers (RFC 9368)', () => {
  it('configured versions: client starts with its version; unknown versions are skipped', () => {
    const p = getProvider('noble');
    expect(configuredVersions({ provider: p, alpn: ['x'] }, true, QUIC_V1)).toEqual([QUIC_V1, QUIC_V2]);
    expect(configuredVersions({ provider: p, alpn: ['x'] }, true, QUIC_V2)).toEqual([QUIC_V2, QUIC_V1]);
    expect(configuredVersions({ provider: p, alpn: ['x'] }, false, QUIC_V1)).toEqual([QUIC_V1, QUIC_V2]);
    expect(configuredVersions({ provider: p, alpn: ['x'], versions: [GREASE, QUIC_V2] }, true, QUIC_V1)).toEqual([QUIC_V1, QUIC_V2]);
  });

  it('the server picks by its own preference among compatible versions the client lists', () => {
    expect(selectCompatibleVersion([QUIC_V2, QUIC_V1], [QUIC_V1, QUIC_V2], QUIC_V1)).toBe(QUIC_V2);
    expect(selectCompatibleVersion([QUIC_V1, QUIC_V2], [QUIC_V1, QUIC_V2], QUIC_V1)).toBe(QUIC_V1);
    expect(selectCompatibleVersion([QUIC_V2, QUIC_V1], [QUIC_V1], QUIC_V1)).toBe(QUIC_V1);
    expect(selectFromVersionNegotiation([QUIC_V2, QUIC_V1], [GREASE, QUIC_V1])).toBe(QUIC_V1);
    expect(selectFromVersionNegotiation([QUIC_V1], [GREASE, DRAFT_V2])).toBeUndefined();
  });

  it("the client's checks of the server's version_information (RFC 9368 §4)", () => {
    const conn = (version: number, chosen: number, preference: number[], vn?: number[]): Connection => {
      const v = new VersionNegotiation(true, chosen, preference);
      v.vnVersions = vn;
      return { version, versionNegotiation: v } as unknown as Connection;
    };
    const code = (f: () => void): number | undefined => {
      try {
        f();
        return undefined;
      } catch (e) {
        return e instanceof TransportError ? e.code : -1;
      }
    };
    const VNE = ErrorCode.VERSION_NEGOTIATION_ERROR;
    // Fine: chosen = in use, offered.
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V1, QUIC_V2]), { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1] }))).toBeUndefined();
    // Missing without VN and without a switch: allowed.
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V1]), undefined))).toBeUndefined();
    // Chosen not offered by the client.
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V1]), { chosenVersion: QUIC_V2, availableVersions: [QUIC_V2] }))).toBe(VNE);
    // Chosen differs from the version of the long headers (forged header Version).
    expect(code(() => checkServerVersionInformation(conn(QUIC_V2, QUIC_V1, [QUIC_V1, QUIC_V2]), { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] }))).toBe(VNE);
    // A switch never confirmed.
    expect(code(() => checkServerVersionInformation(conn(QUIC_V2, QUIC_V1, [QUIC_V1, QUIC_V2]), undefined))).toBe(VNE);
    // After Version Negotiation: missing, empty, or listing a version the client prefers.
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V2, QUIC_V1], [QUIC_V1]), undefined))).toBe(VNE);
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V2, QUIC_V1], [QUIC_V1]), { chosenVersion: QUIC_V1, availableVersions: [GREASE] }))).toBe(VNE);
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V2, QUIC_V1], [QUIC_V1]), { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] }))).toBe(VNE);
    expect(code(() => checkServerVersionInformation(conn(QUIC_V1, QUIC_V1, [QUIC_V2, QUIC_V1], [QUIC_V1]), { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1] }))).toBeUndefined();
  });
});

describe.each(PROVIDER_NAMES)('version negotiation over packets (%s)', (name) => {
  const provider = getProvider(name);

  it('v1 to v1 by default, version_information exchanged both ways', async () => {
    const { pair, seen } = await pairWithLog({ provider, qlog: true });
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(pair.clientConn.version).toBe(QUIC_V1);
    expect(pair.serverConn!.version).toBe(QUIC_V1);
    const ce = pair.clientEvents.find((e) => e.type === 'handshake_complete');
    const se = pair.serverEvents.find((e) => e.type === 'handshake_complete');
    expect(ce?.type === 'handshake_complete' && ce.peerParameters.versionInformation).toEqual({ chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] });
    expect(se?.type === 'handshake_complete' && se.peerParameters.versionInformation).toEqual({ chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] });
    for (const d of [...seen.client, ...seen.server]) for (const v of d) expect(v).toBe(QUIC_V1);
    // qlog: the versions of long headers, and the server's choice.
    expect(pair.clientQlog.data('quic:packet_sent')[0]!.header.version).toBe('00000001');
    expect(pair.serverQlog.data('quic:version_information')[0]!.chosen_version).toBe('00000001');
  });

  it('compatible negotiation: client v1 offering v2, server preferring v2 → v2 on both sides', async () => {
    const { pair, seen } = await pairWithLog({ provider, qlog: true, server: { versions: [QUIC_V2, QUIC_V1] } });
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(pair.clientConn.version).toBe(QUIC_V2);
    expect(pair.serverConn!.version).toBe(QUIC_V2);
    // The client's first flight is v1; every server long header and every later client one is v2.
    expect(seen.client[0]).toEqual([QUIC_V1]);
    for (const d of seen.server) for (const v of d) expect(v).toBe(QUIC_V2);
    const later = seen.client.slice(1).flat();
    expect(later.length).toBeGreaterThan(0);
    for (const v of later) expect(v).toBe(QUIC_V2);
    // No extra round trip.
    expect(pair.now).toBeLessThan(45_000);
    expect(exchange(pair)).toBe(true);
    const ce = pair.clientEvents.find((e) => e.type === 'handshake_complete');
    expect(ce?.type === 'handshake_complete' && ce.peerParameters.versionInformation?.chosenVersion).toBe(QUIC_V2);
    expect(pair.clientQlog.data('quic:version_information')[0]!.chosen_version).toBe('6b3343cf');
    const hs = pair.serverQlog.data('quic:packet_sent').find((e) => e.header.packet_type === 'handshake');
    expect(hs!.header.version).toBe('6b3343cf');
    const received = pair.clientQlog.data('quic:packet_received').find((e) => e.header.packet_type === 'initial');
    expect(received!.header.version).toBe('6b3343cf');
    expect(pair.amplificationViolations).toBe(0);
  });

  it('compatible negotiation survives the loss of the server first flight', async () => {
    const { pair } = await pairWithLog({ provider, server: { versions: [QUIC_V2, QUIC_V1] } }, (i, from) => from === 'server' && i < 2);
    expect(pair.runUntil(() => pair.handshakeDone(), 10_000_000)).toBe(true);
    expect(pair.clientConn.version).toBe(QUIC_V2);
    expect(exchange(pair)).toBe(true);
  });

  it('a client starting in v2 completes in v2 with a server preferring v2', async () => {
    const { pair, seen } = await pairWithLog({ provider, client: { version: QUIC_V2 }, server: { versions: [QUIC_V2, QUIC_V1] } });
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(pair.clientConn.version).toBe(QUIC_V2);
    expect(pair.serverConn!.version).toBe(QUIC_V2);
    for (const d of [...seen.client, ...seen.server]) for (const v of d) expect(v).toBe(QUIC_V2);
    expect(exchange(pair)).toBe(true);
  });

  it('a client starting in v2 is switched to v1 by a server preferring v1 (and stays in v2 offering only v2)', async () => {
    const a = await pairWithLog({ provider, client: { version: QUIC_V2 } });
    expect(a.pair.runUntil(() => a.pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(a.pair.clientConn.version).toBe(QUIC_V1);
    expect(a.pair.serverConn!.version).toBe(QUIC_V1);
    expect(a.seen.client[0]).toEqual([QUIC_V2]);
    expect(exchange(a.pair)).toBe(true);
    const b = await pairWithLog({ provider, client: { version: QUIC_V2, versions: [QUIC_V2] } });
    expect(b.pair.runUntil(() => b.pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(b.pair.clientConn.version).toBe(QUIC_V2);
    expect(b.pair.serverConn!.version).toBe(QUIC_V2);
  });

  it('a version the server does not accept gets Version Negotiation; the client completes in v1', async () => {
    const { pair, seen } = await pairWithLog({ provider, qlog: true, client: { version: QUIC_V2 }, server: { versions: [QUIC_V1] } });
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(pair.clientConn.version).toBe(QUIC_V1);
    expect(pair.serverConn!.version).toBe(QUIC_V1);
    expect(seen.client[0]).toEqual([QUIC_V2]);
    // The server's first answer is the Version Negotiation packet (version 0).
    expect(seen.server[0]).toEqual([0]);
    expect(pair.server.dropped.unsupportedVersion).toBe(1);
    expect(pair.clientConn.versionNegotiation.vnVersions).toContain(QUIC_V1);
    expect(pair.server.connectionCount).toBe(1);
    expect(exchange(pair)).toBe(true);
    expect(pair.clientQlog.data('quic:version_information')[0]!.server_versions).toContain('00000001');
  });

  it('Version Negotiation without a common version abandons the attempt with an error event', async () => {
    const { pair } = await pairWithLog({ provider, client: { version: QUIC_V2, versions: [QUIC_V2] }, server: { versions: [QUIC_V1] } });
    expect(pair.runUntil(() => pair.clientConn.isClosed, 5_000_000)).toBe(true);
    const c = closing(pair.clientEvents);
    expect(c?.info.code).toBe(ErrorCode.VERSION_NEGOTIATION_ERROR);
    expect(pair.clientEvents.some((e) => e.type === 'closed')).toBe(true);
    expect(pair.server.connectionCount).toBe(0);
  });

  it('ignores a forged Version Negotiation listing its own version, or with wrong connection IDs', async () => {
    const { pair } = await pairWithLog({ provider });
    const c = pair.clientConn;
    const own = encodeVersionNegotiation({ dcid: c.localCid, scid: c.originalDcid, versions: [QUIC_V1, GREASE] });
    const wrongCids = encodeVersionNegotiation({ dcid: c.localCid, scid: new Uint8Array(8).fill(9), versions: [QUIC_V2] });
    pair.client.handleDatagram(0, { data: own, from: SERVER_ADDR, to: CLIENT_ADDR });
    pair.client.handleDatagram(0, { data: wrongCids, from: SERVER_ADDR, to: CLIENT_ADDR });
    expect(c.packetsDropped).toBe(2);
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(c.version).toBe(QUIC_V1);
    expect(c.versionNegotiation.vnVersions).toBeUndefined();
  });

  it('ignores Version Negotiation once a packet of the connection was processed', async () => {
    const { pair } = await pairWithLog({ provider });
    const c = pair.clientConn;
    expect(pair.runUntil(() => c.packetsReceived > 0, 5_000_000)).toBe(true);
    const vn = encodeVersionNegotiation({ dcid: c.localCid, scid: c.originalDcid, versions: [QUIC_V2] });
    pair.client.handleDatagram(pair.now, { data: vn, from: SERVER_ADDR, to: CLIENT_ADDR });
    expect(pair.runUntil(() => pair.handshakeDone(), 5_000_000)).toBe(true);
    expect(c.version).toBe(QUIC_V1);
    expect(c.versionNegotiation.vnVersions).toBeUndefined();
    expect(c.state).toBe('established');
  });

  it('a forged Version Negotiation that steers the client off its preferred version is detected (downgrade)', async () => {
    // An attacker drops the client's first Initial and answers with Version Negotiation [v2].
    const { pair } = await pairWithLog({ provider, server: { versions: [QUIC_V2, QUIC_V1] } }, (i, from) => from === 'client' && i === 0);
    pair.runFor(1000);
    const c = pair.clientConn;
    const vn = encodeVersionNegotiation({ dcid: c.localCid, scid: c.originalDcid, versions: [QUIC_V2] });
    pair.client.handleDatagram(pair.now, { data: vn, from: SERVER_ADDR, to: CLIENT_ADDR });
    expect(c.version).toBe(QUIC_V2);
    expect(pair.runUntil(() => c.state !== 'handshake', 5_000_000)).toBe(true);
    expect(closing(pair.clientEvents)?.info.code).toBe(ErrorCode.VERSION_NEGOTIATION_ERROR);
    expect(pair.runUntil(() => closing(pair.serverEvents) !== undefined, 5_000_000)).toBe(true);
    expect(closing(pair.serverEvents)?.info).toMatchObject({ code: ErrorCode.VERSION_NEGOTIATION_ERROR, initiator: 'remote' });
  });

  it('a forged long-header Version (v1 Initial rewritten as v2) closes with VERSION_NEGOTIATION_ERROR', async () => {
    const { pair } = await pairWithLog({ provider });
    const first = pair.client.pollTransmit(0)!;
    const forged = rewriteInitialAsV2(provider, first.data);
    pair.client.releaseDatagram(first);
    pair.server.handleDatagram(0, { data: forged, from: CLIENT_ADDR, to: SERVER_ADDR });
    expect(pair.runUntil(() => pair.serverConn !== undefined && pair.serverConn.state !== 'handshake', 5_000_000)).toBe(true);
    expect(pair.serverConn!.version).toBe(QUIC_V2);
    expect(closing(pair.serverEvents)?.info).toMatchObject({ code: ErrorCode.VERSION_NEGOTIATION_ERROR, initiator: 'local' });
  });
});
