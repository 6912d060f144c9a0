/**
 * The chat page's layout on a phone (390×844) and a desktop (1280×800) in
 * Debian's Chromium: the message list is the only thing that scrolls, the
 * composer and the newest line stay on screen after a join and after 100
 * messages, and a reader who scrolled up keeps the lines they are reading (even
 * past the log's line limit) and gets the new-messages control. Skipped without
 * /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { eventually } from '../helpers/wait.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
];
/** The page's log keeps at most this many lines while following (message-list.ts). */
const MAX_LINES = 500;
const COMPOSER = '[data-testid=message-input]';

describe('chat page layout in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '1000', RATE_LIMIT_WINDOW_S: '60' });
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser(VIEWPORTS[0]!, 'chat-layout');
  context.setDefaultTimeout(10_000);

  const post = async (client: TestClient, from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      client.send({ type: 'message', text: `line ${i}`, ref: `r${i}` });
      await client.next('ack', (f) => f.ref === `r${i}`);
    }
  };
  /** The document's scrollable size against the window's: equal when only the list scrolls. */
  const documentSize = (page: Page) =>
    page.evaluate(
      '[document.documentElement.scrollHeight, window.innerHeight, document.documentElement.scrollWidth, window.innerWidth, window.scrollY]',
    ) as Promise<[number, number, number, number, number]>;
  const assertDocumentFits = async (page: Page, when: string) => {
    const [height, innerHeight, width, innerWidth, scrollY] = await documentSize(page);
    assert.equal(height, innerHeight, `${when}: the document is no taller than the window`);
    assert.ok(width <= innerWidth, `${when}: nor wider (${width} > ${innerWidth})`);
    assert.equal(scrollY, 0, `${when}: the document is not scrolled`);
  };
  /** Whether the element lies wholly inside the window (and, for a line, in the list's visible part). */
  const onScreen = async (page: Page, selector: string, inList = selector !== COMPOSER) => {
    const box = await page.locator(selector).boundingBox();
    const list = await page.locator('#messages').boundingBox();
    const { height } = page.viewportSize()!;
    if (box === null || list === null) return false;
    const inWindow = box.y >= 0 && box.y + box.height <= height;
    const inView = !inList || (box.y >= list.y - 1 && box.y + box.height <= list.y + list.height + 1);
    return inWindow && inView;
  };
  const lineSelector = (n: number) => `[data-testid=message]:has-text("line ${n}") >> nth=-1`;

  for (const viewport of VIEWPORTS) {
    it(`at ${viewport.width}×${viewport.height} (${viewport.name}): scrolls only the list, keeps the composer and the newest line in view, and keeps a scrolled-up reader's lines`, async () => {
      const room = `layout-${viewport.name}`;
      const port = await t.createRoom(room);
      const { client: writer } = await TestClient.join(port, { name: 'Writer' });
      await post(writer, 1, 50);
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      await page.goto(`${base}/app/?room=${room}`);
      await page
        .getByTestId('message')
        .filter({ hasText: /^.*line 50$/ })
        .waitFor();
      await assertDocumentFits(page, 'with 50 lines of history');

      await page.getByTestId('join-name').fill('Pat');
      await page.getByTestId('join-button').click();
      await page.getByTestId('message-input').waitFor({ state: 'visible' });
      await assertDocumentFits(page, 'after the join');
      assert.ok(await onScreen(page, COMPOSER), 'the composer is on screen after the join');
      await eventually('the newest line in view after the join', () => onScreen(page, lineSelector(50)));

      await post(writer, 51, 50);
      await page
        .getByTestId('message')
        // \b, not $: a writer's lines end in their menu button (Reply).
        .filter({ hasText: /line 100\b/ })
        .waitFor();
      await eventually('the newest line in view after 100 messages', () => onScreen(page, lineSelector(100)));
      await assertDocumentFits(page, 'after 100 messages');
      assert.ok(await onScreen(page, COMPOSER), 'the composer is on screen after 100 messages');

      // A nudge up from the end (a finger's short swipe) stays where the reader put it.
      const nudged = await page
        .locator('#messages')
        .evaluate(
          (el: { scrollTop: number; scrollHeight: number; clientHeight: number }) =>
            (el.scrollTop = el.scrollHeight - el.clientHeight - 20),
        );
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
      assert.equal(
        await page.locator('#messages').evaluate((el: { scrollTop: number }) => el.scrollTop),
        nudged,
        'the list does not pull the reader back',
      );

      // The reader scrolls up to the oldest lines; a flood goes past the log's limit meanwhile.
      await page.locator('#messages').evaluate((el: { scrollTop: number }) => (el.scrollTop = 0));
      const firstId = await page.getByTestId('message').first().getAttribute('data-id');
      const before = await page.getByTestId('message').first().boundingBox();
      await post(writer, 101, MAX_LINES);
      await page
        .getByTestId('message')
        .filter({ hasText: new RegExp(`line ${100 + MAX_LINES}\\b`) })
        .waitFor({ state: 'attached' });
      const jump = page.getByTestId('jump-to-latest');
      await jump.waitFor({ state: 'visible' });
      assert.match((await jump.textContent()) ?? '', new RegExp(`^${MAX_LINES} new messages`));
      assert.equal(
        await page.getByTestId('message').first().getAttribute('data-id'),
        firstId,
        'the first line read is still there',
      );
      assert.deepEqual(await page.getByTestId('message').first().boundingBox(), before, 'and where the reader left it');
      await assertDocumentFits(page, 'while scrolled up');

      await jump.click();
      await jump.waitFor({ state: 'hidden' });
      await eventually('the newest line in view after the jump', () => onScreen(page, lineSelector(100 + MAX_LINES)));
      assert.ok(
        (await page.locator('#messages > li').count()) <= MAX_LINES,
        'following again, the log drops old lines',
      );
      assert.equal(await page.locator(`[data-testid=message][data-id="${firstId}"]`).count(), 0);
      writer.close();
      await page.close();
    });
  }
});
