/**
 * Development certificates (DESIGN §5): a self-signed certificate, or a small CA and leaf
 * certificates issued by it, generated with @peculiar/x509 over node:crypto's Web Crypto keys —
 * no hand-written DER.
 *
 * NOT PART OF THE SANS-IO CORE. This file is for the CLI (`tquic cert`) and tests, i.e. the
 * edges: it is asynchronous, draws fresh keys, and reads the wall clock for the default
 * notBefore (`new Date()`; the architecture test forbids reading the clock in the core folders, and
 * the clock read here is deliberate and confined to the generator). Nothing in the protocol core
 * imports it; the core checks certificates with an explicit `timeMs` (tls/certificates.ts).
 *
 * @peculiar/x509 needs the Reflect metadata API (its DI container, tsyringe, checks for
 * `Reflect.getMetadata` when loaded): `loadX509` loads the reflect-metadata polyfill and then the
 * library on first use, which also keeps both out of every process that never makes a certificate.
 */
import { KeyObject, createPrivateKey, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { loadSigningKey, type KeyType } from './signing.js';

/** Key types of generated certificates. */
export type DevKeyType = 'ecdsa-p256' | 'ed25519' | 'rsa';

/**
 * A certificate and its private key, both PEM, as `generateDevCertificate` and `generateDevCa`
 * return them.
 */
export interface PemCredentials {
  /** PEM certificate (one block). */
  readonly certPem: string;
  /** PEM PKCS#8 private key. */
  readonly keyPem: string;
}

/** Options of `generateDevCertificate`. */
export interface DevCertificateOptions {
  /** DNS names and IP literals for subjectAltName (default: localhost, 127.0.0.1, ::1). */
  hosts?: string[];
  /** Default 'ecdsa-p256'. */
  keyType?: DevKeyType;
  /** Validity in days from notBefore (default 30). */
  days?: number;
  /** Issue from this CA (see `generateDevCa`) instead of self-signing. */
  ca?: PemCredentials;
  /** Start of validity (default: now minus 5 minutes, for clock skew). */
  notBefore?: Date;
  /** Subject common name (default: the first host). Informational: names are matched by SAN. */
  commonName?: string;
}

/** Options of `generateDevCa`. */
export interface DevCaOptions {
  /** Default 'ecdsa-p256'. */
  keyType?: DevKeyType;
  /** Validity in days from notBefore (default 365). */
  days?: number;
  notBefore?: Date;
  /** Default 'tquic development CA'. */
  commonName?: string;
  /** Issue an intermediate CA from this CA instead of a self-signed root. */
  ca?: PemCredentials;
}

export const DEFAULT_DEV_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const DAY_MS = 86_400_000;
const SKEW_MS = 5 * 60_000;
const subtle = webcrypto.subtle;
/** @peculiar/x509 takes the Web Crypto object explicitly (no global provider is set). */
const wc = webcrypto;
type CryptoKeyT = webcrypto.CryptoKey;

let x509Module: Promise<typeof X509> | undefined;

/**
 * Loads @peculiar/x509 once. Its dependency injection (tsyringe) needs the Reflect metadata
 * API, which the reflect-metadata polyfill provides; both load only when a certificate is made.
 */
function loadX509(): Promise<typeof X509> {
  if (x509Module === undefined) x509Module = import('reflect-metadata').then(() => import('@peculiar/x509'));
  return x509Module;
}

/** Web Crypto algorithms of a key type: key generation/import and certificate signing. */
function algorithms(type: KeyType): { key: webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: object } {
  switch (type) {
    case 'ecdsa-p256':
      return { key: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } };
    case 'ecdsa-p384':
      return { key: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } };
    case 'ed25519':
      return { key: { name: 'Ed25519' }, sign: { name: 'Ed25519' } };
    case 'rsa':
      // The key is rsaEncryption (usable for rsa_pss_rsae_* in CertificateVerify); certificate
      // signatures are PKCS#1 v1.5 with SHA-256, which RFC 9846 §4.2.3 allows in certificates.
      return {
        key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
        sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      };
  }
}

function checkKeyType(t: unknown): DevKeyType {
  if (t === 'ecdsa-p256' || t === 'ed25519' || t === 'rsa') return t;
  throw new RangeError(`certificate generator: unknown key type ${String(t)} (expected ecdsa-p256, ed25519 or rsa)`);
}

function validityPeriod(notBefore: Date | undefined, days: number): { notBefore: Date; notAfter: Date } {
  if (!(Number.isFinite(days) && days > 0)) throw new RangeError(`certificate generator: days must be positive, got ${days}`);
  // The one clock read of this file (see the header): default notBefore = now − 5 minutes.
  const start = notBefore ?? new Date(new Date().getTime() - SKEW_MS);
  return { notBefore: start, notAfter: new Date(start.getTime() + days * DAY_MS) };
}

/** A positive 128-bit serial number (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function serialNumber(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x40;
  return Buffer.from(b).toString('hex');
}

async function generateKeys(type: KeyType): Promise<webcrypto.CryptoKeyPair> {
  return (await subtle.generateKey(algorithms(type).key, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

function privateKeyPem(key: CryptoKeyT): string {
  return KeyObject.from(key).export({ format: 'pem', type: 'pkcs8' }) as string;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function subjectAltNames(hosts: readonly string[]): { type: 'dns' | 'ip'; value: string }[] {
  if (hosts.length === 0) throw new RangeError('certificate generator: at least one host is needed');
  return hosts.map((h) => {
    if (typeof h !== 'string' || h.length === 0) throw new RangeError('certificate generator: empty host name');
    const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
    return IPV4.test(bare) || bare.includes(':') ? { type: 'ip', value: bare } : { type: 'dns', value: h };
  });
}

/**
 * Signs a certificate for `keys.publicKey`: self-signed with `keys.privateKey`, or issued by
 * `ca` (its key, of any type loadSigningKey accepts, imported into Web Crypto; its subject
 * becomes the issuer and its subjectKeyIdentifier the authorityKeyIdentifier).
 */
async function issue(
  x509: typeof X509,
  type: KeyType,
  keys: webcrypto.CryptoKeyPair,
  name: X509.JsonName,
  validity: { notBefore: Date; notAfter: Date },
  extensions: X509.Extension[],
  ca: PemCredentials | undefined,
): Promise<PemCredentials> {
  const keyPem = privateKeyPem(keys.privateKey);
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, wc));
  if (ca === undefined) {
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      { serialNumber: serialNumber(), ...validity, name, keys, signingAlgorithm: algorithms(type).sign, extensions },
      wc,
    );
    return { certPem: cert.toString('pem'), keyPem };
  }
  const caKey = loadSigningKey(ca.keyPem);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caAlg = algorithms(caKey.type);
  const pkcs8 = createPrivateKey(ca.keyPem).export({ format: 'der', type: 'pkcs8' });
  const signingKey = await subtle.importKey('pkcs8', pkcs8, caAlg.key, false, ['sign']);
  const skid = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (skid !== null) extensions.push(new x509.AuthorityKeyIdentifierExtension(skid.keyId, false));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      ...validity,
      subject: name,
      issuer: caCert.subjectName,
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: caAlg.sign,
      extensions,
    },
    wc,
  );
  return { certPem: cert.toString('pem'), keyPem };
}

/**
 * A CA certificate (basicConstraints cA, keyCertSign) for building CA → leaf chains in tests and
 * development: self-signed (a root), or issued by `opts.ca` (an intermediate).
 */
export async function generateDevCa(opts: DevCaOptions = {}): Promise<PemCredentials> {
  const x509 = await loadX509();
  const type = checkKeyType(opts.keyType ?? 'ecdsa-p256');
  const keys = await generateKeys(type);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
  ];
  const name = [{ CN: [opts.commonName ?? 'tquic development CA'] }];
  return issue(x509, type, keys, name, validityPeriod(opts.notBefore, opts.days ?? 365), extensions, opts.ca);
}

/**
 * A development certificate for `hosts` (subjectAltName DNS names and IP addresses; serverAuth
 * and clientAuth; not a CA), self-signed or issued by `opts.ca`.
 */
export async function generateDevCertificate(opts: DevCertificateOptions = {}): Promise<PemCredentials> {
  const x509 = await loadX509();
  const type = checkKeyType(opts.keyType ?? 'ecdsa-p256');
  const hosts = opts.hosts ?? [...DEFAULT_DEV_HOSTS];
  const san = subjectAltNames(hosts);
  const keys = await generateKeys(type);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
    new x509.SubjectAlternativeNameExtension(san, false),
  ];
  const name = [{ CN: [opts.commonName ?? hosts[0]!] }];
  return issue(x509, type, keys, name, validityPeriod(opts.notBefore, opts.days ?? 30), extensions, opts.ca);
}
