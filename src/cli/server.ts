/**
 * `tquic server --cert cert.pem --key key.pem [--host 127.0.0.1] [--port 4433] [--root DIR]
 * [--alpn h3,hq-interop] [--qlog-dir DIR] [--keylog FILE] [--cc NAME] [--crypto node|noble]
 * [--cipher-suites LIST] [--versions v1,v2] [--max-connections N] [--early-data] [--retry]`: serves the files under ROOT over HTTP/3 (h3)
 * and HTTP/0.9 (hq-interop), by default both. Prints `listening on HOST:PORT` once ready and runs until SIGINT or SIGTERM,
 * then closes every connection gracefully. QLOGDIR and SSLKEYLOGFILE stand in for --qlog-dir
 * and --keylog. With --verbose, every request and every established connection (its ALPN and
 * cipher suite, and whether it resumed a session or accepted 0-RTT) is logged to stderr. Session
 * tickets are issued after every handshake (RFC 9001 §4.5); --early-data lets them carry 0-RTT.
 * --preferred-address HOST:PORT also listens there and offers it to clients in preferred_address
 * (RFC 9000 §9.6).
 */
import { existsSync, statSync } from 'node:fs';
import { listen, type CommonOptions } from '../io/index.js';
import { H3_ALPN, HQ_ALPN, serveH3, serveHq } from '../http/index.js';
import { suiteInfo } from '../crypto/provider.js';
import { versionName } from '../wire/version.js';
import { commonOptions, fail, int, listOption } from './net-options.js';

export default async function server(values: Record<string, unknown>): Promise<number> {
  const cert = values.cert;
  const key = values.key;
  if (typeof cert !== 'string' || typeof key !== 'string') return fail('server', '--cert and --key are required (tquic cert --out DIR makes a pair)', 2);
  for (const f of [cert, key]) if (!existsSync(f)) return fail('server', `cannot read ${f}: no such file`, 2);
  const root = typeof values.root === 'string' ? values.root : '.';
  if (!existsSync(root) || !statSync(root).isDirectory()) return fail('server', `--root ${root} is not a directory`, 2);
  const alpn = listOption(values.alpn) ?? [H3_ALPN, HQ_ALPN];
  const unknown = alpn.filter((a) => a !== H3_ALPN && a !== HQ_ALPN);
  if (unknown.length > 0) return fail('server', `ALPN ${unknown.join(',')}: the server speaks ${H3_ALPN} and ${HQ_ALPN}`, 2);
  let port: number;
  let maxConnections: number | undefined;
  let maxHandshakes: number | undefined;
  let common: CommonOptions;
  let preferred: { host: string; port: number } | undefined;
  try {
    if (typeof values['preferred-address'] === 'string') preferred = hostPort(values['preferred-address']);
    port = int(values.port, 'port', 4433);
    maxConnections = values['max-connections'] === undefined ? undefined : int(values['max-connections'], 'max-connections', 0);
    maxHandshakes = values['max-handshakes'] === undefined ? undefined : int(values['max-handshakes'], 'max-handshakes', 0);
    common = commonOptions(values, alpn);
  } catch (e) {
    return fail('server', (e as Error).message, 2);
  }
  let srv;
  try {
    srv = await listen({
      host: typeof values.host === 'string' ? values.host : '127.0.0.1',
      port,
      cert,
      key,
      ...common,
      ...(maxConnections !== undefined ? { maxConnections } : {}),
      ...(maxHandshakes !== undefined ? { maxHandshakes } : {}),
      // RFC 9000 §8.1.2: every client proves its address with a Retry token first.
      ...(values.retry === true ? { retry: 'always' as const } : {}),
      ...(values['early-data'] === true ? { earlyData: true } : {}),
      ...(preferred !== undefined ? { preferredAddress: preferred } : {}),
      onWarning: (w) => {
        if (values.verbose === true) process.stderr.write(`tquic server: ${w.message}\n`);
      },
    });
  } catch (e) {
    return fail('server', (e as Error).message, 1);
  }
  const log = values.verbose === true ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {};
  // Each protocol takes the connections that negotiated it.
  if (alpn.includes(HQ_ALPN)) serveHq(srv, { root, alpn: [HQ_ALPN], ...log });
  if (alpn.includes(H3_ALPN)) serveH3(srv, { root, alpn: [H3_ALPN], ...log });
  if (values.verbose === true) {
    srv.on('connection', (qc) => {
      const r = qc.remoteAddress;
      const info = qc.handshakeInfo;
      process.stderr.write(`tquic server: connection from ${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}, ${qc.alpn ?? '-'}, ${info ? suiteInfo(info.suite).name : '-'}, QUIC ${versionName(qc.version)}${qc.resumed === true ? ', resumed' : ''}${qc.earlyDataAccepted === true ? ', 0-RTT accepted' : ''}${qc.core.retry.retrySourceCid !== undefined ? ', after Retry' : ''}\n`);
    });
  }
  process.stdout.write(`listening on ${srv.address.host}:${srv.address.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // The HTTP/3 service's shutdown hook sends GOAWAY and lets the requests under way finish
  // (RFC 9114 §5.2) before the server closes what is left.
  await srv.close();
  return 0;
}

/** HOST:PORT or [IPv6]:PORT, the host an IP literal. */
function hostPort(v: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (m === null) throw new RangeError(`--preferred-address must be HOST:PORT or [HOST]:PORT, got "${v}"`);
  const port = Number(m[2]);
  if (!(port > 0 && port <= 65535)) throw new RangeError(`--preferred-address port must be 1..65535, got ${m[2]}`);
  return { host: m[1]!, port };
}
