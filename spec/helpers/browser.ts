/**
 * Debian's Chromium for the page tests (playwright-core drives it; nothing is
 * downloaded): one launch with the flags this machine needs, a fresh profile, and
 * both closed after the test file — the browser first, then its profile, since a
 * running browser still writes to it. Without /usr/bin/chromium the suites skip.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The reason a browser suite is skipped, or false when it runs. */
export const SKIP_BROWSER: string | false = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}; install it to run this suite: apt-get install chromium`;

export async function openBrowser(
  viewport: { width: number; height: number },
  profilePrefix: string,
  /** `ignoreHTTPSErrors`: for a server with a test's self-signed certificate. */
  options: { ignoreHTTPSErrors?: boolean } = {},
): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), `${profilePrefix}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    ...options,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}
