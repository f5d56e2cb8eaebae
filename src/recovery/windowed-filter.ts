/**
 * Kathleen Nichols' windowed max filter (the Linux lib/minmax.c running max the draft cites as
 * {{KN_FILTER}}, §5.5.5): the best, second-best and third-best samples of the window, each with
 * its time; fixed size, no allocation. Time is any monotone counter (here, rounds).
 */
export class WindowedMaxFilter {
  private t0 = 0;
  private v0 = 0;
  private t1 = 0;
  private v1 = 0;
  private t2 = 0;
  private v2 = 0;

  /** The windowed maximum. */
  get value(): number {
    return this.v0;
  }

  /** The best sample ages out: each sub-window takes the next one's, the newest takes (t, v). */
  private shift(t: number, v: number): void {
    this.t0 = this.t1;
    this.v0 = this.v1;
    this.t1 = this.t2;
    this.v1 = this.v2;
    this.t2 = t;
    this.v2 = v;
  }

  reset(t: number, v: number): number {
    this.t0 = this.t1 = this.t2 = t;
    this.v0 = this.v1 = this.v2 = v;
    return v;
  }

  /** Adds sample `v` at time `t` for a window of `win`; returns the windowed maximum. */
  update(win: number, t: number, v: number): number {
    // A new maximum, or nothing left in the window: forget the earlier samples.
    if (v >= this.v0 || t - this.t2 > win) return this.reset(t, v);
    if (v >= this.v1) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = v;
    } else if (v >= this.v2) {
      this.t2 = t;
      this.v2 = v;
    }
    // Sub-window bookkeeping: age the best samples out as the window passes over them.
    const dt = t - this.t0;
    if (dt > win) {
      this.shift(t, v);
      if (t - this.t0 > win) this.shift(t, v);
    } else if (this.t1 === this.t0 && dt > win / 4) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = v;
    } else if (this.t2 === this.t1 && dt > win / 2) {
      this.t2 = t;
      this.v2 = v;
    }
    return this.v0;
  }
}
