/**
 * TinyMT32, the pseudorandom number generator of RFC 8682 (Figure 1), used by RFC 8681 §3.5
 * to derive RLC coding coefficients from a repair key. Parameters mat1 = 0x8f7011ee,
 * mat2 = 0xfc78ff1f, tmat = 0x3793fdff (RFC 8682 §2.1); the period certification of the
 * original TinyMT is omitted, as in RFC 8682 (it never triggers for these parameters).
 *
 * All 32-bit arithmetic uses `Math.imul` and `>>> 0`. Validation: seed 1 gives 2545341989,
 * 981918433, 3715302833, … (RFC 8682 §2.2, Figure 2).
 */

const MAT1 = 0x8f7011ee;
const MAT2 = 0xfc78ff1f;
const TMAT = 0x3793fdff;
const SH0 = 1;
const SH1 = 10;
const SH8 = 8;
const MASK = 0x7fffffff;
const MIN_LOOP = 8;
const PRE_LOOP = 8;

/**
 * TinyMT32, the PRNG of RFC 8682, which RFC 8681 §3.5 uses to derive RLC coding coefficients from a
 * repair key. Seed 1 gives 2545341989, 981918433, 3715302833, … (RFC 8682 §2.2).
 */
export class TinyMT32 {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private readonly seedState = new Uint32Array(4);

  constructor(seed = 0) {
    this.init(seed);
  }

  /** RFC 8682 Figure 1, `tinymt32_init`: seeds the state (reusable: no allocation). */
  init(seed: number): this {
    const st = this.seedState; // a Uint32Array stores every value modulo 2^32
    st[0] = seed;
    st[1] = MAT1;
    st[2] = MAT2;
    st[3] = TMAT;
    for (let i = 1; i < MIN_LOOP; i++) {
      const p = st[(i - 1) & 3]!;
      st[i & 3] = st[i & 3]! ^ (i + Math.imul(1812433253, p ^ (p >>> 30)));
    }
    this.s0 = st[0]!;
    this.s1 = st[1]!;
    this.s2 = st[2]!;
    this.s3 = st[3]!;
    for (let i = 0; i < PRE_LOOP; i++) this.nextState();
    return this;
  }

  /** RFC 8682 Figure 1, `tinymt32_next_state`. */
  private nextState(): void {
    let y = this.s3;
    let x = ((this.s0 & MASK) ^ this.s1 ^ this.s2) >>> 0;
    x = (x ^ (x << SH0)) >>> 0;
    y = (y ^ (y >>> SH0) ^ x) >>> 0;
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.s2 = (x ^ (y << SH1)) >>> 0;
    this.s3 = y;
    if (y & 1) {
      this.s1 = (this.s1 ^ MAT1) >>> 0;
      this.s2 = (this.s2 ^ MAT2) >>> 0;
    }
  }

  /** RFC 8682 Figure 1, `tinymt32_generate_uint32`: the next output in 0..2^32−1. */
  nextUint32(): number {
    this.nextState();
    // tinymt32_temper
    let t0 = this.s3;
    const t1 = (this.s0 + (this.s2 >>> SH8)) >>> 0;
    t0 = (t0 ^ t1) >>> 0;
    if (t1 & 1) t0 = (t0 ^ TMAT) >>> 0;
    return t0;
  }

  /** RFC 8681 §3.5 `tinymt32_rand16`: the low 4 bits of the next output, 0..15. */
  rand16(): number {
    return this.nextUint32() & 0xf;
  }

  /** RFC 8681 §3.5 `tinymt32_rand256`: the low 8 bits of the next output, 0..255. */
  rand256(): number {
    return this.nextUint32() & 0xff;
  }
}
