/** MemorySink, TeeSink, `wants` and the parameters_set helper. */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/qlog/memory.js';
import { TeeSink, wants, type QlogSink } from '../../src/qlog/events.js';
import { JsonSeqWriter, parseJsonSeq } from '../../src/qlog/jsonseq.js';
import { parametersSetData, parametersSetEvent } from '../../src/qlog/params.js';
import { keyTypeOf, packetNumberSpaceOf, qlogIpAddress, qlogPacketType, qlogVersion, toMs } from '../../src/qlog/common.js';
import { defaultTransportParameters } from '../../src/wire/transport-params.js';

describe('MemorySink', () => {
  it('records events in order with their Instants and filters by name', () => {
    const m = new MemorySink();
    m.event(10, { name: 'quic:packet_sent', data: { header: { packet_type: 'initial', packet_number: 0 } } });
    m.event(20, { name: 'quic:packet_dropped', data: { trigger: 'decryption_failure' } });
    m.event(30, { name: 'quic:packet_sent', data: { header: { packet_type: 'handshake', packet_number: 0 } } });
    expect(m.events.map((e) => e.time)).toEqual([10, 20, 30]);
    expect(m.names()).toEqual(['quic:packet_sent', 'quic:packet_dropped', 'quic:packet_sent']);
    expect(m.count('quic:packet_sent')).toBe(2);
    const sent = m.filter('quic:packet_sent');
    expect(sent.map((s) => s.event.data.header.packet_type)).toEqual(['initial', 'handshake']); // typed by name
    expect(m.data('quic:packet_dropped')).toEqual([{ trigger: 'decryption_failure' }]);
    expect(m.first('quic:packet_sent')!.time).toBe(10);
    expect(m.last('quic:packet_sent')!.time).toBe(30);
    expect(m.last('quic:packet_lost')).toBeUndefined();
    expect(m.between(15, 30).map((e) => e.time)).toEqual([20]);
    m.clear();
    expect(m.events).toEqual([]);
  });
});

describe('TeeSink and wants (DESIGN §4 rule 7)', () => {
  it('fans out to every sink that wants the event', () => {
    const m = new MemorySink();
    let out = '';
    const w = new JsonSeqWriter({ vantagePoint: 'server', importance: 'base', write: (c) => (out += c) });
    const tee = new TeeSink(m, w);
    tee.event(0, { name: 'quic:timer_updated', data: { event_type: 'set', delta: 1 } });
    tee.event(1000, { name: 'quic:connection_state_updated', data: { new: 'handshake_complete' } });
    expect(m.count('quic:timer_updated')).toBe(1);
    expect(parseJsonSeq(out).length).toBe(2); // header + the base-level event
    expect(tee.wants('quic:timer_updated')).toBe(true); // the MemorySink wants everything
    expect(new TeeSink(w).wants('quic:timer_updated')).toBe(false);
  });

  it('wants() is false without a sink and honours a sink filter', () => {
    expect(wants(undefined, 'quic:packet_sent')).toBe(false);
    expect(wants(new MemorySink(), 'quic:packet_sent')).toBe(true);
    const picky: QlogSink = { event: () => {}, wants: (n) => n === 'quic:packet_lost' };
    expect(wants(picky, 'quic:packet_sent')).toBe(false);
    expect(wants(picky, 'quic:packet_lost')).toBe(true);
  });
});

describe('value helpers (events §8)', () => {
  it('maps packet types, spaces, key types, versions, addresses and durations', () => {
    expect(qlogPacketType('0rtt')).toBe('0RTT');
    expect(qlogPacketType('1rtt')).toBe('1RTT');
    expect(qlogPacketType('initial')).toBe('initial');
    expect(qlogPacketType('version_negotiation')).toBe('version_negotiation');
    expect(qlogPacketType('unsupported_version')).toBe('unknown');
    expect(packetNumberSpaceOf('0rtt')).toBe('application_data');
    expect(packetNumberSpaceOf('handshake')).toBe('handshake');
    expect(keyTypeOf('client', '1rtt')).toBe('client_1rtt_secret');
    expect(keyTypeOf('server', 'initial')).toBe('server_initial_secret');
    expect(qlogVersion(1)).toBe('00000001');
    expect(qlogVersion(0x6b3343cf)).toBe('6b3343cf');
    expect(qlogIpAddress(new Uint8Array([192, 0, 2, 1]))).toBe('192.0.2.1');
    expect(qlogIpAddress(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]))).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(toMs(12_345)).toBe(12.345);
    expect(toMs(333_000)).toBe(333);
  });
});

describe('parametersSetData (events §5.3)', () => {
  it('logs one side of the transport parameters with the draft names', () => {
    const tp = defaultTransportParameters({
      initialSourceConnectionId: new Uint8Array([1, 2, 3]),
      originalDestinationConnectionId: new Uint8Array([9]),
      statelessResetToken: new Uint8Array(16).fill(0xee),
      maxIdleTimeoutMs: 30_000,
      initialMaxData: 1 << 20,
      maxDatagramFrameSize: 1200,
      initialMaxPathId: 4,
      preferredAddress: {
        ipv4Address: new Uint8Array([192, 0, 2, 1]),
        ipv4Port: 443,
        ipv6Address: new Uint8Array(16),
        ipv6Port: 0,
        connectionId: new Uint8Array([7, 7]),
        statelessResetToken: new Uint8Array(16).fill(1),
      },
    });
    const d = parametersSetData(tp, 'remote');
    expect(d).toMatchObject({
      initiator: 'remote',
      original_destination_connection_id: '09',
      initial_source_connection_id: '010203',
      stateless_reset_token: 'ee'.repeat(16),
      max_idle_timeout: 30_000,
      initial_max_data: 1 << 20,
      ack_delay_exponent: 3,
      max_ack_delay: 25,
      max_datagram_frame_size: 1200,
      initial_max_path_id: 4,
      preferred_address: { ip_v4: '192.0.2.1', port_v4: 443, connection_id: '0707', stateless_reset_token: '01'.repeat(16) },
    });
    expect(d.preferred_address!.ip_v6).toBeUndefined();
    expect(d.retry_source_connection_id).toBeUndefined();
    expect(parametersSetEvent(tp, 'local')).toEqual({ name: 'quic:parameters_set', data: parametersSetData(tp, 'local') });
  });
});
