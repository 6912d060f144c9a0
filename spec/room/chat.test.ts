import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('chatting in a room', async () => {
  const t = await startTestServer({ PRESENCE_INTERVAL_MS: '50', RATE_LIMIT_MESSAGES: '1000' });
  const port = await t.createRoom('chatroom');

  it('delivers a message to everyone, the sender included, with a growing integer id', async () => {
    const { client: a } = await TestClient.join(port, { name: 'Ann' });
    const { client: b } = await TestClient.join(port, { name: 'Ben' });
    a.send({ type: 'message', text: 'first' });
    a.send({ type: 'message', text: 'second' });
    const [a1, a2, b1, b2] = await Promise.all([
      a.next('message', (f) => f.text === 'first'),
      a.next('message', (f) => f.text === 'second'),
      b.next('message', (f) => f.text === 'first'),
      b.next('message', (f) => f.text === 'second'),
    ]);
    assert.deepEqual(a1, b1);
    assert.deepEqual(a2, b2);
    assert.ok(Number.isInteger(b1.id) && (b2.id as number) > (b1.id as number));
    assert.equal(typeof b1.ts, 'number');
    assert.equal((b1.user as { name: string }).name, 'Ann');
    assert.equal((b1.user as { role: string }).role, 'guest');
    a.close();
    b.close();
  });

  it('acks a message with a ref once it is stored, after everyone (the sender too) got it', async () => {
    const { client } = await TestClient.join(port, { name: 'Ref' });
    client.send({ type: 'message', text: 'with ref', ref: 'c1' });
    const ack = await client.next('ack');
    const own = await client.next('message', (f) => f.text === 'with ref');
    assert.equal(ack.ref, 'c1');
    assert.equal(ack.id, own.id);
    assert.ok(client.frames.indexOf(own) < client.frames.indexOf(ack), 'the broadcast is not held for the store');
    const stored = (await (await t.adminFetch('/room/chatroom/messages?limit=100')).json()) as {
      data: { messages: Array<{ id: number; text: string }> };
    };
    assert.equal(stored.data.messages.find((m) => m.id === ack.id)?.text, 'with ref', 'the acked message is stored');
    client.close();
  });

  it('cleans text: trims, removes control characters, counts code points', async () => {
    const { client } = await TestClient.join(port, { name: 'Clean' });
    client.send({ type: 'message', text: '  a\u0000b\u0007c\nd\u202e  ' });
    assert.equal((await client.next('message')).text, 'abcd\u202e');
    client.send({ type: 'message', text: '😀'.repeat(500) });
    assert.equal(((await client.next('message')).text as string).length, 1000, '500 code points are allowed');
    client.send({ type: 'message', text: '😀'.repeat(501), ref: 'long' });
    const tooLong = await client.next('error');
    assert.equal(tooLong.code, 'TOO_LONG');
    assert.equal(tooLong.ref, 'long');
    client.send({ type: 'message', text: ' \u0000\t\n ', ref: 'empty' });
    const empty = await client.next('error');
    assert.equal(empty.code, 'EMPTY');
    assert.equal(empty.ref, 'empty');
    client.close();
  });

  it('answers users with each identified user once, however many connections', async () => {
    const { client: a, welcome } = await TestClient.join(port, { name: 'Multi' });
    const id = (welcome.you as { id: string }).id;
    const { client: anon } = await TestClient.join(port);
    a.send({ type: 'users' });
    const users = await a.next('users');
    const list = users.users as Array<{ id: string; role: string }>;
    assert.equal(list.filter((u) => u.id === id).length, 1);
    assert.ok(!list.some((u) => u.role === 'anonymous'), 'anonymous readers are counted, not listed');
    assert.ok((users.viewers as number) >= 2);
    a.close();
    anon.close();
  });

  it('sends presence when the viewer count changes, counting anonymous readers', async () => {
    // A room of its own: connections other tests are still closing would change the count.
    const port = await t.createRoom('presenceroom');
    const { client: watcher } = await TestClient.join(port, { name: 'Watch' });
    const before = watcher.frames.length;
    const { client: anon } = await TestClient.join(port);
    // The watcher's own join may be announced first; wait for the count that includes the reader.
    const presence = await watcher.next(
      'presence',
      (f) => watcher.frames.indexOf(f) >= before && (f.viewers as number) >= 2,
    );
    anon.close();
    const after = await watcher.next('presence', (f) => (f.viewers as number) < (presence.viewers as number));
    assert.equal(after.viewers, (presence.viewers as number) - 1);
    watcher.close();
  });
  // That presence is throttled (30 joins in one interval, one frame) is shown with a
  // fake clock in spec/room/unit/joining.test.ts.
});
