/**
 * KeyPhase (RFC 9001 §6) on its own: two endpoints' key phases built from the same 1-RTT
 * secrets, packets sealed by one and opened by the other with the keys `select` picks.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { DirectionalKeys } from '../../src/crypto/keys.js';
import { CipherSuite } from '../../src/crypto/provider.js';
import { KeyPhase, nextKeys, ReadKeys } from '../../src/connection/key-update.js';
import { TransportError } from '../../src/util/transport-error.js';

const PTO = 100_000;
const AAD = new Uint8Array([0x40, 1, 2, 3]);

for (const providerName of ['node', 'noble'] as const) {
  const provider = getProvider(providerName);
  const keys = (secret: number): DirectionalKeys => DirectionalKeys.fromSecret(provider, CipherSuite.TLS_AES_128_GCM_SHA256, 1, new Uint8Array(32).fill(secret));
  /** Client writes with secret 1 and reads with secret 2; the server the other way round. */
  const pair = (): { client: KeyPhase; server: KeyPhase } => ({ client: new KeyPhase(keys(2), keys(1)), server: new KeyPhase(keys(1), keys(2)) });

  /** Seals packet `pn` with the sender's current write keys; returns its key phase and bytes. */
  function send(from: KeyPhase, pn: number): { phase: 0 | 1; pn: number; sealed: Uint8Array } {
    const k = from.write;
    from.onSealed(pn);
    return { phase: from.writePhase, pn, sealed: k.aead.seal(k.nonce(pn), AAD, new Uint8Array([pn & 0xff])) };
  }
  /** Opens a packet as the connection would: select, try, and report the change (or 'dropped'). */
  function receive(at: KeyPhase, p: { phase: 0 | 1; pn: number; sealed: Uint8Array }, now = 0): string {
    const which = at.select(p.phase, p.pn);
    const k = at.keys(which);
    if (k === undefined) return 'dropped';
    const plain = k.aead.open(k.nonce(p.pn), AAD, p.sealed);
    if (plain === null) return 'dropped';
    expect(plain[0]).toBe(p.pn & 0xff);
    if (which === ReadKeys.Previous) at.checkPrevious(p.pn);
    return at.onOpened(now, which, p.pn, PTO);
  }

  describe(`KeyPhase (${providerName})`, () => {
    it('derives the next generation with a new key and IV but the same header protection key', () => {
      const k = keys(7);
      const n = nextKeys(k);
      expect(n.generation).toBe(1);
      expect(n.hp).toBe(k.hp);
      expect(n.iv).not.toEqual(k.iv);
      expect(n.secret).not.toEqual(k.secret);
      const sealed = n.aead.seal(n.nonce(5), AAD, new Uint8Array([9]));
      expect(k.aead.open(k.nonce(5), AAD, sealed)).toBeNull();
    });

    it('an update started by one side is followed by the other and completes on the reply', () => {
      const { client, server } = pair();
      expect(receive(server, send(client, 0))).toBe('none');
      expect(receive(client, send(server, 0))).toBe('none');
      // Not before the handshake is confirmed, nor before a packet of this phase is acknowledged.
      expect(client.canInitiate(0, false, 0)).toBe(false);
      expect(client.canInitiate(0, true, -1)).toBe(false);
      expect(client.canInitiate(0, true, 0)).toBe(true);
      client.initiate();
      expect(client.writePhase).toBe(1);
      // Until the peer answers in the new phase, no second update.
      expect(client.canInitiate(0, true, 10)).toBe(false);
      const p1 = send(client, 1);
      expect(p1.phase).toBe(1);
      expect(receive(server, p1, 1000)).toBe('peer_initiated');
      expect(server.writePhase).toBe(1);
      expect(server.remoteUpdates).toBe(1);
      expect(receive(client, send(server, 1), 2000)).toBe('peer_responded');
      expect(client.readGen).toBe(1);
      expect(client.writeGen).toBe(1);
      expect(client.localUpdates).toBe(1);
      // §6.5: 3×PTO after the update completed before the next one.
      send(client, 2);
      expect(client.canInitiate(2000 + 3 * PTO - 1, true, 2)).toBe(false);
      expect(client.canInitiate(2000 + 3 * PTO, true, 2)).toBe(true);
    });

    it('opens packets reordered across the update with the previous keys until 3×PTO have passed', () => {
      const { client, server } = pair();
      receive(server, send(client, 0));
      const old1 = send(client, 1);
      const old2 = send(client, 2);
      client.initiate();
      expect(receive(server, send(client, 3), 0)).toBe('peer_initiated');
      // Packets 1 and 2 arrive late, in phase 0, numbered below the first of phase 1.
      expect(server.select(old1.phase, old1.pn)).toBe(ReadKeys.Previous);
      expect(receive(server, old1, 10)).toBe('none');
      expect(server.readGen).toBe(1);
      server.onTimeout(3 * PTO);
      expect(server.hasPrevious).toBe(false);
      // Without previous keys, phase 0 now means the next generation: the old packet fails.
      expect(server.select(old2.phase, old2.pn)).toBe(ReadKeys.Next);
      expect(receive(server, old2, 3 * PTO)).toBe('dropped');
      expect(server.readGen).toBe(1);
    });

    it('a forged packet in the other phase changes nothing, and the next keys are derived once', () => {
      const { client, server } = pair();
      receive(server, send(client, 0));
      const forged = { phase: 1 as const, pn: 5, sealed: new Uint8Array(17).fill(0xaa) };
      expect(receive(server, forged)).toBe('dropped');
      const next = server.keys(ReadKeys.Next);
      expect(server.keys(ReadKeys.Next)).toBe(next);
      expect(server.readGen).toBe(0);
      expect(server.writeGen).toBe(0);
      // The real update still works with the kept keys.
      client.initiate();
      expect(receive(server, send(client, 6))).toBe('peer_initiated');
    });

    it('old keys for a packet numbered above the first of the new phase are a KEY_UPDATE_ERROR', () => {
      const { client, server } = pair();
      receive(server, send(client, 0));
      client.initiate();
      receive(server, send(client, 4));
      expect(() => server.checkPrevious(9)).toThrow(TransportError);
      try {
        server.checkPrevious(9);
      } catch (e) {
        expect((e as TransportError).code).toBe(0x0e);
      }
    });

    it('reports the write keys near their confidentiality limit', () => {
      const { client } = pair();
      expect(client.nearConfidentialityLimit()).toBe(false);
      client.write.packetsProtected = client.write.suite.confidentialityLimit - 10;
      expect(client.nearConfidentialityLimit()).toBe(true);
      client.initiate();
      expect(client.nearConfidentialityLimit()).toBe(false);
    });
  });
}
