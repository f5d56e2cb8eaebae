/**
 * `tquic demo` (what `npm start` runs): a walk through the foundation layers, end to end.
 *
 * A client builds a real QUIC v1 Initial datagram — a TLS ClientHello carrying its transport
 * parameters in a CRYPTO frame, padded to 1200 bytes, protected with the Initial keys derived
 * from the destination connection ID — and a server parses, unprotects and decodes it again.
 * This runs once per pair of crypto providers, so each provider opens what the other sealed.
 * Then a client and a server connection move 4 MiB over one stream in memory (sans-IO, no
 * sockets). It becomes a loopback file transfer over UDP once socket I/O exists.
 */
import { getProvider, PROVIDER_NAMES, type CryptoProvider } from '../crypto/index.js';
import { initialKeys } from '../crypto/initial.js';
import { protectPacket, unprotectPacket } from '../crypto/packet-protection.js';
import { CipherSuite, ExtensionType, NamedGroup, SignatureScheme, TLS13_VERSION, LEGACY_VERSION } from '../crypto/tls/constants.js';
import { encodeHandshake, decodeHandshake } from '../crypto/tls/messages.js';
import { findExtension } from '../crypto/tls/extensions.js';
import { HandshakeReassembler } from '../crypto/tls/framer.js';
import { ByteWriter, toHex } from '../util/bytes.js';
import { transfer } from '../bench/core.js';
import { generateDevCertificate } from '../crypto/certgen.js';
import { loadCredentials } from '../crypto/tls/certificates.js';
import { Prng } from '../util/prng.js';
import { encodeFrame, decodeFrames, frameLength } from '../wire/frame-codec.js';
import { checkFrameAllowed } from '../wire/legality.js';
import { frameTypeOf } from '../wire/frame.js';
import { patchLongHeaderLength, splitCoalescedPackets, writeLongHeader } from '../wire/header.js';
import { decodeTransportParameters, defaultTransportParameters, encodeTransportParameters } from '../wire/transport-params.js';
import { QUIC_V1, QUIC_V2, versionName } from '../wire/version.js';

const MIN_INITIAL_DATAGRAM = 1200; // RFC 9000 §14.1
const TAG = 16;

interface Built {
  datagram: Uint8Array;
  dcid: Uint8Array;
  cryptoLength: number;
}

/** Client side: ClientHello → CRYPTO frame → padded, protected Initial. */
function buildClientInitial(provider: CryptoProvider, prng: Prng): Built {
  const dcid = prng.bytes(8);
  const scid = prng.bytes(8);
  const tp = encodeTransportParameters(
    defaultTransportParameters({
      initialSourceConnectionId: scid,
      maxIdleTimeoutMs: 30_000,
      initialMaxData: 1 << 20,
      initialMaxStreamDataBidiLocal: 256 << 10,
      initialMaxStreamDataBidiRemote: 256 << 10,
      initialMaxStreamDataUni: 256 << 10,
      initialMaxStreamsBidi: 100,
      initialMaxStreamsUni: 3,
      maxDatagramFrameSize: 1200,
      initialMaxPathId: 3,
      versionInformation: { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] },
    }),
    { grease: 1, prng },
  );
  const clientHello = encodeHandshake({
    kind: 'client_hello',
    legacyVersion: LEGACY_VERSION,
    random: prng.bytes(32),
    legacySessionId: new Uint8Array(0),
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
    extensions: [
      { kind: 'server_name', hostName: 'localhost' },
      { kind: 'supported_versions', versions: [TLS13_VERSION] },
      { kind: 'supported_groups', groups: [NamedGroup.X25519, NamedGroup.SECP256R1] },
      // The key share is 32 placeholder bytes here: key exchange arrives with the TLS engine.
      { kind: 'key_share', shares: [{ group: NamedGroup.X25519, keyExchange: prng.bytes(32) }] },
      { kind: 'signature_algorithms', schemes: [SignatureScheme.ECDSA_SECP256R1_SHA256, SignatureScheme.ED25519, SignatureScheme.RSA_PSS_RSAE_SHA256] },
      { kind: 'alpn', protocols: [new TextEncoder().encode('h3')] },
      { kind: 'quic_transport_parameters', data: tp },
    ],
  });

  // One copy on transmit: header, frames and padding are written straight into the datagram.
  const buf = new Uint8Array(MIN_INITIAL_DATAGRAM);
  const w = new ByteWriter(buf);
  const packetNumber = 0;
  const pnOffset = writeLongHeader(w, { type: 'initial', version: QUIC_V1, dcid, scid, packetNumber, pnLength: 1 });
  const crypto = { kind: 'crypto' as const, offset: 0, data: clientHello };
  encodeFrame(w, crypto);
  const room = MIN_INITIAL_DATAGRAM - TAG - w.offset; // RFC 9000 §14.1: pad the client Initial
  if (room > 0) encodeFrame(w, { kind: 'padding', length: room });
  const payloadEnd = w.offset;
  patchLongHeaderLength(buf, 0, pnOffset, payloadEnd + TAG);
  const keys = initialKeys(provider, QUIC_V1, dcid, false);
  const end = protectPacket(keys.seal, buf, pnOffset, payloadEnd, packetNumber);
  return { datagram: buf.subarray(0, end), dcid, cryptoLength: frameLength(crypto) };
}

/** Server side: split, unprotect, decode frames, reassemble and decode the ClientHello. */
function receiveClientInitial(provider: CryptoProvider, datagram: Uint8Array, log: (s: string) => void): boolean {
  const split = splitCoalescedPackets(datagram, { shortDcidLength: 8 });
  if (split.error || split.packets.length !== 1) {
    log(`  server: datagram rejected: ${split.error?.message ?? 'no packet'}`);
    return false;
  }
  const h = split.packets[0]!;
  log(`  server: ${h.type} packet, ${versionName(h.version)}, dcid ${toHex(h.dcid)}, scid ${toHex(h.scid)}, ${h.packetLength} bytes`);
  const keys = initialKeys(provider, h.version, h.dcid, true);
  const packet = datagram.subarray(h.start, h.start + h.packetLength);
  const un = unprotectPacket(keys.open, packet, h.pnOffset, -1);
  if (un === null) {
    log('  server: packet failed to authenticate');
    return false;
  }
  const frames = decodeFrames(un.payload);
  for (const f of frames) checkFrameAllowed(frameTypeOf(f), 'initial');
  log(`  server: packet number ${un.pn}, frames: ${frames.map((f) => (f.kind === 'padding' ? `padding×${f.length}` : f.kind)).join(', ')}`);
  const reassembler = new HandshakeReassembler();
  for (const f of frames) if (f.kind === 'crypto') reassembler.push(f.data);
  const raw = reassembler.next();
  if (!raw) return false;
  const msg = decodeHandshake(raw.raw);
  if (msg.kind !== 'client_hello') return false;
  const sni = findExtension(msg.extensions, 'server_name');
  const alpn = findExtension(msg.extensions, 'alpn');
  const tpExt = findExtension(msg.extensions, 'quic_transport_parameters');
  log(
    `  server: ClientHello, ${msg.cipherSuites.length} cipher suites, SNI ${sni?.hostName ?? '-'}, ALPN ${alpn?.protocols.map((p) => new TextDecoder().decode(p)).join(',') ?? '-'}`,
  );
  if (!tpExt) return false;
  const tp = decodeTransportParameters(tpExt.data, { sender: 'client' });
  log(
    `  server: transport parameters (extension 0x${ExtensionType.QUIC_TRANSPORT_PARAMETERS.toString(16)}): idle ${tp.maxIdleTimeoutMs} ms, max_data ${tp.initialMaxData}, ` +
      `streams ${tp.initialMaxStreamsBidi} bidi / ${tp.initialMaxStreamsUni} uni, datagrams ≤ ${tp.maxDatagramFrameSize} B, ` +
      `multipath ${tp.initialMaxPathId !== undefined ? `(max path ID ${tp.initialMaxPathId})` : 'off'}, versions ${tp.versionInformation?.availableVersions.map(versionName).join(', ') ?? '-'}`,
  );
  return true;
}

export default async function demo(values: Record<string, unknown>): Promise<number> {
  const log = (s: string): void => void process.stdout.write(s + '\n');
  let names: readonly string[] = PROVIDER_NAMES;
  if (typeof values.crypto === 'string') {
    if (!PROVIDER_NAMES.includes(values.crypto as never)) {
      process.stderr.write(`tquic demo: unknown crypto provider '${values.crypto}' (choose ${PROVIDER_NAMES.join(' or ')})\n`);
      return 2;
    }
    names = [values.crypto];
  }
  log('tquic demo: a QUIC v1 client Initial, built, protected, parsed and unprotected (RFC 9000 §17.2.2, RFC 9001 §5)');
  let ok = true;
  for (const sealer of names) {
    for (const opener of names) {
      const prng = new Prng(2026);
      log(`\nclient seals with '${sealer}', server opens with '${opener}'`);
      const built = buildClientInitial(getProvider(sealer), prng);
      log(`  client: Initial to dcid ${toHex(built.dcid)}: CRYPTO frame of ${built.cryptoLength} bytes, padded datagram of ${built.datagram.length} bytes`);
      const good = receiveClientInitial(getProvider(opener), built.datagram, log);
      // A single flipped bit must make the packet fail to authenticate (RFC 9001 §5.3).
      const tampered = built.datagram.slice();
      tampered[tampered.length - 40]! ^= 0x01;
      const split = splitCoalescedPackets(tampered, { shortDcidLength: 8 });
      const h = split.packets[0];
      const rejected =
        h !== undefined && unprotectPacket(initialKeys(getProvider(opener), QUIC_V1, h.dcid, true).open, tampered.subarray(0, h.packetLength), h.pnOffset, -1) === null;
      log(`  server: the same datagram with one bit flipped is ${rejected ? 'rejected' : 'ACCEPTED (bug)'}`);
      ok &&= good && rejected;
    }
  }
  // The connection core, sans-IO: a client and a server endpoint in memory, one stream of 4 MiB.
  const pem = await generateDevCertificate();
  const credentials = loadCredentials(pem.certPem, pem.keyPem);
  for (const name of names) {
    const r = transfer(getProvider(name), credentials, 4 << 20, 1200);
    log(
      `\nin-memory connection with '${name}': TLS 1.3 handshake, then ${(r.bytes / 1048576).toFixed(0)} MiB on one stream in ${r.packets} packets, ` +
        `${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s of CPU time`,
    );
  }
  log(ok ? '\nall checks passed' : '\nsome checks FAILED');
  return ok ? 0 : 1;
}
