/**
 * Session tickets as the server issues them (RFC 8446 §4.6.1): self-contained, encrypted and
 * authenticated with a server ticket key, so the server keeps no per-ticket state.
 *
 *   ticket = nonce(12) ‖ AES-128-GCM(ticketKey, nonce, aad = "tquic ticket v1", state)
 *   state  = suite(2) ‖ psk<1> ‖ issuedAtMs(8) ‖ ageAdd(4) ‖ lifetime(4) ‖ maxEarlyData(4) ‖ alpn<1> ‖ appData<2>
 *
 * A ticket that fails to authenticate or parse is simply not usable (the handshake falls back to
 * a full one); it is never an error.
 */
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { CipherSuite, suiteInfo, type CryptoProvider } from '../provider.js';

/**
 * What a session ticket carries, sealed, so the server resumes without per-ticket state (RFC 8446
 * §4.6.1).
 */
export interface TicketState {
  suite: CipherSuite;
  psk: Uint8Array;
  /** Wall time of issue (ms since the Unix epoch), 0 when the server had no clock. */
  issuedAtMs: number;
  ticketAgeAdd: number;
  lifetimeSeconds: number;
  maxEarlyDataSize: number;
  alpn: string;
  /** Opaque data of the layer above (the connection keeps its transport parameters here). */
  appData: Uint8Array;
}

const AAD = new TextEncoder().encode('tquic ticket v1');
const UTF8 = new TextEncoder();
const NONCE = 12;

/**
 * Seals ticket state into an opaque ticket: a random 12-byte nonce, then AES-128-GCM under the
 * 16-byte server ticket `key` (`openTicket` reverses it).
 */
export function sealTicket(provider: CryptoProvider, key: Uint8Array, s: TicketState): Uint8Array {
  const alpn = UTF8.encode(s.alpn);
  const w = ByteWriter.alloc(2 + 1 + s.psk.length + 8 + 12 + 1 + alpn.length + 2 + s.appData.length);
  w.u16(s.suite).u8(s.psk.length).bytes(s.psk);
  w.u32(Math.floor(s.issuedAtMs / 0x100000000)).u32(s.issuedAtMs >>> 0);
  w.u32(s.ticketAgeAdd).u32(s.lifetimeSeconds).u32(s.maxEarlyDataSize);
  w.u8(alpn.length).bytes(alpn).u16(s.appData.length).bytes(s.appData);
  const nonce = provider.randomBytes(NONCE);
  const sealed = provider.aead(CipherSuite.TLS_AES_128_GCM_SHA256, key).seal(nonce, AAD, w.written());
  const out = new Uint8Array(NONCE + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE);
  return out;
}

/** Decrypts and parses a ticket; undefined when it is not one of ours or is malformed. */
export function openTicket(provider: CryptoProvider, key: Uint8Array, ticket: Uint8Array): TicketState | undefined {
  if (ticket.length < NONCE + 16) return undefined;
  const pt = provider.aead(CipherSuite.TLS_AES_128_GCM_SHA256, key).open(ticket.subarray(0, NONCE), AAD, ticket.subarray(NONCE));
  if (pt === null) return undefined;
  try {
    const r = new ByteReader(pt);
    const suite = r.u16();
    const psk = r.copy(r.u8());
    const issuedAtMs = r.u32() * 0x100000000 + r.u32();
    const ticketAgeAdd = r.u32();
    const lifetimeSeconds = r.u32();
    const maxEarlyDataSize = r.u32();
    const alpn = new TextDecoder().decode(r.bytes(r.u8()));
    const appData = r.copy(r.u16());
    if (!r.isEmpty) return undefined;
    suiteInfo(suite);
    return { suite: suite as CipherSuite, psk, issuedAtMs, ticketAgeAdd, lifetimeSeconds, maxEarlyDataSize, alpn, appData };
  } catch {
    return undefined;
  }
}
