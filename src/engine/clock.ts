/**
 * Time as the engine sees it. Injected so engine tests run on a fake clock and, later, so a
 * cluster can let the database clock decide what is due.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned handle cancels it. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    // Node fires anything past 2^31-1 ms at once; callers re-arm after an early wake-up.
    const t = setTimeout(fn, Math.min(ms, MAX_TIMER_MS));
    t.unref?.();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
