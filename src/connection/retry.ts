/**
 * Retry on a connection (RFC 9000 §8.1.2, §17.2.5; RFC 9001 §5.8; RFC 9002 §6.3):
 * - the client acting on a Retry packet: new Destination Connection ID, new Initial keys, the
 *   first flight again (CRYPTO from offset 0) with the token, recovery reset;
 * - retry_source_connection_id (RFC 9000 §7.3): sent by a server whose Retry token validated,
 *   checked by the client.
 */
import { initialKeys } from '../crypto/initial.js';
import { verifyRetryIntegrity } from '../crypto/retry.js';
import { qlogVersion } from '../qlog/common.js';
import { newController } from './path.js';
import { equalBytes, toHex } from '../util/bytes.js';
import type { Datagram } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { PacketHeader } from '../wire/header.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { Connection } from './connection.js';
import { INITIAL } from './types.js';

const EMPTY = new Uint8Array(0);
/**
 * Longest token a client puts in its Initials: the Initial must still fit a 1200-byte datagram
 * with its ClientHello. Longer Retry or NEW_TOKEN tokens are not used.
 */
export const MAX_CLIENT_TOKEN = 512;

/** Per-connection Retry and token state. */
export class RetryState {
  /**
   * The Destination Connection ID the Initial keys derive from (RFC 9001 §5.2): the client's
   * first DCID, or after a Retry the Retry's Source Connection ID (RFC 9000 §17.2.5.2).
   */
  initialDcid: Uint8Array;
  /**
   * Client: the Source Connection ID of the Retry it acted on; server: that of the Retry whose
   * token validated this connection's address. Undefined without a Retry (RFC 9000 §7.3).
   */
  retrySourceCid: Uint8Array | undefined;
  /** Client: the Token field of its Initial packets (RFC 9000 §17.2.2): a Retry or NEW_TOKEN token. */
  token: Uint8Array = EMPTY;
  /** Server: a NEW_TOKEN token waiting to be sent (RFC 9000 §19.7), and whether one was queued. */
  newTokenPending: Uint8Array | undefined;
  newTokenIssued = false;

  constructor(initialDcid: Uint8Array, retrySourceCid?: Uint8Array) {
    this.initialDcid = initialDcid;
    this.retrySourceCid = retrySourceCid;
  }
}

/**
 * Client: a Retry packet arrived (RFC 9000 §17.2.5.2). Ignored (dropped, logged) unless this
 * is a client that has processed no packet of the server yet nor another Retry, in the version
 * of its Initial, with a non-empty token, a Source Connection ID different from the DCID it
 * sent to, and an integrity tag that verifies against that DCID (RFC 9001 §5.8).
 */
export function onRetry(conn: Connection, now: Instant, d: Datagram, h: PacketHeader): void {
  const ignore = (reason: string): void => conn.drop(now, 'rejected', `Retry ignored: ${reason}`, h.packetLength);
  if (!conn.isClient) return ignore('server');
  if (conn.state !== 'handshake') return ignore(conn.state);
  // §17.2.5.2: at most one Retry, and none after any packet from the server was processed.
  if (conn.retry.retrySourceCid !== undefined) return ignore('already acted on a Retry');
  if (conn.packetsReceived > 0 || conn.remoteCidSet) return ignore('a packet was already processed');
  if (h.version !== conn.version) return ignore('version differs from our Initial');
  if (h.token.length === 0) return ignore('empty token');
  if (h.token.length > MAX_CLIENT_TOKEN) return ignore('token too long');
  const odcid = conn.retry.initialDcid;
  if (equalBytes(h.scid, odcid)) return ignore('Source Connection ID equals our Destination Connection ID');
  const packet = d.data.subarray(h.start, h.start + h.packetLength);
  if (!verifyRetryIntegrity(conn.provider, h.version, odcid, packet)) return ignore('bad integrity tag');

  conn.packetsReceived++;
  conn.qlog?.event(now, {
    name: 'quic:packet_received',
    data: {
      header: { packet_type: 'retry', version: qlogVersion(h.version), scid: toHex(h.scid), dcid: toHex(h.dcid), token: { type: 'retry', raw: { length: h.token.length } } },
      raw: { length: h.packetLength },
    },
  });
  const scid = h.scid.slice();
  const st = conn.retry;
  st.retrySourceCid = scid;
  st.initialDcid = scid;
  st.token = h.token.slice();
  // §7.2, §17.2.5.2: subsequent packets go to the Retry's SCID, protected with Initial keys
  // derived from it (RFC 9001 §5.2).
  conn.remoteCid = scid;
  const sp = conn.spaces[INITIAL];
  const k = initialKeys(conn.provider, conn.version, scid, false);
  sp.seal = k.seal;
  sp.open = k.open;
  conn.versionNegotiation.clearCandidates();
  // RFC 9002 §6.3: congestion control and loss recovery start afresh; what the Initials carried
  // is sent again (CRYPTO from offset 0, the same ClientHello, §17.2.5.2), packet numbers go on
  // (§17.2.5.3).
  const removed = conn.recovery.discardSpace(INITIAL);
  for (let i = 0; i < removed.length; i++) conn.releaseSent(removed[i]!);
  conn.recovery.cc = newController(conn.config, conn.settings, conn.pmtud.current, 0);
  sp.cryptoSend.requeueUnacked();
}

/** Server: retry_source_connection_id for our transport parameters (RFC 9000 §7.3, §18.2). */
export function addRetrySource(conn: Connection, tp: TransportParameters): void {
  if (!conn.isClient && conn.retry.retrySourceCid !== undefined) tp.retrySourceConnectionId = conn.retry.retrySourceCid;
}

/**
 * Client: RFC 9000 §7.3: after a Retry the server's retry_source_connection_id must be present
 * and equal the Retry's SCID; without a Retry it must be absent. TRANSPORT_PARAMETER_ERROR otherwise.
 */
export function checkRetrySource(conn: Connection, tp: TransportParameters): void {
  const expected = conn.retry.retrySourceCid;
  const got = tp.retrySourceConnectionId;
  const fail = (reason: string): never => {
    throw new TransportError(ErrorCode.TRANSPORT_PARAMETER_ERROR, undefined, reason);
  };
  if (expected === undefined) {
    if (got !== undefined) fail('retry_source_connection_id without a Retry');
    return;
  }
  if (got === undefined) fail('retry_source_connection_id missing after a Retry');
  if (!equalBytes(got!, expected)) fail('retry_source_connection_id does not match the Retry');
}
