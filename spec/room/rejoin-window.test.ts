import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('rejoin window in the welcome and presence', async () => {
  // Four joins a second: a room of two takes half a second to come back, the smallest window named.
  const t = await startTestServer({ ALLOW_GUESTS: 'on', JOIN_RATE_PER_S: '4', JOIN_BURST: '100' });
  const port = await t.createRoom('rejoinwindow');
  const clients: TestClient[] = [];
  after(() => clients.forEach((c) => c.close()));

  it('names no window in a small room, and a window that grows with the room after that', async () => {
    const windows: Array<number | undefined> = [];
    for (let i = 0; i < 5; i++) {
      const { client, welcome } = await TestClient.join(port, { name: `g${i}` });
      clients.push(client);
      windows.push(welcome.rejoinWindowMs as number | undefined);
    }
    // 1,000 ms × members ÷ 4 a second, once that is at least 500 ms.
    assert.deepEqual(windows, [undefined, 500, 750, 1_000, 1_250]);
  });

  it('tells members already joined the window of the room as it is now, in presence', async () => {
    const first = clients[0]!;
    const presence = await first.next('presence', (f) => f.viewers === 5);
    assert.equal(presence.rejoinWindowMs, 1_250);
  });
});
