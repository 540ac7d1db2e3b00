import { performance } from 'node:perf_hooks';

/**
 * Time, injected like the rest of IO: the wall clock, a monotonic clock for
 * durations, and timers. Only systemClock() reads the real clock; tests give
 * code a fake one (test/helpers/fake-clock.ts) and step it, instead of
 * waiting for real time to pass.
 */

/** A scheduled callback. */
export interface Timer {
  /** Stops it (a timeout that has not fired, or an interval); idempotent. */
  cancel(): void;
  /** Lets the process exit while this timer is pending (the real clock; the fake one ignores it). Returns the timer. */
  unref(): Timer;
}

export interface Clock {
  /** Wall clock in milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic clock in milliseconds, for durations and rates. */
  monotonicMs(): number;
  /** Calls `callback` once, `ms` from now. */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Calls `callback` every `ms` until cancelled. */
  setInterval(callback: () => void, ms: number): Timer;
}

/** The real clock: Date.now, performance.now and Node's timers. */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    monotonicMs: () => performance.now(),
    setTimeout: (callback, ms) => nodeTimer(setTimeout(callback, ms), clearTimeout),
    setInterval: (callback, ms) => nodeTimer(setInterval(callback, ms), clearInterval),
  };
}

function nodeTimer(handle: NodeJS.Timeout, clear: (handle: NodeJS.Timeout) => void): Timer {
  const timer: Timer = {
    cancel: () => clear(handle),
    unref: () => {
      handle.unref();
      return timer;
    },
  };
  return timer;
}

/** Resolves after `ms` on `clock` (for code that awaits a pause). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
