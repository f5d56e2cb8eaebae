/**
 * JsonSeqWriter (draft-ietf-quic-qlog-main-schema §5, §11.2; RFC 7464) and the event union:
 * every event type serialises to a valid record, the header carries the draft's required fields,
 * and the output is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { frameToQlog } from '../../src/qlog/frames.js';
import { qlogEndpoint, qlogVersion, toMs } from '../../src/qlog/common.js';
import type { QlogEvent, QlogEventDataMap, QlogEventName } from '../../src/qlog/events.js';
import { EVENT_IMPORTANCE } from '../../src/qlog/importance.js';
import {
  DEFAULT_EVENT_SCHEMAS,
  FILE_SCHEMA_SEQUENTIAL,
  JsonSeqWriter,
  parseJsonSeq,
  QUIC_EVENT_SCHEMA,
  RS,
  SERIALIZATION_FORMAT_JSON_SEQ,
  type JsonSeqWriterOptions,
} from '../../src/qlog/jsonseq.js';

const header1rtt = { packet_type: '1RTT' as const, packet_number: 7, key_phase_bit: false, dcid: 'abcd' };
const stream = frameToQlog({ kind: 'stream', streamId: 0, offset: 0, data: new Uint8Array(5), fin: true, hasLength: true });
const ack = frameToQlog({ kind: 'ack', ackDelay: 1, ranges: [{ smallest: 0, largest: 3 }] });

/** One sample `data` per event name; the mapped type makes this list exhaustive at compile time. */
const SAMPLE_DATA: { [N in QlogEventName]: QlogEventDataMap[N] } = {
  'quic:server_listening': { ip_v4: '0.0.0.0', port_v4: 4433, retry_required: false },
  'quic:connection_started': { local: qlogEndpoint({ host: '10.0.0.1', port: 1234 }), remote: qlogEndpoint({ host: '::1', port: 443 }, [new Uint8Array([1, 2])]) },
  'quic:connection_closed': { initiator: 'local', connection_error: 'protocol_violation', reason: 'bad', trigger: 'error' },
  'quic:connection_id_updated': { initiator: 'remote', old: '0102', new: '0304' },
  'quic:spin_bit_updated': { state: true },
  'quic:connection_state_updated': { old: 'handshake_started', new: 'handshake_complete' },
  'quic:tuple_assigned': { tuple_id: '1', tuple_local: { ip_v4: '10.0.0.2', port_v4: 5 } },
  'quic:mtu_updated': { old: 1200, new: 1452, done: true },
  'quic:version_information': { client_versions: [qlogVersion(1), qlogVersion(0x6b3343cf)], chosen_version: qlogVersion(1) },
  'quic:alpn_information': { client_alpns: [{ string_value: 'h3' }, { byte_value: '6871' }], chosen_alpn: { string_value: 'h3' } },
  'quic:parameters_set': { initiator: 'local', max_idle_timeout: 30000, initial_max_data: 1 << 20, tls_cipher: 'TLS_AES_128_GCM_SHA256' },
  'quic:parameters_restored': { initial_max_data: 1000, max_datagram_frame_size: 0 },
  'quic:packet_sent': { header: header1rtt, frames: [stream, ack], raw: { length: 1200, payload_length: 1150 }, trigger: 'pto_probe', path_id: 0 },
  'quic:packet_received': { header: { packet_type: 'initial', packet_number: 0, version: '00000001', scid: '01', dcid: '02', token: { raw: { length: 0 } } }, frames: [ack] },
  'quic:packet_dropped': { header: { packet_type: 'handshake' }, raw: { length: 80 }, trigger: 'key_unavailable', details: { reason: 'no keys' } },
  'quic:packet_buffered': { header: { packet_type: '1RTT' }, trigger: 'keys_unavailable' },
  'quic:packets_acked': { packet_number_space: 'application_data', packet_numbers: [1, 2, 3] },
  'quic:udp_datagrams_sent': { count: 2, raw: [{ length: 1200 }, { length: 50 }], ecn: ['ECT(0)', 'ECT(0)'] },
  'quic:udp_datagrams_received': { count: 1, raw: [{ length: 1200 }], ecn: ['CE'] },
  'quic:udp_datagram_dropped': { raw: { length: 3 } },
  'quic:stream_state_updated': { stream_id: 4, stream_type: 'bidirectional', old: 'open', new: 'closed', stream_side: 'sending', trigger: 'remote' },
  'quic:frames_created': { frames: [stream], packet_numbers: [7] },
  'quic:frames_parsed': { frames: [ack], packet_numbers: [9] },
  'quic:stream_data_moved': { stream_id: 0, offset: 0, from: 'application', to: 'transport', raw: { length: 5 }, additional_info: 'fin_set' },
  'quic:datagram_data_moved': { from: 'transport', to: 'application', raw: { length: 9 } },
  'quic:connection_data_blocked_updated': { old: 'unblocked', new: 'blocked', reason: 'congestion_control' },
  'quic:stream_data_blocked_updated': { new: 'blocked', stream_id: 8, reason: 'stream_flow_control' },
  'quic:datagram_data_blocked_updated': { new: 'unblocked' },
  'quic:migration_state_updated': { new: 'probing_started', tuple_id: '1' },
  'quic:timer_updated': { timer_type: 'pto', packet_number_space: 'handshake', event_type: 'set', delta: toMs(333_333) },
  'quic:key_updated': { key_type: 'client_1rtt_secret', key_phase: 1, trigger: 'local_update' },
  'quic:key_discarded': { key_type: 'server_initial_secret', trigger: 'tls' },
  'quic:recovery_parameters_set': { timer_granularity: 1, reordering_threshold: 3, time_threshold: 1.125, initial_rtt: 333, congestion_control: 'cubic' },
  'quic:recovery_metrics_updated': {
    min_rtt: toMs(20_000),
    smoothed_rtt: toMs(25_125),
    latest_rtt: toMs(30_001),
    rtt_variance: toMs(5_000),
    pto_count: 0,
    congestion_window: 14720,
    bytes_in_flight: 1200,
    ssthresh: 2 ** 53 - 1,
    pacing_rate: 12_000_000,
    path_id: 1,
  },
  'quic:congestion_state_updated': { old: 'slow_start', new: 'recovery', trigger: 'ecn' },
  'quic:packet_lost': { header: { packet_type: '1RTT', packet_number: 12 }, frames: [stream], trigger: 'time_threshold' },
  'quic:marked_for_retransmit': { frames: [stream] },
  'quic:ecn_state_updated': { old: 'testing', new: 'capable' },
  'loglevel:error': { code: 1, message: 'oops' },
  'loglevel:warning': { message: 'hmm' },
  'loglevel:info': { message: 'info' },
  'loglevel:debug': { message: 'debug "quoted" \n newline' },
  'loglevel:verbose': { message: 'verbose ✓ ünïcode' },
  'simulation:scenario': { name: 'loss-2pct', details: { loss: 0.02 } },
  'simulation:marker': { type: 'link_down', message: 'path 1 down' },
  'tquic:path_updated': { path_id: 1, old: 'validating', new: 'validated', tuple_id: '1' },
  'tquic:fec_repair_sent': { fss_esi: 3, repair_payload_id: 1, length: 1200, path_id: 0 },
  'tquic:fec_packet_recovered': { source_payload_id: 770, length: 1200, frames: [{ frame_type: 'stream', stream_id: 0, offset: 0, raw: { payload_length: 1000 } }] },
  'http3:parameters_set': { initiator: 'local', max_field_section_size: 65536, max_table_capacity: 4096, blocked_streams_count: 16, waits_for_settings: false },
  'http3:parameters_restored': { max_table_capacity: 4096 },
  'http3:stream_type_set': { initiator: 'remote', stream_id: 3, stream_type: 'control' },
  'http3:priority_updated': { stream_id: 0, new: 'u=3' },
  'http3:frame_created': { stream_id: 0, frame: { frame_type: 'headers', headers: [{ name: ':status', value: '200' }], raw: { length: 10, payload_length: 8 } } },
  'http3:frame_parsed': { stream_id: 2, frame: { frame_type: 'settings', settings: [{ name: 'settings_qpack_max_table_capacity', value: 4096 }] } },
  'http3:datagram_created': { quarter_stream_id: 0, raw: { length: 5 } },
  'http3:datagram_parsed': { quarter_stream_id: 1 },
  'http3:push_resolved': { push_id: 0, decision: 'abandoned' },
};

const ALL_EVENTS: QlogEvent[] = (Object.keys(SAMPLE_DATA) as QlogEventName[]).map((name) => ({ name, data: SAMPLE_DATA[name] }) as QlogEvent);

function run(events: Array<[number, QlogEvent]>, o: Partial<JsonSeqWriterOptions> = {}): string {
  let out = '';
  const w = new JsonSeqWriter({ vantagePoint: 'client', write: (c) => (out += c), ...o });
  for (const [t, e] of events) w.event(t, e);
  return out;
}

/** Every key of a JSON value, recursively. */
function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(k), keysOf(x, out);
  return out;
}

describe('JSON-SEQ records (RFC 7464, main §11.2)', () => {
  const text = run(ALL_EVENTS.map((e, i) => [1_000_000 + i * 1_500, e]));
  const records = parseJsonSeq(text) as Array<Record<string, unknown>>;

  it('every record is RS + one line of JSON + LF', () => {
    const pieces = text.split(RS);
    expect(pieces[0]).toBe('');
    expect(pieces.length - 1).toBe(ALL_EVENTS.length + 1);
    for (const p of pieces.slice(1)) {
      expect(p.endsWith('\n')).toBe(true);
      expect(p.slice(0, -1)).not.toContain('\n');
      expect(() => JSON.parse(p)).not.toThrow();
    }
  });

  it('every event type serialises and parses back to the same name and data', () => {
    expect(records.length).toBe(ALL_EVENTS.length + 1);
    ALL_EVENTS.forEach((e, i) => {
      const r = records[i + 1]!;
      expect(Object.keys(r)).toEqual(['time', 'name', 'data']);
      expect(r.name).toBe(e.name);
      expect(r.data).toEqual(e.data);
      expect(r.name).toMatch(/^[a-z0-9_]+:[a-z0-9_]+$/); // main §8: namespace ':' event type
    });
  });

  it('every event name has an importance level (main §8.3)', () => {
    for (const e of ALL_EVENTS) expect(['core', 'base', 'extra']).toContain(EVENT_IMPORTANCE[e.name]);
    expect(Object.keys(EVENT_IMPORTANCE).sort()).toEqual(Object.keys(SAMPLE_DATA).sort());
  });

  it('all field names are lowercase (main §11.2 MUST)', () => {
    for (const r of records) for (const k of keysOf(r)) expect(k).toBe(k.toLowerCase());
  });

  it('time is ms relative to the first event with µs precision (main §7.1)', () => {
    const times = records.slice(1).map((r) => r.time);
    expect(times.slice(0, 3)).toEqual([0, 1.5, 3]);
    const t = parseJsonSeq(run([[5, ALL_EVENTS[0]!], [12_350, ALL_EVENTS[1]!], [1_000_006, ALL_EVENTS[2]!]])) as Array<{ time: number }>;
    expect(t.slice(1).map((r) => r.time)).toEqual([0, 12.345, 1000.001]);
  });

  it('referenceInstant fixes time 0 (earlier events get negative times)', () => {
    const r = parseJsonSeq(run([[500, ALL_EVENTS[0]!], [2_500, ALL_EVENTS[1]!]], { referenceInstant: 1_000 })) as Array<{ time: number }>;
    expect(r.slice(1).map((x) => x.time)).toEqual([-0.5, 1.5]);
  });

  it('writes tuple and group_id when an event has them (main §7.2, §7.3)', () => {
    const r = parseJsonSeq(run([[0, { name: 'quic:packet_sent', data: { header: header1rtt }, tuple: '1', group_id: 'g' }]])) as Array<Record<string, unknown>>;
    expect(r[1]).toEqual({ time: 0, name: 'quic:packet_sent', data: { header: header1rtt }, tuple: '1', group_id: 'g' });
    expect(Object.keys(r[1]!)).toEqual(['time', 'name', 'data', 'tuple', 'group_id']);
  });
});

describe('header record (main §3, §5, §5.1, §6, §7.1)', () => {
  it('has the QlogFileSeq required fields', () => {
    const text = run([], { odcid: '8394c8f03e515708', title: 'tquic client', vantagePointName: 'tquic' });
    const [h] = parseJsonSeq(text) as Array<Record<string, any>>;
    expect(h!.file_schema).toBe(FILE_SCHEMA_SEQUENTIAL);
    expect(h!.file_schema).toBe('urn:ietf:params:qlog:file:sequential');
    expect(h!.serialization_format).toBe(SERIALIZATION_FORMAT_JSON_SEQ);
    expect(h!.serialization_format).toBe('application/qlog+json-seq');
    expect(h!.title).toBe('tquic client');
    // main §3: both fields SHOULD be within the first 256 bytes of the file
    expect(text.slice(0, 256)).toContain('"file_schema":"urn:ietf:params:qlog:file:sequential"');
    expect(text.slice(0, 256)).toContain('"serialization_format":"application/qlog+json-seq"');
    const trace = h!.trace;
    expect(trace.event_schemas).toEqual([...DEFAULT_EVENT_SCHEMAS]);
    expect(trace.event_schemas).toContain(QUIC_EVENT_SCHEMA);
    expect(trace.event_schemas).toContain('urn:ietf:params:qlog:events:http3-13');
    expect(trace.event_schemas.length).toBeGreaterThan(0);
    expect(trace.vantage_point).toEqual({ name: 'tquic', type: 'client' });
    expect(trace.common_fields).toEqual({
      group_id: '8394c8f03e515708',
      time_format: 'relative_to_epoch',
      reference_time: { clock_type: 'monotonic', epoch: 'unknown' },
    });
    expect(trace.events).toBeUndefined(); // TraceSeq has no events array
    for (const k of keysOf(h)) expect(k).toBe(k.toLowerCase());
  });

  it('uses a system clock epoch when the caller supplies a wall reference time', () => {
    const [h] = parseJsonSeq(run([], { referenceTime: Date.UTC(2026, 2, 17, 12, 0, 0, 123), vantagePoint: 'server' })) as Array<Record<string, any>>;
    expect(h!.trace.common_fields.reference_time).toEqual({ clock_type: 'system', epoch: '2026-03-17T12:00:00.123Z' });
    expect(h!.trace.vantage_point.type).toBe('server');
    expect(() => run([], { referenceTime: Number.NaN })).toThrow(RangeError);
  });

  it('a network vantage point carries a flow (main §6)', () => {
    const [a] = parseJsonSeq(run([], { vantagePoint: 'network' })) as Array<Record<string, any>>;
    expect(a!.trace.vantage_point).toEqual({ name: 'tquic', type: 'network', flow: 'unknown' });
    const [b] = parseJsonSeq(run([], { vantagePoint: 'network', flow: 'client', eventSchemas: [QUIC_EVENT_SCHEMA] })) as Array<Record<string, any>>;
    expect(b!.trace.vantage_point.flow).toBe('client');
    expect(b!.trace.event_schemas).toEqual([QUIC_EVENT_SCHEMA]);
  });
});

describe('determinism and filtering', () => {
  it('the same event sequence gives byte-identical output', () => {
    const seq: Array<[number, QlogEvent]> = ALL_EVENTS.map((e, i) => [i * 777, e]);
    const o = { odcid: 'aa', referenceTime: 1_700_000_000_000, title: 't' };
    const a = run(seq, o);
    const b = run(structuredClone(seq), o);
    expect(b).toBe(a);
    expect(a.length).toBeGreaterThan(1000);
  });

  it('importance filters events and reports it through wants (main §8.3)', () => {
    let out = '';
    const w = new JsonSeqWriter({ vantagePoint: 'client', importance: 'core', write: (c) => (out += c) });
    expect(w.wants('quic:packet_sent')).toBe(true);
    expect(w.wants('quic:stream_state_updated')).toBe(false);
    expect(w.wants('quic:timer_updated')).toBe(false);
    for (const e of ALL_EVENTS) w.event(0, e);
    const names = (parseJsonSeq(out).slice(1) as Array<{ name: QlogEventName }>).map((r) => r.name);
    expect(names.length).toBe(w.count);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(EVENT_IMPORTANCE[n]).toBe('core');
  });

  it('parseJsonSeq rejects a corrupt record', () => {
    expect(() => parseJsonSeq(`${RS}{"a":1}\n${RS}{"b":\n`)).toThrow(SyntaxError);
  });
});
