/**
 * A sliding-window limit per key: at most `limit` events in any `windowMs`.
 * Keeps at most `limit` timestamps per key, so memory is bounded by the number of
 * active keys times the limit.
 */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Records an event for key if allowed; otherwise returns how long to wait (ms). */
  take(key: string, limit: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    let times = this.events.get(key);
    if (times === undefined) {
      times = [];
      this.events.set(key, times);
    }
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length >= limit) return { ok: false, retryAfterMs: Math.max(1, times[0]! + this.windowMs - now) };
    times.push(now);
    return { ok: true };
  }

  /** Forgets keys with no event inside the window (called from a room's periodic sweep). */
  sweep(now: number): void {
    for (const [key, times] of this.events) {
      if (times.length === 0 || times[times.length - 1]! <= now - this.windowMs) this.events.delete(key);
    }
  }
}

/** Counts events in fixed windows: enough for "N refusals in 10 s closes the connection". */
export class WindowCounter {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly windowMs: number) {}

  /** Adds one and returns the count inside the current window. */
  add(now: number): number {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count;
  }
}
