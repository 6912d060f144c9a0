/**
 * The operator's console in a real browser: Debian's Chromium driven by
 * playwright-core against a real server and real room WebSockets. Without
 * /usr/bin/chromium the suite is skipped and says how to enable it. The views it
 * ends on are saved in dist/screenshots/ (docs/screenshots/ with
 * SAVE_SCREENSHOTS=1, to refresh the picture the README shows).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { ensureAdminConsoleBuilt } from '../../scripts/build-web.js';
import { openBrowser, SKIP_BROWSER } from '../helpers/browser.js';
import { SKIP_CLUSTER, TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

const SCREENSHOTS = fileURLToPath(
  new URL(process.env.SAVE_SCREENSHOTS === '1' ? '../../../docs/screenshots/' : '../../screenshots/', import.meta.url),
);
/**
 * axe-core's source, evaluated in the page through the DevTools protocol: the
 * console's CSP (scripts from its own origin only) refuses the inline script tag
 * page.addScriptTag would add, and the check should run under the page's real CSP.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WAIT_MS = 10_000;

const skip = SKIP_BROWSER;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describe("the operator's console in Chromium", { skip }, async () => {
  if (skip) return;
  await ensureAdminConsoleBuilt();
  const t = await startTestServer({ AUTH_SECRET, MAX_ROOMS: '8' });
  const consoleUrl = t.admin.replace('/api/v1', '/admin/');
  const context = await openBrowser({ width: 1280, height: 800 }, 'admin-e2e');
  context.setDefaultTimeout(WAIT_MS);
  mkdirSync(SCREENSHOTS, { recursive: true });

  const viewer = async (port: number, sub: string) =>
    (await TestClient.join(port, { token: await token({ sub, name: sub }) })).client;

  /** A fresh tab (its own sessionStorage: signed out) at a server's console, signed in with `key`. */
  const signIn = async (key = ADMIN_KEY, hash = '', base = consoleUrl): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(base + hash);
    await page.getByTestId('key-input').fill(key);
    await page.getByTestId('login-button').click();
    return page;
  };

  const confirm = async (page: Page) => {
    await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
  };

  const seriousViolations = async (page: Page): Promise<string[]> => {
    await page.evaluate(AXE_SOURCE);
    const { violations } = (await page.evaluate('axe.run()')) as { violations: AxeViolation[] };
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };

  it('refuses a wrong key on the page and shows nothing of the server', async () => {
    const page = await signIn('not-the-admin-key');
    const error = page.getByTestId('login-error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /refused this admin key \(401/);
    assert.equal(await page.getByTestId('server-state').isVisible(), false);
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'a refused key is not kept');
    await page.close();
  });

  it('signs in with the key, keeps it in the tab only, and lists a room with its viewer count', async () => {
    const port = await t.createRoom('stage');
    const clients = [await viewer(port, 'v1'), await viewer(port, 'v2')];
    const page = await signIn();
    await page.getByTestId('server-state').waitFor({ state: 'visible' });
    const row = page.locator('[data-testid=room-row][data-room=stage]');
    await row.getByTestId('room-viewers').filter({ hasText: /^2$/ }).waitFor();
    assert.equal(await row.getByTestId('room-chatters').textContent(), '2');
    assert.deepEqual(await page.evaluate("[document.cookie, sessionStorage.getItem('chatserver-admin-key')]"), [
      '',
      ADMIN_KEY,
    ]);
    // A third viewer shows at a later poll, without reloading.
    clients.push(await viewer(port, 'v3'));
    await row.getByTestId('room-viewers').filter({ hasText: /^3$/ }).waitFor();
    await page.getByTestId('trend-connections').locator('polyline').waitFor({ state: 'attached' });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin.png') });
    await page.getByTestId('broadcast-input').fill('Maintenance at noon');
    await page.getByTestId('broadcast-button').click();
    assert.equal((await clients[0]!.next('system')).text, 'Maintenance at noon', 'sent to every room');
    for (const c of clients) c.close();
    await page.close();
  });

  it('bans a user from the room page, which closes their connection with 4003', async () => {
    const port = await t.createRoom('banroom');
    const troll = await viewer(port, 'troll');
    troll.send({ type: 'message', text: 'spam spam spam', ref: 'r1' });
    await troll.next('ack');
    const page = await signIn(ADMIN_KEY, '#/room/banroom');
    const line = page.getByTestId('room-message').filter({ hasText: 'spam spam spam' });
    await line.getByTestId('message-ban').click();
    assert.equal(await page.getByTestId('ban-user').inputValue(), 'troll', 'the message fills the ban form');
    await page.getByTestId('ban-reason').fill('spamming');
    await page.getByTestId('ban-button').click();
    assert.equal((await closeOf(troll)).code, 4003);
    await page.getByTestId('room-bans').getByTestId('ban').filter({ hasText: 'troll' }).waitFor();
    await page
      .getByTestId('room-moderation')
      .getByTestId('moderation-entry')
      .filter({ hasText: 'ban troll' })
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-room.png'), fullPage: true });
    await page.close();
  });

  it('kicks a user from the room page (4004) and shuts the room down after a confirmation (1001)', async () => {
    const port = await t.createRoom('kickroom');
    const noisy = await viewer(port, 'noisy');
    const calm = await viewer(port, 'calm');
    const page = await signIn(ADMIN_KEY, '#/room/kickroom');
    await page.getByTestId('room-stat-viewers').filter({ hasText: /^2$/ }).waitFor();
    await page.getByTestId('room-broadcast-input').fill('Be kind in here');
    await page.getByTestId('room-broadcast-button').click();
    const heard = await Promise.all([noisy.next('system'), calm.next('system')]);
    assert.deepEqual(
      heard.map((f) => f.text),
      ['Be kind in here', 'Be kind in here'],
    );
    await page.getByTestId('kick-user').fill('noisy');
    await page.getByTestId('kick-reason').fill('cool off');
    await page.getByTestId('kick-button').click();
    assert.equal((await closeOf(noisy)).code, 4004);
    await page.getByTestId('action-result').filter({ hasText: 'Kicked noisy' }).waitFor();
    await page.getByTestId('room-shutdown-button').click();
    await page.getByTestId('confirm-cancel').click();
    await page.getByTestId('room-stat-viewers').filter({ hasText: /^1$/ }).waitFor();
    assert.equal((await t.adminFetch('/room/kickroom')).status, 200, 'a cancelled confirmation closes nothing');
    await page.getByTestId('room-shutdown-button').click();
    await confirm(page);
    assert.equal((await closeOf(calm)).code, 1001);
    await page.getByTestId('room-gone').waitFor({ state: 'visible' });
    await page.close();
  });

  it('shuts the server down from the page after a confirmation (exit code 0)', async () => {
    const own = await startTestServer();
    const page = await signIn(ADMIN_KEY, '', own.admin.replace('/api/v1', '/admin/'));
    await page.getByTestId('shutdown-button').click();
    await confirm(page);
    assert.equal(await own.server.exited, 0);
    await page
      .getByTestId('poll-status')
      .filter({ hasText: /does not answer/ })
      .waitFor();
    await page.close();
  });

  it(
    'shows the cluster engine in cluster mode, and says so when its Redis stops answering',
    { skip: SKIP_CLUSTER },
    async () => {
      const redis = await TestRedis.start();
      const own = await startTestServer({ REDIS_URL: redis.url });
      const page = await signIn(ADMIN_KEY, '', own.admin.replace('/api/v1', '/admin/'));
      await page.getByTestId('server-cluster').filter({ hasText: 'Redis answering' }).waitFor();
      await redis.stop();
      await page
        .getByTestId('server-cluster')
        .filter({ hasText: /failing/ })
        .waitFor();
      await page
        .getByTestId('server-ready')
        .filter({ hasText: /not ready: cluster/ })
        .waitFor();
      await redis.restart();
      await page.getByTestId('server-cluster').filter({ hasText: 'Redis answering' }).waitFor({ timeout: 20_000 });
      await page.close();
      await own.stop();
    },
  );

  it('drains after a confirmation and shows it in the state, then resumes', async () => {
    const page = await signIn();
    const state = page.getByTestId('server-state-value');
    await state.locator('[data-state=accepting]').waitFor();
    await page.getByTestId('drain-button').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
    await page.getByTestId('confirm-cancel').click();
    const load = (await (await t.adminFetch('/load')).json()) as { data: { acceptingConnections: boolean } };
    assert.equal(load.data.acceptingConnections, true, 'a cancelled confirmation drains nothing');
    await page.getByTestId('drain-button').click();
    await confirm(page);
    await state.locator('[data-state=draining]').waitFor();
    await page
      .getByTestId('server-ready')
      .filter({ hasText: /not ready: accepting/ })
      .waitFor();
    const refused = await t.publicFetch('/room/late', { method: 'POST' });
    assert.equal(refused.status, 503);
    await page.getByTestId('resume-button').click();
    await state.locator('[data-state=accepting]').waitFor();
    await page.close();
  });

  it('sorts the rooms by the column whose header is pressed, both ways', async () => {
    const busy = await t.createRoom('sortbusy');
    await t.createRoom('sortquiet');
    const clients = [await viewer(busy, 's1'), await viewer(busy, 's2')];
    const page = await signIn();
    const names = () =>
      page.getByTestId('room-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-room')));
    await page.locator('[data-room=sortbusy]').getByTestId('room-viewers').filter({ hasText: /^2$/ }).waitFor();
    const sorted = (await names()).filter((n) => n?.startsWith('sort'));
    assert.deepEqual(sorted, ['sortbusy', 'sortquiet'], 'most viewers first by default');
    await page.getByTestId('sort-viewers').click();
    assert.equal(await page.locator('th[aria-sort=ascending]').textContent(), 'Viewers ▲');
    assert.deepEqual(
      (await names()).filter((n) => n?.startsWith('sort')),
      ['sortquiet', 'sortbusy'],
    );
    await page.getByTestId('sort-name').click();
    const byName = await names();
    assert.deepEqual(byName, [...byName].sort(), 'by name, A to Z');
    for (const c of clients) c.close();
    await page.close();
  });

  it('edits the blocked terms and the bans from the lists page', async () => {
    const before = (await (await t.adminFetch('/blocked-terms')).json()) as { data: { terms: string[] } };
    const page = await signIn(ADMIN_KEY, '#/lists');
    const editor = page.getByTestId('blocked-terms');
    await editor.waitFor({ state: 'visible' });
    await eventually(
      'the current terms in the editor',
      async () => (await editor.inputValue()) === before.data.terms.join('\n'),
    );
    await editor.fill('spoiler\n  badword  \n\n');
    await page.getByTestId('blocked-terms-save').click();
    await page.getByTestId('action-result').filter({ hasText: 'Saved 2 blocked terms' }).waitFor();
    const after = (await (await t.adminFetch('/blocked-terms')).json()) as { data: { terms: string[] } };
    assert.deepEqual(after.data.terms, ['spoiler', 'badword']);
    // The review terms (held for a moderator, not refused) have the same editor.
    const review = page.getByTestId('review-terms');
    await review.waitFor({ state: 'visible' });
    await review.fill('giveaway\nfree coins');
    await page.getByTestId('review-terms-save').click();
    await page.getByTestId('action-result').filter({ hasText: 'Saved 2 review terms' }).waitFor();
    const held = (await (await t.adminFetch('/review-terms')).json()) as { data: { terms: string[] } };
    assert.deepEqual(held.data.terms, ['giveaway', 'free coins']);
    await t.adminFetch('/review-terms', { method: 'PUT', body: JSON.stringify({ terms: [] }) });

    await page.getByTestId('global-ban-user').fill('everywhere-troll');
    await page.getByTestId('global-ban-reason').fill('raids');
    await page.getByTestId('global-ban-button').click();
    const ban = page.getByTestId('global-bans').locator('[data-user=everywhere-troll]');
    await ban.filter({ hasText: 'every room' }).waitFor();
    const bans = (await (await t.adminFetch('/bans')).json()) as {
      data: { bans: Array<{ user: string; room: null }> };
    };
    assert.ok(bans.data.bans.some((b) => b.user === 'everywhere-troll' && b.room === null));
    await ban.getByTestId('unban-button').click();
    await ban.waitFor({ state: 'detached' });
    const lifted = (await (await t.adminFetch('/bans')).json()) as { data: { bans: Array<{ user: string }> } };
    assert.ok(!lifted.data.bans.some((b) => b.user === 'everywhere-troll'));
    await t.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ terms: before.data.terms }) });
    await page.close();
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    it(`has no serious or critical axe violations at ${viewport.width}x${viewport.height}`, async () => {
      const room = `a11y${viewport.width}`;
      const port = await t.createRoom(room);
      const client = await viewer(port, 'reader');
      client.send({ type: 'message', text: 'hello console', ref: 'a1' });
      await client.next('ack');
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      await page.goto(consoleUrl);
      await page.getByTestId('key-input').waitFor({ state: 'visible' });
      assert.deepEqual(await seriousViolations(page), [], 'the sign-in form');
      await page.getByTestId('key-input').fill(ADMIN_KEY);
      await page.getByTestId('login-button').click();
      await page.locator(`[data-testid=room-row][data-room=${room}]`).waitFor();
      assert.deepEqual(await seriousViolations(page), [], 'the overview');
      await page.getByTestId('drain-button').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
      assert.deepEqual(await seriousViolations(page), [], 'the confirmation');
      await page.getByTestId('confirm-cancel').click();
      await page.locator(`[data-room=${room}]`).getByTestId('room-link').click();
      await page.getByTestId('room-message').filter({ hasText: 'hello console' }).waitFor();
      assert.deepEqual(await seriousViolations(page), [], 'the room page');
      await page.getByTestId('nav-lists').click();
      await page.getByTestId('blocked-terms').waitFor({ state: 'visible' });
      assert.deepEqual(await seriousViolations(page), [], 'the lists');
      // Nothing wider than the screen: the page scrolls only down (the rooms table scrolls in its own box).
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 0, `${overflow} px wider than the screen`);
      if (viewport.width === 390) {
        await page.goto(consoleUrl);
        await page.locator(`[data-testid=room-row][data-room=${room}]`).waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, 'admin-phone.png'), fullPage: true });
      }
      client.close();
      await page.close();
    });
  }
});
