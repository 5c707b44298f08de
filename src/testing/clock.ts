import type { Clock } from '../gate/clock.js';

/** A clock that only moves when told to; timers scheduled on it fire in order as it advances. */
export interface ManualClock extends Clock {
  /** The current time (epoch ms). */
  (): number;
  /** Move time forward by `ms`, firing every timer that falls due, in time order. */
  advance(ms: number): void;
  /** Move time to `epochMs` (never backwards), firing due timers. */
  set(epochMs: number | Date | string): void;
  /** Timers still waiting. */
  pending(): number;
  schedule(at: number, fn: () => void): () => void;
}

/**
 * A controllable clock for tests: pass it as `createGate({ clock })` and timed
 * restrictions start and stop exactly when `advance` crosses their times.
 *
 * @example
 * const clock = createManualClock('2020-06-01T00:00:00Z');
 * const gate = createGate({ geo, clock });
 * clock.advance(60_000);
 */
export function createManualClock(start: number | Date | string = 0): ManualClock {
  let now = toMs(start);
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();

  const fireDue = (until: number): void => {
    for (;;) {
      let dueId: number | undefined;
      let dueAt = Infinity;
      for (const [id, t] of timers) {
        if (t.at <= until && t.at < dueAt) {
          dueAt = t.at;
          dueId = id;
        }
      }
      if (dueId === undefined) break;
      const timer = timers.get(dueId)!;
      timers.delete(dueId);
      now = Math.max(now, timer.at);
      timer.fn();
    }
    now = Math.max(now, until);
  };

  const clock = (() => now) as ManualClock;
  clock.advance = (ms: number) => fireDue(now + ms);
  clock.set = (to) => fireDue(Math.max(now, toMs(to)));
  clock.pending = () => timers.size;
  clock.schedule = (at, fn) => {
    const id = nextId++;
    timers.set(id, { at, fn });
    return () => {
      timers.delete(id);
    };
  };
  return clock;
}

function toMs(value: number | Date | string): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new TypeError(`createManualClock: "${value}" is not a date`);
  return ms;
}
