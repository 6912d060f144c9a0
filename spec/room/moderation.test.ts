import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { MODERATOR_FRAMES } from './fakes.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

const ROOM = 'modroom';

async function as(port: number, sub: string, role: string): Promise<{ client: TestClient; welcome: Frame }> {
  return TestClient.join(port, { token: await token({ sub, name: sub, role, room: ROOM }) });
}

/** Posts and waits until `reader` sees it; returns the message frame. */
async function post(from: TestClient, reader: TestClient, text: string): Promise<Frame> {
  from.send({ type: 'message', text });
  return reader.next('message', (f) => f.text === text);
}

describe('moderation', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on' });
  let port = 0;
  before(async () => {
    port = await t.createRoom(ROOM);
  });

  it('lets a mod delete a viewer message for everyone, and leaves it out of history', async () => {
    const { client: mod } = await as(port, 'mod1', 'mod');
    const { client: viewer } = await as(port, 'v1', 'viewer');
    const message = await post(viewer, mod, 'delete me');
    mod.send({ type: 'delete', id: message.id });
    assert.equal((await viewer.next('deleted')).id, message.id);
    assert.equal((await mod.next('deleted')).id, message.id);
    const { client: late, welcome } = await TestClient.join(port, { name: 'Late' });
    assert.ok(!(welcome.history as Frame[]).some((m) => m.id === message.id));
    const { client: back, welcome: recovered } = await TestClient.join(port, {
      name: 'Back',
      since: (message.id as number) - 1,
    });
    assert.equal(recovered.recovered, true);
    assert.ok(!(recovered.history as Frame[]).some((m) => m.id === message.id), 'left out of recovery too');
    back.close();
    mod.send({ type: 'delete', id: 999_999 });
    assert.equal((await mod.next('error')).code, 'NOT_FOUND');
    for (const c of [mod, viewer, late]) c.close();
  });

  it('lets a mod or host delete their own message', async () => {
    for (const [sub, role] of [
      ['mod-own', 'mod'],
      ['host-own', 'host'],
    ]) {
      const { client } = await as(port, sub!, role!);
      const line = await post(client, client, `${role} line`);
      client.send({ type: 'delete', id: line.id });
      assert.equal((await client.next('deleted')).id, line.id);
      client.close();
    }
  });

  it('refuses moderation frames from viewers and guests with FORBIDDEN', async () => {
    const { client: viewer } = await as(port, 'v2', 'viewer');
    const { client: guest } = await TestClient.join(port, { name: 'G' });
    for (const client of [viewer, guest]) {
      for (const frame of MODERATOR_FRAMES) {
        client.send(frame);
        assert.equal((await client.next('error')).code, 'FORBIDDEN', JSON.stringify(frame));
      }
    }
    viewer.close();
    guest.close();
  });

  it('does not let a mod act on a host or another mod, nor delete their messages; a host may act on a mod', async () => {
    const { client: mod } = await as(port, 'mod2', 'mod');
    const { client: otherMod } = await as(port, 'mod3', 'mod');
    const { client: host } = await as(port, 'host1', 'host');
    for (const target of ['host1', 'mod3']) {
      mod.send({ type: 'ban', user: target });
      assert.equal((await mod.next('error')).code, 'FORBIDDEN');
      mod.send({ type: 'timeout', user: target, seconds: 10 });
      assert.equal((await mod.next('error')).code, 'FORBIDDEN');
    }
    const hostLine = await post(host, mod, 'host line');
    const modLine = await post(otherMod, mod, 'mod line');
    for (const line of [hostLine, modLine]) {
      mod.send({ type: 'delete', id: line.id });
      assert.equal((await mod.next('error')).code, 'FORBIDDEN');
    }
    host.send({ type: 'timeout', user: 'mod3', seconds: 600 });
    assert.equal((await mod.next('timeout')).user, 'mod3');
    otherMod.send({ type: 'message', text: 'timed out?', ref: 't1' });
    assert.equal((await otherMod.next('error', (e) => e.ref === 't1')).code, 'TIMED_OUT');
    host.send({ type: 'unban', user: 'mod3' }); // unban also lifts the timeout
    host.send({ type: 'users' });
    await host.next('users'); // the unban was handled before this answer (frames of one connection keep their order)
    await post(otherMod, otherMod, 'free again');
    for (const c of [mod, otherMod, host]) c.close();
  });

  it('times a user out on every connection, tells everyone, and refuses their posts with TIMED_OUT', async () => {
    const { client: mod } = await as(port, 'mod4', 'mod');
    const { client: one } = await as(port, 'chatty', 'viewer');
    const { client: two } = await as(port, 'chatty', 'viewer');
    mod.send({ type: 'timeout', user: 'chatty', seconds: 600, reason: 'calm down' });
    const notice = await one.next('timeout');
    assert.equal(notice.user, 'chatty');
    assert.ok((notice.until as number) > Date.now() + 590_000);
    for (const c of [one, two]) {
      c.send({ type: 'message', text: 'still?', ref: 'to' });
      const refused = await c.next('error');
      assert.equal(refused.code, 'TIMED_OUT');
      assert.equal(refused.until, notice.until);
      assert.equal(refused.ref, 'to');
    }
    for (const c of [mod, one, two]) c.close();
  });

  it('bans a user: every connection closes with 4003, rejoining is refused, and unban lets them back', async () => {
    const { client: mod } = await as(port, 'mod5', 'mod');
    const { client: one } = await as(port, 'troll', 'viewer');
    const { client: two } = await as(port, 'troll', 'viewer');
    mod.send({ type: 'ban', user: 'troll', reason: 'spam' });
    assert.equal((await mod.next('ban')).user, 'troll');
    assert.equal((await closeOf(one)).code, 4003);
    assert.equal((await closeOf(two)).code, 4003);
    const again = await TestClient.connect(port);
    again.send({ type: 'join', token: await token({ sub: 'troll', name: 'troll', room: ROOM }) });
    assert.equal((await closeOf(again)).code, 4003);
    mod.send({ type: 'unban', user: 'troll' });
    mod.send({ type: 'users' });
    await mod.next('users'); // the unban was handled before this answer
    const back = await as(port, 'troll', 'viewer');
    assert.equal((back.welcome.you as { id: string }).id, 'troll');
    back.client.close();
    mod.close();
  });

  it('slow mode: tells everyone, limits viewers to one message per N seconds, exempts mods', async () => {
    const { client: mod } = await as(port, 'mod6', 'mod');
    const { client: viewer } = await as(port, 'slowpoke', 'viewer');
    mod.send({ type: 'slow', seconds: 30 });
    assert.equal((await viewer.next('settings')).slow, 30);
    await post(viewer, viewer, 'one');
    viewer.send({ type: 'message', text: 'two', ref: 's2' });
    const refused = await viewer.next('error');
    assert.equal(refused.code, 'SLOW_MODE');
    // The exact wait, with the clock moved, is in spec/room/unit/posting.test.ts.
    assert.ok((refused.retryAfterMs as number) > 0 && (refused.retryAfterMs as number) <= 30_000);
    await post(mod, mod, 'mod one');
    await post(mod, mod, 'mod two');
    const { welcome } = await TestClient.join(port, { name: 'Newcomer' });
    assert.equal((welcome.settings as { slow: number }).slow, 30);
    mod.send({ type: 'slow', seconds: 0 });
    assert.equal((await viewer.next('settings')).slow, 0);
    await post(viewer, viewer, 'free again');
    mod.close();
    viewer.close();
  });

  it('clear: tells everyone, and history starts after it', async () => {
    const { client: host } = await as(port, 'host2', 'host');
    await post(host, host, 'before clear');
    host.send({ type: 'clear' });
    await host.next('cleared');
    const { client: late, welcome } = await TestClient.join(port, { name: 'AfterClear' });
    assert.deepEqual(welcome.history, []);
    await post(host, late, 'after clear');
    const { welcome: later } = await TestClient.join(port, { name: 'Later' });
    assert.deepEqual(
      (later.history as Frame[]).map((m) => m.text),
      ['after clear'],
    );
    host.close();
    late.close();
  });
});
