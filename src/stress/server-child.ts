/**
 * The server under attack in `tquic abuse`: a child process (so that a crash is a visible exit
 * and its heap is its own) running the same stack as `tquic server` — `listen` and the
 * HTTP/0.9 file server (`serveHq`) on 127.0.0.1, a fresh certificate — and reporting over the
 * IPC channel: 'ready' with its port, certificate and baseline memory (after a full GC), then a
 * 'sample' every `sampleMs` (memory in use, connections, the endpoint's drop counters and the
 * driver's datagram counters), a 'measured' figure after a full GC when the parent sends
 * 'measure', and 'closed' after 'stop' (the server closed; the process then exits with 0).
 *
 * The parent starts it with `childCommand()`: node on the built module (dist/stress/), with the
 * configuration in the TQUIC_STRESS_CHILD environment variable.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateDevCertificate } from '../crypto/certgen.js';
import { serveHq, HQ_ALPN } from '../http/index.js';
import { listen, type QuicServer } from '../io/index.js';
import { sampleMemory, settledMemory, type MemorySample } from './memory.js';

/** The child's configuration (JSON in TQUIC_STRESS_CHILD). */
export interface ChildConfig {
  /** Directory whose files are served over hq-interop. */
  root: string;
  crypto: 'node' | 'noble';
  /** ListenOptions.maxConnections, if set. */
  maxConnections?: number;
  /** ListenOptions.retry, if set. */
  retry?: 'always' | 'auto' | 'never';
  /** Period of the 'sample' messages, ms. */
  sampleMs: number;
}

/** The server's counters, as the child reports them. */
export interface ServerCounters {
  /** Connections the QuicServer holds (handshaking, established, closing). */
  connections: number;
  /** Connections the endpoint routes to (includes those refused and still closing). */
  endpointConnections: number;
  /** Server handshakes under way. */
  handshakesInProgress: number;
  /** The endpoint's drops before any connection (RFC 9000 §5.2), by reason. */
  dropped: Record<string, number>;
  /** New connections refused at the endpoint's limits (CONNECTION_REFUSED). */
  refused: Record<string, number>;
  /** Stateless resets sent and withheld (RFC 9000 §10.3.3). */
  statelessResets: Record<string, number>;
  /** Address validation (RFC 9000 §8.1): Retry packets sent, tokens accepted and rejected. */
  addressValidation: Record<string, number>;
  datagramsReceived: number;
  datagramsSent: number;
  bytesReceived: number;
  bytesSent: number;
  /** Datagrams the endpoint threw on (a bug: the core must drop, never throw). */
  receiveErrors: number;
  /** Handshakes completed and failed (QuicServer 'connection' and 'handshakeError'). */
  established: number;
  handshakeErrors: number;
}

export type ChildMessage =
  | { type: 'ready'; port: number; certPem: string; baseline: MemorySample; counters: ServerCounters }
  | { type: 'sample'; mem: MemorySample; counters: ServerCounters }
  | { type: 'measured'; mem: MemorySample; counters: ServerCounters }
  | { type: 'closed'; counters: ServerCounters };

export type ParentMessage = { type: 'measure' } | { type: 'stop' };

export const CHILD_ENV = 'TQUIC_STRESS_CHILD';

/**
 * The command that starts the child: node on this module as built in dist/ (beside this module
 * when it runs from dist/, dist/stress/ seen from src/stress/ when it runs from the sources).
 */
export function childCommand(): { cmd: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const candidates = here.endsWith('.js') ? [here] : [fileURLToPath(new URL('../../dist/stress/server-child.js', import.meta.url))];
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`abuse: ${candidates[0]} is missing (run npm run build)`);
  return { cmd: process.execPath, args: [file] };
}

function counters(srv: QuicServer, hs: { established: number; errors: number }): ServerCounters {
  const st = srv.stats();
  return {
    connections: st.connections,
    endpointConnections: st.endpointConnections,
    handshakesInProgress: st.handshakesInProgress,
    dropped: st.dropped,
    refused: st.refused,
    statelessResets: st.statelessResets,
    addressValidation: st.addressValidation,
    datagramsReceived: st.datagramsReceived,
    datagramsSent: st.datagramsSent,
    bytesReceived: st.bytesReceived,
    bytesSent: st.bytesSent,
    receiveErrors: st.receiveErrors,
    established: hs.established,
    handshakeErrors: hs.errors,
  };
}

/** The child's main: serve, report, stop on 'stop' (or when the parent goes away). */
export async function childMain(config: ChildConfig): Promise<void> {
  const send = (m: ChildMessage): void => {
    if (process.connected) process.send!(m);
  };
  const pem = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });
  const srv = await listen({
    host: '127.0.0.1',
    port: 0,
    cert: pem.certPem,
    key: pem.keyPem,
    alpn: [HQ_ALPN],
    crypto: config.crypto,
    ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}),
    ...(config.retry !== undefined ? { retry: config.retry } : {}),
  });
  serveHq(srv, { root: config.root, alpn: [HQ_ALPN] });
  const hs = { established: 0, errors: 0 };
  srv.on('connection', () => void hs.established++);
  srv.on('handshakeError', () => void hs.errors++);
  // Warnings (malformed datagrams, send errors) are counted by the driver; nothing to print.
  srv.on('warning', () => {});
  const baseline = await settledMemory();
  send({ type: 'ready', port: srv.address.port, certPem: pem.certPem, baseline, counters: counters(srv, hs) });
  const timer = setInterval(() => send({ type: 'sample', mem: sampleMemory(), counters: counters(srv, hs) }), config.sampleMs);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await srv.close({ timeoutMs: 1000 });
    send({ type: 'closed', counters: counters(srv, hs) });
    process.disconnect?.();
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'measure') void settledMemory().then((mem) => send({ type: 'measured', mem, counters: counters(srv, hs) }));
    else if (m.type === 'stop') void stop();
  });
  // The parent went away: nothing to serve for.
  process.on('disconnect', () => void stop());
}

const env = process.env[CHILD_ENV];
if (env !== undefined && process.send !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) void childMain(JSON.parse(env) as ChildConfig);
