/**
 * The engine's lazy endpoint timer (SimEndpoint): a deadline that moves later keeps its heap
 * event, yet every timer fires at the instant, and in the place among equal-time events, an
 * eagerly re-armed timer would have — checked against a reference model over random deadline
 * scripts — and bookkeeping firings do not count as events run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/sim/engine.js';
import type { Endpoint } from '../../src/endpoint/endpoint.js';

/**
 * A stand-in endpoint whose deadline after each service is the next value of `script`
 * (relative to now; null = no deadline), logging every timeout it handles.
 */
function fakeEndpoint(engine: Engine, script: (number | null)[], log: string[]): Endpoint {
  let i = 0;
  let deadline: number | undefined;
  return {
    local: { host: '10.0.0.1', port: 1 },
    handleDatagram: () => {},
    handleTimeout: (now: number) => {
      log.push(`timeout@${now}`);
      deadline = undefined;
    },
    pollTransmit: () => undefined,
    releaseDatagram: () => {},
    pollTimeout: () => {
      if (i < script.length) {
        const d = script[i++];
        deadline = d === null || d === undefined ? undefined : engine.now + d;
      }
      return deadline;
    },
  } as unknown as Endpoint;
}

/** The same run with an eager timer: cancel and re-schedule whenever the deadline changes. */
function reference(script: (number | null)[], pokes: [number, number][]): string[] {
  const engine = new Engine();
  const log: string[] = [];
  let i = 0;
  let deadline: number | undefined;
  let timer: ReturnType<Engine['schedule']> | undefined;
  const service = (): void => {
    if (i < script.length) {
      const d = script[i++];
      deadline = d === null || d === undefined ? undefined : engine.now + d;
    }
    const at = deadline === undefined ? undefined : Math.max(deadline, engine.now);
    if (timer && !timer.cancelled && timer.at === at) return;
    if (timer) timer.cancelled = true;
    timer = at === undefined ? undefined : engine.schedule(at, fire);
  };
  const fire = (): void => {
    timer = undefined;
    log.push(`timeout@${engine.now}`);
    deadline = undefined;
    service();
  };
  engine.schedule(0, service);
  for (const [k, [t, mark]] of pokes.entries()) {
    engine.schedule(t, () => {
      log.push(`poke${k}@${engine.now}`);
      engine.schedule(engine.now + mark, () => log.push(`mark${k}@${engine.now}`));
      service();
    });
  }
  engine.runUntil(() => false, 10_000);
  return [...log, `events ${engine.eventsRun}`];
}

function lazy(script: (number | null)[], pokes: [number, number][]): string[] {
  const engine = new Engine();
  const log: string[] = [];
  const node = engine.addEndpoint(fakeEndpoint(engine, script, log), { send: () => {} });
  for (const [k, [t, mark]] of pokes.entries()) {
    engine.schedule(t, () => {
      log.push(`poke${k}@${engine.now}`);
      engine.schedule(engine.now + mark, () => log.push(`mark${k}@${engine.now}`));
      node.service();
    });
  }
  engine.runUntil(() => false, 10_000);
  return [...log, `events ${engine.eventsRun}`];
}

describe('the lazy endpoint timer', () => {
  it('fires when and in the order an eager timer would, and counts the same events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(null)), { maxLength: 40 }),
        // Each poke also schedules a mark, so events at a deadline's instant come before and after the timer's place.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 20 })), { maxLength: 30 }),
        (script, pokes) => {
          expect(lazy(script, pokes)).toEqual(reference(script, pokes));
        },
      ),
      { seed: 9, numRuns: 400 },
    );
  });

  it('a deadline moved later and back runs after the events scheduled in between', () => {
    // Due at 10; a mark is scheduled for 10; the deadline moves to 16, then back to 10.
    const script = [10, 15, 8];
    const pokes: [number, number][] = [
      [1, 9],
      [2, 30],
    ];
    const log = lazy(script, pokes);
    expect(log).toEqual(reference(script, pokes));
    expect(log.indexOf('mark0@10')).toBeLessThan(log.indexOf('timeout@10'));
  });

  it('moves its heap event only when the deadline comes earlier', () => {
    const engine = new Engine();
    const log: string[] = [];
    // Heap pushes that are not plain `schedule` calls: the timer's.
    let pushes = 0;
    const scheduleSeq = engine.scheduleSeq.bind(engine);
    const schedule = engine.schedule.bind(engine);
    engine.scheduleSeq = (at, seq, fn) => {
      pushes++;
      return scheduleSeq(at, seq, fn);
    };
    engine.schedule = (at, fn) => {
      pushes--;
      return schedule(at, fn);
    };
    // Deadlines 10, 20, 30, 40 µs ahead, each service 1 µs apart: later every time.
    const node = engine.addEndpoint(fakeEndpoint(engine, [10, 20, 30, 40], log), { send: () => {} });
    for (let t = 1; t <= 3; t++) engine.schedule(t, () => node.service());
    engine.runUntil(() => false, 1000);
    expect(log).toEqual(['timeout@43']);
    // The first event (due at 10) was pushed again at 10 for 43: two heap events, not four.
    expect(pushes).toBe(2);
  });
});
