/**
 * The signature schemes tquic's TLS engine offers and accepts in CertificateVerify
 * (RFC 8446 §4.2.3; TLS 1.3 signs CertificateVerify only with ECDSA, EdDSA and RSA-PSS).
 */
import { SignatureScheme } from './constants.js';

/** What the client offers in signature_algorithms and verifies, in preference order. */
export const SIGNATURE_SCHEMES_VERIFY: readonly number[] = [
  SignatureScheme.ECDSA_SECP256R1_SHA256,
  SignatureScheme.ED25519,
  SignatureScheme.RSA_PSS_RSAE_SHA256,
  SignatureScheme.ECDSA_SECP384R1_SHA384,
  SignatureScheme.RSA_PSS_RSAE_SHA384,
  SignatureScheme.RSA_PSS_RSAE_SHA512,
];
