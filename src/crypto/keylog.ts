/**
 * NSS key log lines (the SSLKEYLOGFILE format read by Wireshark and most QUIC tools):
 *   <LABEL> <client_random hex> <secret hex>
 * Pure formatting; the edge (io/) decides where lines go.
 */
import { toHex } from '../util/bytes.js';

/** The labels used for TLS 1.3 secrets (QUIC uses the same ones). */
export const KeylogLabel = {
  CLIENT_EARLY_TRAFFIC_SECRET: 'CLIENT_EARLY_TRAFFIC_SECRET',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  CLIENT_TRAFFIC_SECRET_0: 'CLIENT_TRAFFIC_SECRET_0',
  SERVER_TRAFFIC_SECRET_0: 'SERVER_TRAFFIC_SECRET_0',
  EARLY_EXPORTER_SECRET: 'EARLY_EXPORTER_SECRET',
  EXPORTER_SECRET: 'EXPORTER_SECRET',
} as const;
export type KeylogLabel = (typeof KeylogLabel)[keyof typeof KeylogLabel];

/** One key log line, without a trailing newline. `clientRandom` is the 32-byte ClientHello.random. */
export function keylogLine(label: KeylogLabel, clientRandom: Uint8Array, secret: Uint8Array): string {
  if (clientRandom.length !== 32) throw new RangeError('client random must be 32 bytes');
  return `${label} ${toHex(clientRandom)} ${toHex(secret)}`;
}
