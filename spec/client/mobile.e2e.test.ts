/**
 * The chat page on a phone-sized window (390×844) in Debian's Chromium, beyond
 * its layout (layout.e2e.test.ts): a room name the server refuses is a final
 * error, not a retry loop; a refused sign-in link falls back to reading along;
 * an empty room says it is quiet; the host's moderation tools are a sheet.
 * Skipped without /usr/bin/chromium, like spa.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;

describe('chat page at 390×844 in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on' });
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser({ width: 390, height: 844 }, 'chat-mobile');
  context.setDefaultTimeout(10_000);

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

  it('says a refused sign-in link was not accepted and reads along instead, offering to join with a name', async () => {
    await t.createRoom('badlink');
    const { client: writer } = await TestClient.join(await t.createRoom('badlink'), { name: 'Writer' });
    writer.send({ type: 'message', text: 'before you came', ref: 'r1' });
    await writer.next('ack');
    const forged = await token(
      { sub: 'x', name: 'Mallory', role: 'host', room: 'badlink' },
      { secret: 'not-the-servers-secret-at-all' },
    );
    const page = await context.newPage();
    await page.goto(`${base}/app/?room=badlink&token=${forged}`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    assert.match((await page.getByTestId('connection-status').textContent()) ?? '', /reading along/);
    assert.match(
      (await page.getByTestId('error').textContent()) ?? '',
      /sign-in link was not accepted.*join with a name/,
    );
    await page.getByTestId('message').filter({ hasText: 'before you came' }).waitFor();
    assert.equal(await page.getByTestId('join-name').isVisible(), true, 'joining with a name is offered');
    assert.equal(await page.getByTestId('message-input').isVisible(), false);
    writer.send({ type: 'message', text: 'while you read', ref: 'r2' });
    await page.getByTestId('message').filter({ hasText: 'while you read' }).waitFor();
    writer.close();
    await page.close();
  });

  it('says an empty room is quiet until its first message', async () => {
    const port = await t.createRoom('quietroom');
    const page = await context.newPage();
    await page.goto(`${base}/app/?room=quietroom`);
    const empty = page.getByTestId('empty-state');
    await empty.waitFor({ state: 'visible' });
    assert.match((await empty.textContent()) ?? '', /quiet/);
    const { client } = await TestClient.join(port, { name: 'First' });
    client.send({ type: 'message', text: 'first!', ref: 'r1' });
    await page.getByTestId('message').filter({ hasText: 'first!' }).waitFor();
    await empty.waitFor({ state: 'hidden' });
    client.close();
    await page.close();
  });

  it("opens the host's moderation tools as a sheet over the chat, and closes it with Escape", async () => {
    await t.createRoom('sheetroom');
    const page = await context.newPage();
    await page.goto(
      `${base}/app/?room=sheetroom&token=${await token({ sub: 'h', name: 'Hana', role: 'host', room: 'sheetroom' })}`,
    );
    const toggle = page.getByTestId('mod-toggle');
    await toggle.waitFor({ state: 'visible' });
    assert.equal(await page.getByTestId('clear-button').isVisible(), false, 'folded away at first');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    await page.getByTestId('clear-button').waitFor({ state: 'visible' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const sheet = await page.locator('#mod-panel').boundingBox();
    assert.ok(sheet !== null && sheet.width === 390, `the sheet spans the screen (${sheet?.width} px)`);
    assert.ok(sheet.y + sheet.height <= 844 && sheet.height >= 200, 'and sits on it, tall enough to use');
    await page.getByTestId('slow-input').focus();
    await page.keyboard.press('Escape');
    await page.getByTestId('clear-button').waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await page.close();
  });

  it('tries again at once when the browser comes back online or the page becomes visible', async () => {
    const away = await startTestServer({ ALLOW_GUESTS: 'on' });
    await away.createRoom('wakeroom');
    const page = await context.newPage();
    await page.goto(`${away.api.replace('/api/v1', '')}/app/?room=wakeroom`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    await away.stop();
    // While the page waits out a reconnect delay, each event starts an attempt there and then.
    for (const wake of [
      'window.dispatchEvent(new Event("online"))',
      'document.dispatchEvent(new Event("visibilitychange"))',
    ]) {
      await eventually(`an attempt at once on ${wake}`, async () => {
        const [before, after] = (await page.evaluate(`(() => {
          const status = document.querySelector("[data-testid=connection-status]");
          const before = status.dataset.state;
          ${wake};
          return [before, status.dataset.state];
        })()`)) as [string, string];
        // Caught between attempts only counts while the page was waiting.
        return before === 'reconnecting' && after === 'connecting';
      });
    }
    await page.close();
  });
});
