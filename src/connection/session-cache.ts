/**
 * Session resumption state above TLS (RFC 9001 §4.5, RFC 9000 §7.4.1): where a client keeps
 * its tickets, and what a ticket must remember of the connection it came from — the QUIC
 * version and the server's transport parameters that bound 0-RTT.
 *
 * The same encoding serves both sides: the client stores the server's parameters in
 * `ClientSession.appData`; the server seals its own parameters into the ticket (TLS appData)
 * and compares them with its current ones when 0-RTT is offered (§7.4.1).
 */
import type { ClientSession } from '../crypto/tls/engine.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import type { SocketAddress } from '../util/datagram.js';
import type { TransportParameters } from '../wire/transport-params.js';

/**
 * Where a client keeps resumable sessions, by server name. `get` hands a session over and
 * forgets it: a ticket is used once (RFC 9001 §4.5, RFC 8446 §C.4), so a store returns each
 * session at most once. `set` keeps the newest session for a name (or several; `get` then
 * returns one of them).
 */
export interface SessionStore {
  /**
   * Hands over a session for `serverName` and forgets it (a ticket is used once); undefined when
   * none is kept.
   */
  get(serverName: string): ClientSession | undefined;
  /** Keeps a session received from `serverName`. */
  set(serverName: string, session: ClientSession): void;
}

/** An in-memory SessionStore: a few sessions per name, names forgotten oldest first past a bound. */
export class MemorySessionStore implements SessionStore {
  private readonly map = new Map<string, ClientSession[]>();

  constructor(
    private readonly maxNames = 256,
    private readonly perName = 4,
  ) {}

  /** The newest session for `serverName`, removed from the store; undefined when none is kept. */
  get(serverName: string): ClientSession | undefined {
    const list = this.map.get(serverName);
    if (!list || list.length === 0) return undefined;
    // The newest ticket first; it leaves the store (single use).
    const s = list.pop()!;
    if (list.length === 0) this.map.delete(serverName);
    return s;
  }

  /**
   * Keeps `session` as the newest for `serverName`: past `perName` sessions the oldest of the name
   * goes, past `maxNames` names the least recently stored name goes.
   */
  set(serverName: string, session: ClientSession): void {
    let list = this.map.get(serverName);
    if (list) this.map.delete(serverName); // re-inserted as the newest name
    else list = [];
    list.push(session);
    if (list.length > this.perName) list.shift();
    this.map.set(serverName, list);
    while (this.map.size > this.maxNames) this.map.delete(this.map.keys().next().value!);
  }

  /** Sessions held, all names together. */
  get size(): number {
    let n = 0;
    for (const l of this.map.values()) n += l.length;
    return n;
  }
}

/** The name a session is stored under: the server name, else the server's address. */
export function sessionKey(serverName: string | undefined, remote: SocketAddress): string {
  return serverName ?? `${remote.host}:${remote.port}`;
}

/**
 * RFC 9000 §7.4.1: the transport parameters 0-RTT depends on (those a client must remember and
 * a server must not reduce when it accepts 0-RTT), plus max_datagram_frame_size (RFC 9221 §3),
 * and max_idle_timeout / max_udp_payload_size, which a server may also compare.
 */
export interface RememberedParameters {
  /** The QUIC version of the connection that received the ticket. */
  version: number;
  maxIdleTimeoutMs: number;
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  activeConnectionIdLimit: number;
  maxDatagramFrameSize: number;
}

/** Format tag of the encoding (first byte). */
const FORMAT = 1;

const LIMIT_FIELDS = [
  'initialMaxData',
  'initialMaxStreamDataBidiLocal',
  'initialMaxStreamDataBidiRemote',
  'initialMaxStreamDataUni',
  'initialMaxStreamsBidi',
  'initialMaxStreamsUni',
  'activeConnectionIdLimit',
  'maxDatagramFrameSize',
] as const;

export function rememberParameters(version: number, tp: TransportParameters): RememberedParameters {
  return {
    version,
    maxIdleTimeoutMs: tp.maxIdleTimeoutMs,
    maxUdpPayloadSize: tp.maxUdpPayloadSize,
    initialMaxData: tp.initialMaxData,
    initialMaxStreamDataBidiLocal: tp.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: tp.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: tp.initialMaxStreamDataUni,
    initialMaxStreamsBidi: tp.initialMaxStreamsBidi,
    initialMaxStreamsUni: tp.initialMaxStreamsUni,
    activeConnectionIdLimit: tp.activeConnectionIdLimit,
    maxDatagramFrameSize: tp.maxDatagramFrameSize,
  };
}

export function encodeRemembered(r: RememberedParameters): Uint8Array {
  const w = ByteWriter.alloc(1 + 4 + 10 * 8);
  w.u8(FORMAT).u32(r.version >>> 0);
  w.varint(r.maxIdleTimeoutMs).varint(r.maxUdpPayloadSize);
  for (const f of LIMIT_FIELDS) w.varint(r[f]);
  return w.written().slice();
}

/** Parses what encodeRemembered wrote; undefined for anything else (never throws). */
export function decodeRemembered(b: Uint8Array | undefined): RememberedParameters | undefined {
  if (b === undefined || b.length === 0) return undefined;
  try {
    const r = new ByteReader(b);
    if (r.u8() !== FORMAT) return undefined;
    const out: Record<string, number> = { version: r.u32(), maxIdleTimeoutMs: r.varint(), maxUdpPayloadSize: r.varint() };
    for (const f of LIMIT_FIELDS) out[f] = r.varint();
    if (!r.isEmpty) return undefined;
    return out as unknown as RememberedParameters;
  } catch {
    return undefined;
  }
}

/**
 * RFC 9000 §7.4.1: the first limit of `now` smaller than the remembered one (the name of the
 * parameter), or undefined when none is. max_idle_timeout and max_udp_payload_size count too
 * ("a server MAY ... reject 0-RTT if it selects smaller values"); 0 idle timeout means none.
 */
export function reducedParameter(remembered: RememberedParameters, now: RememberedParameters, includeOptional: boolean): string | undefined {
  for (const f of LIMIT_FIELDS) if (now[f] < remembered[f]) return f;
  if (includeOptional) {
    if (now.maxUdpPayloadSize < remembered.maxUdpPayloadSize) return 'maxUdpPayloadSize';
    const idle = (v: number): number => (v === 0 ? Infinity : v);
    if (idle(now.maxIdleTimeoutMs) < idle(remembered.maxIdleTimeoutMs)) return 'maxIdleTimeoutMs';
  }
  return undefined;
}
