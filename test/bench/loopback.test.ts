import { afterEach, describe, expect, it, vi } from 'vitest';
import bench from '../../src/bench/main.js';
import { run } from '../../src/bench/loopback.js';
import { handles } from '../io/helpers.js';

// Structure only: figures are for `npm run bench -- loopback`, never asserted in tests.
describe('bench loopback', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports the dgram ceiling, a download and handshakes per second per provider, and closes every socket', async () => {
    const udpBefore = handles('UDPWrap');
    const r = await run({ downloadBytes: 256_000, nobleBytes: 64_000, warmupBytes: 16_000, warmupMs: 0, handshakes: 3, nobleHandshakes: 2, handshakeRounds: 1, blastMs: 100, serverHandshakes: 8, serverConcurrency: 2 });
    expect(r.bench).toBe('loopback');
    expect(r.note).toMatch(/one process/);
    expect(r.results.map((m) => `${m.name}/${m.labels.provider}`)).toEqual([
      'node:dgram blast (ceiling), one process/none (raw UDP)',
      'download, 1 stream, one process/noble',
      'download, 1 stream, one process/node',
      'handshake: connect + close, one process/noble',
      'handshake: connect + close, one process/node',
      'handshake: against a server process/noble',
      'handshake: against a server process/node',
    ]);
    // Every row has every column, in the same order.
    const keys = Object.keys(r.results[0]!.labels);
    for (const m of r.results) expect(Object.keys(m.labels)).toEqual(keys);

    type M = (typeof r.results)[0];
    const [dgram, noble, node, hsNoble, hs, srvNoble, srv] = r.results as [M, M, M, M, M, M, M];
    for (const m of [dgram, noble, node]) {
      for (const k of ['Mbit/s', 'wall s', 'CPU ms/MB']) expect(Number(m.labels[k]), `${m.name} ${k}`).toBeGreaterThan(0);
      expect(parseFloat(m.labels['vs dgram']!), m.name).toBeGreaterThan(0);
      expect(m.gbps).toBeGreaterThan(0);
      expect(m.opsPerSec).toBeGreaterThan(0);
      expect(m.opsPerSec * m.usPerOp).toBeCloseTo(1e6, 3);
    }
    expect(noble.labels.size).toBe('0.064 MB');
    expect(node.labels.size).toBe('0.256 MB');
    for (const m of [noble, node]) {
      // The server's packets fill 1452-byte datagrams at most.
      const avg = Number(/(\d+) B avg/.exec(m.labels.note!)?.[1]);
      expect(avg).toBeGreaterThan(0);
      expect(avg).toBeLessThanOrEqual(1452);
    }
    expect(dgram.bytesPerOp).toBe(1452);
    expect(Number(hs.labels['handshakes/s'])).toBeGreaterThan(0);
    expect(Number(hs.labels['wall s'])).toBeGreaterThan(0);
    expect(hs.opsPerRound).toBe(3);
    expect(hs.opsPerSec).toBeGreaterThan(0);
    expect(hsNoble.opsPerRound).toBe(2);
    expect(Number(hsNoble.labels['handshakes/s'])).toBeGreaterThan(0);
    // Against the server process: the handshakes done, and the server's own CPU time for them.
    expect(srv.opsPerRound).toBe(8);
    expect(srvNoble.opsPerRound).toBe(2);
    for (const m of [srv, srvNoble]) {
      expect(m.values!['server CPU ms']).toBeGreaterThan(0);
      expect(m.labels.note).toMatch(/server CPU [\d.]+ ms per handshake/);
    }

    expect(handles('UDPWrap')).toBe(udpBefore);
  }, 60_000);

  it('is registered as `tquic bench loopback`', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await bench({ list: true }, [])).toBe(0);
    expect(out).toMatch(/^ {2}loopback +real UDP sockets/m);
  });
});
