/**
 * Seed inputs for every fuzz target, made with tquic's own encoders (`tquic fuzz --make-corpus`
 * writes them to test/fuzz/corpus/<target>/). Each seed is a valid input in the layout the
 * target reads (targets.ts: selector byte first), so mutation starts from structures a peer
 * would really send. Everything here is deterministic: fixed bytes, no randomness.
 */
import { ByteWriter, concatBytes } from '../util/bytes.js';
import { encodeFrame, frameLength } from '../wire/frame-codec.js';
import type { Frame } from '../wire/frame.js';
import { encodeVersionNegotiation, patchLongHeaderLength, writeLongHeader, writeRetry, writeShortHeader } from '../wire/header.js';
import { defaultTransportParameters, encodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';
import { encodeHandshake, type HandshakeMessage } from '../crypto/tls/messages.js';
import { CipherSuite, LEGACY_VERSION, NamedGroup, SignatureScheme, TLS13_VERSION } from '../crypto/tls/constants.js';
import { QpackEncoder } from '../http/qpack/encoder.js';
import { encodeDuplicate, encodeInsertWithLiteralName, encodeInsertWithNameReference, encodeSetDynamicTableCapacity } from '../http/qpack/instructions.js';
import { encodeDataHeader, encodeFrame as encodeH3Frame, encodeRawFrame, SettingId } from '../http/h3/frames.js';
import { FecScheme } from '../fec/scheme.js';
import { fecFixture } from './targets.js';

const bytes = (n: number, fill: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (fill + i * 7) & 0xff);
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const cat = concatBytes;

export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const w = ByteWriter.alloc(frames.reduce((n, f) => n + frameLength(f), 0));
  for (const f of frames) encodeFrame(w, f);
  return w.written();
}

// --- 1. frames ----------------------------------------------------------------------------------

const ACK: Frame = { kind: 'ack', ackDelay: 25, ranges: [{ smallest: 90, largest: 100 }, { smallest: 40, largest: 80 }, { smallest: 0, largest: 10 }] };
const ACK_ECN: Frame = { kind: 'ack', ackDelay: 3, ranges: [{ smallest: 5, largest: 7 }], ecn: { ect0: 5, ect1: 0, ce: 1 } };
const CID = bytes(8, 0xc1);
const TOKEN = bytes(16, 0x70);

function frameSeeds(): Uint8Array[] {
  const withType = (pt: number, frames: Frame[]): Uint8Array => cat(Uint8Array.of(pt), encodeFrames(frames));
  const crypto: Frame = { kind: 'crypto', offset: 0, data: bytes(40, 1) };
  return [
    withType(0, [ACK, crypto, { kind: 'padding', length: 20 }]),
    withType(0, [{ kind: 'ping' }, { kind: 'connection_close', errorCode: 0x0a, frameType: 0x06, reason: ascii('bad') }]),
    withType(1, [ACK_ECN, { kind: 'crypto', offset: 1200, data: bytes(30, 9) }]),
    withType(2, [
      { kind: 'stream', streamId: 0, offset: 0, data: bytes(12, 3), fin: false, hasLength: true },
      { kind: 'stream', streamId: 4, offset: 1000, data: bytes(6, 5), fin: true, hasLength: true },
      { kind: 'max_data', maximum: 1 << 20 },
      { kind: 'max_stream_data', streamId: 4, maximum: 65536 },
      { kind: 'stream', streamId: 8, offset: 70000, data: bytes(9, 2), fin: false, hasLength: false },
    ]),
    withType(2, [
      { kind: 'reset_stream', streamId: 3, errorCode: 0x10c, finalSize: 500 },
      { kind: 'stop_sending', streamId: 7, errorCode: 0x10c },
      { kind: 'max_streams', bidi: true, maximum: 100 },
      { kind: 'max_streams', bidi: false, maximum: 3 },
      { kind: 'data_blocked', limit: 4096 },
      { kind: 'stream_data_blocked', streamId: 0, limit: 1024 },
      { kind: 'streams_blocked', bidi: true, limit: 100 },
      { kind: 'streams_blocked', bidi: false, limit: 3 },
    ]),
    withType(3, [
      { kind: 'new_connection_id', sequence: 2, retirePriorTo: 1, cid: CID, resetToken: TOKEN },
      { kind: 'retire_connection_id', sequence: 0 },
      { kind: 'path_challenge', data: bytes(8, 0x50) },
      { kind: 'path_response', data: bytes(8, 0x60) },
      { kind: 'new_token', token: bytes(24, 0x30) },
      { kind: 'handshake_done' },
    ]),
    withType(3, [
      { kind: 'datagram', data: bytes(10, 4), hasLength: true },
      { kind: 'application_close', errorCode: 0x100, reason: ascii('bye') },
      { kind: 'datagram', data: bytes(14, 8), hasLength: false },
    ]),
    withType(3, [
      { kind: 'path_ack', pathId: 1, ackDelay: 10, ranges: [{ smallest: 3, largest: 9 }, { smallest: 0, largest: 1 }], ecn: { ect0: 1, ect1: 2, ce: 0 } },
      { kind: 'path_abandon', pathId: 1, errorCode: 0 },
      { kind: 'path_status_backup', pathId: 2, sequence: 1 },
      { kind: 'path_status_available', pathId: 2, sequence: 2 },
      { kind: 'path_new_connection_id', pathId: 1, sequence: 1, retirePriorTo: 0, cid: CID, resetToken: TOKEN },
      { kind: 'path_retire_connection_id', pathId: 1, sequence: 0 },
      { kind: 'max_path_id', maxPathId: 4 },
      { kind: 'paths_blocked', maxPathId: 4 },
      { kind: 'path_cids_blocked', pathId: 1, nextSequence: 2 },
    ]),
    withType(3, [
      { kind: 'stream', streamId: 0, offset: 0, data: bytes(16, 1), fin: false, hasLength: true },
      { kind: 'sid', flowId: 0, sourcePayloadId: 0x102 },
      { kind: 'symbol_ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 5 }] },
      { kind: 'repair', flowId: 0, fssEsi: 1, repairPayloadId: 0, repairKey: Uint8Array.of(1, 1, 1, 1), repairSymbol: bytes(20, 2) },
    ]),
  ];
}

// --- 2. header ----------------------------------------------------------------------------------

function headerSeeds(): Uint8Array[] {
  const prefix = (dcidLen: number, largest: number): Uint8Array => {
    const p = new Uint8Array(7);
    p[0] = dcidLen;
    let v = largest + 1;
    for (let i = 6; i >= 1; i--) {
      p[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return p;
  };
  const longPacket = (type: 'initial' | 'handshake' | '0rtt', version: number, pn: number, payload: number, token?: Uint8Array): Uint8Array => {
    const w = ByteWriter.alloc(200);
    const pnOffset = writeLongHeader(w, { type, version, dcid: CID, scid: bytes(5, 0x55), token, packetNumber: pn, pnLength: 2 });
    w.bytes(bytes(payload, 0x21));
    patchLongHeaderLength(w.buf, 0, pnOffset, w.offset);
    return w.written().slice();
  };
  const shortPacket = (pn: number): Uint8Array => {
    const w = ByteWriter.alloc(100);
    writeShortHeader(w, { dcid: CID, packetNumber: pn, pnLength: 4, spinBit: true, keyPhase: 1 });
    w.bytes(bytes(30, 0x44));
    return w.written().slice();
  };
  const retry = (version: number): Uint8Array => {
    const w = ByteWriter.alloc(100);
    writeRetry(w, { version, dcid: bytes(5, 0x55), scid: CID, token: bytes(20, 0x77), integrityTag: bytes(16, 0x99) });
    return w.written().slice();
  };
  return [
    cat(prefix(8, -1), longPacket('initial', QUIC_V1, 0, 40, bytes(12, 0x10))),
    cat(prefix(8, 1000), longPacket('initial', QUIC_V1, 1001, 30), longPacket('handshake', QUIC_V1, 1002, 30), shortPacket(1003)),
    cat(prefix(8, 0xfffe), longPacket('0rtt', QUIC_V1, 0x10000, 25), shortPacket(0x10001)),
    cat(prefix(8, 5), longPacket('initial', QUIC_V2, 6, 40), longPacket('handshake', QUIC_V2, 7, 20)),
    cat(prefix(8, 0xabcdef12), shortPacket(0xabcdef13)),
    cat(prefix(0, 0), retry(QUIC_V1)),
    cat(prefix(0, 0), retry(QUIC_V2)),
    cat(prefix(0, 0), encodeVersionNegotiation({ dcid: bytes(5, 0x55), scid: CID, versions: [QUIC_V1, QUIC_V2, 0x1a2a3a4a] })),
    cat(prefix(0, 0), Uint8Array.of(0xc0, 0xff, 0x00, 0x00, 0x1d, 4, 1, 2, 3, 4, 2, 9, 9), bytes(20, 0)),
  ];
}

// --- 3. transport-params -----------------------------------------------------------------------

function transportParamSeeds(): Uint8Array[] {
  const client: TransportParameters = defaultTransportParameters({
    maxIdleTimeoutMs: 30000,
    initialMaxData: 1 << 20,
    initialMaxStreamDataBidiLocal: 1 << 18,
    initialMaxStreamDataBidiRemote: 1 << 18,
    initialMaxStreamDataUni: 1 << 18,
    initialMaxStreamsBidi: 100,
    initialMaxStreamsUni: 3,
    ackDelayExponent: 4,
    maxAckDelayMs: 20,
    activeConnectionIdLimit: 8,
    initialSourceConnectionId: CID,
    versionInformation: { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] },
    maxDatagramFrameSize: 1200,
    greaseQuicBit: true,
    initialMaxPathId: 4,
    fecVersion: true,
    fecEncoderSchemes: [8, 11],
    fecDecoderSchemes: [8, 9, 10, 11],
    fecMaxSymbolNum: 48,
    fecSymbolAck: true,
    maxUdpPayloadSize: 1472,
    disableActiveMigration: true,
  });
  const server: TransportParameters = defaultTransportParameters({
    originalDestinationConnectionId: bytes(8, 0x11),
    statelessResetToken: TOKEN,
    retrySourceConnectionId: bytes(8, 0x22),
    initialSourceConnectionId: CID,
    preferredAddress: {
      ipv4Address: Uint8Array.of(192, 0, 2, 1),
      ipv4Port: 4433,
      ipv6Address: bytes(16, 0x20),
      ipv6Port: 4434,
      connectionId: bytes(8, 0x33),
      statelessResetToken: bytes(16, 0x44),
    },
    versionInformation: { chosenVersion: QUIC_V2, availableVersions: [QUIC_V2, QUIC_V1] },
    initialMaxStreamsBidi: 2 ** 60,
    maxIdleTimeoutMs: 2 ** 40,
  });
  return [
    cat(Uint8Array.of(1), encodeTransportParameters(client)),
    cat(Uint8Array.of(0), encodeTransportParameters(server)),
    cat(Uint8Array.of(0), encodeTransportParameters(defaultTransportParameters())),
    // A reserved parameter (RFC 9000 §18.1: 31 * N + 27) and an unknown one.
    cat(Uint8Array.of(1), Uint8Array.of(0x40, 0x3a, 2, 0xaa, 0xbb, 0x7f, 0xff, 0), encodeTransportParameters(defaultTransportParameters({ initialMaxData: 99 }))),
  ];
}

// --- 4. tls -------------------------------------------------------------------------------------

function tlsMessages(): HandshakeMessage[] {
  const tp = encodeTransportParameters(defaultTransportParameters({ initialMaxData: 4096, initialSourceConnectionId: CID }));
  return [
    {
      kind: 'client_hello',
      legacyVersion: LEGACY_VERSION,
      random: bytes(32, 0x01),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
      extensions: [
        { kind: 'server_name', hostName: 'example.com' },
        { kind: 'supported_groups', groups: [NamedGroup.X25519, NamedGroup.SECP256R1] },
        { kind: 'signature_algorithms', schemes: [SignatureScheme.ED25519, SignatureScheme.ECDSA_SECP256R1_SHA256] },
        { kind: 'alpn', protocols: [ascii('h3'), ascii('hq-interop')] },
        { kind: 'supported_versions', versions: [TLS13_VERSION] },
        { kind: 'psk_key_exchange_modes', modes: [1] },
        { kind: 'key_share', shares: [{ group: NamedGroup.X25519, keyExchange: bytes(32, 0x05) }] },
        { kind: 'quic_transport_parameters', data: tp },
        { kind: 'early_data' },
        { kind: 'cookie', cookie: bytes(12, 0x0c) },
        { kind: 'unknown', type: 0x0a0a, data: new Uint8Array(0) },
        { kind: 'pre_shared_key', identities: [{ identity: bytes(40, 0x0d), obfuscatedTicketAge: 12345 }], binders: [bytes(32, 0x0e)] },
      ],
    },
    {
      kind: 'server_hello',
      legacyVersion: LEGACY_VERSION,
      random: bytes(32, 0x02),
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      extensions: [
        { kind: 'supported_versions_selected', version: TLS13_VERSION },
        { kind: 'key_share_server', share: { group: NamedGroup.X25519, keyExchange: bytes(32, 0x06) } },
        { kind: 'pre_shared_key_selected', selectedIdentity: 0 },
      ],
    },
    {
      kind: 'hello_retry_request',
      legacyVersion: LEGACY_VERSION,
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      extensions: [
        { kind: 'supported_versions_selected', version: TLS13_VERSION },
        { kind: 'key_share_hrr', selectedGroup: NamedGroup.SECP256R1 },
        { kind: 'cookie', cookie: bytes(16, 0x0c) },
      ],
    },
    {
      kind: 'encrypted_extensions',
      extensions: [
        { kind: 'alpn', protocols: [ascii('h3')] },
        { kind: 'quic_transport_parameters', data: tp },
        { kind: 'server_name_ack' },
        { kind: 'early_data' },
        { kind: 'supported_groups', groups: [NamedGroup.X25519] },
      ],
    },
    { kind: 'certificate', requestContext: new Uint8Array(0), certificateList: [{ certData: bytes(120, 0x30), extensions: [] }, { certData: bytes(40, 0x31), extensions: [{ kind: 'unknown', type: 5, data: bytes(3, 1) }] }] },
    { kind: 'certificate_request', requestContext: bytes(4, 1), extensions: [{ kind: 'signature_algorithms', schemes: [SignatureScheme.ED25519] }] },
    { kind: 'certificate_verify', algorithm: SignatureScheme.ED25519, signature: bytes(64, 0x40) },
    { kind: 'finished', verifyData: bytes(32, 0x50) },
    { kind: 'new_session_ticket', ticketLifetime: 7200, ticketAgeAdd: 0x01020304, ticketNonce: bytes(8, 0x60), ticket: bytes(48, 0x61), extensions: [{ kind: 'early_data_max', maxEarlyDataSize: 0xffffffff }] },
  ];
}

/** TLS_TYPES order of targets.ts: CH, SH, NST, EE, CT, CR, CV, FIN. */
const TLS_SELECTOR: Record<string, number> = {
  client_hello: 0,
  server_hello: 1,
  hello_retry_request: 1,
  new_session_ticket: 2,
  encrypted_extensions: 3,
  certificate: 4,
  certificate_request: 5,
  certificate_verify: 6,
  finished: 7,
};

function tlsSeeds(): Uint8Array[] {
  const msgs = tlsMessages();
  const encoded = msgs.map((m) => encodeHandshake(m));
  const singles = msgs.map((m, i) => cat(Uint8Array.of(TLS_SELECTOR[m.kind]!), encoded[i]!.subarray(4)));
  // Framer mode: a server's flight in 7-byte and 64-byte pieces, and a client's in one piece.
  const flight = cat(encoded[3]!, encoded[4]!, encoded[6]!, encoded[7]!);
  return [...singles, cat(Uint8Array.of(0x86), flight), cat(Uint8Array.of(0xbf), cat(encoded[1]!, flight)), cat(Uint8Array.of(0x80 | 0x3f), encoded[0]!, encoded[8]!)];
}

// --- 5. qpack -----------------------------------------------------------------------------------

function qpackSeeds(): Uint8Array[] {
  const enc = new QpackEncoder({ huffman: true });
  const plain = new QpackEncoder({ huffman: false });
  const request: [string, string][] = [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':authority', 'example.com'],
    [':path', '/index.html'],
    ['user-agent', 'tquic'],
    ['accept', '*/*'],
  ];
  const response: [string, string][] = [
    [':status', '200'],
    ['content-type', 'text/html; charset=utf-8'],
    ['x-custom', 'value'],
    ['content-length', '1234'],
  ];
  // Dynamic references (RFC 9204 §4.5): Required Insert Count 3 (encoded 4 with MaxEntries 8),
  // Base 3, then indexed dynamic 0 and 2, a literal with a dynamic name reference, a post-base
  // index and a literal with a literal name.
  const dynamicSection = Uint8Array.of(0x04, 0x00, 0x80, 0x82, 0x41, 0x03, 0x61, 0x62, 0x63, 0x51, 0x01, 0x78, 0x23, 0x61, 0x62, 0x63, 0x01, 0x7a);
  const instructions = cat(
    encodeSetDynamicTableCapacity(512),
    encodeInsertWithNameReference(true, 1, '/custom'),
    encodeInsertWithLiteralName('x-name', 'x-value', true),
    encodeInsertWithLiteralName('plain', 'text', false),
    encodeDuplicate(0),
  );
  // RFC 9204 §4.5.1: with MaxEntries 32 and 4 inserts, Required Insert Count 4 encodes as 5.
  const afterInserts = Uint8Array.of(0x05, 0x00, 0x80, 0x83, 0x50, 0x01, 0x79, 0xd1);
  return [
    cat(Uint8Array.of(0), enc.encode(request)),
    cat(Uint8Array.of(0), plain.encode(response)),
    cat(Uint8Array.of(1), enc.encode(response)),
    cat(Uint8Array.of(1), dynamicSection),
    cat(Uint8Array.of(2, instructions.length), instructions, afterInserts),
    cat(Uint8Array.of(2, instructions.length), instructions, enc.encode(request)),
    // Blocked: a Required Insert Count above the inserts received.
    cat(Uint8Array.of(2, 0), Uint8Array.of(0x09, 0x00, 0x80)),
  ];
}

// --- 6. h3 --------------------------------------------------------------------------------------

function h3Seeds(): Uint8Array[] {
  const headers = new QpackEncoder().encode([
    [':method', 'GET'],
    [':path', '/'],
  ]);
  const settings = encodeH3Frame({
    type: 'settings',
    settings: [
      { id: SettingId.QPACK_MAX_TABLE_CAPACITY, value: 4096 },
      { id: SettingId.QPACK_BLOCKED_STREAMS, value: 16 },
      { id: SettingId.MAX_FIELD_SECTION_SIZE, value: 65536 },
      { id: SettingId.H3_DATAGRAM, value: 1 },
      { id: 0x21 + 0x1f * 3, value: 7 },
    ],
  });
  const control = cat(Uint8Array.of(0x00), settings, encodeH3Frame({ type: 'goaway', id: 8 }), encodeH3Frame({ type: 'max_push_id', pushId: 10 }), encodeH3Frame({ type: 'cancel_push', pushId: 3 }));
  const request = cat(encodeH3Frame({ type: 'headers', fieldSection: headers }), encodeDataHeader(20), bytes(20, 1), encodeRawFrame(0x21, bytes(5, 2)), encodeRawFrame(0x2f, bytes(3, 3)), encodeDataHeader(0));
  const push = cat(encodeH3Frame({ type: 'push_promise', pushId: 1, fieldSection: headers }), encodeH3Frame({ type: 'headers', fieldSection: headers }));
  return [
    cat(Uint8Array.of(1 | (200 << 1)), control),
    cat(Uint8Array.of(1 | (2 << 1)), control),
    cat(Uint8Array.of(254), request),
    cat(Uint8Array.of(6), request),
    cat(Uint8Array.of(0), push),
  ];
}

// --- 7. fec -------------------------------------------------------------------------------------

function fecSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const schemes = [FecScheme.REED_SOLOMON, FecScheme.XOR, FecScheme.RLC_GF256, FecScheme.RLC_GF2] as const;
  schemes.forEach((scheme, sel) => {
    const fx = fecFixture(scheme);
    // Lose one source per block (and two of the first block for Reed-Solomon).
    const lost = scheme === FecScheme.REED_SOLOMON ? 0b0001_0011 : 0b0001_0010;
    out.push(cat(Uint8Array.of(sel, lost), encodeFrames(fx.repairs)));
    if (scheme === FecScheme.REED_SOLOMON || scheme === FecScheme.RLC_GF256) {
      const sid: Frame = { kind: 'sid', flowId: 0, sourcePayloadId: fx.ids[1]! };
      out.push(cat(Uint8Array.of(sel, 0b10), encodeFrames([{ kind: 'stream', streamId: 0, offset: 0, data: bytes(10, 1), fin: false, hasLength: true }, sid]), encodeFrames(fx.repairs.slice(0, 1))));
    }
  });
  return out;
}

/** Seed inputs by target name. */
export function makeSeeds(): Record<string, Uint8Array[]> {
  return {
    frames: frameSeeds(),
    header: headerSeeds(),
    'transport-params': transportParamSeeds(),
    tls: tlsSeeds(),
    qpack: qpackSeeds(),
    h3: h3Seeds(),
    fec: fecSeeds(),
  };
}
