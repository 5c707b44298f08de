import type { Clock } from 'geoadmit';

/**
 * A clock a test moves both ways (`createManualClock` from geoadmit/testing only
 * moves forward); scheduled functions fire when a step reaches them. `eager`:
 * its scheduler calls back at once for a time already passed (a legal
 * scheduler the gate must not recurse into).
 */
export function steppingClock(start: number, { eager = false } = {}): Clock & { step(to: number): void } {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock = (() => now) as Clock & { step(to: number): void };
  clock.schedule = (at, fn) => {
    if (eager && at <= now) {
      fn();
      return () => undefined;
    }
    const t = { at, fn };
    timers.add(t);
    return () => void timers.delete(t);
  };
  clock.step = (to) => {
    now = to;
    for (const t of [...timers].sort((a, b) => a.at - b.at)) {
      if (t.at > now || !timers.has(t)) continue;
      timers.delete(t);
      t.fn();
    }
  };
  return clock;
}
