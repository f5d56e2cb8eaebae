/**
 * Server credentials for simulations: Ed25519 throughout, a fixed validity (from 2026-01-01, ten
 * years), so every run of a scenario sees certificates of the same sizes and deterministic
 * signatures (the keys themselves are fresh per process; only sizes and timings matter to a run).
 *
 * `chainLength` 1 (the default) is one self-signed certificate. A longer chain is a root CA,
 * `chainLength − 2` intermediates and the leaf, sent leaf first with every CA certificate
 * (RFC 8446 §4.4.2), so the server's first flight grows by about 330 bytes per certificate: the
 * interop runner's amplificationlimit case needs the server to hit the 3× limit of RFC 9000
 * §8.1 with its certificate alone. At most MAX_CHAIN_LENGTH (10), which a client accepts.
 */
import { generateDevCa, generateDevCertificate, type PemCredentials } from '../crypto/certgen.js';
import { loadCredentials, MAX_CHAIN_LENGTH, type TlsCredentials } from '../crypto/tls/certificates.js';

const NOT_BEFORE = new Date(Date.UTC(2026, 0, 1));
const DAYS = 3650;

const cache = new Map<number, Promise<TlsCredentials>>();

async function build(chainLength: number): Promise<TlsCredentials> {
  if (chainLength === 1) {
    const c = await generateDevCertificate({ keyType: 'ed25519', notBefore: NOT_BEFORE, days: DAYS });
    return loadCredentials(c.certPem, c.keyPem);
  }
  // Root first, each CA issued by the previous one, then the leaf.
  const cas: PemCredentials[] = [];
  for (let i = 0; i < chainLength - 1; i++) {
    const ca = cas[cas.length - 1];
    cas.push(await generateDevCa({ keyType: 'ed25519', notBefore: NOT_BEFORE, days: DAYS, commonName: i === 0 ? 'tquic sim root CA' : `tquic sim intermediate CA ${i}`, ...(ca ? { ca } : {}) }));
  }
  const leaf = await generateDevCertificate({ keyType: 'ed25519', notBefore: NOT_BEFORE, days: DAYS, ca: cas[cas.length - 1]! });
  const pem = [leaf.certPem, ...cas.reverse().map((c) => c.certPem)].join('');
  return loadCredentials(pem, leaf.keyPem);
}

/** Credentials with a chain of `chainLength` certificates (1..10), made once per length and process. */
export function simCredentials(opts: { chainLength?: number } = {}): Promise<TlsCredentials> {
  const n = opts.chainLength ?? 1;
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_CHAIN_LENGTH)) throw new RangeError(`chainLength must be 1..${MAX_CHAIN_LENGTH}`);
  let p = cache.get(n);
  if (p === undefined) cache.set(n, (p = build(n)));
  return p;
}
