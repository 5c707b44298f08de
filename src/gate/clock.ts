/**
 * The gate's notion of time: a function returning epoch milliseconds. A clock
 * may also carry a scheduler (`schedule`), which the gate then uses for timed
 * restrictions instead of real timers — that is how tests advance time
 * deterministically (see `createManualClock` in `geoadmit/testing`).
 */
export type Clock = (() => number) & {
  /** Run `fn` once the clock reaches `at` (epoch ms). Returns a cancel function. */
  schedule?: (at: number, fn: () => void) => () => void;
};

// setTimeout's delay is a signed 32-bit number of milliseconds; longer waits are chained.
const MAX_TIMER_DELAY = 2_147_483_647;

/** Schedules `fn` at clock time `at` with real, unref'd timers (they never keep the process alive). */
export function scheduleAt(clock: Clock, at: number, fn: () => void): () => void {
  if (clock.schedule) return clock.schedule(at, fn);
  let handle: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  const arm = (): void => {
    if (cancelled) return;
    const delay = at - clock();
    if (delay <= 0) {
      handle = undefined;
      fn();
      return;
    }
    handle = setTimeout(arm, Math.min(delay, MAX_TIMER_DELAY));
    handle.unref?.();
  };
  arm();
  return () => {
    cancelled = true;
    if (handle !== undefined) clearTimeout(handle);
  };
}
