/**
 * A room's WebSocket listeners are shared by all its connections, each finding
 * its member through the socket (src/room/member-socket.ts), and the room answers
 * pings itself (ws's automatic pong is off): every member's frames are still its
 * own, a client's ping gets its pong, and one that pings without reading the
 * pongs is cut before they pile up in the room's memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
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

  it('cuts a client that floods pings without reading the pongs, and the room goes on', async () => {
    // A room of its own with a small slow-reader limit, and a drain watch too slow to be the one that cuts.
    const small = await startTestServer({ ALLOW_GUESTS: 'on', SLOW_READER_BYTES: '65536', SLOW_READER_MS: '600000' });
    const floodPort = await small.createRoom('flood');
    const flooder = new WebSocket(`ws://127.0.0.1:${floodPort}/`);
    flooder.on('error', () => undefined);
    await new Promise((resolve) => flooder.once('open', resolve));
    const ended = new Promise<void>((resolve) => flooder.once('close', () => resolve()));
    let gone = false;
    void ended.then(() => (gone = true));
    // Stop reading: the pongs fill the kernel's buffers, then the room's.
    (flooder as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = Buffer.alloc(125, 1);
    const PING_LIMIT = 400_000; // 50 MB of pongs: far past the kernel's buffers and the limit
    let sent = 0;
    while (!gone && sent < PING_LIMIT) {
      for (let i = 0; i < 1000; i++) flooder.ping(payload);
      sent += 1000;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(gone, `the flooder was still connected after ${sent} pings`);
    const { client } = await TestClient.join(floodPort, { name: 'After' });
    client.send({ type: 'message', text: 'room alive', ref: 'a1' });
    assert.equal((await client.next('ack')).ref, 'a1');
    client.close();
    await small.stop();
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
