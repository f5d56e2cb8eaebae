/**
 * Datagrams as the sans-IO core sees them (DESIGN §1): bytes plus the 4-tuple, with an optional
 * ECN codepoint. Addresses are plain values; `addressKey` gives the compact string used as a Map
 * key (DESIGN §4 rule 4: O(1) lookup, never a scan comparing address objects).
 */
export interface SocketAddress {
  /** IPv4 dotted quad or IPv6 text, as node:dgram reports it. */
  readonly host: string;
  readonly port: number;
}

/** RFC 3168 ECN codepoints in the IP header. */
export type Ecn = 'not-ect' | 'ect0' | 'ect1' | 'ce';

export interface Datagram {
  data: Uint8Array;
  from: SocketAddress;
  to: SocketAddress;
  ecn?: Ecn;
}

export function addressKey(a: SocketAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  return a.port === b.port && a.host === b.host;
}
