/** One packet-number space (RFC 9000 §12.3): keys, received packets, the CRYPTO stream, next PN. */
import type { DirectionalKeys } from '../crypto/keys.js';
import { ErrorCode } from '../util/transport-error.js';
import { Reassembler } from '../streams/index.js';
import { AckManager } from './ack.js';
import { CryptoSendStream } from './crypto-stream.js';
import type { SpaceId } from './types.js';

/** Bound on out-of-order CRYPTO data we buffer per space (RFC 9000 §7.5: at least 4096 bytes). */
export const MAX_CRYPTO_BUFFER = 64 * 1024;
/**
 * Bound on the fragments of CRYPTO data held per space (RFC 9000 §21.7, as for streams): beyond
 * it adjacent fragments merge, and more than half of it in gaps is CRYPTO_BUFFER_EXCEEDED (§7.5).
 */
export const MAX_CRYPTO_CHUNKS = 256;

export class PacketSpace {
  seal: DirectionalKeys | undefined;
  open: DirectionalKeys | undefined;
  readonly ack: AckManager;
  readonly cryptoSend = new CryptoSendStream();
  readonly cryptoRecv = new Reassembler({ maxBuffered: MAX_CRYPTO_BUFFER, maxChunks: MAX_CRYPTO_CHUNKS, errorCode: ErrorCode.CRYPTO_BUFFER_EXCEEDED });
  nextPn = 0;
  /**
   * 1-RTT: the packet number to skip next (RFC 9000 §21.4, builder.ts `nextOneRttPn`); -1 until
   * the first is drawn.
   */
  skipPn = -1;
  /** Keys discarded (RFC 9001 §4.9): nothing is sent or accepted in this space any more. */
  discarded = false;
  /** PTO probes still to send in this space (RFC 9002 §6.2.4). */
  probes = 0;

  constructor(
    readonly id: SpaceId,
    maxAckDelay: number,
  ) {
    this.ack = new AckManager(id !== 2, maxAckDelay);
  }

  discard(): void {
    this.discarded = true;
    this.seal = undefined;
    this.open = undefined;
    this.probes = 0;
  }
}
