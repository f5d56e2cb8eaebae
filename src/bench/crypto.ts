/**
 * `tquic bench crypto`: the per-packet cost of packet protection on each provider.
 *
 * For each AEAD (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) on each provider (node, noble):
 *  - seal: AEAD-encrypt a 1200-byte payload in place with a 20-byte header as AAD;
 *  - open: decrypt and verify it in place (the ciphertext is restored from a copy before each
 *    open, a 1.2 kB memcpy that is included in the figure);
 *  - hp: one header-protection mask (AES-ECB or ChaCha20 over a 16-byte sample);
 *  - protect / unprotect: a whole 1200-byte short-header packet, AEAD plus header protection,
 *    as the connection will do it.
 */
import { ALL_SUITES, getProvider, PROVIDER_NAMES, suiteInfo, type CryptoProvider } from '../crypto/index.js';
import { DirectionalKeys } from '../crypto/keys.js';
import { protectPacket, unprotectPacket } from '../crypto/packet-protection.js';
import { measure, report, type BenchReport, type Measurement } from './harness.js';

const PAYLOAD = 1200;
const HEADER = 20;

export function run(opts: { iterations?: number }): BenchReport {
  const iterations = opts.iterations;
  const results: Measurement[] = [];
  for (const pname of PROVIDER_NAMES) {
    const provider = getProvider(pname);
    for (const suite of ALL_SUITES) results.push(...benchSuite(provider, suite, iterations));
  }
  return report('crypto', results);
}

function benchSuite(provider: CryptoProvider, suite: (typeof ALL_SUITES)[number], iterations: number | undefined): Measurement[] {
  const info = suiteInfo(suite);
  const labels = { provider: provider.name, aead: info.aead };
  const secret = new Uint8Array(info.hash === 'sha384' ? 48 : 32).fill(7);
  const keys = DirectionalKeys.fromSecret(provider, suite, 1, secret);
  const nonce = keys.nonce(12345);
  const out: Measurement[] = [];
  const it = iterations !== undefined ? { iterations } : {};

  // AEAD alone.
  const buf = new Uint8Array(HEADER + PAYLOAD + 16).fill(0xab);
  const aad = buf.subarray(0, HEADER);
  out.push(
    measure('seal 1200B', () => keys.aead.sealInPlace(nonce, aad, buf, HEADER, PAYLOAD), {
      ...it,
      bytesPerOp: PAYLOAD,
      labels,
    }),
  );
  buf.fill(0xab, HEADER);
  keys.aead.sealInPlace(nonce, aad, buf, HEADER, PAYLOAD);
  const sealed = buf.slice();
  const work = buf.slice();
  const waad = work.subarray(0, HEADER);
  out.push(
    measure(
      'open 1200B',
      () => {
        work.set(sealed);
        if (keys.aead.openInPlace(nonce, waad, work, HEADER, PAYLOAD + 16) < 0) throw new Error('open failed');
      },
      { ...it, bytesPerOp: PAYLOAD, labels },
    ),
  );

  // Header protection alone.
  const sample = sealed.subarray(HEADER, HEADER + 16);
  const mask = new Uint8Array(5);
  out.push(measure('hp mask', () => keys.hp.mask(sample, mask), { ...it, labels }));

  // Whole packet: a short header (1 + 8-byte DCID + 4-byte PN) and 1200 bytes of payload.
  const pnOffset = 9;
  const payloadEnd = pnOffset + 4 + PAYLOAD;
  const pkt = new Uint8Array(payloadEnd + 16);
  pkt[0] = 0x43; // short header, fixed bit, 4-byte packet number
  const pn = 0;
  out.push(
    measure(
      'protect packet',
      () => {
        pkt[0] = 0x43;
        protectPacket(keys, pkt, pnOffset, payloadEnd, pn);
      },
      { ...it, bytesPerOp: PAYLOAD, labels },
    ),
  );
  pkt[0] = 0x43;
  pkt.fill(0, 1);
  pkt[pnOffset + 3] = 1;
  protectPacket(keys, pkt, pnOffset, payloadEnd, 1);
  const protectedPkt = pkt.slice();
  const rx = pkt.slice();
  out.push(
    measure(
      'unprotect packet',
      () => {
        rx.set(protectedPkt);
        if (unprotectPacket(keys, rx, pnOffset, 0) === null) throw new Error('unprotect failed');
      },
      { ...it, bytesPerOp: PAYLOAD, labels },
    ),
  );
  return out;
}
