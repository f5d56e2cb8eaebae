import { describe, expect, it } from 'vitest';
import { BASE_PLPMTU, BLACK_HOLE_LOSSES, MAX_PROBES, MIN_STEP, PMTU_RAISE_TIMER, Pmtud } from '../../src/recovery/pmtud.js';

/** Runs the search against a path that carries datagrams up to `mtu`; returns the probe sizes sent. */
function search(p: Pmtud, mtu: number, now = 0): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < 100; i++) {
    const size = p.probeSize(now);
    if (size === 0) break;
    p.onProbeSent(size);
    sizes.push(size);
    if (size <= mtu) p.onProbeAcked(now, size);
    else p.onProbeLost(now, size);
  }
  return sizes;
}

describe('DPLPMTUD state machine (RFC 8899, RFC 9000 §14.3)', () => {
  it('starts at BASE_PLPMTU and does not probe before the handshake is done', () => {
    const p = new Pmtud(1452);
    expect(p.current).toBe(BASE_PLPMTU);
    expect(p.state).toBe('base');
    expect(p.probeSize(0)).toBe(0);
  });

  it('a path that carries the ceiling: one probe, done', () => {
    const p = new Pmtud(1452);
    p.start();
    expect(search(p, 1500)).toEqual([1452]);
    expect(p.current).toBe(1452);
    expect(p.state).toBe('complete');
  });

  it('converges to within MIN_STEP below the path MTU for every MTU between 1200 and the ceiling', () => {
    for (let mtu = 1200; mtu <= 1452; mtu += 7) {
      const p = new Pmtud(1452);
      p.start();
      const sizes = search(p, mtu);
      expect(p.current, `mtu ${mtu}`).toBeLessThanOrEqual(mtu);
      expect(mtu - p.current, `mtu ${mtu}`).toBeLessThan(MIN_STEP);
      expect(p.state).toBe('complete');
      // Every failing size is tried MAX_PROBES times; a binary search needs few sizes.
      expect(new Set(sizes).size).toBeLessThanOrEqual(6);
      for (const s of new Set(sizes)) if (s > mtu) expect(sizes.filter((x) => x === s)).toHaveLength(MAX_PROBES);
    }
  });

  it('a size is retried until MAX_PROBES of its probes are lost', () => {
    const p = new Pmtud(1452);
    p.start();
    expect(p.probeSize(0)).toBe(1452);
    p.onProbeSent(1452);
    p.onProbeLost(0, 1452);
    expect(p.probeSize(0)).toBe(1452);
    p.onProbeSent(1452);
    // One lost probe and then an acknowledged one: the size holds.
    expect(p.onProbeAcked(0, 1452)).toMatchObject({ old: 1200, new: 1452, done: true });
  });

  it("the peer's max_udp_payload_size caps the search", () => {
    const p = new Pmtud(1452);
    p.setPeerMax(1300);
    p.start();
    expect(search(p, 9000)).toEqual([1300]);
    expect(p.current).toBe(1300);
  });

  it('a peer max of 1200 means nothing to search', () => {
    const p = new Pmtud(1452);
    p.setPeerMax(1200);
    p.start();
    expect(p.state).toBe('complete');
    expect(p.probeSize(0)).toBe(0);
  });

  it('disabled: the ceiling from the start (capped by the peer), never a probe', () => {
    const p = new Pmtud(1452, false);
    expect(p.current).toBe(1452);
    p.start();
    expect(p.probeSize(0)).toBe(0);
    expect(p.setPeerMax(1350)).toMatchObject({ new: 1350 });
    expect(p.current).toBe(1350);
  });

  it('after SEARCH_COMPLETE below the ceiling, searches again after PMTU_RAISE_TIMER', () => {
    const p = new Pmtud(1452);
    p.start();
    search(p, 1300, 0);
    const got = p.current;
    expect(p.raiseTime).toBe(PMTU_RAISE_TIMER);
    expect(p.probeSize(PMTU_RAISE_TIMER - 1)).toBe(0);
    // The path grew meanwhile.
    search(p, 1500, PMTU_RAISE_TIMER);
    expect(got).toBeLessThan(1300 + 1);
    expect(p.current).toBe(1452);
  });

  it('black hole: lost large packets with no large packet acknowledged after them fall back to BASE and search below', () => {
    const p = new Pmtud(1452);
    p.start();
    search(p, 1500);
    expect(p.current).toBe(1452);
    p.onPacketAcked(1452, 100);
    // Losses of packets sent before the latest acknowledged large packet: ordinary losses.
    for (let i = 0; i < 10; i++) expect(p.onPacketLost(1452, 50 + i)).toBeUndefined();
    // Small packets lost: not a PMTU matter.
    for (let i = 0; i < 10; i++) expect(p.onPacketLost(1200, 200 + i)).toBeUndefined();
    for (let i = 0; i < BLACK_HOLE_LOSSES - 1; i++) expect(p.onPacketLost(1452, 200 + i)).toBeUndefined();
    expect(p.onPacketLost(1452, 300)).toMatchObject({ old: 1452, new: BASE_PLPMTU, blackHole: true });
    expect(p.blackHoles).toBe(1);
    // The path now carries 1280: the search stays below the size that failed.
    const sizes = search(p, 1280, 400);
    expect(Math.max(...sizes)).toBeLessThan(1452);
    expect(p.current).toBeLessThanOrEqual(1280);
    expect(1280 - p.current).toBeLessThan(MIN_STEP);
  });

  it('an acknowledged large packet clears the suspicion', () => {
    const p = new Pmtud(1452);
    p.start();
    search(p, 1500);
    p.onPacketLost(1452, 10);
    p.onPacketLost(1452, 11);
    p.onPacketAcked(1452, 12);
    expect(p.onPacketLost(1452, 9)).toBeUndefined();
    expect(p.onPacketLost(1452, 13)).toBeUndefined();
    expect(p.current).toBe(1452);
  });

  it('reset (a new path) goes back to BASE and searches again once started', () => {
    const p = new Pmtud(1452);
    p.start();
    search(p, 1500);
    expect(p.reset()).toMatchObject({ old: 1452, new: BASE_PLPMTU });
    expect(p.probeSize(0)).toBe(0);
    p.start();
    expect(search(p, 1500)).toEqual([1452]);
  });

  it('acknowledgements and losses of probes that are not in flight are ignored', () => {
    const p = new Pmtud(1452);
    p.start();
    expect(p.onProbeAcked(0, 1400)).toBeUndefined();
    expect(p.onProbeLost(0, 1400)).toBeUndefined();
    expect(p.current).toBe(BASE_PLPMTU);
  });
});
