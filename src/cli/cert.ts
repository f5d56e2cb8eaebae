/** `tquic cert`: writes a self-signed development certificate and its key as PEM files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEV_HOSTS, generateDevCertificate, type DevKeyType } from '../crypto/certgen.js';

const KEY_TYPES: DevKeyType[] = ['ecdsa-p256', 'ed25519', 'rsa'];

export default async function cert(values: Record<string, unknown>): Promise<number> {
  const out = typeof values.out === 'string' ? values.out : '.';
  const keyType = (typeof values['key-type'] === 'string' ? values['key-type'] : 'ecdsa-p256') as DevKeyType;
  if (!KEY_TYPES.includes(keyType)) {
    process.stderr.write(`tquic cert: --key-type must be one of ${KEY_TYPES.join(', ')}\n`);
    return 2;
  }
  // --host NAME_OR_IP (repeatable) and --hosts A,B,C add up; neither given: the default set.
  const named = [
    ...(Array.isArray(values.host) ? values.host.filter((h): h is string => typeof h === 'string') : []),
    ...(typeof values.hosts === 'string' ? values.hosts.split(',') : []),
  ]
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const hosts = named.length > 0 ? [...new Set(named)] : [...DEFAULT_DEV_HOSTS];
  const days = typeof values.days === 'string' ? Number(values.days) : 30;
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    process.stderr.write('tquic cert: --days must be a whole number from 1 to 3650\n');
    return 2;
  }
  const pem = await generateDevCertificate({ hosts, keyType, days });
  mkdirSync(out, { recursive: true });
  const certPath = join(out, 'cert.pem');
  const keyPath = join(out, 'key.pem');
  writeFileSync(certPath, pem.certPem);
  writeFileSync(keyPath, pem.keyPem, { mode: 0o600 });
  process.stdout.write(`wrote ${certPath} and ${keyPath} (${keyType}, ${days} days, for ${hosts.join(', ')})\n`);
  return 0;
}
