/**
 * TLS 1.3 extensions (RFC 8446 §4.2) as a closed tagged union, with their codec.
 *
 * An extension block is an ordered array: order is kept so that a decoded message re-encodes
 * byte for byte (the transcript hash covers the peer's exact bytes) and because
 * pre_shared_key must come last in a ClientHello (RFC 8446 §4.2.11).
 *
 * Several extensions have a different body depending on the message that carries them; each
 * form is its own `kind`, so encoding needs no context and decoding takes the message context:
 *
 * | type | CH (and CR) | SH | HRR | EE | NST |
 * |---|---|---|---|---|---|
 * | server_name (0) | `server_name` | – | – | `server_name_ack` | – |
 * | pre_shared_key (41) | `pre_shared_key` | `pre_shared_key_selected` | – | – | – |
 * | early_data (42) | `early_data` | – | – | `early_data` | `early_data_max` |
 * | supported_versions (43) | `supported_versions` | `supported_versions_selected` | same as SH | – | – |
 * | key_share (51) | `key_share` | `key_share_server` | `key_share_hrr` | – | – |
 *
 * Every other type tquic does not model is `{ kind: 'unknown', type, data }`, kept raw and
 * re-encoded as is (GREASE values, RFC 8701, included).
 */
import { ByteReader } from '../../util/bytes.js';
import { assertNever } from '../../util/assert.js';
import { ExtensionType } from './constants.js';
import { TlsWriter, decodeError, expectEnd, illegalParameter, latin1Decode, latin1Encode, readOpaque, readU16List, readVec } from './codec.js';

/** RFC 8446 §4.2.8: KeyShareEntry. */
export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

/** RFC 8446 §4.2.11: PskIdentity. */
export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

/**
 * A TLS extension, decoded; one variant per extension and message form, `unknown` for the others
 * (RFC 8446 §4.2).
 */
export type Extension =
  /** RFC 6066 §3: a ServerNameList with one host_name (CH, CR). The name is ASCII; see codec.ts latin1. */
  | { kind: 'server_name'; hostName: string }
  /** RFC 6066 §3: the server's empty server_name acknowledgement (EE). */
  | { kind: 'server_name_ack' }
  /** RFC 8446 §4.2.7 (CH, EE). */
  | { kind: 'supported_groups'; groups: number[] }
  /** RFC 8446 §4.2.3 (CH, CR). */
  | { kind: 'signature_algorithms'; schemes: number[] }
  /** RFC 7301 §3.1: protocol names are opaque bytes (e.g. ASCII "h3"); the EE form carries one. */
  | { kind: 'alpn'; protocols: Uint8Array[] }
  /** RFC 8446 §4.2.11: OfferedPsks (CH); binders[i] belongs to identities[i]. */
  | { kind: 'pre_shared_key'; identities: PskIdentity[]; binders: Uint8Array[] }
  /** RFC 8446 §4.2.11: the server's selected_identity (SH). */
  | { kind: 'pre_shared_key_selected'; selectedIdentity: number }
  /** RFC 8446 §4.2.10: empty early_data indication (CH, EE). */
  | { kind: 'early_data' }
  /** RFC 8446 §4.2.10: max_early_data_size (NST). RFC 9001 §4.6.1 requires 0xffffffff in QUIC. */
  | { kind: 'early_data_max'; maxEarlyDataSize: number }
  /** RFC 8446 §4.2.1: the client's version list (CH). */
  | { kind: 'supported_versions'; versions: number[] }
  /** RFC 8446 §4.2.1: the selected version (SH, HRR). */
  | { kind: 'supported_versions_selected'; version: number }
  /** RFC 8446 §4.2.2 (CH, HRR). */
  | { kind: 'cookie'; cookie: Uint8Array }
  /** RFC 8446 §4.2.9 (CH). */
  | { kind: 'psk_key_exchange_modes'; modes: number[] }
  /** RFC 8446 §4.2.8: client_shares (CH); may be empty. */
  | { kind: 'key_share'; shares: KeyShareEntry[] }
  /** RFC 8446 §4.2.8: server_share (SH). */
  | { kind: 'key_share_server'; share: KeyShareEntry }
  /** RFC 8446 §4.2.8: selected_group (HRR). */
  | { kind: 'key_share_hrr'; selectedGroup: number }
  /** RFC 9001 §8.2: transport parameters, opaque at this layer (CH, EE). */
  | { kind: 'quic_transport_parameters'; data: Uint8Array }
  /** Any other extension, raw. */
  | { kind: 'unknown'; type: number; data: Uint8Array };

/** The `kind` strings of Extension. */
export type ExtensionKind = Extension['kind'];
/** The Extension variant of a kind. */
export type ExtensionOf<K extends ExtensionKind> = Extract<Extension, { kind: K }>;

/** The messages that carry an extension block (RFC 8446 §4.2 table: CH, SH, HRR, EE, CT, CR, NST). */
export type ExtensionContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate'
  | 'certificate_request'
  | 'new_session_ticket';

const KIND_TYPE: Record<Exclude<ExtensionKind, 'unknown'>, number> = {
  server_name: ExtensionType.SERVER_NAME,
  server_name_ack: ExtensionType.SERVER_NAME,
  supported_groups: ExtensionType.SUPPORTED_GROUPS,
  signature_algorithms: ExtensionType.SIGNATURE_ALGORITHMS,
  alpn: ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
  pre_shared_key: ExtensionType.PRE_SHARED_KEY,
  pre_shared_key_selected: ExtensionType.PRE_SHARED_KEY,
  early_data: ExtensionType.EARLY_DATA,
  early_data_max: ExtensionType.EARLY_DATA,
  supported_versions: ExtensionType.SUPPORTED_VERSIONS,
  supported_versions_selected: ExtensionType.SUPPORTED_VERSIONS,
  cookie: ExtensionType.COOKIE,
  psk_key_exchange_modes: ExtensionType.PSK_KEY_EXCHANGE_MODES,
  key_share: ExtensionType.KEY_SHARE,
  key_share_server: ExtensionType.KEY_SHARE,
  key_share_hrr: ExtensionType.KEY_SHARE,
  quic_transport_parameters: ExtensionType.QUIC_TRANSPORT_PARAMETERS,
};

/** The wire extension_type of an extension. */
export function extensionType(ext: Extension): number {
  return ext.kind === 'unknown' ? ext.type : KIND_TYPE[ext.kind];
}

/** The first extension of a kind in a block, typed. */
export function findExtension<K extends ExtensionKind>(exts: readonly Extension[], kind: K): ExtensionOf<K> | undefined {
  for (const e of exts) if (e.kind === kind) return e as ExtensionOf<K>;
  return undefined;
}

/** Whether a block holds an extension of the given wire type (typed or raw). */
export function hasExtensionType(exts: readonly Extension[], type: number): boolean {
  return exts.some((e) => extensionType(e) === type);
}

// ---------------------------------------------------------------------------------------------
// Encoding

function encodeKeyShareEntry(w: TlsWriter, e: KeyShareEntry): void {
  w.u16(e.group);
  w.opaque(2, e.keyExchange, 'key_exchange');
}

function encodeBody(w: TlsWriter, ext: Extension): void {
  switch (ext.kind) {
    case 'server_name':
      // RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>; name_type host_name(0).
      w.vec(2, () => {
        w.u8(0);
        w.opaque(2, latin1Encode(ext.hostName, 'host_name'), 'host_name');
      }, 'server_name_list');
      return;
    case 'server_name_ack':
    case 'early_data':
      return;
    case 'supported_groups':
      w.vec(2, () => ext.groups.forEach((g) => w.u16(g)), 'named_group_list');
      return;
    case 'signature_algorithms':
      w.vec(2, () => ext.schemes.forEach((s) => w.u16(s)), 'supported_signature_algorithms', 0xfffe);
      return;
    case 'alpn':
      w.vec(2, () => ext.protocols.forEach((p) => w.opaque(1, p, 'ProtocolName')), 'protocol_name_list');
      return;
    case 'pre_shared_key':
      w.vec(2, () => {
        for (const id of ext.identities) {
          w.opaque(2, id.identity, 'identity');
          w.u32(id.obfuscatedTicketAge);
        }
      }, 'identities');
      w.vec(2, () => ext.binders.forEach((b) => w.opaque(1, b, 'PskBinderEntry')), 'binders');
      return;
    case 'pre_shared_key_selected':
      w.u16(ext.selectedIdentity);
      return;
    case 'early_data_max':
      w.u32(ext.maxEarlyDataSize);
      return;
    case 'supported_versions':
      w.vec(1, () => ext.versions.forEach((v) => w.u16(v)), 'versions', 254);
      return;
    case 'supported_versions_selected':
      w.u16(ext.version);
      return;
    case 'cookie':
      w.opaque(2, ext.cookie, 'cookie');
      return;
    case 'psk_key_exchange_modes':
      w.vec(1, () => ext.modes.forEach((m) => w.u8(m)), 'ke_modes');
      return;
    case 'key_share':
      w.vec(2, () => ext.shares.forEach((s) => encodeKeyShareEntry(w, s)), 'client_shares');
      return;
    case 'key_share_server':
      encodeKeyShareEntry(w, ext.share);
      return;
    case 'key_share_hrr':
      w.u16(ext.selectedGroup);
      return;
    case 'quic_transport_parameters':
      w.bytes(ext.data);
      return;
    case 'unknown':
      w.bytes(ext.data);
      return;
    default:
      assertNever(ext, 'extension');
  }
}

/**
 * Writes an extension block: extensions<0..2^16-1> (RFC 8446 §4.2). The encoder writes exactly
 * what it is given (duplicates and misplaced pre_shared_key included, so tests can build bad
 * messages); the decoder is the one that enforces the rules.
 * @internal
 */
export function encodeExtensions(w: TlsWriter, exts: readonly Extension[]): void {
  w.vec(2, () => {
    for (const ext of exts) {
      w.u16(extensionType(ext));
      w.vec(2, () => encodeBody(w, ext), `extension ${ext.kind}`);
    }
  }, 'extensions');
}

// ---------------------------------------------------------------------------------------------
// Decoding

type Ctx = ExtensionContext;
const CH: Ctx = 'client_hello';
const SH: Ctx = 'server_hello';
const HRR: Ctx = 'hello_retry_request';
const EE: Ctx = 'encrypted_extensions';
const CR: Ctx = 'certificate_request';
const NST: Ctx = 'new_session_ticket';

/** RFC 8446 §4.2 table: where each modelled extension may appear. */
const ALLOWED = new Map<number, readonly Ctx[]>([
  [ExtensionType.SERVER_NAME, [CH, EE, CR]],
  [ExtensionType.SUPPORTED_GROUPS, [CH, EE]],
  [ExtensionType.SIGNATURE_ALGORITHMS, [CH, CR]],
  [ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION, [CH, EE]],
  [ExtensionType.PRE_SHARED_KEY, [CH, SH]],
  [ExtensionType.EARLY_DATA, [CH, EE, NST]],
  [ExtensionType.SUPPORTED_VERSIONS, [CH, SH, HRR]],
  [ExtensionType.COOKIE, [CH, HRR]],
  [ExtensionType.PSK_KEY_EXCHANGE_MODES, [CH]],
  [ExtensionType.KEY_SHARE, [CH, SH, HRR]],
  [ExtensionType.QUIC_TRANSPORT_PARAMETERS, [CH, EE]],
]);

function readKeyShareEntry(r: ByteReader): KeyShareEntry {
  const group = r.u16();
  // RFC 8446 §4.2.8: opaque key_exchange<1..2^16-1>.
  const keyExchange = readOpaque(r, 2, 1, 0xffff, 'key_exchange');
  return { group, keyExchange };
}

/** Decodes the body of a modelled extension type in its context (the type is known allowed there). */
function decodeBody(type: number, r: ByteReader, ctx: Ctx): Extension {
  switch (type) {
    case ExtensionType.SERVER_NAME: {
      if (ctx === EE) return { kind: 'server_name_ack' }; // RFC 6066 §3: empty extension_data
      // RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>. Only host_name(0) is defined and
      // a list may not hold two names of one type, so the list holds exactly one host_name.
      const list = readVec(r, 2, 1, 0xffff, 'server_name_list');
      const nameType = list.u8();
      if (nameType !== 0) throw decodeError(`server_name: unknown name_type ${nameType}`);
      const host = readOpaque(list, 2, 1, 0xffff, 'host_name');
      if (!list.isEmpty) throw decodeError('server_name: more than one name');
      return { kind: 'server_name', hostName: latin1Decode(host) };
    }
    case ExtensionType.SUPPORTED_GROUPS:
      // RFC 8446 §4.2.7: NamedGroup named_group_list<2..2^16-1>.
      return { kind: 'supported_groups', groups: readU16List(r, 2, 2, 0xffff, 'named_group_list') };
    case ExtensionType.SIGNATURE_ALGORITHMS:
      // RFC 8446 §4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>.
      return { kind: 'signature_algorithms', schemes: readU16List(r, 2, 2, 0xfffe, 'supported_signature_algorithms') };
    case ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION: {
      // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>; opaque ProtocolName<1..2^8-1>.
      const list = readVec(r, 2, 2, 0xffff, 'protocol_name_list');
      const protocols: Uint8Array[] = [];
      while (!list.isEmpty) protocols.push(readOpaque(list, 1, 1, 0xff, 'ProtocolName'));
      return { kind: 'alpn', protocols };
    }
    case ExtensionType.PRE_SHARED_KEY: {
      if (ctx === SH) return { kind: 'pre_shared_key_selected', selectedIdentity: r.u16() };
      // RFC 8446 §4.2.11: PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>.
      const ids = readVec(r, 2, 7, 0xffff, 'identities');
      const identities: PskIdentity[] = [];
      while (!ids.isEmpty) {
        const identity = readOpaque(ids, 2, 1, 0xffff, 'identity');
        identities.push({ identity, obfuscatedTicketAge: ids.u32() });
      }
      const bs = readVec(r, 2, 33, 0xffff, 'binders');
      const binders: Uint8Array[] = [];
      while (!bs.isEmpty) binders.push(readOpaque(bs, 1, 32, 255, 'PskBinderEntry'));
      // RFC 8446 §4.2.11: one binder for each identity, in the same order.
      if (binders.length !== identities.length) {
        throw illegalParameter(`pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
      }
      return { kind: 'pre_shared_key', identities, binders };
    }
    case ExtensionType.EARLY_DATA:
      // RFC 8446 §4.2.10: uint32 max_early_data_size in NST, empty in CH and EE.
      if (ctx === NST) return { kind: 'early_data_max', maxEarlyDataSize: r.u32() };
      return { kind: 'early_data' };
    case ExtensionType.SUPPORTED_VERSIONS:
      // RFC 8446 §4.2.1: ProtocolVersion versions<2..254> in CH, one selected_version in SH/HRR.
      if (ctx === CH) return { kind: 'supported_versions', versions: readU16List(r, 1, 2, 254, 'versions') };
      return { kind: 'supported_versions_selected', version: r.u16() };
    case ExtensionType.COOKIE:
      // RFC 8446 §4.2.2: opaque cookie<1..2^16-1>.
      return { kind: 'cookie', cookie: readOpaque(r, 2, 1, 0xffff, 'cookie') };
    case ExtensionType.PSK_KEY_EXCHANGE_MODES: {
      // RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>.
      const v = readVec(r, 1, 1, 255, 'ke_modes');
      const modes: number[] = [];
      while (!v.isEmpty) modes.push(v.u8());
      return { kind: 'psk_key_exchange_modes', modes };
    }
    case ExtensionType.KEY_SHARE: {
      if (ctx === SH) return { kind: 'key_share_server', share: readKeyShareEntry(r) };
      if (ctx === HRR) return { kind: 'key_share_hrr', selectedGroup: r.u16() };
      // RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>.
      const v = readVec(r, 2, 0, 0xffff, 'client_shares');
      const shares: KeyShareEntry[] = [];
      const groups = new Set<number>();
      while (!v.isEmpty) {
        const e = readKeyShareEntry(v);
        // RFC 8446 §4.2.8: one share per group; servers MAY abort with illegal_parameter.
        if (groups.has(e.group)) throw illegalParameter(`key_share: two shares for group 0x${e.group.toString(16)}`);
        groups.add(e.group);
        shares.push(e);
      }
      return { kind: 'key_share', shares };
    }
    case ExtensionType.QUIC_TRANSPORT_PARAMETERS:
      return { kind: 'quic_transport_parameters', data: r.rest().slice() };
    default:
      throw new Error(`unmodelled extension type ${type}`); // unreachable: callers check ALLOWED
  }
}

/**
 * Reads an extension block (extensions<0..2^16-1>, RFC 8446 §4.2) of a message of context `ctx`.
 * - a modelled extension in a message where RFC 8446 §4.2 does not allow it → illegal_parameter;
 * - two extensions of one type → illegal_parameter (RFC 8446 §4.2: "MUST NOT be more than one");
 * - pre_shared_key not last in a ClientHello → illegal_parameter (RFC 8446 §4.2.11);
 * - bytes left over inside a modelled extension → decode_error (RFC 8446 §4.2).
 */
export function decodeExtensions(r: ByteReader, ctx: ExtensionContext): Extension[] {
  const block = readVec(r, 2, 0, 0xffff, 'extensions');
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!block.isEmpty) {
    const type = block.u16();
    const body = readVec(block, 2, 0, 0xffff, 'extension_data');
    if (seen.has(type)) throw illegalParameter(`duplicate extension ${type} in ${ctx}`);
    seen.add(type);
    if (ctx === CH && seen.has(ExtensionType.PRE_SHARED_KEY) && type !== ExtensionType.PRE_SHARED_KEY) {
      throw illegalParameter('pre_shared_key is not the last extension of the ClientHello');
    }
    const allowed = ALLOWED.get(type);
    if (allowed === undefined) {
      out.push({ kind: 'unknown', type, data: body.rest().slice() });
      continue;
    }
    if (!allowed.includes(ctx)) throw illegalParameter(`extension ${type} is not allowed in ${ctx}`);
    const ext = decodeBody(type, body, ctx);
    expectEnd(body, `extension ${ext.kind}`);
    out.push(ext);
  }
  return out;
}

/**
 * RFC 8446 §4.2.11.2: the byte length of the binders list (its 2-byte length and every
 * PskBinderEntry), i.e. how many bytes Truncate(ClientHello) removes from the end.
 */
export function bindersListLength(binders: readonly Uint8Array[]): number {
  let n = 2;
  for (const b of binders) n += 1 + b.length;
  return n;
}
