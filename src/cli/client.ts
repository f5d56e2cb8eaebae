/**
 * `tquic client URL... [--output DIR] [--alpn h3|hq-interop] [--insecure | --ca FILE]
 * [--qlog-dir DIR] [--keylog FILE] [--cc NAME] [--crypto node|noble] [--cipher-suites LIST] [--version v1|v2] [--versions LIST]
 * [--timeout SECONDS]`: downloads every URL over one connection (the URLs share one authority)
 * with HTTP/3 (default) or HTTP/0.9 (hq-interop), all in parallel, and saves each body as
 * OUTPUT/<last path segment>. `--alpn h3,hq-interop` offers both and speaks what the server picks. --timeout bounds the handshake (default 10 s). A progress bar runs while stdout is a
 * terminal; a one-line summary ends the run. Exit status 0 only if every request succeeded.
 * --key-update starts a 1-RTT key update during the downloads (the run fails if none happened).
 * --migrate-after SECONDS moves the connection to a new local port that long into the downloads
 * (RFC 9000 §9.2; the run fails if it was not possible). A server's preferred_address (§9.6) is
 * used unless --no-preferred-address.
 * With --verbose, the negotiated ALPN and cipher suite are printed to stderr once the handshake
 * completes. --session-file FILE resumes the session stored in FILE (RFC 9001 §4.5; a ticket is
 * used once) and stores the ticket the server sends; with --early-data the requests go out in
 * 0-RTT (RFC 9001 §4.6) when the ticket allows it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { connect, decodeSession, encodeSession, type ClientSession } from '../io/index.js';
import { fetchH3, fetchHq, H3_ALPN, HQ_ALPN } from '../http/index.js';
import { suiteInfo } from '../crypto/provider.js';
import { versionName } from '../wire/version.js';
import type { CommonOptions } from '../io/index.js';
import { commonOptions, fail, listOption, secondsOption, versionOption } from './net-options.js';

export default async function client(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length === 0) return fail('client', 'name at least one URL (https://host:port/path)', 2);
  let urls: URL[];
  try {
    urls = positionals.map((u) => new URL(u));
  } catch (e) {
    return fail('client', (e as Error).message, 2);
  }
  const first = urls[0]!;
  if (urls.some((u) => u.protocol !== 'https:' || u.host !== first.host)) return fail('client', 'all URLs must be https:// and share one host:port', 2);
  const alpn = listOption(values.alpn) ?? [H3_ALPN];
  const unknown = alpn.filter((a) => a !== H3_ALPN && a !== HQ_ALPN);
  if (unknown.length > 0) return fail('client', `ALPN ${unknown.join(',')}: the client speaks ${H3_ALPN} and ${HQ_ALPN}`, 2);
  const output = typeof values.output === 'string' ? values.output : '.';
  const host = first.hostname.replace(/^\[|\]$/g, '');
  const port = first.port === '' ? 443 : Number(first.port);
  let common: CommonOptions;
  let handshakeTimeoutMs: number;
  let version: number | undefined;
  let migrateAfterMs: number | undefined;
  try {
    migrateAfterMs = values['migrate-after'] === undefined ? undefined : secondsOption(values['migrate-after'], 'migrate-after', 0);
    common = commonOptions(values, alpn);
    version = versionOption(values.version);
    handshakeTimeoutMs = secondsOption(values.timeout, 'timeout', 10_000);
  } catch (e) {
    return fail('client', (e as Error).message, 2);
  }
  const sessionFile = typeof values['session-file'] === 'string' ? values['session-file'] : undefined;
  let session: ClientSession | undefined;
  if (sessionFile !== undefined && existsSync(sessionFile)) {
    try {
      session = decodeSession(readFileSync(sessionFile, 'utf8'));
    } catch (e) {
      if (values.verbose === true) process.stderr.write(`tquic client: ${sessionFile}: ${(e as Error).message}; not resuming\n`);
    }
    // RFC 9001 §4.5: a ticket is used once.
    rmSync(sessionFile, { force: true });
  }
  const t0 = performance.now();
  let conn;
  try {
    mkdirSync(output, { recursive: true });
    conn = await connect({
      host,
      port,
      serverName: host,
      handshakeTimeoutMs,
      ...common,
      ...(version !== undefined ? { version } : {}),
      onWarning: (w) => {
        if (values.verbose === true) process.stderr.write(`tquic client: ${w.message}\n`);
      },
      ...(values.insecure === true ? { insecure: true } : {}),
      ...(typeof values.ca === 'string' ? { ca: values.ca } : {}),
      ...(session !== undefined ? { session } : {}),
      ...(session !== undefined && values['early-data'] === true ? { earlyData: true } : {}),
      ...(values['no-preferred-address'] === true ? { usePreferredAddress: false } : {}),
    });
  } catch (e) {
    return fail('client', (e as Error).message, 1);
  }
  let newSession: Promise<void> | undefined;
  if (sessionFile !== undefined) {
    newSession = new Promise<void>((resolve) => {
      conn.once('session', (s) => {
        writeFileSync(sessionFile, encodeSession(s));
        resolve();
      });
      void conn.closed.then(() => resolve());
    });
  }
  const zeroRtt = conn.handshakeInfo === undefined;
  if (values.verbose === true && zeroRtt) process.stderr.write('tquic client: sending 0-RTT\n');
  if (values.verbose === true && !zeroRtt) {
    const info = conn.handshakeInfo;
    process.stderr.write(`tquic client: connected to ${host.includes(':') ? `[${host}]` : host}:${port}, ${conn.alpn ?? '-'}, ${info ? suiteInfo(info.suite).name : '-'}, QUIC ${versionName(conn.version)}\n`);
  }
  // --key-update: start a 1-RTT key update (RFC 9001 §6) as soon as it is permitted (after the
  // handshake is confirmed and the server acknowledged a packet of ours), during the downloads.
  let keyUpdateTimer: NodeJS.Timeout | undefined;
  if (values['key-update'] === true) {
    keyUpdateTimer = setInterval(() => {
      if (conn.closeInfo !== undefined) return clearInterval(keyUpdateTimer);
      if (!conn.updateKeys()) return;
      clearInterval(keyUpdateTimer);
      if (values.verbose === true) process.stderr.write('tquic client: key update started\n');
    }, 2);
  }
  // --migrate-after: a new local port mid-download (RFC 9000 §9.2), once the handshake is
  // confirmed and any move to the server's preferred address is done.
  let migrateTimer: NodeJS.Timeout | undefined;
  let migrated: boolean | undefined;
  if (migrateAfterMs !== undefined) {
    const start = performance.now();
    migrated = false;
    migrateTimer = setInterval(() => {
      if (conn.closeInfo !== undefined) return clearInterval(migrateTimer);
      if (performance.now() - start < migrateAfterMs || !conn.core.handshakeConfirmed || conn.core.pathValidation !== undefined) return;
      clearInterval(migrateTimer);
      conn.migrate().then(
        (local) => {
          migrated = true;
          if (values.verbose === true) process.stderr.write(`tquic client: migrated to local port ${local.port}\n`);
        },
        (e: Error) => process.stderr.write(`tquic client: --migrate-after: ${e.message}\n`),
      );
    }, 5);
  }
  // --paths: multipath (draft-ietf-quic-multipath-21), a path from each local address once the
  // handshake is confirmed.
  const extraPaths = listOption(values.paths) ?? [];
  let pathsTimer: NodeJS.Timeout | undefined;
  if (extraPaths.length > 0) {
    if (values.verbose === true) conn.on('path', (e) => process.stderr.write(`tquic client: path ${e.pathId} ${e.kind}\n`));
    pathsTimer = setInterval(() => {
      if (conn.closeInfo !== undefined) return clearInterval(pathsTimer);
      if (!conn.core.handshakeConfirmed) return;
      clearInterval(pathsTimer);
      if (conn.core.mp === undefined) {
        process.stderr.write('tquic client: --paths: the server does not speak multipath; one path only\n');
        return;
      }
      for (const host of extraPaths) conn.openPath({ local: { host } }).catch((e: Error) => process.stderr.write(`tquic client: --paths ${host}: ${e.message}\n`));
    }, 2);
  }
  if (values.verbose === true) {
    conn.on('pathChange', (p) => process.stderr.write(`tquic client: path ${p.reason ?? ''} ${p.state}: ${p.local?.port ?? ''} -> ${p.address.host}:${p.address.port}\n`));
  }
  const bar = process.stdout.isTTY
    ? new SingleBar({ format: '{bar} {percentage}% | {value}/{total} requests | {bytes} | {rate}', hideCursor: true, clearOnComplete: true })
    : undefined;
  let bytesSoFar = 0;
  bar?.start(urls.length, 0, { bytes: '0 B', rate: '-' });
  const fetchOptions = {
    outputDir: output,
    onProgress: (n: number) => {
      bytesSoFar += n;
      const s = (performance.now() - t0) / 1000;
      bar?.update({ bytes: human(bytesSoFar, 'B'), rate: human((bytesSoFar * 8) / Math.max(s, 1e-3), 'bit/s') });
    },
    onDone: () => bar?.increment(),
  };
  // The server picked one of the offered protocols (in 0-RTT: the one the ticket remembers).
  const results =
    (conn.alpn ?? session?.alpn) === HQ_ALPN
      ? await fetchHq(
          conn,
          urls.map((u) => u.pathname + u.search),
          fetchOptions,
        )
      : await fetchH3(
          conn,
          urls.map((u) => u.href),
          fetchOptions,
        );
  bar?.stop();
  clearInterval(keyUpdateTimer);
  clearInterval(migrateTimer);
  clearInterval(pathsTimer);
  const stats = conn.stats();
  // The ticket comes right after the handshake; give it a moment if the downloads were quicker.
  if (newSession !== undefined) await Promise.race([newSession, new Promise((r) => setTimeout(r, 1000))]);
  if (values.verbose === true && session !== undefined) {
    const ed = conn.earlyDataAccepted;
    process.stderr.write(`tquic client: session ${conn.resumed === true ? 'resumed' : 'not resumed'}${ed === undefined ? '' : `, 0-RTT ${ed ? 'accepted' : 'rejected'}`}\n`);
  }
  await conn.close(0, 'done');
  const seconds = (performance.now() - t0) / 1000;
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) process.stderr.write(`tquic client: ${r.path}: ${r.error ?? 'failed'}\n`);
  process.stdout.write(
    `${results.length - failed.length}/${results.length} ok, ${human(bytes, 'B')} in ${seconds.toFixed(2)} s, ` +
      `${human((bytes * 8) / Math.max(seconds, 1e-6), 'bit/s')}, RTT ${(stats.smoothedRtt / 1000).toFixed(1)} ms, ` +
      `${stats.packetsLost} packets lost` +
      (stats.fec !== undefined ? `, FEC ${stats.fec.decoder}: ${stats.fec.repairsReceived} repairs received, ${stats.fec.packetsRecovered} packets recovered` : '') +
      '\n',
  );
  if (values.fec !== undefined && stats.fec === undefined) process.stderr.write('tquic client: --fec: the server does not offer FEC; none used\n');
  if (migrated === false) {
    process.stderr.write('tquic client: --migrate-after: the downloads ended before the connection migrated\n');
    return 1;
  }
  if (values['key-update'] === true && stats.keyUpdates.local === 0) {
    process.stderr.write('tquic client: --key-update: the downloads ended before a key update was permitted\n');
    return 1;
  }
  return failed.length === 0 ? 0 : 1;
}

function human(n: number, unit: string): string {
  const k = unit === 'B' ? 1024 : 1000;
  const p = ['', 'k', 'M', 'G'];
  let i = 0;
  while (n >= k && i < p.length - 1) {
    n /= k;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${p[i]}${unit}`;
}
