/**
 * TLS 1.3 handshake messages (RFC 8446 §4) as a closed tagged union, with their codec.
 *
 * QUIC carries these messages in CRYPTO frames with no record layer (RFC 9001 §4): every
 * encoding here is a whole Handshake structure, msg_type(1) ‖ length(3) ‖ body (RFC 8446 §4).
 * `HandshakeReassembler` (framer.ts) cuts the CRYPTO byte stream into such messages.
 *
 * Decoded byte fields are copies, so messages can be kept (transcript, session tickets) after
 * the datagram buffer is reused. Decoders throw only CRYPTO_ERROR TransportErrors (codec.ts).
 *
 * What is checked here and what is left to the state machine:
 * - here: structure, vector bounds, trailing bytes (decode_error); the extension rules of
 *   extensions.ts; TLS 1.3 fixed fields (legacy_compression_method(s) = 0 → illegal_parameter,
 *   KeyUpdate request value → illegal_parameter, RFC 8446 §4.6.3);
 * - state machine: message order (unexpected_message, e.g. KeyUpdate or EndOfEarlyData in
 *   QUIC, RFC 9001 §6 and §8.3), a non-empty legacy_session_id (RFC 9001 §8.4:
 *   PROTOCOL_VIOLATION), version and parameter negotiation, extension responses that were not
 *   requested (unsupported_extension, RFC 8446 §4.2).
 */
import { ByteReader } from '../../util/bytes.js';
import { assertNever } from '../../util/assert.js';
import { AlertDescription, tlsAlert } from './alert.js';
import { HRR_RANDOM, HandshakeType, MAX_SESSION_ID_LENGTH, RANDOM_LENGTH, isHrrRandom } from './constants.js';
import { TlsWriter, asTlsDecode, decodeError, expectEnd, illegalParameter, readOpaque, readU16List, readVec } from './codec.js';
import { type Extension, bindersListLength, decodeExtensions, encodeExtensions } from './extensions.js';

/** RFC 8446 §4.1.2 */
export interface ClientHello {
  kind: 'client_hello';
  /** Always 0x0303 from a TLS 1.3 client (LEGACY_VERSION); servers ignore it (RFC 8446 §4.2.1). */
  legacyVersion: number;
  random: Uint8Array;
  /** 0..32 bytes; RFC 9001 §8.4: must be empty in QUIC (checked by the state machine). */
  legacySessionId: Uint8Array;
  cipherSuites: number[];
  /** legacy_compression_methods is always [0] in TLS 1.3 (RFC 8446 §4.1.2), so not stored. */
  extensions: Extension[];
}

/**
 * RFC 8446 §4.1.3. A `random` equal to HRR_RANDOM would decode as a HelloRetryRequest; build
 * one of those instead.
 */
export interface ServerHello {
  kind: 'server_hello';
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  extensions: Extension[];
}

/** RFC 8446 §4.1.4: a ServerHello whose random is HRR_RANDOM (type 2 on the wire). */
export interface HelloRetryRequest {
  kind: 'hello_retry_request';
  legacyVersion: number;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  extensions: Extension[];
}

/** RFC 8446 §4.3.1 */
export interface EncryptedExtensions {
  kind: 'encrypted_extensions';
  extensions: Extension[];
}

/** RFC 8446 §4.4.2: one CertificateEntry (X.509 cert_data or a raw public key, RFC 7250). */
export interface CertificateEntry {
  certData: Uint8Array;
  extensions: Extension[];
}

/** RFC 8446 §4.4.2 */
export interface Certificate {
  kind: 'certificate';
  requestContext: Uint8Array;
  certificateList: CertificateEntry[];
}

/** RFC 8446 §4.3.2 */
export interface CertificateRequest {
  kind: 'certificate_request';
  requestContext: Uint8Array;
  extensions: Extension[];
}

/** RFC 8446 §4.4.3 */
export interface CertificateVerify {
  kind: 'certificate_verify';
  algorithm: number;
  signature: Uint8Array;
}

/** RFC 8446 §4.4.4: verify_data is Hash.length bytes. */
export interface Finished {
  kind: 'finished';
  verifyData: Uint8Array;
}

/** RFC 8446 §4.6.1 */
export interface NewSessionTicket {
  kind: 'new_session_ticket';
  /** Seconds; at most 604800 (7 days), checked by the state machine. */
  ticketLifetime: number;
  ticketAgeAdd: number;
  ticketNonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
}

/** RFC 8446 §4.6.3. In QUIC its receipt is an unexpected_message (RFC 9001 §6). */
export interface KeyUpdate {
  kind: 'key_update';
  requestUpdate: 0 | 1;
}

/** RFC 8446 §4.5. Never sent in QUIC (RFC 9001 §8.3); decoded so it can be rejected. */
export interface EndOfEarlyData {
  kind: 'end_of_early_data';
}

/** A TLS 1.3 handshake message, decoded (RFC 8446 §4), discriminated by `kind`. */
export type HandshakeMessage =
  | ClientHello
  | ServerHello
  | HelloRetryRequest
  | EncryptedExtensions
  | Certificate
  | CertificateRequest
  | CertificateVerify
  | Finished
  | NewSessionTicket
  | KeyUpdate
  | EndOfEarlyData;

/** The `kind` strings of HandshakeMessage. */
export type HandshakeKind = HandshakeMessage['kind'];

/** The wire msg_type of each message kind (HRR is a ServerHello on the wire, RFC 8446 §4.1.4). */
export const HANDSHAKE_TYPE_OF: Readonly<Record<HandshakeKind, number>> = {
  client_hello: HandshakeType.CLIENT_HELLO,
  server_hello: HandshakeType.SERVER_HELLO,
  hello_retry_request: HandshakeType.SERVER_HELLO,
  encrypted_extensions: HandshakeType.ENCRYPTED_EXTENSIONS,
  certificate: HandshakeType.CERTIFICATE,
  certificate_request: HandshakeType.CERTIFICATE_REQUEST,
  certificate_verify: HandshakeType.CERTIFICATE_VERIFY,
  finished: HandshakeType.FINISHED,
  new_session_ticket: HandshakeType.NEW_SESSION_TICKET,
  key_update: HandshakeType.KEY_UPDATE,
  end_of_early_data: HandshakeType.END_OF_EARLY_DATA,
};

/** Size of the Handshake header: msg_type(1) ‖ uint24 length (RFC 8446 §4). */
export const HANDSHAKE_HEADER_LENGTH = 4;

// ---------------------------------------------------------------------------------------------
// Encoding

function checkRandom(random: Uint8Array): void {
  if (random.length !== RANDOM_LENGTH) throw new RangeError(`TLS encode: random must be 32 bytes, got ${random.length}`);
}

function encodeBody(w: TlsWriter, m: HandshakeMessage): void {
  switch (m.kind) {
    case 'client_hello':
      checkRandom(m.random);
      w.u16(m.legacyVersion).bytes(m.random);
      w.opaque(1, m.legacySessionId, 'legacy_session_id', MAX_SESSION_ID_LENGTH);
      w.vec(2, () => m.cipherSuites.forEach((s) => w.u16(s)), 'cipher_suites', 0xfffe);
      w.u8(1).u8(0); // legacy_compression_methods = [null(0)]
      encodeExtensions(w, m.extensions);
      return;
    case 'server_hello':
    case 'hello_retry_request':
      if (m.kind === 'server_hello') checkRandom(m.random);
      w.u16(m.legacyVersion).bytes(m.kind === 'server_hello' ? m.random : HRR_RANDOM);
      w.opaque(1, m.legacySessionIdEcho, 'legacy_session_id_echo', MAX_SESSION_ID_LENGTH);
      w.u16(m.cipherSuite).u8(0); // legacy_compression_method = 0
      encodeExtensions(w, m.extensions);
      return;
    case 'encrypted_extensions':
      encodeExtensions(w, m.extensions);
      return;
    case 'certificate':
      w.opaque(1, m.requestContext, 'certificate_request_context');
      w.vec(3, () => {
        for (const e of m.certificateList) {
          w.opaque(3, e.certData, 'cert_data');
          encodeExtensions(w, e.extensions);
        }
      }, 'certificate_list');
      return;
    case 'certificate_request':
      w.opaque(1, m.requestContext, 'certificate_request_context');
      encodeExtensions(w, m.extensions);
      return;
    case 'certificate_verify':
      w.u16(m.algorithm).opaque(2, m.signature, 'signature');
      return;
    case 'finished':
      w.bytes(m.verifyData);
      return;
    case 'new_session_ticket':
      w.u32(m.ticketLifetime).u32(m.ticketAgeAdd);
      w.opaque(1, m.ticketNonce, 'ticket_nonce');
      w.opaque(2, m.ticket, 'ticket');
      encodeExtensions(w, m.extensions);
      return;
    case 'key_update':
      w.u8(m.requestUpdate);
      return;
    case 'end_of_early_data':
      return;
    default:
      assertNever(m, 'handshake message');
  }
}

/** Encodes a message with its 4-byte Handshake header (RFC 8446 §4). */
export function encodeHandshake(m: HandshakeMessage): Uint8Array {
  const w = new TlsWriter(m.kind === 'certificate' ? 2048 : 512);
  w.u8(HANDSHAKE_TYPE_OF[m.kind]);
  w.vec(3, () => encodeBody(w, m), m.kind);
  return w.finish();
}

/**
 * RFC 8446 §4.4.1: the synthetic Handshake(message_hash, Hash(ClientHello1)) that replaces
 * ClientHello1 in the transcript after a HelloRetryRequest.
 */
export function encodeMessageHash(clientHello1Hash: Uint8Array): Uint8Array {
  const w = new TlsWriter(4 + clientHello1Hash.length);
  w.u8(HandshakeType.MESSAGE_HASH).opaque(3, clientHello1Hash, 'message_hash');
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Options of `decodeHandshake`. */
export interface DecodeOptions {
  /**
   * RFC 8446 §4.4.4: the expected Finished length (the negotiated hash length). A Finished of
   * another length is a decode_error. Without it the whole body is taken as verify_data.
   */
  finishedLength?: number;
}

function decodeClientHello(r: ByteReader): ClientHello {
  const legacyVersion = r.u16();
  const random = r.copy(RANDOM_LENGTH);
  // RFC 8446 §4.1.2: opaque legacy_session_id<0..32>.
  const legacySessionId = readOpaque(r, 1, 0, MAX_SESSION_ID_LENGTH, 'legacy_session_id');
  // RFC 8446 §4.1.2: CipherSuite cipher_suites<2..2^16-2>.
  const cipherSuites = readU16List(r, 2, 2, 0xfffe, 'cipher_suites');
  // RFC 8446 §4.1.2: opaque legacy_compression_methods<1..2^8-1>; exactly [0] in TLS 1.3,
  // "any other value ... MUST abort the handshake with an illegal_parameter alert".
  const comp = readVec(r, 1, 1, 0xff, 'legacy_compression_methods');
  if (comp.remaining !== 1 || comp.u8() !== 0) throw illegalParameter('legacy_compression_methods is not [null]');
  // RFC 8446 §4.1.2: a pre-TLS-1.3 ClientHello may end here with no extensions field at all;
  // it decodes as an empty block so the state machine can answer protocol_version.
  const extensions = r.isEmpty ? [] : decodeExtensions(r, 'client_hello');
  return { kind: 'client_hello', legacyVersion, random, legacySessionId, cipherSuites, extensions };
}

function decodeServerHello(r: ByteReader): ServerHello | HelloRetryRequest {
  const legacyVersion = r.u16();
  const random = r.copy(RANDOM_LENGTH);
  const legacySessionIdEcho = readOpaque(r, 1, 0, MAX_SESSION_ID_LENGTH, 'legacy_session_id_echo');
  const cipherSuite = r.u16();
  // RFC 8446 §4.1.3: "legacy_compression_method: A single byte which MUST have the value 0."
  if (r.u8() !== 0) throw illegalParameter('legacy_compression_method is not 0');
  // RFC 8446 §4.1.4: a ServerHello with the special random is a HelloRetryRequest.
  if (isHrrRandom(random)) {
    const extensions = r.isEmpty ? [] : decodeExtensions(r, 'hello_retry_request');
    return { kind: 'hello_retry_request', legacyVersion, legacySessionIdEcho, cipherSuite, extensions };
  }
  const extensions = r.isEmpty ? [] : decodeExtensions(r, 'server_hello');
  return { kind: 'server_hello', legacyVersion, random, legacySessionIdEcho, cipherSuite, extensions };
}

function decodeCertificate(r: ByteReader): Certificate {
  // RFC 8446 §4.4.2: opaque certificate_request_context<0..2^8-1>;
  // CertificateEntry certificate_list<0..2^24-1>; opaque cert_data<1..2^24-1>.
  const requestContext = readOpaque(r, 1, 0, 0xff, 'certificate_request_context');
  const list = readVec(r, 3, 0, 0xffffff, 'certificate_list');
  const certificateList: CertificateEntry[] = [];
  while (!list.isEmpty) {
    const certData = readOpaque(list, 3, 1, 0xffffff, 'cert_data');
    certificateList.push({ certData, extensions: decodeExtensions(list, 'certificate') });
  }
  return { kind: 'certificate', requestContext, certificateList };
}

function decodeNewSessionTicket(r: ByteReader): NewSessionTicket {
  // RFC 8446 §4.6.1
  const ticketLifetime = r.u32();
  const ticketAgeAdd = r.u32();
  const ticketNonce = readOpaque(r, 1, 0, 0xff, 'ticket_nonce');
  const ticket = readOpaque(r, 2, 1, 0xffff, 'ticket');
  const extensions = decodeExtensions(r, 'new_session_ticket');
  return { kind: 'new_session_ticket', ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}

function decodeBody(msgType: number, r: ByteReader, opts: DecodeOptions): HandshakeMessage {
  switch (msgType) {
    case HandshakeType.CLIENT_HELLO:
      return decodeClientHello(r);
    case HandshakeType.SERVER_HELLO:
      return decodeServerHello(r);
    case HandshakeType.ENCRYPTED_EXTENSIONS:
      return { kind: 'encrypted_extensions', extensions: decodeExtensions(r, 'encrypted_extensions') };
    case HandshakeType.CERTIFICATE:
      return decodeCertificate(r);
    case HandshakeType.CERTIFICATE_REQUEST: {
      // RFC 8446 §4.3.2
      const requestContext = readOpaque(r, 1, 0, 0xff, 'certificate_request_context');
      return { kind: 'certificate_request', requestContext, extensions: decodeExtensions(r, 'certificate_request') };
    }
    case HandshakeType.CERTIFICATE_VERIFY: {
      // RFC 8446 §4.4.3: SignatureScheme algorithm; opaque signature<0..2^16-1>.
      const algorithm = r.u16();
      return { kind: 'certificate_verify', algorithm, signature: readOpaque(r, 2, 0, 0xffff, 'signature') };
    }
    case HandshakeType.FINISHED: {
      // RFC 8446 §4.4.4: opaque verify_data[Hash.length].
      const n = opts.finishedLength;
      if (n !== undefined && r.remaining !== n) throw decodeError(`Finished is ${r.remaining} bytes, expected ${n}`);
      return { kind: 'finished', verifyData: r.rest().slice() };
    }
    case HandshakeType.NEW_SESSION_TICKET:
      return decodeNewSessionTicket(r);
    case HandshakeType.KEY_UPDATE: {
      // RFC 8446 §4.6.3: "If an implementation receives any other value, it MUST terminate the
      // connection with an illegal_parameter alert."
      const v = r.u8();
      if (v !== 0 && v !== 1) throw illegalParameter(`KeyUpdate request_update ${v}`);
      return { kind: 'key_update', requestUpdate: v };
    }
    case HandshakeType.END_OF_EARLY_DATA:
      return { kind: 'end_of_early_data' }; // RFC 8446 §4.5: struct {} EndOfEarlyData
    default:
      // RFC 8446 §4: a message type that is not (or no longer) defined for TLS 1.3, including
      // message_hash (never sent), cannot be a valid next message.
      throw tlsAlert(AlertDescription.UNEXPECTED_MESSAGE, `unknown handshake message type ${msgType}`);
  }
}

/** Decodes a message body of the given msg_type (without the 4-byte header). */
export function decodeHandshakeBody(msgType: number, body: Uint8Array, opts: DecodeOptions = {}): HandshakeMessage {
  return asTlsDecode(`handshake message ${msgType}`, () => {
    const r = new ByteReader(body);
    const m = decodeBody(msgType, r, opts);
    expectEnd(r, m.kind); // RFC 8446 §4: the length covers exactly the body
    return m;
  });
}

/** Decodes one whole message (header ‖ body); the header length must match exactly. */
export function decodeHandshake(raw: Uint8Array, opts: DecodeOptions = {}): HandshakeMessage {
  if (raw.length < HANDSHAKE_HEADER_LENGTH) throw decodeError(`handshake message of ${raw.length} bytes has no header`);
  const len = (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!;
  if (len !== raw.length - HANDSHAKE_HEADER_LENGTH) {
    throw decodeError(`handshake length ${len} does not match the ${raw.length - HANDSHAKE_HEADER_LENGTH} body bytes`);
  }
  return decodeHandshakeBody(raw[0]!, raw.subarray(HANDSHAKE_HEADER_LENGTH), opts);
}

// ---------------------------------------------------------------------------------------------
// PSK binders (RFC 8446 §4.2.11.2)

/**
 * The number of bytes Truncate(ClientHello) drops: the length of the binders list (2-byte
 * length and entries) of the ClientHello's pre_shared_key, or 0 without one. Throws RangeError
 * when pre_shared_key is present but not the last extension (the binders would not be the tail).
 */
export function pskBindersLength(ch: ClientHello): number {
  const i = ch.extensions.findIndex((e) => e.kind === 'pre_shared_key');
  if (i < 0) return 0;
  if (i !== ch.extensions.length - 1) throw new RangeError('pre_shared_key must be the last ClientHello extension');
  const psk = ch.extensions[i] as Extract<Extension, { kind: 'pre_shared_key' }>;
  return bindersListLength(psk.binders);
}

/**
 * RFC 8446 §4.2.11.2: Truncate(ClientHello), the partial ClientHello up to and including the
 * identities list, over which the binders are computed. `encoded` is the ClientHello as sent
 * (with header); the client first encodes it with zero binders of the right lengths, computes
 * the binders over this view, then encodes again with the real ones (the length fields do not
 * change). A server passes the raw bytes it received. Returns a view into `encoded`.
 */
export function truncatedClientHello(encoded: Uint8Array, ch: ClientHello): Uint8Array {
  return encoded.subarray(0, encoded.length - pskBindersLength(ch));
}
