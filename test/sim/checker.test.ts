import { beforeAll, describe, expect, it } from 'vitest';
import { MemorySink, type LoggedEvent, type QlogEventOf, type QlogFrame } from '../../src/qlog/index.js';
import { checkConnection, formatViolations, frameTypeOfQlog, type Invariant, type Violation } from '../../src/sim/checker.js';
import { preset, runScenario, type RunOptions, type Scenario, type ScenarioResult } from '../../src/sim/index.js';
import { FrameType } from '../../src/wire/frame.js';
import { simOptions } from '../support/sim.js';

const options = simOptions;

interface Recording {
  result: ScenarioResult;
  client: LoggedEvent[];
  server: LoggedEvent[];
}

async function record(s: Scenario, seed?: number): Promise<Recording> {
  const clientQlog = new MemorySink();
  const serverQlog = new MemorySink();
  const result = runScenario(s, { ...(await options()), clientQlog, serverQlog, ...(seed !== undefined ? { seed } : {}) });
  return { result, client: clientQlog.events, server: serverQlog.events };
}

type Sent = LoggedEvent<QlogEventOf<'quic:packet_sent'>>;
type Received = LoggedEvent<QlogEventOf<'quic:packet_received'>>;
type Metrics = LoggedEvent<QlogEventOf<'quic:recovery_metrics_updated'>>;

/** A deep copy of a recording's events, safe to mutate. */
function copy(r: Recording): { client: LoggedEvent[]; server: LoggedEvent[] } {
  return { client: structuredClone(r.client), server: structuredClone(r.server) };
}

function sent(events: LoggedEvent[], pred: (e: Sent) => boolean = () => true): Sent[] {
  return events.filter((l): l is Sent => l.event.name === 'quic:packet_sent' && pred(l as Sent));
}
function received(events: LoggedEvent[], pred: (e: Received) => boolean = () => true): Received[] {
  return events.filter((l): l is Received => l.event.name === 'quic:packet_received' && pred(l as Received));
}
function metrics(events: LoggedEvent[]): Metrics[] {
  return events.filter((l): l is Metrics => l.event.name === 'quic:recovery_metrics_updated');
}
function ofType(type: string): (e: Sent | Received) => boolean {
  return (e) => e.event.data.header.packet_type === type;
}
function hasStream(e: Sent | Received): boolean {
  return (e.event.data.frames ?? []).some((f) => f.frame_type === 'stream');
}

function only(v: Violation[], invariant: Invariant): Violation[] {
  return v.filter((x) => x.invariant === invariant);
}

function expectClean(r: Recording, label: string): void {
  const v = checkConnection({ client: r.client, server: r.server });
  expect(v, `${label}\n${formatViolations(v, r.result.seed)}`).toEqual([]);
}

describe('checker: real scenarios are clean', () => {
  it('default preset, 200 kB download', async () => {
    const r = await record(preset('default', { bytes: 200_000 }));
    expect(r.result.completed).toBe(true);
    // The checker has something to look at: stream data went both ways, with a FIN each way.
    expect(sent(r.server, hasStream).length).toBeGreaterThan(100);
    expect(received(r.server, hasStream).length).toBeGreaterThan(0);
    expectClean(r, 'default download');
  }, 20_000);

  it('default preset, 150 kB upload', async () => {
    const r = await record(preset('default', { bytes: 150_000, direction: 'upload' }));
    expect(r.result.completed).toBe(true);
    expectClean(r, 'default upload');
  }, 20_000);

  it('default preset, 1.5 MB download: beyond the initial windows, so MAX_DATA raises the limits', async () => {
    const r = await record(preset('default', { bytes: 1_500_000 }));
    expect(r.result.completed).toBe(true);
    const maxData = sent(r.client, (e) => (e.event.data.frames ?? []).some((f) => f.frame_type === 'max_data'));
    expect(maxData.length).toBeGreaterThan(0);
    expectClean(r, 'default 1.5 MB download');
  }, 30_000);

  for (const seed of [3, 11]) {
    it(`transferloss preset, 400 kB download, seed ${seed}`, async () => {
      const r = await record(preset('transferloss', { bytes: 400_000, seed }));
      expect(r.result.completed).toBe(true);
      // Losses happened, so retransmitted STREAM ranges are deduplicated.
      expect(r.result.links.toClient.dropped.random + r.result.links.toServer.dropped.random).toBeGreaterThan(0);
      expect(r.result.retransmissions).toBeGreaterThan(0);
      expectClean(r, `transferloss seed ${seed}`);
    }, 30_000);
  }
});

describe('checker: each invariant is detected', () => {
  let base: Recording;
  beforeAll(async () => {
    base = await record(preset('default', { bytes: 100_000 }));
    expect(base.result.completed).toBe(true);
  }, 20_000);

  it('the unmodified recording is clean', () => {
    expect(checkConnection(base)).toEqual([]);
  });

  it('packet_number: a repeated packet number', () => {
    const e = copy(base);
    const one = sent(e.server, ofType('1RTT'))[5]!;
    e.server.splice(e.server.indexOf(one) + 1, 0, structuredClone(one));
    const v = only(checkConnection(e), 'packet_number');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ side: 'server', time: one.time });
    expect(v[0]!.message).toContain(`application_data: packet number ${one.event.data.header.packet_number} sent after`);
  });

  it('packet_number: a decreasing packet number in the Initial space', () => {
    const e = copy(base);
    const initials = sent(e.client, ofType('initial'));
    expect(initials.length).toBeGreaterThan(1);
    initials[1]!.event.data.header.packet_number = 0;
    const v = only(checkConnection(e), 'packet_number');
    expect(v.map((x) => [x.side, x.message])).toEqual([['client', `initial: packet number 0 sent after ${initials[0]!.event.data.header.packet_number}`]]);
  });

  it('packet_number: spaces are separate per path_id', () => {
    const e = copy(base);
    const one = sent(e.server, ofType('1RTT'))[5]!;
    const dup = structuredClone(one);
    dup.event.data.path_id = 1;
    e.server.splice(e.server.indexOf(one) + 1, 0, dup);
    expect(only(checkConnection(e), 'packet_number')).toEqual([]);
    const again = structuredClone(dup);
    e.server.splice(e.server.indexOf(dup) + 1, 0, again);
    expect(only(checkConnection(e), 'packet_number').map((x) => x.message)).toEqual([
      `application_data path 1: packet number ${one.event.data.header.packet_number} sent after ${one.event.data.header.packet_number}`,
    ]);
  });

  it('frame_legality: a STREAM frame in a sent Initial packet', () => {
    const e = copy(base);
    const initial = sent(e.client, ofType('initial'))[0]!;
    initial.event.data.frames!.push({ frame_type: 'stream', stream_id: 0, offset: 0, fin: false, raw: { length: 4, payload_length: 4 } });
    const v = only(checkConnection(e), 'frame_legality');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ side: 'client', time: initial.time });
    expect(v[0]!.message).toBe('sent initial packet 0 carries a stream frame, not allowed in initial packets');
  });

  it('frame_legality: HANDSHAKE_DONE in a received Handshake packet, application close in Initial', () => {
    const e = copy(base);
    const hs = received(e.client, ofType('handshake'))[0]!;
    hs.event.data.frames!.push({ frame_type: 'handshake_done' });
    const init = sent(e.server, ofType('initial'))[0]!;
    init.event.data.frames!.push({ frame_type: 'connection_close', error_space: 'application', error: 'unknown', error_code: 1 });
    // A transport CONNECTION_CLOSE (0x1c) may go in any packet type.
    init.event.data.frames!.push({ frame_type: 'connection_close', error_space: 'transport', error: 'no_error' });
    const v = only(checkConnection(e), 'frame_legality');
    expect(v.map((x) => [x.side, x.message]).sort()).toEqual([
      ['client', `received handshake packet ${hs.event.data.header.packet_number} carries a handshake_done frame, not allowed in handshake packets`],
      ['server', `sent initial packet ${init.event.data.header.packet_number} carries a connection_close frame, not allowed in initial packets`],
    ]);
  });

  it('frame_legality: a packet without frames, and an unknown frame type', () => {
    const e = copy(base);
    const a = sent(e.server, ofType('1RTT'))[2]!;
    a.event.data.frames = [];
    const b = received(e.server, ofType('1RTT'))[1]!;
    b.event.data.frames!.push({ frame_type: 'unknown', frame_type_bytes: 0x5555 });
    const v = only(checkConnection(e), 'frame_legality').map((x) => x.message);
    expect(v).toContain(`sent 1RTT packet ${a.event.data.header.packet_number} has no frames`);
    expect(v).toContain(`received 1RTT packet ${b.event.data.header.packet_number} carries unknown frame type 0x5555, which has no known packet types`);
  });

  it('frame_legality: qlog frame names map to the wire types legality.ts knows', () => {
    const cases: [QlogFrame, number][] = [
      [{ frame_type: 'stream', stream_id: 0 }, FrameType.STREAM],
      [{ frame_type: 'ack' }, FrameType.ACK],
      [{ frame_type: 'max_streams', stream_type: 'unidirectional', maximum: 1 }, FrameType.MAX_STREAMS_UNI],
      [{ frame_type: 'streams_blocked', stream_type: 'bidirectional', limit: 1 }, FrameType.STREAMS_BLOCKED_BIDI],
      [{ frame_type: 'connection_close', error_space: 'application' }, FrameType.APPLICATION_CLOSE],
      [{ frame_type: 'connection_close' }, FrameType.CONNECTION_CLOSE],
      [{ frame_type: 'handshake_done' }, FrameType.HANDSHAKE_DONE],
      [{ frame_type: 'unknown', frame_type_bytes: FrameType.PATH_ABANDON, frame_name: 'path_abandon', path_id: 0, error_code: 0 }, FrameType.PATH_ABANDON],
    ];
    for (const [f, t] of cases) expect(frameTypeOfQlog(f), f.frame_type).toBe(t);
  });

  it('flow_control: a STREAM frame beyond the stream and connection limits', () => {
    const e = copy(base);
    const last = sent(e.server, hasStream).at(-1)!;
    last.event.data.frames!.push({ frame_type: 'stream', stream_id: 0, offset: 2_000_000, fin: false, raw: { length: 1000, payload_length: 1000 } });
    const v = only(checkConnection(e), 'flow_control');
    expect(v.map((x) => [x.side, x.time])).toEqual([
      ['server', last.time],
      ['server', last.time],
    ]);
    expect(v[0]!.message).toMatch(/^stream 0: STREAM data reaches offset 2001000, beyond the stream limit \d+$/);
    expect(v[1]!.message).toMatch(/^connection: \d+ bytes of stream data sent, beyond the connection limit \d+$/);
  });

  it('flow_control: the peer advertised a smaller stream limit than the sender used', () => {
    const e = copy(base);
    // The server sends on client-initiated stream 0: the client's initial_max_stream_data_bidi_local.
    const params = e.server.find((l) => l.event.name === 'quic:parameters_set' && l.event.data.initiator === 'remote')!;
    (params.event as QlogEventOf<'quic:parameters_set'>).data.initial_max_stream_data_bidi_local = 10_000;
    const v = only(checkConnection(e), 'flow_control');
    expect(v).toHaveLength(1);
    expect(v[0]!.side).toBe('server');
    expect(v[0]!.message).toMatch(/^stream 0: STREAM data reaches offset \d+, beyond the stream limit 10000$/);
    // A MAX_STREAM_DATA the server received before that send lifts the limit again.
    const firstSend = sent(e.server, hasStream)[0]!;
    const before = received(e.server).filter((r) => e.server.indexOf(r) < e.server.indexOf(firstSend)).at(-1)!;
    before.event.data.frames!.push({ frame_type: 'max_stream_data', stream_id: 0, maximum: 1 << 20 });
    expect(only(checkConnection(e), 'flow_control')).toEqual([]);
  });

  it('flow_control: a stream ID beyond MAX_STREAMS', () => {
    const e = copy(base);
    const last = sent(e.client, ofType('1RTT')).at(-1)!;
    // initial_max_streams_bidi is 100: client bidi stream 4 × 100 is the 101st.
    last.event.data.frames!.push({ frame_type: 'stream', stream_id: 400, offset: 0, fin: false, raw: { length: 10, payload_length: 10 } });
    const v = only(checkConnection(e), 'flow_control');
    expect(v.map((x) => [x.side, x.message])).toEqual([['client', 'stream 400 used, but the peer allows 100 bidirectional streams']]);
    // MAX_STREAMS received earlier allows it.
    received(e.client, ofType('1RTT'))[0]!.event.data.frames!.push({ frame_type: 'max_streams', stream_type: 'bidirectional', maximum: 101 });
    expect(only(checkConnection(e), 'flow_control')).toEqual([]);
  });

  it('amplification: the server sends more than 3× before validation', () => {
    const e = copy(base);
    const first = sent(e.server)[0]!;
    expect(first.event.data.header.packet_type).toBe('initial');
    first.event.data.raw = { length: 3000 };
    const v = only(checkConnection(e), 'amplification');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ side: 'server' });
    expect(v[0]!.message).toMatch(/^sent \d+ bytes before address validation, more than 3 × 1200 received$/);
  });

  it('amplification: nothing received before the first send', () => {
    const e = copy(base);
    const firstReceived = received(e.server)[0]!;
    e.server.splice(e.server.indexOf(firstReceived), 1);
    expect(only(checkConnection(e), 'amplification')).toHaveLength(1);
  });

  it('amplification: counted from datagram events when present, dropped packets credited, each excess reported once', () => {
    const at = (time: number, event: LoggedEvent['event']): LoggedEvent => ({ time, event });
    const pkt = (name: 'quic:packet_sent' | 'quic:packet_received', type: 'initial' | 'handshake', pn: number, length: number) =>
      ({ name, data: { header: { packet_type: type, packet_number: pn }, raw: { length }, frames: [{ frame_type: 'ping' }] } }) as LoggedEvent['event'];
    const server = [
      at(1, pkt('quic:packet_received', 'initial', 0, 100)),
      at(2, pkt('quic:packet_sent', 'initial', 0, 400)), // 400 > 300: over
      at(3, pkt('quic:packet_sent', 'initial', 1, 100)), // still the same excess
      at(4, { name: 'quic:packet_dropped', data: { trigger: 'decryption_failure' } }), // credited 1200
      at(5, pkt('quic:packet_sent', 'initial', 2, 3000)), // 3500 ≤ 3 × 1300
      at(6, pkt('quic:packet_sent', 'initial', 3, 500)), // 4000 > 3900: over again
      at(7, pkt('quic:packet_received', 'handshake', 0, 50)),
      at(8, pkt('quic:packet_sent', 'handshake', 0, 100_000)),
    ];
    const v = checkConnection({ client: [], server, requireDelivery: false });
    expect(v.map((x) => [x.invariant, x.time, x.message])).toEqual([
      ['amplification', 2, 'sent 400 bytes before address validation, more than 3 × 100 received'],
      ['amplification', 6, 'sent 4000 bytes before address validation, more than 3 × 1300 received'],
    ]);
    // With UDP datagram events, those are the byte counts and packet events are not added twice.
    const withDatagrams = [
      at(0, { name: 'quic:udp_datagrams_received', data: { count: 1, raw: [{ length: 1200 }] } }),
      ...server.slice(0, 3),
      at(3, { name: 'quic:udp_datagrams_sent', data: { count: 1, raw: [{ length: 3700 }] } }),
    ];
    expect(checkConnection({ client: [], server: withDatagrams, requireDelivery: false }).map((x) => x.message)).toEqual([
      'sent 3700 bytes before address validation, more than 3 × 1200 received',
    ]);
  });

  it('amplification: no limit once a Handshake packet was received', () => {
    const e = copy(base);
    const hs = received(e.server, ofType('handshake'))[0]!;
    const after = sent(e.server).find((s) => e.server.indexOf(s) > e.server.indexOf(hs))!;
    after.event.data.raw = { length: 1_000_000 };
    expect(only(checkConnection(e), 'amplification')).toEqual([]);
  });

  it('recovery: congestion window below the minimum, negative bytes in flight', () => {
    const e = copy(base);
    const m = metrics(e.client);
    expect(m.length).toBeGreaterThan(2);
    m[1]!.event.data.congestion_window = 2399;
    m[2]!.event.data.bytes_in_flight = -5;
    const v = only(checkConnection(e), 'recovery');
    expect(v.map((x) => [x.side, x.time, x.message])).toEqual([
      ['client', m[1]!.time, 'congestion_window 2399 is below the minimum window 2400 (2 × 1200)'],
      ['client', m[2]!.time, 'bytes_in_flight -5 is negative'],
    ]);
    // The minimum follows the max datagram size option.
    m[1]!.event.data.congestion_window = 2400;
    expect(only(checkConnection(e), 'recovery')).toHaveLength(1);
    expect(only(checkConnection({ ...e, maxDatagramSize: 1500 }), 'recovery').map((x) => x.message)).toContain(
      'congestion_window 2400 is below the minimum window 3000 (2 × 1500)',
    );
  });

  it('data: a hole in the delivered bytes', () => {
    const e = copy(base);
    // Remove every STREAM frame the client received that carries byte 50000 of stream 0.
    for (const r of received(e.client, hasStream)) {
      r.event.data.frames = r.event.data.frames!.filter(
        (f) => !(f.frame_type === 'stream' && f.stream_id === 0 && (f.offset ?? 0) <= 50_000 && 50_000 < (f.offset ?? 0) + (f.raw?.length ?? 0)),
      );
    }
    const v = only(checkConnection(e), 'data');
    expect(v).toHaveLength(1);
    expect(v[0]!.side).toBe('client');
    expect(v[0]!.message).toMatch(/^stream 0: bytes \[(\d+), (\d+)\) of final size 100000 were never received$/);
    const [, a, b] = /\[(\d+), (\d+)\)/.exec(v[0]!.message)!;
    expect(Number(a)).toBeLessThanOrEqual(50_000);
    expect(Number(b)).toBeGreaterThan(50_000);
    // Without the delivery requirement (a run cut short) a hole is allowed.
    expect(only(checkConnection({ ...e, requireDelivery: false }), 'data')).toEqual([]);
  });

  it('data: the FIN never arrives', () => {
    const e = copy(base);
    for (const r of received(e.client, hasStream)) {
      for (const f of r.event.data.frames!) if (f.frame_type === 'stream') f.fin = false;
    }
    expect(only(checkConnection(e), 'data').map((x) => x.message)).toEqual(['stream 0: the FIN (final size 100000) was never received']);
  });

  it('data: two different final sizes, and data past the final size', () => {
    const e = copy(base);
    const last = sent(e.server, hasStream).at(-1)!;
    last.event.data.frames!.push({ frame_type: 'stream', stream_id: 0, offset: 99_000, fin: true, raw: { length: 10, payload_length: 10 } });
    const v = only(checkConnection(e), 'data').map((x) => [x.side, x.message]);
    expect(v).toContainEqual(['server', 'stream 0: STREAM frame with FIN sent with final size 99010, but the final size was 100000']);
    const e2 = copy(base);
    const last2 = sent(e2.server, hasStream).at(-1)!;
    last2.event.data.frames!.push({ frame_type: 'stream', stream_id: 0, offset: 100_000, fin: false, raw: { length: 10, payload_length: 10 } });
    expect(only(checkConnection(e2), 'data').map((x) => [x.side, x.message])).toEqual([
      ['server', 'stream 0: STREAM data [100000, 100010) sent beyond the final size 100000'],
    ]);
  });

  it('data: bytes received that were never sent', () => {
    const e = copy(base);
    const r = received(e.client, hasStream)[3]!;
    const f = r.event.data.frames!.find((x) => x.frame_type === 'stream')!;
    if (f.frame_type !== 'stream') throw new Error('unreachable');
    f.offset = 200_000;
    const v = only(checkConnection(e), 'data').map((x) => x.message);
    expect(v.some((m) => /^stream 0: received data \[200000, \d+\) that the server never sent$/.test(m))).toBe(true);
  });

  it('violations are ordered by time and formatted with the seed', () => {
    const e = copy(base);
    const m = metrics(e.server).at(-1)!;
    m.event.data.bytes_in_flight = -1;
    const init = sent(e.client, ofType('initial'))[0]!;
    init.event.data.frames!.push({ frame_type: 'handshake_done' });
    const v = checkConnection(e);
    expect(v.map((x) => x.invariant)).toEqual(['frame_legality', 'recovery']);
    expect(v[0]!.time).toBeLessThanOrEqual(v[1]!.time);
    const text = formatViolations(v, 42);
    expect(text).toContain('2 invariant violations (seed 42; replay with this seed):');
    expect(text).toContain(`[recovery] server @ ${m.time} µs: bytes_in_flight -1 is negative`);
    expect(formatViolations([], 7)).toBe('no invariant violations (seed 7; replay with this seed)');
    const many = Array.from({ length: 60 }, (_, i): Violation => ({ invariant: 'data', side: 'client', time: i, message: `m${i}` }));
    const lines = formatViolations(many).split('\n');
    expect(lines).toHaveLength(52);
    expect(lines.at(-1)).toBe('  … and 10 more');
  });
});
