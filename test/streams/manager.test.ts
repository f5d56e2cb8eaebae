/** StreamManager behaviour: events, stream counts, flow control, control frames, scheduling, recovery tokens. */
import { describe, expect, it } from 'vitest';
import { StreamManager } from '../../src/streams/manager.js';
import type { Frame } from '../../src/wire/frame.js';
import { bytes, collect, deliver, drain, events, flush, limits, pair, peerParams, type Sent } from './helpers.js';

const MS = 1000;
const kinds = (sent: Sent[]) => sent.map((s) => s.frame.kind);
const frames = (sent: Sent[], kind: Frame['kind']) => sent.filter((s) => s.frame.kind === kind).map((s) => s.frame);

describe('opening streams', () => {
  it('stream IDs follow §2.1 for client and server', () => {
    const { client, server } = pair();
    expect([client.open(true), client.open(true), client.open(false), client.open(false)]).toEqual([0, 4, 2, 6]);
    expect([server.open(true), server.open(false)]).toEqual([1, 3]);
  });

  it('§3.2: a frame for a higher stream opens all lower-numbered ones, in order', () => {
    const { server } = pair();
    server.onStreamFrame({ kind: 'stream', streamId: 8, offset: 0, data: bytes(3), fin: false, hasLength: true });
    expect(events(server)).toEqual([
      { type: 'opened', id: 0 },
      { type: 'opened', id: 4 },
      { type: 'opened', id: 8 },
      { type: 'readable', id: 8 },
    ]);
    expect(server.openStreamCount).toBe(3);
    // MAX_STREAM_DATA and STOP_SENDING open a peer's bidirectional stream too (§3.2).
    server.onMaxStreamData({ kind: 'max_stream_data', streamId: 12, maximum: 5000 });
    server.onStopSending({ kind: 'stop_sending', streamId: 16, errorCode: 4 });
    expect(events(server).map((e) => e.type)).toEqual(['opened', 'opened', 'stop_sending']);
  });

  it('§4.6: open() is refused at the peer limit, queues STREAMS_BLOCKED once, and MAX_STREAMS makes streams available', () => {
    const { client, server } = pair({}, { maxStreamsBidi: 2 });
    expect(client.open(true)).toBe(0);
    expect(client.open(true)).toBe(4);
    expect(client.open(true)).toBeUndefined();
    expect(client.hasPendingData()).toBe(true);
    const sent = collect(client);
    expect(frames(sent, 'streams_blocked')).toEqual([{ kind: 'streams_blocked', bidi: true, limit: 2 }]);
    expect(collect(client)).toEqual([]); // once per limit
    // Lost while still blocked → sent again (§13.3).
    client.onLost(sent[0]!.token);
    expect(frames(collect(client), 'streams_blocked')).toHaveLength(1);
    client.onMaxStreams({ kind: 'max_streams', bidi: true, maximum: 2 }); // not an increase: ignored
    expect(events(client)).toEqual([]);
    client.onMaxStreams({ kind: 'max_streams', bidi: true, maximum: 3 });
    expect(events(client)).toEqual([{ type: 'available', bidi: true }]);
    expect(client.open(true)).toBe(8);
    void server;
  });

  it('before the peer parameters are known nothing can be opened', () => {
    const m = new StreamManager({ isClient: true, limits: limits() });
    expect(m.open(true)).toBeUndefined();
    m.setPeerParams(peerParams(limits()));
    expect(events(m)).toEqual([{ type: 'available', bidi: true }]);
    expect(m.open(true)).toBe(0);
  });
});

describe('MAX_STREAMS credit returns as remote streams close (§4.6)', () => {
  it('re-advertises when half the stream-count window was used by closed streams', () => {
    const { client, server } = pair({}, { maxStreamsUni: 4 });
    let opened = 0;
    const advertised: number[] = [];
    for (let round = 0; round < 20; round++) {
      const id = client.open(false);
      if (id === undefined) {
        // Let the server's MAX_STREAMS through.
        const sent = collect(server);
        advertised.push(...frames(sent, 'max_streams').map((f) => (f as { maximum: number }).maximum));
        flush(server, client, sent);
        flush(client, server, collect(client));
        continue;
      }
      opened++;
      client.write(id, bytes(10), true);
      flush(client, server, collect(client));
      for (const e of events(server)) if (e.type === 'readable') expect(drain(server, e.id).fin).toBe(true);
    }
    expect(opened).toBeGreaterThan(8);
    expect(advertised.length).toBeGreaterThan(1);
    for (let i = 1; i < advertised.length; i++) expect(advertised[i]! - advertised[i - 1]!).toBeGreaterThanOrEqual(2);
    expect(server.openStreamCount).toBe(0);
  });

  it('a bidirectional peer stream closes only when both directions are terminal', () => {
    const { client, server } = pair({}, { maxStreamsBidi: 2 });
    const id = client.open(true)!;
    client.write(id, bytes(10), true);
    flush(client, server, collect(client));
    expect(drain(server, id).fin).toBe(true);
    events(server);
    expect(server.streamState(id)).toEqual({ send: 'ready', recv: 'data_read' });
    server.write(id, bytes(5), true);
    const sent = collect(server);
    expect(server.streamState(id)?.send).toBe('data_sent');
    flush(server, client, sent);
    expect(events(server)).toEqual([{ type: 'finished', id }]);
    expect(server.streamState(id)).toBeUndefined();
    expect(server.remoteStreamLimit(true)).toBe(2);
    expect(frames(collect(server), 'max_streams')).toEqual([{ kind: 'max_streams', bidi: true, maximum: 3 }]);
    expect(server.remoteStreamLimit(true)).toBe(3);
    expect(drain(client, id)).toEqual({ data: [...bytes(5)], fin: true });
    expect(client.openStreamCount).toBe(0);
  });
});

describe('events', () => {
  it('readable once per batch of new data, writable after backpressure, finished after all acks', () => {
    const { client, server } = pair({ sendBufferSize: 1000 });
    const id = client.open(true)!;
    expect(client.write(id, bytes(800))).toBe(800);
    expect(client.write(id, bytes(800))).toBe(200); // backpressure: ≤ sendBufferSize buffered
    const sent = collect(client, 0, 0, 300);
    for (const s of sent) deliver(server, s.frame);
    expect(events(server)).toEqual([{ type: 'opened', id }, { type: 'readable', id }]);
    client.onAcked(sent[1]!.token); // a hole at the start frees nothing
    expect(events(client)).toEqual([]);
    client.onAcked(sent[0]!.token);
    expect(events(client)).toEqual([{ type: 'writable', id }]);
    for (const s of sent.slice(2)) client.onAcked(s.token);
    client.finish(id);
    flush(client, server, collect(client));
    expect(events(client)).toEqual([{ type: 'finished', id }]);
    expect(drain(server, id).data.length).toBe(1000);
  });

  it('a FIN arriving after everything was read makes the stream readable again', () => {
    const { client, server } = pair();
    const id = client.open(false)!;
    client.write(id, bytes(10));
    flush(client, server, collect(client));
    events(server);
    expect(drain(server, id)).toEqual({ data: [...bytes(10)], fin: false });
    client.finish(id);
    flush(client, server, collect(client));
    expect(events(server)).toEqual([{ type: 'readable', id }]);
    expect(drain(server, id)).toEqual({ data: [], fin: true });
    expect(server.openStreamCount).toBe(0);
  });
});

describe('reset and stop sending (§3.1, §3.5, §19.4)', () => {
  it('RESET_STREAM from the peer: reset event, buffer freed, connection credit returned', () => {
    const { client, server } = pair({}, { initialMaxData: 1000, maxConnectionWindow: 1000 });
    const id = client.open(true)!;
    client.write(id, bytes(600));
    flush(client, server, collect(client));
    expect(server.recvStream(id)!.buf.buffered).toBe(600);
    client.reset(id, 77);
    const sent = collect(client);
    expect(frames(sent, 'reset_stream')).toEqual([{ kind: 'reset_stream', streamId: id, errorCode: 77, finalSize: 600 }]);
    flush(client, server, sent);
    expect(client.streamState(id)?.send).toBe('reset_recvd');
    expect(events(server)).toEqual([{ type: 'opened', id }, { type: 'readable', id }, { type: 'reset', id, code: 77 }]);
    expect(server.read(id)).toBeUndefined();
    expect(server.recvStream(id)?.state ?? 'gone').not.toBe('recv');
    // The 600 unread bytes count as consumed: the server re-opens the connection window.
    expect(server.connectionRecvWindow.consumed).toBe(600);
    expect(frames(collect(server), 'max_data')).toEqual([{ kind: 'max_data', maximum: 1600 }]);
  });

  it('a reset stream retransmits nothing and its lost RESET_STREAM is resent unchanged (§13.3)', () => {
    const { client, server } = pair();
    const id = client.open(true)!;
    client.write(id, bytes(300));
    const data = collect(client);
    client.reset(id, 5);
    const r1 = collect(client);
    for (const s of data) client.onLost(s.token); // lost data after reset: not requeued
    client.onLost(r1[0]!.token);
    const r2 = collect(client);
    expect(kinds(r2)).toEqual(['reset_stream']);
    expect(r2[0]!.frame).toEqual(r1[0]!.frame);
    client.onAcked(r2[0]!.token);
    client.onLost(r1[0]!.token); // an old copy lost after the ack: nothing to do
    expect(collect(client)).toEqual([]);
    void server;
  });

  it('STOP_SENDING from the peer: RESET_STREAM with the same code and a stop_sending event', () => {
    const { client, server } = pair();
    const id = client.open(true)!;
    client.write(id, bytes(100));
    flush(client, server, collect(client));
    server.stopSending(id, 42);
    const ss = collect(server);
    expect(frames(ss, 'stop_sending')).toEqual([{ kind: 'stop_sending', streamId: id, errorCode: 42 }]);
    flush(server, client, ss);
    expect(events(client)).toEqual([{ type: 'stop_sending', id, code: 42 }]);
    expect(() => client.write(id, bytes(1))).toThrow(RangeError);
    const rs = collect(client);
    expect(frames(rs, 'reset_stream')).toEqual([{ kind: 'reset_stream', streamId: id, errorCode: 42, finalSize: 100 }]);
    flush(client, server, rs);
    // The server asked to stop: no reset event, the receiving part is done.
    expect(events(server).filter((e) => e.type === 'reset')).toEqual([]);
    expect(server.streamState(id)).toEqual({ send: 'ready', recv: 'reset_read' });
  });

  it('a lost STOP_SENDING is resent only while the stream is in Recv / Size Known', () => {
    const { client, server } = pair();
    const id = client.open(true)!;
    client.write(id, bytes(10));
    flush(client, server, collect(client));
    server.stopSending(id, 1);
    const s1 = collect(server);
    server.onLost(s1[0]!.token);
    const s2 = collect(server);
    expect(kinds(s2)).toEqual(['stop_sending']);
    server.onResetStream({ kind: 'reset_stream', streamId: id, errorCode: 1, finalSize: 10 });
    server.onLost(s2[0]!.token);
    expect(collect(server)).toEqual([]);
  });
});

describe('flow control on the send side (§4.1)', () => {
  it('stops at the peer\'s stream and connection limits and sends *_BLOCKED once per limit', () => {
    const { client, server } = pair({}, { initialMaxStreamDataBidiRemote: 500, initialMaxData: 800 });
    const a = client.open(true)!;
    const b = client.open(true)!;
    client.write(a, bytes(2000));
    client.write(b, bytes(2000));
    const sent = collect(client, 0, 0, 200);
    const perStream = (id: number) =>
      sent.filter((s) => s.frame.kind === 'stream' && s.frame.streamId === id).reduce((n, s) => n + (s.frame as { data: Uint8Array }).data.length, 0);
    expect(perStream(a) + perStream(b)).toBe(800);
    expect(perStream(a)).toBe(400);
    expect(client.connectionSendCredit.available).toBe(0);
    // Blocked frames come with the next control batch.
    const blocked = collect(client);
    expect(frames(blocked, 'data_blocked')).toEqual([{ kind: 'data_blocked', limit: 800 }]);
    expect(collect(client)).toEqual([]);
    client.onMaxData({ kind: 'max_data', maximum: 5000 });
    const more = collect(client, 0, 0, 200);
    expect(frames(more, 'stream').length).toBe(2); // 100 more bytes each, up to 500
    const sdb = collect(client);
    expect(frames(sdb, 'stream_data_blocked')).toEqual([
      { kind: 'stream_data_blocked', streamId: a, limit: 500 },
      { kind: 'stream_data_blocked', streamId: b, limit: 500 },
    ]);
    expect(client.streamState(a)?.send).toBe('send');
    client.onMaxStreamData({ kind: 'max_stream_data', streamId: a, maximum: 2000 });
    expect(frames(collect(client, 0, 0, 2000), 'stream')).toHaveLength(1);
    void server;
  });

  it('a lost DATA_BLOCKED is resent only while still blocked at that limit', () => {
    const { client } = pair({}, { initialMaxData: 100 });
    const a = client.open(true)!;
    client.write(a, bytes(200));
    collect(client);
    const b1 = collect(client);
    expect(kinds(b1)).toEqual(['data_blocked']);
    client.onLost(b1[0]!.token);
    expect(kinds(collect(client))).toEqual(['data_blocked']);
    client.onMaxData({ kind: 'max_data', maximum: 150 });
    client.onLost(b1[0]!.token); // stale: carried limit 100
    expect(kinds(collect(client))).toEqual(['stream']);
  });
});

describe('flow control on the receive side (§4.2)', () => {
  it('MAX_STREAM_DATA and MAX_DATA after half the window was read; lost updates resent if still the latest', () => {
    const { client, server } = pair({}, { initialMaxStreamDataBidiRemote: 1000, maxStreamWindow: 1000, initialMaxData: 4000, maxConnectionWindow: 4000 });
    const id = client.open(true)!;
    client.write(id, bytes(1000));
    flush(client, server, collect(client));
    server.read(id, 499);
    expect(collect(server)).toEqual([]);
    server.read(id, 1);
    const upd = collect(server);
    expect(frames(upd, 'max_stream_data')).toEqual([{ kind: 'max_stream_data', streamId: id, maximum: 1500 }]);
    server.onLost(upd[0]!.token);
    const again = collect(server);
    expect(frames(again, 'max_stream_data')).toEqual([{ kind: 'max_stream_data', streamId: id, maximum: 1500 }]);
    server.read(id);
    const upd2 = collect(server);
    expect(frames(upd2, 'max_stream_data')).toEqual([{ kind: 'max_stream_data', streamId: id, maximum: 2000 }]);
    server.onLost(again[0]!.token); // an older value: superseded
    expect(collect(server)).toEqual([]);
    // Size Known: no more MAX_STREAM_DATA (§3.2).
    flush(server, client, upd2);
    client.write(id, bytes(1000), true);
    flush(client, server, collect(client));
    server.read(id);
    expect(frames(collect(server), 'max_stream_data')).toEqual([]);
  });

  it('window auto-tuning: reading quickly (virtual time) grows the stream window up to maxStreamWindow, never beyond', () => {
    const max = 64_000;
    const { client, server } = pair({}, { initialMaxStreamDataUni: 4000, maxStreamWindow: max, initialMaxData: 1e9, maxConnectionWindow: 1e9 });
    const id = client.open(false)!;
    const rtt = 20 * MS;
    let now = 0;
    const advertised: number[] = [];
    let total = 0;
    const chunk = bytes(100_000);
    for (let round = 0; round < 60; round++) {
      client.write(id, chunk);
      const sent = collect(client, now, rtt, 1200);
      flush(client, server, sent);
      total += drain(server, id).data.length;
      const upd = collect(server, now, rtt);
      for (const f of frames(upd, 'max_stream_data')) advertised.push((f as { maximum: number }).maximum);
      flush(server, client, upd);
      const w = server.recvStream(id)!.window;
      expect(w.window).toBeLessThanOrEqual(max);
      expect(w.limit - w.consumed).toBeLessThanOrEqual(max);
      now += 5 * MS; // one exchange every 5 ms < 2 RTT
    }
    expect(server.recvStream(id)!.window.window).toBe(max);
    expect(total).toBeGreaterThan(max * 5);
    // The connection window follows (≥ 1.5 × the stream window, within its own cap).
    expect(server.connectionRecvWindow.window).toBeGreaterThanOrEqual(1.5 * max);
    expect(advertised.length).toBeGreaterThan(5);
  });

  it('the window does not grow when the application reads slowly', () => {
    const { client, server } = pair({}, { initialMaxStreamDataUni: 4000, maxStreamWindow: 64_000 });
    const id = client.open(false)!;
    let now = 0;
    for (let round = 0; round < 20; round++) {
      client.write(id, bytes(4000));
      flush(client, server, collect(client, now, 20 * MS));
      drain(server, id);
      flush(server, client, collect(server, now, 20 * MS));
      now += 100 * MS;
    }
    expect(server.recvStream(id)!.window.window).toBe(4000);
  });
});

describe('scheduling', () => {
  it('round-robin: streams of equal urgency share the frames fairly', () => {
    const { client } = pair({}, { initialMaxData: 1e9, initialMaxStreamDataBidiRemote: 1e9 });
    const ids = [client.open(true)!, client.open(true)!, client.open(true)!];
    for (const id of ids) client.write(id, bytes(10_000));
    const sent = collect(client, 0, 0, 100, 30);
    const order = sent.map((s) => (s.frame as { streamId: number }).streamId);
    expect(order.slice(0, 6)).toEqual([ids[0], ids[1], ids[2], ids[0], ids[1], ids[2]]);
    for (const id of ids) expect(order.filter((x) => x === id)).toHaveLength(10);
  });

  it('urgency: lower first; a stream joining later still gets its turn', () => {
    const { client } = pair({}, { initialMaxData: 1e9, initialMaxStreamDataBidiRemote: 1e9 });
    const [a, b, c] = [client.open(true)!, client.open(true)!, client.open(true)!];
    client.write(a, bytes(1000));
    client.write(b, bytes(1000));
    client.setUrgency(b, 0);
    const first = collect(client, 0, 0, 100, 5).map((s) => (s.frame as { streamId: number }).streamId);
    expect(first).toEqual([b, b, b, b, b]);
    client.write(c, bytes(1000));
    client.setUrgency(b, 3);
    const next = collect(client, 0, 0, 100, 6).map((s) => (s.frame as { streamId: number }).streamId);
    expect(new Set(next)).toEqual(new Set([a, b, c]));
  });

  it('loss → exactly the lost ranges are retransmitted, before new data', () => {
    const { client } = pair({}, { initialMaxData: 1e9, initialMaxStreamDataBidiRemote: 1e9 });
    const id = client.open(true)!;
    client.write(id, bytes(1000));
    const sent = collect(client, 0, 0, 100);
    client.write(id, bytes(100));
    client.onLost(sent[3]!.token);
    client.onLost(sent[7]!.token);
    const again = collect(client, 0, 0, 1000, 3).map((s) => s.token);
    expect(again).toEqual([
      { kind: 'stream', id, offset: 300, length: 100, fin: false },
      { kind: 'stream', id, offset: 700, length: 100, fin: false },
      { kind: 'stream', id, offset: 1000, length: 100, fin: false },
    ]);
  });

  it('hasPendingData reflects data, credit and control frames', () => {
    const { client } = pair({}, { initialMaxData: 10 });
    expect(client.hasPendingData()).toBe(false);
    const id = client.open(true)!;
    client.write(id, bytes(20));
    expect(client.hasPendingData()).toBe(true);
    collect(client);
    expect(client.hasPendingData()).toBe(true); // DATA_BLOCKED due
    collect(client);
    expect(client.hasPendingData()).toBe(false);
  });
});
