/**
 * The process-wide connection budget (MAX_CONNECTIONS) across rooms of one
 * in-process server: spent by one room, it refuses new sockets in every room with
 * 503 before the handshake while everything else goes on, and it comes back when
 * sockets close, when a room closes with clients in it, and when a worker dies.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import type { Supervisor } from '../../src/master/supervisor.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const BUDGET = 40;

/** An upgrade request's answer, as a browser would get it: status and Retry-After. */
function upgradeAnswer(port: number): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({
      port,
      host: '127.0.0.1',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, retryAfter: undefined });
    });
    req.on('error', reject);
    req.end();
  });
}

async function connectMany(port: number, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await TestClient.connect(port));
  return clients;
}

async function closeAll(clients: TestClient[]): Promise<void> {
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => c.closed));
}

describe('the process-wide connection budget', async () => {
  const t = await startTestServer({ MAX_CONNECTIONS: String(BUDGET), MAX_ROOMS: '4', ROOM_WARM_WORKERS: '1' });
  const supervisor = t.server.rooms['supervisor'] as Supervisor;
  const inUse = () => supervisor.budget.inUse;
  const opened: TestClient[] = [];
  after(() => opened.forEach((c) => c.close()));

  const otherPort = await t.createRoom('other');
  const { client: alice } = await TestClient.join(otherPort, { name: 'Alice' });
  const { client: bob } = await TestClient.join(otherPort, { name: 'Bob' });
  opened.push(alice, bob);
  const fullPort = await t.createRoom('full');

  it('spent by one room: new upgrades anywhere get 503 with Retry-After, the rest works', async () => {
    const filling = await connectMany(fullPort, BUDGET - 2);
    opened.push(...filling);
    assert.equal(inUse(), BUDGET);
    for (const port of [fullPort, otherPort]) {
      const answer = await upgradeAnswer(port);
      assert.equal(answer.status, 503, `port ${port}`);
      assert.ok(Number(answer.retryAfter) > 0, 'Retry-After');
    }
    await assert.rejects(TestClient.connect(fullPort), /HTTP 503/);
    // The admin API answers, a room can still be created, and the other room chats.
    assert.equal((await t.adminFetch('/')).status, 200);
    const third = await t.createRoom('third');
    assert.ok(third > 0);
    alice.send({ type: 'message', text: 'still chatting', ref: 'a1' });
    assert.equal((await bob.next('message')).text, 'still chatting');
    await alice.next('ack', (f) => f.ref === 'a1');
    assert.equal(inUse(), BUDGET, 'refused sockets gave back what they never held');

    await closeAll(filling.splice(0, 5));
    await eventually('five units back', () => inUse() === BUDGET - 5);
    opened.push(...(await connectMany(third, 5)));
    await assert.rejects(TestClient.connect(third), /HTTP 503/);
    opened.push(...filling);
  });

  it('comes back when a room is shut down with clients in it', async () => {
    const held = inUse();
    const res = await t.adminFetch('/room/full/shutdown', { method: 'DELETE' });
    assert.equal(res.status, 202);
    await eventually('the closed room gave its units back', () => inUse() === 2 + 5);
    assert.ok(held > inUse());
    const port = await t.createRoom('again');
    opened.push(...(await connectMany(port, BUDGET - 7)));
    await assert.rejects(TestClient.connect(port), /HTTP 503/);
  });

  it('comes back when a room worker dies with clients in it', async () => {
    assert.equal(inUse(), BUDGET);
    const handle = supervisor.get('again');
    assert.ok(handle);
    await handle.terminate('killed by the test');
    await eventually('the dead room gave its units back', () => inUse() === 7);
    opened.push(...(await connectMany(otherPort, BUDGET - 7)));
    assert.equal(inUse(), BUDGET);
    await assert.rejects(TestClient.connect(otherPort), /HTTP 503/);
  });
});
