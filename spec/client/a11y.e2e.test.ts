/**
 * Accessibility of the chat page, checked by axe-core (injected into Debian's
 * Chromium) on the guest view on a phone, the host's view on a desktop (a line's
 * menu open) and the reconnecting view, each in the light and the dark theme:
 * no serious or critical violations. Skipped without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { axeSeriousViolations, openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

describe('chat page accessibility (axe-core) in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on' });
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser(PHONE, 'chat-a11y');
  context.setDefaultTimeout(10_000);
  const port = await t.createRoom('a11y');
  const { client: writer } = await TestClient.join(port, { name: 'Writer' });
  for (const [i, text] of [
    'Hello 👋',
    'مرحبا!',
    'a longer line to wrap on a narrow screen, with more words',
  ].entries()) {
    writer.send({ type: 'message', text, ref: `r${i}` });
    await writer.next('ack', (f) => f.ref === `r${i}`);
  }

  const open = async (viewport: typeof PHONE, colorScheme: 'light' | 'dark', query: string): Promise<Page> => {
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme });
    await page.goto(`${base}/app/?${query}`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    return page;
  };
  const assertClean = async (page: Page, view: string) => {
    assert.deepEqual(await axeSeriousViolations(page), [], `${view}: no serious or critical violations`);
  };

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`guest view on a phone, ${colorScheme} theme`, async () => {
      const page = await open(PHONE, colorScheme, 'room=a11y');
      await assertClean(page, 'reading along');
      await page.getByTestId('join-name').fill('Gus');
      await page.getByTestId('join-button').click();
      await page.getByTestId('message-input').waitFor({ state: 'visible' });
      await assertClean(page, 'joined');
      await page.close();
    });

    it(`host view on a desktop, ${colorScheme} theme`, async () => {
      const page = await open(
        DESKTOP,
        colorScheme,
        `room=a11y&token=${await token({ sub: 'h1', name: 'Hana', role: 'host', room: 'a11y' })}`,
      );
      const line = page.getByTestId('message').filter({ hasText: 'Hello' });
      await line.getByTestId('message-menu-button').click();
      await line.getByTestId('message-menu').waitFor();
      await assertClean(page, 'host with a menu open');
      await page.keyboard.press('Escape');
      await page.getByTestId('clear-button').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
      await assertClean(page, 'host asked to confirm');
      await page.getByTestId('confirm-cancel').click();
      await page.close();
    });

    it(`reconnecting view on a phone, ${colorScheme} theme`, async () => {
      const away = await startTestServer({ ALLOW_GUESTS: 'on' });
      await away.createRoom('gone');
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme });
      await page.goto(`${away.api.replace('/api/v1', '')}/app/?room=gone`);
      await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
      await away.stop();
      await page.getByTestId('retry-button').waitFor({ state: 'visible' });
      await assertClean(page, 'reconnecting');
      await page.close();
    });
  }
});
