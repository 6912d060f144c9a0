import { DEFAULT_MODES } from '../../src/room/chat-modes.js';
import { MODERATION_RULE } from '../../src/protocol/moderation-rule.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

describe('joining a room', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_GUESTS: 'on', JOIN_TIMEOUT_MS: '300' });
  const port = await t.createRoom('joinroom');

  it('welcomes a guest with a fresh id, the protocol version, history, viewers and settings', async () => {
    const { client, welcome } = await TestClient.join(port, { name: '  Ann  ' });
    assert.equal(welcome.protocol, 1);
    assert.equal(welcome.room, 'joinroom');
    const you = welcome.you as { id: string; name: string; role: string };
    assert.equal(you.name, 'Ann');
    assert.equal(you.role, 'guest');
    assert.match(you.id, /^guest:/);
    assert.ok(Array.isArray(welcome.history));
    assert.equal(typeof welcome.viewers, 'number');
    assert.deepEqual(welcome.settings, { ...DEFAULT_MODES, maxMessageChars: 500, moderationRule: MODERATION_RULE });
    assert.equal(welcome.recovered, undefined);
    client.close();
  });

  it('lets an anonymous reader join and read but not post', async () => {
    const { client, welcome } = await TestClient.join(port);
    assert.equal((welcome.you as { role: string }).role, 'anonymous');
    client.send({ type: 'message', text: 'hi', ref: 'r1' });
    const error = await client.next('error');
    assert.equal(error.code, 'FORBIDDEN');
    assert.equal(error.ref, 'r1');
    client.close();
  });

  it('takes identity and role from a token for this room', async () => {
    for (const role of ['viewer', 'mod', 'host']) {
      const { client, welcome } = await TestClient.join(port, {
        token: await token({ sub: `u-${role}`, name: 'Tok', role, room: 'joinroom' }),
      });
      assert.deepEqual(welcome.you, { id: `u-${role}`, name: 'Tok', role });
      client.close();
    }
  });

  it('makes a mod or host token without a room claim a viewer', async () => {
    for (const role of ['mod', 'host']) {
      const { client, welcome } = await TestClient.join(port, { token: await token({ sub: 'u1', name: 'N', role }) });
      assert.equal((welcome.you as { role: string }).role, 'viewer');
      client.close();
    }
  });

  const refusals: Array<[string, () => Promise<Record<string, unknown>>, RegExp]> = [
    [
      'an expired token',
      async () => ({ token: await token({ sub: 'u', name: 'N' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }) }),
      /expired/i,
    ],
    [
      'a token signed with another secret',
      async () => ({ token: await token({ sub: 'u', name: 'N' }, { secret: 'another-secret-entirely-xxxxxxxx' }) }),
      /invalid/i,
    ],
    [
      'a token for another room',
      async () => ({ token: await token({ sub: 'u', name: 'N', room: 'elsewhere' }) }),
      /another room/i,
    ],
    ['a token without a name', async () => ({ token: await token({ sub: 'u' }) }), /name/i],
    ['a token without a subject', async () => ({ token: await token({ name: 'N' }) }), /invalid/i],
    [
      'a token with an unknown role',
      async () => ({ token: await token({ sub: 'u', name: 'N', role: 'admin', room: 'joinroom' }) }),
      /role/i,
    ],
    ['garbage as a token', async () => ({ token: 'not.a.jwt' }), /invalid/i],
  ];
  for (const [label, join, reason] of refusals) {
    it(`closes a join with ${label} with 4001 and says why`, async () => {
      const client = await TestClient.connect(port);
      client.send({ type: 'join', ...(await join()) });
      const closed = await closeOf(client);
      assert.equal(closed.code, 4001);
      assert.match(closed.reason, reason);
    });
  }

  it('refuses an empty guest name with NAME_INVALID and lets the client try again on the same connection', async () => {
    const client = await TestClient.connect(port);
    client.send({ type: 'join', name: '   ' });
    const error = await client.next('error');
    assert.equal(error.code, 'NAME_INVALID');
    assert.match(error.message as string, /nothing visible/);
    client.send({ type: 'join', name: 'Visible' });
    assert.equal(((await client.next('welcome')).you as { name: string }).name, 'Visible');
    client.close();
  });

  it('closes a connection that does not join in time with 4002, which a client may retry', async () => {
    const client = await TestClient.connect(port);
    const closed = await closeOf(client);
    assert.equal(closed.code, 4002);
    assert.match(closed.reason, /join/i);
  });

  it('handles a message sent right after a token join, once the join is verified', async () => {
    const client = await TestClient.connect(port);
    client.send({ type: 'join', token: await token({ sub: 'eager', name: 'Eager', room: 'joinroom' }) });
    client.send({ type: 'message', text: 'straight away', ref: 'e' });
    await client.next('welcome');
    assert.equal((await client.next('ack')).ref, 'e');
    assert.ok(
      !client.frames.some((f) => f.type === 'error'),
      JSON.stringify(client.frames.filter((f) => f.type === 'error')),
    );
    client.close();
  });

  it('refuses frames before join with NOT_JOINED and a second join with ALREADY_JOINED', async () => {
    const client = await TestClient.connect(port);
    client.send({ type: 'message', text: 'early', ref: 'e1' });
    const early = await client.next('error');
    assert.equal(early.code, 'NOT_JOINED');
    assert.equal(early.ref, 'e1');
    client.send({ type: 'join', name: 'Late' });
    await client.next('welcome');
    client.send({ type: 'join', name: 'Again' });
    assert.equal((await client.next('error')).code, 'ALREADY_JOINED');
    client.close();
  });
});

describe('joining where guests and anonymous readers are switched off', async () => {
  const t = await startTestServer({ AUTH_SECRET, ALLOW_ANONYMOUS: 'off' });
  const port = await t.createRoom('closedroom');

  it('refuses guests by default when AUTH_SECRET is set', async () => {
    const client = await TestClient.connect(port);
    client.send({ type: 'join', name: 'Guest' });
    const closed = await closeOf(client);
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /guests/i);
  });

  it('refuses anonymous readers when ALLOW_ANONYMOUS is off', async () => {
    const client = await TestClient.connect(port);
    client.send({ type: 'join' });
    const closed = await closeOf(client);
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /anonymous/i);
  });

  it('still admits a token holder', async () => {
    const { client, welcome } = await TestClient.join(port, { token: await token({ sub: 'ok', name: 'Ok' }) });
    assert.equal((welcome.you as { id: string }).id, 'ok');
    client.close();
  });
});

describe('joining a server without AUTH_SECRET', async () => {
  const t = await startTestServer();
  const port = await t.createRoom('notokens');

  it('admits guests by default and refuses tokens, saying why', async () => {
    const { client } = await TestClient.join(port, { name: 'G' });
    client.close();
    const withToken = await TestClient.connect(port);
    withToken.send({ type: 'join', token: await token({ sub: 'u', name: 'N' }) });
    const closed = await closeOf(withToken);
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /AUTH_SECRET/);
  });
});
