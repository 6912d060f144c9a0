/**
 * Debian's Chromium for the page tests (playwright-core drives it; nothing is
 * downloaded): one launch with the flags this machine needs, a fresh profile, and
 * both closed after the test file — the browser first, then its profile, since a
 * running browser still writes to it. Without /usr/bin/chromium the suites skip.
 * Also what the page suites ask of a page: a computed style, the focus, Tab
 * presses to a control, and axe-core's serious and critical findings.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);

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

/** The little of the browser's globals these helpers use inside a page (the specs compile without DOM types). */
interface PageGlobals {
  getComputedStyle(element: unknown): Record<string, string>;
  document: { activeElement: unknown };
}

/** A CSS property of the element as the browser computed it. */
export function computedStyle(locator: Locator, property: string): Promise<string> {
  return locator.evaluate(
    (element, name) => (globalThis as unknown as PageGlobals).getComputedStyle(element)[name] ?? '',
    property,
  );
}

/** Whether `locator`'s element has the keyboard focus. */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement);
}

/**
 * Presses Tab (as a keyboard-only user would) until `target` has the focus, and
 * fails naming it after `maxPresses` without getting there.
 */
export async function tabTo(page: Page, target: Locator, what: string, maxPresses = 60): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if ((await target.count()) === 1 && (await isFocused(target))) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab did not reach ${what} in ${maxPresses} presses`);
}

let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * Runs axe-core (the npm package, injected into the page) and answers its serious
 * and critical violations, each as "rule: help (selectors)". The script goes in
 * through page.evaluate, not a <script> tag: the page's CSP (script-src 'self')
 * refuses inline scripts, as it should, and stays on while axe looks.
 */
export async function axeSeriousViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { axe } = globalThis as unknown as {
      axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
    };
    const result = await axe.run((globalThis as unknown as PageGlobals).document, {
      resultTypes: ['violations'],
    });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
}
