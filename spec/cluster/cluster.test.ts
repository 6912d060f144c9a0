/**
 * One room across several chat servers sharing a real Redis and one store: the
 * same ids in the same order everywhere, moderation and limits across copies,
 * summed viewers, an admin's shutdown everywhere, a server killed under load,
 * and Redis stopped and started again (empty).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDataDir } from '../helpers/data-dir.js';
import { type ChatServerProcess, spawnChatServer } from '../helpers/processes.js';
import { SKIP_CLUSTER, TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

const skip = SKIP_CLUSTER;
if (skip) console.log(`# skipped: ${skip}`);

/** Joins with a token for `room` (a mod's role holds only in the room its token names). */
async function joinAs(port: number, sub: string, role = 'viewer', room?: string, since?: number) {
  const t = await token(room === undefined ? { sub, name: sub, role } : { sub, name: sub, role, room });
  return TestClient.join(port, since === undefined ? { token: t } : { token: t, since });
}

function messageIds(client: TestClient): number[] {
  return client.frames.filter((f) => f.type === 'message').map((f) => f.id as number);
}

describe('cluster mode on Redis', { skip, timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dataDir: string;
  const servers: ChatServerProcess[] = [];

  async function startServer(offset: number): Promise<ChatServerProcess> {
    const server = await spawnChatServer(
      {
        REDIS_URL: redis.url,
        DATA_DIR: dataDir,
        KEY,
        ADMIN_KEY,
        AUTH_SECRET,
        RATE_LIMIT_MESSAGES: '1000',
        RATE_LIMIT_MOD_MESSAGES: '10',
        SLOW_READER_MS: '60000',
      },
      { offset },
    );
    servers.push(server);
    return server;
  }

  before(async () => {
    redis = await TestRedis.start();
    dataDir = freshDataDir();
    await startServer(100);
    await startServer(101);
    await startServer(102);
  });

  after(async () => {
    await Promise.allSettled(servers.map((s) => s.kill('SIGKILL')));
    await redis?.stop();
  });

  test('a message from A reaches B and C with the same id, in the same order, under load from both sides', async () => {
    const [a, b, c] = servers as [ChatServerProcess, ChatServerProcess, ChatServerProcess];
    const ports = await Promise.all([a.createRoom('shared'), b.createRoom('shared'), c.createRoom('shared')]);
    const onA = await joinAs(ports[0], 'alice');
    const onB = await joinAs(ports[1], 'bob');
    const onC = await joinAs(ports[2], 'carol');
    const perSide = 200;
    for (let i = 0; i < perSide; i++) {
      onA.client.send({ type: 'message', text: `a${i}`, ref: `a${i}` });
      onB.client.send({ type: 'message', text: `b${i}`, ref: `b${i}` });
    }
    for (const { client } of [onA, onB, onC])
      await eventually('every message on every copy', () => messageIds(client).length >= perSide * 2, 20_000).catch(
        (error: unknown) => {
          const counts = [onA, onB, onC].map((x) => messageIds(x.client).length);
          const errors = [onA, onB, onC].map((x) => x.client.frames.filter((f) => f.type === 'error').slice(0, 3));
          throw new Error(`${(error as Error).message}: ${JSON.stringify({ counts, errors })}`);
        },
      );
    const idsA = messageIds(onA.client);
    assert.equal(new Set(idsA).size, perSide * 2, 'no id twice');
    assert.deepEqual(messageIds(onB.client), idsA);
    assert.deepEqual(messageIds(onC.client), idsA);
    const texts = (c: TestClient) => c.frames.filter((f) => f.type === 'message').map((f) => f.text);
    assert.deepEqual(texts(onB.client), texts(onA.client));
    assert.deepEqual(
      [...idsA].sort((x, y) => x - y),
      idsA,
      'ids grow in delivery order',
    );
    // Every sender's post was acked, once stored.
    await eventually('acks on A', () => onA.client.frames.filter((f) => f.type === 'ack').length === perSide);
    await eventually('acks on B', () => onB.client.frames.filter((f) => f.type === 'ack').length === perSide);
    // viewers are the whole room's
    await eventually('viewers summed across copies', async () => {
      const probe = await joinAs(ports[2], 'dave');
      const viewers = probe.welcome.viewers as number;
      probe.client.close();
      return viewers >= 4;
    });
    // `users` lists the whole room, from any copy
    await eventually('users from every copy', async () => {
      onC.client.send({ type: 'users' });
      const answer = await onC.client.next('users');
      const names = (answer.users as Array<{ id: string }>).map((u) => u.id).sort();
      return names.join() === 'alice,bob,carol' && answer.viewers === 3;
    });
    for (const { client } of [onA, onB, onC]) client.close();
  });

  test('a ban on A closes the user on B and refuses their rejoin anywhere; slow mode and rate limits count across copies', async () => {
    const [a, b] = servers as [ChatServerProcess, ChatServerProcess];
    const portA = await a.createRoom('modroom');
    const portB = await b.createRoom('modroom');
    const mod = await joinAs(portA, 'mod1', 'mod', 'modroom');
    const troll = await joinAs(portB, 'troll');
    mod.client.send({ type: 'ban', user: 'troll', reason: 'spam' });
    const closed = await closeOf(troll.client).catch((error: unknown) => {
      throw new Error(`${String(error)}: mod got ${JSON.stringify(mod.client.frames)}`);
    });
    assert.equal(closed.code, 4003);
    const again = await TestClient.connect(portA);
    again.send({ type: 'join', token: await token({ sub: 'troll', name: 'troll', role: 'viewer' }) });
    assert.equal((await closeOf(again)).code, 4003);

    // slow mode set on A holds for a user posting on A and then on B
    const u1 = await joinAs(portA, 'uslow');
    const u2 = await joinAs(portB, 'uslow');
    mod.client.send({ type: 'slow', seconds: 30 });
    await eventually('slow mode on B', () => u2.client.frames.some((f) => f.type === 'settings' && f.slow === 30));
    u1.client.send({ type: 'message', text: 'first', ref: 'x1' });
    await u1.client.next('ack', (f) => f.ref === 'x1');
    u2.client.send({ type: 'message', text: 'second', ref: 'x2' });
    const refused = await u2.client.next('error', (f) => f.ref === 'x2');
    assert.equal(refused.code, 'SLOW_MODE');
    mod.client.send({ type: 'slow', seconds: 0 });

    // A moderator's rate limit (10 per window here) is one count across copies: 6 on A, then B refuses the 5th.
    const modOnB = await joinAs(portB, 'mod1', 'mod', 'modroom');
    for (let i = 0; i < 6; i++) mod.client.send({ type: 'message', text: `m${i}`, ref: `m${i}` });
    await mod.client.next('ack', (f) => f.ref === 'm5');
    for (let i = 0; i < 5; i++) modOnB.client.send({ type: 'message', text: `n${i}`, ref: `n${i}` });
    for (let i = 0; i < 4; i++) await modOnB.client.next('ack', (f) => f.ref === `n${i}`);
    assert.equal((await modOnB.client.next('error', (f) => f.ref === 'n4')).code, 'RATE_LIMITED');
    for (const c of [mod, modOnB, u1, u2]) c.client.close();
  });

  test('an admin shutdown on one server closes every copy (1001)', async () => {
    const [a, b] = servers as [ChatServerProcess, ChatServerProcess];
    const portA = await a.createRoom('closing');
    const portB = await b.createRoom('closing');
    const onA = await joinAs(portA, 'x');
    const onB = await joinAs(portB, 'y');
    const res = await a.adminFetch('/room/closing/shutdown', { method: 'DELETE' });
    assert.equal(res.status, 202);
    assert.equal((await closeOf(onA.client)).code, 1001);
    assert.equal((await closeOf(onB.client)).code, 1001);
    await eventually('the copy on B is gone', async () => (await b.adminFetch('/room/closing')).status === 404);
  });

  test('Redis stopped: posts are refused UNAVAILABLE; started again (empty): chat resumes without restarting a server', async () => {
    const [a, b] = servers as [ChatServerProcess, ChatServerProcess];
    const portA = await a.createRoom('outage');
    const portB = await b.createRoom('outage');
    const onA = await joinAs(portA, 'p');
    const onB = await joinAs(portB, 'q');
    onA.client.send({ type: 'message', text: 'before', ref: 'r0' });
    await onB.client.next('message', (f) => f.text === 'before');
    await redis.stop();
    const refusal = await eventually('a refusal while Redis is down', async () => {
      onA.client.send({ type: 'message', text: 'during', ref: 'r1' });
      const f = await onA.client.next('error', (e) => e.ref === 'r1').catch(() => undefined);
      return f;
    });
    assert.equal(refusal.code, 'UNAVAILABLE');
    assert.equal(typeof refusal.retryAfterMs, 'number');
    // The server says so: readiness names the cluster check.
    const notReady = await eventually('readiness to name the cluster', async () => {
      const res = await a.adminFetch('/health/ready');
      const body = (await res.json()) as { error?: { message: string } };
      return res.status === 503 && body.error?.message.includes('cluster') ? body : undefined;
    });
    assert.ok(notReady.error);
    await redis.restart();
    let n = 0;
    const after = await eventually(
      'a message through the restarted Redis',
      async () => {
        const ref = `again${n++}`;
        onA.client.send({ type: 'message', text: ref, ref });
        const answer = await Promise.race([
          onA.client.next('ack', (f) => f.ref === ref),
          onA.client.next('error', (f) => f.ref === ref),
        ]).catch(() => undefined);
        return answer?.type === 'ack' ? ref : undefined;
      },
      20_000,
    );
    const seen: Frame = await onB.client.next('message', (f) => f.text === after);
    await eventually('ready again', async () => (await a.adminFetch('/health/ready')).status === 200);
    const before = onB.client.frames.find((f) => f.type === 'message' && f.text === 'before')!;
    assert.ok((seen.id as number) > (before.id as number), 'ids go on growing after Redis came back empty');
    // A since from before Redis was lost cannot be answered in full, and says so.
    const stale = await joinAs(portB, 'r', 'viewer', undefined, before.id as number);
    assert.equal(stale.welcome.recovered, false);
    // A gap after it is recovered on another copy, without restarting a server.
    onA.client.send({ type: 'message', text: 'gap', ref: 'gap' });
    await onA.client.next('ack', (f) => f.ref === 'gap');
    const back = await joinAs(portB, 's', 'viewer', undefined, seen.id as number);
    assert.equal(back.welcome.recovered, true);
    assert.deepEqual(
      (back.welcome.history as Array<{ text: string }>).map((m) => m.text),
      ['gap'],
    );
    for (const c of [onA, onB, stale, back]) c.client.close();
  });
});
