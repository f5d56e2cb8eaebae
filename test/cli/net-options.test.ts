/** Parsing of the options `tquic client` and `tquic server` share. */
import { describe, expect, it } from 'vitest';
import { commonOptions } from '../../src/cli/net-options.js';

describe('common network options', () => {
  it('--max-datagram-size and --no-pmtud become transport settings (RFC 9000 §14)', () => {
    expect(commonOptions({}, ['h3']).transport).toBeUndefined();
    expect(commonOptions({ 'max-datagram-size': '1400' }, ['h3']).transport).toEqual({ maxDatagramSize: 1400 });
    expect(commonOptions({ 'max-datagram-size': '1300', 'no-pmtud': true }, ['h3']).transport).toEqual({ maxDatagramSize: 1300, pmtud: false });
    expect(() => commonOptions({ 'max-datagram-size': '1000' }, ['h3'])).toThrow(/1200\.\.65527/);
    expect(() => commonOptions({ 'max-datagram-size': 'big' }, ['h3'])).toThrow(/non-negative integer/);
  });

  it('--scheduler, --max-paths and --paths turn multipath on (draft-ietf-quic-multipath-21)', () => {
    expect(commonOptions({}, ['h3']).multipath).toBeUndefined();
    expect(commonOptions({ 'max-paths': '2' }, ['h3']).multipath).toEqual({ maxPathId: 2 });
    expect(commonOptions({ scheduler: 'redundant' }, ['h3']).multipath).toEqual({ maxPathId: 4, scheduler: 'redundant' });
    expect(commonOptions({ paths: '127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5' }, ['h3']).multipath).toEqual({ maxPathId: 5 });
  });

  it('--fec, --fec-ratio and --fec-adaptive configure FEC (specs/fec.md)', () => {
    expect(commonOptions({}, ['h3']).fec).toBeUndefined();
    expect(commonOptions({ fec: 'rs' }, ['h3']).fec).toEqual({ scheme: 'rs' });
    expect(commonOptions({ fec: 'xor', 'fec-ratio': '5:1' }, ['h3']).fec).toEqual({ scheme: 'xor', ratio: '5:1' });
    expect(commonOptions({ fec: 'rlc', 'fec-ratio': '10:3', 'fec-adaptive': true }, ['h3']).fec).toEqual({ scheme: 'rlc', ratio: '10:3', adaptive: true });
    expect(commonOptions({ fec: 'off' }, ['h3']).fec).toEqual({ policy: 'off' });
    expect(() => commonOptions({ fec: 'lt' }, ['h3'])).toThrow(/--fec: unknown FEC scheme/);
    expect(() => commonOptions({ fec: 'rs', 'fec-ratio': '10/2' }, ['h3'])).toThrow(/k:r/);
    expect(() => commonOptions({ 'fec-ratio': '10:2' }, ['h3'])).toThrow(/need --fec/);
  });
});
