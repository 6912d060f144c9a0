/** Polling for a state a test waits on: bounded in count and time, never an assertion on timing. */

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; ; i++) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline || i > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a condition every `everyMs` until it holds; fails after `attempts` tries. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  attempts = 100,
  everyMs = 50,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
