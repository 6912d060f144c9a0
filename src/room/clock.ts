/**
 * The room's source of time. Every model that reads the time or waits goes
 * through one Clock, so a test can hand the room a fake one and move time itself
 * instead of sleeping (spec/room/fakes.ts).
 */

/** A pending timer, as the clock that made it knows it. */
export interface Timer {
  /** Lets the process exit while the timer is pending (real timers only). */
  unref?(): unknown;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
