/** A room driven with fake connections and a fake clock: the moderation rule, timeouts and bans. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRecord } from '../../../src/protocol/room-messages.js';
import { token } from '../../helpers/tokens.js';
import { drain, MODERATOR_FRAMES, ROOM, testRoom } from '../fakes.js';

/** The sequence number of the last moderation record of `action` (records are numbered from 1). */
function seqOf(records: ChatRecord[], action: string): number {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.kind === 'moderation' && r.action === action) return i + 1;
  }
  throw new Error(`no ${action} record`);
}

describe('room unit: the moderation rule', () => {
  it('refuses moderation from viewers and guests with FORBIDDEN', async () => {
    const { join } = testRoom();
    for (const client of [await join({ sub: 'v', role: 'viewer' }), await join({ name: 'G' })])
      for (const frame of MODERATOR_FRAMES) {
        const before = client.frames.length;
        client.send(frame);
        assert.equal((await client.next('error', () => true, before)).code, 'FORBIDDEN', JSON.stringify(frame));
      }
  });

  it('lets a mod act on viewers but not on a host or another mod, present or gone; a host may act on a mod', async () => {
    const { join } = testRoom();
    const mod = await join({ sub: 'mod1', role: 'mod' });
    const other = await join({ sub: 'mod2', role: 'mod' });
    const host = await join({ sub: 'host1', role: 'host' });
    await join({ sub: 'v1', role: 'viewer' });
    other.send({ type: 'message', text: 'mod line' });
    host.send({ type: 'message', text: 'host line' });
    const modLine = await mod.next('message', (m) => m.text === 'mod line');
    const hostLine = await mod.next('message', (m) => m.text === 'host line');
    other.end();
    host.end(); // gone, but remembered
    for (const frame of [
      { type: 'ban', user: 'host1' },
      { type: 'timeout', user: 'mod2', seconds: 5 },
      { type: 'delete', id: modLine.id },
      { type: 'delete', id: hostLine.id },
    ]) {
      const before = mod.frames.length;
      mod.send(frame);
      const refused = await mod.next('error', () => true, before);
      assert.equal(refused.code, 'FORBIDDEN', JSON.stringify(frame));
    }
    mod.send({ type: 'timeout', user: 'v1', seconds: 5 });
    assert.equal((await mod.next('timeout')).user, 'v1');
    const host2 = await join({ sub: 'host2', role: 'host' });
    host2.send({ type: 'timeout', user: 'mod1', seconds: 5 });
    assert.equal((await host2.next('timeout', (t) => t.user === 'mod1')).user, 'mod1');
  });

  it('lets a mod and a host delete their own messages, and answers NOT_FOUND for a message it does not have', async () => {
    const { join } = testRoom();
    for (const role of ['mod', 'host']) {
      const member = await join({ sub: `${role}-own`, role });
      member.send({ type: 'message', text: `${role} line` });
      const line = await member.next('message', (m) => m.text === `${role} line`);
      member.send({ type: 'delete', id: line.id });
      assert.equal((await member.next('deleted', (d) => d.id === line.id)).id, line.id);
      member.send({ type: 'delete', id: line.id });
      assert.equal((await member.next('error')).code, 'NOT_FOUND');
    }
  });
});

describe('room unit: timeouts', () => {
  it('refuses a timed-out user on every connection until the timeout runs out on the clock', async () => {
    const { join, clock } = testRoom();
    const mod = await join({ sub: 'mod', role: 'mod' });
    const one = await join({ sub: 'chatty' });
    const two = await join({ sub: 'chatty' });
    mod.send({ type: 'timeout', user: 'chatty', seconds: 60, reason: 'calm down' });
    const notice = await one.next('timeout');
    assert.equal(notice.until, clock.now() + 60_000);
    for (const member of [one, two]) {
      member.send({ type: 'message', text: 'still?', ref: 'to' });
      const refused = await member.next('error');
      assert.deepEqual([refused.code, refused.until, refused.ref], ['TIMED_OUT', notice.until, 'to']);
    }
    clock.advance(60_000);
    one.send({ type: 'message', text: 'back' });
    await one.next('message', (m) => m.text === 'back');
  });

  it('lifts a timeout with unban', async () => {
    const { join } = testRoom();
    const host = await join({ sub: 'host', role: 'host' });
    const user = await join({ sub: 'u' });
    host.send({ type: 'timeout', user: 'u', seconds: 600 });
    await user.next('timeout');
    host.send({ type: 'unban', user: 'u' });
    user.send({ type: 'message', text: 'free' });
    assert.equal((await user.next('message', (m) => m.text === 'free')).text, 'free');
  });
});

describe('room unit: bans reach everyone once', () => {
  it('sends one ban frame to everyone for an in-band ban, closes every connection of the user with 4003, and refuses them', async () => {
    const { join, connect, room, records } = testRoom();
    const mod = await join({ sub: 'mod', role: 'mod' });
    const watcher = await join({ name: 'Watch' });
    const one = await join({ sub: 'troll' });
    const two = await join({ sub: 'troll' });
    mod.send({ type: 'ban', user: 'troll', reason: 'spam' });
    assert.equal((await one.closedWith()).code, 4003);
    assert.equal((await two.closedWith()).code, 4003);
    await watcher.next('ban');
    const seq = seqOf(records, 'ban');

    // The master's lists: one built before it took the ban in, then one that holds it.
    room.applyCache({ bans: [], terms: [], through: seq - 1 });
    room.applyCache({ bans: ['troll'], terms: [], through: seq });
    room.applyCache({ bans: ['troll'], terms: [], through: seq + 5 });
    await drain();
    assert.equal(watcher.of('ban').length, 1, 'exactly one ban frame');
    assert.equal(mod.of('ban').length, 1);

    const again = connect();
    again.send({ type: 'join', token: await token({ sub: 'troll', name: 'troll', room: ROOM }) });
    assert.equal((await again.closedWith()).code, 4003);
  });

  it('keeps a fresh in-band ban through a cache push built before the master saw it', async () => {
    const { join, room, records } = testRoom();
    const mod = await join({ sub: 'mod', role: 'mod' });
    await join({ sub: 'troll' });
    mod.send({ type: 'ban', user: 'troll' });
    await mod.next('ban');
    room.applyCache({ bans: [], terms: [], through: seqOf(records, 'ban') - 1 });
    assert.equal(room.moderation.isBanned('troll'), true);
  });

  it('bans a present user pushed by the master once, however often the push repeats, and nobody it does not list', async () => {
    const { join, room } = testRoom();
    const watcher = await join({ name: 'Watch' });
    const troll = await join({ sub: 'troll' });
    room.applyCache({ bans: ['troll', 'absent'], terms: [], through: 0 });
    room.applyCache({ bans: ['troll', 'absent'], terms: [], through: 0 });
    assert.equal((await troll.closedWith()).code, 4003);
    troll.end();
    room.applyCache({ bans: ['troll', 'absent'], terms: [], through: 0 });
    await drain();
    assert.deepEqual(
      watcher.of('ban').map((b) => b.user),
      ['troll'],
    );
  });

  it('keeps an in-band unban through a stale push that still lists the ban, and lets the user back in', async () => {
    const { join, room, records } = testRoom();
    const mod = await join({ sub: 'mod', role: 'mod' });
    mod.send({ type: 'ban', user: 'troll' });
    await mod.next('ban');
    room.applyCache({ bans: ['troll'], terms: [], through: seqOf(records, 'ban') });
    mod.send({ type: 'unban', user: 'troll' });
    assert.equal(room.moderation.isBanned('troll'), false);
    room.applyCache({ bans: ['troll'], terms: [], through: seqOf(records, 'unban') - 1 });
    assert.equal(room.moderation.isBanned('troll'), false);
    const back = await join({ sub: 'troll' });
    assert.equal(back.client.state, 'joined');
    // Once the master has the unban, its list no longer holds the ban.
    room.applyCache({ bans: [], terms: [], through: seqOf(records, 'unban') });
    assert.equal(room.moderation.isBanned('troll'), false);
  });

  it('lifts a ban when the master list drops it after taking in the ban', async () => {
    const { join, room, records } = testRoom();
    const mod = await join({ sub: 'mod', role: 'mod' });
    mod.send({ type: 'ban', user: 'troll' });
    await mod.next('ban');
    const seq = seqOf(records, 'ban');
    room.applyCache({ bans: ['troll'], terms: [], through: seq });
    room.applyCache({ bans: [], terms: [], through: seq }); // an admin unbanned
    assert.equal(room.moderation.isBanned('troll'), false);
  });
});
