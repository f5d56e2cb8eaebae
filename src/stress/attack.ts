/**
 * The datagrams of `tquic abuse`: random and mutated QUIC datagrams by category, drawn from a
 * seeded PRNG (the same seed, the same datagrams in the same order). Each category probes one
 * rule of RFC 9000 an endpoint must keep under attack:
 *
 * - `random`: random bytes of random lengths (1–1500): anything may arrive (§5.2: drop what does
 *   not parse).
 * - `long-header`: well-formed long headers (Initial, 0-RTT, Handshake; v1 and v2, RFC 9369 §3.2)
 *   with random CIDs, tokens and payloads, a Length that is right or random, or a properly
 *   protected Initial with a few bytes flipped: AEAD failures (RFC 9001 §5.5: discarded) and
 *   §5.2.2's rules for packets that could open a connection.
 * - `initial-flood`: properly protected client Initials (RFC 9001 §5.2: keys from the DCID) with
 *   a real ClientHello, a fresh random DCID each and padded to 1200 bytes (§14.1): every one a
 *   new handshake. The server must bound the state they make and may send at most three times
 *   what it received to an unvalidated address (§8.1).
 * - `known-dcid`: short headers with the Destination Connection ID of the legitimate connection
 *   and a random payload: they reach that connection and fail authentication (RFC 9001 §5.5),
 *   which must neither close it nor count as a stateless reset (§10.3.1).
 * - `truncated`: a valid header cut off: protected Initials cut short, long headers whose Length
 *   runs past the datagram (§12.2), short headers with the real DCID and a few bytes.
 * - `short-cid`: short headers with random CIDs of every length 0–20 (§5.2: unknown CIDs; the
 *   answer is a rate-limited stateless reset smaller than the trigger, §10.3.3).
 * - `vn-retry`: Version Negotiation and Retry lookalikes sent to the server, which only clients
 *   accept (§17.2.1, §17.2.5), some to the legitimate connection's DCID.
 * - `coalesced`: a protected Initial followed by garbage in the same datagram (§12.2: the rest of
 *   a datagram that does not parse is dropped, the first packet still counts).
 * - `bad-version`: long headers of unsupported and reserved versions (RFC 9000 §15, §6.1), with
 *   CIDs up to 255 bytes (RFC 8999 §5.1): datagrams of at least 1200 bytes get Version
 *   Negotiation, which must be smaller than the trigger, shorter ones nothing.
 */
import { getProvider } from '../crypto/index.js';
import { initialKeys } from '../crypto/initial.js';
import { protectPacket, unprotectPacket } from '../crypto/packet-protection.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { Endpoint } from '../endpoint/endpoint.js';
import { ByteWriter } from '../util/bytes.js';
import { Prng } from '../util/prng.js';
import { parsePacketHeader, patchLongHeaderLength, writeLongHeader, writeRetry } from '../wire/header.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';

export const CATEGORIES = ['random', 'long-header', 'initial-flood', 'known-dcid', 'truncated', 'short-cid', 'vn-retry', 'coalesced', 'bad-version'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * Default shares (weights; they need not sum to 1). Handshake-making categories (`initial-flood`,
 * `coalesced`) are a small share: each costs the server a TLS handshake, the rest a parse.
 */
export const DEFAULT_MIX: Readonly<Record<Category, number>> = {
  random: 0.2,
  'long-header': 0.15,
  'initial-flood': 0.03,
  'known-dcid': 0.15,
  truncated: 0.1,
  'short-cid': 0.15,
  'vn-retry': 0.07,
  coalesced: 0.02,
  'bad-version': 0.13,
};

/** Categories whose datagrams may open a server handshake: the server may answer with up to 3× (RFC 9000 §8.1). */
export const HANDSHAKE_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['initial-flood', 'coalesced', 'long-header']);

/** `random=20,initial-flood=5,...`: weights by category; the categories not named get 0. */
export function parseMix(text: string): Record<Category, number> {
  const mix = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const part of text.split(',')) {
    const m = /^\s*([a-z-]+)\s*=\s*([0-9.]+)\s*$/.exec(part);
    if (m === null) throw new RangeError(`--mix: '${part}' is not CATEGORY=WEIGHT`);
    if (!(CATEGORIES as readonly string[]).includes(m[1]!)) throw new RangeError(`--mix: unknown category '${m[1]}' (known: ${CATEGORIES.join(', ')})`);
    const w = Number(m[2]);
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`--mix: bad weight '${m[2]}'`);
    mix[m[1] as Category] = w;
  }
  if (CATEGORIES.every((c) => mix[c] === 0)) throw new RangeError('--mix: every weight is 0');
  return mix;
}

/** A client's first Initial, decrypted: its frames (CRYPTO with a ClientHello) without the PADDING. */
export interface InitialTemplate {
  version: number;
  frames: Uint8Array;
}

/**
 * Real ClientHellos: an in-memory client connection per version (its own key share and
 * transport parameters), its first Initial decrypted with the Initial keys its DCID gives
 * (RFC 9001 §5.2) and stripped of the trailing PADDING.
 */
export function initialTemplates(provider: CryptoProvider, alpn: string[], seed: number): InitialTemplate[] {
  const out: InitialTemplate[] = [];
  for (const version of [QUIC_V1, QUIC_V2, QUIC_V1, QUIC_V2]) {
    const ep = new Endpoint({ local: { host: '127.0.0.1', port: 1 }, seed: seed + out.length });
    ep.connect(0, { host: '127.0.0.1', port: 2 }, { provider, alpn, serverName: 'localhost', verify: { mode: 'insecure' }, version, versions: [version] });
    const d = ep.pollTransmit(0);
    if (d === undefined) throw new Error('abuse: the client connection sent no Initial');
    const data = d.data.slice();
    const h = parsePacketHeader(data, { shortDcidLength: 0 });
    const packet = data.subarray(h.start, h.start + h.packetLength);
    const p = unprotectPacket(initialKeys(provider, version, h.dcid, true).open, packet, h.pnOffset, -1);
    if (p === null) throw new Error('abuse: cannot open the client Initial');
    let end = p.payload.length;
    while (end > 0 && p.payload[end - 1] === 0) end--;
    out.push({ version, frames: p.payload.slice(0, end) });
  }
  return out;
}

/** What the generator knows of the legitimate connection. */
export interface AttackTarget {
  /** The DCID the legitimate client sends to the server now (one of the server's CIDs), if any. */
  knownDcid(): Uint8Array | undefined;
}

const VERSIONS = [QUIC_V1, QUIC_V2];
const LONG_TYPES = ['initial', '0rtt', 'handshake'] as const;
const AEAD_TAG = 16;

/** Builds the datagrams of every category from one seeded PRNG. */
export class AttackGenerator {
  private readonly prng: Prng;
  private readonly provider: CryptoProvider;
  private readonly templates: InitialTemplate[];
  private readonly target: AttackTarget;
  private readonly cumulative: number[] = [];
  private readonly cats: Category[] = [];
  private total = 0;

  constructor(o: { seed: number; mix: Readonly<Record<Category, number>>; templates: InitialTemplate[]; target: AttackTarget; provider?: CryptoProvider }) {
    this.prng = new Prng(o.seed);
    this.provider = o.provider ?? getProvider('node');
    this.templates = o.templates;
    this.target = o.target;
    for (const c of CATEGORIES) {
      const w = o.mix[c];
      if (!(w > 0)) continue;
      this.total += w;
      this.cumulative.push(this.total);
      this.cats.push(c);
    }
    if (this.cats.length === 0) throw new RangeError('abuse: no category has a weight');
  }

  /** A category drawn by the mix's weights. */
  pick(): Category {
    const x = this.prng.nextFloat() * this.total;
    for (let i = 0; i < this.cats.length; i++) if (x < this.cumulative[i]!) return this.cats[i]!;
    return this.cats[this.cats.length - 1]!;
  }

  /** One datagram of `cat`. */
  make(cat: Category): Uint8Array {
    switch (cat) {
      case 'random':
        return this.prng.bytes(this.prng.nextRange(1, 1500));
      case 'long-header':
        return this.longHeader();
      case 'initial-flood':
        return this.protectedInitial(1200);
      case 'known-dcid':
        return this.knownDcid();
      case 'truncated':
        return this.truncated();
      case 'short-cid':
        return this.shortHeader(this.prng.bytes(this.prng.nextRange(0, 20)), this.prng.nextRange(0, 1400));
      case 'vn-retry':
        return this.vnOrRetry();
      case 'coalesced':
        return this.coalesced();
      case 'bad-version':
        return this.badVersion();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private cid(min: number, max: number): Uint8Array {
    return this.prng.bytes(this.prng.nextRange(min, max));
  }

  private version(): number {
    return VERSIONS[this.prng.nextInt(2)]!;
  }

  /**
   * A client Initial protected with the keys of a fresh random DCID (RFC 9001 §5.2), a real
   * ClientHello in it, padded with PADDING frames to `size` bytes (RFC 9000 §14.1).
   */
  protectedInitial(size: number): Uint8Array {
    const t = this.templates[this.prng.nextInt(this.templates.length)]!;
    const dcid = this.cid(8, 20);
    const scid = this.cid(0, 20);
    const buf = new Uint8Array(size);
    const w = new ByteWriter(buf);
    const pn = this.prng.nextInt(4);
    const pnOffset = writeLongHeader(w, { type: 'initial', version: t.version, dcid, scid, packetNumber: pn, pnLength: 2 });
    w.bytes(t.frames);
    // The rest stays zero: PADDING frames up to the tag.
    patchLongHeaderLength(buf, 0, pnOffset, size);
    protectPacket(initialKeys(this.provider, t.version, dcid, false).seal, buf, pnOffset, size - AEAD_TAG, pn);
    return buf;
  }

  private longHeader(): Uint8Array {
    const p = this.prng;
    if (p.chance(0.25)) {
      // A protected Initial with 1–8 bytes flipped: the header may still parse, the AEAD fails.
      const b = this.protectedInitial(p.nextRange(1200, 1452));
      for (let i = p.nextRange(1, 8); i > 0; i--) b[p.nextInt(b.length)]! ^= 1 << p.nextInt(8);
      return b;
    }
    const type = LONG_TYPES[p.nextInt(3)]!;
    // Half of them in datagrams large enough to carry an Initial (RFC 9000 §14.1).
    const size = p.chance(0.5) ? p.nextRange(1200, 1452) : p.nextRange(30, 1199);
    const buf = new Uint8Array(size + 160);
    const w = new ByteWriter(buf);
    const pnOffset = writeLongHeader(w, {
      type,
      version: this.version(),
      dcid: this.cid(0, 20),
      scid: this.cid(0, 20),
      ...(type === 'initial' && p.chance(0.5) ? { token: this.cid(1, 60) } : {}),
      packetNumber: p.nextU32(),
      pnLength: (p.nextInt(4) + 1) as 1 | 2 | 3 | 4,
    });
    const end = Math.max(size, w.offset + 1);
    p.fill(buf.subarray(w.offset, end));
    if (p.chance(0.7)) patchLongHeaderLength(buf, 0, pnOffset, end);
    else patchLongHeaderLength(buf, 0, pnOffset, pnOffset + p.nextInt(16384));
    return buf.subarray(0, end);
  }

  private shortHeader(dcid: Uint8Array, payload: number): Uint8Array {
    const b = new Uint8Array(1 + dcid.length + payload);
    // Fixed bit set (RFC 9000 §17.3.1), the rest (spin, reserved, key phase, pn length) random.
    b[0] = 0x40 | (this.prng.nextU32() & 0x3f);
    b.set(dcid, 1);
    this.prng.fill(b.subarray(1 + dcid.length));
    return b;
  }

  private knownDcid(): Uint8Array {
    const dcid = this.target.knownDcid() ?? this.cid(8, 8);
    return this.shortHeader(dcid, this.prng.nextRange(20, 1400));
  }

  private truncated(): Uint8Array {
    const p = this.prng;
    switch (p.nextInt(4)) {
      case 0: {
        // A protected Initial cut short: valid header, partial payload.
        const b = this.protectedInitial(1200);
        return b.subarray(0, p.nextRange(1, 1199));
      }
      case 1: {
        // A long header whose Length runs past the end of the datagram (RFC 9000 §12.2).
        const type = LONG_TYPES[p.nextInt(3)]!;
        const buf = new Uint8Array(1500);
        const w = new ByteWriter(buf);
        const pnOffset = writeLongHeader(w, { type, version: this.version(), dcid: this.cid(8, 20), scid: this.cid(0, 20), packetNumber: 0, pnLength: 1 });
        const end = p.nextRange(w.offset, Math.min(1452, w.offset + 200));
        p.fill(buf.subarray(w.offset, end));
        patchLongHeaderLength(buf, 0, pnOffset, end + p.nextRange(1, 2000));
        return buf.subarray(0, end);
      }
      case 2: {
        // The legitimate connection's DCID with a packet cut to a few bytes.
        const dcid = this.target.knownDcid() ?? this.cid(8, 8);
        const b = this.shortHeader(dcid, 24);
        return b.subarray(0, p.nextRange(1, 1 + dcid.length + 20));
      }
      default: {
        // A long header cut inside its connection IDs.
        const buf = new Uint8Array(64);
        const w = new ByteWriter(buf);
        writeLongHeader(w, { type: 'initial', version: this.version(), dcid: this.cid(8, 20), scid: this.cid(0, 20), packetNumber: 0, pnLength: 1 });
        return buf.subarray(0, p.nextRange(1, Math.max(1, w.offset - 3)));
      }
    }
  }

  private vnOrRetry(): Uint8Array {
    const p = this.prng;
    const dcid = p.chance(0.3) ? (this.target.knownDcid() ?? this.cid(0, 20)) : this.cid(0, 20);
    if (p.chance(0.5)) {
      // Version Negotiation (RFC 9000 §17.2.1): version 0 and a list of versions.
      const n = p.nextRange(0, 10);
      const scid = this.cid(0, 20);
      const b = new Uint8Array(7 + dcid.length + scid.length + 4 * n);
      const w = new ByteWriter(b);
      w.u8(0x80 | (p.nextU32() & 0x7f)).u32(0).u8(dcid.length).bytes(dcid).u8(scid.length).bytes(scid);
      for (let i = 0; i < n; i++) w.u32(p.chance(0.3) ? this.version() : p.nextU32());
      return b;
    }
    // Retry (RFC 9000 §17.2.5) with a random token and Integrity Tag.
    const buf = new Uint8Array(1 + 4 + 21 + 21 + 200 + 16);
    const w = new ByteWriter(buf);
    writeRetry(w, { version: this.version(), dcid, scid: this.cid(0, 20), token: this.cid(0, 200), integrityTag: p.bytes(16), unusedBits: p.nextU32() & 0x0f });
    return buf.subarray(0, w.offset);
  }

  private coalesced(): Uint8Array {
    const p = this.prng;
    const first = this.protectedInitial(1200);
    const tail = p.nextRange(1, 252);
    const b = new Uint8Array(1200 + tail);
    b.set(first);
    p.fill(b.subarray(1200));
    // Half the time the garbage looks like a long header of the same version.
    if (tail >= 5 && p.chance(0.5)) {
      b[1200] = 0xc0 | (p.nextU32() & 0x3f);
      b.set(first.subarray(1, 5), 1201);
    }
    return b;
  }

  private badVersion(): Uint8Array {
    const p = this.prng;
    let version: number;
    do {
      // Half reserved versions (RFC 9000 §15: 0x?a?a?a?a), half random.
      version = p.chance(0.5) ? ((p.nextU32() & 0xf0f0f0f0) | 0x0a0a0a0a) >>> 0 : p.nextU32();
    } while (version === 0 || VERSIONS.includes(version));
    // RFC 8999 §5.1: connection IDs of unknown versions may be up to 255 bytes.
    const long = p.chance(0.2);
    const dcid = long ? this.cid(21, 255) : this.cid(0, 20);
    const scid = long ? this.cid(0, 255) : this.cid(0, 20);
    const size = Math.max(7 + dcid.length + scid.length, p.chance(0.7) ? p.nextRange(1200, 1452) : p.nextRange(7, 1199));
    const b = new Uint8Array(size);
    const w = new ByteWriter(b);
    w.u8(0x80 | (p.nextU32() & 0x7f)).u32(version).u8(dcid.length).bytes(dcid).u8(scid.length).bytes(scid);
    p.fill(b.subarray(w.offset));
    return b;
  }
}
