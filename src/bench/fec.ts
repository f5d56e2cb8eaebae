/**
 * `tquic bench fec`: encode and decode throughput of the FEC codes (src/fec) on 1200-byte
 * symbols. Every row's `bytesPerOp` is the source data one operation covers (k × 1200 bytes), so
 * its Gbit/s column reads as source MB/s after × 125 (MB = 10^6 bytes): 1 Gbit/s = 125 MB/s.
 * Labels: `scheme`; `k` source symbols and `r` repair symbols per operation; `window` (RLC only)
 * the encoding window, NSS, of every repair symbol.
 *
 *  - rs k=10 r=2,  encode: one Reed-Solomon block, 10 sources into 2 repairs (12 000 B/op);
 *  - rs k=10 r=2,  decode 2 erasures: rebuilds 2 lost sources from the 8 others and 2 repairs;
 *  - rs k=32 r=8,  encode: one block, 32 sources into 8 repairs (38 400 B/op);
 *  - rs k=32 r=8,  decode 8 erasures: rebuilds 8 lost sources from the 24 others and 8 repairs
 *    (RS repairs carry their coefficient rows, as in a REPAIR frame);
 *  - xor k=10 r=1, encode / decode 1 erasure: one parity symbol per 10 sources (12 000 B/op);
 *  - rlc window=10 and window=64, encode / decode 2 erasures: RFC 8681 GF(2^8), DT = 15, a
 *    repair over the last `window` sources after every 5 sources (20 % overhead, as RS 10:2).
 *    One operation is 10 sources and their 2 repairs (12 000 B/op): encode copies the sources
 *    into the window and computes the repairs; decode replays a pre-encoded stream that loses
 *    one source in 5, each recovered from the next repair (decoder maxWindow = window).
 *
 * Every decode operation checks that it recovered exactly the lost symbols (it throws
 * otherwise); before timing, one pass also checks the recovered bytes against the originals.
 */
import { RlcDecoder, RlcEncoder, RsEncoder, rsDecode, XorEncoder, xorDecode, type BlockRepairSymbol } from '../fec/index.js';
import { measure, report, type BenchOptions, type BenchReport, type Measurement } from './harness.js';

const SYMBOL = 1200;
/** RLC: DT = 15 (every coefficient non-zero), a repair after every RLC_PERIOD sources, the one at RLC_LOST lost. */
const RLC_DT = 15;
const RLC_PERIOD = 5;
const RLC_LOST = 2;
/** RLC: sources per operation (two periods: 2 repairs, 2 losses), and blocks of them in the replayed stream. */
const RLC_PER_OP = 10;
const RLC_STREAM_OPS = 200;

type It = Pick<BenchOptions, 'iterations'>;

/** `k` deterministic source symbols, distinct per `seed`. */
function sources(k: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < k; i++) {
    const s = new Uint8Array(SYMBOL);
    for (let b = 0; b < SYMBOL; b++) s[b] = (b * 31 + i * 17 + seed * 7) & 0xff;
    out.push(s);
  }
  return out;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  for (let i = b.length; i < a.length; i++) if (a[i] !== 0) return false; // zero padding only
  return true;
}

export function run(opts: { iterations?: number }): BenchReport {
  const it: It = opts.iterations !== undefined ? { iterations: opts.iterations } : {};
  return report('fec', [...benchRs(10, 2, it), ...benchRs(32, 8, it), ...benchXor(10, it), ...benchRlc(10, it), ...benchRlc(64, it)]);
}

/** Reed-Solomon (k, r): encode one block; decode with r erasures spread over the block. */
function benchRs(k: number, r: number, it: It): Measurement[] {
  const src = sources(k, 1);
  const opts = { ...it, bytesPerOp: k * SYMBOL, labels: { scheme: 'rs', k: String(k), r: String(r) } };
  const enc = new RsEncoder(k, r);
  const encode = measure(
    'encode',
    () => {
      enc.reset();
      for (let i = 0; i < k; i++) enc.add(src[i]!);
    },
    opts,
  );
  const repairs: BlockRepairSymbol[] = [];
  for (let j = 0; j < r; j++) repairs.push({ index: j, data: enc.repair(j).slice(), coefficients: enc.coefficients(j).slice() });
  const rx: (Uint8Array | undefined)[] = src.slice();
  const lost = spread(k, r);
  for (const i of lost) rx[i] = undefined;
  const decode = () => {
    const res = rsDecode(rx, repairs);
    if (res.missing.length !== 0 || res.recovered.length !== r) throw new Error(`rs k=${k} r=${r} decode failed`);
    return res.symbols;
  };
  checkRecovered(`rs k=${k} r=${r}`, decode(), src, lost);
  return [encode, measure(`decode ${r} erasures`, decode, opts)];
}

/** XOR k: encode one block; decode with 1 erasure. */
function benchXor(k: number, it: It): Measurement[] {
  const src = sources(k, 1);
  const opts = { ...it, bytesPerOp: k * SYMBOL, labels: { scheme: 'xor', k: String(k), r: '1' } };
  const enc = new XorEncoder(k);
  const encode = measure(
    'encode',
    () => {
      enc.reset();
      for (let i = 0; i < k; i++) enc.add(src[i]!);
    },
    opts,
  );
  const repair = enc.repair().slice();
  const rx: (Uint8Array | undefined)[] = src.slice();
  const lost = spread(k, 1);
  for (const i of lost) rx[i] = undefined;
  const decode = () => {
    const res = xorDecode(rx, repair);
    if (res.missing.length !== 0 || res.recovered.length !== 1) throw new Error(`xor k=${k} decode failed`);
    return res.symbols;
  };
  checkRecovered(`xor k=${k}`, decode(), src, lost);
  return [encode, measure('decode 1 erasure', decode, opts)];
}

/** `n` distinct indices evenly spread over 0 … k − 1 (the erasures of a block). */
function spread(k: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(((2 * i + 1) * k) / (2 * n)));
}

function checkRecovered(what: string, got: readonly (Uint8Array | undefined)[], src: readonly Uint8Array[], lost: readonly number[]): void {
  for (const i of lost) if (!sameBytes(got[i], src[i]!)) throw new Error(`${what}: source ${i} recovered wrong`);
}

/**
 * RLC GF(2^8) with encoding window `window`: a repair over the last `window` sources (fewer at
 * the start) after every RLC_PERIOD sources. Operations of RLC_PER_OP sources.
 */
function benchRlc(window: number, it: It): Measurement[] {
  const repairsPerOp = RLC_PER_OP / RLC_PERIOD;
  const opts = {
    ...it,
    bytesPerOp: RLC_PER_OP * SYMBOL,
    labels: { scheme: 'rlc', k: String(RLC_PER_OP), r: String(repairsPerOp), window: String(window) },
  };
  const src = sources(RLC_PER_OP, 1);
  const enc = new RlcEncoder({ maxWindow: window });
  const repairBuf = new Uint8Array(SYMBOL);
  let key = 0;
  const encode = measure(
    'encode',
    () => {
      for (let i = 0; i < RLC_PER_OP; i++) {
        enc.add(src[i]!);
        if (i % RLC_PERIOD === RLC_PERIOD - 1) {
          enc.repairInto(repairBuf, 0, key, RLC_DT);
          key = (key + 1) & 0xffff;
        }
      }
    },
    opts,
  );

  const stream = rlcStream(window, RLC_STREAM_OPS);
  verifyRlcStream(window, stream);
  const dec = new RlcDecoder({ limits: { maxWindow: window } });
  let pos = 0;
  const decode = measure(
    `decode ${repairsPerOp} erasures`,
    () => {
      // One op = RLC_PER_OP sources' worth of frames (2 sources lost, 2 repairs), replaying the stream.
      if (pos >= stream.frames.length) {
        pos = 0;
        dec.reset();
      }
      const end = pos + stream.framesPerOp;
      let recovered = 0;
      for (; pos < end; pos++) {
        const f = stream.frames[pos]!;
        recovered += f.nss === 0 ? dec.addSource(f.esi, f.data).length : dec.addRepair(f.esi, f.nss, f.key, RLC_DT, f.data).length;
      }
      if (recovered !== repairsPerOp) throw new Error(`rlc window=${window} decode failed`);
    },
    opts,
  );
  return [encode, decode];
}

interface Frame {
  /** ESI of a source, or FSS_ESI of a repair. */
  esi: number;
  /** 0 for a source. */
  nss: number;
  key: number;
  data: Uint8Array;
}

interface RlcStream {
  /** The frames received: sources that were not lost, and every repair. */
  frames: Frame[];
  /** Frames per operation of RLC_PER_OP sources. */
  framesPerOp: number;
  /** The lost sources by ESI, to check what the decoder recovers. */
  lost: Map<number, Uint8Array>;
}

/** `ops` × RLC_PER_OP sources through an encoder of window `window`; source RLC_LOST of every RLC_PERIOD lost. */
function rlcStream(window: number, ops: number): RlcStream {
  const enc = new RlcEncoder({ maxWindow: window });
  const frames: Frame[] = [];
  const lost = new Map<number, Uint8Array>();
  let key = 0;
  for (let b = 0; b < ops; b++) {
    const src = sources(RLC_PER_OP, b);
    for (let i = 0; i < RLC_PER_OP; i++) {
      const esi = enc.add(src[i]!);
      if (i % RLC_PERIOD === RLC_LOST) lost.set(esi, src[i]!);
      else frames.push({ esi, nss: 0, key: 0, data: src[i]! });
      if (i % RLC_PERIOD === RLC_PERIOD - 1) {
        const r = enc.repair(key, RLC_DT);
        frames.push({ esi: r.fssEsi, nss: r.nss, key, data: r.data });
        key = (key + 1) & 0xffff;
      }
    }
  }
  // Per op: the sources that were not lost (one per period fewer) plus one repair per period.
  return { frames, framesPerOp: RLC_PER_OP, lost };
}

/** One untimed pass of the whole stream: every lost source is recovered, with the right bytes. */
function verifyRlcStream(window: number, stream: RlcStream): void {
  const dec = new RlcDecoder({ limits: { maxWindow: window } });
  const seen = new Set<number>();
  for (const f of stream.frames) {
    const rec = f.nss === 0 ? dec.addSource(f.esi, f.data) : dec.addRepair(f.esi, f.nss, f.key, RLC_DT, f.data);
    for (const { esi, data } of rec) {
      const want = stream.lost.get(esi);
      if (want === undefined || !sameBytes(data, want)) throw new Error(`rlc window=${window}: source ${esi} recovered wrong`);
      seen.add(esi);
    }
  }
  if (seen.size !== stream.lost.size) throw new Error(`rlc window=${window}: ${stream.lost.size - seen.size} sources not recovered`);
}
