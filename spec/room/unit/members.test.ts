import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UserInfo } from '../../../src/protocol/frames.js';
import type { Client } from '../../../src/room/client.js';
import { Members } from '../../../src/room/members.js';
import { FakeClock } from '../fakes.js';

/** What Members reads of a client: its user once joined, and its address. */
const member = (user: UserInfo) => ({ user, address: '' }) as unknown as Client;

describe('members: one user on several connections', () => {
  const ann: UserInfo = { id: 'u-ann', name: 'Ann', role: 'mod' };

  it('keeps the user present and listed once until the last connection leaves', () => {
    const members = new Members(new FakeClock(), 1_000, () => undefined);
    const [a, b, c] = [member(ann), member(ann), member(ann)];
    for (const client of [a, b, c]) {
      members.add(client);
      members.joined(client, ann);
    }
    assert.equal(members.viewers, 3);
    assert.equal(members.chatters, 1);
    assert.deepEqual(members.connectionsOf(ann.id), [a, b, c]);
    assert.deepEqual([...members.presentUsers()], [ann]);
    assert.equal(members.roleOf(ann.id), 'mod');
    members.remove(b);
    assert.deepEqual(members.connectionsOf(ann.id), [a, c]);
    members.remove(a);
    members.remove(c);
    assert.equal(members.isPresent(ann.id), false);
    assert.deepEqual(members.connectionsOf(ann.id), []);
    assert.deepEqual(members.usersHere().users, []);
    // A mod who left keeps the role they had here.
    assert.equal(members.roleOf(ann.id), 'mod');
  });

  it('counts a single connection, and forgets it on leaving', () => {
    const members = new Members(new FakeClock(), 1_000, () => undefined);
    const guest: UserInfo = { id: 'guest:x', name: 'Gus', role: 'guest' };
    const g = member(guest);
    members.add(g);
    members.joined(g, guest);
    assert.deepEqual(members.connectionsOf(guest.id), [g]);
    assert.deepEqual(members.usersHere().users, [guest]);
    assert.equal(members.roleOf(guest.id), 'guest');
    assert.equal(members.remove(g), true);
    assert.equal(members.remove(g), false);
    assert.equal(members.chatters, 0);
    assert.equal(members.roleOf(guest.id), undefined);
  });
});
