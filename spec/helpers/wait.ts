/** Polls `check` until it returns true; fails after `attempts` tries (bounded, not a timing assertion). */
export async function until(check: () => boolean | Promise<boolean>, what: string, attempts = 100, everyMs = 50) {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
