/**
 * A ban reaches every other client of a room exactly once, whoever made it (a
 * moderator in-band, the admin API for one room or for every room), and later
 * cache pushes (a refresh, a changed term list) announce it no more; the banned
 * user's rejoin is refused with 4003, and the ban is in the bans table and the
 * moderation log together. An admin ban also holds through a store outage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultyStore } from '../helpers/faulty-store.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

const joinAs = async (port: number, sub: string, role = 'viewer', room?: string) =>
  (
    await TestClient.join(port, {
      token: await token(room === undefined ? { sub, name: sub, role } : { sub, name: sub, role, room }),
    })
  ).client;

const bansOf = (client: TestClient, user: string) =>
  client.frames.filter((f: Frame) => f.type === 'ban' && f.user === user).length;

let sentinels = 0;

/**
 * A refresh from the store, then a push nothing to do with bans (a new term
 * list), seen to take effect in the room; then a message every watcher has
 * received, so every frame a push could have caused has arrived before it.
 */
async function pushTwiceAndSettle(t: TestServer, speaker: TestClient, watchers: TestClient[]): Promise<void> {
  assert.equal((await t.adminFetch('/cache/refresh', { method: 'POST' })).status, 200);
  const term = `zorp${++sentinels}`;
  const put = await t.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ terms: [term] }) });
  assert.equal(put.status, 200);
  const ref = `term-${sentinels}`;
  speaker.send({ type: 'message', text: `say ${term}`, ref });
  assert.equal((await speaker.next('error', (f) => f.ref === ref)).code, 'BLOCKED_TERM', 'the push reached the room');
  const text = `sentinel ${sentinels}`;
  speaker.send({ type: 'message', text, ref: `s-${sentinels}` });
  await Promise.all(watchers.map((w) => w.next('message', (f) => f.text === text)));
}

async function rejoinCode(port: number, user: string): Promise<number> {
  const back = await TestClient.connect(port);
  back.send({ type: 'join', token: await token({ sub: user, name: user }) });
  return (await closeOf(back)).code;
}

describe('a ban reaches every other client once', async () => {
  const t = await startTestServer({ AUTH_SECRET, MAX_ROOMS: '10', RATE_LIMIT_MESSAGES: '1000' });

  it('by a moderator in-band: once on every other client, through a refresh and a push; rejoin refused', async () => {
    const port = await t.createRoom('onceband');
    const mod = await joinAs(port, 'mo', 'mod', 'onceband');
    const watchers = [await joinAs(port, 'w1'), await joinAs(port, 'w2'), await joinAs(port, 'w3')];
    const pest = await joinAs(port, 'pest');
    mod.send({ type: 'ban', user: 'pest', reason: 'spam' });
    assert.equal((await closeOf(pest)).code, 4003);
    await Promise.all(watchers.map((w) => w.next('ban', (f) => f.user === 'pest')));
    await pushTwiceAndSettle(t, mod, watchers);
    assert.deepEqual(
      watchers.map((w) => bansOf(w, 'pest')),
      [1, 1, 1],
    );
    assert.equal(bansOf(mod, 'pest'), 1);
    assert.equal(await rejoinCode(port, 'pest'), 4003);

    const bans = await t.server.data.store.bans(Date.now());
    assert.deepEqual(
      bans.filter((b) => b.user === 'pest').map((b) => [b.room, b.by]),
      [['onceband', 'mo']],
    );
    const log = await t.server.data.store.moderation('onceband', { limit: 10 });
    assert.deepEqual(
      log.filter((e) => e.action === 'ban').map((e) => [e.target, e.by.id]),
      [['pest', 'mo']],
    );
    for (const c of [mod, ...watchers]) c.close();
  });

  it('by the admin API for one room: once on every other client, through a refresh and a push; rejoin refused', async () => {
    const port = await t.createRoom('onceadmin');
    const watchers = [await joinAs(port, 'v1'), await joinAs(port, 'v2'), await joinAs(port, 'v3')];
    const troll = await joinAs(port, 'troll');
    const res = await t.adminFetch('/bans', {
      method: 'POST',
      body: JSON.stringify({ user: 'troll', room: 'onceadmin', reason: 'trolling' }),
    });
    assert.equal(res.status, 201);
    assert.equal((await closeOf(troll)).code, 4003);
    await Promise.all(watchers.map((w) => w.next('ban', (f) => f.user === 'troll')));
    await pushTwiceAndSettle(t, watchers[0]!, watchers);
    assert.deepEqual(
      watchers.map((w) => bansOf(w, 'troll')),
      [1, 1, 1],
    );
    assert.equal(await rejoinCode(port, 'troll'), 4003);

    const bans = await t.server.data.store.bans(Date.now());
    assert.deepEqual(
      bans.filter((b) => b.user === 'troll').map((b) => [b.room, b.by]),
      [['onceadmin', 'admin']],
    );
    const log = await t.server.data.store.moderation('onceadmin', { limit: 10 });
    assert.deepEqual(
      log.filter((e) => e.target === 'troll').map((e) => e.action),
      ['ban'],
    );
    for (const c of watchers) c.close();
  });

  it('by the admin API for every room: once on every other client of each room; logged under room "*"', async () => {
    const ports = [await t.createRoom('globone'), await t.createRoom('globtwo')];
    const rooms = await Promise.all(
      ports.map(async (port) => ({
        port,
        watchers: [await joinAs(port, 'x1'), await joinAs(port, 'x2')],
        target: await joinAs(port, 'roamer'),
      })),
    );
    const res = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify({ user: 'roamer' }) });
    assert.equal(res.status, 201);
    for (const room of rooms) {
      assert.equal((await closeOf(room.target)).code, 4003);
      await Promise.all(room.watchers.map((w) => w.next('ban', (f) => f.user === 'roamer')));
    }
    for (const room of rooms) await pushTwiceAndSettle(t, room.watchers[0]!, room.watchers);
    for (const room of rooms) {
      assert.deepEqual(
        room.watchers.map((w) => bansOf(w, 'roamer')),
        [1, 1],
      );
      assert.equal(await rejoinCode(room.port, 'roamer'), 4003);
    }
    const bans = await t.server.data.store.bans(Date.now());
    assert.deepEqual(
      bans.filter((b) => b.user === 'roamer').map((b) => b.room),
      [null],
    );
    const log = await t.server.data.store.moderation('*', { limit: 10 });
    assert.deepEqual(
      log.filter((e) => e.target === 'roamer').map((e) => e.action),
      ['ban'],
    );
    for (const room of rooms) for (const c of room.watchers) c.close();
  });
});

describe('an admin ban through a store outage', () => {
  it('holds while the store fails and after it is back, announced once', async () => {
    let store: FaultyStore | undefined;
    const t = await startTestServer(
      { AUTH_SECRET, RATE_LIMIT_MESSAGES: '1000' },
      { wrapStore: (inner) => (store = new FaultyStore(inner)) },
    );
    const port = await t.createRoom('outageban');
    const watchers = [await joinAs(port, 'o1'), await joinAs(port, 'o2')];
    const target = await joinAs(port, 'gone');
    const res = await t.adminFetch('/bans', {
      method: 'POST',
      body: JSON.stringify({ user: 'gone', room: 'outageban' }),
    });
    assert.equal(res.status, 201);
    assert.equal((await closeOf(target)).code, 4003);

    store!.failing = true;
    // A refresh the store cannot answer keeps what the cache holds.
    assert.notEqual((await t.adminFetch('/cache/refresh', { method: 'POST' })).status, 200);
    assert.equal(await rejoinCode(port, 'gone'), 4003, 'kept out while the store fails');

    store!.failing = false;
    await eventually(
      'a refresh the store answers',
      async () => (await t.adminFetch('/cache/refresh', { method: 'POST' })).status === 200,
    );
    await pushTwiceAndSettle(t, watchers[0]!, watchers);
    assert.deepEqual(
      watchers.map((w) => bansOf(w, 'gone')),
      [1, 1],
    );
    assert.equal(await rejoinCode(port, 'gone'), 4003, 'kept out after the store is back');
    const bans = await store!.inner.bans(Date.now());
    assert.deepEqual(
      bans.map((b) => [b.user, b.room]),
      [['gone', 'outageban']],
    );
    const log = await store!.inner.moderation('outageban', { limit: 10 });
    assert.deepEqual(
      log.map((e) => [e.action, e.target]),
      [['ban', 'gone']],
    );
    for (const c of watchers) c.close();
  });
});
