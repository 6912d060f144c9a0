import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { RawSocket } from '../helpers/raw-ws.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const misbehaving = new URL('../fixtures/misbehaving-worker.js', import.meta.url);
const unbootable = new URL('../fixtures/unbootable-worker.js', import.meta.url);

describe('room creation under concurrency', () => {
  it('gives 20 concurrent creates of one name one room and the same port', async () => {
    const t = await startTestServer({ MAX_ROOMS: '3' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.publicFetch('/room/samename', { method: 'POST' })),
    );
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ data: { port: number } }>;
    const ports = new Set(bodies.map((b) => b.data.port));
    assert.equal(ports.size, 1);
    assert.ok([...ports][0]! > 0);
    assert.deepEqual(answers.map((r) => r.status).sort(), [...Array<number>(19).fill(200), 201]);
    assert.equal(t.server.rooms.roomCount, 1);
  });

  it('creates exactly MAX_ROOMS rooms from concurrent creates of different names, and 503s the rest', async () => {
    const t = await startTestServer({ MAX_ROOMS: '3' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.publicFetch(`/room/many${i}`, { method: 'POST' })),
    );
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 3);
    assert.equal(statuses.filter((s) => s === 503).length, 5);
    for (const res of answers.filter((r) => r.status === 503)) {
      assert.ok(res.headers.get('retry-after'));
      assert.deepEqual(await res.json(), {
        error: {
          code: 'UNAVAILABLE',
          message: 'No more rooms can be created: MAX_ROOMS=3 rooms are open; retry later, or raise MAX_ROOMS',
        },
      });
    }
    const created = await Promise.all(answers.filter((r) => r.status === 201).map((r) => r.json()));
    const ports = new Set((created as Array<{ data: { port: number } }>).map((b) => b.data.port));
    assert.equal(ports.size, 3, 'each room has its own port');
  });
});

describe('closing and re-creating a room', () => {
  it('opens the new room only after the old one of the same name has closed', async () => {
    const t = await startTestServer({ MAX_ROOMS: '2' });
    const first = await t.createRoom('again');
    const { client } = await TestClient.join(first, { name: 'Old' });
    client.send({ type: 'message', text: 'before' });
    await client.next('message');
    // A client that never answers the close keeps the old room closing for a while.
    const silent = await RawSocket.open(first);
    silent.text(JSON.stringify({ type: 'join' }));
    await eventually('the silent client joined', () => silent.received.includes('welcome'));
    silent.socket.pause();
    const closing = t.adminFetch('/room/again/shutdown', { method: 'DELETE' });
    const order: string[] = [];
    t.server.rooms.on('roomClosed', (name) => order.push(`closed ${name}`));
    t.server.rooms.on('roomOpened', (name) => order.push(`opened ${name}`));
    await closing;
    const second = await t.createRoom('again');
    assert.deepEqual(order, ['closed again', 'opened again']);
    const { client: fresh, welcome } = await TestClient.join(second, { name: 'New' });
    assert.deepEqual(
      (welcome.history as Array<{ text: string }>).map((m) => m.text),
      ['before'],
      'the new room continues the old one',
    );
    fresh.close();
    silent.destroy();
  });
});

describe('a room that dies', () => {
  for (const [how, text, env] of [
    ['throws', 'fixture:throw', {}],
    ['exits', 'fixture:exit', {}],
    ['hangs', 'fixture:hang', { ROOM_LIVENESS_INTERVAL_MS: '100', ROOM_LIVENESS_TIMEOUT_MS: '300' }],
  ] as const) {
    it(`is cleaned up when its worker ${how}, its slot is reused, and another room keeps chatting`, async () => {
      const t = await startTestServer({ MAX_ROOMS: '2', ...env }, { roomWorkerFile: misbehaving });
      const doomedPort = await t.createRoom('doomed');
      const livePort = await t.createRoom('alive');
      const { client: doomedClient } = await TestClient.join(doomedPort, { name: 'Gone' });
      const { client: a } = await TestClient.join(livePort, { name: 'Ann' });
      const { client: b } = await TestClient.join(livePort, { name: 'Ben' });
      assert.equal((await t.publicFetch('/room/third', { method: 'POST' })).status, 503, 'slots are full');

      void t.adminFetch('/broadcast', { method: 'POST', body: JSON.stringify({ text, rooms: ['doomed'] }) });
      // While the doomed room dies, the other room goes on.
      a.send({ type: 'message', text: 'during' });
      assert.equal((await b.next('message', (f) => f.text === 'during')).text, 'during');
      await eventually(
        'doomed room cleanup',
        async () => (await t.publicFetch('/room/doomed', { key: null })).status === 404,
      );
      await doomedClient.closed;

      const reused = await t.publicFetch('/room/third', { method: 'POST' });
      assert.equal(reused.status, 201, 'the freed slot takes a new room');
      b.send({ type: 'message', text: 'after' });
      assert.equal((await a.next('message', (f) => f.text === 'after')).text, 'after');
      assert.equal((await t.publicFetch('/health', { key: null })).status, 200, 'the master is fine');
      a.close();
      b.close();
    });
  }

  it('fails a create whose worker cannot boot with a JSON 500, frees the slot, and keeps serving', async () => {
    const t = await startTestServer({ MAX_ROOMS: '1', ROOM_WARM_WORKERS: '0' }, { roomWorkerFile: unbootable });
    const res = await t.publicFetch('/room/broken', { method: 'POST' });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'INTERNAL');
    assert.doesNotMatch(body.error.message, /at .*\.js/);
    assert.equal(t.server.rooms.roomCount, 0);
    assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
  });
});
