/**
 * Replies, mentions, /me, announcements and the pinned message over real
 * connections, for each role; the pin kept across a restart on one DATA_DIR.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { freshDataDir } from '../helpers/data-dir.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

const ROOM = 'extrasroom';

async function as(port: number, sub: string, role: string, room = ROOM): Promise<TestClient> {
  const { client } = await TestClient.join(port, { token: await token({ sub, name: sub, role, room }) });
  return client;
}

/** Sends a message frame and waits until `reader` sees it. */
async function post(from: TestClient, reader: TestClient, frame: Record<string, unknown>): Promise<Frame> {
  from.send({ type: 'message', ...frame });
  return reader.next('message', (f) => f.text === frame.text);
}

describe('replies, mentions, /me, announcements and pins', async () => {
  const dataDir = freshDataDir();
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', DATA_DIR: dataDir });
  let port = 0;
  before(async () => {
    port = await t.createRoom(ROOM);
  });

  it('a reply carries its parent (id, user, first 100 characters) to everyone, history and the transcript', async () => {
    const alice = await as(port, 'alice', 'viewer');
    const bob = await as(port, 'bob', 'viewer');
    const long = 'é'.repeat(80) + 'x'.repeat(60);
    const parent = await post(alice, bob, { text: long });
    const reply = await post(bob, alice, { text: 'agreed', replyTo: parent.id });
    assert.deepEqual(reply.reply, {
      id: parent.id,
      user: { id: 'alice', name: 'alice', role: 'viewer' },
      text: 'é'.repeat(80) + 'x'.repeat(20),
    });
    const { client: late, welcome } = await TestClient.join(port, { name: 'Late' });
    const inHistory = (welcome.history as Frame[]).find((m) => m.id === reply.id);
    assert.deepEqual(inHistory?.reply, reply.reply);
    const res = await t.adminFetch(`/room/${ROOM}/messages?limit=5`);
    const stored = ((await res.json()) as { data: { messages: Frame[] } }).data.messages.find((m) => m.id === reply.id);
    assert.deepEqual(stored?.reply, reply.reply, 'the transcript API returns the reply');
    for (const c of [alice, bob, late]) c.close();
  });

  it('refuses a reply to a message that does not exist or was deleted (NOT_FOUND), and loses nothing', async () => {
    const mod = await as(port, 'mod-r', 'mod');
    const viewer = await as(port, 'viewer-r', 'viewer');
    viewer.send({ type: 'message', text: 'to nowhere', replyTo: 987_654, ref: 'r1' });
    const missing = await viewer.next('error', (f) => f.ref === 'r1');
    assert.equal(missing.code, 'NOT_FOUND');
    const parent = await post(viewer, mod, { text: 'soon gone' });
    mod.send({ type: 'delete', id: parent.id });
    await viewer.next('deleted', (f) => f.id === parent.id);
    viewer.send({ type: 'message', text: 'too late', replyTo: parent.id, ref: 'r2' });
    const deleted = await viewer.next('error', (f) => f.ref === 'r2');
    assert.equal(deleted.code, 'NOT_FOUND');
    assert.match(String(deleted.message), new RegExp(String(parent.id)));
    viewer.send({ type: 'message', text: 'bad', replyTo: 'one', ref: 'r3' });
    const bad = await viewer.next('error', (f) => f.ref === 'r3');
    assert.equal(bad.code, 'BAD_FRAME');
    assert.match(String(bad.message), /replyTo/);
    const after = await post(viewer, mod, { text: 'still chatting' });
    assert.equal(after.reply, undefined);
    for (const c of [mod, viewer]) c.close();
  });

  it('lists the present users a message mentions; an absent name or an e-mail address is no mention', async () => {
    const carol = await as(port, 'carol', 'viewer');
    const dave = await as(port, 'dave', 'viewer');
    const line = await post(carol, dave, { text: 'hi @Dave and @nobody, mail me at x@carol' });
    assert.deepEqual(line.mentions, ['dave']);
    const plain = await post(carol, dave, { text: 'no one here' });
    assert.equal(plain.mentions, undefined);
    for (const c of [carol, dave]) c.close();
  });

  it('marks /me lines as actions; "action" must be a boolean', async () => {
    const erin = await as(port, 'erin', 'viewer');
    const line = await post(erin, erin, { text: 'waves', action: true });
    assert.equal(line.action, true);
    erin.send({ type: 'message', text: 'x', action: 'yes', ref: 'a1' });
    assert.equal((await erin.next('error', (f) => f.ref === 'a1')).code, 'BAD_FRAME');
    erin.close();
  });

  it('lets a mod or host announce in a colour; a viewer or guest is FORBIDDEN; a bad colour is BAD_FRAME', async () => {
    const mod = await as(port, 'mod-a', 'mod');
    const host = await as(port, 'host-a', 'host');
    const viewer = await as(port, 'viewer-a', 'viewer');
    const { client: guest } = await TestClient.join(port, { name: 'Guest' });
    mod.send({ type: 'announce', text: 'stream starts soon', color: 'green' });
    const green = await viewer.next('message', (f) => f.text === 'stream starts soon');
    assert.equal(green.announcement, 'green');
    host.send({ type: 'announce', text: 'welcome all' });
    assert.equal((await viewer.next('message', (f) => f.text === 'welcome all')).announcement, 'primary');
    for (const c of [viewer, guest]) {
      c.send({ type: 'announce', text: 'me too', color: 'blue' });
      assert.equal((await c.next('error')).code, 'FORBIDDEN');
    }
    mod.send({ type: 'announce', text: 'x', color: 'pink', ref: 'c1' });
    const bad = await mod.next('error', (f) => f.ref === 'c1');
    assert.equal(bad.code, 'BAD_FRAME');
    assert.match(String(bad.message), /primary, blue, green, orange, purple/);
    const { client: late, welcome } = await TestClient.join(port, { name: 'Late2' });
    assert.ok((welcome.history as Frame[]).some((m) => m.id === green.id && m.announcement === 'green'));
    for (const c of [mod, host, viewer, guest, late]) c.close();
  });

  it('lets a mod pin and a host unpin for everyone; viewers are FORBIDDEN; the welcome carries the pin', async () => {
    const mod = await as(port, 'mod-p', 'mod');
    const host = await as(port, 'host-p', 'host');
    const viewer = await as(port, 'viewer-p', 'viewer');
    const line = await post(viewer, mod, { text: 'pin me' });
    viewer.send({ type: 'pin', id: line.id });
    assert.equal((await viewer.next('error')).code, 'FORBIDDEN');
    mod.send({ type: 'pin', id: line.id, seconds: 300 });
    const pinned = await viewer.next('pinned');
    assert.equal((pinned.message as Frame).id, line.id);
    assert.equal((pinned.message as Frame).text, 'pin me');
    assert.ok(typeof pinned.until === 'number' && pinned.until > Date.now() + 200_000);
    const { client: late, welcome } = await TestClient.join(port, { name: 'Late3' });
    assert.equal(((welcome.pinned as Frame).message as Frame).id, line.id);
    viewer.send({ type: 'unpin' });
    assert.equal((await viewer.next('error')).code, 'FORBIDDEN');
    host.send({ type: 'unpin' });
    await viewer.next('unpinned');
    await late.next('unpinned');
    host.send({ type: 'unpin' });
    assert.equal((await host.next('error')).code, 'NOT_FOUND');
    mod.send({ type: 'pin', id: 999_999 });
    assert.equal((await mod.next('error')).code, 'NOT_FOUND');
    mod.send({ type: 'pin', id: line.id, seconds: 86_401 });
    const long = await mod.next('error');
    assert.equal(long.code, 'BAD_FRAME');
    assert.match(String(long.message), /seconds/);
    for (const c of [mod, host, viewer, late]) c.close();
  });

  it('unpins when the pin ends, and when the pinned message is deleted', async () => {
    const mod = await as(port, 'mod-e', 'mod');
    const first = await post(mod, mod, { text: 'brief pin' });
    mod.send({ type: 'pin', id: first.id, seconds: 1 });
    await mod.next('pinned');
    await mod.next('unpinned');
    const second = await post(mod, mod, { text: 'pinned then deleted' });
    mod.send({ type: 'pin', id: second.id });
    assert.equal((await mod.next('pinned')).until, null);
    mod.send({ type: 'delete', id: second.id });
    await mod.next('unpinned');
    const { client: late, welcome } = await TestClient.join(port, { name: 'Late4' });
    assert.equal(welcome.pinned, undefined);
    for (const c of [mod, late]) c.close();
  });

  it('keeps the pin across a restart on the same DATA_DIR', async () => {
    const mod = await as(port, 'mod-s', 'mod');
    const line = await post(mod, mod, { text: 'survives restarts' });
    mod.send({ type: 'pin', id: line.id });
    await mod.next('pinned');
    mod.close();
    await t.stop();
    const again = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', DATA_DIR: dataDir });
    const newPort = await again.createRoom(ROOM);
    const { client, welcome } = await TestClient.join(newPort, { name: 'After' });
    const pin = welcome.pinned as Frame;
    assert.equal((pin.message as Frame).id, line.id);
    assert.equal((pin.message as Frame).text, 'survives restarts');
    assert.equal(pin.until, null);
    client.close();
  });
});
