import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_KEY, startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

type Body = { data: Record<string, unknown> & { message?: string }; error?: { code: string; message: string } };

describe('admin API', async () => {
  // Behind a "proxy" on loopback, so each refused call below can come from its own
  // address (X-Forwarded-For) and none of them reaches the wrong-key lock-out.
  const t = await startTestServer({ MAX_ROOMS: '10', TRUSTED_PROXIES: '127.0.0.1' });
  let caller = 0;
  const nextAddress = () => `198.51.100.${++caller}`;

  it('answers its name and version with the admin key', async () => {
    const res = await t.adminFetch('/');
    assert.deepEqual(await res.json(), { data: { app: 'Admin chatserver', version: '1.0.0' } });
  });

  it('refuses every call without the admin key, before any handler runs', async () => {
    const before = t.server.rooms.roomCount;
    const calls: Array<[string, string]> = [
      ['GET', '/'],
      ['GET', '/load'],
      ['GET', '/rooms'],
      ['GET', '/room/x'],
      ['DELETE', '/room/x/shutdown'],
      ['POST', '/broadcast'],
      ['POST', '/room/x/kick'],
      ['POST', '/drain'],
      ['POST', '/resume'],
      ['POST', '/restart'],
      ['DELETE', '/shutdown'],
      ['GET', '/no-such-admin-path'],
    ];
    for (const key of [null, 'wrong', 'test-key', `${ADMIN_KEY}x`]) {
      for (const [method, path] of calls) {
        const res = await t.adminFetch(path, { method, key, headers: { 'X-Forwarded-For': nextAddress() } });
        assert.equal(res.status, 401, `${method} ${path} with ${String(key)}`);
        assert.equal(((await res.json()) as Body).error?.code, 'UNAUTHORIZED');
      }
    }
    // Restart and shutdown without a key did nothing: the server still answers.
    assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
    assert.equal(t.server.rooms.roomCount, before);
  });

  it('reports load with the seed fields plus connections', async () => {
    await t.createRoom('loadroom');
    const { data } = (await (await t.adminFetch('/load')).json()) as Body;
    for (const field of [
      'loadAvg',
      'totalMemory',
      'freeMemory',
      'percentage',
      'cpus',
      'rooms',
      'capacity',
      'osUpTime',
      'upTime',
      'acceptingConnections',
      'connections',
    ])
      assert.ok(field in data, `missing ${field}`);
    assert.equal(data.cpus, 10);
    assert.ok(String(data.rooms).split(',').includes('loadroom'));
    assert.equal(data.capacity, 10 - String(data.rooms).split(',').length);
    assert.equal(data.acceptingConnections, true);
  });

  it('lists rooms with viewers, chatters, messages, heap and event-loop delay', async () => {
    const port = await t.createRoom('statsroom');
    const { client } = await TestClient.join(port, { name: 'Ann' });
    client.send({ type: 'message', text: 'hello' });
    await client.next('message');
    const list = (await (await t.adminFetch('/rooms')).json()) as { data: Array<Record<string, unknown>> };
    const entry = list.data.find((r) => r.name === 'statsroom');
    assert.ok(entry);
    assert.equal(entry.port, port);
    assert.equal(entry.viewers, 1);
    assert.equal(entry.chatters, 1);
    assert.equal(entry.messages, 1);
    assert.ok(typeof entry.heapUsedBytes === 'number' && entry.heapUsedBytes > 0);
    assert.ok(typeof (entry.eventLoopDelayMs as { p99: number }).p99 === 'number');
    assert.ok(!Number.isNaN(Date.parse(String(entry.createdAt))));
    const one = (await (await t.adminFetch('/room/statsroom')).json()) as Body;
    assert.equal(one.data.name, 'statsroom');
    assert.equal((await t.adminFetch('/room/nope')).status, 404);
    assert.equal((await t.adminFetch('/room/..bad')).status, 400);
    client.close();
  });

  it('broadcasts a system frame to all rooms or to the listed ones', async () => {
    const a = await t.createRoom('bca');
    const b = await t.createRoom('bcb');
    const { client: ca } = await TestClient.join(a);
    const { client: cb } = await TestClient.join(b);
    const res = await t.adminFetch('/broadcast', {
      method: 'POST',
      body: JSON.stringify({ text: 'Maintenance soon' }),
    });
    assert.equal(res.status, 200);
    assert.ok((((await res.json()) as Body).data.rooms as number) >= 2);
    for (const c of [ca, cb]) {
      const frame = await c.next('system');
      assert.equal(frame.text, 'Maintenance soon');
      assert.equal(typeof frame.ts, 'number');
    }
    const only = await t.adminFetch('/broadcast', {
      method: 'POST',
      body: JSON.stringify({ text: 'just a', rooms: ['bca'] }),
    });
    assert.deepEqual(((await only.json()) as Body).data, { rooms: 1, delivered: 1 });
    assert.equal((await ca.next('system')).text, 'just a');
    ca.close();
    cb.close();
  });

  it('refuses bad broadcast bodies with a message naming the field', async () => {
    const cases: Array<[string, RegExp, number]> = [
      ['{bad json', /not valid JSON/, 400],
      ['{}', /"text"/, 400],
      ['{"text":""}', /"text": must not be empty/, 400],
      ['{"text":5}', /"text"/, 400],
      ['{"text":"x","rooms":"all"}', /"rooms"/, 400],
      ['{"text":"x","extra":1}', /extra/, 400],
      ['[1,2]', /Invalid body/, 400],
      [JSON.stringify({ text: 'x'.repeat(110 * 1024) }), /larger than/, 413],
    ];
    for (const [raw, message, status] of cases) {
      const res = await t.adminFetch('/broadcast', { method: 'POST', body: raw });
      assert.equal(res.status, status, raw.slice(0, 40));
      const body = (await res.json()) as Body;
      assert.match(body.error!.message, message, raw.slice(0, 40));
    }
  });

  it('kicks every connection of a user with 4004', async () => {
    const port = await t.createRoom('kickroom');
    const { client: first, welcome } = await TestClient.join(port, { name: 'Bob' });
    const user = (welcome.you as { id: string }).id;
    const { client: bystander } = await TestClient.join(port, { name: 'Eve' });
    const res = await t.adminFetch('/room/kickroom/kick', {
      method: 'POST',
      body: JSON.stringify({ user, reason: 'spam' }),
    });
    assert.deepEqual(((await res.json()) as Body).data, { name: 'kickroom', user, closed: 1 });
    assert.deepEqual(await closeOf(first), { code: 4004, reason: 'spam' });
    bystander.send({ type: 'message', text: 'still here' });
    assert.equal((await bystander.next('message')).text, 'still here');
    assert.equal((await t.adminFetch('/room/nope/kick', { method: 'POST', body: '{"user":"u"}' })).status, 404);
    assert.equal((await t.adminFetch('/room/kickroom/kick', { method: 'POST', body: '{}' })).status, 400);
    bystander.close();
  });

  it('kicks with a reason longer than a close frame can carry, cutting the reason', async () => {
    const port = await t.createRoom('longkick');
    const { client, welcome } = await TestClient.join(port, { name: 'Wordy' });
    const user = (welcome.you as { id: string }).id;
    const reason = 'é'.repeat(300);
    const res = await t.adminFetch('/room/longkick/kick', { method: 'POST', body: JSON.stringify({ user, reason }) });
    assert.equal(res.status, 200);
    const closed = await closeOf(client);
    assert.equal(closed.code, 4004);
    assert.ok(Buffer.byteLength(closed.reason) <= 123 && closed.reason.startsWith('éé'));
  });

  it('shuts a room down (clients get 1001) and then says it is gone', async () => {
    const port = await t.createRoom('closeme');
    const { client } = await TestClient.join(port);
    const res = await t.adminFetch('/room/closeme/shutdown', { method: 'DELETE' });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { data: { name: 'closeme', message: 'Shutting down' } });
    assert.equal((await closeOf(client)).code, 1001);
    const again = await t.adminFetch('/room/closeme/shutdown', { method: 'DELETE' });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), {
      data: { name: 'closeme', message: "Either shutdown already or doesn't exist" },
    });
    assert.equal((await t.publicFetch('/room/closeme', { key: null })).status, 404);
  });

  it('drains (no new rooms, health 503, existing rooms keep going) and resumes', async () => {
    const port = await t.createRoom('drainroom');
    const { client } = await TestClient.join(port, { name: 'Dee' });
    assert.equal((await t.adminFetch('/drain', { method: 'POST' })).status, 200);
    const refused = await t.publicFetch('/room/newduringdrain', { method: 'POST' });
    assert.equal(refused.status, 503);
    assert.ok(refused.headers.get('retry-after'));
    assert.deepEqual(await refused.json(), {
      error: {
        code: 'UNAVAILABLE',
        message:
          'No more rooms can be created: the server is draining; POST /api/v1/resume on the admin API accepts rooms again',
      },
    });
    assert.equal((await t.publicFetch('/health', { key: null })).status, 503);
    const load = (await (await t.adminFetch('/load')).json()) as Body;
    assert.equal(load.data.acceptingConnections, false);
    client.send({ type: 'message', text: 'during drain' });
    assert.equal((await client.next('message')).text, 'during drain');
    assert.equal((await t.adminFetch('/resume', { method: 'POST' })).status, 200);
    assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
    client.close();
  });
});

describe("a room's settings in its stats", async () => {
  const t = await startTestServer({ AUTH_SECRET });

  it('reports what the welcome frame says, and a slow mode a host sets', async () => {
    const port = await t.createRoom('setroom');
    const { client, welcome } = await TestClient.join(port, {
      token: await token({ sub: 'h1', name: 'Hana', role: 'host', room: 'setroom' }),
    });
    const settingsOf = async () =>
      ((await (await t.adminFetch('/room/setroom')).json()) as { data: { settings: Record<string, unknown> } }).data
        .settings;
    assert.deepEqual(await settingsOf(), welcome.settings);
    assert.equal((await settingsOf()).slow, 0);
    client.send({ type: 'slow', seconds: 7 });
    await client.next('settings');
    const slowed = await eventually('slow mode in the stats', async () => {
      const settings = await settingsOf();
      return settings.slow === 7 ? settings : undefined;
    });
    assert.equal(slowed.maxMessageChars, (welcome.settings as { maxMessageChars: number }).maxMessageChars);
    client.close();
  });
});
