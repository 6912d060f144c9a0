/** The one poller tests wait with: bounded in time, never an assertion on timing. */

export interface PollOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 50 ms). */
  everyMs?: number;
}

/**
 * Polls `check` until it returns something other than undefined or false, and
 * resolves with that; fails naming `what` after the timeout. A check that throws
 * fails at once.
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: PollOptions | number = {},
): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 50 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
