/**
 * When the SDK tries again after a connection ended, and the count of attempts
 * since the last welcome.
 *
 * - The first attempt after a drop of a welcomed connection, when the room named
 *   a rejoin window (`rejoinWindowMs` in its welcome or latest presence), comes
 *   at a uniformly random moment of that window. A big room dropped all at once
 *   (a deploy, a restart, a network blip) then sees its members come back at
 *   about the rate it admits joins, instead of all of them within the first
 *   backoff delay, where most would be refused or time out and back off further.
 * - A 503 with Retry-After (src/client/retry-after.ts): at least that wait, plus jitter.
 * - Otherwise: exponential backoff with jitter (src/client/backoff.ts).
 */
import { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { retryAfterDelay } from './retry-after.js';

/** No rejoin window is believed past this (a misconfigured room must not park its members for minutes). */
export const MAX_REJOIN_WINDOW_MS = 60_000;

/** What the SDK's timers are; a test may pass its own. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** The wait before the next attempt and what it was based on. */
export interface RetryPlan {
  delayMs: number;
  /** Set when the room refused the last attempt with 503 and asked for this wait. */
  retryAfterMs?: number;
  /** Set when this first attempt after a drop is spread over the room's rejoin window. */
  rejoinWindowMs?: number;
}

export class ReconnectSchedule {
  /** Attempts since the last welcome (0 before the first retry). */
  attempt = 0;
  /** The rejoin window the room named last (0: none). */
  private windowMs = 0;
  /** The wait the room asked for when it refused the last attempt (503 + Retry-After). */
  private retryAfterMs: number | undefined;
  private timer: unknown;

  constructor(
    private readonly backoff: BackoffOptions = {},
    /** Returns [0, 1): the source of jitter. */
    private readonly random: () => number = Math.random,
    private readonly timers: Timers = realTimers,
  ) {}

  /** The room's rejoin window from a welcome or a presence frame; absent or unreadable is 0. */
  rejoinWindow(ms: number | undefined): void {
    this.windowMs =
      typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? Math.min(MAX_REJOIN_WINDOW_MS, Math.round(ms)) : 0;
  }

  /** The last attempt was refused with 503 and this Retry-After. */
  refused(retryAfterMs: number): void {
    this.retryAfterMs = retryAfterMs;
  }

  /** A welcome arrived: the next drop starts from the first attempt again. Returns the attempts it took. */
  welcomed(): number {
    const attempts = this.attempt;
    this.attempt = 0;
    return attempts;
  }

  /** The wait before the next attempt; counts the attempt. */
  next(): RetryPlan {
    const retryAfterMs = this.retryAfterMs;
    this.retryAfterMs = undefined;
    const first = this.attempt === 0;
    this.attempt += 1;
    if (retryAfterMs !== undefined) {
      const jitter = this.backoff.jitter ?? DEFAULT_BACKOFF.jitter;
      return { delayMs: retryAfterDelay(retryAfterMs, jitter, this.random), retryAfterMs };
    }
    if (first && this.windowMs > 0)
      return { delayMs: Math.floor(this.random() * this.windowMs), rejoinWindowMs: this.windowMs };
    return { delayMs: backoffDelay(this.attempt - 1, this.backoff, this.random) };
  }

  /** Runs `retry` after `delayMs`, in place of any retry already waiting. */
  schedule(delayMs: number, retry: () => void): void {
    this.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      retry();
    }, delayMs);
  }

  /** Forgets the retry waiting, if any. */
  cancel(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
