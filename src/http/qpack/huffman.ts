/**
 * The static Huffman code of HPACK (RFC 7541 §5.2, Appendix B), which QPACK string literals use
 * unchanged (RFC 9204 §4.1.2).
 *
 * The code of Appendix B is canonical: ordering the symbols by (code length, symbol value) and
 * numbering them from zero within each length reproduces every code of the table. So the table
 * is stored as its 257 code lengths only and both directions are derived from it: the encoder
 * gets one code per symbol; the decoder gets the code tree, turned into a table that consumes
 * four bits at a time (every code has at least five bits, so a nibble completes at most one
 * symbol). test/http/qpack-huffman.test.ts checks the derived codes against the whole printed
 * table and the examples of RFC 7541 Appendix C.
 */
import { QpackError, QpackErrorCode } from './errors.js';

/** Code length in bits of each symbol 0..255, then EOS (256); RFC 7541 Appendix B. */
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0–15
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16–31
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 32–47
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 48–63
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 64–79
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 80–95
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 96–111
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 112–127
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128–143
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144–159
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160–175
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176–191
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192–207
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208–223
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224–239
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240–255
  30, // 256: EOS
];

/** The EOS symbol: never part of an encoded string (RFC 7541 §5.2). */
const EOS = 256;
/** The longest code (EOS and a few control characters). */
const MAX_CODE_LENGTH = 30;
/** The shortest code: bounds how many symbols an encoded string can hold. */
const MIN_CODE_LENGTH = 5;

/** Codes of each symbol, right-aligned in CODE_LENGTHS[symbol] bits (RFC 7541 Appendix B). */
const CODES = canonicalCodes();

function canonicalCodes(): Uint32Array {
  const count = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  for (const len of CODE_LENGTHS) count[len]!++;
  // The first code of each length follows the codes of the shorter lengths.
  const next = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  for (let len = 1, code = 0; len <= MAX_CODE_LENGTH; len++) {
    code = (code + count[len - 1]!) * 2;
    next[len] = code;
  }
  const codes = new Uint32Array(CODE_LENGTHS.length);
  CODE_LENGTHS.forEach((len, sym) => (codes[sym] = next[len]!++));
  return codes;
}

/**
 * The decoding automaton. States are the inner nodes of the code tree (0 = root); each entry of
 * STEP, indexed by state * 16 + nibble, packs the state reached (low 8 bits), the symbol the
 * nibble completed (bits 8..15, valid when EMIT is set) and FAIL when the nibble completes EOS.
 * ACCEPT marks the states where a string may end: depth at most 7 on the all-ones path
 * (RFC 7541 §5.2 padding); PADDED_TOO_LONG marks deeper states on that path.
 */
const EMIT = 1 << 16;
const FAIL = 1 << 17;
const { STEP, ACCEPT, PADDED_TOO_LONG } = decodingAutomaton();

function decodingAutomaton(): { STEP: Int32Array; ACCEPT: Uint8Array; PADDED_TOO_LONG: Uint8Array } {
  // child[node * 2 + bit]: an inner node (>= 0) or a leaf (-1 - symbol); 0 is "absent" below the root.
  const child: number[] = [0, 0];
  const depth: number[] = [0];
  const allOnes: boolean[] = [true];
  for (let sym = 0; sym < CODE_LENGTHS.length; sym++) {
    const len = CODE_LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = (CODES[sym]! >>> i) & 1;
      if (i === 0) {
        child[node * 2 + bit] = -1 - sym;
        break;
      }
      let next = child[node * 2 + bit]!;
      if (next === 0) {
        next = depth.length;
        depth.push(depth[node]! + 1);
        allOnes.push(allOnes[node]! && bit === 1);
        child.push(0, 0);
        child[node * 2 + bit] = next;
      }
      node = next;
    }
  }
  const states = depth.length; // 256: a full binary tree with 257 leaves, so a state fits 8 bits
  const step = new Int32Array(states * 16);
  for (let state = 0; state < states; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const next = child[node * 2 + ((nibble >> i) & 1)]!;
        if (next >= 0) {
          node = next;
          continue;
        }
        const sym = -1 - next;
        entry |= sym === EOS ? FAIL : EMIT | (sym << 8);
        node = 0;
      }
      step[state * 16 + nibble] = entry | node;
    }
  }
  const accept = Uint8Array.from(depth, (d, i) => (allOnes[i]! && d <= 7 ? 1 : 0));
  const tooLong = Uint8Array.from(depth, (d, i) => (allOnes[i]! && d > 7 ? 1 : 0));
  return { STEP: step, ACCEPT: accept, PADDED_TOO_LONG: tooLong };
}

/** The code of `symbol` (0..256) as [value, bit length]; exported for table checks. */
export function huffmanCode(symbol: number): [code: number, length: number] {
  const len = CODE_LENGTHS[symbol];
  if (len === undefined) throw new RangeError(`no Huffman symbol ${symbol}`);
  return [CODES[symbol]!, len];
}

/** Length in bytes of the Huffman encoding of `s`, padding included (RFC 7541 §5.2). */
export function huffmanEncodedLength(s: Uint8Array): number {
  let bits = 0;
  for (const b of s) bits += CODE_LENGTHS[b]!;
  return Math.ceil(bits / 8);
}

/**
 * Huffman-encodes `s` (RFC 7541 §5.2): the codes back to back, most significant bit first, the
 * last byte padded with the high bits of EOS (all ones).
 */
export function huffmanEncode(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(s));
  // `acc` holds `pending` (< 8) bits between symbols. A code longer than 24 bits is added in two
  // pieces so that acc stays within 31 bits, where the int32 shift operators are exact.
  let acc = 0;
  let pending = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s[i]!;
    let code = CODES[sym]!;
    let len = CODE_LENGTHS[sym]!;
    if (len > 24) {
      acc = (acc << (len - 16)) | (code >>> 16);
      pending += len - 16;
      while (pending >= 8) {
        pending -= 8;
        out[o++] = acc >>> pending;
      }
      acc &= (1 << pending) - 1;
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    pending += len;
    while (pending >= 8) {
      pending -= 8;
      out[o++] = acc >>> pending;
    }
    acc &= (1 << pending) - 1;
  }
  if (pending > 0) out[o] = (acc << (8 - pending)) | (0xff >> pending);
  return out;
}

/**
 * Decodes a Huffman-encoded string of at most `maxLength` bytes (RFC 7541 §5.2). Throws
 * QpackError(DECOMPRESSION_FAILED) for EOS inside the string, padding longer than 7 bits or
 * padding that is not all ones, and for a result longer than `maxLength`.
 */
export function huffmanDecode(b: Uint8Array, maxLength: number): Uint8Array {
  return huffmanDecodeOrThrow(b, maxLength, QpackErrorCode.DECOMPRESSION_FAILED);
}

/** huffmanDecode, failing with QpackError(`errorCode`) (the encoder stream uses its own code). */
export function huffmanDecodeOrThrow(b: Uint8Array, maxLength: number, errorCode: number): Uint8Array {
  const bound = Math.floor((b.length * 8) / MIN_CODE_LENGTH);
  const out = new Uint8Array(Math.max(0, Math.min(bound, maxLength)));
  let n = 0;
  let state = 0;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i]!;
    for (let shift = 4; shift >= 0; shift -= 4) {
      const entry = STEP[state * 16 + ((byte >> shift) & 0xf)]!;
      if (entry & FAIL) throw new QpackError(errorCode, 'Huffman string contains EOS');
      if (entry & EMIT) {
        if (n >= out.length) throw new QpackError(errorCode, `Huffman string longer than ${maxLength} bytes`);
        out[n++] = (entry >> 8) & 0xff;
      }
      state = entry & 0xff;
    }
  }
  if (!ACCEPT[state]) {
    // RFC 7541 §5.2: the padding is shorter than 8 bits and is a prefix of EOS (all ones).
    const why = PADDED_TOO_LONG[state] ? 'Huffman padding longer than 7 bits' : 'Huffman padding is not all ones';
    throw new QpackError(errorCode, why);
  }
  return n === out.length ? out : out.slice(0, n);
}
