/** The qlog sink registry: built-in sinks by name, plug-in sinks, and the socket API's `qlogSink` option. */
import { describe, expect, it } from 'vitest';
import { createQlogSink, qlogSinkNames, registerQlogSink, type QlogSinkContext } from '../../src/qlog/registry.js';
import { MemorySink } from '../../src/qlog/memory.js';
import { baseConfig } from '../../src/io/options.js';

const ctx: QlogSinkContext = { role: 'server', odcid: 'a1b2' };
const event = { name: 'quic:packet_received', data: { header: { packet_type: '1RTT', packet_number: 7 }, raw: { length: 1200 } } } as never;

describe('qlog sink registry', () => {
  it('has memory, jsonseq and null built in', () => {
    expect(qlogSinkNames().slice(0, 3)).toEqual(['memory', 'jsonseq', 'null']);
    const got: Array<[MemorySink, QlogSinkContext]> = [];
    const m = createQlogSink('memory', ctx, { collect: (s: MemorySink, c: QlogSinkContext) => got.push([s, c]) });
    m!.event(5, event);
    expect(got).toHaveLength(1);
    expect(got[0]![1]).toEqual(ctx);
    expect(got[0]![0].events).toEqual([{ time: 5, event }]);
    const chunks: string[] = [];
    const j = createQlogSink('jsonseq', ctx, { write: (c: string) => chunks.push(c), importance: 'core' });
    j!.event(1000, event);
    expect(chunks).toHaveLength(2); // header + one record
    expect(chunks[0]).toContain('"type":"server"');
    expect(chunks[0]).toContain('a1b2');
    expect(chunks[1]).toContain('"name":"quic:packet_received"');
    expect(createQlogSink('null', ctx)).toBeUndefined();
  });

  it('checks names and callbacks', () => {
    expect(() => createQlogSink('nosuch', ctx)).toThrow(/unknown qlog sink "nosuch" \(known: memory, jsonseq, null/);
    expect(() => createQlogSink('memory', ctx)).toThrow(/options.collect must be a function/);
    expect(() => registerQlogSink('memory', () => undefined)).toThrow(/already registered/);
    expect(() => registerQlogSink('bad name', () => undefined)).toThrow(RangeError);
    registerQlogSink('test-count', () => new MemorySink());
    expect(createQlogSink('test-count', ctx)).toBeInstanceOf(MemorySink);
  });

  it('the socket API takes a sink by name for every connection', () => {
    const seen: QlogSinkContext[] = [];
    const c = baseConfig({ alpn: ['hq-interop'], qlogSink: { name: 'memory', options: { collect: (_s: MemorySink, x: QlogSinkContext) => seen.push(x) } } });
    const sink = c.qlogFor!({ isClient: true, originalDcid: new Uint8Array([0xde, 0xad]) });
    expect(sink).toBeInstanceOf(MemorySink);
    expect(seen).toEqual([{ role: 'client', odcid: 'dead' }]);
    expect(() => baseConfig({ alpn: ['hq-interop'], qlogSink: 'nosuch' })).toThrow(/unknown qlog sink/);
    // qlogDir wins.
    expect(baseConfig({ alpn: ['hq-interop'], qlogSink: 'null', qlogDir: '/tmp/x' }).qlogFor).toBeUndefined();
  });
});
