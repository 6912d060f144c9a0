/**
 * Admin calls' paths not covered by admin-api.test.ts and admin-data.test.ts:
 * what the admin listener does not serve, rooms that stop answering, repeated
 * drains and resumes, and the refusals of the data calls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';

type Answer = { data?: Record<string, unknown>; error?: { code: string; message: string } };

const misbehaving = new URL('../fixtures/misbehaving-worker.js', import.meta.url);

describe('admin calls: more success and failure paths', async () => {
  const t = await startTestServer({ MAX_ROOMS: '3' });

  it('answers an unknown path with a JSON 404 even with the right key, and serves no public call', async () => {
    const root = t.admin.replace(/\/api\/v1$/, '');
    const cases: Array<[string, string]> = [
      ['GET', `${t.admin}/no-such-call`],
      ['GET', `${t.admin}/health`],
      ['POST', `${t.admin}/room/not-created-here`],
      ['GET', `${root}/app/`],
      ['GET', `${root}/`],
    ];
    for (const [method, url] of cases) {
      const res = await fetch(url, { method, headers: { 'X-API-Key': 'test-admin-key' } });
      assert.equal(res.status, 404, `${method} ${url}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(((await res.json()) as Answer).error?.code, 'NOT_FOUND');
    }
    assert.equal(t.server.rooms.roomCount, 0, 'no room was created through the admin port');
  });

  it('lists no rooms as an empty list', async () => {
    const res = await t.adminFetch('/rooms');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: [] });
  });

  it('takes repeated drains and resumes, answering the same state each time', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.adminFetch('/drain', { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as Answer).data?.acceptingConnections, false);
    }
    const health = await t.publicFetch('/health', { key: null });
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { data: { status: 'draining' } });
    for (let i = 0; i < 2; i++) {
      const res = await t.adminFetch('/resume', { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as Answer).data?.acceptingConnections, true);
    }
    assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
  });

  it('refuses a body that is not JSON with a 400 naming the field', async () => {
    const res = await t.adminFetch('/broadcast', {
      method: 'POST',
      body: 'text=hello',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as Answer;
    assert.equal(body.error?.code, 'BAD_REQUEST');
    assert.match(body.error?.message ?? '', /text/);
  });

  it('refuses bad room names and parameters of the data calls with a 400', async () => {
    for (const path of ['/room/.hidden/messages', '/room/.hidden/moderation', '/bans?room=..x']) {
      const res = await t.adminFetch(path);
      assert.equal(res.status, 400, path);
      assert.equal(((await res.json()) as Answer).error?.code, 'BAD_REQUEST');
    }
    const terms = await t.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ words: ['x'] }) });
    assert.equal(terms.status, 400);
    assert.match(((await terms.json()) as Answer).error?.message ?? '', /terms/);
  });

  it('answers 404 for lifting a global ban nobody has, saying where it looked', async () => {
    const res = await t.adminFetch('/bans/nobody-banned', { method: 'DELETE' });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as Answer).error?.message ?? '', /not banned globally/);
  });

  it('answers an empty transcript and moderation log for a room that never spoke', async () => {
    const messages = (await (await t.adminFetch('/room/quiet/messages')).json()) as Answer;
    assert.deepEqual(messages.data, { room: 'quiet', messages: [], next: null });
    const moderation = (await (await t.adminFetch('/room/quiet/moderation')).json()) as Answer;
    assert.deepEqual(moderation.data, { room: 'quiet', entries: [], next: null });
  });
});

describe('admin calls about a room that stopped answering', () => {
  it('broadcasts without it, answers 503 for it and leaves it out of /rooms, while other rooms are listed', async () => {
    // Liveness checks far apart, so the hung room is not cleaned up during the test.
    const t = await startTestServer(
      {
        MAX_ROOMS: '2',
        ROOM_LIVENESS_INTERVAL_MS: '60000',
        ROOM_LIVENESS_TIMEOUT_MS: '60000',
        // The hung room never answers its close: the stop after the test cuts it short.
        SHUTDOWN_TIMEOUT_MS: '1000',
      },
      { roomWorkerFile: misbehaving },
    );
    await t.createRoom('stuck');
    await t.createRoom('fine');
    // The broadcast hangs the room; it is answered without that room once the room's time is up.
    const broadcast = await t.adminFetch('/broadcast', {
      method: 'POST',
      body: JSON.stringify({ text: 'fixture:hang', rooms: ['stuck'] }),
    });
    assert.equal(broadcast.status, 200);
    assert.deepEqual(await broadcast.json(), { data: { rooms: 0, delivered: 0 } });
    const [one, all] = await Promise.all([t.adminFetch('/room/stuck'), t.adminFetch('/rooms')]);
    assert.equal(one.status, 503);
    const body = (await one.json()) as Answer;
    assert.equal(body.error?.code, 'UNAVAILABLE');
    assert.match(body.error?.message ?? '', /stuck did not answer/);
    const names = ((await all.json()) as { data: Array<{ name: string }> }).data.map((r) => r.name);
    assert.deepEqual(names, ['fine']);
  });
});
