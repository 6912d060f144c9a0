/** The pin model with a fake clock, and the mention and reply helpers it sits beside. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage, UserInfo } from '../../../src/protocol/frames.js';
import { History } from '../../../src/room/history.js';
import { mentionsIn } from '../../../src/room/mentions.js';
import { Pins } from '../../../src/room/pins.js';
import { replyParent } from '../../../src/room/replies.js';
import { tipKey, tipPinMs } from '../../../src/room/tips.js';
import { FakeClock } from '../fakes.js';

const user: UserInfo = { id: 'u1', name: 'Ann', role: 'viewer' };
const message = (id: number, text = `m${id}`): ChatMessage => ({ type: 'message', id, ts: 1, user, text });

describe('room unit: pins', () => {
  it('ends a timed pin at its time, once, and tells whoever shows it', () => {
    const clock = new FakeClock();
    let ended = 0;
    const pins = new Pins(clock, () => (ended += 1));
    assert.equal(pins.set(message(1), clock.now() + 5_000), true);
    clock.advance(4_999);
    assert.equal(pins.current?.message.id, 1);
    assert.equal(ended, 0);
    clock.advance(1);
    assert.equal(pins.current, null);
    assert.equal(ended, 1);
    clock.advance(60_000);
    assert.equal(ended, 1);
  });

  it('replaces a pin with the next one (the old timer no longer ends anything) and keeps an open one', () => {
    const clock = new FakeClock();
    let ended = 0;
    const pins = new Pins(clock, () => (ended += 1));
    pins.set(message(1), clock.now() + 1_000);
    pins.set(message(2), null);
    clock.advance(10_000);
    assert.equal(ended, 0);
    assert.equal(pins.current?.message.id, 2);
    assert.equal(pins.holds(2), true);
    assert.equal(pins.clear(), true);
    assert.equal(pins.clear(), false);
    assert.equal(clock.pending, 0);
  });

  it('refuses a pin already over (a restored one past its time)', () => {
    const clock = new FakeClock();
    const pins = new Pins(clock, () => assert.fail('nothing to end'));
    assert.equal(pins.set(message(1), clock.now() - 1), false);
    assert.equal(pins.current, null);
  });
});

describe('room unit: mentions and replies', () => {
  const present = [
    { id: 'a', name: 'Ann Lee', role: 'viewer' },
    { id: 'b', name: 'Ann', role: 'viewer' },
    { id: 'c', name: 'bob', role: 'mod' },
  ] satisfies UserInfo[];

  it('matches the longest present name, without case, once per user, never inside a word', () => {
    assert.deepEqual(
      mentionsIn('@ann lee and @ANN, again @Ann Lee, mail@bob, @bobby', () => present),
      ['a', 'b'],
    );
    assert.deepEqual(
      mentionsIn('@bob!', () => present),
      ['c'],
    );
    assert.deepEqual(
      mentionsIn('no at sign', () => assert.fail('not asked without an @')),
      [],
    );
  });

  it('quotes the first 100 code points of a parent in the window, and nothing of a deleted one', () => {
    const history = new History(10);
    history.add(message(1, '😀'.repeat(120)));
    history.add(message(2));
    assert.equal(replyParent(history, 1)?.text, '😀'.repeat(100));
    history.markDeleted(2);
    assert.equal(replyParent(history, 2), undefined);
    assert.equal(replyParent(history, 3), undefined);
  });

  it('keys a debit by user and ref only, and caps a tip pin at a day', () => {
    assert.equal(tipKey('u1', 'r'), tipKey('u1', 'r'));
    assert.notEqual(tipKey('u1', 'r'), tipKey('u2', 'r'));
    assert.notEqual(tipKey('u1\nr', ''), tipKey('u1', '\nr'));
    assert.equal(tipPinMs(10, { min: 1, max: 1e9, pinMsPerCredit: 1000 }), 10_000);
    assert.equal(tipPinMs(1e9, { min: 1, max: 1e9, pinMsPerCredit: 1000 }), 86_400_000);
  });
});
