/**
 * A store that fails or hangs under a running server: what is acknowledged is
 * stored once it is back, /load says what is wrong, admin changes the store did
 * not take are refused with nothing applied, and a moderator's ban made during
 * the outage is in the bans table and the moderation log together afterwards,
 * and holds through every refresh.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WriteBatch } from '../../src/store/store.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

type Json = { data: Record<string, unknown> };

/** Also fails batch writes alone (reads answer) while `failWrites` is set: the store half down. */
class WriteFaultStore extends FaultyStore {
  failWrites = false;
  override writeBatch = async (batch: WriteBatch) => {
    if (this.failing || this.failWrites) throw new Error('injected store fault');
    if (this.hanging) return new Promise<void>(() => undefined);
    await this.inner.writeBatch(batch);
  };
}

async function storeState(t: TestServer): Promise<Record<string, unknown>> {
  const load = (await (await t.adminFetch('/load')).json()) as Json;
  return load.data.store as Record<string, unknown>;
}

async function startFaulty(env: Record<string, string> = {}): Promise<{ t: TestServer; store: WriteFaultStore }> {
  let store: WriteFaultStore | undefined;
  const t = await startTestServer(
    { RATE_LIMIT_MESSAGES: '1000', AUTH_SECRET, ALLOW_GUESTS: 'on', ...env },
    { wrapStore: (inner) => (store = new WriteFaultStore(inner)) },
  );
  return { t, store: store! };
}

const answered = (client: TestClient, ref: string) =>
  client.frames.some((f) => (f.type === 'ack' || f.type === 'error') && f.ref === ref);

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

describe('store faults', () => {
  it('stores every message acknowledged during an outage once it is back, and says so in /load', async () => {
    const { t, store } = await startFaulty();
    const port = await t.createRoom('outage');
    const { client } = await TestClient.join(port, { name: 'Ann' });
    store.failing = true;
    for (let i = 1; i <= 10; i++) client.send({ type: 'message', text: `during ${i}`, ref: `d${i}` });
    await eventually('store reported down', async () => (await storeState(t)).state === 'down');
    const down = await storeState(t);
    assert.equal(down.lastError, 'injected store fault');
    assert.equal(down.writable, false);

    // The cache keeps its last good copy; an asked-for refresh says the store is not answering.
    assert.equal((await t.adminFetch('/cache/refresh', { method: 'POST' })).status, 503);
    const terms = await json(await t.adminFetch('/blocked-terms'));
    assert.ok((terms.data.terms as string[]).length > 0);
    assert.equal((await t.adminFetch('/room/outage/messages')).status, 503);

    // A room can be opened and joined during the outage; once the store is back it takes messages.
    const other = await t.createRoom('opened-during-outage');
    const { client: second } = await TestClient.join(other, { name: 'Bo' });

    store.failing = false;
    await eventually('store back up and queue written', async () => {
      const s = await storeState(t);
      return s.state === 'up' && s.queued === 0 && s.writable === true;
    });
    for (let i = 1; i <= 10; i++) await eventually(`d${i} answered`, () => answered(client, `d${i}`), 5_000);
    const acked = client.frames.filter((f) => f.type === 'ack').map((f) => `during ${String(f.ref).slice(1)}`);
    const refused = client.frames.filter((f) => f.type === 'error' && /^d\d+$/.test(String(f.ref)));
    assert.equal(acked.length + refused.length, 10, 'each message during the outage is acked or refused');
    assert.ok(acked.length > 0, 'some were acked (held until the store came back)');
    for (const f of refused) assert.equal(f.code, 'UNAVAILABLE', JSON.stringify(f));
    const stored = await json(await t.adminFetch('/room/outage/messages'));
    const texts = (stored.data.messages as Array<{ text: string }>).map((m) => m.text).reverse();
    assert.deepEqual(texts, acked, 'every acknowledged message, once, in order; nothing else');
    assert.equal((await storeState(t)).dropped, 0);

    second.send({ type: 'message', text: 'after the outage', ref: 'a' });
    assert.equal((await second.next('ack', (f) => f.ref === 'a')).ref, 'a');
    client.close();
    second.close();
  });

  it('counts the records it drops once the queue bound is reached', async () => {
    const { t, store } = await startFaulty({ TRANSCRIPT_QUEUE_LIMIT: '5' });
    await t.createRoom('overflow');
    store.failing = true;
    // Admin kicks are logged whoever is there: eight records for a queue of five.
    for (let i = 1; i <= 8; i++) {
      const res = await t.adminFetch('/room/overflow/kick', {
        method: 'POST',
        body: JSON.stringify({ user: `u${i}` }),
      });
      assert.equal(res.status, 200);
    }
    await eventually('drops counted', async () => (await storeState(t)).dropped === 3);
    assert.equal((await storeState(t)).queued, 5);
    store.failing = false;
    await eventually('queue written', async () => (await storeState(t)).queued === 0);
  });

  it('keeps a moderator’s ban made while the store fails: stored with its log entry, and kept out after refreshes', async () => {
    const { t, store } = await startFaulty();
    const port = await t.createRoom('modban');
    const { client: mod } = await TestClient.join(port, {
      token: await token({ sub: 'mo', name: 'Mo', role: 'mod', room: 'modban' }),
    });
    store.failWrites = true;
    mod.send({ type: 'ban', user: 'pest', reason: 'spam' });
    await mod.next('ban');
    await eventually('store reported down', async () => (await storeState(t)).state === 'down');
    // Reads answer while writes fail: a refresh must not let pest back in before the ban is stored.
    assert.equal((await t.adminFetch('/cache/refresh', { method: 'POST' })).status, 200);
    const tryJoin = async () => {
      const pest = await TestClient.connect(port);
      pest.send({ type: 'join', token: await token({ sub: 'pest', name: 'Pest' }) });
      return (await closeOf(pest)).code;
    };
    assert.equal(await tryJoin(), 4003, 'kept out after a refresh during the outage');
    const listed = await json(await t.adminFetch('/bans?room=modban'));
    assert.deepEqual(
      (listed.data.bans as Array<{ user: string }>).map((b) => b.user),
      ['pest'],
      'listed while queued',
    );

    store.failWrites = false;
    await eventually('queue written', async () => (await storeState(t)).queued === 0);
    const bans = await store.inner.bans(Date.now());
    assert.deepEqual(
      bans.map((b) => [b.user, b.room, b.by]),
      [['pest', 'modban', 'mo']],
      'in the bans table',
    );
    const log = await store.inner.moderation('modban', { limit: 10 });
    assert.deepEqual(
      log.map((e) => [e.action, e.target]),
      [['ban', 'pest']],
      'and in the moderation log',
    );
    assert.equal((await t.adminFetch('/cache/refresh', { method: 'POST' })).status, 200);
    assert.equal(await tryJoin(), 4003, 'kept out after a refresh from the store');
    mod.close();
  });

  it('answers 503 to an admin ban the store did not take, and applies none of it', async () => {
    const { t, store } = await startFaulty();
    const port = await t.createRoom('adminban');
    store.failing = true;
    const res = await t.adminFetch('/bans', {
      method: 'POST',
      body: JSON.stringify({ user: 'x', room: 'adminban', reason: 'r' }),
    });
    assert.equal(res.status, 503);
    const global = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify({ user: 'x' }) });
    assert.equal(global.status, 503);
    store.failing = false;
    assert.deepEqual(await store.inner.bans(Date.now()), []);
    assert.deepEqual(await store.inner.moderation('adminban', { limit: 10 }), []);
    assert.deepEqual(await store.inner.moderation('*', { limit: 10 }), []);
    const { client, welcome } = await TestClient.join(port, { token: await token({ sub: 'x', name: 'X' }) });
    assert.equal((welcome as Frame).type, 'welcome', 'x may still join');
    client.close();
  });

  it('does not let a hanging store hold later changes or the stop past its deadline', async () => {
    const { t, store } = await startFaulty({ SHUTDOWN_TIMEOUT_MS: '2000' });
    const port = await t.createRoom('hung');
    const { client } = await TestClient.join(port, { name: 'Ann' });
    store.hanging = true;
    const stuck = await t.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ terms: ['first'] }) });
    assert.equal(stuck.status, 503, 'a store call that never answers is given up');
    store.hanging = false;
    const next = await t.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ terms: ['second'] }) });
    assert.equal(next.status, 200, 'the change queued behind it goes through');

    store.hanging = true;
    client.send({ type: 'message', text: 'never stored' });
    await client.next('message');
    assert.equal(await t.server.stop(0, 'test'), 0, 'the stop ends although the last batch hangs');
  });
});
