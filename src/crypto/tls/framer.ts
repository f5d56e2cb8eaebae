/**
 * Cuts the in-order CRYPTO byte stream of one encryption level into whole handshake messages.
 *
 * RFC 9001 §4: QUIC carries TLS handshake messages in CRYPTO frames, without the TLS record
 * layer, and a message may span frames and packets (or a frame may hold several messages).
 * Out-of-order CRYPTO data is reassembled by the connection layer (RFC 9000 §19.6); this framer
 * is fed only the contiguous stream, in arbitrary chunks.
 *
 * Memory is bounded: a message's buffer is allocated only after its 4-byte header has been
 * checked against `maxMessageSize`. A larger announced length fails at once with
 * CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5: an endpoint that cannot buffer CRYPTO data closes with
 * that code), before any of its body is buffered.
 */
import { ErrorCode, TransportError } from '../../util/transport-error.js';
import { HANDSHAKE_HEADER_LENGTH } from './messages.js';

/** RFC 9000 §19.6: the CRYPTO frame type, reported as the frame that caused the error. */
const CRYPTO_FRAME_TYPE = 0x06;

/** One whole handshake message as received. */
export interface RawHandshakeMessage {
  /** msg_type (RFC 8446 §4). */
  readonly type: number;
  /** The message body (a view into `raw`). */
  readonly body: Uint8Array;
  /** header ‖ body: exactly the bytes the transcript hash covers (RFC 8446 §4.4.1). */
  readonly raw: Uint8Array;
}

/** Default bound on one message body: 64 KiB, enough for a long certificate chain. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 65536;

/**
 * Cuts the in-order CRYPTO byte stream of one encryption level into whole handshake messages (RFC
 * 9001 §4), allocating a message's buffer only after its header passed `maxMessageSize` (else
 * CRYPTO_BUFFER_EXCEEDED, RFC 9000 §7.5).
 */
export class HandshakeReassembler {
  private readonly header = new Uint8Array(HANDSHAKE_HEADER_LENGTH);
  private headerFill = 0;
  /** The message being filled (header ‖ body, exact size), once its header passed the bound. */
  private msg: Uint8Array | undefined;
  private msgFill = 0;
  private readonly queue: RawHandshakeMessage[] = [];
  private queueHead = 0;
  private failure: TransportError | undefined;

  /** @param maxMessageSize the largest accepted body length in bytes */
  constructor(readonly maxMessageSize: number = DEFAULT_MAX_HANDSHAKE_MESSAGE) {
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < 0 || maxMessageSize > 0xffffff) {
      throw new RangeError(`maxMessageSize ${maxMessageSize} out of range 0..2^24-1`);
    }
  }

  /**
   * Appends the next contiguous bytes of the stream. Completed messages are queued for
   * `next()`. Throws TransportError(CRYPTO_BUFFER_EXCEEDED) when a message header announces a
   * body over the bound; the reassembler then stays failed.
   */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.msg === undefined) {
        const take = Math.min(HANDSHAKE_HEADER_LENGTH - this.headerFill, n - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFill);
        this.headerFill += take;
        i += take;
        if (this.headerFill < HANDSHAKE_HEADER_LENGTH) break;
        const h = this.header;
        const len = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
        if (len > this.maxMessageSize) {
          this.failure = new TransportError(
            ErrorCode.CRYPTO_BUFFER_EXCEEDED,
            CRYPTO_FRAME_TYPE,
            `handshake message type ${h[0]} of ${len} bytes exceeds the ${this.maxMessageSize}-byte limit`,
          );
          throw this.failure;
        }
        this.msg = new Uint8Array(HANDSHAKE_HEADER_LENGTH + len);
        this.msg.set(h);
        this.msgFill = HANDSHAKE_HEADER_LENGTH;
      }
      const msg = this.msg;
      const take = Math.min(msg.length - this.msgFill, n - i);
      msg.set(chunk.subarray(i, i + take), this.msgFill);
      this.msgFill += take;
      i += take;
      if (this.msgFill === msg.length) {
        this.queue.push({ type: msg[0]!, body: msg.subarray(HANDSHAKE_HEADER_LENGTH), raw: msg });
        this.msg = undefined;
        this.headerFill = 0;
      }
    }
  }

  /** The next complete message, in stream order, or undefined. */
  next(): RawHandshakeMessage | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const m = this.queue[this.queueHead++]!;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    return m;
  }

  /** Number of complete messages waiting for `next()`. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /**
   * Bytes of an incomplete message held. RFC 8446 §5.1 / RFC 9001 §4.1.3: a message must not
   * span a key change, so the state machine checks this is 0 when it changes keys.
   */
  get pendingBytes(): number {
    return this.msg === undefined ? this.headerFill : this.msgFill;
  }
}
