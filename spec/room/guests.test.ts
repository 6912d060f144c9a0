import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshDataDir } from '../helpers/data-dir.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

const ROOM = 'guestroom';
const asUser = async (port: number, sub: string, role: string, name = sub) =>
  TestClient.join(port, { token: await token({ sub, name, role, room: ROOM }) });

/** Joins as a guest; answers the client and its welcome. */
const guest = (port: number, name: string, extra: Record<string, unknown> = {}) =>
  TestClient.join(port, { name, ...extra });

describe('guest identities', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', RESERVED_NAMES: 'admin,host,mod' });
  const port = await t.createRoom(ROOM);

  it('gives a guest a token that brings back the same id, and refuses a forged one', async () => {
    const { client: first, welcome } = await guest(port, 'Gus');
    const you = welcome.you as { id: string };
    assert.match(you.id, /^guest:/);
    assert.equal(typeof welcome.guestToken, 'string');
    first.close();
    const { client: again, welcome: back } = await guest(port, 'Gus', { guestToken: welcome.guestToken });
    assert.equal((back.you as { id: string }).id, you.id);
    again.close();

    const token = welcome.guestToken as string;
    const [id, signature] = token.split('.');
    const forgedId = Buffer.from('guest:someone-else').toString('base64url');
    // Padding or junk after the signature decodes to the same bytes: still not a token the server wrote.
    const altered = [`${token}=`, `${token}==`, `${token}!!!!`, `${token}\n`];
    for (const forged of [`${forgedId}.${signature}`, `${id}.${signature!.slice(0, -2)}AA`, 'nonsense', ...altered]) {
      const client = await TestClient.connect(port);
      client.send({ type: 'join', name: 'Gus', guestToken: forged });
      const closed = await closeOf(client);
      assert.equal(closed.code, 4001, forged);
      assert.equal(closed.reason, 'Guest token invalid');
    }
  });

  it('keeps a banned guest out with its token, and from the same address without it', async () => {
    const { client: mod } = await asUser(port, 'mod-b', 'mod');
    const { client: pest, welcome } = await guest(port, 'Pest');
    const pestId = (welcome.you as { id: string }).id;
    mod.send({ type: 'ban', user: pestId, reason: 'spam' });
    assert.equal((await closeOf(pest)).code, 4003);

    const withToken = await TestClient.connect(port);
    withToken.send({ type: 'join', name: 'Pest', guestToken: welcome.guestToken });
    assert.equal((await closeOf(withToken)).code, 4003, 'the same guest id');
    const fresh = await TestClient.connect(port);
    fresh.send({ type: 'join', name: 'Someone new' });
    assert.equal((await closeOf(fresh)).code, 4003, 'a fresh guest from the same address');
    const { client: viewer } = await asUser(port, 'v-b', 'viewer');
    viewer.close();

    mod.send({ type: 'unban', user: pestId });
    await eventually('unbanned', async () => {
      const { client } = await guest(port, 'Pest again');
      client.close();
      return true;
    });
    mod.close();
  });

  it('keeps a timed-out guest timed out after reconnecting, with its token or without', async () => {
    const { client: mod } = await asUser(port, 'mod-t', 'mod');
    const { client: loud, welcome } = await guest(port, 'Loud');
    const loudId = (welcome.you as { id: string }).id;
    mod.send({ type: 'timeout', user: loudId, seconds: 3600 });
    await loud.next('timeout');
    loud.close();

    const { client: back } = await guest(port, 'Loud', { guestToken: welcome.guestToken });
    back.send({ type: 'message', text: 'I am back' });
    assert.equal((await back.next('error')).code, 'TIMED_OUT');
    back.close();
    const { client: other } = await guest(port, 'Quiet');
    other.send({ type: 'message', text: 'new me' });
    assert.equal((await other.next('error')).code, 'TIMED_OUT', 'the same address');
    other.close();
    mod.send({ type: 'unban', user: loudId });
    mod.send({ type: 'users' });
    await mod.next('users'); // the unban before it has been applied
    const { client: freed } = await guest(port, 'Loud', { guestToken: welcome.guestToken });
    freed.send({ type: 'message', text: 'free', ref: 'f' });
    await freed.next('ack', (f) => f.ref === 'f');
    freed.close();
    mod.close();
  });

  it('refuses every impersonation with the reason, and lets the guest try another name on the same connection', async () => {
    const { client: host } = await asUser(port, 'ann-host', 'host', 'Ann');
    const client = await TestClient.connect(port);
    const tries: Array<[string, string]> = [
      ['Ann', 'NAME_TAKEN'],
      ['аnn', 'NAME_TAKEN'], // Cyrillic а
      ['A\u200Bnn', 'NAME_TAKEN'],
      ['Ann (host)', 'NAME_RESERVED'],
      ['\u200B', 'NAME_INVALID'],
      ['\u202E', 'NAME_INVALID'],
    ];
    for (const [name, code] of tries) {
      client.send({ type: 'join', name });
      const error = await client.next('error');
      assert.equal(error.code, code, JSON.stringify(name));
      assert.ok((error.message as string).length > 10, 'the reason is said');
    }
    client.send({ type: 'join', name: 'Alice\u202Eevil' });
    const welcome = await client.next('welcome');
    assert.equal((welcome.you as { name: string }).name, 'Aliceevil', 'the override is cleaned out');
    client.close();
    host.close();
  });
});

describe('timeouts kept in the store', () => {
  it('outlive the room being re-created and the server restarting', async () => {
    const dataDir = freshDataDir();
    const env = { AUTH_SECRET, ALLOW_GUESTS: 'on', DATA_DIR: dataDir };
    const first = await startTestServer(env);
    let port = await first.createRoom(ROOM);
    const { client: mod } = await asUser(port, 'mod-k', 'mod');
    const { client: loud, welcome } = await guest(port, 'Loud');
    mod.send({ type: 'timeout', user: 'viewer-k', seconds: 3600 });
    mod.send({ type: 'timeout', user: (welcome.you as { id: string }).id, seconds: 3600 });
    await mod.next('timeout', (f) => f.user === (welcome.you as { id: string }).id);
    loud.close();
    mod.close();

    const stillTimedOut = async (at: number, label: string) => {
      const { client: viewer } = await asUser(at, 'viewer-k', 'viewer');
      viewer.send({ type: 'message', text: 'hi' });
      assert.equal((await viewer.next('error')).code, 'TIMED_OUT', `${label}: the viewer`);
      viewer.close();
      const { client: back } = await guest(at, 'Loud', { guestToken: welcome.guestToken });
      back.send({ type: 'message', text: 'hi' });
      assert.equal((await back.next('error')).code, 'TIMED_OUT', `${label}: the guest, by its token`);
      back.close();
    };

    assert.equal((await first.adminFetch(`/room/${ROOM}/shutdown`, { method: 'DELETE' })).status, 202);
    await eventually('closed', async () => ((await first.server.data.store.room(ROOM))?.closedAt ?? null) !== null);
    port = await first.createRoom(ROOM);
    await stillTimedOut(port, 'room re-created');
    await first.stop();

    const second = await startTestServer(env);
    port = await second.createRoom(ROOM);
    await stillTimedOut(port, 'server restarted');
    const bans = (await (await second.adminFetch('/bans')).json()) as { data: { bans: Frame[] } };
    assert.deepEqual(bans.data.bans, [], 'timeouts are not listed as bans');
  });
});
