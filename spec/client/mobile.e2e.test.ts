/**
 * The chat page on a phone-sized window (390×844) in Debian's Chromium: the
 * message list is the only thing that scrolls, the composer stays on screen, the
 * list follows new lines at the bottom and offers a jump button when the reader
 * has scrolled up; a room name the server refuses is a final error, not a retry
 * loop. Skipped without /usr/bin/chromium, like spa.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { eventually } from '../helpers/wait.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;

describe('chat page at 390×844 in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ ALLOW_GUESTS: 'on', RATE_LIMIT_MESSAGES: '1000', RATE_LIMIT_WINDOW_S: '60' });
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser({ width: 390, height: 844 }, 'chat-mobile');
  context.setDefaultTimeout(10_000);

  const post = async (client: TestClient, from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      client.send({ type: 'message', text: `line ${i}`, ref: `r${i}` });
      await client.next('ack', (f) => f.ref === `r${i}`);
    }
  };

  it('scrolls only the list, keeps the composer on screen and follows or offers the jump button', async () => {
    const port = await t.createRoom('phone');
    const { client: writer } = await TestClient.join(port, { name: 'Writer' });
    await post(writer, 1, 50);
    const page = await context.newPage();
    await page.goto(`${base}/app/?room=phone`);
    await page.getByTestId('message').filter({ hasText: 'line 50' }).waitFor();
    const doc = () =>
      page.evaluate('[document.documentElement.scrollHeight, window.innerHeight]') as Promise<[number, number]>;
    const [height, viewport] = await doc();
    assert.equal(height, viewport, 'the document does not grow past the viewport');
    await page.getByTestId('join-name').fill('Pat');
    await page.getByTestId('join-button').click();
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    await post(writer, 51, 50);
    await page.getByTestId('message').filter({ hasText: 'line 100' }).waitFor();
    await eventually('the newest line in view', () =>
      page.getByTestId('message').filter({ hasText: 'line 100' }).isVisible(),
    );
    const [after100] = await doc();
    assert.equal(after100, viewport);
    const box = await page.getByTestId('message-input').boundingBox();
    assert.ok(box !== null && box.y >= 0 && box.y + box.height <= viewport, 'the message box is on screen');
    await page.locator('#messages').evaluate((el: { scrollTop: number }) => (el.scrollTop = 0));
    await post(writer, 101, 1);
    await page.getByTestId('jump-to-latest').waitFor({ state: 'visible' });
    await page.getByTestId('jump-to-latest').click();
    await page.getByTestId('jump-to-latest').waitFor({ state: 'hidden' });
    writer.close();
    await page.close();
  });

  it('says a room name the server refuses is not valid, and does not look it up again', async () => {
    const page = await context.newPage();
    let lookups = 0;
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/room/')) lookups += 1;
    });
    await page.goto(`${base}/app/?room=my%20room`);
    const status = page.locator('[data-testid=connection-status][data-state=closed]');
    await status.waitFor();
    assert.match((await status.textContent()) ?? '', /not a valid room name/);
    assert.equal(await page.getByTestId('retry-button').isVisible(), false);
    assert.equal(lookups, 1, 'one lookup, no retries');
    await page.close();
  });
});
