import { describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/util/transport-error.js';
import { errorName } from '../../../src/wire/errors.js';
import { AlertDescription, alertName, alertOf, tlsAlert } from '../../../src/crypto/tls/alert.js';

describe('TLS alerts', () => {
  it('has the RFC 8446 §6 code points', () => {
    expect(AlertDescription).toMatchObject({
      UNEXPECTED_MESSAGE: 10, BAD_RECORD_MAC: 20, HANDSHAKE_FAILURE: 40, BAD_CERTIFICATE: 42, UNSUPPORTED_CERTIFICATE: 43,
      CERTIFICATE_REVOKED: 44, CERTIFICATE_EXPIRED: 45, CERTIFICATE_UNKNOWN: 46, ILLEGAL_PARAMETER: 47, UNKNOWN_CA: 48,
      DECODE_ERROR: 50, DECRYPT_ERROR: 51, PROTOCOL_VERSION: 70, INSUFFICIENT_SECURITY: 71, INTERNAL_ERROR: 80,
      MISSING_EXTENSION: 109, UNSUPPORTED_EXTENSION: 110, UNRECOGNIZED_NAME: 112, BAD_CERTIFICATE_STATUS_RESPONSE: 113,
      UNKNOWN_PSK_IDENTITY: 115, CERTIFICATE_REQUIRED: 116, NO_APPLICATION_PROTOCOL: 120,
    });
  });

  it('tlsAlert is CRYPTO_ERROR 0x100 + alert with a readable reason (RFC 9001 §4.8)', () => {
    const e = tlsAlert(AlertDescription.DECODE_ERROR, 'truncated cipher_suites');
    expect(e).toBeInstanceOf(TransportError);
    expect(e.code).toBe(0x132);
    expect(e.frameType).toBeUndefined();
    expect(e.reason).toBe('TLS alert decode_error: truncated cipher_suites');
    expect(errorName(e.code)).toBe('CRYPTO_ERROR(0x32)');
    expect(tlsAlert(AlertDescription.NO_APPLICATION_PROTOCOL, 'x', 0x06).frameType).toBe(0x06);
  });

  it('names alerts and reads them back from codes', () => {
    expect(alertName(120)).toBe('no_application_protocol');
    expect(alertName(200)).toBe('alert(0xc8)');
    expect(alertOf(0x128)).toBe(40);
    expect(alertOf(0x0a)).toBeUndefined();
  });
});
