/**
 * The probes on the admin listener: live answers while the process does; ready
 * is 200 only while the server accepts rooms and the store answers, and 503
 * naming the failing checks otherwise. Both need no key from loopback or from
 * ADMIN_ALLOWED_IPS, and the key from anyone else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultyStore } from '../helpers/faulty-store.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}
type Ready = { data: { status: string; checks: Check[] } };
type NotReady = { error: { code: string; message: string; checks: Check[] } };

const probe = async (t: TestServer, path: string, init: { key?: string | null; from?: string } = {}) => {
  const res = await t.adminFetch(path, {
    key: init.key === undefined ? null : init.key,
    headers: init.from === undefined ? {} : { 'X-Forwarded-For': init.from },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
};

describe('health probes', async () => {
  let store: FaultyStore | undefined;
  const t = await startTestServer({}, { wrapStore: (inner) => (store = new FaultyStore(inner)) });

  it('answers live with 200, without a key from loopback', async () => {
    const live = await probe(t, '/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { data: { status: 'live' } });
    assert.equal(live.headers.get('cache-control'), 'no-store');
  });

  it('answers ready with 200 and every check when the store answers and rooms are accepted', async () => {
    const ready = await probe(t, '/health/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    const { data } = ready.body as Ready;
    assert.equal(data.status, 'ready');
    assert.deepEqual(
      data.checks.map((c) => [c.name, c.ok]),
      [
        ['store', true],
        ['accepting', true],
      ],
    );
  });

  it('answers 503 naming the store while the store hangs, and 200 again once it answers', async () => {
    assert.ok(store);
    store.hanging = true;
    try {
      const ready = await probe(t, '/health/ready');
      assert.equal(ready.status, 503);
      const { error } = ready.body as NotReady;
      assert.equal(error.code, 'UNAVAILABLE');
      assert.match(error.message, /^Not ready: store: no answer in \d+ ms$/);
      const failing = error.checks.filter((c) => !c.ok);
      assert.deepEqual(
        failing.map((c) => c.name),
        ['store'],
      );
      assert.match(failing[0]!.detail ?? '', /no answer in \d+ ms/);
      assert.ok(error.checks.some((c) => c.name === 'accepting' && c.ok));
    } finally {
      store.hanging = false;
    }
    assert.equal((await probe(t, '/health/ready')).status, 200);
  });

  it('answers 503 naming the store while the store fails, with its error', async () => {
    assert.ok(store);
    store.failing = true;
    try {
      const ready = await probe(t, '/health/ready');
      assert.equal(ready.status, 503);
      assert.match((ready.body as NotReady).error.message, /^Not ready: store: injected store fault$/);
    } finally {
      store.failing = false;
    }
    assert.equal((await probe(t, '/health/ready')).status, 200);
  });

  it('answers 503 naming "accepting" while draining, while live stays 200; 200 again after resume', async () => {
    assert.equal((await t.adminFetch('/drain', { method: 'POST' })).status, 200);
    try {
      const ready = await probe(t, '/health/ready');
      assert.equal(ready.status, 503);
      const { error } = ready.body as NotReady;
      assert.match(error.message, /^Not ready: accepting: draining/);
      assert.deepEqual(
        error.checks.filter((c) => !c.ok).map((c) => c.name),
        ['accepting'],
      );
      assert.equal((await probe(t, '/health/live')).status, 200);
    } finally {
      assert.equal((await t.adminFetch('/resume', { method: 'POST' })).status, 200);
    }
    assert.equal((await probe(t, '/health/ready')).status, 200);
  });

  it('lets other parts of the server add their checks', async () => {
    let up = false;
    t.server.readiness.add('spec-check', () => (up ? { ok: true } : { ok: false, detail: 'not yet' }));
    const down = await probe(t, '/health/ready');
    assert.equal(down.status, 503);
    assert.equal((down.body as NotReady).error.message, 'Not ready: spec-check: not yet');
    up = true;
    assert.equal((await probe(t, '/health/ready')).status, 200);
  });
});

describe('who may probe without the admin key', async () => {
  it('asks another address for the key when ADMIN_ALLOWED_IPS is not set', async () => {
    const t = await startTestServer({ TRUSTED_PROXIES: '127.0.0.1' });
    for (const path of ['/health/live', '/health/ready']) {
      const refused = await probe(t, path, { from: '203.0.113.7' });
      assert.equal(refused.status, 401, path);
      assert.equal((refused.body as NotReady).error.code, 'UNAUTHORIZED');
      assert.equal((await probe(t, path, { from: '203.0.113.7', key: ADMIN_KEY })).status, 200, path);
      assert.equal((await probe(t, path, { from: '203.0.113.7', key: 'wrong' })).status, 401, path);
    }
    await t.stop();
  });

  it('needs no key from ADMIN_ALLOWED_IPS or loopback, and refuses other addresses with 403', async () => {
    const t = await startTestServer({ TRUSTED_PROXIES: '127.0.0.1', ADMIN_ALLOWED_IPS: '203.0.113.0/24' });
    assert.equal((await probe(t, '/health/ready', { from: '203.0.113.9' })).status, 200);
    // Loopback probes even when the list leaves it out (the rest of the admin API does not answer it).
    assert.equal((await probe(t, '/health/ready')).status, 200);
    assert.equal((await t.adminFetch('/load')).status, 403);
    const outside = await probe(t, '/health/live', { from: '198.51.100.1', key: ADMIN_KEY });
    assert.equal(outside.status, 403);
    assert.match((outside.body as NotReady).error.message, /198\.51\.100\.1 may not use the admin API/);
    // The key is still required by everything else, from an allowed address too.
    assert.equal(
      (await t.adminFetch('/load', { key: null, headers: { 'X-Forwarded-For': '203.0.113.9' } })).status,
      401,
    );
    await t.stop();
  });
});
