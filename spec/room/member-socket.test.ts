/**
 * A room's WebSocket listeners are shared by all its connections, each finding
 * its member through the socket (src/room/member-socket.ts), and the room answers
 * pings itself (ws's automatic pong is off): every member's frames are still its
 * own, and a client's ping gets its pong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

describe('member sockets', async () => {
  const t = await startTestServer({ ALLOW_GUESTS: 'on' });
  const port = await t.createRoom('sockets');

  it("answers a client's ping with a pong that carries its payload, and the member stays", async () => {
    const { client } = await TestClient.join(port, { name: 'Pinger' });
    const pong = new Promise<Buffer>((resolve, reject) => {
      client.ws.once('pong', resolve);
      setTimeout(() => reject(new Error('no pong in 5 s')), 5_000).unref();
    });
    client.ws.ping(Buffer.from('are you there'));
    assert.equal((await pong).toString(), 'are you there');
    client.send({ type: 'message', text: 'still here', ref: 'p1' });
    assert.equal((await client.next('ack')).ref, 'p1');
    client.close();
  });

  it("gives each member's frames to that member: acks to their senders, a close to its own member", async () => {
    const members = await Promise.all(
      Array.from({ length: 5 }, (_, i) => TestClient.join(port, { name: `Sharer${i}` }).then((j) => j.client)),
    );
    members.forEach((member, i) => member.send({ type: 'message', text: `from ${i}`, ref: `s${i}` }));
    for (const [i, member] of members.entries()) {
      const ack = await member.next('ack');
      assert.equal(ack.ref, `s${i}`, 'its own ack');
      const own = member.frames.find((f) => f.type === 'message' && f.id === ack.id);
      assert.equal(own?.text, `from ${i}`);
    }
    const leaving = members.pop()!;
    leaving.close();
    await leaving.closed;
    // The stayer asks who is here until the room has let the leaver go.
    const stayer = members[0]!;
    const names = await eventually('the leaver gone from the users list', async () => {
      stayer.send({ type: 'users' });
      const users = await stayer.next('users'); // each answer in turn
      const list = (users.users as Array<{ name: string }>).map((u) => u.name).filter((n) => n.startsWith('Sharer'));
      return !list.includes('Sharer4') && list.sort();
    });
    assert.deepEqual(names, ['Sharer0', 'Sharer1', 'Sharer2', 'Sharer3']);
    for (const member of members) member.close();
  });
});
