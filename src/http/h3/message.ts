/**
 * Reading one HTTP message from a request stream (RFC 9114 §4.1): HEADERS, then DATA frames,
 * then optionally a trailing HEADERS, with unknown and reserved frames ignored anywhere.
 *
 * - A frame out of sequence is a connection error H3_FRAME_UNEXPECTED (§4.1); a stream that
 *   ends inside a frame is H3_FRAME_ERROR (§7.1).
 * - A malformed message (§4.1.2: bad pseudo-headers or fields, Content-Length not matching the
 *   DATA received) is a stream error H3_MESSAGE_ERROR: RESET_STREAM and STOP_SENDING.
 * - A header section waiting for QPACK dynamic table entries (RFC 9204 §2.1.2) holds the stream
 *   (nothing after it is processed) until the entries arrive.
 * - DATA payloads are passed on as they arrive, never gathered.
 */
import type { QuicStream } from '../../io/stream.js';
import { H3Error, H3ErrorCode } from './errors.js';
import { parseRequestHead, parseResponseHead, parseTrailers, type FieldLine, type RequestHead, type ResponseHead } from './fields.js';
import { FrameReader, type H3Frame } from './frames.js';
import type { H3Session } from './session.js';

export interface MessageHandlers<Head> {
  /** The header section (for a response: each interim 1xx one, then the final one). */
  onHead(head: Head): void;
  /** A piece of the content. */
  onData(bytes: Uint8Array): void;
  /** The trailer section. */
  onTrailers?(fields: FieldLine[]): void;
  /** The message is complete (the stream's FIN) and well-formed. */
  onEnd(): void;
  /**
   * The message failed: a stream error this side raised (the stream is already reset with
   * `code`), the peer's reset, or the connection's end. Called at most once, never after onEnd.
   */
  onError(err: Error, code: number | undefined): void;
}

type Phase = 'head' | 'body' | 'trailers' | 'done';

/**
 * Reads the request (server side) or the response (client side) on a request stream. The
 * handlers run synchronously as frames are parsed.
 */
export class MessageReader<Head extends RequestHead | ResponseHead> {
  private readonly reader: FrameReader;
  private phase: Phase = 'head';
  /** A header section waiting for QPACK; nothing else is processed meanwhile. */
  private blockedOn: { section: Uint8Array; headerLength: number; trailers: boolean } | undefined;
  private ended = false;
  private finished = false;
  private contentLength: number | undefined;
  /** DATA payload bytes received. */
  received = 0;
  /** A final response without content whatever its Content-Length (HEAD, 204, 304; RFC 9114 §4.1.2). */
  private noContent = false;
  private readonly noContentFor: ((status: number) => boolean) | undefined;
  /** The application asked for a pause (backpressure of where the content goes). */
  private appPaused = false;

  constructor(
    private readonly session: H3Session,
    readonly stream: QuicStream,
    private readonly side: 'request' | 'response',
    private readonly handlers: MessageHandlers<Head>,
    o: { noContentFor?: (status: number) => boolean } = {},
  ) {
    this.noContentFor = o.noContentFor;
    this.reader = new FrameReader({ maxFieldSectionPayload: session.maxFieldSectionPayload });
    stream.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      this.reader.push(chunk);
      this.process();
    });
    stream.on('end', () => {
      this.ended = true;
      this.process();
    });
    stream.on('error', (e) => this.abandon(e, (e as { errorCode?: number }).errorCode));
    // Destroyed without an error (a clean connection close) before the message ended.
    stream.on('close', () => this.abandon(new Error('stream closed before the message ended'), undefined));
  }

  /** Whether the whole message was read. */
  get complete(): boolean {
    return this.phase === 'done';
  }

  /** Stops reading from the stream (its flow control then holds the peer back) until `resume`. */
  pause(): void {
    this.appPaused = true;
    this.updateFlow();
  }

  /** Reads from the stream again after `pause` (unless a header section still waits for QPACK). */
  resume(): void {
    this.appPaused = false;
    this.updateFlow();
  }

  /** The stream flows unless the application paused it or a header section waits for QPACK. */
  private updateFlow(): void {
    if (this.finished) return;
    if (this.appPaused || this.blockedOn !== undefined) this.stream.pause();
    else this.stream.resume();
  }

  /**
   * Ends the message with a stream error (RFC 9114 §8): RESET_STREAM and STOP_SENDING with
   * `code`, QPACK told the stream is gone (RFC 9204 §4.4.2), and onError.
   */
  streamError(code: number, reason: string): void {
    if (this.finished) return;
    const st = this.stream;
    this.finish();
    this.session.cancelStream(st.id);
    st.reset(code);
    if (!st.destroyed) st.stopSending(code);
    this.handlers.onError(new H3Error(code, reason, 'stream'), code);
  }

  /**
   * Stops reading the rest of the message with STOP_SENDING and `code` (RFC 9114 §4.1: a server
   * that responds without needing the rest of the request uses H3_NO_ERROR); no more handlers run.
   */
  stopReading(code: number): void {
    if (this.finished) return;
    this.finish();
    if (this.phase !== 'done') this.session.cancelStream(this.stream.id);
    this.stream.stopSending(code);
  }

  private finish(): void {
    this.finished = true;
    this.blockedOn = undefined;
  }

  private abandon(err: Error, code: number | undefined): void {
    if (this.finished) return;
    this.finish();
    if (this.phase !== 'done') this.session.cancelStream(this.stream.id);
    this.handlers.onError(err, code);
  }

  private process(): void {
    if (this.finished || this.blockedOn !== undefined) return;
    try {
      for (let ev = this.reader.next(); ev !== undefined; ev = this.reader.next()) {
        if (ev.kind === 'data') this.onData(ev.bytes);
        else this.onFrame(ev.frame, ev.headerLength, ev.payloadLength);
        if (this.finished || this.blockedOn !== undefined) return;
      }
      if (this.ended) this.onStreamEnd();
    } catch (e) {
      this.session.fail(e, (code, reason) => this.streamError(code, reason));
      // A connection error ends the stream too; report it now rather than with the close.
      if (!this.finished) {
        this.finish();
        this.handlers.onError(e as Error, (e as { code?: number }).code);
      }
    }
  }

  private onFrame(f: H3Frame, headerLength: number, payloadLength: number): void {
    const id = this.stream.id;
    switch (f.type) {
      case 'headers':
        if (this.phase === 'head' || this.phase === 'body') {
          this.decode(f.fieldSection, headerLength, this.phase === 'body');
          return;
        }
        throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, 'HEADERS after the trailer section');
      case 'data':
        this.session.qlogFrame('parsed', id, f, headerLength, payloadLength);
        if (this.phase !== 'body') throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, this.phase === 'head' ? 'DATA before HEADERS' : 'DATA after the trailer section');
        return;
      case 'push_promise':
        this.session.qlogFrame('parsed', id, f, headerLength, payloadLength);
        // RFC 9114 §7.2.5: a server never receives one; a client that sent no MAX_PUSH_ID allows no push ID.
        if (this.side === 'request') throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, 'PUSH_PROMISE from a client');
        throw new H3Error(H3ErrorCode.H3_ID_ERROR, `PUSH_PROMISE ${f.pushId} without MAX_PUSH_ID`);
      case 'reserved':
      case 'unknown':
        this.session.qlogFrame('parsed', id, f, headerLength, payloadLength);
        return;
      default:
        // RFC 9114 §7.2.3, §7.2.4, §7.2.6, §7.2.7: control-stream frames.
        this.session.qlogFrame('parsed', id, f, headerLength, payloadLength);
        throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, `${f.type.toUpperCase()} on a request stream`);
    }
  }

  /** Decodes a header or trailer section; holds the stream while QPACK is blocked. */
  private decode(section: Uint8Array, headerLength: number, trailers: boolean): void {
    const id = this.stream.id;
    const fields = this.session.decodeFields(id, section, () => {
      const b = this.blockedOn;
      this.blockedOn = undefined;
      if (b === undefined || this.finished) return;
      this.updateFlow();
      try {
        this.decode(b.section, b.headerLength, b.trailers);
      } catch (e) {
        this.session.fail(e, (code, reason) => this.streamError(code, reason));
        return;
      }
      this.process();
    });
    if (fields === null) {
      // Nothing after the section is read meanwhile: the stream's flow control bounds what waits.
      this.blockedOn = { section, headerLength, trailers };
      this.updateFlow();
      return;
    }
    this.session.qlogFrame('parsed', id, { type: 'headers', fieldSection: section }, headerLength, section.length, fields);
    if (trailers) this.onTrailerSection(fields);
    else this.onHeaderSection(fields);
  }

  private onHeaderSection(fields: FieldLine[]): void {
    const head = this.side === 'request' ? parseRequestHead(fields) : parseResponseHead(fields);
    if (typeof head === 'string') {
      this.streamError(H3ErrorCode.H3_MESSAGE_ERROR, `malformed ${this.side}: ${head}`);
      return;
    }
    if ('status' in head && head.status < 200) {
      // RFC 9114 §4.1: interim responses precede the final one and have no content.
      this.handlers.onHead(head as Head);
      return;
    }
    this.contentLength = head.contentLength;
    if ('status' in head && this.noContentFor?.(head.status) === true) this.noContent = true;
    this.phase = 'body';
    this.handlers.onHead(head as Head);
  }

  private onTrailerSection(fields: FieldLine[]): void {
    const t = parseTrailers(fields, this.side === 'request');
    if (typeof t === 'string') {
      this.streamError(H3ErrorCode.H3_MESSAGE_ERROR, `malformed trailers: ${t}`);
      return;
    }
    this.phase = 'trailers';
    this.handlers.onTrailers?.(t);
  }

  private onData(bytes: Uint8Array): void {
    this.received += bytes.length;
    // RFC 9114 §4.1.2: more content than Content-Length, or content where there can be none.
    if (this.noContent) {
      this.streamError(H3ErrorCode.H3_MESSAGE_ERROR, 'content in a response that cannot have any');
      return;
    }
    if (this.contentLength !== undefined && this.received > this.contentLength) {
      this.streamError(H3ErrorCode.H3_MESSAGE_ERROR, `more than content-length ${this.contentLength} bytes of content`);
      return;
    }
    this.handlers.onData(bytes);
  }

  private onStreamEnd(): void {
    // RFC 9114 §7.1: a clean end inside a frame.
    if (!this.reader.atFrameBoundary) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, 'stream ended inside a frame');
    if (this.phase === 'head') {
      // RFC 9114 §4.1: no complete request (H3_REQUEST_INCOMPLETE), or no final response.
      if (this.side === 'request') this.streamError(H3ErrorCode.H3_REQUEST_INCOMPLETE, 'stream ended before a complete request header');
      else this.streamError(H3ErrorCode.H3_MESSAGE_ERROR, 'stream ended before a final response');
      return;
    }
    if (!this.noContent && this.contentLength !== undefined && this.received !== this.contentLength) {
      this.streamError(H3ErrorCode.H3_MESSAGE_ERROR, `content-length ${this.contentLength} but ${this.received} bytes of content`);
      return;
    }
    this.phase = 'done';
    this.finish();
    this.handlers.onEnd();
  }
}
