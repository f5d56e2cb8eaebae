/**
 * The packet types that carry frames (RFC 9000 §17). Version Negotiation, Retry and Stateless
 * Reset carry none and are not listed. Used by the frame legality check (legality.ts, RFC 9000
 * §12.4 Table 3) and by the packet header codec.
 */
export type PacketType = 'initial' | '0rtt' | 'handshake' | '1rtt';
