/**
 * Replies, announcements, pins and paid messages across two chat servers sharing
 * a real Redis and one store: what a message carries rides inside it, so both
 * copies show the same fields; a pin made on one copy reaches the other; a tip
 * paid through one server is shown on both, pinned on both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCreditService } from '../helpers/credit-service.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { type ChatServerProcess, spawnChatServer } from '../helpers/processes.js';
import { SKIP_CLUSTER, TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

const skip = SKIP_CLUSTER;
const ROOM = 'sharedextras';
const SECRET = 'cluster-credit-secret';

async function joinAs(port: number, sub: string, role = 'viewer'): Promise<TestClient> {
  const { client } = await TestClient.join(port, { token: await token({ sub, name: sub, role, room: ROOM }) });
  return client;
}

// At the top of the file: a helper's after() registered inside a hook would run as soon as the hook ends.
const credits = skip ? null : await startCreditService(SECRET);

describe('replies, pins and paid messages in cluster mode', { skip, timeout: 120_000 }, () => {
  let redis: TestRedis;
  const servers: ChatServerProcess[] = [];
  const ports: number[] = [];

  before(async () => {
    redis = await TestRedis.start();
    const dataDir = freshDataDir();
    for (const offset of [110, 111]) {
      const server = await spawnChatServer(
        {
          REDIS_URL: redis.url,
          DATA_DIR: dataDir,
          KEY,
          ADMIN_KEY,
          AUTH_SECRET,
          CREDIT_SERVICE_URL: credits!.url,
          CREDIT_SERVICE_SECRET: SECRET,
        },
        { offset },
      );
      servers.push(server);
      ports.push(await server.createRoom(ROOM));
    }
  });

  after(async () => {
    await Promise.allSettled(servers.map((s) => s.kill('SIGKILL')));
    await redis?.stop();
  });

  test('a reply with a mention and an announcement read the same on both copies', async () => {
    const onA = await joinAs(ports[0]!, 'ann');
    const onB = await joinAs(ports[1]!, 'ben', 'mod');
    onA.send({ type: 'message', text: 'first' });
    const parent = await onB.next('message', (f) => f.text === 'first');
    onB.send({ type: 'message', text: 'hi @ben', replyTo: parent.id });
    const [replyA, replyB] = await Promise.all([
      onA.next('message', (f) => f.text === 'hi @ben'),
      onB.next('message', (f) => f.text === 'hi @ben'),
    ]);
    assert.deepEqual(replyA, replyB);
    assert.equal((replyA.reply as Frame).id, parent.id);
    assert.deepEqual(replyA.mentions, ['ben']);
    onB.send({ type: 'announce', text: 'heads up', color: 'orange' });
    assert.equal((await onA.next('message', (f) => f.text === 'heads up')).announcement, 'orange');
    onA.close();
    onB.close();
  });

  test('a pin made on one copy reaches the other, and so does the unpin', async () => {
    const onA = await joinAs(ports[0]!, 'amy', 'mod');
    const onB = await joinAs(ports[1]!, 'bo');
    onB.send({ type: 'message', text: 'pin across' });
    const line = await onA.next('message', (f) => f.text === 'pin across');
    onA.send({ type: 'pin', id: line.id, seconds: 600 });
    const pinned = await onB.next('pinned');
    assert.equal((pinned.message as Frame).id, line.id);
    const { client: late, welcome } = await TestClient.join(ports[1]!, {
      token: await token({ sub: 'late', name: 'late', room: ROOM }),
    });
    assert.equal(((welcome.pinned as Frame).message as Frame).id, line.id);
    onA.send({ type: 'unpin' });
    await onB.next('unpinned');
    for (const c of [onA, onB, late]) c.close();
  });

  test('a tip paid through one server is shown and pinned on both, once', async () => {
    const onA = await joinAs(ports[0]!, 'payer');
    const onB = await joinAs(ports[1]!, 'viewer');
    onA.send({ type: 'tip', amount: 100, text: 'across the cluster', ref: 'x1' });
    const shown = await onB.next('message', (f) => f.text === 'across the cluster');
    assert.deepEqual(shown.tip, { amount: 100 });
    assert.equal(((await onB.next('pinned')).message as Frame).id, shown.id);
    assert.equal((await onA.next('ack', (f) => f.ref === 'x1')).id, shown.id);
    onB.send({ type: 'message', text: 'sync' });
    await onB.next('message', (f) => f.text === 'sync');
    assert.equal(onB.frames.filter((f) => f.type === 'message' && f.text === 'across the cluster').length, 1);
    onA.close();
    onB.close();
  });
});
