/**
 * The fuzz targets: every parser of untrusted bytes in tquic, each with the errors it may throw
 * on malformed input (ARCHITECTURE.md "Hostile input") and sanity bounds on what it returns.
 *
 * Inputs start with a selector byte where a parser has several modes (packet type, sender, TLS
 * message type, FEC scheme …), so one corpus per target covers them all. Round trips are part of
 * the oracle where the codec promises them: a decoded frame, transport parameter set or TLS
 * message re-encodes to something that decodes to the same value.
 */
import { ByteReader, ByteWriter, toHex } from '../util/bytes.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { decodeFrame, decodeFrames, encodeFrame, frameLength, frameTypeOf } from '../wire/frame-codec.js';
import type { Frame } from '../wire/frame.js';
import { checkFrameAllowed, type PacketType } from '../wire/legality.js';
import {
  decodeVersionNegotiation,
  parsePacketHeader,
  pnLengthFromFirstByte,
  splitCoalescedPackets,
  type ParseHeaderOptions,
} from '../wire/header.js';
import { decodePacketNumber, readPacketNumber } from '../wire/packet-number.js';
import { decodeTransportParameters, encodeTransportParameters } from '../wire/transport-params.js';
import { isCryptoError } from '../wire/errors.js';
import { decodeHandshake, decodeHandshakeBody, encodeHandshake } from '../crypto/tls/messages.js';
import { HandshakeReassembler } from '../crypto/tls/framer.js';
import { HandshakeType } from '../crypto/tls/constants.js';
import { FecReceiver } from '../fec/receiver.js';
import { FecSender } from '../fec/sender.js';
import { fixedPolicy } from '../fec/policy.js';
import { FecScheme, type FecSchemeId } from '../fec/scheme.js';
import { QpackDecoder } from '../http/qpack/decoder.js';
import { QpackError } from '../http/qpack/errors.js';
import {
  encodeDuplicate,
  encodeInsertWithLiteralName,
  encodeInsertWithNameReference,
  encodeSetDynamicTableCapacity,
} from '../http/qpack/instructions.js';
import type { FieldLine } from '../http/qpack/types.js';
import { FrameReader, type ReaderEvent } from '../http/h3/frames.js';
import { H3Error } from '../http/h3/errors.js';
import { check, type FuzzTarget } from './target.js';

const isTransportError = (e: unknown): boolean => e instanceof TransportError;

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** A canonical, comparable form of a decoded value: byte arrays as hex, StreamFrameRef as a plain frame. */
function canon(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Uint8Array) return toHex(x);
    if (typeof x === 'bigint') return x.toString();
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      // Keys in sorted order: decoders may set optional fields in any order.
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return x;
  });
}

function plainFrame(f: Frame): Frame {
  if (f.kind === 'stream') return { kind: 'stream', streamId: f.streamId, offset: f.offset, data: f.data, fin: f.fin, hasLength: f.hasLength };
  return f;
}

/** Whether every number in a decoded value is exact (below 2^53): doubles above may not round-trip. */
function allSafe(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) || !Number.isInteger(v);
  if (v instanceof Uint8Array) return true;
  if (Array.isArray(v)) return v.every(allSafe);
  if (v !== null && typeof v === 'object') return Object.values(v).every(allSafe);
  return true;
}

// ---------------------------------------------------------------------------------------------
// 1. QUIC frames (RFC 9000 §12.4, §19)

const PACKET_TYPES: readonly PacketType[] = ['initial', 'handshake', '0rtt', '1rtt'];

/**
 * Byte 0: packet type (low 2 bits). The rest: a packet payload, decoded as the receive path does
 * (`FrameDecoder`) with every frame's legality checked for that packet type (RFC 9000 §12.4
 * Table 3), and differentially against `decodeFrames`. Each decoded frame must re-encode to
 * exactly `frameLength` bytes that decode to the same frame.
 */
export const framesTarget: FuzzTarget = {
  name: 'frames',
  summary: 'QUIC frame decoder over a packet payload, with legality per packet type (RFC 9000 §12.4, §19)',
  allowedErrors: 'TransportError',
  maxLength: 2048,
  allowed: isTransportError,
  run(data) {
    if (data.length === 0) return;
    const pt = PACKET_TYPES[data[0]! & 3]!;
    const payload = data.subarray(1);
    let reference: Frame[] | undefined;
    let referenceError: unknown;
    try {
      reference = decodeFrames(payload);
    } catch (e) {
      referenceError = e;
    }
    let frames: Frame[];
    try {
      frames = new FrameDecoder().decode(payload, 0, payload.length, []);
    } catch (e) {
      check(reference === undefined, `FrameDecoder threw ${String(e)} where decodeFrames decoded`);
      check(
        e instanceof TransportError && referenceError instanceof TransportError && e.code === referenceError.code && e.frameType === referenceError.frameType,
        `FrameDecoder and decodeFrames disagree: ${String(e)} vs ${String(referenceError)}`,
      );
      throw e;
    }
    check(reference !== undefined, `decodeFrames threw ${String(referenceError)} where FrameDecoder decoded`);
    check(frames.length <= payload.length, `${frames.length} frames from ${payload.length} bytes`);
    check(frames.length === reference.length, 'FrameDecoder and decodeFrames found different frame counts');
    for (let i = 0; i < frames.length; i++) {
      const f = plainFrame(frames[i]!);
      check(canon(f) === canon(reference[i]), `frame ${i} decodes differently: ${canon(f)} vs ${canon(reference[i])}`);
      roundTripFrame(f);
    }
    for (const f of frames) checkFrameAllowed(frameTypeOf(f), pt);
  },
};

function roundTripFrame(f: Frame): void {
  if ((f.kind === 'ack' || f.kind === 'path_ack' || f.kind === 'symbol_ack') && f.ranges.length > 0) {
    // Ranges hold at most one per 2 bytes of the frame (frame-codec-body.ts decodeAckBody).
    check(f.ranges.every((r) => r.smallest <= r.largest && r.smallest >= 0), `ACK range out of order: ${canon(f)}`);
  }
  if (!allSafe(f)) return; // values above 2^53 decode to the nearest double (util/varint.ts)
  const n = frameLength(f);
  const w = ByteWriter.alloc(n);
  encodeFrame(w, f);
  check(w.offset === n, `${f.kind}: encodeFrame wrote ${w.offset} bytes, frameLength says ${n}`);
  const again = decodeFrame(new ByteReader(w.written()));
  check(canon(plainFrame(again)) === canon(f), `${f.kind} does not round-trip: ${canon(f)} → ${canon(plainFrame(again))}`);
}

// ---------------------------------------------------------------------------------------------
// 2. Packet headers (RFC 9000 §17, §12.2, Appendix A.3; RFC 8999)

/**
 * Byte 0: the short-header DCID length (low 5 bits, mod 21), 0x40 allowZeroFixedBit, 0x20 no
 * short DCID view. Bytes 1-6: the largest packet number processed (48 bits, minus 1). The rest:
 * a datagram, split into coalesced packets (which never throws), each header parsed again on its
 * own, Version Negotiation decoded, and each packet number decoded (RFC 9000 Appendix A.3).
 */
export const headerTarget: FuzzTarget = {
  name: 'header',
  summary: 'packet headers: coalesced packets, long/short headers, Version Negotiation, Retry, packet numbers (RFC 9000 §17)',
  allowedErrors: 'TransportError (a packet to drop)',
  maxLength: 1600,
  allowed: isTransportError,
  run(data) {
    if (data.length < 7) return;
    const opts: ParseHeaderOptions = {
      shortDcidLength: (data[0]! & 0x1f) % 21,
      allowZeroFixedBit: (data[0]! & 0x40) !== 0,
      shortDcidView: (data[0]! & 0x20) === 0,
    };
    let largest = 0;
    for (let i = 1; i < 7; i++) largest = largest * 256 + data[i]!;
    largest -= 1;
    const dg = data.subarray(7);
    let split;
    try {
      split = splitCoalescedPackets(dg, opts);
    } catch (e) {
      check(false, `splitCoalescedPackets threw ${String(e)}`);
    }
    check(split.packets.length + split.ignored <= dg.length, 'more packets than bytes');
    check(split.droppedFrom <= dg.length, 'droppedFrom beyond the datagram');
    let end = 0;
    for (const h of split.packets) {
      check(h.start >= end && h.packetLength > 0 && h.start + h.packetLength <= dg.length, `packet [${h.start}, +${h.packetLength}) outside the datagram`);
      end = h.start + h.packetLength;
      check(h.pnOffset === -1 || (h.pnOffset > 0 && h.pnOffset <= h.packetLength), `pnOffset ${h.pnOffset} outside the packet`);
      check(h.versions.length <= dg.length / 4, 'more versions than the datagram holds');
      check(h.dcid.length <= 255 && h.scid.length <= 255 && h.token.length <= dg.length, 'field longer than the datagram');
      if (h.pnOffset < 0) continue;
      const pnLen = pnLengthFromFirstByte(h.firstByte);
      const at = h.start + h.pnOffset;
      if (at + pnLen > h.start + h.packetLength) continue;
      const truncated = readPacketNumber(dg, at, pnLen);
      const bits = (pnLen * 8) as 8 | 16 | 24 | 32;
      const pn = decodePacketNumber(largest, truncated, bits);
      check(Number.isSafeInteger(pn) && pn >= 0 && pn < 2 ** 62, `decoded packet number ${pn}`);
      check(pn % 2 ** bits === truncated, `packet number ${pn} does not end in ${truncated}`);
      const expected = largest + 1;
      const win = 2 ** bits;
      if (expected >= win && expected < 2 ** 62 - win) check(Math.abs(pn - expected) <= win / 2, `packet number ${pn} not within half a window of ${expected}`);
    }
    if (dg.length > 0 && (dg[0]! & 0x80) !== 0 && dg.length >= 5 && (dg[1]! | dg[2]! | dg[3]! | dg[4]!) === 0) {
      const vn = decodeVersionNegotiation(dg);
      check(vn.versions.length === (dg.length - 7 - vn.dcid.length - vn.scid.length) / 4, 'Version Negotiation list length');
    }
    parsePacketHeader(dg, opts);
  },
};

// ---------------------------------------------------------------------------------------------
// 3. Transport parameters (RFC 9000 §7.4, §18)

/**
 * Byte 0: the sender (bit 0: 1 = client). The rest: the transport parameters extension. What
 * decodes must re-encode and decode to the same parameters.
 */
export const transportParamsTarget: FuzzTarget = {
  name: 'transport-params',
  summary: 'transport parameters as client and as server (RFC 9000 §18)',
  allowedErrors: 'TransportError (TRANSPORT_PARAMETER_ERROR)',
  maxLength: 2048,
  allowed: (e) => e instanceof TransportError && e.code === ErrorCode.TRANSPORT_PARAMETER_ERROR,
  run(data) {
    if (data.length === 0) return;
    const sender = (data[0]! & 1) === 1 ? 'client' : 'server';
    const bytes = data.subarray(1);
    const tp = decodeTransportParameters(bytes, { sender });
    check((tp.fecEncoderSchemes?.length ?? 0) <= bytes.length && (tp.fecDecoderSchemes?.length ?? 0) <= bytes.length, 'FEC scheme list longer than the input');
    check((tp.versionInformation?.availableVersions.length ?? 0) <= bytes.length / 4, 'version list longer than the input');
    if (!allSafe(tp)) return;
    const again = decodeTransportParameters(encodeTransportParameters(tp), { sender });
    check(canon(again) === canon(tp), `transport parameters do not round-trip: ${canon(tp)} → ${canon(again)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// 4. TLS handshake messages (RFC 8446 §4, RFC 9001 §4)

const TLS_TYPES = [
  HandshakeType.CLIENT_HELLO,
  HandshakeType.SERVER_HELLO,
  HandshakeType.NEW_SESSION_TICKET,
  HandshakeType.ENCRYPTED_EXTENSIONS,
  HandshakeType.CERTIFICATE,
  HandshakeType.CERTIFICATE_REQUEST,
  HandshakeType.CERTIFICATE_VERIFY,
  HandshakeType.FINISHED,
] as const;

/** CRYPTO_ERROR (a TLS alert, RFC 9001 §4.8) or CRYPTO_BUFFER_EXCEEDED from the framer (RFC 9000 §7.5). */
function isTlsError(e: unknown): boolean {
  return e instanceof TransportError && (isCryptoError(e.code) || e.code === ErrorCode.CRYPTO_BUFFER_EXCEEDED);
}

/**
 * Decodes a message body and re-encodes it: the bytes must come back (extensions keep their
 * order, extensions.ts), except a hello without an extensions block, which re-encodes with an
 * empty one.
 */
function tlsRoundTrip(type: number, body: Uint8Array): void {
  const m = decodeHandshakeBody(type, body, { finishedLength: 32 });
  const encoded = encodeHandshake(m).subarray(4);
  const hello = type === HandshakeType.CLIENT_HELLO || type === HandshakeType.SERVER_HELLO;
  if (hello && encoded.length === body.length + 2) return; // no extensions block on the wire, [] decoded
  check(toHex(encoded) === toHex(body), `TLS message ${type} does not re-encode to its bytes`);
}

/**
 * Byte 0 < 0x80: a message body of the type TLS_TYPES[byte 0 & 7], decoded and re-encoded byte
 * for byte. Byte 0 ≥ 0x80: a CRYPTO stream cut into pieces of 1 + (byte 0 & 0x3f) bytes,
 * reassembled into messages (64-byte-bound: 1024) and each decoded.
 */
export const tlsTarget: FuzzTarget = {
  name: 'tls',
  summary: 'TLS 1.3 handshake messages and the CRYPTO stream framer (RFC 8446 §4, RFC 9001 §4)',
  allowedErrors: 'TransportError (CRYPTO_ERROR alert, CRYPTO_BUFFER_EXCEEDED)',
  maxLength: 4096,
  allowed: isTlsError,
  run(data) {
    if (data.length === 0) return;
    const sel = data[0]!;
    const rest = data.subarray(1);
    if (sel < 0x80) {
      tlsRoundTrip(TLS_TYPES[sel & 7]!, rest);
      return;
    }
    const framer = new HandshakeReassembler(1024);
    const piece = 1 + (sel & 0x3f);
    let messages = 0;
    for (let o = 0; o < rest.length; o += piece) {
      framer.push(rest.subarray(o, o + piece));
      for (let m = framer.next(); m !== undefined; m = framer.next()) {
        messages++;
        check(m.raw.length === 4 + m.body.length && m.body.length <= 1024, 'framer message size');
        decodeHandshake(m.raw, { finishedLength: 32 });
      }
    }
    check(messages <= rest.length / 4, `${messages} messages from ${rest.length} bytes`);
    check(framer.pendingBytes <= rest.length, 'framer holds more than it was given');
  },
};

// ---------------------------------------------------------------------------------------------
// 5. QPACK (RFC 9204)

const SECTION_LIMIT = 4096;

/** A decoder holding a few dynamic entries (capacity 256, MaxEntries 8). */
function populatedDecoder(): QpackDecoder {
  const d = new QpackDecoder({ maxTableCapacity: 256, maxBlockedStreams: 2, maxFieldSectionSize: SECTION_LIMIT });
  d.onEncoderStream(encodeSetDynamicTableCapacity(256));
  d.onEncoderStream(encodeInsertWithNameReference(true, 0, 'www.example.com'));
  d.onEncoderStream(encodeInsertWithLiteralName('custom-key', 'custom-value', true));
  d.onEncoderStream(encodeDuplicate(1));
  return d;
}

function checkFields(fields: FieldLine[] | null, section: Uint8Array): void {
  if (fields === null) return;
  check(fields.length <= section.length, `${fields.length} field lines from ${section.length} bytes`);
  let size = 0;
  for (const [n, v] of fields) size += n.length + v.length + 32;
  check(size <= SECTION_LIMIT, `decoded field section of ${size} bytes exceeds the ${SECTION_LIMIT}-byte limit`);
}

/**
 * Byte 0 mod 3: 0 a field section on a static-only decoder; 1 a field section on a decoder with
 * dynamic entries; 2 encoder-stream instructions (cut at byte 1) followed by a field section, on
 * a decoder allowing a 1024-byte table and 2 blocked streams.
 */
export const qpackTarget: FuzzTarget = {
  name: 'qpack',
  summary: 'QPACK field sections (static and dynamic table) and encoder-stream instructions (RFC 9204)',
  allowedErrors: 'QpackError',
  maxLength: 2048,
  allowed: (e) => e instanceof QpackError,
  run(data) {
    if (data.length === 0) return;
    const mode = data[0]! % 3;
    const rest = data.subarray(1);
    if (mode === 0) {
      const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: SECTION_LIMIT });
      checkFields(d.decode(0, rest), rest);
      return;
    }
    if (mode === 1) {
      checkFields(populatedDecoder().decode(4, rest), rest);
      return;
    }
    if (rest.length === 0) return;
    const cut = Math.min(rest[0]!, rest.length - 1);
    const instructions = rest.subarray(1, 1 + cut);
    const section = rest.subarray(1 + cut);
    const d = new QpackDecoder({ maxTableCapacity: 1024, maxBlockedStreams: 2, maxFieldSectionSize: SECTION_LIMIT });
    // In two pieces: an instruction split across writes must come out the same.
    const half = instructions.length >> 1;
    d.onEncoderStream(instructions.subarray(0, half));
    d.onEncoderStream(instructions.subarray(half));
    check(d.insertCount <= instructions.length, `${d.insertCount} inserts from ${instructions.length} bytes`);
    checkFields(d.decode(8, section), section);
    d.takeDecoderInstructions();
  },
};

// ---------------------------------------------------------------------------------------------
// 6. HTTP/3 frames (RFC 9114 §7)

/**
 * Byte 0: bit 0 reads a stream-type varint first (a unidirectional stream, RFC 9114 §6.2); bits
 * 1-7 pick the chunk size (1 + value). The rest: a stream's bytes pushed into a `FrameReader`
 * (HEADERS/PUSH_PROMISE bounded to 1024 bytes, SETTINGS to 256) and read to the end.
 */
export const h3Target: FuzzTarget = {
  name: 'h3',
  summary: 'HTTP/3 frame reader and SETTINGS over a stream\'s bytes in chunks (RFC 9114 §7)',
  allowedErrors: 'H3Error',
  maxLength: 2048,
  allowed: (e) => e instanceof H3Error,
  run(data) {
    if (data.length === 0) return;
    const uni = (data[0]! & 1) === 1;
    const piece = 1 + (data[0]! >> 1);
    const rest = data.subarray(1);
    const reader = new FrameReader({ maxFieldSectionPayload: 1024, maxSettingsPayload: 256 });
    let typeRead = !uni;
    let events = 0;
    let dataBytes = 0;
    const seen = (ev: ReaderEvent): void => {
      events++;
      if (ev.kind === 'data') {
        dataBytes += ev.bytes.length;
        check(ev.bytes.length > 0, 'empty DATA piece');
        return;
      }
      const f = ev.frame;
      check(ev.headerLength >= 2 && ev.headerLength <= 16, `frame header of ${ev.headerLength} bytes`);
      if (f.type === 'settings') check(f.settings.length * 2 <= ev.payloadLength, `${f.settings.length} settings in ${ev.payloadLength} bytes`);
      if (f.type === 'headers' || f.type === 'push_promise') check(f.fieldSection.length <= 1024, 'field section over the bound');
    };
    for (let o = 0; o < rest.length; o += piece) {
      reader.push(rest.subarray(o, o + piece));
      if (!typeRead) {
        if (reader.readVarint() === undefined) continue;
        typeRead = true;
      }
      for (let ev = reader.next(); ev !== undefined; ev = reader.next()) seen(ev);
    }
    check(events <= 2 * rest.length + 1, `${events} events from ${rest.length} bytes`);
    check(dataBytes <= rest.length, 'more DATA bytes than the stream carried');
    check(reader.buffered <= rest.length, 'reader holds more than it was given');
    void reader.atFrameBoundary;
  },
};

// ---------------------------------------------------------------------------------------------
// 7. FEC (specs/fec.md B7): REPAIR / SID frames into the receiving session

const FEC_SCHEMES: readonly FecSchemeId[] = [FecScheme.REED_SOLOMON, FecScheme.XOR, FecScheme.RLC_GF256, FecScheme.RLC_GF2];
const FEC_SOURCES = 8;

interface FecFixture {
  sources: Uint8Array[];
  ids: number[];
  repairs: Frame[];
}

const fixtures = new Map<FecSchemeId, FecFixture>();

/** Real source payloads of one flow and the REPAIR frames a sender makes for them (k = 4, r = 2). */
export function fecFixture(scheme: FecSchemeId): FecFixture {
  let fx = fixtures.get(scheme);
  if (fx !== undefined) return fx;
  const sender = new FecSender(scheme, fixedPolicy(4, 2), { maxSymbols: 16 });
  const sources: Uint8Array[] = [];
  const ids: number[] = [];
  for (let i = 0; i < FEC_SOURCES; i++) {
    // A STREAM frame's worth of bytes: lengths differ so recovered symbols carry padding.
    const p = new Uint8Array(20 + 7 * i);
    for (let j = 0; j < p.length; j++) p[j] = (j * 31 + i * 17 + 1) & 0xff;
    ids.push(sender.nextSourceId);
    sender.addSource(p, 0, p.length, 0);
    sources.push(p);
  }
  sender.flush(0);
  const repairs: Frame[] = sender.queue.map((r) => ({
    kind: 'repair',
    flowId: 0,
    fssEsi: r.fssEsi,
    repairPayloadId: r.repairPayloadId,
    repairKey: r.repairKey,
    repairSymbol: r.repairSymbol,
  }));
  fx = { sources, ids, repairs };
  fixtures.set(scheme, fx);
  return fx;
}

function sameRepair(a: Extract<Frame, { kind: 'repair' }>, b: Extract<Frame, { kind: 'repair' }>): boolean {
  return a.fssEsi === b.fssEsi && a.repairPayloadId === b.repairPayloadId && toHex(a.repairKey) === toHex(b.repairKey) && toHex(a.repairSymbol) === toHex(b.repairSymbol);
}

/**
 * Byte 0: the scheme (rs, xor, rlc, rlc2 by the low 2 bits). Byte 1: which of the 8 real source
 * packets are lost (a bit each). The rest: frames — REPAIR frames go to the receiver as repairs,
 * SID frames as sources (their payload: the input bytes before them), others are ignored. When
 * every REPAIR frame is one the sender made and no SID was injected, each recovered payload must
 * be the lost packet, zero-padded.
 */
export const fecTarget: FuzzTarget = {
  name: 'fec',
  summary: 'FEC REPAIR/SID frames into the receiving session with real sources: Reed-Solomon, XOR, RLC (specs/fec.md B7)',
  allowedErrors: 'TransportError',
  maxLength: 4096,
  allowed: isTransportError,
  run(data) {
    if (data.length < 2) return;
    const scheme = FEC_SCHEMES[data[0]! & 3]!;
    const lost = data[1]!;
    const fx = fecFixture(scheme);
    const rx = new FecReceiver(scheme, { maxSourceSymbols: 16, maxSymbolLength: 2048, maxWindow: 64, maxEquations: 16 }, 4);
    const recovered: { id: number; payload: Uint8Array }[] = [];
    const take = (out: readonly { id: number; payload: Uint8Array }[]): void => {
      check(out.length <= 64, `${out.length} packets recovered at once`);
      for (const r of out) {
        check(r.payload.length <= 2048, `recovered payload of ${r.payload.length} bytes`);
        recovered.push(r);
      }
    };
    for (let i = 0; i < FEC_SOURCES; i++) {
      if ((lost >> i) & 1) continue;
      take(rx.onSource(fx.ids[i]!, fx.sources[i]!, 0, fx.sources[i]!.length));
    }
    let genuine = true;
    const payload = data.subarray(2);
    const r = new ByteReader(payload);
    while (!r.isEmpty) {
      const at = r.offset;
      const f = decodeFrame(r);
      if (f.kind === 'repair') {
        if (!fx.repairs.some((g) => g.kind === 'repair' && sameRepair(g, f))) genuine = false;
        take(rx.onRepair(f.fssEsi, f.repairPayloadId, f.repairKey, f.repairSymbol));
      } else if (f.kind === 'sid') {
        genuine = false;
        take(rx.onSource(f.sourcePayloadId, payload, 0, at));
      }
    }
    check(recovered.length <= FEC_SOURCES + payload.length, 'more packets recovered than could have been sent');
    if (!genuine) return;
    for (const rec of recovered) {
      const i = fx.ids.indexOf(rec.id);
      check(i >= 0 && ((lost >> i) & 1) === 1, `recovered packet ${rec.id} was not lost`);
      const src = fx.sources[i]!;
      const head = rec.payload.subarray(0, src.length);
      check(rec.payload.length >= src.length && toHex(head) === toHex(src), `recovered packet ${rec.id} differs from the lost one`);
      check(rec.payload.subarray(src.length).every((b) => b === 0), `recovered packet ${rec.id} has non-zero padding`);
    }
  },
};

/** Every target, in the order of the report. */
export const TARGETS: readonly FuzzTarget[] = [framesTarget, headerTarget, transportParamsTarget, tlsTarget, qpackTarget, h3Target, fecTarget];

export function findTarget(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
