/**
 * The chat page while its server is down and after it is back, in Debian's
 * Chromium: the status says in the page's own words what is wrong, counts down,
 * and the page is back once the server is. Skipped without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

const skip = SKIP_BROWSER;

describe('chat page reconnecting in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const first = await startTestServer({ ALLOW_GUESTS: 'on' });
  const port = new URL(first.api).port;
  const context = await openBrowser({ width: 390, height: 844 }, 'chat-reconnect');
  context.setDefaultTimeout(15_000);

  it('says it cannot reach the server, counts down, and is back once the server is', async () => {
    await first.createRoom('comeback');
    const page = await context.newPage();
    await page.goto(`${first.api.replace('/api/v1', '')}/app/?room=comeback`);
    const status = page.getByTestId('connection-status');
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    await first.stop();
    await page.getByTestId('retry-button').waitFor({ state: 'visible' });
    const seen = new Set<string>();
    await eventually('the page to say it cannot reach the server, counting down', async () => {
      const text = (await status.textContent()) ?? '';
      if (/Can't reach the chat server\. (Reconnecting|Trying again) in \d+ s…/.test(text)) seen.add(text);
      return seen.size >= 2;
    });
    assert.ok(![...seen].some((text) => /Failed to fetch/.test(text)), 'no browser strings');
    const second = await startTestServer({ ALLOW_GUESTS: 'on', PORT: port });
    await second.createRoom('comeback');
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    await page.close();
  });
});
