import { describe, expect, it } from 'vitest';
import { Cubic } from '../../src/recovery/cc/cubic.js';
import { NewReno } from '../../src/recovery/cc/newreno.js';
import { congestionControllerNames, createCongestionController, registerCongestionController } from '../../src/recovery/cc/registry.js';

describe('congestion controller registry (DESIGN §3)', () => {
  it('has newreno and cubic built in', () => {
    expect(congestionControllerNames()).toEqual(expect.arrayContaining(['newreno', 'cubic']));
    const n = createCongestionController('newreno', { maxDatagramSize: 1200 });
    expect(n).toBeInstanceOf(NewReno);
    expect(n.name).toBe('newreno');
    const c = createCongestionController('cubic', { maxDatagramSize: 1500 });
    expect(c).toBeInstanceOf(Cubic);
    expect(c.name).toBe('cubic');
    expect(c.cwnd).toBe(14720);
    expect(c.ssthresh).toBe(Infinity);
  });

  it('rejects unknown names with a RangeError listing the known ones', () => {
    expect(() => createCongestionController('vegas', { maxDatagramSize: 1200 })).toThrow(RangeError);
    expect(() => createCongestionController('vegas', { maxDatagramSize: 1200 })).toThrow(/newreno.*cubic/);
  });

  it('accepts new controllers', () => {
    registerCongestionController('fixed-test', (o) => {
      const cc = new NewReno(o);
      Object.defineProperty(cc, 'name', { value: 'fixed-test' });
      return cc;
    });
    expect(congestionControllerNames()).toContain('fixed-test');
    expect(createCongestionController('fixed-test', { maxDatagramSize: 1200 }).name).toBe('fixed-test');
  });
});

describe('congestion controller registry: names', () => {
  it('refuses taken and invalid names', () => {
    expect(() => registerCongestionController('cubic', (o) => new NewReno(o))).toThrow(/already registered/);
    expect(() => registerCongestionController('', (o) => new NewReno(o))).toThrow(RangeError);
    expect(() => registerCongestionController('a b', (o) => new NewReno(o))).toThrow(RangeError);
    expect(createCongestionController('cubic', { maxDatagramSize: 1200 })).toBeInstanceOf(Cubic);
  });
});
