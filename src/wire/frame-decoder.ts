/**
 * The receive path's frame decoder (DESIGN §4 rule 2: no per-packet allocation in steady state).
 *
 * `decodeFrames` (frame-codec.ts) returns fresh frame objects whose byte fields are views. On the
 * hot path that is an object and a view per frame, so `FrameDecoder` decodes the frames that
 * carry the bulk of traffic — STREAM and ACK — into scratch objects it reuses for every packet,
 * and STREAM data stay where they are: a `StreamFrameRef` names its bytes by position in the
 * packet buffer, and the receiver copies them from there. Every other frame type is decoded by
 * `decodeFrame`, with the same checks and errors.
 *
 * Lifetime: the frames of one `decode` call are valid until the next call on the same decoder,
 * and their bytes only as long as the packet buffer is untouched. Whoever keeps anything copies
 * it (stream reassembly, CRYPTO reassembly and the ACK processing do).
 */
import { ByteReader } from '../util/bytes.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { decodeAckBody, readStreamFields } from './frame-codec-body.js';
import { decodeFrame } from './frame-codec.js';
import { FrameType, StreamBits, type AckFrame, type AckRange, type Frame, type StreamFrame } from './frame.js';

const EMPTY = new Uint8Array(0);

/**
 * A STREAM frame (RFC 9000 §19.8) whose data are buf[dataOffset, dataOffset + dataLength). It is
 * a `StreamFrame`: `data` makes the view on demand (qlog, tests), the hot path reads the fields.
 */
export class StreamFrameRef implements StreamFrame {
  readonly kind = 'stream' as const;
  streamId = 0;
  offset = 0;
  fin = false;
  hasLength = false;
  buf: Uint8Array = EMPTY;
  dataOffset = 0;
  dataLength = 0;

  /** The frame's data as a view into `buf`, made on each access. */
  get data(): Uint8Array {
    return this.buf.subarray(this.dataOffset, this.dataOffset + this.dataLength);
  }
}

interface AckScratch {
  frame: AckFrame;
  ranges: AckRange[];
}

/**
 * Decodes packet payloads into reused frame objects: STREAM frames as StreamFrameRef and ACK frames
 * into scratch, every other frame type as `decodeFrame` does. The frames of one `decode` call are
 * valid until the next call, and their bytes while the packet buffer is untouched.
 */
export class FrameDecoder {
  private readonly reader = new ByteReader(EMPTY);
  private readonly streams: StreamFrameRef[] = [];
  private readonly acks: AckScratch[] = [];
  /** Payload offset (from `start`) of the last SID frame of the last `decode` (specs/fec.md B7 §3), -1 when none. */
  sidAt = -1;

  /**
   * Decodes the payload buf[start, end) into `frames` (emptied first), like `decodeFrames`:
   * same frames, same errors, same PADDING coalescing.
   */
  decode(buf: Uint8Array, start: number, end: number, frames: Frame[]): Frame[] {
    const r = this.reader.reset(buf, start, end);
    // Frames are stored by index and the array cut to length at the end: `length = 0` followed
    // by push would drop and regrow its storage on every packet.
    let n = 0;
    let nStream = 0;
    let nAck = 0;
    this.sidAt = -1;
    while (r.offset < r.end) {
      // One-byte types only: a longer encoding of these types is not minimal, and decodeFrame
      // reports it (RFC 9000 §12.4).
      const type = buf[r.offset]!;
      if (type >= FrameType.STREAM && type <= (FrameType.STREAM | 0x07)) {
        r.offset++;
        let f = this.streams[nStream];
        if (f === undefined) {
          f = new StreamFrameRef();
          this.streams.push(f);
        }
        nStream++;
        try {
          decodeStreamInto(r, type, f);
        } catch (e) {
          throw retag(e, type);
        }
        n = put(frames, n, f);
      } else if (type === FrameType.ACK || type === FrameType.ACK_ECN) {
        r.offset++;
        let a = this.acks[nAck];
        if (a === undefined) {
          a = { frame: { kind: 'ack', ackDelay: 0, ranges: [], ecn: undefined }, ranges: [] };
          this.acks.push(a);
        }
        nAck++;
        try {
          decodeAckBody(r, type, type === FrameType.ACK_ECN, a.frame, a.ranges);
        } catch (e) {
          throw retag(e, type);
        }
        n = put(frames, n, a.frame);
      } else {
        const at = r.offset;
        const f = decodeFrame(r);
        if (f.kind === 'sid') this.sidAt = at - start;
        n = put(frames, n, f);
      }
    }
    if (frames.length !== n) frames.length = n;
    return frames;
  }
}

function put(frames: Frame[], n: number, f: Frame): number {
  if (n < frames.length) frames[n] = f;
  else frames.push(f);
  return n + 1;
}

/** Tags a reader error (truncation) with the frame type, as decodeFrame does (RFC 9000 §19.19). */
function retag(e: unknown, type: number): unknown {
  if (e instanceof TransportError && e.frameType === undefined) return new TransportError(e.code, type, e.reason);
  return e;
}

/** RFC 9000 §19.8: a STREAM frame with its data left in place in the packet. */
function decodeStreamInto(r: ByteReader, type: number, f: StreamFrameRef): void {
  readStreamFields(r, type, f);
  f.buf = r.buf;
}
