import { describe, expect, it } from 'vitest';
import * as tquic from '../src/index.js';

describe('public API', () => {
  it('exports the foundation layers from the package root', () => {
    expect(typeof tquic.wire.encodeFrame).toBe('function');
    expect(typeof tquic.wire.decodeTransportParameters).toBe('function');
    expect(typeof tquic.crypto.protectPacket).toBe('function');
    expect(typeof tquic.tls.TlsClient).toBe('function');
    expect(typeof tquic.tls.TlsServer).toBe('function');
    expect(tquic.PROVIDER_NAMES).toEqual(['noble', 'node']);
    expect(tquic.getProvider('noble').name).toBe('noble');
    expect(new tquic.TransportError(tquic.ErrorCode.PROTOCOL_VIOLATION).code).toBe(0x0a);
  });

  it('exports the socket API from the package root', () => {
    expect(typeof tquic.listen).toBe('function');
    expect(typeof tquic.connect).toBe('function');
    expect(typeof tquic.QuicServer).toBe('function');
    expect(typeof tquic.QuicConnection).toBe('function');
    expect(typeof tquic.QuicStream).toBe('function');
    expect(typeof tquic.QuicError).toBe('function');
    expect(typeof tquic.io.UdpDriver.bind).toBe('function');
  });
});
