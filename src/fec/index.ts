/**
 * FEC coding layer (layer 2, pure math: no connection hooks, no I/O, no clock). The codes of
 * specs/fec.md B7 §2: XOR (scheme 11), systematic Reed-Solomon over GF(2^8) (scheme 8, RFC 5510
 * / RFC 6865), sliding-window RLC over GF(2^8) and GF(2) (schemes 10 and 9, RFC 8681) with the
 * TinyMT32 PRNG of RFC 8682.
 */
export * from './gf256.js';
export { invertMatrix, rref, vandermonde, vecMulMatrix } from './gf-matrix.js';
export * from './limits.js';
export * from './payload-id.js';
export { SymbolBuffer } from './symbol-buffer.js';
export { TinyMT32 } from './tinymt32.js';
export { XorEncoder, xorDecode, xorEncode } from './xor.js';
export { RsEncoder, rsDecode, rsEncode, rsRepairCoefficients } from './reed-solomon.js';
export { RlcEncoder, generateCodingCoefs, ringSize, type RlcFieldSize, type RlcRepair } from './rlc.js';
export { RlcDecoder, type RlcRecovered } from './rlc-decoder.js';

export * from './scheme.js';
export * from './policy.js';
export { FecSender, type FecSenderOptions, type RepairSymbol } from './sender.js';
export { FecReceiver, type FecRecoveredPacket } from './receiver.js';
