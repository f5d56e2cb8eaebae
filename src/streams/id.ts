/**
 * Stream identifiers (RFC 9000 §2.1). The two least significant bits of a stream ID give its
 * type: bit 0 the initiator (0 client, 1 server), bit 1 the direction (0 bidirectional,
 * 1 unidirectional). Stream IDs are varints up to 2^62-1, beyond 32 bits, so this module uses
 * arithmetic (`% 4`, `/ 4`) instead of bitwise operators, which truncate to 32 bits.
 */
export type StreamId = number;

/** The two type bits of a stream ID (0..3). */
export function streamType(id: StreamId): number {
  return id % 4;
}

/** RFC 9000 §2.1: bit 0x02 clear → bidirectional. */
export function isBidi(id: StreamId): boolean {
  return id % 4 < 2;
}

/** RFC 9000 §2.1: bit 0x01 clear → initiated by the client. */
export function isClientInitiated(id: StreamId): boolean {
  return id % 2 === 0;
}

/** Whether this endpoint initiated the stream. */
export function isLocal(id: StreamId, isClient: boolean): boolean {
  return isClientInitiated(id) === isClient;
}

/** The sequence number of a stream among streams of its type (0, 1, 2, …). */
export function streamIndex(id: StreamId): number {
  return Math.floor(id / 4);
}

/** The stream ID of the `index`-th stream of the given type. */
export function streamIdOf(index: number, bidi: boolean, clientInitiated: boolean): StreamId {
  return index * 4 + (bidi ? 0 : 2) + (clientInitiated ? 0 : 1);
}

/** Whether we can send on the stream (bidi, or a unidirectional stream we opened). */
export function canSend(id: StreamId, isClient: boolean): boolean {
  return isBidi(id) || isLocal(id, isClient);
}

/** Whether we can receive on the stream (bidi, or a unidirectional stream the peer opened). */
export function canReceive(id: StreamId, isClient: boolean): boolean {
  return isBidi(id) || !isLocal(id, isClient);
}
