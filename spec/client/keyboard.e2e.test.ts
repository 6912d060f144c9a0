/**
 * The chat page with the keyboard alone, at 1280×800 in Debian's Chromium: a
 * guest joins and sends; a host moderates through each line's one menu (a single
 * tab stop per line), chooses a timeout's length, undoes it, is asked before a
 * ban and before clearing, and unbans. What the room does is checked from the
 * other side, by a real WebSocket client. Skipped without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { isFocused, openBrowser, SKIP_BROWSER, tabTo } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;

describe('chat page by keyboard in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on' });
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser({ width: 1280, height: 800 }, 'chat-keyboard');
  context.setDefaultTimeout(10_000);

  const openHost = async (room: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${base}/app/?room=${room}&token=${await token({ sub: 'h1', name: 'Hana', role: 'host', room })}`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    return page;
  };
  const line = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });
  const focusedTestid = (page: Page) =>
    page.evaluate('document.activeElement && document.activeElement.dataset.testid') as Promise<string | null>;

  it('joins as a guest and sends a message without a mouse', async () => {
    await t.createRoom('keys');
    const page = await context.newPage();
    await page.goto(`${base}/app/?room=keys`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    await tabTo(page, page.getByTestId('join-name'), 'the name field');
    await page.keyboard.type('Kay');
    await page.keyboard.press('Enter');
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    await tabTo(page, page.getByTestId('message-input'), 'the message box');
    await page.keyboard.type('typed, not clicked');
    await page.keyboard.press('Enter');
    await line(page, 'typed, not clicked').waitFor();
    assert.match((await page.getByTestId('connection-status').textContent()) ?? '', /Connected as Kay/);
    await page.close();
  });

  it('moderates a line through its one menu: a timeout of a chosen length, its undo, a ban asked first, and the unban', async () => {
    const port = await t.createRoom('keymod');
    const host = await openHost('keymod');
    const { client: vic } = await TestClient.join(port, { name: 'Vic' });
    vic.send({ type: 'message', text: 'first from Vic', ref: 'v1' });
    vic.send({ type: 'message', text: 'spam from Vic', ref: 'v2' });
    await line(host, 'spam from Vic').waitFor();
    const spam = line(host, 'spam from Vic');
    const menuButton = spam.getByTestId('message-menu-button');
    assert.equal(await spam.locator('button').count(), 1, 'one control, so one tab stop, per line');

    // Tab reaches the line's menu; Enter opens it on its first item; the arrows move.
    await tabTo(host, menuButton, "the spam line's menu button");
    await host.keyboard.press('Enter');
    const menu = spam.getByTestId('message-menu');
    await menu.waitFor();
    assert.equal(await menuButton.getAttribute('aria-expanded'), 'true');
    assert.equal(await focusedTestid(host), 'delete-button');
    const timeouts = menu.getByTestId('timeout-button');
    assert.deepEqual(
      await timeouts.evaluateAll((items) =>
        items.map((item) => (item as { dataset: { seconds: string } }).dataset.seconds),
      ),
      ['60', '600', '3600', '86400'],
      'a choice of timeouts',
    );
    await host.keyboard.press('ArrowUp');
    assert.equal(await focusedTestid(host), 'ban-button', 'ArrowUp wraps to the last item');
    await host.keyboard.press('Home');
    await host.keyboard.press('ArrowDown');
    assert.ok(await isFocused(menu.locator('[data-seconds="60"]')));
    await host.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.ok(await isFocused(menuButton), 'Escape closes the menu and returns to its button');

    // A one-minute timeout, chosen by keyboard; the room tells Vic until when.
    await host.keyboard.press('Enter');
    await host.keyboard.press('ArrowDown');
    await host.keyboard.press('Enter');
    const timeout = await vic.next('timeout');
    const seconds = ((timeout.until as number) - Date.now()) / 1000;
    assert.ok(seconds > 30 && seconds <= 60, `timed out for about a minute (${seconds} s)`);
    vic.send({ type: 'message', text: 'am I muted?', ref: 'v3' });
    assert.equal((await vic.next('error', (f) => f.ref === 'v3')).code, 'TIMED_OUT');
    await host.getByTestId('timed-out-list').getByText('Vic').waitFor();

    // Undo, by keyboard, from the notice: Vic may write again.
    const undo = host.getByTestId('notice').filter({ hasText: 'Vic was timed out' }).getByTestId('undo-button');
    await tabTo(host, undo, 'the undo on the timeout notice');
    await host.keyboard.press('Enter');
    await undo.waitFor({ state: 'detached' });
    await host.getByTestId('timed-out-list').getByText('Vic').waitFor({ state: 'detached' });
    vic.send({ type: 'message', text: 'back again', ref: 'v4' });
    await vic.next('ack', (f) => f.ref === 'v4');
    await line(host, 'back again').waitFor();

    // A ban asks first; Escape (or Cancel) bans no one.
    const again = line(host, 'back again');
    await tabTo(host, again.getByTestId('message-menu-button'), "the new line's menu button");
    await host.keyboard.press('ArrowUp');
    assert.equal(await focusedTestid(host), 'ban-button', 'ArrowUp opens the menu on its last item');
    await host.keyboard.press('Enter');
    const dialog = host.getByTestId('confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.match((await dialog.textContent()) ?? '', /Ban Vic from this room\?/);
    assert.equal(await focusedTestid(host), 'confirm-cancel', 'Cancel is the default');
    await host.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    vic.send({ type: 'message', text: 'still not banned', ref: 'v5' });
    await vic.next('ack', (f) => f.ref === 'v5');

    // Asked again and confirmed: Vic is banned, their lines go, and the page offers the unban.
    await tabTo(host, again.getByTestId('message-menu-button'), "the line's menu button");
    await host.keyboard.press('ArrowUp');
    await host.keyboard.press('Enter');
    await dialog.waitFor({ state: 'visible' });
    await host.keyboard.press('Tab');
    assert.equal(await focusedTestid(host), 'confirm-ok');
    await host.keyboard.press('Enter');
    assert.equal((await closeOf(vic)).code, 4003, 'the room closed Vic for the ban');
    await line(host, 'from Vic').first().waitFor({ state: 'detached' });
    const unban = host.getByTestId('banned-list').getByRole('button', { name: 'Unban Vic' });
    await tabTo(host, unban, 'Unban in the banned list');
    await host.keyboard.press('Enter');
    await unban.waitFor({ state: 'detached' });
    const { client: back } = await TestClient.join(port, { name: 'Vic' });
    back.send({ type: 'message', text: 'unbanned', ref: 'v6' });
    await line(host, 'unbanned').waitFor();
    back.close();
    await host.close();
  });

  it('asks before clearing the chat for everyone', async () => {
    const port = await t.createRoom('keyclear');
    const host = await openHost('keyclear');
    const { client: viewer } = await TestClient.join(port, { name: 'Val' });
    viewer.send({ type: 'message', text: 'keep me', ref: 'k1' });
    await line(host, 'keep me').waitFor();
    await tabTo(host, host.getByTestId('clear-button'), 'Clear chat');
    await host.keyboard.press('Enter');
    const dialog = host.getByTestId('confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    await host.keyboard.press('Enter'); // on Cancel
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(await isFocused(host.getByTestId('clear-button')), 'focus returns to what asked');
    assert.equal(await line(host, 'keep me').count(), 1, 'nothing cleared');
    await host.keyboard.press('Enter');
    await host.getByTestId('confirm-ok').click();
    await viewer.next('cleared');
    await line(host, 'keep me').waitFor({ state: 'detached' });
    await host.getByTestId('notice').filter({ hasText: 'cleared by a moderator' }).waitFor();
    viewer.close();
    await host.close();
  });
});
