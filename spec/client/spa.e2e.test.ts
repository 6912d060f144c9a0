/**
 * The chat page in a real browser: Debian's Chromium driven by playwright-core
 * (no browser download) against a real server. Without /usr/bin/chromium the
 * suite is skipped and says how to enable it. Each scenario saves a screenshot
 * of the view it ends on in dist/screenshots/, to look at after a failure (the
 * README's pictures come from scripts/screenshots.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { computedStyle, openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/', import.meta.url));
const WAIT_MS = 10_000;

const skip = SKIP_BROWSER;

describe('chat page in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({
    AUTH_SECRET,
    ALLOW_GUESTS: 'on',
    RATE_LIMIT_MESSAGES: '3',
    RATE_LIMIT_WINDOW_S: '60',
  });
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser({ width: 820, height: 520 }, 'chat-e2e');
  context.setDefaultTimeout(WAIT_MS);
  mkdirSync(SCREENSHOTS, { recursive: true });

  const open = async (query: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${base}/app/?${query}`);
    return page;
  };

  const joinAsGuest = async (room: string, name: string): Promise<Page> => {
    const page = await open(`room=${room}`);
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-button').click();
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    return page;
  };

  const say = async (page: Page, text: string) => {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
  };

  const line = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

  /** Opens a line's action menu and answers it. */
  const openMenu = async (message: Locator) => {
    await message.getByTestId('message-menu-button').click();
    const menu = message.getByTestId('message-menu');
    await menu.waitFor();
    return menu;
  };

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

  it('shows a line one guest sends on the other guest page', async () => {
    await t.createRoom('lobby');
    const ann = await joinAsGuest('lobby', 'Ann');
    const bob = await joinAsGuest('lobby', 'Bob');
    await say(ann, 'Hello from Ann');
    await line(bob, 'Hello from Ann').waitFor();
    assert.match((await line(bob, 'Hello from Ann').textContent()) ?? '', /Ann.*guest.*Hello from Ann/);
    await say(bob, 'Hi Ann, Bob here');
    await line(ann, 'Hi Ann, Bob here').waitFor();
    await bob.getByTestId('viewer-count').filter({ hasText: /^2$/ }).waitFor();
    // The composer empties when the room acks the message, once it is stored.
    await ann.locator('[data-testid=message-input]:placeholder-shown').waitFor();
    assert.equal(await ann.getByTestId('message-input').inputValue(), '', 'the composer empties once sent');
    await shot(bob, 'guest');
    await Promise.all([ann.close(), bob.close()]);
  });

  it('removes a line a host deletes from the viewer page', async () => {
    await t.createRoom('modroom');
    const host = await open(
      `room=modroom&token=${await token({ sub: 'h1', name: 'Hana', role: 'host', room: 'modroom' })}`,
    );
    await host.getByTestId('clear-button').waitFor({ state: 'visible' });
    assert.doesNotMatch(host.url(), /token=/, 'the token leaves the address bar');
    const viewer = await joinAsGuest('modroom', 'Vic');
    await say(viewer, 'buy cheap followers');
    await say(viewer, 'nice stream');
    await line(host, 'nice stream').waitFor();
    const spam = line(host, 'buy cheap followers');
    const id = await spam.getAttribute('data-id');
    assert.equal(await line(viewer, 'buy cheap followers').getAttribute('data-id'), id);
    await host.getByTestId('users-list').getByText('Vic').waitFor();
    // The room's rule, from its welcome: a host may delete its own line but not ban itself.
    await say(host, 'host says hi');
    const own = line(host, 'host says hi');
    await own.waitFor();
    const ownMenu = await openMenu(own);
    assert.equal(await ownMenu.getByTestId('delete-button').count(), 1);
    assert.equal(await ownMenu.getByTestId('ban-button').count(), 0);
    await host.keyboard.press('Escape');
    await ownMenu.waitFor({ state: 'detached' });
    assert.equal(await own.getByTestId('message-menu-button').count(), 1, 'one control per line');
    assert.equal(await (await openMenu(spam)).getByTestId('ban-button').count(), 1);
    await host.keyboard.press('Escape');
    // A guest may reply (its line menu has that one item) but moderates nothing.
    const guestMenu = await openMenu(line(viewer, 'nice stream'));
    assert.deepEqual(
      await guestMenu
        .getByRole('menuitem')
        .evaluateAll((items) => items.map((item) => (item as { dataset: { testid: string } }).dataset.testid)),
      ['reply-button'],
      'a guest moderates nothing',
    );
    await viewer.keyboard.press('Escape');
    assert.match((await host.getByTestId('char-count').textContent()) ?? '', /^\d+\/500$/, 'the limit the room sent');
    await shot(host, 'host');
    await (await openMenu(spam)).getByTestId('delete-button').click();
    // Everyone else sees a placeholder in the line's place; the author sees their text struck through.
    const gone = host.locator(`[data-testid=message][data-id="${id}"]`);
    await gone.filter({ hasText: 'message deleted by a moderator' }).waitFor();
    assert.equal(await line(host, 'buy cheap followers').count(), 0, 'the text is gone for others');
    const authors = viewer.locator(`[data-testid=message][data-id="${id}"][data-deleted=true]`);
    await authors.waitFor();
    assert.match((await authors.textContent()) ?? '', /buy cheap followers/);
    assert.equal(await computedStyle(authors.locator('.text'), 'textDecorationLine'), 'line-through');
    assert.equal(await line(viewer, 'nice stream').count(), 1, 'other lines stay');
    await Promise.all([host.close(), viewer.close()]);
  });

  it('reconnects a dropped page by itself and shows the messages sent meanwhile', async () => {
    const port = await t.createRoom('droproom');
    const page = await open(`room=droproom&token=${await token({ sub: 'dropper', name: 'Dora' })}`);
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    await say(page, 'still here');
    await line(page, 'still here').waitFor();

    // Hold the page's room lookup (done before every reconnect) until the room has moved on.
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/room/droproom', async (route) => {
      await held;
      await route.continue();
    });
    const kick = await t.adminFetch('/room/droproom/kick', {
      method: 'POST',
      body: JSON.stringify({ user: 'dropper' }),
    });
    assert.equal(kick.status, 200);
    await page.locator('[data-testid=connection-status]:not([data-state=open])').waitFor();
    assert.match((await page.getByTestId('connection-status').textContent()) ?? '', /Reconnect/);

    const { client: other } = await TestClient.join(port, { name: 'Otto' });
    for (const text of ['sent while you were away', 'and one more']) {
      other.send({ type: 'message', text, ref: text });
      await other.next('ack', (f) => f.ref === text);
    }
    await shot(page, 'reconnecting');
    release();
    await line(page, 'and one more').waitFor();
    await line(page, 'sent while you were away').waitFor();
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    assert.equal(await line(page, 'still here').count(), 1, 'lines from before the drop stay, once');
    other.close();
    await page.close();
  });

  it('shows the rate limit inline with the time to wait', async () => {
    await t.createRoom('busyroom');
    const page = await joinAsGuest('busyroom', 'Speedy');
    for (let i = 1; i <= 3; i++) {
      await say(page, `message ${i}`);
      await line(page, `message ${i}`).waitFor();
    }
    await say(page, 'message 4');
    const error = page.getByTestId('error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /Too many messages.*Try again in \d+ s/);
    assert.equal(await page.getByTestId('message-input').inputValue(), 'message 4', 'the refused text stays to retry');
    await shot(page, 'rate-limited');
    await page.close();
  });
});
