/**
 * Session resumption and 0-RTT over packets (RFC 9001 §4.5, §4.6; RFC 9000 §7.4.1, §12.3,
 * §17.2.3).
 *
 * Client: a stored session (config.session, else taken from config.sessionStore) is offered for
 * resumption; with `earlyData` and a ticket that allows it, the 0-RTT write keys are installed
 * and stream data goes out in 0-RTT packets — in the application packet number space (RFC 9000
 * §12.3), bounded by the server's remembered transport parameters (§7.4.1) — until the 1-RTT
 * keys arrive (RFC 9001 §4.9.3 discards the 0-RTT keys then). A rejection requeues everything
 * sent in 0-RTT for 1-RTT (RFC 9002 §6.4 drops its recovery state) and replaces the remembered
 * limits with the server's real ones (RFC 9001 §4.6.2).
 *
 * Server: tickets carry its own transport parameters and the QUIC version; 0-RTT is accepted
 * when those are not larger than its current ones (RFC 9000 §7.4.1) and the ticket was not seen
 * before (RFC 9001 §9.2, RFC 8446 §8: a bounded strike register). Accepted 0-RTT packets are
 * read with the 0-RTT keys until 3×PTO after the first 1-RTT packet (RFC 9001 §4.9.3).
 */
import { setPeerMaxUdpPayload } from './pmtu.js';
import { peerStreamParams } from '../streams/types.js';
import { DirectionalKeys } from '../crypto/keys.js';
import type { CipherSuite } from '../crypto/provider.js';
import type { ClientSession } from '../crypto/tls/engine.js';
import { keyTypeOf } from '../qlog/common.js';
import { toHex } from '../util/bytes.js';
import type { Instant } from '../util/time.js';
import { ErrorCode, TransportError } from '../util/transport-error.js';
import type { ConnectionConfig } from './config.js';
import type { Connection } from './connection.js';
import { localTransportParameters } from './handshake.js';
import { decodeRemembered, encodeRemembered, reducedParameter, rememberParameters, sessionKey, type RememberedParameters } from './session-cache.js';
import { onTokenLost } from './tokens.js';
import { APPDATA } from './types.js';

/**
 * A bounded anti-replay register (RFC 8446 §8.2, RFC 9001 §9.2): ticket identities seen within
 * a window. A full register refuses (0-RTT is then rejected, which is always safe) rather than
 * forgetting an identity early.
 */
export class StrikeRegister {
  /** Identity → expiry; insertion order is expiry order (time only moves forward). */
  private readonly seen = new Map<string, Instant>();

  constructor(
    readonly capacity = 4096,
    /** How long an identity is remembered, µs (default 30 s: beyond the ticket-age window, RFC 8446 §8.3). */
    readonly windowUs = 30_000_000,
  ) {
    if (!(capacity >= 1)) throw new RangeError('strike register capacity must be at least 1');
  }

  /** Records `identity` and returns true if it is new; false for a replay or when full. */
  admit(identity: Uint8Array, now: Instant): boolean {
    this.expire(now);
    // Our tickets end in their AEAD tag, which identifies them.
    const key = toHex(identity.length > 16 ? identity.subarray(identity.length - 16) : identity);
    if (this.seen.has(key) || this.seen.size >= this.capacity) return false;
    this.seen.set(key, now + this.windowUs);
    return true;
  }

  /** Identities remembered now (expired ones are dropped at the next `admit`). */
  get size(): number {
    return this.seen.size;
  }

  private expire(now: Instant): void {
    for (const [k, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(k);
    }
  }
}

/** One register per ticket configuration (shared by every connection of a server), unless given. */
const registers = new WeakMap<object, StrikeRegister>();

function strikeRegisterFor(c: ConnectionConfig): StrikeRegister {
  if (c.antiReplay) return c.antiReplay;
  const owner = c.tickets!;
  let r = registers.get(owner);
  if (r === undefined) registers.set(owner, (r = new StrikeRegister()));
  return r;
}

/** Per-connection 0-RTT state. */
export class EarlyData {
  /** Client: the session offered for resumption (resolved once, also across a Version Negotiation restart). */
  session: ClientSession | undefined;
  resolved = false;
  /** Client: 0-RTT write keys while 0-RTT may be sent; server: 0-RTT read keys once accepted. */
  keys: DirectionalKeys | undefined;
  /** Client: the server's remembered parameters that bound 0-RTT (RFC 9000 §7.4.1). */
  remembered: RememberedParameters | undefined;
  /** undefined until known; client: the server's answer; server: whether it accepted. */
  accepted: boolean | undefined;
  /** Server: when the 0-RTT read keys go (3×PTO after the first 1-RTT packet, RFC 9001 §4.9.3). */
  discardAt: Instant | undefined;
  /** Why the server rejected 0-RTT, when it did (diagnostics). */
  rejectReason: string | undefined;
  packetsSent = 0;
  packetsReceived = 0;
  /** Client: the packet number of its first 1-RTT packet (those below it were 0-RTT). */
  firstOneRttPn: number | undefined;
}

/**
 * Client: whether `acked` (application space) holds a 1-RTT packet — RFC 9001 §4.1.2 confirms
 * the handshake on that, and an acknowledged 0-RTT packet does not count.
 */
export function ackedOneRtt(conn: Connection, acked: ReadonlyArray<{ pn: number }>): boolean {
  const e = conn.early;
  if (e.packetsSent === 0) return acked.length > 0;
  const first = e.firstOneRttPn;
  if (first === undefined) return false;
  for (let i = 0; i < acked.length; i++) if (acked[i]!.pn >= first) return true;
  return false;
}

/** Client: the session to resume, taken once from the config or the session store (single use). */
export function offeredSession(conn: Connection): ClientSession | undefined {
  const e = conn.early;
  if (!e.resolved) {
    e.resolved = true;
    const c = conn.config;
    e.session = c.session ?? c.sessionStore?.get(sessionKey(c.serverName, conn.remote));
  }
  return e.session;
}

/** Client: offer 0-RTT with `session` (RFC 9001 §4.6.1): asked for, allowed, same QUIC version. */
export function wantsEarlyData(conn: Connection, session: ClientSession | undefined): boolean {
  if (!conn.isClient || conn.config.earlyData !== true || session === undefined) return false;
  if (session.maxEarlyDataSize !== 0xffffffff) return false;
  const r = decodeRemembered(session.appData);
  return r !== undefined && r.version === conn.version;
}

/** A 0-RTT secret from TLS: the client's write keys or the server's read keys. */
export function onEarlySecret(conn: Connection, now: Instant, direction: 'read' | 'write', suite: CipherSuite, secret: Uint8Array): void {
  const e = conn.early;
  if (conn.isClient) {
    if (direction !== 'write') return;
    const r = decodeRemembered(e.session?.appData);
    if (r === undefined) return;
    e.keys = DirectionalKeys.fromSecret(conn.provider, suite, conn.version, secret);
    e.remembered = r;
    // RFC 9000 §7.4.1: remembered values apply to 0-RTT until the handshake supplies new ones.
    conn.streams.setPeerParams({
      initialMaxData: r.initialMaxData,
      initialMaxStreamDataBidiLocal: r.initialMaxStreamDataBidiLocal,
      initialMaxStreamDataBidiRemote: r.initialMaxStreamDataBidiRemote,
      initialMaxStreamDataUni: r.initialMaxStreamDataUni,
      initialMaxStreamsBidi: r.initialMaxStreamsBidi,
      initialMaxStreamsUni: r.initialMaxStreamsUni,
    });
    conn.peerMaxDatagramFrame = r.maxDatagramFrameSize;
    setPeerMaxUdpPayload(conn, now, r.maxUdpPayloadSize);
  } else {
    if (direction !== 'read') return;
    e.keys = DirectionalKeys.fromSecret(conn.provider, suite, conn.version, secret);
    e.accepted = true;
  }
  conn.qlog?.event(now, { name: 'quic:key_updated', data: { key_type: keyTypeOf('client', '0rtt'), trigger: 'tls' } });
}

/**
 * Client: the server's answer to 0-RTT (RFC 8446 §4.2.10: early_data in EncryptedExtensions,
 * or a HelloRetryRequest). The server's transport parameters were applied just before.
 */
export function onEarlyDataResult(conn: Connection, now: Instant, accepted: boolean): void {
  const e = conn.early;
  if (!conn.isClient || e.accepted !== undefined) return;
  e.accepted = accepted;
  if (accepted) {
    // RFC 9000 §7.4.1: a server that accepts 0-RTT must not reduce the remembered limits.
    const tp = conn.peerParams;
    const reduced = tp && e.remembered ? reducedParameter(e.remembered, rememberParameters(conn.version, tp), false) : undefined;
    if (reduced !== undefined) throw new TransportError(ErrorCode.PROTOCOL_VIOLATION, undefined, `0-RTT accepted with a smaller ${reduced} than remembered (RFC 9000 §7.4.1)`);
  } else {
    discardEarlyKeys(conn, now);
    // RFC 9002 §6.4: the recovery state of the 0-RTT packets goes; RFC 9001 §4.6.2: what they
    // carried is sent again in 1-RTT. Before the 1-RTT keys every application packet was 0-RTT.
    const removed = conn.recovery.discardSpace(APPDATA);
    for (let i = 0; i < removed.length; i++) {
      const p = removed[i]!;
      for (let j = 0; j < p.tokens.length; j++) onTokenLost(conn, p.tokens[j]!);
      conn.releaseSent(p);
    }
    // The remembered limits no longer hold: the server's real ones replace them.
    const tp = conn.peerParams;
    if (tp) {
      conn.streams.replacePeerParams(peerStreamParams(tp));
    }
  }
  conn.emit({ type: 'early_data', accepted });
}

/**
 * Client: a NewSessionTicket arrived. The session remembers the version and the server's
 * transport parameters (RFC 9000 §7.4.1), goes to the session store and is announced.
 */
export function rememberedSessionTicket(conn: Connection, now: Instant, session: ClientSession): ClientSession {
  const tp = conn.peerParams;
  // RFC 8446 §4.2.11.1: the ticket's age counts from when it arrived, not from when the
  // connection started (a server's anti-replay check rejects 0-RTT with an age larger than its
  // own view of it).
  const t0 = conn.config.timeMs;
  const receivedAtMs = t0 !== undefined && conn.startedAt !== undefined ? Math.round(t0 + (now - conn.startedAt) / 1000) : session.receivedAtMs;
  const s: ClientSession = { ...session, receivedAtMs, ...(tp ? { appData: encodeRemembered(rememberParameters(conn.version, tp)) } : {}) };
  conn.config.sessionStore?.set(sessionKey(conn.config.serverName, conn.remote), s);
  conn.emit({ type: 'session', session: s });
  return s;
}

/** Client: the 1-RTT write keys are in; RFC 9001 §4.9.3: the 0-RTT keys have no use any more. */
export function onOneRttWriteKeys(conn: Connection, now: Instant): void {
  if (conn.isClient && conn.early.keys !== undefined) discardEarlyKeys(conn, now);
}

function discardEarlyKeys(conn: Connection, now: Instant): void {
  if (conn.early.keys === undefined) return;
  conn.early.keys = undefined;
  conn.qlog?.event(now, { name: 'quic:key_discarded', data: { key_type: keyTypeOf('client', '0rtt'), trigger: 'tls' } });
}

/** Builder: the keys for a 0-RTT packet now, when the client may send one (RFC 9001 §4.6.1). */
export function zeroRttWriteKeys(conn: Connection): DirectionalKeys | undefined {
  const k = conn.early.keys;
  if (k === undefined || !conn.isClient || conn.spaces[APPDATA].seal !== undefined) return undefined;
  return k;
}

/** Server: the 0-RTT read keys, while kept. */
export function zeroRttReadKeys(conn: Connection, now: Instant): DirectionalKeys | undefined {
  const e = conn.early;
  if (conn.isClient || e.keys === undefined) return undefined;
  if (e.discardAt !== undefined && now >= e.discardAt) {
    discardEarlyKeys(conn, now);
    return undefined;
  }
  return e.keys;
}

/** Server: a 1-RTT packet arrived; the 0-RTT keys go 3×PTO later (RFC 9001 §4.9.3). */
export function onOneRttReceived(conn: Connection, now: Instant): void {
  const e = conn.early;
  if (!conn.isClient && e.keys !== undefined && e.discardAt === undefined) e.discardAt = now + 3 * conn.recovery.rtt.pto(conn.recovery.maxAckDelay, true);
}

/** Server: what a ticket remembers: our version and transport parameters (RFC 9000 §7.4.1). */
export function serverTicketAppData(conn: Connection): Uint8Array {
  return encodeRemembered(rememberParameters(conn.version, localTransportParameters(conn)));
}

/**
 * Server (TLS acceptEarlyData hook): accept 0-RTT with this ticket? RFC 9000 §7.4.1: not when
 * our parameters shrank ("MUST reject 0-RTT data if the restored values ... cannot be
 * supported"); RFC 9368: not across a version change; RFC 9001 §9.2: not a replayed ticket.
 */
export function serverAcceptsEarlyData(conn: Connection, ticket: { alpn: string; appData: Uint8Array; identity?: Uint8Array }): boolean {
  const e = conn.early;
  const r = decodeRemembered(ticket.appData);
  const reject = (why: string): boolean => {
    e.rejectReason = why;
    return false;
  };
  if (r === undefined) return reject('ticket without transport parameters');
  if (r.version !== conn.version || conn.version !== conn.versionNegotiation.original) return reject('QUIC version changed');
  const reduced = reducedParameter(r, rememberParameters(conn.version, localTransportParameters(conn)), true);
  if (reduced !== undefined) return reject(`${reduced} is smaller than remembered`);
  if (ticket.identity === undefined || !strikeRegisterFor(conn.config).admit(ticket.identity, conn.lastNow)) return reject('ticket seen before (anti-replay)');
  return true;
}
