/**
 * `tquic abuse` in small: 20,000 attack datagrams of every category against a tquic server in a
 * child process (the built module in dist/, which `npm test` builds first) while a legitimate
 * client downloads 1 MB: every download complete and identical, the server alive and answering
 * handshakes afterwards, its memory within the bound, no answer amplifying the attack, the
 * endpoint never throwing. Also the generators themselves: deterministic per seed, and the
 * protected Initials open with the keys of their DCID.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { initialKeys } from '../../src/crypto/initial.js';
import { unprotectPacket } from '../../src/crypto/packet-protection.js';
import { AttackGenerator, CATEGORIES, DEFAULT_MIX, initialTemplates, parseMix } from '../../src/stress/attack.js';
import { formatAbuse, runAbuse } from '../../src/stress/abuse.js';
import { parsePacketHeader } from '../../src/wire/header.js';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/capture.js';
import { vi } from 'vitest';

const SEED = 7;
const provider = getProvider('node');

describe('attack generators', () => {
  const templates = initialTemplates(provider, ['hq-interop'], SEED);
  const target = { knownDcid: () => Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) };

  it('are deterministic for a seed', () => {
    const a = new AttackGenerator({ seed: SEED, mix: DEFAULT_MIX, templates, target });
    const b = new AttackGenerator({ seed: SEED, mix: DEFAULT_MIX, templates, target });
    for (let i = 0; i < 500; i++) {
      const ca = a.pick();
      expect(b.pick()).toBe(ca);
      expect(Buffer.from(b.make(ca)).equals(Buffer.from(a.make(ca)))).toBe(true);
    }
  });

  it('make every category within UDP sizes', () => {
    const g = new AttackGenerator({ seed: SEED, mix: DEFAULT_MIX, templates, target });
    for (const c of CATEGORIES) {
      for (let i = 0; i < 200; i++) {
        const d = g.make(c);
        expect(d.length, c).toBeGreaterThan(0);
        expect(d.length, c).toBeLessThanOrEqual(1500);
      }
    }
  });

  it('protect flood Initials with the keys of their DCID, padded to 1200 bytes (RFC 9001 §5.2, RFC 9000 §14.1)', () => {
    const g = new AttackGenerator({ seed: SEED, mix: DEFAULT_MIX, templates, target });
    for (let i = 0; i < 20; i++) {
      const d = g.make('initial-flood');
      expect(d.length).toBe(1200);
      const h = parsePacketHeader(d, { shortDcidLength: 0 });
      expect(h.type).toBe('initial');
      const p = unprotectPacket(initialKeys(provider, h.version, h.dcid, true).open, d.subarray(h.start, h.start + h.packetLength), h.pnOffset, -1);
      expect(p).not.toBeNull();
      expect(p!.payload[0]).toBe(0x06); // a CRYPTO frame with the ClientHello
    }
  });

  it('parse --mix', () => {
    expect(parseMix('random=2,initial-flood=1')).toMatchObject({ random: 2, 'initial-flood': 1, truncated: 0 });
    expect(() => parseMix('nonsense=1')).toThrow(/unknown category/);
    expect(() => parseMix('random=0')).toThrow(/every weight is 0/);
  });
});

describe('tquic abuse', () => {
  it('a 1 MB transfer survives 20,000 attack datagrams; the server stays alive and bounded', async () => {
    const r = await runAbuse({ datagrams: 20_000, bytes: 1_000_000, seed: SEED, settleMs: 12_000 });
    const replay = `seed ${SEED}; replay: ${r.replay}\n${formatAbuse(r)}`;
    expect(r.failures, replay).toEqual([]);
    expect(r.ok, replay).toBe(true);
    expect(r.datagrams).toBe(20_000);
    for (const c of CATEGORIES) expect(r.categories[c].sent, `${c}: ${replay}`).toBeGreaterThan(0);
    expect(r.reference.ok && r.reference.hashOk, replay).toBe(true);
    expect(r.underFlood.ok && r.underFlood.hashOk && r.underFlood.downloads >= 1, replay).toBe(true);
    expect(r.handshakeUnderFlood.ok && r.finalHandshake.ok, replay).toBe(true);
    expect(r.server.alive, replay).toBe(true);
    expect(r.server.exit).toEqual({ code: 0, signal: null, early: false });
    expect(r.server.peak!.total, replay).toBeLessThan(r.maxHeapMb * 2 ** 20);
    expect(r.server.counters!.receiveErrors, replay).toBe(0);
    // The server saw the attack: its endpoint dropped datagrams before any connection (§5.2).
    const dropped = Object.values(r.server.counters!.dropped).reduce((a, b) => a + b, 0);
    expect(dropped, replay).toBeGreaterThan(1000);
    for (const c of CATEGORIES) expect(r.categories[c].amplification, `${c}: ${replay}`).toBeLessThanOrEqual(r.categories[c].bound);
  }, 60_000);

  it('the command prints the table and the verdict, and rejects bad arguments', async () => {
    const c = capture();
    try {
      expect(await main(['abuse', '--datagrams', '2000', '--bytes', '100000', '--seed', String(SEED), '--settle', '1'])).toBe(0);
      expect(c.out()).toMatch(/^tquic abuse: 2000 datagrams in /);
      expect(c.out()).toMatch(/^initial-flood\s+\d+/m);
      expect(c.out()).toContain('verdict: PASS');
      expect(c.err()).toMatch(/abuse: reference download/);
    } finally {
      vi.restoreAllMocks();
    }
    for (const args of [['--mix', 'bogus=1'], ['--rate', '0'], ['--target', 'nohostport'], ['--path', '/x'], ['--retry', 'sometimes'], ['stray']]) {
      const e = capture();
      try {
        expect(await main(['abuse', ...args]), args.join(' ')).toBe(2);
        expect(e.err()).toContain('tquic abuse:');
      } finally {
        vi.restoreAllMocks();
      }
    }
  }, 60_000);
});
