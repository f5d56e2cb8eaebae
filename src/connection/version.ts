/**
 * Version negotiation on a connection:
 * - compatible version negotiation between QUIC v1 and v2 (RFC 9368 §2.3, RFC 9369 §4): the
 *   server picks the version from the client's version_information and answers in it; the client
 *   follows the first long header of a different version;
 * - the version_information transport parameter (RFC 9368 §3) and its checks (§4);
 * - the client's reaction to a Version Negotiation packet (RFC 9000 §6.2, RFC 9368 §2.1, §4).
 * The restart of the handshake after a Version Negotiation packet is in handshake.ts.
 */
import { initialKeys } from '../crypto/initial.js';
import type { DirectionalKeys, PacketKeys } from '../crypto/keys.js';
import { qlogVersion } from '../qlog/common.js';
import { equalBytes } from '../util/bytes.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { PacketHeader } from '../wire/header.js';
import type { TransportParameters, VersionInformation } from '../wire/transport-params.js';
import { QUIC_V1, QUIC_V2, SUPPORTED_VERSIONS, isReservedVersion, versionName } from '../wire/version.js';
import type { ConnectionConfig } from './config.js';
import type { Connection } from './connection.js';
import { HANDSHAKE, INITIAL, type SpaceId } from './types.js';

/**
 * RFC 9368 §2.2: versions are compatible only where a specification says so. RFC 9369 §4:
 * v1 and v2 are compatible with each other, in both directions (and each with itself).
 */
export function isCompatibleVersion(from: number, to: number): boolean {
  const isKnown = (v: number): boolean => v === QUIC_V1 || v === QUIC_V2;
  return isKnown(from >>> 0) && isKnown(to >>> 0);
}

/**
 * The versions a connection may use, in preference order, from its configuration: only
 * versions tquic can build packets for (a reserved or unknown version in the list is skipped).
 * Client: the list it offers in version_information, its starting version included (first,
 * unless `versions` puts it elsewhere); server: the versions it accepts and its Available
 * Versions (default v1, v2).
 */
export function configuredVersions(c: ConnectionConfig, isClient: boolean, version: number): number[] {
  const list: number[] = [];
  const given = c.versions ?? (isClient ? [version, ...SUPPORTED_VERSIONS] : SUPPORTED_VERSIONS);
  for (const v of given) if (SUPPORTED_VERSIONS.includes(v >>> 0) && !list.includes(v >>> 0)) list.push(v >>> 0);
  // RFC 9368 §3: the client's Chosen Version must be among its Available Versions.
  if (isClient && !list.includes(version)) list.unshift(version);
  return list;
}

/**
 * RFC 9368 §2.3: the server's choice among the client's Available Versions: the first of its own
 * preference that the client's Chosen Version is compatible with; the Chosen Version when none is.
 */
export function selectCompatibleVersion(preference: readonly number[], clientAvailable: readonly number[], chosen: number): number {
  for (const v of preference) if (clientAvailable.includes(v) && isCompatibleVersion(chosen, v)) return v;
  return chosen;
}

/**
 * RFC 9368 §2.1: the version a client picks from a Version Negotiation packet's list: its most
 * preferred one the list contains (reserved versions are never picked, RFC 9368 §3).
 */
export function selectFromVersionNegotiation(preference: readonly number[], offered: readonly number[]): number | undefined {
  return preference.find((v) => !isReservedVersion(v) && offered.includes(v));
}

/** Per-connection version negotiation state. */
export class VersionNegotiation {
  /**
   * The client's Chosen Version of this connection attempt (RFC 9368 §1.2): the version of its
   * first flight. Changes only when the client restarts after a Version Negotiation packet.
   */
  chosen: number;
  /** RFC 9368 §1.2: the version of the very first packet the client sent. */
  readonly original: number;
  /** Client: set once it acted on a Version Negotiation packet: that packet's version list. */
  vnVersions: readonly number[] | undefined;
  /**
   * Server after a compatible switch: the Initial read keys of the client's Chosen Version, kept
   * until the Initial space is discarded (RFC 9369 §4).
   */
  chosenInitialOpen: DirectionalKeys | undefined;
  /** Client: Initial keys of versions the server may switch to, derived when first needed. */
  private readonly candidates = new Map<number, PacketKeys>();

  constructor(
    readonly isClient: boolean,
    version: number,
    /** Our versions in preference order (see `configuredVersions`). */
    readonly preference: readonly number[],
  ) {
    this.chosen = version;
    this.original = version;
  }

  /** @internal Client: Initial keys for `version` from its first DCID. */
  candidateKeys(conn: Connection, version: number): PacketKeys {
    let k = this.candidates.get(version);
    if (k === undefined) {
      // RFC 9001 §5.2: from the DCID of our Initials (the Retry's SCID after a Retry).
      k = initialKeys(conn.provider, version, conn.retry.initialDcid, false);
      this.candidates.set(version, k);
    }
    return k;
  }

  /** @internal Client after a Retry: keys derived from the previous DCID are of no use. */
  clearCandidates(): void {
    this.candidates.clear();
  }
}

/** RFC 9368 §3: our version_information. The server's Available Versions are its accepted versions. */
export function localVersionInformation(conn: Connection): VersionInformation {
  return { chosenVersion: conn.version, availableVersions: [...conn.versionNegotiation.preference] };
}

function versionError(reason: string): TransportError {
  return new TransportError(ErrorCode.VERSION_NEGOTIATION_ERROR, undefined, reason);
}

/**
 * Read keys for a long-header packet whose Version differs from the connection's, or undefined
 * to drop it (RFC 9369 §4: "An endpoint MUST drop packets using any other version"), except:
 * - server: Initial packets of the client's Chosen Version after a compatible switch;
 * - client: an Initial of a version it offered and its Chosen Version is compatible with, while
 *   the server's first flight has not been processed: the server's Negotiated Version.
 */
export function otherVersionReadKeys(conn: Connection, version: number, space: SpaceId): DirectionalKeys | undefined {
  if (space !== INITIAL) return undefined;
  const vn = conn.versionNegotiation;
  if (!conn.isClient) return version === vn.chosen ? vn.chosenInitialOpen : undefined;
  if (conn.version !== vn.chosen || conn.spaces[HANDSHAKE].open !== undefined) return undefined;
  if (!vn.preference.includes(version) || !isCompatibleVersion(vn.chosen, version)) return undefined;
  return vn.candidateKeys(conn, version).open;
}

/**
 * A long-header packet of another version opened with `otherVersionReadKeys`' keys. Client:
 * RFC 9369 §4, the first long header with a Version different from the original one names the
 * Negotiated Version; subsequent packets (Initials included) are sent in it. Server: nothing.
 */
export function onOtherVersionOpened(conn: Connection, now: Instant, version: number): void {
  if (!conn.isClient) return;
  const vn = conn.versionNegotiation;
  const k = vn.candidateKeys(conn, version);
  conn.version = version;
  conn.spaces[INITIAL].seal = k.seal;
  conn.spaces[INITIAL].open = k.open;
  conn.qlog?.event(now, {
    name: 'quic:version_information',
    data: { client_versions: vn.preference.map(qlogVersion), chosen_version: qlogVersion(version) },
  });
}

/**
 * Server, on the client's transport parameters (before its own are written): RFC 9368 §4 checks
 * the client's Chosen Version against the version in use; RFC 9368 §2.3 picks the Negotiated
 * Version and, when it differs, switches: Initial keys of the new version from the same original
 * DCID (RFC 9369 §3.3.1), packets in the new version from here on (RFC 9369 §4: all CRYPTO
 * frames in the Negotiated Version).
 */
export function serverNegotiateVersion(conn: Connection, now: Instant, clientParameters: TransportParameters): void {
  const vn = conn.versionNegotiation;
  const vi = clientParameters.versionInformation;
  // RFC 9368 §4: the server MAY complete the handshake without the client's Version Information.
  if (vi === undefined) return;
  if (vi.chosenVersion !== conn.version) {
    throw versionError(`client's Chosen Version ${versionName(vi.chosenVersion)} is not the version in use ${versionName(conn.version)}`);
  }
  const negotiated = selectCompatibleVersion(vn.preference, vi.availableVersions, conn.version);
  conn.qlog?.event(now, {
    name: 'quic:version_information',
    data: { server_versions: vn.preference.map(qlogVersion), client_versions: vi.availableVersions.map(qlogVersion), chosen_version: qlogVersion(negotiated) },
  });
  if (negotiated === conn.version) return;
  const sp = conn.spaces[INITIAL];
  const k = initialKeys(conn.provider, negotiated, conn.retry.initialDcid, true);
  vn.chosenInitialOpen = sp.open;
  conn.version = negotiated;
  sp.seal = k.seal;
  sp.open = k.open;
}

/**
 * Client, on the server's transport parameters: the checks of RFC 9368 §4 (and RFC 9369 §4:
 * an endpoint supporting v2 validates version_information). Throws VERSION_NEGOTIATION_ERROR.
 */
export function checkServerVersionInformation(conn: Connection, vi: VersionInformation | undefined): void {
  const vn = conn.versionNegotiation;
  if (vi === undefined) {
    // §4: after reacting to a Version Negotiation packet, the Version Information is required.
    if (vn.vnVersions !== undefined) throw versionError('server sent no version_information after Version Negotiation');
    // A switched version must be confirmed by the server (§4: the Negotiated Version is the
    // server's Chosen Version).
    if (conn.version !== vn.chosen) throw versionError('server switched versions without version_information');
    return;
  }
  // §4: the server's Chosen Version must be one we offered, and the version in use.
  if (!vn.preference.includes(vi.chosenVersion)) throw versionError(`server chose ${versionName(vi.chosenVersion)}, which the client did not offer`);
  if (vi.chosenVersion !== conn.version) {
    throw versionError(`server's Chosen Version ${versionName(vi.chosenVersion)} is not the Negotiated Version ${versionName(conn.version)}`);
  }
  if (vn.vnVersions !== undefined) {
    // §4: after acting on a Version Negotiation packet, the client would have attempted the same
    // version knowing the server's Available Versions (plus the Negotiated Version); an empty
    // list fails. Picking the Negotiated Version itself is no downgrade either.
    const available = vi.availableVersions.filter((v) => !isReservedVersion(v));
    if (available.length === 0) throw versionError('server listed no Available Versions after Version Negotiation');
    const would = selectFromVersionNegotiation(vn.preference, [...available, conn.version]);
    if (would !== vn.chosen && would !== conn.version) {
      throw versionError(`version downgrade: the server also supports ${versionName(would ?? 0)}`);
    }
  }
}

/**
 * Client: a Version Negotiation packet (RFC 9000 §6.2, §17.2.1; RFC 9368 §2.1, §4). Returns
 * the version to restart the handshake with, or undefined when the packet is ignored or no
 * version is left (the connection attempt is then abandoned: closed with
 * VERSION_NEGOTIATION_ERROR as the local reason, nothing sent).
 */
export function onVersionNegotiation(conn: Connection, now: Instant, h: PacketHeader): number | undefined {
  const vn = conn.versionNegotiation;
  const ignore = (reason: string): undefined => {
    conn.drop(now, 'rejected', `Version Negotiation ignored: ${reason}`, h.packetLength);
    return undefined;
  };
  if (!conn.isClient) return ignore('server'); // RFC 9368 §2.1: servers ignore them
  if (conn.state !== 'handshake') return ignore(conn.state);
  // RFC 9000 §6.2: not after any other packet of the connection was processed.
  if (conn.packetsReceived > 0) return ignore('a packet was already processed');
  // RFC 9368 §4: not in answer to an attempt made after a Version Negotiation packet.
  if (vn.vnVersions !== undefined) return ignore('already acted on one');
  // RFC 8999 §6: the connection IDs echo those of our Initial.
  if (!equalBytes(h.dcid, conn.localCid) || !equalBytes(h.scid, conn.originalDcid)) return ignore('connection IDs do not match');
  // RFC 9000 §6.2, RFC 9368 §4: one that lists the Original Version is discarded.
  if (h.versions.includes(vn.original)) return ignore('it lists the version in use');
  conn.qlog?.event(now, {
    name: 'quic:version_information',
    data: { server_versions: h.versions.map(qlogVersion), client_versions: vn.preference.map(qlogVersion) },
  });
  const next = selectFromVersionNegotiation(vn.preference, h.versions);
  if (next === undefined) {
    conn.finishClose(now, {
      kind: 'transport',
      code: ErrorCode.VERSION_NEGOTIATION_ERROR,
      reason: `no common version (server offers ${h.versions.map(versionName).join(', ') || 'none'})`,
      initiator: 'local',
    });
    return undefined;
  }
  vn.vnVersions = [...h.versions];
  vn.chosen = next;
  return next;
}
