/**
 * Replies, mentions, /me, /announce, the pinned bar and paid messages on the chat page in
 * Chromium against a real server and a loopback credit service. Skipped without
 * /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startCreditService } from '../helpers/credit-service.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';

const WAIT_MS = 10_000;
const ROOM = 'pageextras';
const SECRET = 'page-credit-secret';
const skip = SKIP_BROWSER;

describe('replies, pins and tips on the chat page in Chromium', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const credits = await startCreditService(SECRET);
  const t = await startTestServer({
    AUTH_SECRET,
    ALLOW_GUESTS: 'on',
    CREDIT_SERVICE_URL: credits.url,
    CREDIT_SERVICE_SECRET: SECRET,
  });
  await t.createRoom(ROOM);
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser({ width: 900, height: 640 }, 'chat-extras-e2e');
  context.setDefaultTimeout(WAIT_MS);

  const signedIn = async (sub: string, role: string): Promise<Page> => {
    const page = await context.newPage();
    const joinToken = await token({ sub, name: sub, role, room: ROOM });
    await page.goto(`${base}/app/?room=${ROOM}&token=${encodeURIComponent(joinToken)}`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    return page;
  };
  const say = async (page: Page, text: string) => {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
  };
  const line = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });
  const openMenu = async (message: Locator) => {
    await message.getByTestId('message-menu-button').click();
    const menu = message.getByTestId('message-menu');
    await menu.waitFor();
    return menu;
  };

  const host = await signedIn('hana', 'host');
  const viewer = await signedIn('vic', 'viewer');

  it('replies with the parent quoted above the reply, on both pages; /me is an action line; a mention is marked', async () => {
    await say(viewer, 'what time is the show?');
    const question = line(host, 'what time is the show?');
    await question.waitFor();
    await (await openMenu(question)).getByTestId('reply-button').click();
    await host.getByTestId('reply-draft').waitFor();
    assert.match(
      (await host.getByTestId('reply-draft').textContent()) ?? '',
      /Replying to vic: what time is the show\?/,
    );
    await say(host, '@vic at eight');
    const reply = line(viewer, 'at eight');
    await reply.waitFor();
    assert.match((await reply.getByTestId('reply-quote').textContent()) ?? '', /vic.*what time is the show\?/);
    assert.equal(await reply.getAttribute('data-mention'), 'true', 'the reader is mentioned');
    assert.equal(await line(host, 'at eight').getAttribute('data-mention'), null, 'not a mention of the host');
    await host.getByTestId('reply-draft').waitFor({ state: 'hidden' });
    await say(viewer, '/me waves');
    const action = host.getByTestId('message').filter({ hasText: 'waves' });
    await action.waitFor();
    assert.match((await action.getAttribute('class')) ?? '', /\baction\b/);
    assert.doesNotMatch((await action.textContent()) ?? '', /\/me/);
  });

  it("sends a host's /announcegreen as a green announcement; a viewer's /announce is refused, not sent as chat", async () => {
    await say(host, '/announcegreen Stream starts in 5 minutes');
    const announcement = line(viewer, 'Stream starts in 5 minutes');
    await announcement.waitFor();
    assert.equal(await announcement.getAttribute('data-announcement'), 'green');
    assert.doesNotMatch((await announcement.textContent()) ?? '', /\/announce/);
    await say(viewer, '/announce listen to me');
    await viewer.getByTestId('error').waitFor();
    assert.match((await viewer.getByTestId('error').textContent()) ?? '', /mod|host/i);
    await say(viewer, 'after the refusal');
    await line(host, 'after the refusal').waitFor();
    assert.equal(await line(host, 'listen to me').count(), 0, 'the refused announcement reached nobody');
  });

  it('counts the mentions of a reader who scrolled up, and takes them to the first', async () => {
    for (let i = 0; i < 40; i++) await say(host, `filler ${i}`);
    await line(viewer, 'filler 39').waitFor();
    await viewer.locator('#messages').evaluate((list) => {
      (list as unknown as { scrollTop: number }).scrollTop = 0;
    });
    await say(host, 'hey @vic, look');
    await line(viewer, 'hey @vic, look').waitFor({ state: 'attached' });
    const count = viewer.getByTestId('mention-count');
    await count.waitFor();
    assert.match((await count.textContent()) ?? '', /^1 mention of you/);
    await count.click();
    await count.waitFor({ state: 'hidden' });
    assert.ok(await line(viewer, 'hey @vic, look').isVisible());
  });

  it('pins a line for everyone in a bar above the log, and a host unpins it', async () => {
    await say(viewer, 'pin this one');
    const target = line(host, 'pin this one');
    await target.waitFor();
    await (await openMenu(target)).getByTestId('pin-button').click();
    const bar = viewer.getByTestId('pinned-bar');
    await bar.waitFor();
    assert.match((await viewer.getByTestId('pinned-text').textContent()) ?? '', /vic: pin this one/);
    assert.equal(await viewer.getByTestId('unpin-button').isVisible(), false, 'a viewer cannot unpin');
    await host.getByTestId('unpin-button').click();
    await bar.waitFor({ state: 'hidden' });
  });

  it('sends a tip from a signed-in user: shown with its amount, pinned and highlighted, debited once', async () => {
    await viewer.getByTestId('tip-button').click();
    await viewer.getByTestId('tip-amount').fill('50');
    await viewer.getByTestId('tip-text').fill('love the stream');
    await viewer.getByTestId('tip-send').click();
    const paid = line(host, 'love the stream');
    await paid.waitFor();
    assert.equal(await paid.getByTestId('tip-badge').textContent(), '50 credits');
    await host.locator('[data-testid=message].paid.pinned', { hasText: 'love the stream' }).waitFor();
    assert.match((await host.getByTestId('pinned-text').textContent()) ?? '', /vic \(50 credits\): love the stream/);
    await viewer.getByTestId('tip-form').waitFor({ state: 'hidden' });
    assert.equal(credits.debits.size, 1);
    assert.equal(credits.badSignatures, 0);
    // A guest may write but not tip: the page offers no Tip button.
    const guest = await context.newPage();
    await guest.goto(`${base}/app/?room=${ROOM}`);
    await guest.getByTestId('join-name').fill('Gus');
    await guest.getByTestId('join-button').click();
    await guest.getByTestId('message-input').waitFor({ state: 'visible' });
    assert.equal(await guest.getByTestId('tip-button').isVisible(), false);
  });
});
