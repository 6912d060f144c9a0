/** Pings and their checks: a check is about one ping, never failed by a newer one not yet answered. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testRoom } from '../fakes.js';

describe('room unit: liveness', () => {
  it('keeps a connection that answered a ping whose check runs after the next ping went out', async () => {
    const { join } = testRoom();
    const member = await join({ name: 'Lively' });
    member.client.ping();
    const first = member.client.lastPing;
    member.client.pong();
    member.client.ping(); // the next interval's ping, not answered yet
    member.client.checkPong(first);
    assert.equal(member.connection.terminated, false);
    member.client.checkPong(member.client.lastPing);
    assert.equal(member.connection.terminated, true, 'the newer ping unanswered by its own check ends it');
  });

  it('terminates a connection that answered none of its pings', async () => {
    const { join } = testRoom();
    const member = await join({ name: 'Silent' });
    member.client.ping();
    const first = member.client.lastPing;
    member.client.ping();
    member.client.checkPong(first);
    assert.equal(member.connection.terminated, true);
  });
});
