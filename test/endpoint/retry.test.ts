/**
 * Retry and address validation tokens (RFC 9000 §8.1, §17.2.5, §19.7; RFC 9001 §5.8): a server
 * that always sends Retry completes the handshake one round trip later with
 * retry_source_connection_id checked and no 3× limit; the client ignores Retry packets it must
 * ignore; a Retry token from another address or an expired one is refused with INVALID_TOKEN; a
 * NEW_TOKEN token spares the next connection its Retry; v2 Retry; both crypto providers.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { computeRetryIntegrityTag } from '../../src/crypto/retry.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { Endpoint, type EndpointOptions } from '../../src/endpoint/endpoint.js';
import { ByteWriter } from '../../src/util/bytes.js';
import type { Datagram } from '../../src/util/datagram.js';
import { ErrorCode } from '../../src/util/transport-error.js';
import { writeRetry } from '../../src/wire/header.js';
import { QUIC_V1, QUIC_V2, longPacketTypeFromBits } from '../../src/wire/version.js';
import { CLIENT_ADDR, Pair, SERVER_ADDR, testCredentials } from '../support/pair.js';

const node = getProvider('node');

function isRetry(d: Uint8Array): boolean {
  if ((d[0]! & 0x80) === 0) return false;
  const v = ((d[1]! << 24) | (d[2]! << 16) | (d[3]! << 8) | d[4]!) >>> 0;
  return v !== 0 && longPacketTypeFromBits(v, (d[0]! >> 4) & 3) === 'retry';
}

/** A Retry to the client, with a valid tag for `odcid` unless told otherwise. */
function craftRetry(provider: CryptoProvider, version: number, dcid: Uint8Array, scid: Uint8Array, odcid: Uint8Array): Uint8Array {
  const w = ByteWriter.alloc(200);
  writeRetry(w, { version, dcid, scid, token: new Uint8Array([1, 2, 3, 4]) });
  w.bytes(computeRetryIntegrityTag(provider, version, odcid, w.written()));
  return w.written().slice();
}

function dropReasons(pair: Pair): string[] {
  return pair.clientQlog.data('quic:packet_dropped').map((e) => String(e.details?.reason));
}

async function retryPair(provider: CryptoProvider, extra: Partial<EndpointOptions> = {}, client: Parameters<typeof Pair.create>[0]['client'] = {}): Promise<Pair> {
  return Pair.create({ provider, qlog: true, serverEndpoint: { retry: 'always', ...extra }, client });
}

describe.each(['node', 'noble'] as const)('Retry (%s provider)', (name) => {
  const provider = getProvider(name);

  it('always: the handshake completes one round trip later; retry_source_connection_id checked; no 3× limit', async () => {
    const plain = await Pair.create({ provider });
    expect(plain.runUntil(() => plain.handshakeDone())).toBe(true);
    const plainTime = plain.now;

    const pair = await retryPair(provider);
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    // One more round trip (10 ms each way) than without Retry.
    expect(pair.now - plainTime).toBeGreaterThanOrEqual(19_000);
    expect(pair.now - plainTime).toBeLessThan(40_000);
    const c = pair.clientConn;
    const s = pair.serverConn!;
    expect(pair.server.addressValidation.retriesSent).toBe(1);
    expect(pair.server.addressValidation.retryTokensAccepted).toBe(1);
    // §7.3: both ends agree on the original DCID and the Retry's SCID.
    expect(c.retry.retrySourceCid).toBeDefined();
    expect(s.originalDcid).toEqual(c.originalDcid);
    expect(c.peerParams!.retrySourceConnectionId).toEqual(c.retry.retrySourceCid);
    expect(c.peerParams!.originalDestinationConnectionId).toEqual(c.originalDcid);
    // §8.1.2: the token validated the address: no anti-amplification limit from the start.
    expect(s.addressValidated).toBe(true);
    expect(s.bytesSentUnvalidated).toBe(0);
    // qlog: the Retry on both sides, the token in the client's next Initial.
    expect(pair.clientQlog.data('quic:packet_received').filter((e) => e.header.packet_type === 'retry')).toHaveLength(1);
    expect(pair.serverQlog.data('quic:packet_sent').filter((e) => e.header.packet_type === 'retry')).toHaveLength(1);
    const initials = pair.clientQlog.data('quic:packet_sent').filter((e) => e.header.packet_type === 'initial');
    expect(initials[0]!.header.token).toBeUndefined();
    expect(initials[1]!.header.token?.raw?.length).toBeGreaterThan(0);
    // Data flows.
    const id = c.openStream()!;
    c.streamWrite(id, new Uint8Array(50_000).fill(7), true);
    expect(pair.receiveAll(s, id)?.length).toBe(50_000);
  });

  it('v2: the Retry is in the version of the Initial, with the v2 integrity key', async () => {
    const pair = await retryPair(provider, {}, { version: QUIC_V2 });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    const r = pair.clientQlog.data('quic:packet_received').find((e) => e.header.packet_type === 'retry');
    expect(r?.header.version).toBe('6b3343cf');
    // The server then picks v1 by its preference (compatible negotiation, RFC 9368), from Initial keys of the Retry's SCID.
    expect(pair.clientConn.version).toBe(QUIC_V1);
    expect(pair.clientConn.peerParams!.retrySourceConnectionId).toEqual(pair.clientConn.retry.retrySourceCid);
  });
});

describe('Retry: what the client ignores', () => {
  it('a second Retry and a Retry with a bad integrity tag are ignored', async () => {
    const captured: Uint8Array[] = [];
    const pair = await Pair.create({
      provider: node,
      qlog: true,
      serverEndpoint: { retry: 'always' },
      // The first Retry is held back, to be delivered by hand.
      link: { dropIf: (d, _i, from) => from === 'server' && isRetry(d.data) && captured.push(d.data.slice()) === 1 },
    });
    expect(pair.runUntil(() => captured.length > 0)).toBe(true);
    const retry = captured[0]!;
    const deliver = (data: Uint8Array): void => pair.client.handleDatagram(pair.now, { data, from: SERVER_ADDR, to: CLIENT_ADDR });
    const bad = retry.slice();
    bad[bad.length - 1]! ^= 1;
    deliver(bad);
    expect(pair.clientConn.retry.retrySourceCid).toBeUndefined();
    expect(dropReasons(pair).some((r) => r.includes('bad integrity tag'))).toBe(true);
    deliver(retry);
    expect(pair.clientConn.retry.retrySourceCid).toBeDefined();
    const first = pair.clientConn.retry.retrySourceCid!;
    // A second one (valid for the DCID now in use, another SCID) is ignored.
    deliver(craftRetry(node, QUIC_V1, pair.clientConn.localCid, new Uint8Array(8).fill(9), pair.clientConn.remoteCid));
    deliver(retry);
    expect(pair.clientConn.retry.retrySourceCid).toEqual(first);
    expect(dropReasons(pair).filter((r) => r.includes('already acted on a Retry'))).toHaveLength(2);
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  });

  it('a Retry after a packet of the server was processed is ignored', async () => {
    const pair = await Pair.create({ provider: node, qlog: true });
    expect(pair.runUntil(() => pair.clientConn.packetsReceived > 0)).toBe(true);
    const c = pair.clientConn;
    pair.client.handleDatagram(pair.now, { data: craftRetry(node, QUIC_V1, c.localCid, new Uint8Array(8).fill(3), c.originalDcid), from: SERVER_ADDR, to: CLIENT_ADDR });
    expect(c.retry.retrySourceCid).toBeUndefined();
    expect(dropReasons(pair).some((r) => /Retry ignored: (a packet was already processed|established)/.test(r))).toBe(true);
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
  });

  it('a retry_source_connection_id that does not match the Retry → TRANSPORT_PARAMETER_ERROR', async () => {
    const pair = await retryPair(node);
    expect(pair.runUntil(() => pair.clientConn.retry.retrySourceCid !== undefined)).toBe(true);
    // As if the server's parameters named another Retry SCID.
    pair.clientConn.retry.retrySourceCid = new Uint8Array(8).fill(0xee);
    pair.runUntil(() => pair.clientConn.state !== 'handshake');
    expect(pair.clientConn.closeInfo?.code).toBe(ErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(pair.clientConn.closeInfo?.reason).toMatch(/retry_source_connection_id/);
  });

  it('no retry_source_connection_id after a Retry → TRANSPORT_PARAMETER_ERROR', async () => {
    const pair = await Pair.create({ provider: node });
    // As if the client had acted on a Retry the server does not know of.
    pair.clientConn.retry.retrySourceCid = new Uint8Array(8).fill(0xee);
    pair.runUntil(() => pair.clientConn.state !== 'handshake');
    expect(pair.clientConn.closeInfo?.code).toBe(ErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(pair.clientConn.closeInfo?.reason).toMatch(/retry_source_connection_id missing/);
  });
});

/** One client and one server endpoint, driven by hand. */
async function endpoints(server: Partial<EndpointOptions> = {}): Promise<{ client: Endpoint; server: Endpoint; drain: (ep: Endpoint, now: number) => Datagram[] }> {
  const base = { provider: node, alpn: ['test'], timeMs: Date.UTC(2026, 10, 23) };
  return {
    client: new Endpoint({ local: CLIENT_ADDR, seed: 1 }),
    server: new Endpoint({ local: SERVER_ADDR, seed: 2, server: { ...base, credentials: await testCredentials() }, retry: 'always', ...server }),
    drain: (ep, now) => {
      const out: Datagram[] = [];
      for (let d = ep.pollTransmit(now); d; d = ep.pollTransmit(now)) out.push({ ...d, data: d.data.slice() });
      return out;
    },
  };
}

const base = { provider: node, alpn: ['test'], timeMs: Date.UTC(2026, 10, 23), serverName: 'localhost' };

describe('Retry tokens at the server', () => {
  for (const c of [
    { what: 'from another address', from: { host: '10.0.0.9', port: 50000 }, at: 20_000 },
    { what: 'from another port', from: { host: CLIENT_ADDR.host, port: 50001 }, at: 20_000 },
    { what: 'expired', from: CLIENT_ADDR, at: 11_000_000 },
  ]) {
    it(`a Retry token ${c.what} is refused with INVALID_TOKEN (§8.1.3)`, async () => {
      const { client, server, drain } = await endpoints();
      const conn = client.connect(0, SERVER_ADDR, base);
      for (const d of drain(client, 0)) server.handleDatagram(10_000, d);
      const retry = drain(server, 10_000);
      expect(retry).toHaveLength(1);
      expect(isRetry(retry[0]!.data)).toBe(true);
      expect(server.connectionCount).toBe(0);
      client.handleDatagram(10_000, retry[0]!);
      const again = drain(client, 10_000);
      expect(again.length).toBeGreaterThan(0);
      for (const d of again) server.handleDatagram(c.at, { ...d, from: c.from });
      expect(server.connectionCount).toBe(0);
      expect(server.addressValidation.retryTokensRejected).toBe(1);
      const close = drain(server, c.at);
      expect(close).toHaveLength(1);
      expect(close[0]!.to).toEqual(c.from);
      // The client reads the CONNECTION_CLOSE in an Initial protected for its DCID.
      client.handleDatagram(c.at, { ...close[0]!, from: SERVER_ADDR, to: CLIENT_ADDR });
      expect(conn.closeInfo?.code).toBe(ErrorCode.INVALID_TOKEN);
      expect(conn.closeInfo?.initiator).toBe('remote');
    });
  }

  it('a burst of 32 Initials (one libuv read batch) gets 32 Retry packets; beyond 64 waiting, replies are dropped', async () => {
    const { client, server, drain } = await endpoints();
    for (let i = 0; i < 70; i++) client.connect(0, SERVER_ADDR, base);
    const initials = drain(client, 0);
    expect(initials).toHaveLength(70);
    for (const d of initials.slice(0, 32)) server.handleDatagram(10_000, d);
    expect(drain(server, 10_000).filter((d) => isRetry(d.data))).toHaveLength(32);
    // The stateless queue is bounded (memory): 64 replies wait at most.
    for (const d of initials) server.handleDatagram(20_000, d);
    expect(drain(server, 20_000)).toHaveLength(64);
  });

  it('a token the server did not make is treated as no token: Retry', async () => {
    const { client, server, drain } = await endpoints();
    client.connect(0, SERVER_ADDR, { ...base, tokenStore: { get: () => new Uint8Array(40).fill(0x4e), set: () => {} } });
    for (const d of drain(client, 0)) server.handleDatagram(10_000, d);
    const out = drain(server, 10_000);
    expect(out).toHaveLength(1);
    expect(isRetry(out[0]!.data)).toBe(true);
    expect(server.addressValidation.newTokensRejected).toBe(1);
  });
});

describe('NEW_TOKEN', () => {
  for (const mode of [
    { retry: 'always' as const },
    { retry: 'auto' as const, retryAbove: 0 },
  ]) {
    it(`retry ${mode.retry}: the second connection from the client uses the token and gets no Retry`, async () => {
      const pair = await retryPair(node, mode);
      expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
      pair.runFor(200_000);
      expect(pair.server.addressValidation.newTokensIssued).toBe(1);
      expect(pair.client.tokens.size).toBe(1);
      expect(pair.serverQlog.data('quic:packet_sent').some((e) => e.frames?.some((f) => f.frame_type === 'new_token'))).toBe(true);
      const second = pair.client.connect(pair.now, SERVER_ADDR, { provider: node, alpn: ['test'], serverName: 'localhost', timeMs: Date.UTC(2026, 10, 23) });
      // The token is used once (§8.1.3).
      expect(pair.client.tokens.size).toBe(0);
      expect(second.retry.token.length).toBeGreaterThan(0);
      expect(pair.runUntil(() => second.handshakeConfirmed)).toBe(true);
      expect(second.retry.retrySourceCid).toBeUndefined();
      expect(pair.server.addressValidation.retriesSent).toBe(1);
      expect(pair.server.addressValidation.newTokensAccepted).toBe(1);
    });
  }

  it('auto: no Retry below the threshold; a NEW_TOKEN token still validates the address', async () => {
    const pair = await Pair.create({ provider: node, serverEndpoint: { retry: 'auto', retryAbove: 10 } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    expect(pair.server.addressValidation.retriesSent).toBe(0);
    expect(pair.serverConn!.retry.retrySourceCid).toBeUndefined();
    pair.runFor(200_000);
    const second = pair.client.connect(pair.now, SERVER_ADDR, { provider: node, alpn: ['test'], serverName: 'localhost', timeMs: Date.UTC(2026, 10, 23) });
    expect(pair.runUntil(() => second.handshakeConfirmed)).toBe(true);
    expect(pair.server.addressValidation.newTokensAccepted).toBe(1);
  });

  it('newTokens: false sends none', async () => {
    const pair = await Pair.create({ provider: node, serverEndpoint: { newTokens: false } });
    expect(pair.runUntil(() => pair.handshakeDone())).toBe(true);
    pair.runFor(200_000);
    expect(pair.server.addressValidation.newTokensIssued).toBe(0);
    expect(pair.client.tokens.size).toBe(0);
  });

  it('a NEW_TOKEN token from another IP address is treated as no token (Retry)', async () => {
    const { client, server, drain } = await endpoints({ retry: 'always' });
    // Run a first connection by hand until the client holds a token.
    const conn = client.connect(0, SERVER_ADDR, base);
    let now = 0;
    for (let i = 0; i < 40 && client.tokens.size === 0; i++) {
      now += 10_000;
      for (const d of drain(client, now)) server.handleDatagram(now, d);
      for (const d of drain(server, now)) client.handleDatagram(now, d);
    }
    expect(conn.handshakeConfirmed).toBe(true);
    expect(client.tokens.size).toBe(1);
    client.connect(now, SERVER_ADDR, base);
    const retries = server.addressValidation.retriesSent;
    for (const d of drain(client, now)) if (d.data.length >= 1200 && (d.data[0]! & 0x80) !== 0) server.handleDatagram(now, { ...d, from: { host: '10.9.9.9', port: 4000 } });
    expect(server.addressValidation.newTokensRejected).toBe(1);
    expect(server.addressValidation.retriesSent).toBe(retries + 1);
  });
});
