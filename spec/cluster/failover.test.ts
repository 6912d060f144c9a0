/**
 * A server of a cluster killed (SIGKILL) while its room is busy: its viewers
 * reconnect to another server's copy and get exactly what they missed
 * (recovered:true), and the shared store holds every acked message once.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { freshDataDir } from '../helpers/data-dir.js';
import { type ChatServerProcess, spawnChatServer } from '../helpers/processes.js';
import { SKIP_CLUSTER, TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const skip = SKIP_CLUSTER;
if (skip) console.log(`# skipped: ${skip}`);

function ids(client: TestClient): number[] {
  return client.frames.filter((f) => f.type === 'message').map((f) => f.id as number);
}

describe('a cluster server killed under load', { skip, timeout: 90_000 }, () => {
  const started: Array<ChatServerProcess | TestRedis> = [];
  after(async () => {
    for (const s of started) await (s instanceof TestRedis ? s.stop() : s.kill('SIGKILL'));
  });

  test('its viewers recover on another copy with exactly the missed messages; the store holds every acked message once', async () => {
    const redis = await TestRedis.start();
    started.push(redis);
    const env = { REDIS_URL: redis.url, DATA_DIR: freshDataDir(), KEY, ADMIN_KEY, RATE_LIMIT_MESSAGES: '100000' };
    const a = await spawnChatServer(env, { offset: 110 });
    const b = await spawnChatServer(env, { offset: 111 });
    started.push(a, b);
    const portA = await a.createRoom('failover');
    const portB = await b.createRoom('failover');

    const senderA = (await TestClient.join(portA, { name: 'sa' })).client;
    const senderB = (await TestClient.join(portB, { name: 'sb' })).client;
    const viewerB = (await TestClient.join(portB, { name: 'vb' })).client;
    const witness = (await TestClient.join(portA, { name: 'wa' })).client;
    let n = 0;
    const load = setInterval(() => {
      for (let i = 0; i < 5; i++) {
        senderA.send({ type: 'message', text: `a${n}`, ref: `a${n}` });
        senderB.send({ type: 'message', text: `b${n}`, ref: `b${n}` });
        n += 1;
      }
    }, 20);
    await eventually('the viewer on B to have read a while', () => ids(viewerB).length >= 100);
    await b.kill('SIGKILL');
    const seen = ids(viewerB);
    const since = seen.at(-1)!;
    await eventually('more messages after the kill', () => ids(witness).filter((id) => id > since).length >= 50);
    clearInterval(load);

    const back = await TestClient.join(portA, { name: 'vb', since });
    assert.equal(back.welcome.recovered, true);
    const recovered = (back.welcome.history as Array<{ id: number }>).map((m) => m.id);
    const expected = ids(witness).filter((id) => id > since);
    assert.deepEqual(recovered.slice(0, expected.length), expected, 'exactly the missed messages, in order');

    // Every message acked to a sender (on A, or on B before it died) is in the store once.
    const acked = [senderA, senderB].flatMap((c) =>
      c.frames.filter((f) => f.type === 'ack').map((f) => f.id as number),
    );
    assert.ok(acked.length > 100);
    const stored = await eventually('every acked message stored', async () => {
      const rows: number[] = [];
      let before: number | null | undefined;
      do {
        const q = before === undefined || before === null ? '' : `&before=${before}`;
        const res = await a.adminFetch(`/room/failover/messages?limit=500${q}`);
        const body = (await res.json()) as { data: { messages: Array<{ id: number }>; next: number | null } };
        rows.push(...body.data.messages.map((m) => m.id));
        before = body.data.next;
      } while (before !== null);
      const have = new Set(rows);
      return acked.every((id) => have.has(id)) ? rows : undefined;
    });
    assert.equal(new Set(stored).size, stored.length, 'no message stored twice');
    for (const c of [senderA, senderB, witness, back.client]) c.close();
  });
});
