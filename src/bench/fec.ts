/**
 * `tquic bench fec`: throughput of the FEC codes (src/fec), 1200-byte symbols, per block of
 * 10 source symbols (12 000 bytes of source data per operation, so Gbit/s × 125 = MB/s):
 *  - rs encode / decode: Reed-Solomon k = 10, r = 2; decode rebuilds 2 erased sources from
 *    8 sources and the 2 repairs (coefficient rows carried as in a REPAIR frame);
 *  - xor encode / decode: k = 10, one repair; decode rebuilds 1 erased source;
 *  - rlc encode / decode: RFC 8681 GF(2^8), DT = 15, a repair over the last 10 sources after
 *    every 5 (the same 20 % overhead); encode copies the sources into the window, decode feeds a
 *    stream that loses one source in 5 and recovers each from the next repair.
 */
import { RlcDecoder, RlcEncoder, RsEncoder, rsDecode, XorEncoder, xorDecode, type BlockRepairSymbol } from '../fec/index.js';
import { measure, report, type BenchReport, type Measurement } from './harness.js';

const SYMBOL = 1200;
const K = 10;
const R = 2;
const BLOCK_BYTES = SYMBOL * K;

function sources(seed: number): Uint8Array[] {
  return Array.from({ length: K }, (_, i) => Uint8Array.from({ length: SYMBOL }, (_, b) => (b * 31 + i * 17 + seed * 7) & 0xff));
}

export function run(opts: { iterations?: number }): BenchReport {
  const it = opts.iterations !== undefined ? { iterations: opts.iterations } : {};
  const results: Measurement[] = [];
  const src = sources(1);

  // Reed-Solomon k = 10, r = 2.
  const rs = new RsEncoder(K, R);
  const rsLabels = { scheme: 'rs', k: String(K), r: String(R) };
  results.push(
    measure(
      'encode',
      () => {
        rs.reset();
        for (let i = 0; i < K; i++) rs.add(src[i]!);
      },
      { ...it, bytesPerOp: BLOCK_BYTES, labels: rsLabels },
    ),
  );
  const rsRepairs: BlockRepairSymbol[] = [];
  for (let j = 0; j < R; j++) rsRepairs.push({ index: j, data: rs.repair(j).slice(), coefficients: rs.coefficients(j).slice() });
  const rsRx: (Uint8Array | undefined)[] = src.slice();
  rsRx[2] = undefined;
  rsRx[7] = undefined;
  results.push(
    measure(
      'decode 2 erasures',
      () => {
        const r = rsDecode(rsRx, rsRepairs);
        if (r.missing.length !== 0) throw new Error('rs decode failed');
      },
      { ...it, bytesPerOp: BLOCK_BYTES, labels: rsLabels },
    ),
  );

  // XOR k = 10.
  const xor = new XorEncoder(K);
  const xorLabels = { scheme: 'xor', k: String(K), r: '1' };
  results.push(
    measure(
      'encode',
      () => {
        xor.reset();
        for (let i = 0; i < K; i++) xor.add(src[i]!);
      },
      { ...it, bytesPerOp: BLOCK_BYTES, labels: xorLabels },
    ),
  );
  const xorRepair = xor.repair().slice();
  const xorRx: (Uint8Array | undefined)[] = src.slice();
  xorRx[4] = undefined;
  results.push(
    measure(
      'decode 1 erasure',
      () => {
        if (xorDecode(xorRx, xorRepair).missing.length !== 0) throw new Error('xor decode failed');
      },
      { ...it, bytesPerOp: BLOCK_BYTES, labels: xorLabels },
    ),
  );

  // RLC GF(2^8), window 10, a repair every 5 sources.
  const rlcLabels = { scheme: 'rlc', k: String(K), r: String(R) };
  const enc = new RlcEncoder({ maxWindow: K });
  const repairBuf = new Uint8Array(SYMBOL);
  let key = 0;
  results.push(
    measure(
      'encode',
      () => {
        for (let i = 0; i < K; i++) {
          enc.add(src[i]!);
          if (i % 5 === 4) {
            enc.repairInto(repairBuf, 0, key, 15);
            key = (key + 1) & 0xffff;
          }
        }
      },
      { ...it, bytesPerOp: BLOCK_BYTES, labels: rlcLabels },
    ),
  );
  const stream = rlcStream(200);
  const dec = new RlcDecoder({ limits: { maxWindow: 32 } });
  let pos = 0;
  results.push(
    measure(
      'decode 2 erasures',
      () => {
        // One op = 10 sources' worth of frames (2 lost, 2 repairs), replaying a stream.
        if (pos >= stream.length) {
          pos = 0;
          dec.reset();
        }
        const end = pos + stream.per;
        let recovered = 0;
        for (; pos < end; pos++) {
          const f = stream.frames[pos]!;
          recovered += f.nss === 0 ? dec.addSource(f.esi, f.data).length : dec.addRepair(f.esi, f.nss, f.key, 15, f.data).length;
        }
        if (recovered !== R) throw new Error('rlc decode failed');
      },
      { ...it, bytesPerOp: BLOCK_BYTES, labels: rlcLabels },
    ),
  );
  return report('fec', results);
}

interface Frame {
  /** ESI of a source, or FSS_ESI of a repair. */
  esi: number;
  /** 0 for a source. */
  nss: number;
  key: number;
  data: Uint8Array;
}

/** `blocks` × 10 sources with a repair over the last 10 after every 5, source 2 of every 5 lost. */
function rlcStream(blocks: number): { frames: Frame[]; per: number; length: number } {
  const enc = new RlcEncoder({ maxWindow: K });
  const frames: Frame[] = [];
  let key = 0;
  for (let b = 0; b < blocks; b++) {
    const src = sources(b);
    for (let i = 0; i < K; i++) {
      const esi = enc.add(src[i]!);
      if (i % 5 !== 2) frames.push({ esi, nss: 0, key: 0, data: src[i]! });
      if (i % 5 === 4) {
        const r = enc.repair(key, 15);
        frames.push({ esi: r.fssEsi, nss: r.nss, key, data: r.data });
        key = (key + 1) & 0xffff;
      }
    }
  }
  const per = K; // 8 sources + 2 repairs per 10 sent sources
  return { frames, per, length: frames.length };
}
