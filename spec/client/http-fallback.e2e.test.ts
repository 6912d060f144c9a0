/**
 * The chat page where WebSockets cannot go, in Debian's Chromium: an init script
 * removes window.WebSocket before the page runs, and the page joins and chats
 * over the room's HTTP fallback with a WebSocket member, saying so in its status
 * tooltip. Skipped without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;

describe('chat page without WebSockets in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ ALLOW_GUESTS: 'on' });
  const context = await openBrowser({ width: 820, height: 520 }, 'chat-http-fallback');
  context.setDefaultTimeout(15_000);
  // As a network that breaks every upgrade would leave it: no WebSocket at all.
  await context.addInitScript(() => {
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
  });

  it('joins and chats through the page over HTTP, with a WebSocket member', async () => {
    const port = await t.createRoom('nowebsocket');
    const page = await context.newPage();
    const upgrades: string[] = [];
    page.on('websocket', (ws) => upgrades.push(ws.url()));
    await page.goto(`${t.api.replace('/api/v1', '')}/app/?room=nowebsocket`);
    assert.equal(await page.evaluate(() => typeof (globalThis as { WebSocket?: unknown }).WebSocket), 'undefined');
    await page.getByTestId('join-name').fill('NoSocket');
    await page.getByTestId('join-button').click();
    const status = page.locator('[data-testid=connection-status][data-state=open]');
    await status.waitFor();
    assert.equal(await status.getAttribute('data-transport'), 'http');
    assert.match((await status.getAttribute('title')) ?? '', /HTTP/);

    const { client: ws } = await TestClient.join(port, { name: 'Socket' });
    await page.getByTestId('message-input').fill('hello from a page without WebSockets');
    await page.getByTestId('message-input').press('Enter');
    const heard = await ws.next('message', (f) => f.text === 'hello from a page without WebSockets');
    assert.equal((heard.user as { name: string }).name, 'NoSocket');
    ws.send({ type: 'message', text: 'hello back over a WebSocket' });
    await page.getByTestId('message').filter({ hasText: 'hello back over a WebSocket' }).waitFor();
    assert.deepEqual(upgrades, [], 'the page never tried a WebSocket');
    ws.close();
    await page.close();
  });
});
