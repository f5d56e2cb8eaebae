// Interoperability with an independent QUIC implementation: ngtcp2's HTTP/3 server
// (gtlsserver, built on GnuTLS and nghttp3) serves a few files, tquic's HTTP/3 client
// downloads them over real UDP on 127.0.0.1 and checks every byte (SHA-256).
//
//   node examples/interop-ngtcp2.mjs
//
// Needs gtlsserver (Debian/Ubuntu: apt-get install -y ngtcp2-client ngtcp2-server); without
// it the example says so and exits with code 2.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, crypto, fetchH3, generateDevCertificate, H3_ALPN, util } from 'tquic';
import { printTable } from './table.mjs';

// The files to serve, by name and size; their bytes come from a seeded generator.
const FILES = { '1k.bin': 1024, '100k.bin': 100_000, '5M.bin': 5_000_000 };

const bin = findBinary('gtlsserver');
if (bin === undefined) {
  console.error('gtlsserver (ngtcp2\'s HTTP/3 server) was not found in PATH, /usr/bin or /usr/sbin.');
  console.error('Install it with:  apt-get install -y ngtcp2-client ngtcp2-server');
  process.exit(2);
}

// A scratch directory: www/ with the files, and a fresh certificate for 127.0.0.1.
const dir = mkdtempSync(join(tmpdir(), 'tquic-interop-'));
const www = join(dir, 'www');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const prng = new util.Prng(2026);
const expected = new Map();
mkdirSync(www);
for (const [name, size] of Object.entries(FILES)) {
  const bytes = prng.bytes(size);
  writeFileSync(join(www, name), bytes);
  expected.set(name, sha256(bytes));
}
const { certPem, keyPem } = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });
writeFileSync(join(dir, 'cert.pem'), certPem);
writeFileSync(join(dir, 'key.pem'), keyPem);

let server;
let failed = false;
try {
  // gtlsserver cannot pick its own port: take one that is free now, then wait until it is bound.
  const port = await freeUdpPort();
  server = spawn(bin, ['-q', '-d', www, '127.0.0.1', String(port), join(dir, 'key.pem'), join(dir, 'cert.pem')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverErr = '';
  server.stderr.on('data', (b) => (serverErr += b));
  await waitUntilBound(port, server, () => serverErr);
  console.log(`gtlsserver (${bin}) listening on 127.0.0.1:${port}, serving ${Object.keys(FILES).length} files`);

  // tquic's client: HTTP/3 (ALPN "h3"), trusting exactly the certificate we just made.
  const t0 = performance.now();
  const conn = await connect({ host: '127.0.0.1', port, serverName: 'localhost', ca: certPem, alpn: [H3_ALPN] });
  const info = conn.handshakeInfo;
  console.log(`tquic client: connected in ${(performance.now() - t0).toFixed(1)} ms: ALPN ${conn.alpn}, ${crypto.suiteInfo(info.suite).name}, QUIC version 0x${conn.version.toString(16).padStart(8, '0')}, certificate verified`);

  // One request per file, all at once; without `outputDir` the bodies stay in memory.
  const results = await fetchH3(conn, Object.keys(FILES).map((name) => `/${name}`));
  const stats = conn.stats();
  await conn.close(0, 'done');

  const rows = results.map((r) => {
    const name = r.path.slice(1);
    const got = r.ok && r.body !== undefined ? sha256(r.body) : '-';
    const match = got === expected.get(name);
    if (!match) failed = true;
    return {
      file: name,
      status: r.status ?? '-',
      bytes: r.bytes,
      ms: r.durationMs.toFixed(1),
      'Mbit/s': r.durationMs > 0 ? ((r.bytes * 8) / r.durationMs / 1000).toFixed(1) : '-',
      sha256: got === '-' ? '-' : `${got.slice(0, 16)}…`,
      match: match ? 'yes' : `NO${r.error ? ` (${r.error})` : ''}`,
    };
  });
  printTable(rows);
  console.log(`\ntquic client: ${stats.packetsSent} packets sent, ${stats.packetsReceived} received, ${stats.packetsLost} lost, RTT ${(stats.smoothedRtt / 1000).toFixed(2)} ms`);
} catch (e) {
  console.error(`interop failed: ${e.message}`);
  failed = true;
} finally {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.error('FAILED: a download did not complete or its bytes differ');
  process.exit(1);
}
console.log(`interop: tquic downloaded ${Object.keys(FILES).length} of ${Object.keys(FILES).length} files from ngtcp2 intact`);

/** An executable in PATH or the usual bin directories (gtlsserver lives in /usr/sbin on Debian). */
function findBinary(name) {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']) {
    if (d === '') continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Waits (up to 5 s) until someone holds `port`: binding it ourselves then fails. */
async function waitUntilBound(port, proc, err) {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`gtlsserver exited with ${proc.exitCode}: ${err().trim()}`);
    const free = await new Promise((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!free) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('gtlsserver did not bind its port within 5 s');
}

