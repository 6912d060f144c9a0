import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultyStore } from '../helpers/faulty-store.js';
import { until } from '../helpers/wait.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

type Json = { data: Record<string, unknown> };

async function storeState(t: TestServer): Promise<Record<string, unknown>> {
  const load = (await (await t.adminFetch('/load')).json()) as Json;
  return load.data.store as Record<string, unknown>;
}

async function startFaulty(env: Record<string, string> = {}): Promise<{ t: TestServer; store: FaultyStore }> {
  let store: FaultyStore | undefined;
  const t = await startTestServer(
    { RATE_LIMIT_MESSAGES: '1000', ...env },
    { wrapStore: (inner) => (store = new FaultyStore(inner)) },
  );
  return { t, store: store! };
}

describe('store faults', () => {
  it('keeps chatting while the store fails, says so in /load, and writes everything once it is back', async () => {
    const { t, store } = await startFaulty();
    const port = await t.createRoom('outage');
    const { client } = await TestClient.join(port, { name: 'Ann' });
    store.failing = true;
    for (let i = 1; i <= 10; i++) client.send({ type: 'message', text: `during ${i}`, ref: `d${i}` });
    for (let i = 1; i <= 10; i++) assert.equal((await client.next('message')).text, `during ${i}`);
    await until(async () => (await storeState(t)).state === 'down', 'store reported down', 200);
    const down = await storeState(t);
    assert.equal(down.lastError, 'injected store fault');
    assert.equal(down.queued, 10);

    // The cache keeps its last good copy; an asked-for refresh says the store is not answering.
    const refresh = await t.adminFetch('/cache/refresh', { method: 'POST' });
    assert.equal(refresh.status, 503);
    const terms = (await (await t.adminFetch('/blocked-terms')).json()) as Json;
    assert.ok((terms.data.terms as string[]).length > 0);
    assert.equal((await t.adminFetch('/room/outage/messages')).status, 503);
    const ban = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify({ user: 'x' }) });
    assert.equal(ban.status, 503);

    // A room opened during the outage works too.
    const other = await t.createRoom('opened-during-outage');
    const { client: second } = await TestClient.join(other, { name: 'Bo' });
    second.send({ type: 'message', text: 'still fine' });
    assert.equal((await second.next('message')).text, 'still fine');

    store.failing = false;
    await until(
      async () => {
        const s = await storeState(t);
        return s.state === 'up' && s.queued === 0;
      },
      'store back up and queue written',
      200,
    );
    const stored = (await (await t.adminFetch('/room/outage/messages')).json()) as Json;
    const texts = (stored.data.messages as Array<{ text: string }>).map((m) => m.text).reverse();
    assert.deepEqual(
      texts,
      Array.from({ length: 10 }, (_, i) => `during ${i + 1}`),
    );
    assert.equal((await storeState(t)).dropped, 0);
    client.close();
    second.close();
  });

  it('counts the messages it drops once the queue bound is reached', async () => {
    const { t, store } = await startFaulty({ TRANSCRIPT_QUEUE_LIMIT: '5' });
    const port = await t.createRoom('overflow');
    const { client } = await TestClient.join(port, { name: 'Cy' });
    store.failing = true;
    for (let i = 1; i <= 8; i++) client.send({ type: 'message', text: `m${i}`, ref: `r${i}` });
    await client.next('ack', (f) => f.ref === 'r8');
    await until(async () => (await storeState(t)).dropped === 3, 'drops counted', 200);
    assert.equal((await storeState(t)).queued, 5);
    store.failing = false;
    await until(async () => (await storeState(t)).queued === 0, 'queue written', 200);
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
