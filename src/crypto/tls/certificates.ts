/**
 * Certificates for the TLS 1.3 engine (RFC 9846 §4.4.2): loading our own chain and key, and
 * checking the peer's chain. X.509 parsing, signature checks and name matching are node:crypto's
 * `X509Certificate` (OpenSSL); nothing here decodes DER by hand.
 *
 * Sans-IO (DESIGN §1): the verifier never reads a clock. The caller passes `timeMs`, the wall
 * time in milliseconds since the Unix epoch, read once at the edge.
 *
 * Alerts (RFC 9846 §6.2 leaves the choice among the certificate alerts to the implementation):
 *
 * | condition                                                   | alert                   |
 * |-------------------------------------------------------------|-------------------------|
 * | empty chain (§4.4.2.4), DER that does not parse or has trailing bytes | decode_error  |
 * | too many certificates, an oversized certificate, an unusable date, a non-CA intermediate, a weak (RSA < 2048) key | bad_certificate |
 * | leaf key of a type tquic cannot verify with (e.g. RSA-PSS keys, Ed448) | unsupported_certificate |
 * | no path to a trust anchor                                   | unknown_ca              |
 * | a certificate on the path outside its validity at timeMs    | certificate_expired     |
 * | host name / IP address not in the leaf's subjectAltName      | bad_certificate ("host name mismatch") |
 *
 * Parses are cached by the exact DER bytes (crypto/certificate-cache.ts) with what follows from
 * those bytes alone (validity period, leaf key, host matches, issuer signatures); the validity
 * period is compared with `timeMs` on every call.
 *
 * Scope (documented limits): no revocation (CRL/OCSP), no name constraints or pathLen checks,
 * no extended key usage check, and signature algorithms of certificates are not inspected
 * (node 20's X509Certificate does not expose them), so §4.4.2.4's MD5/SHA-1 rejection relies on
 * the trust anchors not issuing such certificates.
 */
import { X509Certificate } from 'node:crypto';
import { anchorSet, certificateCache, parseUncached, type CertificateCache, type ParsedCertificate } from '../certificate-cache.js';
import { loadSigningKey, verifyKeyOfCertificate, type SigningKey, type VerifyKey } from '../signing.js';
import { AlertDescription, tlsAlert } from './alert.js';

export type { SigningKey, VerifyKey } from '../signing.js';

/** At most this many certificates in a peer's chain (leaf included). */
export const MAX_CHAIN_LENGTH = 10;
/** At most this many bytes per certificate. */
export const MAX_CERTIFICATE_SIZE = 64 * 1024;

/** Our certificate chain (DER, leaf first) and the leaf's private key. */
export interface TlsCredentials {
  readonly chain: Uint8Array[];
  readonly key: SigningKey;
}

/**
 * How a peer's chain is checked. `insecure` checks only that the leaf parses and has a usable
 * key (CertificateVerify is still checked against it). `ca` builds a path to one of `ca` (DER
 * trust anchors), checks validity at `timeMs` and matches `host` against the leaf.
 */
export type CertificateVerification =
  | { readonly mode: 'insecure' }
  | {
      readonly mode: 'ca';
      /** DER trust anchors: CA certificates, or a pinned (e.g. self-signed) leaf. */
      readonly ca: readonly Uint8Array[];
      /** DNS name or IP literal (IPv6 with or without brackets) expected in the leaf. */
      readonly host: string;
      /** Wall time in ms since the Unix epoch, supplied by the caller (the core never reads a clock). */
      readonly timeMs: number;
    };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The DER certificates of a PEM file, in file order (leaf first). RangeError when none parses. */
export function loadCertificateChain(pem: string): Uint8Array[] {
  if (typeof pem !== 'string') throw new RangeError('certificate chain: expected PEM text');
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new RangeError('certificate chain: no "-----BEGIN CERTIFICATE-----" block in PEM');
  return blocks.map((block, i) => {
    try {
      return new Uint8Array(pemBlockDer(block) ?? new X509Certificate(block).raw);
    } catch (e) {
      throw new RangeError(`certificate chain: certificate #${i + 1} does not parse (${(e as Error).message})`);
    }
  });
}

const PEM_BODY = /^-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/\r\n]+={0,2}\r?\n)-----END CERTIFICATE-----$/;

/**
 * The DER of a plain PEM certificate block (RFC 7468 §2: base64 lines, nothing else), parsed
 * through the certificate cache, so the same PEM (trust anchors loaded per connection) is
 * parsed once. Undefined for a block of any other shape or whose DER is not exactly one
 * certificate: X509Certificate's own PEM reader then handles it (and words any error) as before.
 */
function pemBlockDer(block: string): Uint8Array | undefined {
  const m = PEM_BODY.exec(block);
  if (m === null) return undefined;
  const der = Buffer.from(m[1]!, 'base64');
  try {
    const cert = certificateCache.get(der);
    return cert.der.length === der.length ? cert.der : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Our chain and key from PEM. The key must belong to the leaf certificate (RangeError
 * otherwise): a mismatch would only show up as the peer's decrypt_error on CertificateVerify.
 */
export function loadCredentials(certPem: string, keyPem: string): TlsCredentials {
  const chain = loadCertificateChain(certPem);
  const key = loadSigningKey(keyPem);
  const leaf = certificateCache.get(chain[0]!).x509;
  if (!leaf.checkPrivateKey(key.keyObject)) {
    throw new RangeError(`credentials: the private key does not match the certificate ${leaf.subject.replace(/\n/g, ', ')}`);
  }
  return { chain, key };
}

/** Parses one certificate of a peer's chain (through the cache): TLS alerts only. */
function parsePeer(der: Uint8Array, index: number): ParsedCertificate {
  if (!(der instanceof Uint8Array) || der.length === 0) throw tlsAlert(AlertDescription.DECODE_ERROR, `certificate #${index} is empty`);
  if (der.length > MAX_CERTIFICATE_SIZE) {
    throw tlsAlert(AlertDescription.BAD_CERTIFICATE, `certificate #${index} is ${der.length} bytes (limit ${MAX_CERTIFICATE_SIZE})`);
  }
  let cert: ParsedCertificate;
  try {
    cert = certificateCache.get(der);
  } catch (e) {
    throw tlsAlert(AlertDescription.DECODE_ERROR, `certificate #${index} does not parse: ${(e as Error).message}`);
  }
  // cert_data is exactly one DER certificate (RFC 9846 §4.4.2): no trailing bytes, and no PEM
  // text (which X509Certificate would otherwise accept). Such input is never cached.
  if (cert.der.length !== der.length) throw tlsAlert(AlertDescription.DECODE_ERROR, `certificate #${index} is not a single DER certificate`);
  return cert;
}

/** Parses a local trust anchor (through `cache` when given): RangeError (configuration). */
function parseAnchor(der: Uint8Array, index: number, cache: CertificateCache | undefined): ParsedCertificate {
  try {
    return cache !== undefined ? cache.get(der) : parseUncached(der);
  } catch (e) {
    throw new RangeError(`trust anchor #${index} does not parse (${(e as Error).message})`);
  }
}

/**
 * Whether `issuer` issued `cert`: issuer/subject names and key identifiers match
 * (`cert.checkIssued(issuer)`, i.e. OpenSSL's X509_check_issued) and the signature verifies.
 * Remembered per pair of parses: it depends on the two certificates' bytes alone.
 */
function issued(issuer: ParsedCertificate, cert: ParsedCertificate): boolean {
  return cert.issuedBy(issuer, checkIssued);
}

function checkIssued(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The certificate's validity period in ms since the epoch. */
function validity(cert: ParsedCertificate): readonly [number, number] {
  const period = cert.validity;
  if (!Number.isFinite(period[0]) || !Number.isFinite(period[1])) {
    throw tlsAlert(AlertDescription.BAD_CERTIFICATE, `certificate has an unusable validity period (${cert.x509.validFrom} – ${cert.x509.validTo})`);
  }
  return period;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** An IP literal (IPv4 dotted quad, or anything with a colon: IPv6), without brackets; else undefined. */
function ipLiteral(host: string): string | undefined {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return IPV4.test(h) || h.includes(':') ? h : undefined;
}

/**
 * RFC 9525 §6 (RFC 6125): the reference identity must match a subjectAltName entry: a DNS name
 * (a wildcard only as the whole left-most label) or, for an IP literal, an iPAddress entry. The
 * subject common name is not consulted.
 */
function matchesHost(leaf: ParsedCertificate, host: string): boolean {
  return leaf.hostMatch(host, matchHost);
}

function matchHost(leaf: X509Certificate, host: string): boolean {
  try {
    const ip = ipLiteral(host);
    if (ip !== undefined) return leaf.checkIP(ip) !== undefined;
    const name = host.endsWith('.') ? host.slice(0, -1) : host;
    if (name.length === 0) return false;
    return (
      leaf.checkHost(name, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false }) !==
      undefined
    );
  } catch {
    return false;
  }
}

/**
 * Checks a peer's certificate chain (DER, leaf first, as in the Certificate message) and
 * returns the leaf's verify key for CertificateVerify. Throws only TransportError (TLS alerts,
 * see the table above), except RangeError for bad local options (unparseable trust anchor,
 * non-finite timeMs).
 *
 * In `ca` mode the path is built from the leaf: at each step a certificate that is itself a
 * trust anchor (byte-identical; e.g. a pinned self-signed leaf) ends the path, else a trust
 * anchor that is a CA and issued it ends the path, else another certificate from the chain
 * that issued it becomes the next step and must be a CA. The chain may be in any order and
 * carry extra certificates (RFC 9846 §4.4.2: each following certificate SHOULD certify the one
 * before it); unused ones are ignored. Every certificate on the path (anchor included) must be
 * within its validity period at `timeMs`; then the host is matched against the leaf.
 */
export function verifyCertificateChain(chain: readonly Uint8Array[], opts: CertificateVerification): VerifyKey {
  // RFC 9846 §4.4.2.4: an empty server Certificate message is a decode_error.
  if (chain.length === 0) throw tlsAlert(AlertDescription.DECODE_ERROR, 'empty certificate chain');
  if (chain.length > MAX_CHAIN_LENGTH) {
    throw tlsAlert(AlertDescription.BAD_CERTIFICATE, `certificate chain of ${chain.length} certificates (limit ${MAX_CHAIN_LENGTH})`);
  }
  const certs = chain.map((der, i) => parsePeer(der, i));
  const leaf = certs[0]!;
  const key = verifyKeyOfCertificate(leaf);
  if (opts.mode === 'insecure') return key;
  if (opts.mode !== 'ca') throw new RangeError(`certificate verification: unknown mode ${(opts as { mode: unknown }).mode}`);
  if (!Number.isFinite(opts.timeMs)) throw new RangeError('certificate verification: timeMs must be a finite number (ms since the Unix epoch)');

  const anchors = anchorSet(opts.ca, parseAnchor);
  const path = buildPath(certs, anchors);
  for (const cert of path) {
    const [from, to] = validity(cert);
    if (opts.timeMs < from || opts.timeMs > to) {
      throw tlsAlert(
        AlertDescription.CERTIFICATE_EXPIRED,
        `certificate ${oneLine(cert.x509.subject)} is not valid at ${new Date(opts.timeMs).toISOString()} (valid ${cert.x509.validFrom} – ${cert.x509.validTo})`,
      );
    }
  }
  if (!matchesHost(leaf, opts.host)) {
    throw tlsAlert(AlertDescription.BAD_CERTIFICATE, `host name mismatch: "${opts.host}" is not in the certificate's subjectAltName (${leaf.x509.subjectAltName ?? 'none'})`);
  }
  return key;
}

/** The certification path from the leaf to a trust anchor (both included), or unknown_ca. */
function buildPath(certs: readonly ParsedCertificate[], anchors: readonly ParsedCertificate[]): ParsedCertificate[] {
  const path: ParsedCertificate[] = [certs[0]!];
  const used = new Set<number>([0]);
  for (;;) {
    const cur = path[path.length - 1]!;
    // Byte-identical (the keys are the DER in base64).
    if (anchors.some((a) => a.key === cur.key)) return path;
    const anchor = anchors.find((a) => a.isCa && issued(a, cur));
    if (anchor !== undefined) {
      path.push(anchor);
      return path;
    }
    let next = -1;
    for (let i = 1; i < certs.length && next < 0; i++) if (!used.has(i) && issued(certs[i]!, cur)) next = i;
    if (next < 0) throw tlsAlert(AlertDescription.UNKNOWN_CA, `no trusted issuer for ${oneLine(cur.x509.subject)} (issuer ${oneLine(cur.x509.issuer)})`);
    const issuer = certs[next]!;
    if (!issuer.isCa) throw tlsAlert(AlertDescription.BAD_CERTIFICATE, `intermediate ${oneLine(issuer.x509.subject)} is not a CA certificate`);
    used.add(next);
    path.push(issuer);
  }
}

function oneLine(name: string): string {
  return `"${name.replace(/\n/g, ', ')}"`;
}
