/**
 * The listing service hears of a room once however many servers hold a copy of
 * it: room.created from the first copy, room.closed from the last, and occupancy
 * as the whole room's viewers from one server. Real Redis, two server processes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDataDir } from '../helpers/data-dir.js';
import { recordingUrl, type Received } from '../helpers/fake-services.js';
import { type ChatServerProcess, spawnChatServer } from '../helpers/processes.js';
import { SKIP_CLUSTER, TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_CLUSTER;
if (skip) console.log(`# skipped: ${skip}`);

interface Event {
  type: string;
  room: string;
  host: string;
  viewers?: number;
}

function events(received: Received[], type: string, room: string): Event[] {
  return received.map((r) => JSON.parse(r.body) as Event).filter((e) => e.type === type && e.room === room);
}

// At the top level: a receiver made in a hook would be closed when that hook ends.
const hook = await recordingUrl();

describe('webhooks in cluster mode', { skip, timeout: 90_000 }, () => {
  let redis: TestRedis;
  let a: ChatServerProcess;
  let b: ChatServerProcess;

  before(async () => {
    redis = await TestRedis.start();
    const dataDir = freshDataDir();
    const env = {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      KEY,
      ADMIN_KEY,
      AUTH_SECRET,
      LISTING_WEBHOOK_URLS: hook.url,
      WEBHOOK_SECRET: 'webhook-secret',
    };
    [a, b] = await Promise.all([spawnChatServer(env, { offset: 110 }), spawnChatServer(env, { offset: 111 })]);
  });

  after(async () => {
    await Promise.allSettled([a, b].map((s) => s?.kill('SIGKILL')));
    await redis?.stop();
  });

  test('room.created once, occupancy as the room total from one server, room.closed once from the last copy', async () => {
    const [portA, portB] = await Promise.all([a.createRoom('hooked'), b.createRoom('hooked')]);
    await eventually('room.created', () => events(hook.received, 'room.created', 'hooked').length > 0, 10_000);

    const join = async (port: number, sub: string) =>
      (await TestClient.join(port, { token: await token({ sub, name: sub }) })).client;
    const clients = [await join(portA, 'ann'), await join(portA, 'ben'), await join(portB, 'cat')];
    await eventually(
      'an occupancy of the whole room',
      () => events(hook.received, 'room.occupancy', 'hooked').some((e) => e.viewers === 3),
      20_000,
    );
    const reporters = new Set(events(hook.received, 'room.occupancy', 'hooked').map((e) => e.host));
    assert.equal(reporters.size, 1, `occupancy came from ${[...reporters].join(', ')}`);
    assert.equal(events(hook.received, 'room.created', 'hooked').length, 1, 'room.created once for two copies');

    // B stops: its copy closes, but the room is still open on A.
    assert.equal(await b.stop(), 0);
    assert.equal(events(hook.received, 'room.closed', 'hooked').length, 0, 'no room.closed while A holds the room');

    const res = await a.adminFetch('/room/hooked/shutdown', { method: 'DELETE' });
    assert.equal(res.status, 202);
    await eventually('room.closed', () => events(hook.received, 'room.closed', 'hooked').length > 0, 10_000);
    assert.equal(await a.stop(), 0);
    assert.equal(events(hook.received, 'room.closed', 'hooked').length, 1, 'room.closed once');
    for (const c of clients) c.close();
  });
});
