/**
 * Guest identities and chat modes on the chat page in Chromium: a refused name is
 * said beside the name field and another may be tried at once; a host's token
 * survives a reload (sessionStorage, never in the address bar); viewers see the
 * modes in force and mods get the review queue (allow, deny) and shield mode in
 * one click; a timed-out or banned guest stays so after a reload (its guest
 * token in localStorage).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_BROWSER;
const ROOM = 'guestpage';

describe('guest identities and chat modes on the page', { skip }, async () => {
  if (skip) return;
  await ensureWebBuilt();
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on' });
  const port = await t.createRoom(ROOM);
  const base = t.api.replace('/api/v1', '');
  const context = await openBrowser({ width: 1280, height: 800 }, 'chat-guests');
  context.setDefaultTimeout(10_000);
  const open = async (query = ''): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${base}/app/?room=${ROOM}${query}`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    return page;
  };
  /** A new page that joins as the guest `name`, ready to write. */
  const guest = async (name: string): Promise<Page> => {
    const page = await open();
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-button').click();
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    return page;
  };
  const say = async (page: Page, text: string) => {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
  };
  /** Opens the action menu of the line on `page` that says `text`. */
  const openMenu = (page: Page, text: string) =>
    page.getByTestId('message').filter({ hasText: text }).getByTestId('message-menu-button').click();
  const hostToken = await token({ sub: 'ann', name: 'Ann', role: 'host', room: ROOM });
  const { client: hostWs } = await TestClient.join(port, { token: hostToken });

  it('keeps the host signed in across a reload without the token in the address bar', async () => {
    const page = await open(`&token=${hostToken}`);
    assert.doesNotMatch(page.url(), /token=/);
    await page.getByTestId('modes-panel').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    assert.match((await page.getByTestId('connection-status').textContent()) ?? '', /Connected as Ann/);
    await page.getByTestId('modes-panel').waitFor({ state: 'visible' });
    await page.close();
  });

  it('says why a name is refused beside the field, and takes another on the same connection', async () => {
    const page = await open();
    await page.getByTestId('join-name').fill('Аnn'); // a Cyrillic А
    await page.getByTestId('join-button').click();
    await page.getByTestId('join-hint').filter({ hasText: 'signed-in user' }).waitFor();
    assert.equal(await page.getByTestId('join-name').getAttribute('aria-invalid'), 'true');
    await page.getByTestId('join-name').fill('Annika');
    await page.getByTestId('join-button').click();
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    assert.match((await page.getByTestId('connection-status').textContent()) ?? '', /Connected as Annika/);
    await page.close();
  });

  it('shows viewers the modes in force and mods the review queue with allow and deny', async () => {
    const host = await open(`&token=${hostToken}`);
    const page = await guest('Gwen');
    await host.getByTestId('mode-review').selectOption('guests');
    await page.getByTestId('modes-indicator').filter({ hasText: 'Guests held for review' }).waitFor();
    await say(page, 'may I?');
    await page.getByTestId('notice').filter({ hasText: 'held for a moderator' }).waitFor();
    await say(page, 'buy my stuff');
    const denied = host.getByTestId('held-message').filter({ hasText: 'buy my stuff' });
    await denied.getByTestId('deny-button').click();
    await denied.waitFor({ state: 'detached' });
    const held = host.getByTestId('held-message').filter({ hasText: 'may I?' });
    await held.getByTestId('allow-button').click();
    await page.getByTestId('message').filter({ hasText: 'may I?' }).waitFor();
    await held.waitFor({ state: 'detached' });
    assert.equal(
      await host.getByTestId('message').filter({ hasText: 'buy my stuff' }).count(),
      0,
      'denied: shown to nobody',
    );
    await host.getByTestId('mode-review').selectOption('false');
    await page.getByTestId('modes-indicator').waitFor({ state: 'hidden' });
    await host.close();
    await page.close();
  });

  it('turns shield mode on in one click and off again, restoring the modes before it', async () => {
    const host = await open(`&token=${hostToken}`);
    const page = await guest('Sid');
    // Slow mode of 5 s before shield mode (which sets 30 s): shield off must bring back 5, not 0.
    await host.getByTestId('slow-input').fill('5');
    await host.getByTestId('slow-button').click();
    await page.getByTestId('slow-indicator').filter({ hasText: '5' }).waitFor();
    const shield = host.getByTestId('shield-button');
    await shield.click();
    await host.locator('[data-testid=shield-button][aria-pressed=true]').waitFor();
    await page.getByTestId('modes-indicator').filter({ hasText: 'Shield mode' }).waitFor();
    assert.match((await page.getByTestId('modes-indicator').textContent()) ?? '', /Followers only/);
    assert.equal(await host.getByTestId('mode-unique').isChecked(), true, 'the panel shows what shield turned on');
    // Followers only: a guest follows no one, so the room refuses them and says why.
    await say(page, 'let me in');
    await page
      .getByTestId('error')
      .filter({ hasText: /follower/i })
      .waitFor();
    await shield.click();
    await host.locator('[data-testid=shield-button][aria-pressed=false]').waitFor();
    await page.getByTestId('modes-indicator').waitFor({ state: 'hidden' });
    assert.equal(await host.getByTestId('mode-unique').isChecked(), false);
    await page.getByTestId('slow-indicator').filter({ hasText: '5' }).waitFor();
    assert.equal(await host.getByTestId('slow-input').inputValue(), '5', 'the slow mode before shield mode is back');
    await say(page, 'calm now');
    await host.getByTestId('message').filter({ hasText: 'calm now' }).waitFor();
    assert.equal(await host.getByTestId('message').filter({ hasText: 'let me in' }).count(), 0);
    await host.getByTestId('slow-input').fill('0');
    await host.getByTestId('slow-button').click();
    await page.getByTestId('slow-indicator').waitFor({ state: 'hidden' });
    await host.close();
    await page.close();
  });

  it("warns from a line's menu: the guest cannot post until they acknowledge", async () => {
    const host = await open(`&token=${hostToken}`);
    const page = await guest('Wes');
    await say(page, 'rude words');
    await openMenu(host, 'rude words');
    await host.getByTestId('warn-button').click();
    const warned = page.getByTestId('notice').filter({ hasText: 'A moderator warned you' });
    await warned.waitFor();
    await say(page, 'more');
    await page.getByTestId('error').filter({ hasText: 'acknowledge' }).waitFor();
    await warned.getByRole('button', { name: 'Acknowledge the warning' }).click();
    await say(page, 'sorry');
    await host.getByTestId('message').filter({ hasText: 'sorry' }).waitFor();
    await host.close();
    await page.close();
  });

  it("keeps a guest timed out from a line's menu timed out after a reload", async () => {
    const host = await open(`&token=${hostToken}`);
    const page = await guest('Tess');
    await say(page, 'too loud');
    await openMenu(host, 'too loud');
    await host.locator('[data-testid=timeout-button][data-seconds="60"]').click();
    await page.getByTestId('error').filter({ hasText: 'timed you out' }).waitFor();

    await page.reload();
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    assert.equal(await page.getByTestId('join-name').inputValue(), 'Tess', 'the same guest comes back');
    await page.getByTestId('join-button').click();
    await page.getByTestId('message-input').waitFor({ state: 'visible' });
    await say(page, 'I am back');
    await page.getByTestId('error').filter({ hasText: 'You are timed out' }).waitFor();
    await say(host, 'host line');
    await host.getByTestId('message').filter({ hasText: 'host line' }).waitFor();
    assert.equal(await host.getByTestId('message').filter({ hasText: 'I am back' }).count(), 0);
    // The host lifts it from the panel (a guest's timeout also holds its address: every guest here).
    await host.getByRole('button', { name: 'Lift timeout Tess' }).click();
    // Nothing tells the guest when the room has applied the lift: a post refused before then is sent again.
    const thanks = host.getByTestId('message').filter({ hasText: 'thank you' });
    for (let attempt = 1; (await thanks.count()) === 0; attempt++) {
      assert.ok(attempt <= 5, 'the guest could post again once the timeout was lifted');
      await say(page, 'thank you');
      await thanks.waitFor({ timeout: 2_000 }).catch(() => undefined);
    }
    await host.close();
    await page.close();
  });

  it('keeps a banned guest out after a reload', async () => {
    const page = await guest('Pest');
    const stored = (await page.evaluate('localStorage.getItem("chat.guest")')) as string;
    assert.match(stored, /"name":"Pest"/);
    await say(page, 'buy now');
    const spam = await hostWs.next('message', (f) => f.text === 'buy now');
    hostWs.send({ type: 'ban', user: (spam.user as { id: string }).id });
    await page.locator('[data-testid=connection-status][data-state=closed]').waitFor();

    await page.reload();
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    assert.equal(await page.getByTestId('join-name').inputValue(), 'Pest', 'the name is filled in');
    await page.getByTestId('join-button').click();
    await page.locator('[data-testid=connection-status][data-state=closed]').waitFor();
    assert.match((await page.getByTestId('connection-status').textContent()) ?? '', /banned/i);
    await page.close();
    hostWs.close();
  });
});
