/**
 * Options of the public API (`listen`, `connect`) and their translation into the core's
 * ConnectionConfig.
 */
import { configuredPathManager, type MultipathConfig } from '../connection/multipath.js';
import { checkFecConfig, type FecConfig } from '../connection/fec.js';
import { schedulerNames } from '../paths/index.js';
import { rootCertificates } from 'node:tls';
import { transportSettings, type ConnectionConfig, type TransportSettings } from '../connection/config.js';
import { congestionControllerNames } from '../recovery/cc/registry.js';
import { getProvider } from '../crypto/index.js';
import { isSupportedSuite, type CipherSuite, type CryptoProvider } from '../crypto/provider.js';
import { SUPPORTED_VERSIONS } from '../wire/version.js';
import { createQlogSink, hasQlogSink, qlogSinkNames, type QlogSinkOptions } from '../qlog/registry.js';
import { toHex } from '../util/bytes.js';
import type { DriverWarning } from './udp.js';
import { loadTrustAnchors, readPem, type PemSource } from './files.js';
import { loadCertificateChain } from '../crypto/tls/certificates.js';

export type { PemSource } from './files.js';
export type { DriverWarning } from './udp.js';

/** Options shared by `listen` and `connect`. */
export interface CommonOptions {
  /** Application protocols (ALPN, RFC 9001 §8.1), in preference order. Required by QUIC. */
  alpn: string[];
  /** Transport parameters and limits (windows, stream counts, datagram size …); see TransportSettings. */
  transport?: Partial<TransportSettings>;
  /** max_idle_timeout in ms (RFC 9000 §10.1); shorthand for transport.maxIdleTimeoutMs (default 30 000). */
  idleTimeoutMs?: number;
  /** Congestion controller by registry name: 'cubic' (default), 'newreno'. */
  congestionControl?: string;
  /**
   * RFC 9221 DATAGRAM support: true advertises max_datagram_frame_size 65535, a number
   * advertises that size; shorthand for transport.maxDatagramFrameSize (default: off).
   */
  datagrams?: boolean | number;
  /** Crypto provider: 'node' (OpenSSL, the default) or 'noble' (pure JavaScript). */
  crypto?: 'node' | 'noble';
  /**
   * TLS cipher suites in preference order, e.g. [0x1303] for TLS_CHACHA20_POLY1305_SHA256 only:
   * what a client offers, what a server accepts (default 0x1301, 0x1302, 0x1303).
   */
  cipherSuites?: CipherSuite[];
  /** Writes one JSON-SEQ qlog file per connection here: `<original DCID hex>_<client|server>.sqlog`. */
  qlogDir?: string;
  /**
   * A registered qlog sink (qlog/registry.ts: 'memory', 'jsonseq', 'null' or a plug-in's) for
   * every connection: its name, or its name with the options its factory takes. `qlogDir`, when
   * also given, wins.
   */
  qlogSink?: string | { name: string; options?: QlogSinkOptions };
  /** Appends NSS key log lines (SSLKEYLOGFILE format) to this file, for Wireshark. */
  keylog?: string;
  /**
   * Socket receive / send buffer sizes in bytes (default 2 MiB each), applied after bind; the
   * kernel may cap them (Linux: net.core.rmem_max / wmem_max), which is reported as a warning
   * only when setting fails. ECN is not available: node:dgram can neither set nor read the
   * ECN bits, so paths are treated as not ECN-capable (RFC 9000 §13.4.2.2).
   */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Length of the connection IDs we issue (0–20, default 8). */
  cidLength?: number;
  /**
   * QUIC versions in preference order (RFC 9368), e.g. [QUIC_V2, QUIC_V1]: a client's offer in
   * version_information, a server's accepted versions (default v1, v2; a server picks among the
   * client's offer by this order, switching compatible versions without a round trip).
   */
  versions?: number[];
  /** Non-fatal problems: socket buffer sizes refused, send errors, malformed datagrams. */
  onWarning?: (w: DriverWarning) => void;
  /**
   * Multipath (draft-ietf-quic-multipath-21): offer it (initial_max_path_id); with a peer that
   * does too, a client opens paths with `openPath` and a server accepts them. `maxPathId`
   * (default 4), `scheduler` ('minrtt' default, 'roundrobin', 'redundant', 'backup',
   * 'weighted', or a registered one), `pathManager` / `pathManagerOptions` (the policy that
   * opens, closes and prefers paths: 'passive' default, 'all-addresses', or a registered one;
   * connection/path-manager.ts). The socket API binds no sockets for a path manager:
   * `localAddresses` must be addresses the host already has sockets on (each
   * QuicConnection.openPath binds one; datagrams from any other address are dropped as
   * unroutable); otherwise leave the manager at 'passive' and call `openPath`.
   */
  multipath?: MultipathConfig;
  /**
   * Forward error correction (specs/fec.md): offer it; with a peer that does too, packets with
   * stream or datagram data are protected by repair packets and lost ones rebuilt from the
   * peer's. `scheme` 'rs' (default), 'xor', 'rlc', 'rlc2'; `ratio` '10:2' (default) or
   * `adaptive`; `policy` a registered policy name or 'off'. Both ends must set it.
   */
  fec?: FecConfig;
}

/** The parts of a ConnectionConfig both roles share. */
export function baseConfig(o: CommonOptions): Pick<ConnectionConfig, 'provider' | 'alpn' | 'transport' | 'cidLength' | 'cipherSuites' | 'versions' | 'multipath' | 'fec' | 'qlogFor'> {
  if (!Array.isArray(o.alpn) || o.alpn.length === 0 || o.alpn.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 255)) {
    throw new RangeError('alpn: give at least one application protocol name of 1..255 characters (RFC 9001 §8.1)');
  }
  const transport: Partial<TransportSettings> = { ...(o.transport ?? {}) };
  if (o.idleTimeoutMs !== undefined) {
    if (!(Number.isFinite(o.idleTimeoutMs) && o.idleTimeoutMs >= 0)) throw new RangeError('idleTimeoutMs must be a non-negative number');
    transport.maxIdleTimeoutMs = o.idleTimeoutMs;
  }
  if (o.congestionControl !== undefined) transport.congestionControl = o.congestionControl;
  // node:dgram can neither set nor read the IP ECN bits: never claim ECT (RFC 9000 §13.4.2.2).
  transport.ecn = false;
  // Settings errors surface here, not on the first datagram (validated as the core does).
  transportSettings({ provider: providerOf(o.crypto), alpn: o.alpn, transport });
  if (transport.congestionControl !== undefined && !congestionControllerNames().includes(transport.congestionControl)) {
    throw new RangeError(`unknown congestion controller "${transport.congestionControl}" (known: ${congestionControllerNames().join(', ')})`);
  }
  if (o.datagrams !== undefined && o.datagrams !== false) {
    const size = o.datagrams === true ? 65535 : o.datagrams;
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError('datagrams must be true or a positive integer (max_datagram_frame_size)');
    transport.maxDatagramFrameSize = size;
  }
  if (o.cipherSuites !== undefined) {
    if (!Array.isArray(o.cipherSuites) || o.cipherSuites.length === 0) throw new RangeError('cipherSuites: give at least one cipher suite');
    for (const s of o.cipherSuites as number[]) {
      if (!isSupportedSuite(s)) throw new RangeError(`cipherSuites: unsupported cipher suite ${Number.isInteger(s) ? `0x${s.toString(16)}` : String(s)}`);
    }
  }
  if (o.versions !== undefined) {
    if (!Array.isArray(o.versions) || o.versions.length === 0) throw new RangeError('versions: give at least one QUIC version');
    for (const v of o.versions) checkVersion(v, 'versions');
  }
  return {
    provider: providerOf(o.crypto),
    alpn: [...o.alpn],
    ...(o.versions !== undefined ? { versions: [...o.versions] } : {}),
    transport,
    ...(o.cidLength !== undefined ? { cidLength: o.cidLength } : {}),
    ...(o.cipherSuites !== undefined ? { cipherSuites: [...o.cipherSuites] } : {}),
    ...(o.multipath !== undefined ? { multipath: checkMultipath(o.multipath) } : {}),
    ...(o.fec !== undefined ? { fec: checkedFec(o.fec) } : {}),
    ...(o.qlogSink !== undefined && o.qlogDir === undefined ? { qlogFor: qlogSinkFor(o.qlogSink) } : {}),
  };
}

/** The per-connection factory of the `qlogSink` option (the name checked against the registry now). */
function qlogSinkFor(option: string | { name: string; options?: QlogSinkOptions }): NonNullable<ConnectionConfig['qlogFor']> {
  const { name, options } = typeof option === 'string' ? { name: option, options: {} } : option;
  if (!hasQlogSink(name)) throw new RangeError(`unknown qlog sink "${name}" (known: ${qlogSinkNames().join(', ')})`);
  return ({ isClient, originalDcid }) => createQlogSink(name, { role: isClient ? 'client' : 'server', odcid: toHex(originalDcid) }, options ?? {});
}

/** FEC options, checked (a RangeError names what is wrong). */
function checkedFec(f: FecConfig): FecConfig {
  checkFecConfig(f);
  return { ...f };
}

/** Multipath options, checked (scheduler names against the registry). */
function checkMultipath(m: MultipathConfig): MultipathConfig {
  if (m.maxPathId !== undefined && !(Number.isInteger(m.maxPathId) && m.maxPathId >= 0 && m.maxPathId <= 0xffffffff)) throw new RangeError('multipath.maxPathId must be an integer 0..2^32-1');
  if (m.scheduler !== undefined && !schedulerNames().includes(m.scheduler)) throw new RangeError(`unknown multipath scheduler "${m.scheduler}" (known: ${schedulerNames().join(', ')})`);
  // The path manager's name and options (with abandonAfterPtos) are checked by making one now.
  configuredPathManager(m);
  return { ...m };
}

/** A QUIC version tquic can use (v1 or v2), else a RangeError naming the option. */
export function checkVersion(v: unknown, option: string): void {
  if (typeof v !== 'number' || !SUPPORTED_VERSIONS.includes(v)) throw new RangeError(`${option}: unsupported QUIC version ${typeof v === 'number' ? `0x${(v >>> 0).toString(16)}` : String(v)} (supported: v1 0x1, v2 0x6b3343cf)`);
}

export function providerOf(name: string | undefined): CryptoProvider {
  return getProvider(name ?? 'node');
}

let systemRoots: Uint8Array[] | undefined;

/**
 * Trust anchors by the PEM text they were loaded from (files are read again on every connect,
 * so a changed file is seen). One array per text, so the verifier recognises the set and reuses
 * its parses (crypto/certificate-cache.ts `anchorSet`, which still compares the bytes).
 */
const anchorsByPem = new Map<string, Uint8Array[]>();
const MAX_ANCHOR_TEXTS = 16;

/** The trust anchors for a client: `ca` if given, else Node's bundled root certificates. */
export function trustAnchors(ca: PemSource | readonly PemSource[] | undefined): Uint8Array[] {
  if (ca === undefined) {
    systemRoots ??= loadTrustAnchors(rootCertificates);
    return systemRoots;
  }
  const list = Array.isArray(ca) ? (ca as readonly PemSource[]) : [ca as PemSource];
  if (list.length === 0) return loadTrustAnchors(list); // its error
  const texts = list.map((c) => readPem(c, 'ca'));
  const text = texts.length === 1 ? texts[0]! : texts.join('\0');
  let anchors = anchorsByPem.get(text);
  if (anchors === undefined) {
    // As loadTrustAnchors, from the texts just read.
    anchors = texts.flatMap((t) => loadCertificateChain(t));
    if (anchorsByPem.size >= MAX_ANCHOR_TEXTS) anchorsByPem.clear();
    anchorsByPem.set(text, anchors);
  }
  return anchors;
}
