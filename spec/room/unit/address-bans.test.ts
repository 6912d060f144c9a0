/** Guest bans and timeouts held by client address, in the moderation state (fake clock). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Moderation } from '../../../src/room/moderation.js';
import { FakeClock } from '../fakes.js';

describe('guest bans and timeouts by address', () => {
  it('bans an address while one of its guests is banned, from an act or from the cache', () => {
    const mod = new Moderation(new FakeClock());
    mod.ban('guest:a', 1, '10.0.0.1');
    assert.equal(mod.isAddressBanned('10.0.0.1'), true);
    assert.equal(mod.isAddressBanned(''), false, 'an unknown address is never banned');
    mod.unban('guest:a', 2);
    assert.equal(mod.isAddressBanned('10.0.0.1'), false);
    mod.applyCache(['guest:b'], 2, [{ user: 'guest:b', address: '10.0.0.2' }]);
    assert.equal(mod.isAddressBanned('10.0.0.2'), true, 'the store holds it after a restart');
    mod.applyCache([], 3, []);
    assert.equal(mod.isAddressBanned('10.0.0.2'), false, 'lifted by an admin');
  });

  it('times out an address until the timeout ends, or until its guest is unbanned', () => {
    const clock = new FakeClock();
    const mod = new Moderation(clock);
    mod.timeout('guest:c', clock.now() + 60_000, '10.0.0.3');
    assert.equal(mod.addressTimedOutUntil('10.0.0.3'), clock.now() + 60_000);
    clock.advance(60_000);
    assert.equal(mod.addressTimedOutUntil('10.0.0.3'), undefined);
    mod.applyTimeouts([{ user: 'guest:d', until: clock.now() + 1000, address: '10.0.0.4' }]);
    assert.equal(mod.timedOutUntil('guest:d'), clock.now() + 1000);
    mod.unban('guest:d', 5);
    assert.equal(mod.addressTimedOutUntil('10.0.0.4'), undefined);
    assert.equal(mod.timedOutUntil('guest:d'), undefined);
  });
});
