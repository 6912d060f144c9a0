/** A room driven with fake connections and a fake clock: joining, early frames, presence, liveness. */
import { DEFAULT_MODES } from '../../../src/room/chat-modes.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODERATION_RULE } from '../../../src/protocol/moderation-rule.js';
import { MAX_EARLY_FRAMES } from '../../../src/room/client.js';
import { drain, LIMITS, ROOM, testRoom } from '../fakes.js';
import { token } from '../../helpers/tokens.js';

describe('room unit: joining', () => {
  it('welcomes a guest with the room, identity, history, viewers and settings', async () => {
    const { join } = testRoom();
    const ann = await join({ name: 'Ann' });
    const welcome = ann.of('welcome')[0]!;
    assert.equal(welcome.protocol, 1);
    assert.equal(welcome.room, ROOM);
    assert.equal((welcome.you as { name: string }).name, 'Ann');
    assert.deepEqual(welcome.history, []);
    assert.equal(welcome.viewers, 1);
    assert.deepEqual(welcome.settings, { ...DEFAULT_MODES, maxMessageChars: 500, moderationRule: MODERATION_RULE });
    assert.equal(ann.client.state, 'joined');
  });

  it('keeps frames sent while a token is verified and handles them after the welcome, in order', async () => {
    const { connect } = testRoom();
    const eager = connect();
    eager.send({ type: 'join', token: await token({ sub: 'eager', name: 'Eager', room: ROOM }) });
    assert.equal(eager.client.state, 'joining');
    for (let i = 0; i < MAX_EARLY_FRAMES; i++) eager.send({ type: 'message', text: `early ${i}` });
    eager.send({ type: 'message', text: 'one too many', ref: 'x' });
    const last = await eager.next('message', (f) => f.text === `early ${MAX_EARLY_FRAMES - 1}`);
    const welcomeAt = eager.frames.findIndex((f) => f.type === 'welcome');
    assert.ok(welcomeAt >= 0 && welcomeAt < eager.frames.indexOf(last), 'the welcome comes first');
    assert.deepEqual(
      eager.of('message').map((m) => m.text),
      Array.from({ length: MAX_EARLY_FRAMES }, (_, i) => `early ${i}`),
    );
    const refused = eager.of('error');
    assert.deepEqual(
      refused.map((e) => [e.code, e.ref]),
      [['NOT_JOINED', 'x']],
    );
  });

  it('refuses a second join, and frames before any join', async () => {
    const { connect } = testRoom();
    const member = connect();
    member.send({ type: 'users' });
    assert.equal((await member.next('error')).code, 'NOT_JOINED');
    member.send({ type: 'join', name: 'Once' });
    await member.next('welcome');
    member.send({ type: 'join', name: 'Twice' });
    assert.equal((await member.next('error', (e) => e.code === 'ALREADY_JOINED')).code, 'ALREADY_JOINED');
  });

  it('closes a connection that has not joined within the join timeout with 4002, and not before', async () => {
    const { connect, clock } = testRoom();
    const idle = connect();
    clock.advance(LIMITS.joinTimeoutMs - 1);
    assert.equal(idle.connection.closed, null);
    clock.advance(1);
    assert.deepEqual(idle.connection.closed, { code: 4002, reason: 'No join in time' });
    assert.equal(idle.client.state, 'closing');
    idle.end();
    assert.equal(idle.client.state, 'closed');
  });

  it('does not close a joined connection when the join timeout passes', async () => {
    const { join, clock } = testRoom();
    const member = await join({ name: 'Quick' });
    clock.advance(LIMITS.joinTimeoutMs * 2);
    assert.equal(member.connection.closed, null);
  });

  it('sends one presence frame for 30 joins within one interval, once the clock moves', async () => {
    const { join, clock } = testRoom();
    const watcher = await join({ name: 'Watch' });
    clock.advance(LIMITS.presenceIntervalMs); // the watcher's own join
    await drain();
    const start = watcher.frames.length;
    const crowd = await Promise.all(Array.from({ length: 30 }, () => join()));
    await drain();
    assert.equal(
      watcher.frames.slice(start).filter((f) => f.type === 'presence').length,
      0,
      'none before the interval',
    );
    clock.advance(LIMITS.presenceIntervalMs);
    const presence = await watcher.next('presence', () => true, start);
    assert.equal(presence.viewers, 31);
    clock.advance(LIMITS.presenceIntervalMs * 5);
    await drain();
    assert.equal(watcher.frames.slice(start).filter((f) => f.type === 'presence').length, 1);
    for (const member of crowd) member.end();
    clock.advance(LIMITS.presenceIntervalMs);
    assert.equal((await watcher.next('presence', (f) => f.viewers === 1, start)).viewers, 1);
  });

  it('answers users with each identified user once, leaving anonymous readers out', async () => {
    const { join } = testRoom();
    const one = await join({ sub: 'twice', role: 'viewer' });
    await join({ sub: 'twice', role: 'viewer' });
    await join();
    one.send({ type: 'users' });
    const users = await one.next('users');
    assert.deepEqual(users.users, [{ id: 'twice', name: 'twice', role: 'viewer' }]);
    assert.equal(users.viewers, 3);
  });

  it('terminates a connection that did not answer its ping, and keeps one that did', async () => {
    const { join } = testRoom();
    const silent = await join({ name: 'Silent' });
    const lively = await join({ name: 'Lively' });
    for (const m of [silent, lively]) assert.equal(m.client.ping(), true);
    lively.client.pong();
    for (const m of [silent, lively]) m.client.checkPong();
    assert.equal(silent.connection.terminated, true);
    assert.equal(lively.connection.terminated, false);
  });
});
