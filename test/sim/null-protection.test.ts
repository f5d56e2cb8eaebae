/**
 * Null packet protection (sim/null-protection.ts): the AEAD's tag still catches every corruption and a
 * wrong key, header protection masks nothing, the socket API refuses it, and the simulator gives
 * the same results with it as with node's AES-GCM — presets with corruption, key updates, Retry,
 * QUIC v2, multipath and FEC, and fault-matrix cells with corruption.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CipherSuite, nodeProvider } from '../../src/crypto/index.js';
import { connect } from '../../src/io/index.js';
import { allCells, runCell } from '../../src/sim/matrix.js';
import { nullPacketProtection, preset, runScenario, simCredentials, SIM_PROVIDER_NAMES, simProvider, withoutChecksum } from '../../src/sim/index.js';

const KEY = new Uint8Array(16).map((_, i) => i + 1);
const NONCE = new Uint8Array(12).fill(9);

describe('null packet protection', () => {
  const p = nullPacketProtection(nodeProvider);

  it('keeps the TLS of the provider it wraps and is named null', () => {
    expect(p.name).toBe('null');
    expect(p.keyExchange).toBe(nodeProvider.keyExchange);
    expect(p.sign).toBe(nodeProvider.sign);
    expect(p.hkdfExpand).toBe(nodeProvider.hkdfExpand);
  });

  it('seals to the same length as AES-GCM and opens what it sealed; any flipped bit, another key or nonce fails and leaves the buffer as it was', () => {
    const aead = p.aead(CipherSuite.TLS_AES_128_GCM_SHA256, KEY);
    const other = p.aead(CipherSuite.TLS_AES_128_GCM_SHA256, KEY.map((b) => b ^ 0x80));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.uint8Array({ maxLength: 1400 }), fc.nat(), (header, payload, flip) => {
        const buf = new Uint8Array(header.length + payload.length + 16);
        buf.set(header);
        buf.set(payload, header.length);
        const sealed = aead.sealPacket(NONCE, buf, 0, header.length, payload.length);
        expect(sealed).toBe(payload.length + 16);
        expect(nodeProvider.aead(CipherSuite.TLS_AES_128_GCM_SHA256, KEY).seal(NONCE, header, payload).length).toBe(sealed);
        const good = buf.slice();
        expect(aead.openPacket(NONCE, buf.slice(), 0, header.length, sealed)).toBe(payload.length);
        expect(other.openPacket(NONCE, buf.slice(), 0, header.length, sealed)).toBe(-1);
        expect(aead.openPacket(new Uint8Array(12).fill(8), buf.slice(), 0, header.length, sealed)).toBe(-1);
        const bit = flip % (buf.length * 8);
        const bad = buf.slice();
        bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7));
        const copy = bad.slice();
        expect(aead.openPacket(NONCE, bad, 0, header.length, sealed)).toBe(-1);
        expect(bad).toEqual(copy);
        // The convenience forms agree with the in-place ones.
        expect(aead.open(NONCE, header, good.subarray(header.length))).toEqual(payload);
        expect(aead.seal(NONCE, header, payload)).toEqual(good.subarray(header.length));
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('without the checksum (runs where no link corrupts) the key and nonce are still checked, the payload not', () => {
    const twin = withoutChecksum(p)!;
    expect(twin.name).toBe('null');
    expect(withoutChecksum(nodeProvider)).toBeUndefined();
    expect(withoutChecksum(twin)).toBeUndefined();
    const aead = twin.aead(CipherSuite.TLS_AES_128_GCM_SHA256, KEY);
    const buf = new Uint8Array(10 + 100 + 16).fill(3);
    const n = aead.sealPacket(NONCE, buf, 0, 10, 100);
    const flipped = buf.slice();
    flipped[50] = flipped[50]! ^ 1;
    expect(aead.openPacket(NONCE, flipped, 0, 10, n)).toBe(100);
    expect(twin.aead(CipherSuite.TLS_AES_128_GCM_SHA256, KEY.map((b) => b ^ 1)).openPacket(NONCE, buf.slice(), 0, 10, n)).toBe(-1);
    expect(aead.openPacket(new Uint8Array(12).fill(8), buf.slice(), 0, 10, n)).toBe(-1);
    // With the checksum, the flipped payload fails.
    expect(p.aead(CipherSuite.TLS_AES_128_GCM_SHA256, KEY).openPacket(NONCE, flipped, 0, 10, n)).toBe(-1);
  });

  it('header protection masks nothing', () => {
    const hp = p.headerProtection(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, new Uint8Array(32).fill(3));
    const out = new Uint8Array(5).fill(0xff);
    expect(hp.mask(new Uint8Array(20).fill(7), out, 2)).toEqual(new Uint8Array(5));
    expect(() => hp.mask(new Uint8Array(10))).toThrow(RangeError);
  });

  it('checks key lengths like a real provider', () => {
    expect(() => p.aead(CipherSuite.TLS_AES_256_GCM_SHA384, KEY)).toThrow(RangeError);
  });

  it('is offered to the simulator only: the socket API does not know it', async () => {
    expect(SIM_PROVIDER_NAMES).toContain('null');
    expect(simProvider('null').name).toBe('null');
    expect(() => simProvider('rot13')).toThrow(RangeError);
    await expect(connect({ host: '127.0.0.1', port: 9, crypto: 'null' as never, alpn: ['x'], insecure: true })).rejects.toThrow(/unknown crypto provider/);
  });
});

describe('the simulator gives the same results with null protection as with node', () => {
  const strip = (r: unknown): string => JSON.stringify(r, (k, v: unknown) => (k === 'wallMs' ? undefined : v));

  it.each([
    ['transfercorruption', 400_000],
    ['handshakecorruption', undefined],
    ['keyupdate', 1_000_000],
    ['retry', 300_000],
    ['v2', 300_000],
    ['zerortt', undefined],
    ['multipath', 1_000_000],
    ['fec-rs', undefined],
    ['rebind-addr', 1_000_000],
  ] as const)('preset %s', async (name, bytes) => {
    const credentials = await simCredentials();
    const scenario = preset(name, bytes !== undefined ? { bytes } : {});
    const run = (provider: string): string => strip(runScenario(scenario, { provider: simProvider(provider), credentials, seed: 4 }));
    const a = run('node');
    expect(run('null')).toBe(a);
    expect(JSON.parse(a).completed).toBe(true);
  });

  it('fault-matrix cells with corruption (every loss level, with and without the other impairments)', async () => {
    const credentials = await simCredentials();
    const cells = allCells().filter((c) => c.corrupt && (c.multipath ? 1 : 0) + (c.rebind ? 1 : 0) + (c.blackhole ? 1 : 0) <= 1);
    let corrupted = 0;
    for (const cell of cells.filter((_, i) => i % 8 === 0)) {
      const a = runCell(cell, 3, { provider: simProvider('node'), credentials });
      const b = runCell(cell, 3, { provider: simProvider('null'), credentials });
      expect(strip(b), `${a.name} seed 3`).toBe(strip(a));
      corrupted += a.faults.corrupted;
    }
    expect(corrupted).toBeGreaterThan(0);
  });
});
