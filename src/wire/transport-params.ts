/**
 * QUIC transport parameters (RFC 9000 §7.4, §18): the parameters of RFC 9000 §18.2 plus
 * max_datagram_frame_size (RFC 9221 §3), version_information (RFC 9368 §3), grease_quic_bit
 * (RFC 9287 §3), initial_max_path_id (draft-ietf-quic-multipath-21 §2.1) and the FEC parameters
 * of specs/fec.md (XQUIC's draft-zheng encoding).
 *
 * Decoding validates every value and throws only TransportError(TRANSPORT_PARAMETER_ERROR)
 * (RFC 9000 §7.4, §18.2). Encoding writes what it is given without semantic checks, so tests can
 * build invalid inputs with it; only varint ranges are enforced (RangeError).
 *
 * Time values are milliseconds on the wire (RFC 9000 §18.2) and stay milliseconds here; the
 * field names say so (maxIdleTimeoutMs, maxAckDelayMs).
 */
import { ByteReader, ByteWriter } from '../util/bytes.js';
import type { Prng } from '../util/prng.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import { readVarintBigAt, varintLength } from '../util/varint.js';

/** Transport parameter IDs. */
export const TransportParameterId = {
  // RFC 9000 §18.2
  ORIGINAL_DESTINATION_CONNECTION_ID: 0x00,
  MAX_IDLE_TIMEOUT: 0x01,
  STATELESS_RESET_TOKEN: 0x02,
  MAX_UDP_PAYLOAD_SIZE: 0x03,
  INITIAL_MAX_DATA: 0x04,
  INITIAL_MAX_STREAM_DATA_BIDI_LOCAL: 0x05,
  INITIAL_MAX_STREAM_DATA_BIDI_REMOTE: 0x06,
  INITIAL_MAX_STREAM_DATA_UNI: 0x07,
  INITIAL_MAX_STREAMS_BIDI: 0x08,
  INITIAL_MAX_STREAMS_UNI: 0x09,
  ACK_DELAY_EXPONENT: 0x0a,
  MAX_ACK_DELAY: 0x0b,
  DISABLE_ACTIVE_MIGRATION: 0x0c,
  PREFERRED_ADDRESS: 0x0d,
  ACTIVE_CONNECTION_ID_LIMIT: 0x0e,
  INITIAL_SOURCE_CONNECTION_ID: 0x0f,
  RETRY_SOURCE_CONNECTION_ID: 0x10,
  /** RFC 9368 §3 */
  VERSION_INFORMATION: 0x11,
  /** RFC 9221 §3 */
  MAX_DATAGRAM_FRAME_SIZE: 0x20,
  /** draft-ietf-quic-multipath-21 §2.1 */
  INITIAL_MAX_PATH_ID: 0x3e,
  /** RFC 9287 §3 */
  GREASE_QUIC_BIT: 0x2ab2,
  /** specs/fec.md: fec_version (empty; presence means v02) */
  FEC_VERSION: 0xfec002,
  /** specs/fec.md: encoder_schemes (varint count, varint scheme IDs) */
  FEC_ENCODER_SCHEMES: 0xfece01,
  /** specs/fec.md: decoder_schemes (same format) */
  FEC_DECODER_SCHEMES: 0xfecd02,
  /** specs/fec.md: max_symbol_num (varint) */
  FEC_MAX_SYMBOL_NUM: 0xfecb02,
  /** specs/fec.md B7 item 6 (tquic's own): fec_symbol_ack, empty; the sender accepts SYMBOL_ACK feedback. */
  FEC_SYMBOL_ACK: 0xfec003,
} as const;

const ID = TransportParameterId;

/** RFC 9000 §18.2 preferred_address. Addresses are raw network-order bytes. */
export interface PreferredAddress {
  /** 4 bytes; all zero (with port 0) when the server offers no IPv4 address. */
  ipv4Address: Uint8Array;
  ipv4Port: number;
  /** 16 bytes; all zero (with port 0) when the server offers no IPv6 address. */
  ipv6Address: Uint8Array;
  ipv6Port: number;
  /** 1..20 bytes (a zero-length CID is a TRANSPORT_PARAMETER_ERROR). */
  connectionId: Uint8Array;
  /** 16 bytes. */
  statelessResetToken: Uint8Array;
}

/** RFC 9368 §3 Version Information. */
export interface VersionInformation {
  chosenVersion: number;
  /** Client: compatible versions in descending preference; server: its Fully Deployed Versions. */
  availableVersions: number[];
}

/**
 * Transport parameters (RFC 9000 §18.2, with RFC 9221, RFC 9287, RFC 9368, multipath and FEC),
 * as decoded with defaults applied to absent ones; each field's comment gives its parameter ID.
 */
export interface TransportParameters {
  /** 0x00, server only. */
  originalDestinationConnectionId?: Uint8Array;
  /** 0x01, milliseconds; 0 = no idle timeout from this side. */
  maxIdleTimeoutMs: number;
  /** 0x02, 16 bytes, server only. */
  statelessResetToken?: Uint8Array;
  /** 0x03, default 65527, at least 1200. */
  maxUdpPayloadSize: number;
  /** 0x04 */
  initialMaxData: number;
  /** 0x05 */
  initialMaxStreamDataBidiLocal: number;
  /** 0x06 */
  initialMaxStreamDataBidiRemote: number;
  /** 0x07 */
  initialMaxStreamDataUni: number;
  /** 0x08, at most 2^60 (RFC 9000 §4.6). */
  initialMaxStreamsBidi: number;
  /** 0x09, at most 2^60. */
  initialMaxStreamsUni: number;
  /** 0x0a, default 3, at most 20. */
  ackDelayExponent: number;
  /** 0x0b, milliseconds, default 25, below 2^14. */
  maxAckDelayMs: number;
  /** 0x0c */
  disableActiveMigration: boolean;
  /** 0x0d, server only. */
  preferredAddress?: PreferredAddress;
  /** 0x0e, default 2, at least 2. */
  activeConnectionIdLimit: number;
  /** 0x0f (RFC 9000 §7.3: required from both endpoints; checking presence is the caller's job). */
  initialSourceConnectionId?: Uint8Array;
  /** 0x10, server only. */
  retrySourceConnectionId?: Uint8Array;
  /** 0x11 (RFC 9368). */
  versionInformation?: VersionInformation;
  /** 0x20 (RFC 9221); 0 (the default) = DATAGRAM frames not supported. */
  maxDatagramFrameSize: number;
  /** 0x2ab2 (RFC 9287): the sender accepts a zero Fixed Bit. */
  greaseQuicBit: boolean;
  /** 0x3e (multipath): absent = multipath not supported; at most 2^32-1. */
  initialMaxPathId?: number;
  /** 0xfec002: FEC (v02) supported. */
  fecVersion: boolean;
  /** 0xfece01: FEC encoder scheme IDs in preference order. */
  fecEncoderSchemes?: number[];
  /** 0xfecd02: FEC decoder scheme IDs in preference order. */
  fecDecoderSchemes?: number[];
  /** 0xfecb02: max source symbols per block or window. */
  fecMaxSymbolNum?: number;
  /** 0xfec003: SYMBOL_ACK feedback understood (both ends must send it). */
  fecSymbolAck: boolean;
}

/** RFC 9000 §18.2 defaults for absent parameters. */
export const DEFAULT_MAX_UDP_PAYLOAD_SIZE = 65527;
/** Default ack_delay_exponent: the ACK Delay field counts units of 2^3 = 8 µs. */
export const DEFAULT_ACK_DELAY_EXPONENT = 3;
/** Default max_ack_delay, in milliseconds. */
export const DEFAULT_MAX_ACK_DELAY_MS = 25;
/** Default active_connection_id_limit: connection IDs the peer may keep active. */
export const DEFAULT_ACTIVE_CONNECTION_ID_LIMIT = 2;

/** The values an endpoint assumes for absent parameters (RFC 9000 §18.2), plus overrides. */
export function defaultTransportParameters(overrides: Partial<TransportParameters> = {}): TransportParameters {
  return {
    maxIdleTimeoutMs: 0,
    maxUdpPayloadSize: DEFAULT_MAX_UDP_PAYLOAD_SIZE,
    initialMaxData: 0,
    initialMaxStreamDataBidiLocal: 0,
    initialMaxStreamDataBidiRemote: 0,
    initialMaxStreamDataUni: 0,
    initialMaxStreamsBidi: 0,
    initialMaxStreamsUni: 0,
    ackDelayExponent: DEFAULT_ACK_DELAY_EXPONENT,
    maxAckDelayMs: DEFAULT_MAX_ACK_DELAY_MS,
    disableActiveMigration: false,
    activeConnectionIdLimit: DEFAULT_ACTIVE_CONNECTION_ID_LIMIT,
    maxDatagramFrameSize: 0,
    greaseQuicBit: false,
    fecVersion: false,
    fecSymbolAck: false,
    ...overrides,
  };
}

/** RFC 9000 §18.1: IDs of the form 31 * N + 27 are reserved (GREASE). */
export function isReservedTransportParameterId(id: number): boolean {
  return id >= 27 && (id - 27) % 31 === 0;
}

const KNOWN_IDS: ReadonlySet<number> = new Set(Object.values(TransportParameterId));

// ---------------------------------------------------------------------------------------------
// Encoding

/** Options of `encodeTransportParameters`: GREASE parameters and their randomness. */
export interface EncodeTransportParametersOptions {
  /** Emit this many reserved parameters (RFC 9000 §18.1) with random IDs and content. */
  grease?: number;
  /** Randomness for GREASE (required when grease > 0). */
  prng?: Prng;
}

/**
 * Encodes transport parameters (RFC 9000 §18). Parameters equal to their default are omitted
 * (an absent parameter means the default, §18.2); reserved GREASE parameters, if requested, come
 * after the known ones.
 */
export function encodeTransportParameters(tp: TransportParameters, opts: EncodeTransportParametersOptions = {}): Uint8Array {
  const greaseCount = opts.grease ?? 0;
  if (greaseCount > 0 && opts.prng === undefined) throw new RangeError('GREASE transport parameters need a prng');
  const w = ByteWriter.alloc(sizeBound(tp, greaseCount));

  const bytesParam = (id: number, v: Uint8Array | undefined): void => {
    if (v === undefined) return;
    w.varint(id).varint(v.length).bytes(v);
  };
  const intParam = (id: number, v: number | undefined, dflt: number | undefined): void => {
    if (v === undefined || v === dflt) return;
    w.varint(id).varint(varintLength(v)).varint(v);
  };
  const flagParam = (id: number, on: boolean): void => {
    if (on) w.varint(id).varint(0);
  };
  const listParam = (id: number, list: readonly number[] | undefined): void => {
    if (list === undefined) return;
    let len = varintLength(list.length);
    for (const v of list) len += varintLength(v);
    w.varint(id).varint(len).varint(list.length);
    for (const v of list) w.varint(v);
  };

  bytesParam(ID.ORIGINAL_DESTINATION_CONNECTION_ID, tp.originalDestinationConnectionId);
  intParam(ID.MAX_IDLE_TIMEOUT, tp.maxIdleTimeoutMs, 0);
  bytesParam(ID.STATELESS_RESET_TOKEN, tp.statelessResetToken);
  intParam(ID.MAX_UDP_PAYLOAD_SIZE, tp.maxUdpPayloadSize, DEFAULT_MAX_UDP_PAYLOAD_SIZE);
  intParam(ID.INITIAL_MAX_DATA, tp.initialMaxData, 0);
  intParam(ID.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, tp.initialMaxStreamDataBidiLocal, 0);
  intParam(ID.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, tp.initialMaxStreamDataBidiRemote, 0);
  intParam(ID.INITIAL_MAX_STREAM_DATA_UNI, tp.initialMaxStreamDataUni, 0);
  intParam(ID.INITIAL_MAX_STREAMS_BIDI, tp.initialMaxStreamsBidi, 0);
  intParam(ID.INITIAL_MAX_STREAMS_UNI, tp.initialMaxStreamsUni, 0);
  intParam(ID.ACK_DELAY_EXPONENT, tp.ackDelayExponent, DEFAULT_ACK_DELAY_EXPONENT);
  intParam(ID.MAX_ACK_DELAY, tp.maxAckDelayMs, DEFAULT_MAX_ACK_DELAY_MS);
  flagParam(ID.DISABLE_ACTIVE_MIGRATION, tp.disableActiveMigration);
  const pa = tp.preferredAddress;
  if (pa !== undefined) {
    // RFC 9000 §18.2 Figure 22
    const len = pa.ipv4Address.length + 2 + pa.ipv6Address.length + 2 + 1 + pa.connectionId.length + pa.statelessResetToken.length;
    w.varint(ID.PREFERRED_ADDRESS).varint(len);
    w.bytes(pa.ipv4Address).u16(pa.ipv4Port).bytes(pa.ipv6Address).u16(pa.ipv6Port);
    w.u8(pa.connectionId.length).bytes(pa.connectionId).bytes(pa.statelessResetToken);
  }
  intParam(ID.ACTIVE_CONNECTION_ID_LIMIT, tp.activeConnectionIdLimit, DEFAULT_ACTIVE_CONNECTION_ID_LIMIT);
  bytesParam(ID.INITIAL_SOURCE_CONNECTION_ID, tp.initialSourceConnectionId);
  bytesParam(ID.RETRY_SOURCE_CONNECTION_ID, tp.retrySourceConnectionId);
  const vi = tp.versionInformation;
  if (vi !== undefined) {
    // RFC 9368 §3: Chosen Version (32), Available Versions (32) ...
    w.varint(ID.VERSION_INFORMATION).varint(4 + 4 * vi.availableVersions.length).u32(vi.chosenVersion >>> 0);
    for (const v of vi.availableVersions) w.u32(v >>> 0);
  }
  intParam(ID.MAX_DATAGRAM_FRAME_SIZE, tp.maxDatagramFrameSize, 0);
  intParam(ID.INITIAL_MAX_PATH_ID, tp.initialMaxPathId, undefined);
  flagParam(ID.GREASE_QUIC_BIT, tp.greaseQuicBit);
  flagParam(ID.FEC_VERSION, tp.fecVersion);
  listParam(ID.FEC_ENCODER_SCHEMES, tp.fecEncoderSchemes);
  listParam(ID.FEC_DECODER_SCHEMES, tp.fecDecoderSchemes);
  intParam(ID.FEC_MAX_SYMBOL_NUM, tp.fecMaxSymbolNum, undefined);
  flagParam(ID.FEC_SYMBOL_ACK, tp.fecSymbolAck);

  if (greaseCount > 0) {
    // RFC 9000 §18.1: reserved IDs 31 * N + 27, arbitrary content.
    const prng = opts.prng!;
    const used = new Set<number>();
    for (let i = 0; i < greaseCount; ) {
      const id = 31 * prng.nextU32() + 27;
      if (used.has(id) || KNOWN_IDS.has(id)) continue;
      used.add(id);
      const value = prng.bytes(prng.nextInt(17));
      w.varint(id).varint(value.length).bytes(value);
      i++;
    }
  }
  return w.buf.slice(0, w.offset);
}

function sizeBound(tp: TransportParameters, greaseCount: number): number {
  let n = 512 + 32 * greaseCount;
  n += tp.originalDestinationConnectionId?.length ?? 0;
  n += tp.statelessResetToken?.length ?? 0;
  n += tp.initialSourceConnectionId?.length ?? 0;
  n += tp.retrySourceConnectionId?.length ?? 0;
  const pa = tp.preferredAddress;
  if (pa !== undefined) {
    n += pa.ipv4Address.length + pa.ipv6Address.length + pa.connectionId.length + pa.statelessResetToken.length;
  }
  n += 4 * (tp.versionInformation?.availableVersions.length ?? 0);
  n += 8 * ((tp.fecEncoderSchemes?.length ?? 0) + (tp.fecDecoderSchemes?.length ?? 0));
  return n;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Options of `decodeTransportParameters`. */
export interface DecodeTransportParametersOptions {
  /** Who sent these parameters: server-only parameters from a client are an error. */
  sender: 'client' | 'server';
}

function tpError(reason: string): never {
  throw new TransportError(ErrorCode.TRANSPORT_PARAMETER_ERROR, undefined, `transport parameters: ${reason}`);
}

/** RFC 9000 §18.2: parameters a client MUST NOT send. */
const SERVER_ONLY: ReadonlySet<number> = new Set([
  ID.ORIGINAL_DESTINATION_CONNECTION_ID,
  ID.STATELESS_RESET_TOKEN,
  ID.PREFERRED_ADDRESS,
  ID.RETRY_SOURCE_CONNECTION_ID,
]);

const TWO_POW_60 = 1n << 60n;
const MAX_PATH_ID = 0xffffffff;

/**
 * Decodes and validates the peer's transport parameters (RFC 9000 §7.4, §18) and returns them
 * with defaults applied to absent ones. Unknown and reserved IDs are skipped. Throws only
 * TransportError(TRANSPORT_PARAMETER_ERROR): malformed or truncated encoding, a value that does
 * not fill its declared length exactly, duplicates (§7.4), server-only parameters from a client
 * (§18.2), and out-of-range values.
 */
export function decodeTransportParameters(bytes: Uint8Array, opts: DecodeTransportParametersOptions): TransportParameters {
  try {
    return decode(bytes, opts.sender);
  } catch (e) {
    // The ByteReader throws FRAME_ENCODING_ERROR on truncation; here that is a TP error.
    if (e instanceof TransportError && e.code !== ErrorCode.TRANSPORT_PARAMETER_ERROR) {
      throw new TransportError(ErrorCode.TRANSPORT_PARAMETER_ERROR, undefined, `transport parameters: ${e.reason}`);
    }
    throw e;
  }
}

function decode(bytes: Uint8Array, sender: 'client' | 'server'): TransportParameters {
  const tp = defaultTransportParameters();
  const r = new ByteReader(bytes);
  const seen = new Set<number | bigint>();
  while (!r.isEmpty) {
    const idStart = r.offset;
    const id = r.varint();
    // Keys above 2^53 would round; keep them exact so distinct IDs are never "duplicates".
    const key = id > Number.MAX_SAFE_INTEGER ? readVarintBigAt(bytes, idStart) : id;
    const len = r.varint();
    const v = r.sub(len);
    // RFC 9000 §7.4: duplicates SHOULD be a TRANSPORT_PARAMETER_ERROR.
    if (seen.has(key)) tpError(`duplicate parameter 0x${id.toString(16)}`);
    seen.add(key);
    if (sender === 'client' && SERVER_ONLY.has(id)) tpError(`client sent server-only parameter 0x${id.toString(16)}`);
    switch (id) {
      case ID.ORIGINAL_DESTINATION_CONNECTION_ID:
        tp.originalDestinationConnectionId = cid(v);
        break;
      case ID.MAX_IDLE_TIMEOUT:
        tp.maxIdleTimeoutMs = int(v);
        break;
      case ID.STATELESS_RESET_TOKEN:
        if (v.remaining !== 16) tpError('stateless_reset_token is not 16 bytes');
        tp.statelessResetToken = v.copy(16);
        break;
      case ID.MAX_UDP_PAYLOAD_SIZE:
        tp.maxUdpPayloadSize = int(v);
        if (tp.maxUdpPayloadSize < 1200) tpError(`max_udp_payload_size ${tp.maxUdpPayloadSize} < 1200`);
        break;
      case ID.INITIAL_MAX_DATA:
        tp.initialMaxData = int(v);
        break;
      case ID.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
        tp.initialMaxStreamDataBidiLocal = int(v);
        break;
      case ID.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
        tp.initialMaxStreamDataBidiRemote = int(v);
        break;
      case ID.INITIAL_MAX_STREAM_DATA_UNI:
        tp.initialMaxStreamDataUni = int(v);
        break;
      case ID.INITIAL_MAX_STREAMS_BIDI:
        tp.initialMaxStreamsBidi = streamLimit(v, 'initial_max_streams_bidi');
        break;
      case ID.INITIAL_MAX_STREAMS_UNI:
        tp.initialMaxStreamsUni = streamLimit(v, 'initial_max_streams_uni');
        break;
      case ID.ACK_DELAY_EXPONENT:
        tp.ackDelayExponent = int(v);
        if (tp.ackDelayExponent > 20) tpError(`ack_delay_exponent ${tp.ackDelayExponent} > 20`);
        break;
      case ID.MAX_ACK_DELAY:
        tp.maxAckDelayMs = int(v);
        if (tp.maxAckDelayMs >= 1 << 14) tpError(`max_ack_delay ${tp.maxAckDelayMs} >= 2^14`);
        break;
      case ID.DISABLE_ACTIVE_MIGRATION:
        empty(v, 'disable_active_migration');
        tp.disableActiveMigration = true;
        break;
      case ID.PREFERRED_ADDRESS:
        tp.preferredAddress = preferredAddress(v);
        break;
      case ID.ACTIVE_CONNECTION_ID_LIMIT:
        tp.activeConnectionIdLimit = int(v);
        if (tp.activeConnectionIdLimit < 2) tpError(`active_connection_id_limit ${tp.activeConnectionIdLimit} < 2`);
        break;
      case ID.INITIAL_SOURCE_CONNECTION_ID:
        tp.initialSourceConnectionId = cid(v);
        break;
      case ID.RETRY_SOURCE_CONNECTION_ID:
        tp.retrySourceConnectionId = cid(v);
        break;
      case ID.VERSION_INFORMATION:
        tp.versionInformation = versionInformation(v, sender);
        break;
      case ID.MAX_DATAGRAM_FRAME_SIZE:
        tp.maxDatagramFrameSize = int(v);
        break;
      case ID.INITIAL_MAX_PATH_ID:
        // draft-ietf-quic-multipath-21 §2.1: above 2^32-1 → TRANSPORT_PARAMETER_ERROR.
        tp.initialMaxPathId = int(v);
        if (tp.initialMaxPathId > MAX_PATH_ID) tpError(`initial_max_path_id ${tp.initialMaxPathId} > 2^32-1`);
        break;
      case ID.GREASE_QUIC_BIT:
        empty(v, 'grease_quic_bit'); // RFC 9287 §3: zero length
        tp.greaseQuicBit = true;
        break;
      case ID.FEC_VERSION:
        empty(v, 'fec_version');
        tp.fecVersion = true;
        break;
      case ID.FEC_ENCODER_SCHEMES:
        tp.fecEncoderSchemes = schemeList(v);
        break;
      case ID.FEC_DECODER_SCHEMES:
        tp.fecDecoderSchemes = schemeList(v);
        break;
      case ID.FEC_MAX_SYMBOL_NUM:
        tp.fecMaxSymbolNum = int(v);
        break;
      case ID.FEC_SYMBOL_ACK:
        empty(v, 'fec_symbol_ack');
        tp.fecSymbolAck = true;
        break;
      default:
        // RFC 9000 §7.4.2: unknown (including reserved, §18.1) parameters are ignored.
        break;
    }
  }
  return tp;
}

/** A varint value that fills the parameter exactly (RFC 9000 §18.2 "integer value"). */
function int(v: ByteReader): number {
  const n = v.varint();
  if (!v.isEmpty) tpError('integer value does not fill its length');
  return n;
}

function streamLimit(v: ByteReader, name: string): number {
  // RFC 9000 §4.6 / §18.2: above 2^60 is invalid. Checked exactly (a number would round).
  const n = v.varintBig();
  if (!v.isEmpty) tpError(`${name} does not fill its length`);
  if (n > TWO_POW_60) tpError(`${name} ${n} > 2^60`);
  return Number(n);
}

function empty(v: ByteReader, name: string): void {
  if (!v.isEmpty) tpError(`${name} must be empty`);
}

function cid(v: ByteReader): Uint8Array {
  // RFC 9000 §17.2: v1 connection IDs are at most 20 bytes.
  if (v.remaining > 20) tpError(`connection ID of ${v.remaining} bytes`);
  return v.copy(v.remaining);
}

function preferredAddress(v: ByteReader): PreferredAddress {
  // RFC 9000 §18.2 Figure 22
  const ipv4Address = v.copy(4);
  const ipv4Port = v.u16();
  const ipv6Address = v.copy(16);
  const ipv6Port = v.u16();
  const cidLen = v.u8();
  // "a server MUST NOT include a zero-length connection ID in this transport parameter"
  if (cidLen === 0 || cidLen > 20) tpError(`preferred_address connection ID length ${cidLen}`);
  const connectionId = v.copy(cidLen);
  const statelessResetToken = v.copy(16);
  if (!v.isEmpty) tpError('preferred_address has trailing bytes');
  return { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
}

function versionInformation(v: ByteReader, sender: 'client' | 'server'): VersionInformation {
  // RFC 9368 §4: too short, not a multiple of 4, or any zero version is a parsing failure,
  // which QUIC v1 signals as TRANSPORT_PARAMETER_ERROR.
  if (v.remaining < 4 || v.remaining % 4 !== 0) tpError(`version_information of ${v.remaining} bytes`);
  const chosenVersion = v.u32();
  if (chosenVersion === 0) tpError('version_information Chosen Version is 0');
  const availableVersions: number[] = [];
  while (!v.isEmpty) {
    const a = v.u32();
    if (a === 0) tpError('version_information Available Version is 0');
    availableVersions.push(a);
  }
  // RFC 9368 §4: a server treats a client's Chosen Version missing from Available Versions as a
  // parsing failure.
  if (sender === 'client' && !availableVersions.includes(chosenVersion)) {
    tpError('client version_information does not list its Chosen Version');
  }
  return { chosenVersion, availableVersions };
}

function schemeList(v: ByteReader): number[] {
  // specs/fec.md: varint count, then count varint scheme IDs, filling the value exactly.
  const count = v.varint();
  if (count > v.remaining) tpError('FEC scheme count exceeds the value');
  const list: number[] = [];
  for (let i = 0; i < count; i++) list.push(v.varint());
  if (!v.isEmpty) tpError('FEC scheme list has trailing bytes');
  return list;
}
