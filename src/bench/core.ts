/**
 * `tquic bench core`: the connection core alone — a client and a server endpoint exchanging
 * datagrams in memory (no sockets, no delay, no loss) while one stream carries a bulk transfer.
 * Reports throughput (MB/s) per crypto provider and the heap allocated per MB transferred,
 * measured from V8's GC profiler (bytes collected plus the growth of the used heap), so the
 * steady-state allocation per packet (DESIGN §4 rule 2) is visible.
 *
 * Reading the rows: "null (core only)" runs null packet protection (sim/null-protection.ts: a CRC-32 for a tag, no encryption), so its allocation is the core's
 * own (the views through which stream bytes are copied into the datagram and out of it into the
 * receive buffer, plus growth while the congestion window still grows). The node row adds what
 * node:crypto allocates per packet (a Cipher/Decipher object per seal/open and the Buffers
 * update/final/getAuthTag return, and the header-protection block). The noble row is dominated
 * by @noble/ciphers' AES-GCM, which rebuilds its GHASH table on every call.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { getProvider, PROVIDER_NAMES, type CryptoProvider } from '../crypto/index.js';
import { nullPacketProtection } from '../sim/null-protection.js';
import { generateDevCertificate } from '../crypto/certgen.js';
import { loadCredentials, type TlsCredentials } from '../crypto/tls/certificates.js';
import { Endpoint } from '../endpoint/endpoint.js';
import type { Connection } from '../connection/connection.js';
import { report, warmUp, type BenchReport, type Measurement } from './harness.js';

const CLIENT = { host: '127.0.0.1', port: 1 };
const SERVER = { host: '127.0.0.1', port: 2 };

export const NOTE =
  "alloc KB/MB: V8 heap allocated per MB moved (GC profiler). 'null (core only)' is the core's own share; node adds node:crypto's per-packet Cipher objects and Buffers; noble is dominated by @noble/ciphers' AES-GCM rebuilding its GHASH table per call";

export interface CoreReport extends BenchReport {
  note: string;
}

export interface Run {
  seconds: number;
  bytes: number;
  packets: number;
  allocatedBytes: number;
}

/** Moves `bytes` over one stream between an in-memory client and server endpoint. */
export function transfer(provider: CryptoProvider, credentials: TlsCredentials, bytes: number, maxDatagramSize: number): Run {
  let now = 0;
  const base = { provider, alpn: ['bench'], transport: { maxDatagramSize, initialMaxData: 8 << 20, initialMaxStreamData: 8 << 20 } };
  const server = new Endpoint({ local: SERVER, server: { ...base, credentials } });
  const client = new Endpoint({ local: CLIENT });
  const conn = client.connect(now, SERVER, { ...base, serverName: 'localhost' });
  let sconn: Connection | undefined;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let written = 0;
  let received = 0;
  let streamId: number | undefined;
  const t0 = process.hrtime.bigint();
  const profiler = new GCProfiler();
  profiler.start();
  const heapStart = getHeapStatistics().used_heap_size;
  for (let guard = 0; received < bytes && guard < 10_000_000; guard++) {
    // Time advances 10 µs per round, so timers (ACK delay, pacing) fire as they would.
    now += 10;
    // Each datagram's buffer goes back to its sender's pool once the peer has handled it.
    for (let d = client.pollTransmit(now); d; d = client.pollTransmit(now)) {
      server.handleDatagram(now, d);
      client.releaseDatagram(d);
    }
    for (let d = server.pollTransmit(now); d; d = server.pollTransmit(now)) {
      client.handleDatagram(now, d);
      server.releaseDatagram(d);
    }
    client.handleTimeout(now);
    server.handleTimeout(now);
    for (let e = server.pollEvent(); e; e = server.pollEvent()) sconn = e.connection;
    while (conn.pollEvent());
    if (conn.state === 'established' && streamId === undefined) streamId = conn.openStream(true);
    if (streamId !== undefined) {
      while (written < bytes) {
        const left = bytes - written;
        const n = conn.streamWrite(streamId, left >= chunk.length ? chunk : chunk.subarray(0, left));
        if (n === 0) break;
        written += n;
      }
    }
    if (sconn && streamId !== undefined) {
      while (sconn.pollEvent());
      try {
        for (let r = sconn.streamRead(streamId); r; r = sconn.streamRead(streamId)) received += r.data.length;
      } catch {
        // the stream is not open on the server yet
      }
    }
  }
  const heapEnd = getHeapStatistics().used_heap_size;
  const gc = profiler.stop();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let collected = 0;
  for (const s of gc.statistics) collected += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize);
  if (received < bytes) throw new Error(`transfer stalled at ${received} of ${bytes} bytes`);
  return { seconds, bytes: received, packets: conn.stats().packetsSent + (sconn?.stats().packetsSent ?? 0), allocatedBytes: collected + Math.max(0, heapEnd - heapStart) };
}

/** Warm-up time per row, ms. */
const WARMUP_MS = 1000;

export async function run(opts: { iterations?: number; warmupMs?: number }): Promise<CoreReport> {
  const pem = await generateDevCertificate();
  const credentials = loadCredentials(pem.certPem, pem.keyPem);
  const results: Measurement[] = [];
  const mb = opts.iterations ?? 16;
  const rows: [string, CryptoProvider][] = PROVIDER_NAMES.map((n) => [n, getProvider(n)]);
  rows.push(['null (core only)', nullPacketProtection(getProvider('node'))]);
  for (const [name, provider] of rows) {
    for (const size of [1200, 1452]) {
      const bytes = (name === 'noble' ? Math.max(1, mb >> 2) : mb) << 20;
      warmUp(opts.warmupMs ?? WARMUP_MS, () => void transfer(provider, credentials, 1 << 20, size));
      const r = transfer(provider, credentials, bytes, size);
      const mbps = r.bytes / 1e6 / r.seconds;
      results.push({
        name: 'bulk transfer',
        labels: { provider: name, datagram: `${size}B`, 'MB/s': mbps.toFixed(1), 'alloc KB/MB': (r.allocatedBytes / 1024 / (r.bytes / 1e6)).toFixed(0) },
        values: { 'MB/s': mbps, 'alloc KB/MB': r.allocatedBytes / 1024 / (r.bytes / 1e6) },
        usPerOp: (r.seconds * 1e6) / r.packets,
        opsPerSec: r.packets / r.seconds,
        gbps: (r.bytes * 8) / r.seconds / 1e9,
        bytesPerOp: r.bytes / r.packets,
        rounds: 1,
        opsPerRound: r.packets,
      });
    }
  }
  return { ...report('core', results), note: NOTE };
}
