/**
 * HTTP/3 frames (RFC 9114 §7) and message fields (§4.2, §4.3): the codec, the incremental reader
 * over arbitrary chunk boundaries, grease, and the errors every malformed input must produce.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeDataHeader,
  encodeFrame,
  encodeRawFrame,
  FrameReader,
  FrameType,
  greaseValue,
  H3Error,
  H3ErrorCode,
  isReservedId,
  parseRequestHead,
  parseResponseHead,
  parseTrailers,
  SettingId,
  fieldSectionSize,
  type FieldLine,
  type ReaderEvent,
} from '../../src/http/index.js';
import { fc } from '../support/fc.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Frames and DATA payloads as comparable values (DATA pieces merged). */
function summarize(events: ReaderEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    if (e.kind === 'data') {
      const last = out[out.length - 1] as { data?: number[] } | undefined;
      if (last?.data !== undefined) last.data.push(...e.bytes);
      else out.push({ data: [...e.bytes] });
    } else {
      const f = e.frame;
      out.push({
        ...f,
        ...('fieldSection' in f ? { fieldSection: [...f.fieldSection] } : {}),
        headerLength: e.headerLength,
        payloadLength: e.payloadLength,
      });
    }
  }
  return out;
}

function readAll(chunks: Uint8Array[], o?: ConstructorParameters<typeof FrameReader>[0]): { events: ReaderEvent[]; boundary: boolean } {
  const r = new FrameReader(o);
  const events: ReaderEvent[] = [];
  for (const c of chunks) {
    r.push(c);
    for (let e = r.next(); e !== undefined; e = r.next()) events.push(e);
  }
  return { events, boundary: r.atFrameBoundary };
}

function errorOf(f: () => unknown): H3Error {
  try {
    f();
  } catch (e) {
    if (e instanceof H3Error) return e;
    throw e;
  }
  throw new Error('no error');
}

const grease = 0x1f * 1000 + 0x21;
const sample = concat([
  encodeFrame({
    type: 'settings',
    settings: [
      { id: SettingId.QPACK_MAX_TABLE_CAPACITY, value: 4096 },
      { id: SettingId.MAX_FIELD_SECTION_SIZE, value: 65536 },
      { id: grease, value: 2 ** 40 },
    ],
  }),
  encodeRawFrame(grease, new Uint8Array([1, 2, 3, 4, 5])),
  encodeFrame({ type: 'headers', fieldSection: new Uint8Array([0, 0, 0xd1, 0xd7]) }),
  encodeDataHeader(300),
  new Uint8Array(300).map((_, i) => i & 0xff),
  encodeRawFrame(0x1234, new Uint8Array(70)),
  encodeDataHeader(0),
  encodeFrame({ type: 'goaway', id: 2 ** 30 }),
  encodeFrame({ type: 'cancel_push', pushId: 7 }),
  encodeFrame({ type: 'max_push_id', pushId: 64 }),
  encodeFrame({ type: 'push_promise', pushId: 3, fieldSection: new Uint8Array([0, 0, 0xc1]) }),
]);

describe('h3 frames: codec', () => {
  it('round-trips every frame type, with reserved and unknown types reported and skipped', () => {
    const { events, boundary } = readAll([sample]);
    expect(boundary).toBe(true);
    const s = summarize(events) as Array<Record<string, unknown>>;
    expect(s.map((e) => e.type ?? 'payload')).toEqual(['settings', 'reserved', 'headers', 'data', 'payload', 'unknown', 'data', 'goaway', 'cancel_push', 'max_push_id', 'push_promise']);
    expect(s[0]).toMatchObject({ settings: [{ id: 1, value: 4096 }, { id: 6, value: 65536 }, { id: grease, value: 2 ** 40 }], headerLength: 2 });
    expect(s[1]).toMatchObject({ type: 'reserved', frameType: grease, length: 5, headerLength: 5 });
    expect(s[2]).toMatchObject({ fieldSection: [0, 0, 0xd1, 0xd7], payloadLength: 4 });
    expect(s[3]).toMatchObject({ type: 'data', length: 300, headerLength: 3 });
    expect((s[4] as { data: number[] }).data).toHaveLength(300);
    expect(s[5]).toMatchObject({ type: 'unknown', frameType: 0x1234, length: 70 });
    expect(s[6]).toMatchObject({ type: 'data', length: 0 });
    expect(s[7]).toMatchObject({ id: 2 ** 30 });
    expect(s[8]).toMatchObject({ pushId: 7 });
    expect(s[9]).toMatchObject({ pushId: 64 });
    expect(s[10]).toMatchObject({ pushId: 3, fieldSection: [0, 0, 0xc1] });
  });

  it('reassembles the same frames when split at every byte, and one byte at a time', () => {
    const whole = summarize(readAll([sample]).events);
    for (let i = 1; i < sample.length; i++) {
      const split = readAll([sample.subarray(0, i), sample.subarray(i)]);
      expect(summarize(split.events), `split at ${i}`).toEqual(whole);
      expect(split.boundary).toBe(true);
    }
    const bytes = Array.from(sample, (b) => new Uint8Array([b]));
    expect(summarize(readAll(bytes).events)).toEqual(whole);
  });

  it('reassembles across random chunkings (property)', () => {
    const whole = summarize(readAll([sample]).events);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: sample.length - 1 }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, sample.length]) {
          chunks.push(sample.subarray(prev, p));
          prev = p;
        }
        expect(summarize(readAll(chunks).events)).toEqual(whole);
      }),
    );
  });

  it('streams DATA without buffering its payload, and skips unknown payloads as they arrive', () => {
    const r = new FrameReader();
    r.push(encodeDataHeader(10_000_000));
    expect(r.next()).toMatchObject({ kind: 'frame', frame: { type: 'data', length: 10_000_000 } });
    let got = 0;
    for (let i = 0; i < 100; i++) {
      r.push(new Uint8Array(4096));
      for (let e = r.next(); e !== undefined; e = r.next()) got += (e as { bytes: Uint8Array }).bytes.length;
      expect(r.buffered).toBe(0);
    }
    expect(got).toBe(409_600);
    expect(r.atFrameBoundary).toBe(false);

    const u = new FrameReader();
    u.push(encodeRawFrame(0x21, new Uint8Array(0)).subarray(0, 1));
    u.push(new Uint8Array([0x80 | 0x3f, 0xff, 0xff, 0xff]));
    expect(u.next()).toMatchObject({ frame: { type: 'reserved', length: 0x3fffffff } });
    for (let i = 0; i < 50; i++) {
      u.push(new Uint8Array(65536));
      expect(u.next()).toBeUndefined();
      expect(u.buffered).toBe(0);
    }
  });

  it('knows reserved identifiers and greases with them', () => {
    for (const v of [0x21, 0x40, 0x5f, 0x1f * 12345 + 0x21]) expect(isReservedId(v)).toBe(true);
    for (const v of [0, 1, 0x20, 0x22, 0x41]) expect(isReservedId(v)).toBe(false);
    for (let i = 0; i < 100; i++) {
      const g = greaseValue();
      expect(isReservedId(g)).toBe(true);
      expect(g).toBeLessThan(2 ** 30);
    }
    expect(greaseValue(() => 0)).toBe(0x21);
  });
});

describe('h3 frames: errors', () => {
  const read = (bytes: number[] | Uint8Array, o?: ConstructorParameters<typeof FrameReader>[0]): H3Error =>
    errorOf(() => readAll([bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)], o));

  it('refuses HTTP/2 frame types with H3_FRAME_UNEXPECTED', () => {
    for (const t of [0x02, 0x06, 0x08, 0x09]) expect(read([t, 0]).code).toBe(H3ErrorCode.H3_FRAME_UNEXPECTED);
  });

  it('refuses malformed SETTINGS', () => {
    // HTTP/2 settings (RFC 9114 §7.2.4.1) and duplicates (§7.2.4).
    for (const id of [2, 3, 4, 5]) expect(read(encodeFrame({ type: 'settings', settings: [{ id, value: 1 }] })).code).toBe(H3ErrorCode.H3_SETTINGS_ERROR);
    const dup = encodeFrame({
      type: 'settings',
      settings: [
        { id: 6, value: 1 },
        { id: 6, value: 2 },
      ],
    });
    expect(read(dup).code).toBe(H3ErrorCode.H3_SETTINGS_ERROR);
    // Two large reserved identifiers that round to one number are still distinct.
    const a = [0xc0 | 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0];
    const b = [0xc0 | 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0];
    expect(summarize(readAll([encodeRawFrame(FrameType.SETTINGS, new Uint8Array([...a, ...b]))]).events)).toHaveLength(1);
    // An identifier without a value, a truncated varint.
    expect(read(encodeRawFrame(FrameType.SETTINGS, new Uint8Array([6]))).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
    expect(read(encodeRawFrame(FrameType.SETTINGS, new Uint8Array([6, 0x40]))).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
    // Too large a SETTINGS frame (a connection error).
    const big = read(encodeRawFrame(FrameType.SETTINGS, new Uint8Array(20_000)));
    expect(big).toMatchObject({ code: H3ErrorCode.H3_EXCESSIVE_LOAD, scope: 'connection' });
  });

  it('refuses one-integer frames that are not exactly one integer (RFC 9114 §7.1)', () => {
    for (const t of [FrameType.GOAWAY, FrameType.CANCEL_PUSH, FrameType.MAX_PUSH_ID]) {
      expect(read([t, 0]).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
      expect(read([t, 2, 1, 2]).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
      expect(read([t, 1, 0x40]).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
      expect(read([t, 9, ...new Array<number>(9).fill(0)]).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
    }
    expect(read([FrameType.PUSH_PROMISE, 1, 0x40]).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
  });

  it('bounds HEADERS before buffering it (a stream error)', () => {
    const r = new FrameReader({ maxFieldSectionPayload: 1000 });
    r.push(new Uint8Array([FrameType.HEADERS, 0x43, 0xe9])); // length 1001
    expect(errorOf(() => r.next())).toMatchObject({ code: H3ErrorCode.H3_EXCESSIVE_LOAD, scope: 'stream' });
  });

  it('throws nothing but H3Error on random input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 16 }), (bytes, step) => {
        const r = new FrameReader({ maxFieldSectionPayload: 100, maxSettingsPayload: 100 });
        try {
          for (let i = 0; i < bytes.length; i += step) {
            r.push(bytes.subarray(i, i + step));
            for (let e = r.next(); e !== undefined; e = r.next()) {
              // Events only; nothing to do.
            }
          }
        } catch (e) {
          expect(e).toBeInstanceOf(H3Error);
        }
      }),
    );
  });
});

describe('h3 fields: message validation (RFC 9114 §4.2, §4.3)', () => {
  const req: FieldLine[] = [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':authority', 'example.org'],
    [':path', '/index.html'],
    ['accept', '*/*'],
  ];
  const without = (name: string): FieldLine[] => req.filter(([n]) => n !== name);

  it('accepts well-formed requests', () => {
    expect(parseRequestHead(req)).toMatchObject({ method: 'GET', scheme: 'https', authority: 'example.org', path: '/index.html', fields: [['accept', '*/*']] });
    expect(parseRequestHead([...without(':authority'), ['host', 'example.org']])).toMatchObject({ authority: 'example.org' });
    expect(parseRequestHead([[':method', 'OPTIONS'], [':scheme', 'https'], [':authority', 'a'], [':path', '*']])).toMatchObject({ path: '*' });
    expect(parseRequestHead([[':method', 'CONNECT'], [':authority', 'a:443']])).toMatchObject({ method: 'CONNECT' });
    expect(parseRequestHead([...req, ['te', 'trailers'], ['content-length', '0']])).toMatchObject({ contentLength: 0 });
  });

  it('rejects malformed requests', () => {
    const bad: FieldLine[][] = [
      without(':path'),
      without(':method'),
      without(':scheme'),
      without(':authority'),
      [...without(':path'), [':path', '']],
      [...without(':path'), [':path', 'index.html']],
      [...without(':path'), [':path', '*']],
      [...req, ['Accept-Language', 'en']],
      [...req, ['connection', 'close']],
      [...req, ['keep-alive', '5']],
      [...req, ['proxy-connection', 'x']],
      [...req, ['transfer-encoding', 'chunked']],
      [...req, ['upgrade', 'h2c']],
      [...req, ['te', 'gzip']],
      [...req, [':status', '200']],
      [...req, [':protocol', 'websocket']],
      [['accept', '*/*'], ...without('accept')],
      [...req, [':method', 'GET']],
      [...req, ['x', 'a\r\nb']],
      [...req, ['content-length', 'abc']],
      [...req, ['content-length', '1'], ['content-length', '2']],
      [...without(':authority'), ['host', 'a'], ['host', 'b']],
      [...req, ['host', 'other.org']],
      [...without(':authority'), [':authority', 'user@example.org']],
      [...req, ['', 'empty name']],
    ];
    for (const b of bad) expect(typeof parseRequestHead(b), JSON.stringify(b)).toBe('string');
  });

  it('validates responses and trailers', () => {
    expect(parseResponseHead([[':status', '200'], ['content-length', '5']])).toEqual({ status: 200, fields: [['content-length', '5']], contentLength: 5 });
    expect(parseResponseHead([[':status', '103']])).toMatchObject({ status: 103 });
    for (const b of [[], [[':status', '2000']], [[':status', '101']], [[':status', '200'], [':path', '/']], [['a', 'b'], [':status', '200']], [[':status', '200'], [':status', '200']]] as FieldLine[][]) {
      expect(typeof parseResponseHead(b), JSON.stringify(b)).toBe('string');
    }
    expect(parseTrailers([['x-checksum', 'abc']], false)).toEqual([['x-checksum', 'abc']]);
    expect(typeof parseTrailers([[':status', '200']], false)).toBe('string');
    expect(typeof parseTrailers([['X-Upper', '1']], false)).toBe('string');
  });

  it('measures field sections as RFC 9114 §4.2.2 does', () => {
    expect(fieldSectionSize([[':path', '/'], ['a', 'bc']])).toBe(5 + 1 + 32 + 1 + 2 + 32);
  });
});
