/**
 * The connection budget against a real descriptor limit: a server process started
 * with `ulimit -n 512` derives its budget from it (512 minus the 256 reserve) and
 * says so at start; one room holding the whole budget leaves the admin API, room
 * creation and another room's chat working, and a new upgrade gets 503.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CHAT_MAIN, spawnChatServer } from '../helpers/processes.js';
import { ADMIN_KEY, KEY } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const FD_LIMIT = 512;

describe('the connection budget under a real descriptor limit', async () => {
  const command = ['/bin/sh', '-c', `ulimit -n ${FD_LIMIT} && exec "$0" --enable-source-maps "$1"`, process.execPath];
  command.push(CHAT_MAIN.pathname);
  const server = await spawnChatServer(
    { KEY, ADMIN_KEY, MAX_ROOMS: '3', ROOM_WARM_WORKERS: '1' },
    { command, offset: 71 },
  );
  after(() => server.stop());
  const opened: TestClient[] = [];
  after(() => opened.forEach((c) => c.close()));

  it('says the budget and where it came from at start', () => {
    const line = server.lines.find((l) => l.message === 'Connection budget');
    assert.ok(line, 'a "Connection budget" line');
    assert.deepEqual(
      { maxConnections: line.maxConnections, fdLimit: line.fdLimit, reserve: line.reserve, source: line.source },
      { maxConnections: FD_LIMIT - 256, fdLimit: FD_LIMIT, reserve: 256, source: 'fd limit' },
    );
  });

  it('spent by one room, keeps the admin API, room creation and another room working', async () => {
    const budget = FD_LIMIT - 256;
    const otherPort = await server.createRoom('other');
    const { client: alice } = await TestClient.join(otherPort, { name: 'Alice' });
    const { client: bob } = await TestClient.join(otherPort, { name: 'Bob' });
    opened.push(alice, bob);
    const fullPort = await server.createRoom('full');
    for (let i = 0; i < budget - 2; i++) opened.push(await TestClient.connect(fullPort));
    await assert.rejects(TestClient.connect(fullPort), /HTTP 503/);
    await assert.rejects(TestClient.connect(otherPort), /HTTP 503/);
    assert.equal((await server.adminFetch('/')).status, 200);
    assert.ok((await server.createRoom('third')) > 0);
    alice.send({ type: 'message', text: 'still here' });
    assert.equal((await bob.next('message')).text, 'still here');
    const errors = server.lines.filter((l) => l.level === 'error');
    assert.deepEqual(errors, [], 'nothing failed for want of a descriptor');
  });
});
