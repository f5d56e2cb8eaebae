import { describe, expect, it } from 'vitest';
import { ErrorCode, TransportError } from '../../src/util/transport-error.js';
import { FrameType } from '../../src/wire/frame.js';
import { checkFrameAllowed, isFrameAllowed, isKnownFrameType, type PacketType } from '../../src/wire/legality.js';

/** Column order of the "Pkts" strings below: Initial, Handshake, 0-RTT, 1-RTT. */
const COLUMNS: PacketType[] = ['initial', 'handshake', '0rtt', '1rtt'];

/**
 * RFC 9000 §12.4 Table 3, transcribed row by row ("_" = not allowed), plus the extensions.
 * CONNECTION_CLOSE "ih01" is split: 0x1c in all four, 0x1d only in 0-RTT and 1-RTT.
 */
const TABLE: Array<[string, number[], string]> = [
  ['PADDING', [0x00], 'IH01'],
  ['PING', [0x01], 'IH01'],
  ['ACK', [0x02, 0x03], 'IH_1'],
  ['RESET_STREAM', [0x04], '__01'],
  ['STOP_SENDING', [0x05], '__01'],
  ['CRYPTO', [0x06], 'IH_1'],
  ['NEW_TOKEN', [0x07], '___1'],
  ['STREAM', [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f], '__01'],
  ['MAX_DATA', [0x10], '__01'],
  ['MAX_STREAM_DATA', [0x11], '__01'],
  ['MAX_STREAMS', [0x12, 0x13], '__01'],
  ['DATA_BLOCKED', [0x14], '__01'],
  ['STREAM_DATA_BLOCKED', [0x15], '__01'],
  ['STREAMS_BLOCKED', [0x16, 0x17], '__01'],
  ['NEW_CONNECTION_ID', [0x18], '__01'],
  // Table 3 says __01, but §12.5 lists RETIRE_CONNECTION_ID among the frames that cannot be
  // sent in 0-RTT and lets a server treat them as PROTOCOL_VIOLATION; tquic does.
  ['RETIRE_CONNECTION_ID', [0x19], '___1'],
  ['PATH_CHALLENGE', [0x1a], '__01'],
  ['PATH_RESPONSE', [0x1b], '___1'],
  ['CONNECTION_CLOSE (transport)', [0x1c], 'IH01'],
  ['CONNECTION_CLOSE (application)', [0x1d], '__01'],
  ['HANDSHAKE_DONE', [0x1e], '___1'],
  // RFC 9221 §4: 0-RTT or 1-RTT
  ['DATAGRAM', [0x30, 0x31], '__01'],
  // draft-ietf-quic-multipath-21 §4: 1-RTT only
  ['PATH_ACK', [0x3e, 0x3f], '___1'],
  ['PATH_ABANDON', [0x3e75], '___1'],
  ['PATH_STATUS_BACKUP', [0x3e76], '___1'],
  ['PATH_STATUS_AVAILABLE', [0x3e77], '___1'],
  ['PATH_NEW_CONNECTION_ID', [0x3e78], '___1'],
  ['PATH_RETIRE_CONNECTION_ID', [0x3e79], '___1'],
  ['MAX_PATH_ID', [0x3e7a], '___1'],
  ['PATHS_BLOCKED', [0x3e7b], '___1'],
  ['PATH_CIDS_BLOCKED', [0x3e7c], '___1'],
  // specs/fec.md B7: 1-RTT only
  ['SID', [0xfec5], '___1'],
  ['REPAIR', [0xfec6], '___1'],
  ['SYMBOL_ACK', [0x32a80fecac], '___1'],
];

const cells = TABLE.flatMap(([name, types, pkts]) =>
  types.flatMap((t) => COLUMNS.map((pt, i) => [name, t, pt, pkts[i] !== '_'] as [string, number, PacketType, boolean])),
);

describe('frame legality (RFC 9000 §12.4 Table 3)', () => {
  it.each(cells)('%s (type %i) in %s: allowed=%s', (_name, type, pt, allowed) => {
    expect(isFrameAllowed(type, pt)).toBe(allowed);
    if (allowed) {
      expect(() => checkFrameAllowed(type, pt)).not.toThrow();
    } else {
      let err: unknown;
      try {
        checkFrameAllowed(type, pt);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe(ErrorCode.PROTOCOL_VIOLATION);
      expect((err as TransportError).frameType).toBe(type);
    }
  });

  it('0-RTT forbids exactly ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID among RFC 9000 frames (§12.5)', () => {
    const forbidden: number[] = [];
    for (let t = 0x00; t <= 0x1e; t++) if (!isFrameAllowed(t, '0rtt') && t !== 0x1c) forbidden.push(t);
    expect(forbidden).toEqual([0x02, 0x03, 0x06, 0x07, 0x19, 0x1b, 0x1e]);
  });

  it('every FrameType constant has a row', () => {
    const covered = new Set(TABLE.flatMap(([, types]) => types));
    for (const [name, t] of Object.entries(FrameType)) {
      expect(covered.has(t), name).toBe(true);
      expect(isKnownFrameType(t), name).toBe(true);
    }
  });

  it('unknown frame types are allowed nowhere; checkFrameAllowed reports FRAME_ENCODING_ERROR', () => {
    const known = new Set(TABLE.flatMap(([, types]) => types));
    const probes = [0x1f, 0x20, 0x2f, 0x32, 0x3d, 0x40, 0x3e74, 0x3e7d, 0xfec4, 0xfec7, 0x15228c05, 2 ** 40];
    for (let t = 0; t < 0x40; t++) if (!known.has(t)) probes.push(t);
    for (const t of probes) {
      expect(isKnownFrameType(t)).toBe(false);
      for (const pt of COLUMNS) {
        expect(isFrameAllowed(t, pt)).toBe(false);
        try {
          checkFrameAllowed(t, pt);
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
          expect((e as TransportError).code).toBe(ErrorCode.FRAME_ENCODING_ERROR);
          expect((e as TransportError).frameType).toBe(t);
        }
      }
    }
  });
});
