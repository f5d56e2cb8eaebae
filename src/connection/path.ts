/**
 * A network path of a connection (RFC 9000 §9; draft-ietf-quic-multipath-21 §2–§3): the pair
 * of addresses and everything that belongs to it rather than to the connection — loss recovery
 * with its RTT estimator and congestion controller (RFC 9002; RFC 9000 §9.4), the pacer, ECN
 * validation (RFC 9000 §13.4.2) and path MTU discovery (RFC 9000 §14.2).
 *
 * A single-path connection has one, path 0, which a migration moves to new addresses (with
 * fresh recovery state where §9.4 says). Multipath (draft-21) gives each path ID its own.
 */
import { createCongestionController } from '../recovery/cc/registry.js';
import type { CongestionController } from '../recovery/cc/types.js';
import type { ConnectionConfig, TransportSettings } from './config.js';
import type { EcnValidator } from '../recovery/ecn.js';
import type { LossRecovery } from '../recovery/loss.js';
import type { Pacer } from '../recovery/pacer.js';
import type { Pmtud } from '../recovery/pmtud.js';
import type { SocketAddress } from '../util/datagram.js';
import type { PacketSpace } from './space.js';
import type { RecoveryToken } from './types.js';

/**
 * A fresh congestion controller for path `pathId` whose datagrams are `maxDatagramSize` bytes:
 * the registered `name` (default the transport setting), with the connection's HyStart++ setting
 * and a seed derived from the connection's (`config.seed`) and the path ID, so that connections
 * and paths draw independently and a run replays. Every path, new or reset (RFC 9000 §9.4), gets
 * its controller here.
 */
export function newController(config: ConnectionConfig, s: TransportSettings, maxDatagramSize: number, pathId: number, name: string = s.congestionControl): CongestionController {
  const seed = (Math.imul((config.seed ?? 1) ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(pathId + 1, 0x85ebca6b)) >>> 0;
  return createCongestionController(name, { maxDatagramSize, hystart: s.hystart, seed });
}

/** The controller name of path `id`: `MultipathConfig.congestionControlOf`, else the setting (path 0 always the setting). */
export function controllerNameOf(config: ConnectionConfig, s: TransportSettings, id: number): string {
  return (id !== 0 ? config.multipath?.congestionControlOf?.(id) : undefined) ?? s.congestionControl;
}

/**
 * PATH_RESPONSE frames owed at most, per path and for other addresses (RFC 9000 §8.2.2); a
 * PATH_CHALLENGE beyond them is not answered: a peer that sends many at once is not validating a
 * path (it would wait for the answer), and each answer costs a padded datagram (§21.9: an
 * endpoint MAY drop packets with non-productive frames). The peer sends new challenges as needed.
 */
export const MAX_PATH_RESPONSES = 4;

export class Path {
  constructor(
    /** Path ID (multipath-21 §2; 0 for the handshake path and for single-path connections). */
    readonly id: number,
    public local: SocketAddress,
    public remote: SocketAddress,
    readonly recovery: LossRecovery<RecoveryToken>,
    readonly pacer: Pacer,
    readonly pmtud: Pmtud,
    readonly ecn: EcnValidator,
    /**
     * The application-data packet-number space of the path: packet numbers and received-packet
     * tracking (path 0: the connection's 1-RTT space; multipath-21 §2.1 gives each path ID one).
     * The keys are the connection's, in its 1-RTT space.
     */
    readonly space: PacketSpace,
    /** The peer's connection ID we send to on this path. */
    public dcid: Uint8Array,
  ) {}

  // Multipath state (multipath.ts); a single-path connection's path 0 keeps the defaults.

  /**
   * 'validating': opened (client) or first seen (server) and not yet validated (RFC 9000 §8.2;
   * multipath-21 §3.1); 'active'; 'closing': abandoned, kept 3×PTO for late packets (§3.4).
   */
  state: 'validating' | 'active' | 'closing' = 'active';
  /** Our outstanding PATH_CHALLENGE on this path, to be sent when `challengePending`. */
  challenge: Uint8Array | undefined = undefined;
  challengePending = false;
  /**
   * Earlier PATH_CHALLENGE data of the validation in progress: a PATH_CHALLENGE is never
   * retransmitted as such (RFC 9000 §13.3, new data each time), so a late PATH_RESPONSE to an
   * earlier one still validates the path (§8.2.3). A few at most; cleared with `challenge`.
   */
  readonly pastChallenges: Uint8Array[] = [];
  /**
   * RFC 9000 §8.2.1 ("MAY send multiple PATH_CHALLENGE frames"): when a new PATH_CHALLENGE goes
   * out while the validation is pending (the packet with the last one may have been acknowledged
   * and its PATH_RESPONSE lost), and how many went out (one every PTO of the path; multipath.ts).
   */
  challengeResendAt: number = Infinity;
  challengesSent = 0;
  validationDeadline: number = Infinity;
  /** PATH_RESPONSE data owed on this path (§3.1: on the path the challenge came on). */
  readonly responses: Uint8Array[] = [];
  /** RFC 9000 §8.1 / multipath-21 §3.1: bytes received and sent before the peer's address on it is validated. */
  ampReceived = 0;
  ampSent = 0;
  /**
   * multipath-21 §3.1.2 "Relation to Probing and Migration": the path's peer address changed
   * (NAT rebinding, RFC 9000 §9.3 applied per path) and the new one is being validated; this is
   * the last validated address, restored if validation fails (§9.3.2). Undefined otherwise.
   */
  previousRemote: SocketAddress | undefined = undefined;
  /** Status we announce (PATH_STATUS_*) and the peer's (§3.3), with their sequence numbers. */
  localBackup = false;
  peerBackup = false;
  statusSeqOut = 0;
  statusSeqIn = -1;
  statusPending = false;
  /** A PATH_ABANDON to send for this path (error code), and when its state may go (3×PTO). */
  abandonCode: number | undefined = undefined;
  abandonPending = false;
  discardAt: number = Infinity;
  /** Last ack-eliciting packet sent on the path (schedulers). */
  lastSentAt: number = -Infinity;
  /** Datagrams and bytes sent and received on the path (stats). */
  datagramsSent = 0;
  bytesSent = 0;
  datagramsReceived = 0;
  bytesReceived = 0;
  packetsLost = 0;

  /**
   * Usable for new data: validated and not closing, and not validating a new peer address after
   * a migration (the other paths carry the data meanwhile).
   */
  get usable(): boolean {
    return this.state === 'active' && this.previousRemote === undefined;
  }

  /** RFC 9000 §8.1, §9.3 / multipath-21 §3.1: the 3× anti-amplification limit applies (server side). */
  get ampLimited(): boolean {
    return this.state === 'validating' || this.previousRemote !== undefined;
  }
}
