/**
 * `tquic server --cert cert.pem --key key.pem [--host 127.0.0.1] [--port 4433] [--root DIR]
 * [--alpn hq-interop] [--qlog-dir DIR] [--keylog FILE] [--cc NAME] [--crypto node|noble]
 * [--cipher-suites LIST] [--max-connections N]`: serves the files under ROOT over HTTP/0.9
 * (hq-interop). Prints `listening on HOST:PORT` once ready and runs until SIGINT or SIGTERM,
 * then closes every connection gracefully. QLOGDIR and SSLKEYLOGFILE stand in for --qlog-dir
 * and --keylog. With --verbose, every request and every established connection (its ALPN and
 * cipher suite) is logged to stderr.
 */
import { existsSync, statSync } from 'node:fs';
import { listen, type CommonOptions } from '../io/index.js';
import { serveHq } from '../http/index.js';
import { suiteInfo } from '../crypto/provider.js';
import { commonOptions, fail, int, listOption } from './net-options.js';

export default async function server(values: Record<string, unknown>): Promise<number> {
  const cert = values.cert;
  const key = values.key;
  if (typeof cert !== 'string' || typeof key !== 'string') return fail('server', '--cert and --key are required (tquic cert --out DIR makes a pair)', 2);
  for (const f of [cert, key]) if (!existsSync(f)) return fail('server', `cannot read ${f}: no such file`, 2);
  const root = typeof values.root === 'string' ? values.root : '.';
  if (!existsSync(root) || !statSync(root).isDirectory()) return fail('server', `--root ${root} is not a directory`, 2);
  const alpn = listOption(values.alpn) ?? ['hq-interop'];
  if (!alpn.includes('hq-interop')) return fail('server', `ALPN ${alpn.join(',')}: only hq-interop is served in this version (h3 is planned)`, 1);
  if (values.retry === true) return fail('server', '--retry: Retry is not built yet in this version', 1);
  let port: number;
  let maxConnections: number | undefined;
  let common: CommonOptions;
  try {
    port = int(values.port, 'port', 4433);
    maxConnections = values['max-connections'] === undefined ? undefined : int(values['max-connections'], 'max-connections', 0);
    common = commonOptions(values, ['hq-interop']);
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
      onWarning: (w) => {
        if (values.verbose === true) process.stderr.write(`tquic server: ${w.message}\n`);
      },
    });
  } catch (e) {
    return fail('server', (e as Error).message, 1);
  }
  const hq = serveHq(srv, { root, ...(values.verbose === true ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}) });
  if (values.verbose === true) {
    srv.on('connection', (qc) => {
      const r = qc.remoteAddress;
      const info = qc.handshakeInfo;
      process.stderr.write(`tquic server: connection from ${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}, ${qc.alpn ?? '-'}, ${info ? suiteInfo(info.suite).name : '-'}\n`);
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
  void hq;
  await srv.close();
  return 0;
}
