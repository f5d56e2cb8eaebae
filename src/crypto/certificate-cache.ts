/**
 * Parsed X.509 certificates, cached by their exact DER bytes.
 *
 * Parsing a certificate with node:crypto's `X509Certificate` costs about 150 µs on node 20
 * (OpenSSL 3's decoders), and a client sees the same server chain and the same trust anchors on
 * every handshake. So each distinct DER is parsed once, and what follows only from those bytes
 * is remembered with the parse:
 *
 * - the validity period (notBefore/notAfter as ms since the epoch); it is still compared with
 *   the caller's time on every handshake (tls/certificates.ts), never cached as a verdict;
 * - the verify key of the certificate's subjectPublicKeyInfo (signing.ts);
 * - whether a host name matches the subjectAltName (a pure function of the bytes and the name);
 * - whether another certificate issued this one (names, key identifiers and signature: a pure
 *   function of the two certificates' bytes), keyed by the issuer's entry.
 *
 * Only what depends on nothing but those exact bytes is kept: failures are never cached (a DER
 * that does not parse is parsed, and fails, again), and a certificate with trailing bytes after
 * its DER is not cached at all (`X509Certificate` would accept it; TLS must not, see
 * tls/certificates.ts). The cache is bounded in entries and in DER bytes and evicts the least
 * recently used entry. Sets of trust anchors are cached per array (`anchorSet`), so a large root
 * store does not churn the LRU; each use checks the array still holds the same bytes.
 */
import { X509Certificate } from 'node:crypto';
import type { VerifyKey } from './signing.js';

/** One parsed certificate and what derives from its bytes alone. */
export class ParsedCertificate {
  /** The DER (the parse's own copy, `x509.raw`). */
  readonly der: Uint8Array;
  private ca: boolean | undefined;
  private period: readonly [number, number] | undefined;
  /** The verify key of the subjectPublicKeyInfo, once computed (signing.ts `verifyKeyOfCertificate`). */
  verifyKey: VerifyKey | undefined;
  /** Host name (or IP literal) → whether it matches the subjectAltName; bounded (see `hostMatch`). */
  private readonly hosts = new Map<string, boolean>();
  /** Issuer entry → whether it issued this certificate (checkIssued and signature). */
  private readonly issuers = new WeakMap<ParsedCertificate, boolean>();

  constructor(
    readonly x509: X509Certificate,
    /** The certificate's DER (`der`) in base64: equal keys mean byte-identical certificates. */
    readonly key: string,
  ) {
    const raw = x509.raw;
    this.der = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }

  /** basicConstraints cA (X509Certificate.ca). */
  get isCa(): boolean {
    return (this.ca ??= this.x509.ca);
  }

  /**
   * notBefore and notAfter in ms since the epoch (NaN when unusable; the caller decides what that
   * means). node ≥ 22.10 has Date getters; node 20 has only the strings.
   */
  get validity(): readonly [number, number] {
    if (this.period === undefined) {
      const c = this.x509 as X509Certificate & { validFromDate?: Date; validToDate?: Date };
      this.period = [c.validFromDate?.getTime() ?? Date.parse(c.validFrom), c.validToDate?.getTime() ?? Date.parse(c.validTo)];
    }
    return this.period;
  }

  /** `match(x509, name)` for `name`, remembered (at most MAX_HOSTS names per certificate). */
  hostMatch(name: string, match: (x509: X509Certificate, name: string) => boolean): boolean {
    let m = this.hosts.get(name);
    if (m === undefined) {
      m = match(this.x509, name);
      if (this.hosts.size >= MAX_HOSTS) this.hosts.clear();
      this.hosts.set(name, m);
    }
    return m;
  }

  /** `check(issuer.x509, this.x509)` (did `issuer` issue this certificate?), remembered per issuer entry. */
  issuedBy(issuer: ParsedCertificate, check: (issuer: X509Certificate, cert: X509Certificate) => boolean): boolean {
    let m = this.issuers.get(issuer);
    if (m === undefined) {
      m = check(issuer.x509, this.x509);
      this.issuers.set(issuer, m);
    }
    return m;
  }
}

/** Host names remembered per certificate. */
const MAX_HOSTS = 16;

/** The cache key of a DER: its bytes in base64 (about 0.6 µs for a 400-byte certificate). */
function keyOf(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
}

/** A least-recently-used cache of parsed certificates, bounded in entries and in DER bytes. */
export class CertificateCache {
  private readonly entries = new Map<string, ParsedCertificate>();
  private bytes = 0;
  /** Parses done (cache misses that parsed), for tests and benchmarks. */
  parses = 0;

  constructor(
    readonly maxEntries = 64,
    readonly maxBytes = 2 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** DER bytes held. */
  get byteSize(): number {
    return this.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /**
   * The parse of exactly `der`. Throws what `new X509Certificate(der)` throws (the caller picks
   * the alert or error). A DER followed by trailing bytes parses but is returned uncached, with a
   * `der` shorter than the input: callers that require a single DER compare the lengths.
   */
  get(der: Uint8Array): ParsedCertificate {
    const key = keyOf(der);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.parses++;
    const x509 = new X509Certificate(der);
    // Trailing bytes: keyed by the certificate's own DER, and not cached.
    if (x509.raw.length !== der.length) return new ParsedCertificate(x509, keyOf(x509.raw));
    const parsed = new ParsedCertificate(x509, key);
    if (der.length > this.maxBytes) return parsed;
    this.entries.set(key, parsed);
    this.bytes += der.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldKey, old] = this.entries.entries().next().value as [string, ParsedCertificate];
      this.entries.delete(oldKey);
      this.bytes -= old.der.length;
    }
    return parsed;
  }

  /** Whether exactly `der` is cached (no effect on the LRU order). */
  has(der: Uint8Array): boolean {
    return this.entries.has(keyOf(der));
  }
}

/** The process-wide cache used by tls/certificates.ts and signing.ts. */
export const certificateCache = new CertificateCache();

/** A parsed set of trust anchors and the bytes it was parsed from. */
interface AnchorSet {
  readonly input: readonly Uint8Array[];
  readonly parsed: readonly ParsedCertificate[];
}

const anchorSets = new WeakMap<readonly Uint8Array[], AnchorSet>();

/** Anchor sets up to this size go through the shared LRU; larger ones (root stores) are parsed on their own. */
const SMALL_ANCHOR_SET = 8;

/**
 * The parsed trust anchors of `ca`, remembered per array: the next call with the same array
 * checks that it still holds the same bytes (a native comparison, no parse) and reuses the
 * parses. `parse` turns a parse failure into the caller's error. Small sets share the LRU, so
 * a fresh array of the same anchors (e.g. one PEM loaded per connection) is parsed only once.
 */
export function anchorSet(ca: readonly Uint8Array[], parse: (der: Uint8Array, index: number, cache: CertificateCache | undefined) => ParsedCertificate): readonly ParsedCertificate[] {
  const known = anchorSets.get(ca);
  if (known !== undefined && sameBytes(known.input, ca)) return known.parsed;
  const cache = ca.length <= SMALL_ANCHOR_SET ? certificateCache : undefined;
  const parsed = ca.map((der, i) => parse(der, i, cache));
  anchorSets.set(ca, { input: ca.map((der) => der.slice()), parsed });
  return parsed;
}

function sameBytes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(y instanceof Uint8Array) || x.length !== y.length) return false;
    if (!Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))) return false;
  }
  return true;
}

/** A parse outside the cache (large anchor sets), with the same entry type. */
export function parseUncached(der: Uint8Array): ParsedCertificate {
  const x509 = new X509Certificate(der);
  return new ParsedCertificate(x509, keyOf(x509.raw.length === der.length ? der : x509.raw));
}
