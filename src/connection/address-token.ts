/**
 * NEW_TOKEN tokens on a connection (RFC 9000 §8.1.3, §19.7): the server sends one for future
 * connections from this client; the client keeps the tokens it receives, per server, and puts
 * one in the Initial of its next connection to that server.
 */
import type { Connection } from './connection.js';
import { MAX_CLIENT_TOKEN } from './retry.js';

/**
 * Where a client keeps NEW_TOKEN tokens, keyed by server (its name, else its address). `get`
 * hands out a token for a new connection attempt; RFC 9000 §8.1.3 says a client SHOULD NOT
 * reuse one, so a store should forget what it handed out.
 */
export interface TokenStore {
  /**
   * Hands out a token for a new connection to `server`, and should forget it (RFC 9000 §8.1.3);
   * undefined when none is kept.
   */
  get(server: string): Uint8Array | undefined;
  /** Keeps a NEW_TOKEN token received from `server`. */
  set(server: string, token: Uint8Array): void;
}

/** An in-memory TokenStore (an Endpoint's default): the latest token per server, used once. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, Uint8Array>();
  /** Servers remembered at most (the oldest is forgotten first). */
  constructor(private readonly capacity = 256) {}

  /** The latest token from `server`, removed from the store; undefined when none is kept. */
  get(server: string): Uint8Array | undefined {
    const t = this.tokens.get(server);
    if (t !== undefined) this.tokens.delete(server);
    return t;
  }

  /**
   * Keeps a copy of `token` as the one for `server`, replacing an older one; past `capacity`
   * servers the least recently stored is forgotten.
   */
  set(server: string, token: Uint8Array): void {
    this.tokens.delete(server);
    this.tokens.set(server, token.slice());
    if (this.tokens.size > this.capacity) this.tokens.delete(this.tokens.keys().next().value!);
  }

  /** Servers with a token held. */
  get size(): number {
    return this.tokens.size;
  }
}

/**
 * The key a client's tokens are stored under: the server name and its address, so a token is
 * sent only to the address it came from (RFC 9000 §21.5.3: a name that now resolves elsewhere
 * must not turn the client's Initial into a request forgery with a server-chosen token).
 */
export function tokenStoreKey(conn: Connection): string {
  return `${conn.config.serverName ?? ''}@${conn.remote.host}:${conn.remote.port}`;
}

/** Client, as the connection starts: a stored NEW_TOKEN token for its first Initial (§8.1.3). */
export function takeStoredToken(conn: Connection): void {
  const store = conn.config.tokenStore;
  if (!conn.isClient || store === undefined) return;
  const t = store.get(tokenStoreKey(conn));
  if (t !== undefined && t.length > 0 && t.length <= MAX_CLIENT_TOKEN) conn.retry.token = t;
}

/** Client: a NEW_TOKEN frame arrived (servers reject them in frames.ts, §19.7). */
export function onNewToken(conn: Connection, token: Uint8Array): void {
  // Copied: the frame is a view into the received datagram.
  if (token.length <= MAX_CLIENT_TOKEN) conn.config.tokenStore?.set(tokenStoreKey(conn), token.slice());
}

/** Server: queues one NEW_TOKEN frame with `token` (sent once the handshake is confirmed). */
export function queueNewToken(conn: Connection, token: Uint8Array): void {
  conn.retry.newTokenPending = token;
  conn.retry.newTokenIssued = true;
}

/** Server: a packet with our NEW_TOKEN was lost: send the token again (RFC 9000 §13.3). */
export function onNewTokenLost(conn: Connection, token: Uint8Array): void {
  if (conn.state === 'established' || conn.state === 'handshake') conn.retry.newTokenPending = token;
}
