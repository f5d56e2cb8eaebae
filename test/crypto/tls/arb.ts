/**
 * fast-check arbitraries for TLS handshake messages: valid values only (what the decoder
 * accepts), per extension context (RFC 8446 §4.2 table), without duplicate extension types and
 * with pre_shared_key last in a ClientHello.
 */
import type { Arbitrary } from 'fast-check';
import { fc } from '../../support/fc.js';
import { ExtensionType, isHrrRandom } from '../../../src/crypto/tls/constants.js';
import { type Extension, type ExtensionContext, extensionType } from '../../../src/crypto/tls/extensions.js';
import type { HandshakeMessage } from '../../../src/crypto/tls/messages.js';

const MODELLED = new Set<number>([
  ExtensionType.SERVER_NAME,
  ExtensionType.SUPPORTED_GROUPS,
  ExtensionType.SIGNATURE_ALGORITHMS,
  ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
  ExtensionType.PRE_SHARED_KEY,
  ExtensionType.EARLY_DATA,
  ExtensionType.SUPPORTED_VERSIONS,
  ExtensionType.COOKIE,
  ExtensionType.PSK_KEY_EXCHANGE_MODES,
  ExtensionType.KEY_SHARE,
  ExtensionType.QUIC_TRANSPORT_PARAMETERS,
]);

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const u16s = (minLength: number) => fc.array(u16, { minLength, maxLength: 8 });

/** RFC 8701 GREASE values (0x?a?a) and arbitrary unmodelled types. */
const unknownType = fc.oneof(
  fc.integer({ min: 0, max: 15 }).map((i) => ((i << 12) | 0x0a00 | (i << 4) | 0x0a)),
  u16.filter((t) => !MODELLED.has(t)),
);
const unknownExt: Arbitrary<Extension> = fc.record({ kind: fc.constant('unknown' as const), type: unknownType, data: bytes(0, 24) });

const keyShareEntry = fc.record({ group: u16, keyExchange: bytes(1, 40) });

const ext = {
  server_name: fc.record({ kind: fc.constant('server_name' as const), hostName: bytes(1, 30).map((b) => String.fromCharCode(...b)) }),
  server_name_ack: fc.constant({ kind: 'server_name_ack' as const }),
  supported_groups: fc.record({ kind: fc.constant('supported_groups' as const), groups: u16s(1) }),
  signature_algorithms: fc.record({ kind: fc.constant('signature_algorithms' as const), schemes: u16s(1) }),
  alpn: fc.record({ kind: fc.constant('alpn' as const), protocols: fc.array(bytes(1, 12), { minLength: 1, maxLength: 4 }) }),
  pre_shared_key: fc
    .array(fc.record({ identity: bytes(1, 40), obfuscatedTicketAge: u32, binder: bytes(32, 48) }), { minLength: 1, maxLength: 3 })
    .map((l) => ({
      kind: 'pre_shared_key' as const,
      identities: l.map(({ identity, obfuscatedTicketAge }) => ({ identity, obfuscatedTicketAge })),
      binders: l.map((x) => x.binder),
    })),
  pre_shared_key_selected: fc.record({ kind: fc.constant('pre_shared_key_selected' as const), selectedIdentity: u16 }),
  early_data: fc.constant({ kind: 'early_data' as const }),
  early_data_max: fc.record({ kind: fc.constant('early_data_max' as const), maxEarlyDataSize: u32 }),
  supported_versions: fc.record({ kind: fc.constant('supported_versions' as const), versions: u16s(1) }),
  supported_versions_selected: fc.record({ kind: fc.constant('supported_versions_selected' as const), version: u16 }),
  cookie: fc.record({ kind: fc.constant('cookie' as const), cookie: bytes(1, 40) }),
  psk_key_exchange_modes: fc.record({ kind: fc.constant('psk_key_exchange_modes' as const), modes: fc.array(u8, { minLength: 1, maxLength: 3 }) }),
  key_share: fc.record({
    kind: fc.constant('key_share' as const),
    shares: fc.uniqueArray(keyShareEntry, { maxLength: 3, selector: (e) => e.group }),
  }),
  key_share_server: fc.record({ kind: fc.constant('key_share_server' as const), share: keyShareEntry }),
  key_share_hrr: fc.record({ kind: fc.constant('key_share_hrr' as const), selectedGroup: u16 }),
  quic_transport_parameters: fc.record({ kind: fc.constant('quic_transport_parameters' as const), data: bytes(0, 30) }),
} satisfies { [K in Exclude<Extension['kind'], 'unknown'>]: Arbitrary<Extract<Extension, { kind: K }>> };

const PER_CONTEXT: Record<ExtensionContext, Arbitrary<Extension>[]> = {
  client_hello: [
    ext.server_name, ext.supported_groups, ext.signature_algorithms, ext.alpn, ext.pre_shared_key, ext.early_data,
    ext.supported_versions, ext.cookie, ext.psk_key_exchange_modes, ext.key_share, ext.quic_transport_parameters,
  ],
  server_hello: [ext.pre_shared_key_selected, ext.supported_versions_selected, ext.key_share_server],
  hello_retry_request: [ext.supported_versions_selected, ext.cookie, ext.key_share_hrr],
  encrypted_extensions: [ext.server_name_ack, ext.supported_groups, ext.alpn, ext.early_data, ext.quic_transport_parameters],
  certificate: [],
  certificate_request: [ext.server_name, ext.signature_algorithms],
  new_session_ticket: [ext.early_data_max],
};

/** A valid extension block for a context. */
export function extensions(ctx: ExtensionContext): Arbitrary<Extension[]> {
  const one = fc.oneof(unknownExt, ...PER_CONTEXT[ctx]);
  return fc
    .uniqueArray(one, { maxLength: 6, selector: extensionType })
    .map((l) => [...l.filter((e) => e.kind !== 'pre_shared_key'), ...l.filter((e) => e.kind === 'pre_shared_key')]);
}

const random = bytes(32, 32);

export const clientHello = fc.record({
  kind: fc.constant('client_hello' as const),
  legacyVersion: u16,
  random,
  legacySessionId: bytes(0, 32),
  cipherSuites: u16s(1),
  extensions: extensions('client_hello'),
});

export const handshakeMessage: Arbitrary<HandshakeMessage> = fc.oneof(
  clientHello,
  fc.record({
    kind: fc.constant('server_hello' as const),
    legacyVersion: u16,
    random: random.filter((r) => !isHrrRandom(r)),
    legacySessionIdEcho: bytes(0, 32),
    cipherSuite: u16,
    extensions: extensions('server_hello'),
  }),
  fc.record({
    kind: fc.constant('hello_retry_request' as const),
    legacyVersion: u16,
    legacySessionIdEcho: bytes(0, 32),
    cipherSuite: u16,
    extensions: extensions('hello_retry_request'),
  }),
  fc.record({ kind: fc.constant('encrypted_extensions' as const), extensions: extensions('encrypted_extensions') }),
  fc.record({
    kind: fc.constant('certificate' as const),
    requestContext: bytes(0, 8),
    certificateList: fc.array(fc.record({ certData: bytes(1, 60), extensions: extensions('certificate') }), { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('certificate_request' as const), requestContext: bytes(0, 8), extensions: extensions('certificate_request') }),
  fc.record({ kind: fc.constant('certificate_verify' as const), algorithm: u16, signature: bytes(0, 80) }),
  fc.record({ kind: fc.constant('finished' as const), verifyData: bytes(0, 64) }),
  fc.record({
    kind: fc.constant('new_session_ticket' as const),
    ticketLifetime: u32,
    ticketAgeAdd: u32,
    ticketNonce: bytes(0, 16),
    ticket: bytes(1, 60),
    extensions: extensions('new_session_ticket'),
  }),
  fc.record({ kind: fc.constant('key_update' as const), requestUpdate: fc.constantFrom(0 as const, 1 as const) }),
  fc.constant({ kind: 'end_of_early_data' as const }),
);
