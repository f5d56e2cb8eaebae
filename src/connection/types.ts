/** Types the connection shares with its users and its own modules. */
import type { Ecn, SocketAddress } from '../util/datagram.js';
import type { StreamId, StreamToken } from '../streams/index.js';
import type { ClientSession, HandshakeInfo } from '../crypto/tls/engine.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { PathCidToken } from './path-cids.js';

/** Packet-number spaces (RFC 9000 §12.3), numbered as recovery/ numbers them. */
export const INITIAL = 0;
export const HANDSHAKE = 1;
export const APPDATA = 2;
export type SpaceId = 0 | 1 | 2;
export const SPACE_NAMES = ['initial', 'handshake', 'application_data'] as const;

/**
 * What each sent packet carried (DESIGN §3 recovery tokens): on acknowledgement or loss each
 * token goes back to the module that owns it; nobody re-parses sent packets.
 */
export type RecoveryToken =
  | StreamToken
  | { kind: 'crypto'; space: SpaceId; offset: number; length: number }
  /** An ACK, or a PATH_ACK of path `pathId` (multipath-21 §4.1; 0 for plain ACKs). */
  | { kind: 'ack'; space: SpaceId; largest: number; pathId: number }
  | { kind: 'handshake_done' }
  | { kind: 'ping' }
  | { kind: 'new_connection_id'; seq: number }
  | { kind: 'retire_connection_id'; seq: number }
  | { kind: 'connection_close' }
  /** RFC 9221 §5.2: DATAGRAMs are acknowledged but never retransmitted. */
  | { kind: 'datagram'; length: number }
  /** RFC 9000 §8.2: a PATH_CHALLENGE; resent while its validation is still running. */
  | { kind: 'path_challenge'; data: Uint8Array }
  /** RFC 9000 §19.7, §13.3: a NEW_TOKEN frame; sent again when lost. */
  | { kind: 'new_token'; token: Uint8Array }
  /** multipath-21: connection IDs per path, MAX_PATH_ID and the BLOCKED frames (path-cids.ts). */
  | PathCidToken
  /** multipath-21 §3.4, §3.3: PATH_ABANDON and PATH_STATUS_* (multipath.ts). */
  | { kind: 'path_abandon'; pathId: number }
  | { kind: 'path_status'; pathId: number; seq: number }
  /** specs/fec.md B7 §4: a REPAIR frame (never retransmitted) covering `sources` source symbols. */
  | { kind: 'fec_repair'; sources: number };

/** Why a connection ended. */
export interface CloseInfo {
  /** Transport (0x1c) or application (0x1d) close, or a silent end. */
  kind: 'transport' | 'application' | 'idle_timeout' | 'stateless_reset' | 'handshake_timeout';
  code: number;
  frameType?: number;
  reason: string;
  /** Who closed: the peer sent CONNECTION_CLOSE, or we did, or nobody (timeouts). */
  initiator: 'local' | 'remote' | 'none';
}

/**
 * What a connection reports through `pollEvent`: handshake progress, stream and DATAGRAM activity,
 * path changes, key updates and the close.
 */
export type ConnectionEvent =
  /** Multipath (draft-ietf-quic-multipath-21): a path was opened by us or the peer, and is being validated. */
  | { type: 'path_opened'; pathId: number; local: SocketAddress; remote: SocketAddress; initiator: 'local' | 'remote' }
  /** Multipath: a path's validation succeeded (RFC 9000 §8.2); it carries data from now on. */
  | { type: 'path_validated'; pathId: number }
  /** Multipath: a path failed validation (and is abandoned). */
  | { type: 'path_failed'; pathId: number }
  /** Multipath §3.4: a path was abandoned (PATH_ABANDON sent or received, or failover). */
  | { type: 'path_abandoned'; pathId: number; errorCode: number; initiator: 'local' | 'remote' }
  /** Multipath §3.3: the peer marked a path backup or available. */
  | { type: 'path_status'; pathId: number; backup: boolean; initiator: 'remote' }
  /** Path MTU discovery found a black hole (RFC 8899 §4.3): datagrams of `size` stopped getting through; back to 1200 bytes. */
  | { type: 'pmtu_black_hole'; size: number }
  | { type: 'handshake_complete'; info: HandshakeInfo; peerParameters: TransportParameters }
  /**
   * Client: the server's answer to our 0-RTT (RFC 9001 §4.6.1, §4.6.2). When rejected, what was
   * sent in 0-RTT goes again in 1-RTT and the server's real limits apply.
   */
  | { type: 'early_data'; accepted: boolean }
  /** Client: a new session ticket to resume with later (RFC 9001 §4.5); already in the session store. */
  | { type: 'session'; session: ClientSession }
  /** RFC 9001 §4.1.2: the handshake is confirmed (keys of earlier spaces discarded). */
  | { type: 'handshake_confirmed' }
  | { type: 'stream_opened'; id: StreamId }
  | { type: 'stream_readable'; id: StreamId }
  | { type: 'stream_writable'; id: StreamId }
  | { type: 'stream_reset'; id: StreamId; code: number }
  | { type: 'stream_stop_sending'; id: StreamId; code: number }
  | { type: 'stream_finished'; id: StreamId }
  | { type: 'streams_available'; bidi: boolean }
  /** RFC 9221: a DATAGRAM frame's payload arrived (unreliable, unordered). */
  | { type: 'datagram'; data: Uint8Array }
  /** RFC 9221 §5.2: a DATAGRAM we sent was declared lost (it is not retransmitted). */
  | { type: 'datagram_lost'; length: number }
  /**
   * RFC 9000 §9: the peer's address changed (e.g. a NAT rebinding) and we now send there;
   * `validated` once its PATH_RESPONSE arrived, or the change was undone when validation failed.
   * With multipath, `pathId` names the path that migrated (multipath-21 §3.1.2).
   */
  | { type: 'peer_address_changed'; address: SocketAddress; previous: SocketAddress; state: 'validating' | 'validated' | 'reverted'; pathId?: number }
  /** Server, RFC 9000 §9.6: packets now leave from another of our addresses (the preferred address). */
  | { type: 'local_address_changed'; address: SocketAddress; previous: SocketAddress }
  /**
   * Client, RFC 9000 §9.2, §9.6: we moved to a new path (`migrate`, or the server's preferred
   * address): 'validating' at once, then 'validated' on its PATH_RESPONSE, or 'failed' when
   * validation failed and we went back to the previous path (then `local`/`remote` are the
   * previous path's and `previousLocal`/`previousRemote` the failed one's). The preferred
   * address is probed first (§9.6.1): 'probing' (`local`/`remote` the probed path, the
   * connection still on the previous one), then 'validated' when it moved, or 'failed'.
   */
  | {
      type: 'path_changed';
      local: SocketAddress;
      remote: SocketAddress;
      previousLocal: SocketAddress;
      previousRemote: SocketAddress;
      reason: 'active' | 'preferred_address';
      state: 'probing' | 'validating' | 'validated' | 'failed';
    }
  /**
   * RFC 9001 §6: the 1-RTT keys were updated. `initiator` 'local' when we started the update
   * (reported once the peer answered in the new key phase), 'remote' when the peer did and we
   * followed; `generation` counts updates (the Key Phase bit is generation & 1).
   */
  | { type: 'key_updated'; initiator: 'local' | 'remote'; generation: number }
  /** The connection reached the closing or draining state; no more application data. */
  | { type: 'closing'; info: CloseInfo }
  /** All state is gone; the endpoint forgets the connection. */
  | { type: 'closed'; info: CloseInfo };

export type { Ecn };
