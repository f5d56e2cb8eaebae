/**
 * The TLS engine over packets (RFC 9001 §4): handshake bytes in CRYPTO frames per encryption
 * level, secrets installed as packet keys, transport parameters exchanged and checked
 * (RFC 9000 §7.3, §7.4, §18.2).
 */
import { localMaxPathId, negotiateMultipath } from './multipath.js';
import { addFecParameters, negotiateFec } from './fec.js';
import { setPeerMaxUdpPayload } from './pmtu.js';
import { peerStreamParams } from '../streams/types.js';
import { DirectionalKeys } from '../crypto/keys.js';
import { TlsClient } from '../crypto/tls/client.js';
import { TlsServer } from '../crypto/tls/server.js';
import type { EncryptionLevel } from '../crypto/tls/engine.js';
import { equalBytes } from '../util/bytes.js';
import { parametersSetEvent } from '../qlog/params.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { decodeTransportParameters, defaultTransportParameters, encodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';
import type { Connection } from './connection.js';
import { PacketSpace } from './space.js';
import { APPDATA, HANDSHAKE, INITIAL, type SpaceId } from './types.js';
import { checkServerVersionInformation, localVersionInformation, serverNegotiateVersion } from './version.js';
import { initialKeys } from '../crypto/initial.js';
import { addRetrySource, checkRetrySource } from './retry.js';
import {
  offeredSession,
  onEarlyDataResult,
  onEarlySecret,
  onOneRttWriteKeys,
  rememberedSessionTicket,
  serverAcceptsEarlyData,
  serverTicketAppData,
  wantsEarlyData,
} from './early-data.js';

export function levelToSpace(level: EncryptionLevel): SpaceId | undefined {
  switch (level) {
    case 'initial':
      return INITIAL;
    case 'handshake':
      return HANDSHAKE;
    case 'application':
      return APPDATA;
    default:
      return undefined; // 'early' carries no handshake data in QUIC
  }
}

export function spaceToLevel(space: SpaceId): EncryptionLevel {
  return space === INITIAL ? 'initial' : space === HANDSHAKE ? 'handshake' : 'application';
}

/** Our transport parameters (RFC 9000 §18.2). */
export function localTransportParameters(conn: Connection, client?: TransportParameters): TransportParameters {
  const s = conn.settings;
  const tp = defaultTransportParameters({
    maxIdleTimeoutMs: s.maxIdleTimeoutMs,
    maxUdpPayloadSize: s.maxUdpPayloadSize,
    initialMaxData: s.initialMaxData,
    initialMaxStreamDataBidiLocal: s.initialMaxStreamData,
    initialMaxStreamDataBidiRemote: s.initialMaxStreamData,
    initialMaxStreamDataUni: s.initialMaxStreamData,
    initialMaxStreamsBidi: s.maxStreamsBidi,
    initialMaxStreamsUni: s.maxStreamsUni,
    ackDelayExponent: s.ackDelayExponent,
    maxAckDelayMs: s.maxAckDelayMs,
    activeConnectionIdLimit: s.activeConnectionIdLimit,
    maxDatagramFrameSize: s.maxDatagramFrameSize,
    initialSourceConnectionId: conn.localCid,
    // RFC 9000 §9: clients may migrate unless configured otherwise.
    disableActiveMigration: conn.config.disableActiveMigration === true,
  });
  if (!conn.isClient) {
    tp.originalDestinationConnectionId = conn.originalDcid;
    // RFC 9000 §10.3, §18.2: the token of the connection ID chosen during the handshake.
    const token = conn.localCids.handshakeToken;
    if (token !== undefined) tp.statelessResetToken = token;
    addRetrySource(conn, tp);
    // RFC 9000 §9.6, §18.2 (migration.ts).
    if (conn.preferredAddressParam !== undefined) tp.preferredAddress = conn.preferredAddressParam;
  }
  // RFC 9368 §3, RFC 9369 §4: sent by both endpoints.
  tp.versionInformation = localVersionInformation(conn);
  // draft-ietf-quic-multipath-21 §2.1 (multipath.ts).
  const maxPathId = localMaxPathId(conn);
  if (maxPathId !== undefined) tp.initialMaxPathId = maxPathId;
  // specs/fec.md B7 §1 (fec.ts): a server answers the client's offer.
  addFecParameters(conn, tp, client);
  return tp;
}

export function createTls(conn: Connection): TlsClient | TlsServer {
  const c = conn.config;
  const transportParameters = encodeTransportParameters(localTransportParameters(conn));
  const common = {
    provider: conn.provider,
    alpn: c.alpn,
    transportParameters,
    ...(c.keylog ? { keylog: c.keylog } : {}),
    ...(c.cipherSuites ? { cipherSuites: c.cipherSuites } : {}),
    ...(c.timeMs !== undefined ? { timeMs: c.timeMs } : {}),
  };
  if (conn.isClient) {
    // RFC 9001 §4.5, §4.6.1: resume a stored session, with 0-RTT when asked and allowed.
    const session = offeredSession(conn);
    return new TlsClient({
      ...common,
      ...(c.serverName !== undefined ? { serverName: c.serverName } : {}),
      ...(c.verify ? { verify: c.verify } : {}),
      ...(session ? { session } : {}),
      ...(wantsEarlyData(conn, session) ? { earlyData: true } : {}),
    });
  }
  if (!c.credentials) throw new RangeError('a server connection needs credentials');
  return new TlsServer({
    ...common,
    credentials: c.credentials,
    ...(c.tickets ? { tickets: c.earlyData === true && c.tickets.earlyData === undefined ? { ...c.tickets, earlyData: true } : c.tickets } : {}),
    // RFC 9000 §7.4.1: tickets remember our transport parameters; 0-RTT needs them unchanged.
    ticketAppData: () => serverTicketAppData(conn),
    acceptEarlyData: (ticket) => serverAcceptsEarlyData(conn, ticket),
    // RFC 9368 §2.3: the Negotiated Version is chosen from the client's parameters before ours
    // (which carry it as the Chosen Version) are written.
    transportParametersFor: (client) => {
      const clientTp = decodeTransportParameters(client, { sender: 'client' });
      serverNegotiateVersion(conn, conn.lastNow, clientTp);
      return encodeTransportParameters(localTransportParameters(conn, clientTp));
    },
  });
}

/** Feeds CRYPTO data to TLS and applies everything it produced. */
export function receiveCrypto(conn: Connection, now: Instant, space: SpaceId, data: Uint8Array): void {
  conn.tls.receive(spaceToLevel(space), data);
  drainTls(conn, now);
}

/** Moves TLS output into the CRYPTO streams and applies TLS events. */
export function drainTls(conn: Connection, now: Instant): void {
  for (let o = conn.tls.pollOutput(); o; o = conn.tls.pollOutput()) {
    const space = levelToSpace(o.level);
    if (space !== undefined) conn.spaces[space].cryptoSend.write(o.data);
  }
  for (let e = conn.tls.pollEvent(); e; e = conn.tls.pollEvent()) {
    switch (e.type) {
      case 'secret': {
        if (e.level === 'early') {
          onEarlySecret(conn, now, e.direction, e.suite, e.secret);
          break;
        }
        const space = e.level === 'handshake' ? HANDSHAKE : APPDATA;
        conn.installKeys(space, e.direction, DirectionalKeys.fromSecret(conn.provider, e.suite, conn.version, e.secret));
        if (space === APPDATA && e.direction === 'write') onOneRttWriteKeys(conn, now);
        break;
      }
      case 'peer_transport_parameters':
        applyPeerParameters(conn, now, e.data);
        break;
      case 'handshake_complete':
        conn.handshakeComplete = true;
        conn.handshakeDeadline = undefined;
        conn.handshakeInfo = e.info;
        if (conn.state === 'handshake') conn.state = 'established';
        startConnectionIds(conn);
        conn.emit({ type: 'handshake_complete', info: e.info, peerParameters: conn.peerParams! });
        conn.qlog?.event(now, { name: 'quic:connection_state_updated', data: { new: 'handshake_complete' } });
        if (!conn.isClient) {
          // RFC 9001 §4.1.2: the server's handshake is confirmed once complete; it tells the
          // client with HANDSHAKE_DONE (RFC 9000 §19.20).
          conn.handshakeDonePending = true;
          conn.confirmHandshake(now);
        }
        break;
      case 'session_ticket':
        conn.session = rememberedSessionTicket(conn, now, e.session);
        break;
      case 'early_data':
        onEarlyDataResult(conn, now, e.accepted);
        break;
    }
  }
}

/** RFC 9000 §7.3, §7.4, §18.2: decode, authenticate the connection IDs, apply. */
function applyPeerParameters(conn: Connection, now: Instant, data: Uint8Array): void {
  const tp = decodeTransportParameters(data, { sender: conn.isClient ? 'server' : 'client' });
  const fail = (reason: string): never => {
    throw new TransportError(ErrorCode.TRANSPORT_PARAMETER_ERROR, undefined, reason);
  };
  // §7.3: initial_source_connection_id must match the SCID of the peer's first packet.
  if (!tp.initialSourceConnectionId) fail('initial_source_connection_id missing');
  if (!equalBytes(tp.initialSourceConnectionId!, conn.remoteCid)) fail('initial_source_connection_id does not match the Source Connection ID');
  if (conn.isClient) {
    checkServerVersionInformation(conn, tp.versionInformation);
    if (!tp.originalDestinationConnectionId) fail('original_destination_connection_id missing');
    if (!equalBytes(tp.originalDestinationConnectionId!, conn.originalDcid)) fail('original_destination_connection_id does not match');
    checkRetrySource(conn, tp);
  }
  conn.peerParams = tp;
  // RFC 9000 §5.1.1: the preferred_address connection ID has sequence number 1.
  if (conn.isClient && tp.preferredAddress !== undefined) conn.peerCids.addPreferred(tp.preferredAddress.connectionId, tp.preferredAddress.statelessResetToken);
  conn.peerAckDelayExponent = tp.ackDelayExponent;
  setPeerMaxUdpPayload(conn, now, tp.maxUdpPayloadSize);
  conn.peerMaxDatagramFrame = tp.maxDatagramFrameSize;
  conn.recovery.maxAckDelay = tp.maxAckDelayMs * 1000;
  // §10.1: the effective idle timeout is the minimum of both, where 0 means "none".
  const peerIdle = tp.maxIdleTimeoutMs * 1000;
  if (peerIdle > 0 && (conn.idleTimeout === 0 || peerIdle < conn.idleTimeout)) conn.idleTimeout = peerIdle;
  if (conn.idleTimeout > 0) conn.idleDeadline = now + conn.effectiveIdleTimeout();
  conn.recovery.ptoCeiling = conn.ptoCeiling();
  conn.streams.setPeerParams(peerStreamParams(tp));
  negotiateFec(conn, tp);
  conn.qlog?.event(now, parametersSetEvent(tp, 'remote'));
}

/**
 * Client: a new first flight in `version` after a Version Negotiation packet (RFC 9000 §6.2,
 * RFC 9368 §2.1). Conceptually a new connection (RFC 9368 §2.4): the Initial space starts
 * afresh (what was sent in it is forgotten; packet numbers continue), the Initial keys are those
 * of the new version from the same DCID, and TLS starts over with a new ClientHello whose
 * version_information names the new version.
 */
export function restartHandshake(conn: Connection, now: Instant, version: number): void {
  const old = conn.spaces[INITIAL];
  const removed = conn.recovery.discardSpace(INITIAL);
  for (let i = 0; i < removed.length; i++) conn.releaseSent(removed[i]!);
  const sp = new PacketSpace(INITIAL, conn.settings.maxAckDelayMs * 1000);
  sp.nextPn = old.nextPn;
  const k = initialKeys(conn.provider, version, conn.originalDcid, false);
  sp.seal = k.seal;
  sp.open = k.open;
  conn.spaces[INITIAL] = sp;
  conn.version = version;
  conn.tls = createTls(conn);
  (conn.tls as TlsClient).start();
  drainTls(conn, now);
}

/**
 * After the handshake (RFC 9000 §5.1.1): the peer's handshake connection ID with the server's
 * stateless_reset_token (§10.3), and our connection IDs issued up to the peer's limit.
 */
function startConnectionIds(conn: Connection): void {
  const tp = conn.peerParams;
  conn.peerCids.setHandshake(conn.remoteCid, conn.isClient ? tp?.statelessResetToken : undefined);
  // multipath-21 §2: with multipath, connection IDs are issued per path ID (path-cids.ts).
  if (!negotiateMultipath(conn)) conn.localCids.start(tp?.activeConnectionIdLimit ?? 2);
}
