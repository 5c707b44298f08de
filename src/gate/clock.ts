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

/**
 * Schedules `fn` at clock time `at` with real, unref'd timers (they never keep
 * the process alive), or with the clock's own scheduler. Never calls `fn`
 * before returning, even when `at` has passed: a callback that schedules
 * again (a window start that finds the clock already past it) must not recurse.
 */
export function scheduleAt(clock: Clock, at: number, fn: () => void): () => void {
  let cancelled = false;
  if (clock.schedule) {
    let scheduling = true;
    const cancel = clock.schedule(at, () => {
      if (!scheduling) fn();
      // A scheduler that answered at once: run it later, as a timer would.
      else queueMicrotask(() => cancelled || fn());
    });
    scheduling = false;
    return () => {
      cancelled = true;
      cancel();
    };
  }
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = (first: boolean): void => {
    if (cancelled) return;
    const delay = at - clock();
    if (delay <= 0 && !first) {
      handle = undefined;
      fn();
      return;
    }
    // Due already: still a timer (0 ms), never a call from here.
    handle = setTimeout(() => arm(false), Math.min(Math.max(delay, 0), MAX_TIMER_DELAY));
    handle.unref?.();
  };
  arm(true);
  return () => {
    cancelled = true;
    if (handle !== undefined) clearTimeout(handle);
  };
}
